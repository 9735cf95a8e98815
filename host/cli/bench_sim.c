/* isactb bench sim: how fast the emulator renders receive windows (radio/sim), against
 * the floor of filling the same samples with its bare normal generator (docs/bench.md). */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "common/err.h"
#include "common/pool.h"
#include "common/rows.h"
#include "dsp/waveform.h"
#include "sim/sim.h"

static const struct cli_opt BSIM_OPTS[] = {
    CLI_OPT_JSON('j'),
    CLI_OPT_THREADS('T'),
    {"elements", 'm', "M", "elements per AP, 1..64 (default 16: 64 RX channels)"},
    {"cpi", 'L', "L", "probe length in samples, 16..1048576 (default 4096; window L + 256)"},
    {"cpis", 'n', "N", "CPIs to render, 1..1000000 (default 100)"},
    {0}};
const struct cli_cmd cli_cmd_bench_sim = {
    "bench sim",
    NULL,
    "emulator render rate against its bare normal generator (docs/bench.md)",
    BSIM_OPTS,
    NULL,
    "The default scene (one target, leakage, noise) against a bare fill of the same samples\n"
    "by the emulator's normal generator with the same threads."};

struct bsim_args {
    unsigned threads, elements, cpis;
    unsigned long L;
    int json;
};

static int parse(int argc, char **argv, struct bsim_args *a)
{
    unsigned long ul;
    *a = (struct bsim_args){
        .threads = isac_pool_online_cores(), .elements = 16, .cpis = 100, .L = 4096};
    struct cli_parser p;
    cli_parser_init(&p, &cli_cmd_bench_sim, argc, argv);
    for (int c; (c = cli_next(&p)) != CLI_END;) {
        switch (c) {
        case 'j': a->json = 1; break;
        case 'T':
            if (cli_parse_threads("bench sim", p.arg, &a->threads))
                return CLI_EUSAGE;
            break;
        case 'm':
            if (cli_parse_uint("bench sim", "--elements", p.arg, 1, 64, &ul))
                return CLI_EUSAGE;
            a->elements = (unsigned)ul;
            break;
        case 'L':
            if (cli_parse_uint("bench sim", "--cpi", p.arg, 16, 1u << 20, &a->L))
                return CLI_EUSAGE;
            break;
        case 'n':
            if (cli_parse_uint("bench sim", "--cpis", p.arg, 1, 1000000, &ul))
                return CLI_EUSAGE;
            a->cpis = (unsigned)ul;
            break;
        case CLI_HELP: return -1;
        default: return CLI_EUSAGE;
        }
    }
    if (p.next < argc)
        return cli_usage("bench sim", "unexpected argument '%s'", argv[p.next]);
    return CLI_OK;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* ---- the floor: rows of CN(0, 1) from the emulator's generator ---- */

struct fill_ctx {
    float complex **y;
    size_t W;
    uint64_t batch;
};

static void fill_row(void *ctx, unsigned ch)
{
    const struct fill_ctx *f = ctx;
    isac_rng r;
    isac_rng_seed_stream(&r, f->batch, ch);
    isac_sim_normal_fill(&r, f->y[ch], f->W);
}

/* Best seconds to fill C rows of W samples, over 5 batches of >= 50 ms. */
static double floor_time(float complex **y, unsigned C, size_t W, isac_pool pool)
{
    struct fill_ctx f = {y, W, 0};
    double best = 1e30;
    for (int b = 0; b < 5; b++) {
        unsigned reps = 0;
        double t0 = now_s(), el;
        do {
            f.batch++;
            isac_pool_run(pool, C, fill_row, &f);
            reps++;
        } while ((el = now_s() - t0) < 0.05);
        best = fmin(best, el / reps);
    }
    return best;
}

/* ---- the emulator: a burst and a window per CPI, 1 ms apart ---- */

static int render_time(isac_sim s, const float complex *const *x, size_t L, float complex **y,
                       size_t W, unsigned cpis, double *t)
{
    const int64_t step = 20000; /* 1 ms at the default 20 MHz */
    struct isac_radio_rx_md md;
    double best = 1e30;
    int64_t tick = 0;
    for (int b = 0; b < 3; b++) {
        double t0 = now_s();
        for (unsigned k = 0; k < cpis; k++, tick += step) {
            int rc = isac_sim_tx_burst(s, tick, x, L);
            if (rc || (rc = isac_sim_rx_capture(s, tick, y, W, &md)))
                return rc;
        }
        best = fmin(best, (now_s() - t0) / cpis);
    }
    *t = best;
    return ISAC_OK;
}

static int print(const struct bsim_args *a, unsigned C, size_t W, double t_cpi, double t_floor)
{
    double sps = (double)C * W / t_cpi, fsps = (double)C * W / t_floor;
    if (!a->json) {
        printf("emulator: %u elements/AP (%u RX channels), CPI %lu, window %zu, %u threads: "
               "%.3f ms per CPI, %.1f MS/s; normal-generator floor %.1f MS/s; ratio %.2f\n",
               a->elements, C, a->L, W, a->threads, 1e3 * t_cpi, sps / 1e6, fsps / 1e6, fsps / sps);
        return CLI_OK;
    }
    json_t *o =
        json_pack("{s:i,s:i,s:I,s:I,s:i,s:i,s:f,s:f,s:f,s:f}", "elements", (json_int_t)a->elements,
                  "channels", (json_int_t)C, "cpi", (json_int_t)a->L, "window", (json_int_t)W,
                  "threads", (json_int_t)a->threads, "cpis", (json_int_t)a->cpis, "seconds_per_cpi",
                  t_cpi, "samples_per_s", sps, "floor_samples_per_s", fsps, "ratio", fsps / sps);
    char *s = o ? json_dumps(o, JSON_COMPACT | JSON_REAL_PRECISION(6)) : NULL;
    json_decref(o);
    if (!s)
        return cli_runtime_error("bench sim", "cannot build the JSON output");
    puts(s);
    free(s);
    return CLI_OK;
}

int bench_sim(int argc, char **argv)
{
    struct bsim_args a;
    int rc = parse(argc, argv, &a);
    if (rc)
        return rc < 0 ? CLI_OK : rc;
    struct isac_sim_params p;
    isac_sim_params_default(&p);
    p.elements = a.elements;
    p.threads = a.threads;
    p.cpi = (unsigned)a.L;
    isac_sim s = isac_sim_create(&p);
    isac_pool pool = isac_pool_create(a.threads);
    size_t L = a.L, W = L + 256;
    unsigned C = 4 * a.elements; /* ISAC_SIM_NUM_RX_APS receive APs */
    float complex **x = isac_rows_alloc(a.elements, L), **y = isac_rows_alloc(C, W);
    struct isac_waveform_params wp = {
        .kind = ISAC_WAVEFORM_LFM, .length = (unsigned)L, .bandwidth = 0.8};
    if (!s || !pool || !x || !y || isac_waveform_generate(&wp, x[0]) != ISAC_OK) {
        rc = cli_runtime_error("bench sim", "cannot set up the emulator (out of memory)");
        goto done;
    }
    /* a broadside beam: every element radiates the probe / sqrt(M) */
    for (size_t i = 0; i < L; i++)
        x[0][i] /= sqrtf((float)a.elements);
    for (unsigned c = 1; c < a.elements; c++)
        memcpy(x[c], x[0], L * sizeof *x[c]);
    double t_cpi, t_floor;
    int erc = render_time(s, (const float complex *const *)x, L, y, W, a.cpis, &t_cpi);
    if (erc) {
        rc = cli_runtime_error("bench sim", "emulator: %s", isac_sim_last_error(s));
        goto done;
    }
    t_floor = floor_time(y, C, W, pool);
    rc = print(&a, C, W, t_cpi, t_floor);
done:
    isac_rows_free(x, a.elements);
    isac_rows_free(y, C);
    isac_pool_destroy(pool);
    isac_sim_destroy(s);
    return rc;
}
