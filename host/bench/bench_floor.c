/* The FFT floor of one CPI for `isactb bench replay`: the transforms the matched filter
 * cannot avoid, with the threads the replay uses (bench.h). */
#include <fftw3.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench/bench.h"
#include "common/err.h"
#include "common/pool.h"

struct floor_work {
    unsigned C, T;
    size_t N;
    fftwf_plan fwd, inv;     /* out of place, like the MF's (dsp/mf.c) */
    fftwf_complex **in, **f; /* per channel: time-domain and spectrum buffers */
};

static double floor_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Thread share t: channels [t C / T, (t + 1) C / T), forward then inverse each. */
static void floor_task(void *ctx, unsigned t)
{
    const struct floor_work *w = ctx;
    for (unsigned c = t * w->C / w->T; c < (t + 1) * w->C / w->T; c++) {
        fftwf_execute_dft(w->fwd, w->in[c], w->f[c]);
        fftwf_execute_dft(w->inv, w->f[c], w->in[c]);
    }
}

static void floor_free(struct floor_work *w)
{
    if (w->fwd)
        fftwf_destroy_plan(w->fwd);
    if (w->inv)
        fftwf_destroy_plan(w->inv);
    for (unsigned c = 0; c < w->C; c++) {
        fftwf_free(w->in ? w->in[c] : NULL);
        fftwf_free(w->f ? w->f[c] : NULL);
    }
    free(w->in);
    free(w->f);
}

static int floor_init(struct floor_work *w, unsigned C, size_t N, unsigned T)
{
    *w = (struct floor_work){.C = C, .T = T, .N = N};
    w->in = calloc(C, sizeof *w->in);
    w->f = calloc(C, sizeof *w->f);
    if (!w->in || !w->f)
        return ISAC_ENOMEM;
    for (unsigned c = 0; c < C; c++) {
        if (!(w->in[c] = fftwf_alloc_complex(N)) || !(w->f[c] = fftwf_alloc_complex(N)))
            return ISAC_ENOMEM;
        /* a deterministic, non-trivial input (the cost is data-independent) */
        for (size_t i = 0; i < N; i++) {
            w->in[c][i][0] = (float)((i * 7 + c) % 13) - 6.0f;
            w->in[c][i][1] = (float)((i * 5 + c) % 11) - 5.0f;
        }
    }
    /* ESTIMATE, as the pipeline plans: planning then leaves the arrays alone */
    w->fwd = fftwf_plan_dft_1d((int)N, w->in[0], w->f[0], FFTW_FORWARD, FFTW_ESTIMATE);
    w->inv = fftwf_plan_dft_1d((int)N, w->f[0], w->in[0], FFTW_BACKWARD, FFTW_ESTIMATE);
    return w->fwd && w->inv ? ISAC_OK : ISAC_ENOMEM;
}

int isac_bench_fft_floor_cpi(unsigned C, size_t N, unsigned threads,
                             const struct isac_bench_cfg *cfg, double *t)
{
    if (C < 1 || C > 4096 || N < 1 || N > (1u << 25) || !cfg || cfg->batches < 1 ||
        cfg->batches > 16 || !t)
        return ISAC_EINVAL;
    isac_pool pool = isac_pool_create(threads);
    if (!pool)
        return ISAC_ENOMEM;
    struct floor_work w;
    unsigned T = isac_pool_threads(pool);
    int rc = floor_init(&w, C, N, T < C ? T : C);
    double best = 1e30;
    for (int b = 0; rc == ISAC_OK && b < cfg->batches; b++) {
        unsigned reps = 0;
        double t0 = floor_now(), el;
        do {
            isac_pool_run(pool, w.T, floor_task, &w);
            reps++;
        } while ((el = floor_now() - t0) < cfg->batch_s);
        if (el / reps < best)
            best = el / reps;
    }
    if (rc == ISAC_OK)
        *t = best;
    floor_free(&w);
    isac_pool_destroy(pool);
    return rc;
}
