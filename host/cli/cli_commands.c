/* Every command's option table, in the order of isactb --help (host/cli/cli_opt.h): the
 * man pages, the bash completion and the help test walk this list. A new command adds its
 * table here (docs/cli.md, "Adding a command"). */
#include <stdio.h>
#include <string.h>

#include "cli/cli_opt.h"

extern const struct cli_cmd cli_cmd_run, cli_cmd_replay, cli_cmd_detect, cli_cmd_codebook,
    cli_cmd_codebook_dft, cli_cmd_codebook_ma, cli_cmd_codebook_show, cli_cmd_bench,
    cli_cmd_bench_mf, cli_cmd_bench_policies, cli_cmd_bench_soak, cli_cmd_bench_replay,
    cli_cmd_bench_sim, cli_cmd_bench_comm, cli_cmd_bench_serve, cli_cmd_bench_fuse,
    cli_cmd_bench_ma, cli_cmd_bench_lstm, cli_cmd_bench_vehicular, cli_cmd_train,
    cli_cmd_train_lstm, cli_cmd_vehicular, cli_cmd_vehicular_teacher, cli_cmd_calib,
    cli_cmd_calib_rx, cli_cmd_calib_tx, cli_cmd_calib_delay, cli_cmd_calib_verify,
    cli_cmd_calib_track, cli_cmd_node, cli_cmd_fuse, cli_cmd_keys, cli_cmd_info;

const struct cli_cmd *const cli_commands[] = {&cli_cmd_run,
                                              &cli_cmd_replay,
                                              &cli_cmd_detect,
                                              &cli_cmd_codebook,
                                              &cli_cmd_codebook_dft,
                                              &cli_cmd_codebook_ma,
                                              &cli_cmd_codebook_show,
                                              &cli_cmd_bench,
                                              &cli_cmd_bench_mf,
                                              &cli_cmd_bench_policies,
                                              &cli_cmd_bench_soak,
                                              &cli_cmd_bench_replay,
                                              &cli_cmd_bench_sim,
                                              &cli_cmd_bench_comm,
                                              &cli_cmd_bench_serve,
                                              &cli_cmd_bench_fuse,
                                              &cli_cmd_bench_ma,
                                              &cli_cmd_bench_lstm,
                                              &cli_cmd_bench_vehicular,
                                              &cli_cmd_train,
                                              &cli_cmd_train_lstm,
                                              &cli_cmd_vehicular,
                                              &cli_cmd_vehicular_teacher,
                                              &cli_cmd_calib,
                                              &cli_cmd_calib_rx,
                                              &cli_cmd_calib_tx,
                                              &cli_cmd_calib_delay,
                                              &cli_cmd_calib_verify,
                                              &cli_cmd_calib_track,
                                              &cli_cmd_node,
                                              &cli_cmd_fuse,
                                              &cli_cmd_keys,
                                              &cli_cmd_info,
                                              NULL};

const struct cli_cmd *cli_command_find(const char *name)
{
    for (const struct cli_cmd *const *c = cli_commands; *c; c++)
        if (!strcmp((*c)->name, name))
            return *c;
    return NULL;
}

const char *cli_subcommand_names(const char *group, char *buf, size_t len)
{
    size_t n = strlen(group), used = 0;
    buf[0] = '\0';
    for (const struct cli_cmd *const *c = cli_commands; *c; c++)
        if (!strncmp((*c)->name, group, n) && (*c)->name[n] == ' ' && used < len) {
            int w = snprintf(buf + used, len - used, "%s%s", used ? ", " : "", (*c)->name + n + 1);
            used += w > 0 ? (size_t)w : 0;
        }
    return buf;
}
