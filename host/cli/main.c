/* isactb: the command-line front of libisactb. Dispatches to one cmd_* per subcommand. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

struct command {
    const char *name;
    int (*fn)(int argc, char **argv);
    const char *synopsis;
};

static const struct command commands[] = {
    {"run", cmd_run, "[--config F] [--radio S] ...   the closed loop (default: sim radio)"},
    {"replay", cmd_replay, "CAPTURE [--json]       the same loop from a recording"},
    {"detect", cmd_detect, "CAPTURE [--pfa P]      GLRT/CFAR over every CPI of a recording"},
    {"codebook", cmd_codebook, "dft|show ...        generate or inspect beam codebooks"},
    {"bench", cmd_bench,
     "mf|policies|soak ...    throughput, policy comparison, soak (docs/bench.md)"},
    {"train", cmd_train,
     "[--seed N] [--episodes E] ...  learned beam selection (docs/learning.md)"},
    {"calib", cmd_calib, "rx|tx|delay|verify|track  array calibration sessions and records"},
    {"node", cmd_node, "--connect EP --role rx|tx ...  one AP's radio side of a distributed run"},
    {"fuse", cmd_fuse, "--bind EP | --spawn N ...  fusion, policy and recording over nodes"},
    {"keys", cmd_keys,
     "--out PREFIX             CURVE keypair for node/fuse (docs/distributed.md)"},
    {"info", cmd_info, "[--radio S] [--json]     describe a radio (sim: with ground truth)"},
};

static void usage(FILE *f)
{
    fprintf(f,
            "usage: isactb COMMAND [OPTIONS]   (isactb COMMAND --help for details)\n\ncommands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(f, "  %-9s %s\n", commands[i].name, commands[i].synopsis);
}

int main(int argc, char **argv)
{
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
    fprintf(stderr, "isactb: unknown command '%s' (see isactb --help)\n", argv[1]);
    return CLI_EUSAGE;
}
