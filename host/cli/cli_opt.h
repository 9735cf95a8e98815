/* Option tables of the isactb command line: one table per (sub)command is the single
 * source of its option parsing (getopt_long), its --help, its man page and its bash
 * completion (docs/cli.md, "Adding a command").
 *
 *     static const struct cli_opt OPTS[] = {
 *         {"config", 'c', "FILE", "experiment YAML (default: the built-in experiment)"},
 *         CLI_OPT_JSON('j'),
 *         {0}};
 *     const struct cli_cmd cli_cmd_foo = {"foo", "[CAPTURE]", "one-line summary", OPTS};
 *
 *     struct cli_parser p;
 *     cli_parser_init(&p, &cli_cmd_foo, argc, argv);
 *     for (int c; (c = cli_next(&p)) != CLI_END;)
 *         switch (c) {
 *         case 'c': config = p.arg; break;
 *         case 'j': json = 1; break;
 *         case CLI_HELP: return -1;          (help printed on stdout: exit 0)
 *         default: return CLI_EUSAGE;        (CLI_BAD: one line printed on stderr)
 *         }
 *     positional arguments: argv[p.next .. argc-1]
 *
 * and the table is listed in cli_commands[] (host/cli/cli_commands.c). */
#ifndef ISACTB_CLI_CLI_OPT_H
#define ISACTB_CLI_CLI_OPT_H

#include <getopt.h>
#include <stdio.h>

struct cli_opt {
    const char *name; /* long name without "--"; NULL ends the table */
    int key;          /* what cli_next returns: unique in the table, > 0, not 'h' */
    const char *arg;  /* the value's placeholder ("FILE", "N", "DBM"); NULL: a flag */
    const char *help; /* ONE line: what it does, units, default */
};

struct cli_cmd {
    const char *name;           /* "run", "bench mf", "calib rx" */
    const char *args;           /* positional arguments for the synopsis ("CAPTURE"), or NULL */
    const char *summary;        /* one line: isactb --help, the man page's NAME */
    const struct cli_opt *opts; /* terminated by {0}; may be NULL (no options) */
    /* Names of the options this command shows (help, man, completion), NULL-terminated;
     * NULL shows all. Lets subcommands that share one parser (calib rx|tx|...) each
     * document only their own options. */
    const char *const *only;
    const char *text; /* further paragraphs for --help and the man page, or NULL */
};

/* Options several commands share: the same words everywhere. */
#define CLI_OPT_JSON(k)                                                                            \
    {                                                                                              \
        "json", k, NULL, "print one JSON object with the results on stdout"                        \
    }
#define CLI_OPT_QUIET(k)                                                                           \
    {                                                                                              \
        "quiet", k, NULL, "no progress on stderr (results and errors only)"                        \
    }
#define CLI_OPT_PROGRESS(k)                                                                        \
    {                                                                                              \
        "progress", k, NULL, "draw progress bars on stderr even when it is not a terminal"         \
    }
#define CLI_OPT_THREADS(k)                                                                         \
    {                                                                                              \
        "threads", k, "N",                                                                         \
            "worker threads, 0..256 (default 0: every online core); results do not depend on it"   \
    }
#define CLI_OPT_CONFIG(k)                                                                          \
    {                                                                                              \
        "config", k, "FILE",                                                                       \
            "experiment YAML (default: the built-in experiment, docs/pipeline.md)"                 \
    }
#define CLI_OPT_RADIO(k)                                                                           \
    {                                                                                              \
        "radio", k, "SPEC",                                                                        \
            "radio spec, e.g. sim, sim:seed=2, uhd:..., file:CAPTURE (default: sim)"               \
    }
#define CLI_OPT_SERVE(k)                                                                           \
    {                                                                                              \
        "serve", k, "[ADDR:]PORT",                                                                 \
            "publish the live view over HTTP (docs/live-view.md; default off)"                     \
    }
#define CLI_OPT_SERVE_LINGER(k)                                                                    \
    {                                                                                              \
        "serve-linger", k, "SECONDS",                                                              \
            "keep serving the final state this long after the end (0..86400 s, default 0)"         \
    }

enum { CLI_END = -1, CLI_HELP = -2, CLI_BAD = -3 };
#define CLI_MAX_OPTS 48

struct cli_parser {
    const struct cli_cmd *cmd;
    int argc;
    char **argv;
    const char *arg; /* the current option's value (NULL for a flag) */
    int next;        /* after CLI_END: index of the first positional argument */
    struct option lo[CLI_MAX_OPTS + 2];
};

void cli_parser_init(struct cli_parser *p, const struct cli_cmd *cmd, int argc, char **argv);
/* The next option's key; CLI_HELP after printing the help on stdout; CLI_BAD after one
 * line on stderr (unknown option, missing value); CLI_END when only positional arguments
 * are left (argv[p->next...], options and positionals may be mixed on the line). */
int cli_next(struct cli_parser *p);

/* The help of cmd: usage line, summary, one line per option, text. */
void cli_help(FILE *f, const struct cli_cmd *cmd);
/* 1 when cmd documents option o (see cli_cmd.only). */
int cli_cmd_shows(const struct cli_cmd *cmd, const struct cli_opt *o);

/* Every command, top-level and subcommand, in the order of isactb --help; NULL-terminated
 * (host/cli/cli_commands.c). */
extern const struct cli_cmd *const cli_commands[];
const struct cli_cmd *cli_command_find(const char *name);
/* The subcommands of group ("bench") as "mf, policies, ..." into buf. */
const char *cli_subcommand_names(const char *group, char *buf, size_t len);

/* A group command (bench, calib, codebook) whose argv[1] names the subcommand: -1 when
 * argv[1] is one of them (the caller dispatches), else the exit status after the group's
 * help (0) or one line listing every subcommand (2: missing or unknown name). */
int cli_group(const struct cli_cmd *group, int argc, char **argv);

/* isactb _doc man DIR | bash | list: man pages, the bash completion script and the
 * table walk for tests, all from cli_commands[] (host/cli/cli_doc.c). */
int cmd_doc(int argc, char **argv);

/* Progress output: bars only when stderr is a terminal, unless forced. */
enum cli_progress { CLI_PROGRESS_QUIET, CLI_PROGRESS_LINES, CLI_PROGRESS_BARS };
/* quiet wins; then force (--progress); else bars when stderr is a terminal. */
enum cli_progress cli_progress_mode(int quiet, int force);

#endif
