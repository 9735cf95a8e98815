/* isactb bench soak: a long closed-loop run of the real pipeline on the emulator, for
 * leaks and throughput (docs/reliability.md, "Soak"; docs/bench.md). The loop and the
 * memory probes are host/engine/soak.h; this file parses the options, prints and checks.
 *
 * Every CPI is one isac_pipeline_step() (TX burst -> RX window -> MF -> cancellation -> noise
 * estimate -> grid GLRT -> P_D) with the policy choosing beams; an episode (new scene)
 * starts after max_steps CPIs or a detection. Nothing accumulates per CPI by design (no
 * JSON log, no recording), so the process's memory must be flat: the heap in use
 * (mallinfo2) and the resident set are sampled after a warm-up and at the end, and
 * --max-heap-growth-kb / --max-rss-growth-kb turn growth beyond a bound into exit 3. The default
 * configuration is reduced (4 elements per AP, a 256-sample probe, a 20 m grid) so that 100,000
 * CPIs take minutes, and injects drops and overflows (1 % each) so their path is soaked too.
 */
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "common/err.h"
#include "engine/run.h"
#include "engine/soak.h"

static const struct cli_opt SOAK_OPTS[] = {
    {"cpis", 'n', "N", "CPIs of the closed loop, 1..100000000 (default 100000)"},
    {"warmup", 'w', "N", "CPIs before the first memory sample, below --cpis (default 200)"},
    CLI_OPT_CONFIG('c'),
    CLI_OPT_RADIO('r'),
    {"max-heap-growth-kb", 'g', "K",
     "exit 3 when the heap in use (mallinfo2) grew by more than K kB"},
    {"max-rss-growth-kb", 'G', "K", "exit 3 when the resident set grew by more than K kB"},
    CLI_OPT_JSON('j'),
    {"inject-leak", 'L', "BYTES", "leak BYTES per CPI on purpose, 1..1048576 (proves the check)"},
    {0}};
const struct cli_cmd cli_cmd_bench_soak = {
    "bench soak",
    NULL,
    "a long closed-loop run on the emulator: leaks and throughput",
    SOAK_OPTS,
    NULL,
    "The default configuration is reduced (4 elements per AP, 256-sample probe, 20 m grid)\n"
    "and injects 1 % drops and overflows (docs/reliability.md, docs/bench.md)."};

struct soak_args {
    unsigned long cpis, warmup, max_heap_kb, max_rss_kb, leak;
    int json, check_heap, check_rss;
    const char *config, *radio;
};

static int parse(int argc, char **argv, struct soak_args *a)
{
    struct cli_parser p;
    cli_parser_init(&p, &cli_cmd_bench_soak, argc, argv);
    for (int c; (c = cli_next(&p)) != CLI_END;) {
        switch (c) {
        case 'n':
            if (cli_parse_uint("bench soak", "--cpis", p.arg, 1, 100000000, &a->cpis))
                return CLI_EUSAGE;
            break;
        case 'w':
            if (cli_parse_uint("bench soak", "--warmup", p.arg, 0, 1000000, &a->warmup))
                return CLI_EUSAGE;
            break;
        case 'g':
            if (cli_parse_uint("bench soak", "--max-heap-growth-kb", p.arg, 0, 100000000,
                               &a->max_heap_kb))
                return CLI_EUSAGE;
            a->check_heap = 1;
            break;
        case 'G':
            if (cli_parse_uint("bench soak", "--max-rss-growth-kb", p.arg, 0, 100000000,
                               &a->max_rss_kb))
                return CLI_EUSAGE;
            a->check_rss = 1;
            break;
        case 'L':
            if (cli_parse_uint("bench soak", "--inject-leak", p.arg, 1, 1 << 20, &a->leak))
                return CLI_EUSAGE;
            break;
        case 'c': a->config = p.arg; break;
        case 'r': a->radio = p.arg; break;
        case 'j': a->json = 1; break;
        case CLI_HELP: return -1;
        default: return CLI_EUSAGE;
        }
    }
    if (p.next < argc)
        return cli_usage("bench soak", "unexpected argument '%s'", argv[p.next]);
    if (a->warmup >= a->cpis)
        return cli_usage("bench soak", "--warmup %lu must be below --cpis %lu", a->warmup, a->cpis);
    return 0;
}

static void report(const struct soak_args *a, const struct isac_exp_config *cfg,
                   const struct isac_exp_soak_result *res)
{
    const double secs = res->secs, air_s = res->air_s;
    const struct isac_exp_soak_mem m0 = res->m0, m1 = res->m1;
    long drss = m1.rss_kb - m0.rss_kb, dheap = m1.heap_kb - m0.heap_kb;
    unsigned long n = a->cpis - a->warmup;
    if (a->json) {
        json_t *o = json_pack(
            "{s:s,s:I,s:I,s:f,s:f,s:f,s:I,s:I,s:I,s:I,s:f,s:I,s:I}", "radio", cfg->radio, "cpis",
            (json_int_t)a->cpis, "warmup", (json_int_t)a->warmup, "seconds", secs, "cpis_per_s",
            (double)n / secs, "realtime_factor", air_s / secs, "rss_kb_start",
            (json_int_t)m0.rss_kb, "rss_kb_end", (json_int_t)m1.rss_kb, "heap_kb_start",
            (json_int_t)m0.heap_kb, "heap_kb_end", (json_int_t)m1.heap_kb, "heap_bytes_per_cpi",
            1024.0 * (double)dheap / (double)n, "episodes", (json_int_t)res->episodes,
            "dropped_samples", (json_int_t)res->dropped);
        json_dumpf(o, stdout, JSON_COMPACT);
        putchar('\n');
        json_decref(o);
    }
    fprintf(stderr,
            "isactb bench soak: %lu CPIs (after %lu warm-up) in %.1f s: %.0f CPI/s, %.1fx real "
            "time; RSS %ld -> %ld KiB (%+ld), heap %ld -> %ld KiB (%+ld); %llu episodes, %llu "
            "samples dropped\n",
            n, a->warmup, secs, (double)n / secs, air_s / secs, m0.rss_kb, m1.rss_kb, drss,
            m0.heap_kb, m1.heap_kb, dheap, (unsigned long long)res->episodes,
            (unsigned long long)res->dropped);
}

static int soak_check(const struct soak_args *a, long dheap, long drss)
{
    if (a->check_heap && dheap > (long)a->max_heap_kb)
        return cli_runtime_error("bench soak",
                                 "heap in use grew by %ld KiB over %lu CPIs (limit %lu KiB)", dheap,
                                 a->cpis - a->warmup, a->max_heap_kb);
    if (a->check_rss && drss > (long)a->max_rss_kb)
        return cli_runtime_error("bench soak",
                                 "resident set grew by %ld KiB over %lu CPIs (limit %lu KiB)", drss,
                                 a->cpis - a->warmup, a->max_rss_kb);
    return CLI_OK;
}

/* SIGINT/SIGTERM: the soak ends after the current CPI (docs/reliability.md, "Signals"). */
static volatile int soak_stop;
static void soak_on_signal(int sig)
{
    soak_stop = sig;
}

static int soak_run(const struct soak_args *a, struct isac_exp_config *cfg, isac_radio r,
                    isac_codebook cb)
{
    char err[512] = "";
    const struct isac_exp_soak_opts o = {a->cpis, a->warmup, a->leak, &soak_stop};
    struct isac_exp_soak_result res;
    soak_stop = 0;
    signal(SIGINT, soak_on_signal);
    signal(SIGTERM, soak_on_signal);
    int rc = isac_exp_soak_run(&o, cfg, r, cb, &res, err, sizeof err);
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    if (rc == ISAC_EXP_SOAK_STOPPED || (rc != ISAC_EXP_SOAK_EINPUT && soak_stop)) {
        fprintf(stderr,
                "isactb bench soak: interrupted by %s after %lu of %lu CPIs: nothing kept (the "
                "soak writes no files; memory not judged)\n",
                soak_stop == SIGTERM ? "SIGTERM" : "SIGINT",
                rc == ISAC_EXP_SOAK_STOPPED ? res.cpis : 0, a->cpis);
        return 128 + (soak_stop ? soak_stop : SIGINT);
    }
    if (rc == ISAC_EXP_SOAK_EINPUT)
        return cli_input_error("bench soak", "%s", err);
    if (rc != ISAC_EXP_SOAK_OK)
        return cli_runtime_error("bench soak", "%s", err);
    report(a, cfg, &res);
    return soak_check(a, res.m1.heap_kb - res.m0.heap_kb, res.m1.rss_kb - res.m0.rss_kb);
}

int bench_soak(int argc, char **argv)
{
    struct soak_args a = {.cpis = 100000, .warmup = 200};
    int rc = parse(argc, argv, &a);
    if (rc)
        return rc < 0 ? CLI_OK : rc;
    struct isac_exp_config cfg;
    char err[512] = "";
    isac_exp_soak_config_defaults(&cfg);
    if (a.config && isac_exp_config_load(a.config, &cfg, err, sizeof err))
        return cli_input_error("bench soak", "%s", err);
    if (a.radio)
        snprintf(cfg.radio, sizeof cfg.radio, "%s", a.radio);
    if (isac_exp_config_validate(&cfg, "bench soak", err, sizeof err))
        return cli_usage("bench soak", "%s", err);
    isac_radio r = NULL;
    if ((rc = cli_radio_open("bench soak", cfg.radio, a.radio != NULL, &r)))
        return rc;
    struct isac_radio_info info;
    isac_radio_get_info(r, &info);
    isac_codebook cb = isac_exp_codebook(&cfg, &info, err, sizeof err);
    if (!cb)
        rc = cli_input_error("bench soak", "%s", err);
    else
        rc = soak_run(&a, &cfg, r, cb);
    isac_codebook_destroy(cb);
    isac_radio_close(r);
    return rc;
}
