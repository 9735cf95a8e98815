/* isactb: the command-line front of libisactb. Dispatches to one cmd_* per subcommand. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/cmd_vehicular.h"
#include "common/err.h"

struct command {
    const char *name;
    int (*fn)(int argc, char **argv);
};

/* Summaries and options come from each command's table (host/cli/cli_commands.c). */
static const struct command commands[] = {
    {"run", cmd_run},       {"replay", cmd_replay},
    {"detect", cmd_detect}, {"codebook", cmd_codebook},
    {"bench", cmd_bench},   {"train", cmd_train},
    {"calib", cmd_calib},   {"node", cmd_node},
    {"fuse", cmd_fuse},     {"vehicular", cmd_vehicular},
    {"keys", cmd_keys},     {"info", cmd_info},
    {"_doc", cmd_doc},
};

static void usage(FILE *f)
{
    fprintf(f, "usage: isactb COMMAND [OPTIONS]   (isactb COMMAND --help for details)\n"
               "Results go to stdout, progress and errors to stderr (docs/cli.md).\n\n"
               "commands:\n");
    for (const struct cli_cmd *const *c = cli_commands; *c; c++)
        if (!strchr((*c)->name, ' '))
            fprintf(f, "  %-9s %s\n", (*c)->name, (*c)->summary);
    fprintf(f, "\n  --help    print this help and exit\n  --version print the version and exit\n");
}

/* OpenBLAS starts its worker threads when the library loads, and each allocates its buffer:
 * under a memory rlimit (ulimit -v) that allocation fails and the worker spins forever, so
 * that the first fork (figures) or the exit (the library's destructor joins the pool)
 * hangs. With a finite RLIMIT_AS the process re-executes itself once with
 * OPENBLAS_NUM_THREADS=1 (no pool at all), before anything else happens. */
static void single_threaded_blas_under_rlimit(char **argv)
{
    struct rlimit rl;
    if (getenv("OPENBLAS_NUM_THREADS") || getrlimit(RLIMIT_AS, &rl) || rl.rlim_cur == RLIM_INFINITY)
        return;
    if (setenv("OPENBLAS_NUM_THREADS", "1", 1) == 0)
        execv("/proc/self/exe", argv); /* returns only on failure: carry on as we are */
}

int main(int argc, char **argv)
{
    single_threaded_blas_under_rlimit(argv);
    /* Under a file-size rlimit (ulimit -f) a write past it raises SIGXFSZ, which would kill
     * the process with its temporaries in place: ignored, the write fails with EFBIG and
     * takes the ordinary one-line error path that removes them. */
    signal(SIGXFSZ, SIG_IGN);
    if (argc < 2) {
        usage(stderr);
        return CLI_EUSAGE;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        usage(stdout);
        return CLI_OK;
    }
    if (!strcmp(argv[1], "--version")) {
        printf("isactb %s\n", ISACTB_VERSION);
        return CLI_OK;
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (!strcmp(argv[1], commands[i].name))
            return commands[i].fn(argc - 1, argv + 1);
    char name[80];
    isac_seterr(name, sizeof name, "%s", argv[1]); /* control bytes as '?': one line */
    fprintf(stderr,
            "isactb: unknown command '%s' (expected one of: run, replay, detect, codebook, "
            "bench, train, calib, node, fuse, keys, info; see isactb --help)\n",
            name);
    return CLI_EUSAGE;
}
