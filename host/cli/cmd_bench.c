/* isactb bench mf: throughput of the receive chain (matched filter + GLRT range
 * profile) against the bare-FFT floor. docs/bench.md documents the fields.
 *
 * Per CPI of probe length L and C receive channels:
 *   (a) mf_execute_multi() over the C channels (capture window W = 2L: the probe plus
 *       an equally long listening window, K = L + 1 range bins, FFT size N = 2L), then
 *       glrt_profile() at every range bin for one angle hypothesis per receive AP, the
 *       C channels grouped into APs of min(C, 4) elements (C = 16 -> 4 APs of 4);
 *   (b) the floor: one in-place forward and one inverse FFTW transform of size N per
 *       channel (each channel on its own buffer), nothing else.
 * Both use FFTW_MEASURE plans. Each figure is the best (minimum) per-CPI time over
 * several timed batches of >= batch_s each (CLOCK_MONOTONIC), batches alternating
 * between (a) and (b): the minimum rejects bursts of load from other processes,
 * which on a shared machine otherwise dominate the spread.
 */
#include <complex.h>
#include <fftw3.h>
#include <getopt.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "common/err.h"
#include "common/rng.h"
#include "array/array.h"
#include "detect/glrt.h"
#include "detect/grid.h"
#include "array/geom.h"
#include "dsp/mf.h"
#include "dsp/waveform.h"

/* The benchmarks' synthetic arrays: no radio is involved, and element positions do not
 * change the cost of the MF, GLRT or grid, so a half-wavelength ULA stands for any. */
static array bench_array(unsigned M)
{
    return array_create_ula(M, 0.5);
}

static const char *const BENCH_USAGE =
    "usage: isactb bench mf [--json] [--quick]\n"
    "  Matched filter + GLRT range profile vs bare FFTs, for C in {1,4,8,16} channels\n"
    "  and CPI lengths L = 1024..65536 (--quick: C in {1,4}, L in {1024,4096}, short\n"
    "  timing). --json prints one JSON object on stdout (docs/bench.md).\n"
    "       isactb bench soak [--cpis N] ...   long closed-loop run: leaks and throughput\n"
    "  (isactb bench soak --help; docs/reliability.md).\n";

#define BENCH_AP_SIZE 4u /* receive AP size: channels are grouped into APs of min(C, 4) */

struct bench_cfg {
    double batch_s; /* minimum duration of one timed batch */
    int batches;    /* timed batches per figure (minimum taken), <= 16 */
};

struct bench_row {
    unsigned C;
    size_t L;
    double t_mf, t_floor; /* seconds per CPI */
};

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* ---- the two workloads ---- */

struct mf_work {
    unsigned C, N_ap;
    mf q;
    glrt g;
    float complex **x, **z;          /* C channels */
    const float complex **zp_flat;   /* C pointers, grouped per AP below */
    const float complex *const **zp; /* zp[n] = &zp_flat[n * Mg] */
    float complex **a;               /* N_ap steering vectors */
    double *sigma2;
    float *lambda;
};

struct fft_work {
    unsigned C;
    fftwf_plan fwd, inv;
    fftwf_complex **buf;
};

static void mf_work_free(struct mf_work *w)
{
    mf_destroy(w->q);
    glrt_destroy(w->g);
    for (unsigned c = 0; w->x && c < w->C; c++)
        fftwf_free(w->x[c]);
    for (unsigned c = 0; w->z && c < w->C; c++)
        fftwf_free(w->z[c]);
    for (unsigned n = 0; w->a && n < w->N_ap; n++)
        free(w->a[n]);
    free(w->x);
    free(w->z);
    free(w->a);
    free((void *)w->zp_flat);
    free((void *)w->zp);
    free(w->sigma2);
    free(w->lambda);
}

static int mf_work_init(struct mf_work *w, unsigned C, size_t L, isac_rng *rng)
{
    memset(w, 0, sizeof *w);
    const unsigned Mg = C < BENCH_AP_SIZE ? C : BENCH_AP_SIZE;
    const size_t W = 2 * L, K = L + 1;
    w->C = C;
    w->N_ap = C / Mg;
    struct waveform_params wp = {.kind = WAVEFORM_LFM, .length = (unsigned)L, .bandwidth = 0.8};
    float complex *s = malloc(L * sizeof *s);
    if (!s || waveform_generate(&wp, s) != ISAC_OK) {
        free(s);
        return ISAC_ENOMEM;
    }
    w->q = mf_create(s, L, W, MF_PLAN_MEASURE);
    unsigned M[64];
    for (unsigned n = 0; n < w->N_ap; n++)
        M[n] = Mg;
    w->g = glrt_create(w->N_ap, M, 1e-6);
    w->x = calloc(C, sizeof *w->x);
    w->z = calloc(C, sizeof *w->z);
    w->a = calloc(w->N_ap, sizeof *w->a);
    w->zp_flat = calloc(C, sizeof *w->zp_flat);
    w->zp = calloc(w->N_ap, sizeof *w->zp);
    w->sigma2 = calloc(w->N_ap, sizeof *w->sigma2);
    w->lambda = malloc(K * sizeof *w->lambda);
    if (!w->q || !w->g || !w->x || !w->z || !w->a || !w->zp_flat || !w->zp || !w->sigma2 ||
        !w->lambda) {
        free(s);
        return ISAC_ENOMEM;
    }
    for (unsigned c = 0; c < C; c++) {
        w->x[c] = fftwf_alloc_complex(W);
        w->z[c] = fftwf_alloc_complex(K);
        if (!w->x[c] || !w->z[c]) {
            free(s);
            return ISAC_ENOMEM;
        }
        /* an echo in noise: the content does not change the timing, but keeps it honest */
        for (size_t n = 0; n < W; n++)
            w->x[c][n] = (float complex)isac_rng_cnormal(rng, 1.0);
        for (size_t n = 0; n < L; n++)
            w->x[c][n + L / 3] += 0.1f * s[n];
        w->zp_flat[c] = w->z[c];
    }
    for (unsigned n = 0; n < w->N_ap; n++) {
        w->zp[n] = &w->zp_flat[n * Mg];
        w->sigma2[n] = 1.0;
        w->a[n] = malloc(Mg * sizeof *w->a[n]);
        if (!w->a[n]) {
            free(s);
            return ISAC_ENOMEM;
        }
        array arr = bench_array(Mg); /* steered toward 0.3 rad */
        if (!arr) {
            free(s);
            return ISAC_ENOMEM;
        }
        array_steering(arr, 0.3, w->a[n]);
        array_destroy(arr);
    }
    free(s);
    return ISAC_OK;
}

static int mf_work_run(struct mf_work *w)
{
    int rc = mf_execute_multi(w->q, w->C, (const float complex *const *)w->x, w->z);
    if (rc == ISAC_OK)
        rc = glrt_profile(w->g, w->zp, mf_num_lags(w->q), (const float complex *const *)w->a,
                          w->sigma2, w->lambda);
    return rc;
}

static void fft_work_free(struct fft_work *f)
{
    if (f->fwd)
        fftwf_destroy_plan(f->fwd);
    if (f->inv)
        fftwf_destroy_plan(f->inv);
    for (unsigned c = 0; f->buf && c < f->C; c++)
        fftwf_free(f->buf[c]);
    free(f->buf);
}

static int fft_work_init(struct fft_work *f, unsigned C, size_t N, isac_rng *rng)
{
    memset(f, 0, sizeof *f);
    f->C = C;
    f->buf = calloc(C, sizeof *f->buf);
    if (!f->buf)
        return ISAC_ENOMEM;
    for (unsigned c = 0; c < C; c++)
        if (!(f->buf[c] = fftwf_alloc_complex(N)))
            return ISAC_ENOMEM;
    /* fftwf_alloc_complex gives equal (SIMD) alignment, so one plan serves all buffers */
    f->fwd = fftwf_plan_dft_1d((int)N, f->buf[0], f->buf[0], FFTW_FORWARD, FFTW_MEASURE);
    f->inv = fftwf_plan_dft_1d((int)N, f->buf[0], f->buf[0], FFTW_BACKWARD, FFTW_MEASURE);
    if (!f->fwd || !f->inv)
        return ISAC_ENOMEM;
    for (unsigned c = 0; c < C; c++)
        for (size_t n = 0; n < N; n++)
            f->buf[c][n] = (float complex)isac_rng_cnormal(rng, 1.0);
    return ISAC_OK;
}

static void fft_work_run(struct fft_work *f)
{
    for (unsigned c = 0; c < f->C; c++) {
        fftwf_execute_dft(f->fwd, f->buf[c], f->buf[c]);
        fftwf_execute_dft(f->inv, f->buf[c], f->buf[c]);
    }
}

/* ---- timing ---- */

/* A workload: run() is timed; prep() (may be NULL) runs untimed before each run. */
struct timed {
    int (*run)(void *ctx);
    void (*prep)(void *ctx);
    void *ctx;
};

/* Seconds per run, averaged over reps runs. Without prep the whole loop is timed at
 * once; with prep every run is timed alone (clock reads cost ~50 ns, < 1 % of the
 * smallest workload here). */
static double time_batch(const struct timed *t, long reps)
{
    if (!t->prep) {
        double t0 = now_s();
        for (long i = 0; i < reps; i++)
            t->run(t->ctx);
        return (now_s() - t0) / (double)reps;
    }
    double sum = 0;
    for (long i = 0; i < reps; i++) {
        t->prep(t->ctx);
        double t0 = now_s();
        t->run(t->ctx);
        sum += now_s() - t0;
    }
    return sum / (double)reps;
}

/* Runs per batch so that one batch lasts at least batch_s. */
static long calibrate(const struct timed *t, double batch_s)
{
    long reps = 1;
    for (;;) {
        double dt = time_batch(t, reps) * (double)reps;
        if (dt >= batch_s || reps > (1L << 30))
            return reps;
        reps = dt > 0 ? (long)ceil((double)reps * 1.2 * batch_s / dt) : reps * 10;
    }
}

static int run_mf(void *ctx)
{
    return mf_work_run(ctx);
}

struct fft_ctx {
    struct fft_work *f;
    size_t N;
    int rounds; /* fwd+inv rounds since the data were last rescaled */
};

static int run_fft(void *ctx)
{
    struct fft_ctx *c = ctx;
    fft_work_run(c->f);
    c->rounds++;
    return ISAC_OK;
}

/* An unnormalised fwd+inv multiplies the data by N: rescale (untimed) every 4 rounds
 * so that the transforms never meet inf or denormals, which would change their speed. */
static void prep_fft(void *ctx)
{
    struct fft_ctx *c = ctx;
    if (c->rounds < 4)
        return;
    const float g = 1.0f / (float)c->N;
    const float g4 = g * g * g * g;
    for (unsigned ch = 0; ch < c->f->C; ch++)
        for (size_t n = 0; n < c->N; n++)
            c->f->buf[ch][n] *= g4;
    c->rounds = 0;
}

static int bench_row(unsigned C, size_t L, const struct bench_cfg *cfg, struct bench_row *row)
{
    isac_rng rng;
    isac_rng_seed(&rng, 1000 + C * 131 + L);
    struct mf_work w;
    struct fft_work f;
    int rc = mf_work_init(&w, C, L, &rng);
    if (rc == ISAC_OK)
        rc = fft_work_init(&f, C, mf_fft_length(w.q), &rng);
    else
        memset(&f, 0, sizeof f);
    if (rc == ISAC_OK)
        rc = mf_work_run(&w); /* also validates the GLRT arguments once */
    if (rc == ISAC_OK) {
        struct fft_ctx fc = {.f = &f, .N = mf_fft_length(w.q)};
        const struct timed tmf = {run_mf, NULL, &w}, tfft = {run_fft, prep_fft, &fc};
        long rm = calibrate(&tmf, cfg->batch_s);
        long rf = calibrate(&tfft, cfg->batch_s);
        double tm[16], tf[16];
        for (int b = 0; b < cfg->batches; b++) {
            tm[b] = time_batch(&tmf, rm);
            tf[b] = time_batch(&tfft, rf);
        }
        qsort(tm, (size_t)cfg->batches, sizeof *tm, cmp_double);
        qsort(tf, (size_t)cfg->batches, sizeof *tf, cmp_double);
        *row = (struct bench_row){C, L, tm[0], tf[0]};
    }
    mf_work_free(&w);
    fft_work_free(&f);
    return rc;
}

/* ---- multistatic position-grid search ---- */

/* Seed 004 geometry in a 400 m x 400 m area: the TX AP at one corner, four receive
 * APs (4-element half-wavelength ULAs, axis along the area's edges) on the other
 * corners and mid-edge, fs = 100 MHz so every bistatic delay (< 1.2 km) fits in the
 * K = L + 1 MF bins of a CPI of L >= 1024. LINEAR delay sampling. */
#define GRID_APS 4u
#define GRID_M 4u
#define GRID_CPI 4096u

struct grid_row {
    unsigned C;
    size_t L, cells;
    double t; /* seconds per grid_execute */
};

struct grid_work {
    grid g;
    float complex *zbuf;
    const float complex *zp[GRID_APS][GRID_M];
    const float complex *const *z[GRID_APS];
    double sigma2[GRID_APS];
    float *stat;
    uint8_t *detect;
};

static int run_grid(void *ctx)
{
    struct grid_work *w = ctx;
    struct grid_best best;
    return grid_execute(w->g, (const float complex *const *const *)w->z, w->sigma2, w->stat,
                        w->detect, &best);
}

static int bench_grid_row(unsigned side, const struct bench_cfg *cfg, struct grid_row *row)
{
    const struct geom_ap tx = {0, 0, 0};
    const struct geom_ap rx[GRID_APS] = {
        {400, 0, M_PI / 2}, {0, 400, 0}, {400, 400, 0}, {200, 0, 0}};
    array arr[GRID_APS] = {0};
    for (unsigned n = 0; n < GRID_APS; n++)
        arr[n] = bench_array(GRID_M);
    const size_t K = GRID_CPI + 1;
    struct grid_config cfgg = {.tx = tx,
                               .N = GRID_APS,
                               .rx = rx,
                               .arr = arr,
                               .K = K,
                               .fs = 100e6,
                               .lag0_delay = 0,
                               .max_angle = M_PI / 2,
                               .pfa = 1e-6,
                               .interp = GRID_INTERP_LINEAR,
                               .rho1 = 0};
    const double pitch = 400.0 / side;
    struct grid_spec spec = {pitch / 2, pitch / 2, pitch, pitch, side, side};
    struct grid_work w = {0};
    int rc = ISAC_ENOMEM;
    if (arr[0] && arr[1] && arr[2] && arr[3])
        w.g = grid_create(&cfgg, &spec);
    for (unsigned n = 0; n < GRID_APS; n++)
        array_destroy(arr[n]);
    size_t cells = (size_t)side * side;
    w.zbuf = malloc(GRID_APS * GRID_M * K * sizeof *w.zbuf);
    w.stat = malloc(cells * sizeof *w.stat);
    w.detect = malloc(cells);
    if (w.g && w.zbuf && w.stat && w.detect) {
        isac_rng rng;
        isac_rng_seed(&rng, 4242 + side);
        for (size_t i = 0; i < GRID_APS * GRID_M * K; i++)
            w.zbuf[i] = (float complex)isac_rng_cnormal(&rng, 1.0);
        for (unsigned n = 0; n < GRID_APS; n++) {
            for (unsigned m = 0; m < GRID_M; m++)
                w.zp[n][m] = w.zbuf + ((size_t)n * GRID_M + m) * K;
            w.z[n] = w.zp[n];
            w.sigma2[n] = 1.0;
        }
        rc = run_grid(&w);
        if (rc == ISAC_OK) {
            const struct timed t = {run_grid, NULL, &w};
            long reps = calibrate(&t, cfg->batch_s);
            double tb[16];
            for (int b = 0; b < cfg->batches; b++)
                tb[b] = time_batch(&t, reps);
            qsort(tb, (size_t)cfg->batches, sizeof *tb, cmp_double);
            *row = (struct grid_row){GRID_APS * GRID_M, GRID_CPI, cells, tb[0]};
        }
    }
    grid_destroy(w.g);
    free(w.zbuf);
    free(w.stat);
    free(w.detect);
    return rc;
}

/* ---- output ---- */

static double msps(const struct bench_row *r, double t)
{
    return (double)r->C * r->L / t / 1e6;
}

static int print_json(const struct bench_row *rows, size_t n, const struct grid_row *grows,
                      size_t ng)
{
    json_t *root = json_object(), *arr = json_array();
    if (!root || !arr)
        return -1;
    for (size_t i = 0; i < n; i++) {
        const struct bench_row *r = &rows[i];
        json_t *o = json_pack("{s:i, s:i, s:f, s:f, s:f}", "channels", (json_int_t)r->C, "cpi",
                              (json_int_t)r->L, "msamples_per_s", msps(r, r->t_mf),
                              "fft_floor_msamples_per_s", msps(r, r->t_floor), "ratio",
                              r->t_mf / r->t_floor);
        if (!o || json_array_append_new(arr, o))
            return -1;
    }
    for (size_t i = 0; i < ng; i++) {
        const struct grid_row *r = &grows[i];
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

static void print_table_row(const struct bench_row *r)
{
    printf("%8u %7zu %14.1f %14.1f %7.3f\n", r->C, r->L, msps(r, r->t_mf), msps(r, r->t_floor),
           r->t_mf / r->t_floor);
    fflush(stdout);
}

static int bench_mf(int argc, char **argv)
{
    static const struct option opts[] = {{"json", no_argument, 0, 'j'},
                                         {"quick", no_argument, 0, 'q'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    int json = 0, quick = 0, c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
        switch (c) {
        case 'j': json = 1; break;
        case 'q': quick = 1; break;
        case 'h': fputs(BENCH_USAGE, stdout); return CLI_OK;
        case ':': return cli_usage("bench mf", "option '%s' needs a value", argv[optind - 1]);
        default: return cli_usage("bench mf", "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind < argc)
        return cli_usage("bench mf", "unexpected argument '%s'", argv[optind]);

    static const unsigned Cs_full[] = {1, 4, 8, 16}, Cs_quick[] = {1, 4};
    static const size_t Ls_full[] = {1024, 2048, 4096, 8192, 16384, 32768, 65536},
                        Ls_quick[] = {1024, 4096};
    const unsigned *Cs = quick ? Cs_quick : Cs_full;
    const size_t *Ls = quick ? Ls_quick : Ls_full;
    size_t nC = quick ? 2 : 4, nL = quick ? 2 : 7;
    struct bench_cfg cfg = quick ? (struct bench_cfg){0.005, 3} : (struct bench_cfg){0.05, 7};
    struct bench_row rows[4 * 7];
    size_t n = 0;
    if (!json)
        print_table_header();
    for (size_t i = 0; i < nC; i++)
        for (size_t j = 0; j < nL; j++) {
            int rc = bench_row(Cs[i], Ls[j], &cfg, &rows[n]);
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
    struct grid_row grows[3];
    if (!json)
        printf("\n%8s %7s %10s %16s   (grid search: %u receive APs x %u elements)\n", "channels",
               "cpi", "cells", "grid cells/s", GRID_APS, GRID_M);
    for (size_t i = 0; i < ns; i++) {
        int rc = bench_grid_row(sides[i], &cfg, &grows[i]);
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

int cmd_bench(int argc, char **argv)
{
    if (argc < 2)
        return cli_usage("bench", "missing benchmark name (available: mf, soak)");
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        fputs(BENCH_USAGE, stdout);
        return CLI_OK;
    }
    if (!strcmp(argv[1], "mf"))
        return bench_mf(argc - 1, argv + 1);
    if (!strcmp(argv[1], "soak"))
        return bench_soak(argc - 1, argv + 1);
    if (!strcmp(argv[1], "policies")) /* host/cli/cmd_bench_policies.c */
        return bench_policies(argc - 1, argv + 1);
    return cli_usage("bench", "unknown benchmark '%s' (available: mf, soak)", argv[1]);
}
