/* Timing of the Bi-LSTM's forward pass for benchmarks (lstm.h). */
#include <math.h>
#include <stdlib.h>
#include <time.h>

#include "common/rng.h"
#include "learn/lstm.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + 1e-9 * ts.tv_nsec;
}

double isac_bilstm_time_forward(isac_bilstm n, unsigned len, double min_s, uint64_t seed)
{
    const struct isac_bilstm_cfg *c = isac_bilstm_get_cfg(n);
    if (len < 1 || len > c->max_len)
        return NAN;
    float *x = malloc((size_t)len * c->in * sizeof *x),
          *y = malloc((size_t)len * c->out * sizeof *y);
    if (!x || !y) {
        free(x);
        free(y);
        return NAN;
    }
    isac_rng r;
    isac_rng_seed(&r, seed);
    for (size_t i = 0; i < (size_t)len * c->in; i++)
        x[i] = (float)(2 * isac_rng_uniform(&r) - 1);
    isac_bilstm_forward(n, len, x, y); /* warm: caches, lazily mapped pages */
    unsigned reps = 0;
    double t0 = now_s(), el;
    do {
        isac_bilstm_forward(n, len, x, y);
        reps++;
    } while ((el = now_s() - t0) < min_s || reps < 3);
    free(x);
    free(y);
    return el / reps;
}
