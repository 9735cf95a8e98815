/* Option tables: parsing and --help (host/cli/cli_opt.h). */
#include "cli/cli_opt.h"

#include <string.h>
#include <unistd.h>

#include "cli/cli.h"

void cli_parser_init(struct cli_parser *p, const struct cli_cmd *cmd, int argc, char **argv)
{
    memset(p, 0, sizeof *p);
    p->cmd = cmd;
    p->argc = argc;
    p->argv = argv;
    size_t n = 0;
    for (const struct cli_opt *o = cmd->opts; o && o->name && n < CLI_MAX_OPTS; o++, n++)
        p->lo[n] = (struct option){o->name, o->arg ? required_argument : no_argument, 0, o->key};
    p->lo[n] = (struct option){"help", no_argument, 0, 'h'};
    p->next = -1; /* not started */
}

int cli_next(struct cli_parser *p)
{
    if (p->next < 0) {
        optind = 0; /* glibc: a full restart, whatever parsed before in this process */
        opterr = 0;
        p->next = 0;
    }
    int c = getopt_long(p->argc, p->argv, ":h", p->lo, NULL);
    p->arg = optarg;
    switch (c) {
    case -1: p->next = optind; return CLI_END;
    case 'h': cli_help(stdout, p->cmd); return CLI_HELP;
    case ':':
        cli_usage(p->cmd->name, "option '%s' needs a value", p->argv[optind - 1]);
        return CLI_BAD;
    case '?':
        cli_usage(p->cmd->name, "unknown option '%s' (see isactb %s --help)", p->argv[optind - 1],
                  p->cmd->name);
        return CLI_BAD;
    default: return c;
    }
}

int cli_cmd_shows(const struct cli_cmd *cmd, const struct cli_opt *o)
{
    if (!cmd->only)
        return 1;
    for (const char *const *s = cmd->only; *s; s++)
        if (!strcmp(*s, o->name))
            return 1;
    return 0;
}

void cli_help(FILE *f, const struct cli_cmd *cmd)
{
    fprintf(f, "usage: isactb %s%s%s%s\n%s\n", cmd->name, cmd->opts ? " [OPTIONS]" : "",
            cmd->args ? " " : "", cmd->args ? cmd->args : "", cmd->summary);
    fputs("\noptions:\n", f);
    for (const struct cli_opt *o = cmd->opts; o && o->name; o++) {
        if (!cli_cmd_shows(cmd, o))
            continue;
        char left[64];
        snprintf(left, sizeof left, "--%s%s%s", o->name, o->arg ? " " : "", o->arg ? o->arg : "");
        fprintf(f, "  %-26s %s\n", left, o->help);
    }
    fprintf(f, "  %-26s %s\n", "--help", "print this help and exit");
    size_t n = strlen(cmd->name);
    int first = 1;
    for (const struct cli_cmd *const *c = cli_commands; *c; c++)
        if (!strncmp((*c)->name, cmd->name, n) && (*c)->name[n] == ' ') {
            fprintf(f, "%s  %-14s %s\n", first ? "\ncommands (isactb NAME --help for each):\n" : "",
                    (*c)->name + n + 1, (*c)->summary);
            first = 0;
        }
    if (cmd->text)
        fprintf(f, "\n%s\n", cmd->text);
}

int cli_group(const struct cli_cmd *group, int argc, char **argv)
{
    char names[512], full[128];
    cli_subcommand_names(group->name, names, sizeof names);
    if (argc < 2)
        return cli_usage(group->name, "missing subcommand (expected one of: %s)", names);
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        cli_help(stdout, group);
        return CLI_OK;
    }
    snprintf(full, sizeof full, "%s %s", group->name, argv[1]);
    if (argv[1][0] != '-' && cli_command_find(full))
        return -1;
    return cli_usage(group->name, "unknown subcommand '%s' (expected one of: %s)", argv[1], names);
}

enum cli_progress cli_progress_mode(int quiet, int force)
{
    if (quiet)
        return CLI_PROGRESS_QUIET;
    return force || isatty(STDERR_FILENO) ? CLI_PROGRESS_BARS : CLI_PROGRESS_LINES;
}
