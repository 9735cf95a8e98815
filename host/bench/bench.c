/* Throughput kernels of `isactb bench mf`: the receive chain (matched filter + GLRT
 * range profile) against the bare-FFT floor, and the multistatic grid search.
 * bench.h is the interface; docs/bench.md documents the fields.
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
#include <complex.h>
#include <fftw3.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench/bench.h"
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
static isac_array bench_array(unsigned M)
{
    return isac_array_create_ula(M, 0.5);
}

#define BENCH_AP_SIZE 4u /* receive AP size: channels are grouped into APs of min(C, 4) */

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
    isac_mf q;
    isac_glrt g;
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
    isac_mf_destroy(w->q);
    isac_glrt_destroy(w->g);
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
    struct isac_waveform_params wp = {
        .kind = ISAC_WAVEFORM_LFM, .length = (unsigned)L, .bandwidth = 0.8};
    float complex *s = malloc(L * sizeof *s);
    if (!s || isac_waveform_generate(&wp, s) != ISAC_OK) {
        free(s);
        return ISAC_ENOMEM;
    }
    w->q = isac_mf_create(s, L, W, ISAC_MF_PLAN_MEASURE);
    unsigned M[64];
    for (unsigned n = 0; n < w->N_ap; n++)
        M[n] = Mg;
    w->g = isac_glrt_create(w->N_ap, M, 1e-6);
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
        isac_array arr = bench_array(Mg); /* steered toward 0.3 rad */
        if (!arr) {
            free(s);
            return ISAC_ENOMEM;
        }
        isac_array_steering(arr, 0.3, w->a[n]);
        isac_array_destroy(arr);
    }
    free(s);
    return ISAC_OK;
}

static int mf_work_run(struct mf_work *w)
{
    int rc = isac_mf_execute_multi(w->q, w->C, (const float complex *const *)w->x, w->z);
    if (rc == ISAC_OK)
        rc = isac_glrt_profile(w->g, w->zp, isac_mf_num_lags(w->q),
                               (const float complex *const *)w->a, w->sigma2, w->lambda);
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

int isac_bench_mf_row(unsigned C, size_t L, const struct isac_bench_cfg *cfg,
                      struct isac_bench_row *row)
{
    isac_rng rng;
    isac_rng_seed(&rng, 1000 + C * 131 + L);
    struct mf_work w;
    struct fft_work f;
    int rc = mf_work_init(&w, C, L, &rng);
    if (rc == ISAC_OK)
        rc = fft_work_init(&f, C, isac_mf_fft_length(w.q), &rng);
    else
        memset(&f, 0, sizeof f);
    if (rc == ISAC_OK)
        rc = mf_work_run(&w); /* also validates the GLRT arguments once */
    if (rc == ISAC_OK) {
        struct fft_ctx fc = {.f = &f, .N = isac_mf_fft_length(w.q)};
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
        *row = (struct isac_bench_row){C, L, tm[0], tf[0]};
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
#define GRID_APS ISAC_BENCH_GRID_APS
#define GRID_M ISAC_BENCH_GRID_M
#define GRID_CPI ISAC_BENCH_GRID_CPI

struct grid_work {
    isac_grid g;
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
    struct isac_grid_best best;
    return isac_grid_execute(w->g, (const float complex *const *const *)w->z, w->sigma2, w->stat,
                             w->detect, &best);
}

int isac_bench_grid_row(unsigned side, const struct isac_bench_cfg *cfg,
                        struct isac_bench_grid_row *row)
{
    const struct isac_geom_ap tx = {0, 0, 0};
    const struct isac_geom_ap rx[GRID_APS] = {
        {400, 0, M_PI / 2}, {0, 400, 0}, {400, 400, 0}, {200, 0, 0}};
    isac_array arr[GRID_APS] = {0};
    for (unsigned n = 0; n < GRID_APS; n++)
        arr[n] = bench_array(GRID_M);
    const size_t K = GRID_CPI + 1;
    struct isac_grid_config cfgg = {.tx = tx,
                                    .N = GRID_APS,
                                    .rx = rx,
                                    .arr = arr,
                                    .K = K,
                                    .fs = 100e6,
                                    .lag0_delay = 0,
                                    .max_angle = M_PI / 2,
                                    .pfa = 1e-6,
                                    .interp = ISAC_GRID_INTERP_LINEAR,
                                    .rho1 = 0};
    const double pitch = 400.0 / side;
    struct isac_grid_spec spec = {pitch / 2, pitch / 2, pitch, pitch, side, side};
    struct grid_work w = {0};
    int rc = ISAC_ENOMEM;
    if (arr[0] && arr[1] && arr[2] && arr[3])
        w.g = isac_grid_create(&cfgg, &spec);
    for (unsigned n = 0; n < GRID_APS; n++)
        isac_array_destroy(arr[n]);
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
            *row = (struct isac_bench_grid_row){GRID_APS * GRID_M, GRID_CPI, cells, tb[0]};
        }
    }
    isac_grid_destroy(w.g);
    free(w.zbuf);
    free(w.stat);
    free(w.detect);
    return rc;
}

double isac_bench_msps(const struct isac_bench_row *r, double t)
{
    return (double)r->C * r->L / t / 1e6;
}
