/* isactb bench soak: a long closed-loop run of the real pipeline on the emulator, for
 * leaks and throughput (docs/reliability.md, "Soak"; docs/bench.md).
 *
 * Every CPI is one pipeline_step() (TX burst -> RX window -> MF -> cancellation -> noise
 * estimate -> grid GLRT -> P_D) with the policy choosing beams; an episode (new scene)
 * starts after max_steps CPIs or a detection. Nothing accumulates per CPI by design (no
 * JSON log, no recording), so the process's memory must be flat: the heap in use
 * (mallinfo2) and the resident set are sampled after a warm-up and at the end, and
 * --max-heap-growth-kb / --max-rss-growth-kb turn growth beyond a bound into exit 3. The default
 * configuration is reduced (4 elements per AP, a 256-sample probe, a 20 m grid) so that 100,000
 * CPIs take minutes, and injects drops and overflows (1 % each) so their path is soaked too.
 */
#include <getopt.h>
#include <jansson.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "common/err.h"
#include "engine/episode.h"
#include "engine/pipeline.h"
#include "engine/run.h"
#include "policy/policy.h"

static const char *const SOAK_USAGE =
    "usage: isactb bench soak [--cpis N] [--warmup N] [--config FILE] [--radio SPEC]\n"
    "                         [--max-heap-growth-kb K] [--max-rss-growth-kb K] [--json]\n"
    "  N CPIs (default 100000) of the closed loop on a reduced emulated configuration;\n"
    "  reports throughput and memory after warm-up (default 200 CPIs) and at the end.\n"
    "  --max-heap-growth-kb / --max-rss-growth-kb: exit 3 when the heap in use\n"
    "  (mallinfo2, exact) or the resident set (page-granular, noisier) grew by more.\n"
    "  --inject-leak BYTES: leak BYTES per CPI on purpose (proves the check fails).\n";

#define SOAK_RADIO "sim:elements=4,drop_rate=0.01,overflow_rate=0.01"

static void soak_defaults(struct exp_config *c)
{
    exp_config_defaults(c);
    snprintf(c->radio, sizeof c->radio, "%s", SOAK_RADIO);
    c->beams = 8;
    c->max_steps = 16;
    c->waveform.length = 256;
    c->window_guard = 256;
    c->noise_bins = 64;
    c->grid.spacing_m = 20;
}

struct mem {
    long rss_kb;  /* resident set (/proc/self/statm) */
    long heap_kb; /* malloc'd bytes in use, arena + mmap (mallinfo2) */
};

static struct mem mem_now(void)
{
    struct mem m = {-1, -1};
    FILE *f = fopen("/proc/self/statm", "r");
    long size, res;
    if (f && fscanf(f, "%ld %ld", &size, &res) == 2)
        m.rss_kb = res * (sysconf(_SC_PAGESIZE) / 1024);
    if (f)
        fclose(f);
    struct mallinfo2 mi = mallinfo2();
    m.heap_kb = (long)((mi.uordblks + mi.hblkhd) / 1024);
    return m;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

struct soak_args {
    unsigned long cpis, warmup, max_heap_kb, max_rss_kb, leak;
    int json, check_heap, check_rss;
    const char *config, *radio;
};

static int parse(int argc, char **argv, struct soak_args *a)
{
    static const struct option opts[] = {{"cpis", required_argument, 0, 'n'},
                                         {"warmup", required_argument, 0, 'w'},
                                         {"config", required_argument, 0, 'c'},
                                         {"radio", required_argument, 0, 'r'},
                                         {"max-heap-growth-kb", required_argument, 0, 'g'},
                                         {"max-rss-growth-kb", required_argument, 0, 'G'},
                                         {"json", no_argument, 0, 'j'},
                                         {"inject-leak", required_argument, 0, 'L'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    int c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
        switch (c) {
        case 'n':
            if (cli_parse_uint("bench soak", "--cpis", optarg, 1, 100000000, &a->cpis))
                return CLI_EUSAGE;
            break;
        case 'w':
            if (cli_parse_uint("bench soak", "--warmup", optarg, 0, 1000000, &a->warmup))
                return CLI_EUSAGE;
            break;
        case 'g':
            if (cli_parse_uint("bench soak", "--max-heap-growth-kb", optarg, 0, 100000000,
                               &a->max_heap_kb))
                return CLI_EUSAGE;
            a->check_heap = 1;
            break;
        case 'G':
            if (cli_parse_uint("bench soak", "--max-rss-growth-kb", optarg, 0, 100000000,
                               &a->max_rss_kb))
                return CLI_EUSAGE;
            a->check_rss = 1;
            break;
        case 'L':
            if (cli_parse_uint("bench soak", "--inject-leak", optarg, 1, 1 << 20, &a->leak))
                return CLI_EUSAGE;
            break;
        case 'c': a->config = optarg; break;
        case 'r': a->radio = optarg; break;
        case 'j': a->json = 1; break;
        case 'h': fputs(SOAK_USAGE, stdout); return -1;
        case ':': return cli_usage("bench soak", "option '%s' needs a value", argv[optind - 1]);
        default: return cli_usage("bench soak", "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind < argc)
        return cli_usage("bench soak", "unexpected argument '%s'", argv[optind]);
    if (a->warmup >= a->cpis)
        return cli_usage("bench soak", "--warmup %lu must be below --cpis %lu", a->warmup, a->cpis);
    return 0;
}

/* The soak's view of the engine's loop: CPI count, memory probes, the injected leak. */
struct soak_ctx {
    const struct soak_args *a;
    episode_engine e;
    unsigned long done;     /* CPIs so far */
    uint64_t last_episode;  /* episode of the last CPI */
    uint64_t dropped;       /* samples dropped */
    struct mem m0;          /* after the warm-up */
    double t0;
    int64_t tick0;
    void *volatile leak_sink; /* the last injected leak (--inject-leak) */
};

static void soak_mark(struct soak_ctx *x)
{
    x->m0 = mem_now();
    x->t0 = now_s();
    x->tick0 = episode_engine_status(x->e)->tick;
}

static int soak_should_stop(void *ctx)
{
    const struct soak_ctx *x = ctx;
    return x->done >= x->a->cpis;
}

static void soak_on_step(void *ctx, const struct episode_cpi *c)
{
    struct soak_ctx *x = ctx;
    x->done++;
    x->last_episode = c->episode;
    x->dropped += c->res->dropped;
    if (x->done == x->a->warmup)
        soak_mark(x);
    else if (x->done > x->a->warmup && x->a->leak) {
        /* the self-test of the memory check: a real per-CPI leak, touched so that it
         * is resident; kept in the context (and overwritten) so that the compiler cannot
         * drop the allocation as unused */
        char *leak = malloc(x->a->leak);
        if (leak)
            memset(leak, 1, x->a->leak);
        x->leak_sink = leak;
    }
}

static void report(const struct soak_args *a, const struct exp_config *cfg, double secs,
                   double air_s, struct mem m0, struct mem m1, const struct soak_ctx *L)
{
    long drss = m1.rss_kb - m0.rss_kb, dheap = m1.heap_kb - m0.heap_kb;
    unsigned long n = a->cpis - a->warmup;
    if (a->json) {
        json_t *o = json_pack(
            "{s:s,s:I,s:I,s:f,s:f,s:f,s:I,s:I,s:I,s:I,s:f,s:I,s:I}", "radio", cfg->radio, "cpis",
            (json_int_t)a->cpis, "warmup", (json_int_t)a->warmup, "seconds", secs, "cpis_per_s",
            (double)n / secs, "realtime_factor", air_s / secs, "rss_kb_start",
            (json_int_t)m0.rss_kb, "rss_kb_end", (json_int_t)m1.rss_kb, "heap_kb_start",
            (json_int_t)m0.heap_kb, "heap_kb_end", (json_int_t)m1.heap_kb, "heap_bytes_per_cpi",
            1024.0 * (double)dheap / (double)n, "episodes", (json_int_t)(L->last_episode + 1),
            "dropped_samples", (json_int_t)L->dropped);
        json_dumpf(o, stdout, JSON_COMPACT);
        putchar('\n');
        json_decref(o);
    }
    fprintf(stderr,
            "isactb bench soak: %lu CPIs (after %lu warm-up) in %.1f s: %.0f CPI/s, %.1fx real "
            "time; RSS %ld -> %ld KiB (%+ld), heap %ld -> %ld KiB (%+ld); %llu episodes, %llu "
            "samples dropped\n",
            n, a->warmup, secs, (double)n / secs, air_s / secs, m0.rss_kb, m1.rss_kb, drss,
            m0.heap_kb, m1.heap_kb, dheap, (unsigned long long)(L->last_episode + 1),
            (unsigned long long)L->dropped);
}

/* The soak's rules: every CPI a search (no confirmation dwell), an episode ends at
 * max_steps CPIs or at a declaration the policy may stop on, the next scene is drawn
 * with the clock running on. The policy keeps its default options (policy_opts_defaults),
 * as the soak always did: it soaks the loop, not the policy's P_D model. */
static void soak_rules(const struct exp_config *cfg, struct episode_rules *r)
{
    episode_rules_from_config(r, cfg);
    r->confirm_radius_m = 0;
    r->end = EPISODE_END_DECLARED;
    r->start = EPISODE_START_NEXT_SCENE;
}

static int soak_check(const struct soak_args *a, long dheap, long drss)
{
    if (a->check_heap && dheap > (long)a->max_heap_kb)
        return cli_runtime_error("bench soak",
                                 "heap in use grew by %ld KiB over %lu CPIs (limit %lu KiB)",
                                 dheap, a->cpis - a->warmup, a->max_heap_kb);
    if (a->check_rss && drss > (long)a->max_rss_kb)
        return cli_runtime_error("bench soak",
                                 "resident set grew by %ld KiB over %lu CPIs (limit %lu KiB)",
                                 drss, a->cpis - a->warmup, a->max_rss_kb);
    return CLI_OK;
}

static int soak_run(const struct soak_args *a, struct exp_config *cfg, radio r, codebook cb)
{
    char err[512] = "";
    struct radio_info info;
    radio_get_info(r, &info);
    if (!policy_name_known(cfg->policy))
        return cli_input_error("bench soak", "policy '%s' unknown", cfg->policy);
    struct episode_rules rules;
    soak_rules(cfg, &rules);
    struct policy_args pa;
    policy_args_defaults(&pa, codebook_size(cb), cfg->seed);
    pipeline p = pipeline_create(cfg, &info, cb, cfg->pfa, err, sizeof err);
    policy pol = p ? policy_create_named(cfg->policy, &pa) : NULL;
    struct soak_ctx x = {.a = a};
    x.e = pol ? episode_engine_create(p, r, cb, cfg, &rules, err, sizeof err) : NULL;
    int out = CLI_OK;
    if (!x.e) {
        out = cli_input_error("bench soak", "%s", err[0] ? err : "cannot create the policy");
    } else {
        const struct episode_hooks h = {
            .ctx = &x, .should_stop = soak_should_stop, .on_step = soak_on_step};
        if (!a->warmup)
            soak_mark(&x);
        int rc = episode_run_episodes(x.e, pol, 0, 0, &h, err, sizeof err);
        double secs = now_s() - x.t0;
        struct mem m1 = mem_now();
        if (rc != EPISODE_STOPPED) {
            out = cli_runtime_error("bench soak", "%s", err);
        } else {
            int64_t air = episode_engine_status(x.e)->tick - x.tick0;
            report(a, cfg, secs, (double)air / info.sample_rate, x.m0, m1, &x);
            out = soak_check(a, m1.heap_kb - x.m0.heap_kb, m1.rss_kb - x.m0.rss_kb);
        }
    }
    episode_engine_destroy(x.e);
    policy_destroy(pol);
    pipeline_destroy(p);
    return out;
}

int bench_soak(int argc, char **argv)
{
    struct soak_args a = {.cpis = 100000, .warmup = 200};
    int rc = parse(argc, argv, &a);
    if (rc)
        return rc < 0 ? CLI_OK : rc;
    struct exp_config cfg;
    char err[512] = "";
    soak_defaults(&cfg);
    if (a.config && exp_config_load(a.config, &cfg, err, sizeof err))
        return cli_input_error("bench soak", "%s", err);
    if (a.radio)
        snprintf(cfg.radio, sizeof cfg.radio, "%s", a.radio);
    if (exp_config_validate(&cfg, "bench soak", err, sizeof err))
        return cli_usage("bench soak", "%s", err);
    radio r = NULL;
    if ((rc = cli_radio_open("bench soak", cfg.radio, a.radio != NULL, &r)))
        return rc;
    struct radio_info info;
    radio_get_info(r, &info);
    codebook cb = exp_codebook(&cfg, &info, err, sizeof err);
    if (!cb)
        rc = cli_input_error("bench soak", "%s", err);
    else
        rc = soak_run(&a, &cfg, r, cb);
    codebook_destroy(cb);
    radio_close(r);
    return rc;
}
