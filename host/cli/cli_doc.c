/* isactb _doc: man pages, the bash completion script and a table walk for the tests, all
 * generated from the option tables (host/cli/cli_opt.h), so that they cannot drift from
 * --help. The build runs `isactb _doc man DIR` and `isactb _doc bash FILE`. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "common/err.h"
#include "common/out_dir.h"

/* Text for roff: backslashes and dashes escaped, a leading dot or quote neutralised. */
static void roff(FILE *f, const char *s)
{
    int bol = 1;
    for (; s && *s; s++) {
        if (bol && (*s == '.' || *s == '\''))
            fputs("\\&", f);
        bol = *s == '\n';
        if (*s == '\\')
            fputs("\\e", f);
        else if (*s == '-')
            fputs("\\-", f);
        else
            fputc(*s, f);
    }
}

/* "bench mf" -> "bench-mf" */
static void dashed(char *out, size_t n, const char *name)
{
    snprintf(out, n, "%s", name);
    for (char *c = out; *c; c++)
        if (*c == ' ')
            *c = '-';
}

static void man_options(FILE *f, const struct cli_cmd *c)
{
    fputs(".SH OPTIONS\n", f);
    for (const struct cli_opt *o = c->opts; o && o->name; o++) {
        if (!cli_cmd_shows(c, o))
            continue;
        fputs(".TP\n.B \\-\\-", f);
        roff(f, o->name);
        if (o->arg) {
            fputs(" \\fI", f);
            roff(f, o->arg);
            fputs("\\fR", f);
        }
        fputc('\n', f);
        roff(f, o->help);
        fputc('\n', f);
    }
    fputs(".TP\n.B \\-\\-help\nprint the help and exit\n", f);
}

static void man_subcommands(FILE *f, const char *group)
{
    size_t n = strlen(group);
    int first = 1;
    for (const struct cli_cmd *const *c = cli_commands; *c; c++) {
        if (strncmp((*c)->name, group, n) || (*c)->name[n] != ' ')
            continue;
        if (first)
            fputs(".SH COMMANDS\n", f);
        first = 0;
        fputs(".TP\n.B ", f);
        roff(f, (*c)->name + n + 1);
        fputc('\n', f);
        roff(f, (*c)->summary);
        fputc('\n', f);
    }
}

static void man_page(FILE *f, const struct cli_cmd *c)
{
    char page[96], upper[128];
    dashed(page, sizeof page, c->name);
    snprintf(upper, sizeof upper, "ISACTB-%s", page);
    for (char *u = upper; *u; u++)
        *u = (char)(*u >= 'a' && *u <= 'z' ? *u - 32 : *u);
    fprintf(f, ".TH %s 1 \"\" \"isactb %s\" \"User Commands\"\n.SH NAME\nisactb\\-", upper,
            ISACTB_VERSION);
    roff(f, page);
    fputs(" \\- ", f);
    roff(f, c->summary);
    fputs("\n.SH SYNOPSIS\n.B isactb ", f);
    roff(f, c->name);
    fputc('\n', f);
    if (c->opts)
        fputs("[\\fIOPTIONS\\fR]", f);
    if (c->args) {
        fputc(' ', f);
        roff(f, c->args);
    }
    fputs("\n.SH DESCRIPTION\n", f);
    roff(f, c->summary);
    fputc('\n', f);
    if (c->text) {
        fputs(".PP\n", f);
        roff(f, c->text);
        fputc('\n', f);
    }
    man_options(f, c);
    man_subcommands(f, c->name);
    fputs(".SH EXIT STATUS\n0 success, 1 bad input, 2 usage, 3 radio or runtime fault "
          "(docs/cli.md).\n.SH SEE ALSO\n.BR isactb (1)\n",
          f);
}

static void man_index(FILE *f)
{
    fprintf(f,
            ".TH ISACTB 1 \"\" \"isactb %s\" \"User Commands\"\n.SH NAME\nisactb \\- "
            "software-defined radio testbed for integrated sensing and communication\n"
            ".SH SYNOPSIS\n.B isactb\n\\fICOMMAND\\fR [\\fIOPTIONS\\fR]\n.SH DESCRIPTION\n"
            "Results go to stdout, progress and errors to stderr; \\-\\-json prints one JSON "
            "object on stdout. Each command has its own page, e.g.\n.BR isactb\\-run (1).\n"
            ".SH COMMANDS\n",
            ISACTB_VERSION);
    for (const struct cli_cmd *const *c = cli_commands; *c; c++) {
        char page[96];
        dashed(page, sizeof page, (*c)->name);
        fputs(".TP\n.BR isactb\\-", f);
        roff(f, page);
        fputs(" (1)\n", f);
        roff(f, (*c)->summary);
        fputc('\n', f);
    }
    fputs(".SH EXIT STATUS\n0 success, 1 bad input (a file, field or value), 2 usage, 3 radio "
          "or runtime fault.\n",
          f);
}

/* Written through a temporary and renamed: never a half-written page. */
static int write_file(const char *path, void (*fn)(FILE *, const void *), const void *arg)
{
    char tmp[4200], err[600];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    remove(tmp);
    FILE *f = isac_fcreate_excl(tmp, err, sizeof err);
    if (!f)
        return cli_runtime_error("_doc", "%s", err);
    fn(f, arg);
    if (ferror(f) | fclose(f) || rename(tmp, path)) {
        remove(tmp);
        return cli_runtime_error("_doc", "%s: cannot write (%s)", path, strerror(errno));
    }
    return CLI_OK;
}

static void man_page_fn(FILE *f, const void *c)
{
    man_page(f, c);
}
static void man_index_fn(FILE *f, const void *c)
{
    (void)c;
    man_index(f);
}

static int doc_man(const char *dir)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/isactb.1", dir);
    int rc = write_file(path, man_index_fn, NULL);
    for (const struct cli_cmd *const *c = cli_commands; *c && !rc; c++) {
        char page[96];
        dashed(page, sizeof page, (*c)->name);
        snprintf(path, sizeof path, "%s/isactb-%s.1", dir, page);
        rc = write_file(path, man_page_fn, *c);
    }
    return rc;
}

/* The options of c as "--a --b ..." (the ones it documents, and --help). */
static void bash_opts(FILE *f, const struct cli_cmd *c)
{
    for (const struct cli_opt *o = c->opts; o && o->name; o++)
        if (cli_cmd_shows(c, o))
            fprintf(f, "--%s ", o->name);
    fputs("--help", f);
}

/* 1 when an option named like o that takes a value comes before o in the tables. */
static int seen_before(const struct cli_opt *o)
{
    for (const struct cli_cmd *const *c = cli_commands; *c; c++)
        for (const struct cli_opt *q = (*c)->opts; q && q->name; q++) {
            if (q == o)
                return 0;
            if (q->arg && !strcmp(q->name, o->name))
                return 1;
        }
    return 0;
}

/* Options that take a value, space-separated with spaces around (for a pattern match). */
static void bash_valued(FILE *f)
{
    fputc(' ', f);
    for (const struct cli_cmd *const *c = cli_commands; *c; c++)
        for (const struct cli_opt *o = (*c)->opts; o && o->name; o++)
            if (o->arg && !seen_before(o))
                fprintf(f, "--%s ", o->name);
}

static void bash_script(FILE *f, const void *unused)
{
    (void)unused;
    fputs("# bash completion for isactb, generated from its option tables (isactb _doc bash)\n"
          "_isactb()\n{\n"
          "    local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]}\n"
          "    local cmd=${COMP_WORDS[1]} sub=${COMP_WORDS[2]} words=\"\" valued\n"
          "    COMPREPLY=()\n    valued=\"",
          f);
    bash_valued(f);
    fputs("\"\n"
          "    # the value of an option: files (the default completion)\n"
          "    if [ \"$COMP_CWORD\" -gt 1 ] && [[ $valued == *\" $prev \"* ]]; then return 0; fi\n"
          "    if [ \"$COMP_CWORD\" -eq 1 ]; then\n        words=\"",
          f);
    for (const struct cli_cmd *const *c = cli_commands; *c; c++)
        if (!strchr((*c)->name, ' '))
            fprintf(f, "%s ", (*c)->name);
    fputs("--help --version\"\n    else\n        case \"$cmd\" in\n", f);
    for (const struct cli_cmd *const *c = cli_commands; *c; c++) {
        const char *name = (*c)->name;
        if (strchr(name, ' '))
            continue;
        fprintf(f, "        %s)\n", name);
        size_t n = strlen(name);
        int group = 0;
        for (const struct cli_cmd *const *s = cli_commands; *s; s++)
            group |= !strncmp((*s)->name, name, n) && (*s)->name[n] == ' ';
        if (group) {
            fputs("            if [ \"$COMP_CWORD\" -eq 2 ]; then words=\"", f);
            for (const struct cli_cmd *const *s = cli_commands; *s; s++)
                if (!strncmp((*s)->name, name, n) && (*s)->name[n] == ' ')
                    fprintf(f, "%s ", (*s)->name + n + 1);
            fputs("--help\"\n            else case \"$sub\" in\n", f);
            for (const struct cli_cmd *const *s = cli_commands; *s; s++)
                if (!strncmp((*s)->name, name, n) && (*s)->name[n] == ' ') {
                    fprintf(f, "                %s) words=\"", (*s)->name + n + 1);
                    bash_opts(f, *s);
                    fputs("\" ;;\n", f);
                }
            fputs("            esac; fi ;;\n", f);
        } else {
            fputs("            words=\"", f);
            bash_opts(f, *c);
            fputs("\" ;;\n", f);
        }
    }
    fputs("        esac\n"
          "        # past the command: options when the word starts with a dash, else files\n"
          "        if [[ $cur != -* ]] && ! { [ \"$COMP_CWORD\" -eq 2 ] && [[ $words != --* ]]; "
          "}; then return 0; fi\n"
          "    fi\n"
          "    COMPREPLY=($(compgen -W \"$words\" -- \"$cur\"))\n}\n"
          "complete -o default -F _isactb isactb\n",
          f);
}

/* One line per command: NAME<TAB>--opt ... (the options it documents): what the help
 * test walks. */
static void list(FILE *f)
{
    for (const struct cli_cmd *const *c = cli_commands; *c; c++) {
        fprintf(f, "%s\t", (*c)->name);
        for (const struct cli_opt *o = (*c)->opts; o && o->name; o++)
            if (cli_cmd_shows(*c, o))
                fprintf(f, "--%s ", o->name);
        fputc('\n', f);
    }
}

int cmd_doc(int argc, char **argv)
{
    if (argc == 3 && !strcmp(argv[1], "man"))
        return doc_man(argv[2]);
    if (argc == 3 && !strcmp(argv[1], "bash"))
        return write_file(argv[2], bash_script, NULL);
    if (argc == 2 && !strcmp(argv[1], "bash")) {
        bash_script(stdout, NULL);
        return CLI_OK;
    }
    if (argc == 2 && !strcmp(argv[1], "list")) {
        list(stdout);
        return CLI_OK;
    }
    return cli_usage("_doc", "expected: man DIR | bash [FILE] | list");
}
