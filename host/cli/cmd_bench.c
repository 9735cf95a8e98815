/* isactb bench mf: throughput of the receive chain (matched filter + GLRT range
 * profile) against the bare-FFT floor. docs/bench.md documents the fields.
 *
 * The kernels and their timing live in host/bench/bench.h; this file parses the
 * options and prints.
 *
 * Per CPI of probe length L and C receive channels:
 *   (a) isac_mf_execute_multi() over the C channels (capture window W = 2L: the probe plus
 *       an equally long listening window, K = L + 1 range bins, FFT size N = 2L), then
 *       isac_glrt_profile() at every range bin for one angle hypothesis per receive AP, the
 *       C channels grouped into APs of min(C, 4) elements (C = 16 -> 4 APs of 4);
 *   (b) the floor: one in-place forward and one inverse FFTW transform of size N per
 *       channel (each channel on its own buffer), nothing else.
 * Both use FFTW_MEASURE plans. Each figure is the best (minimum) per-CPI time over
 * several timed batches of >= batch_s each (CLOCK_MONOTONIC), batches alternating
 * between (a) and (b): the minimum rejects bursts of load from other processes,
 * which on a shared machine otherwise dominate the spread.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/bench.h"
#include "cli/cli.h"
#include "cli/cmd_highway.h"
#include "cli/cmd_vehicular.h"
#include "cli/cli_serve.h"
#include "common/err.h"

int bench_ma(int argc, char **argv); /* host/cli/bench_ma.c: isactb bench ma */

const struct cli_cmd cli_cmd_bench = {
    "bench",
    "NAME ...",
    "benchmarks: throughput, policies, soak, replay, emulator, comm, live view",
    NULL,
    NULL,
    "docs/bench.md documents every field and measured numbers."};

static const struct cli_opt MF_OPTS[] = {
    CLI_OPT_JSON('j'),
    {"quick", 'q', NULL, "C in {1,4}, L in {1024,4096} and short timing (default: the full table)"},
    {0}};
const struct cli_cmd cli_cmd_bench_mf = {
    "bench mf",
    NULL,
    "matched filter + GLRT range profile against bare FFTs, and grid-search rates",
    MF_OPTS,
    NULL,
    "C in {1,4,8,16} channels, CPI lengths L = 1024..65536 (capture window 2L, FFT size 2L)."};

/* ---- output ---- */

static int print_json(const struct isac_bench_row *rows, size_t n,
                      const struct isac_bench_grid_row *grows, size_t ng)
{
    json_t *root = json_object(), *arr = json_array();
    if (!root || !arr)
        return -1;
    for (size_t i = 0; i < n; i++) {
        const struct isac_bench_row *r = &rows[i];
        json_t *o = json_pack("{s:i, s:i, s:f, s:f, s:f}", "channels", (json_int_t)r->C, "cpi",
                              (json_int_t)r->L, "msamples_per_s", isac_bench_msps(r, r->t_mf),
                              "fft_floor_msamples_per_s", isac_bench_msps(r, r->t_floor), "ratio",
                              r->t_mf / r->t_floor);
        if (!o || json_array_append_new(arr, o))
            return -1;
    }
    for (size_t i = 0; i < ng; i++) {
        const struct isac_bench_grid_row *r = &grows[i];
        json_t *o = json_pack("{s:i, s:i, s:I, s:f}", "channels", (json_int_t)r->C, "cpi",
                              (json_int_t)r->L, "grid_cells", (json_int_t)r->cells,
                              "grid_cells_per_s", (double)r->cells / r->t);
        if (!o || json_array_append_new(arr, o))
            return -1;
    }
    json_object_set_new(root, "rows", arr);
    char *s = json_dumps(root, JSON_COMPACT | JSON_REAL_PRECISION(6));
    json_decref(root);
    if (!s)
        return -1;
    puts(s);
    free(s);
    return 0;
}

static void print_table_header(void)
{
    printf("%8s %7s %14s %14s %7s\n", "channels", "cpi", "MF+GLRT Msps", "FFT floor Msps", "ratio");
}

static void print_table_row(const struct isac_bench_row *r)
{
    printf("%8u %7zu %14.1f %14.1f %7.3f\n", r->C, r->L, isac_bench_msps(r, r->t_mf),
           isac_bench_msps(r, r->t_floor), r->t_mf / r->t_floor);
    fflush(stdout);
}

static int bench_mf(int argc, char **argv)
{
    int json = 0, quick = 0;
    struct cli_parser p;
    cli_parser_init(&p, &cli_cmd_bench_mf, argc, argv);
    for (int c; (c = cli_next(&p)) != CLI_END;) {
        switch (c) {
        case 'j': json = 1; break;
        case 'q': quick = 1; break;
        case CLI_HELP: return CLI_OK;
        default: return CLI_EUSAGE;
        }
    }
    if (p.next < argc)
        return cli_usage("bench mf", "unexpected argument '%s'", argv[p.next]);

    static const unsigned Cs_full[] = {1, 4, 8, 16}, Cs_quick[] = {1, 4};
    static const size_t Ls_full[] = {1024, 2048, 4096, 8192, 16384, 32768, 65536},
                        Ls_quick[] = {1024, 4096};
    const unsigned *Cs = quick ? Cs_quick : Cs_full;
    const size_t *Ls = quick ? Ls_quick : Ls_full;
    size_t nC = quick ? 2 : 4, nL = quick ? 2 : 7;
    struct isac_bench_cfg cfg =
        quick ? (struct isac_bench_cfg){0.005, 3} : (struct isac_bench_cfg){0.05, 7};
    struct isac_bench_row rows[4 * 7];
    size_t n = 0;
    if (!json)
        print_table_header();
    for (size_t i = 0; i < nC; i++)
        for (size_t j = 0; j < nL; j++) {
            int rc = isac_bench_mf_row(Cs[i], Ls[j], &cfg, &rows[n]);
            if (rc != ISAC_OK)
                return cli_runtime_error("bench mf", "C=%u L=%zu: %s", Cs[i], Ls[j],
                                         isac_strerror(rc));
            if (!json)
                print_table_row(&rows[n]);
            n++;
        }
    if (!json)
        printf("(ratio = time(MF + GLRT) / time(bare FFTs); capture window 2L, FFT size 2L)\n");
    static const unsigned sides_full[] = {100, 200, 400}, sides_quick[] = {100};
    const unsigned *sides = quick ? sides_quick : sides_full;
    size_t ns = quick ? 1 : 3;
    struct isac_bench_grid_row grows[3];
    if (!json)
        printf("\n%8s %7s %10s %16s   (grid search: %u receive APs x %u elements)\n", "channels",
               "cpi", "cells", "grid cells/s", ISAC_BENCH_GRID_APS, ISAC_BENCH_GRID_M);
    for (size_t i = 0; i < ns; i++) {
        int rc = isac_bench_grid_row(sides[i], &cfg, &grows[i]);
        if (rc != ISAC_OK)
            return cli_runtime_error("bench mf", "grid %ux%u: %s", sides[i], sides[i],
                                     isac_strerror(rc));
        if (!json) {
            printf("%8u %7zu %10zu %16.4g\n", grows[i].C, grows[i].L, grows[i].cells,
                   (double)grows[i].cells / grows[i].t);
            fflush(stdout);
        }
    }
    if (json && print_json(rows, n, grows, ns))
        return cli_runtime_error("bench mf", "cannot build the JSON output");
    return CLI_OK;
}

int bench_lstm(int argc, char **argv); /* host/cli/bench_lstm.c */

int cmd_bench(int argc, char **argv)
{
    /* a missing or unknown name lists every bench of the tables (host/cli/cli_commands.c) */
    int rc = cli_group(&cli_cmd_bench, argc, argv);
    if (rc >= 0)
        return rc;
    if (!strcmp(argv[1], "lstm")) /* host/cli/bench_lstm.c */
        return bench_lstm(argc - 1, argv + 1);
    if (!strcmp(argv[1], "mf"))
        return bench_mf(argc - 1, argv + 1);
    if (!strcmp(argv[1], "soak"))
        return bench_soak(argc - 1, argv + 1);
    if (!strcmp(argv[1], "fuse")) /* host/cli/bench_fuse.c */
        return bench_fuse(argc - 1, argv + 1);
    if (!strcmp(argv[1], "policies")) /* host/cli/cmd_bench_policies.c */
        return bench_policies(argc - 1, argv + 1);
    if (!strcmp(argv[1], "serve")) /* host/cli/bench_serve.c */
        return bench_serve(argc - 1, argv + 1);
    if (!strcmp(argv[1], "vehicular")) /* host/cli/bench_vehicular.c */
        return bench_vehicular(argc - 1, argv + 1);
    if (!strcmp(argv[1], "comm")) /* host/cli/cmd_highway.c */
        return bench_comm(argc - 1, argv + 1);
    if (!strcmp(argv[1], "replay")) /* host/cli/bench_replay.c */
        return bench_replay(argc - 1, argv + 1);
    if (!strcmp(argv[1], "sim")) /* host/cli/bench_sim.c */
        return bench_sim(argc - 1, argv + 1);
    if (!strcmp(argv[1], "ma")) /* host/cli/bench_ma.c */
        return bench_ma(argc - 1, argv + 1);
    return cli_runtime_error("bench", "%s: listed in the tables but not dispatched", argv[1]);
}
