#include "array/codebook.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"

struct codebook_s {
    array arr;
    unsigned M, Q;
    double *angles;
    float complex *w; /* Q x M, row-major */
};

static codebook alloc_codebook(array arr, unsigned Q)
{
    if (!arr || Q == 0 || Q > CODEBOOK_MAX_BEAMS)
        return NULL;
    codebook cb = calloc(1, sizeof *cb);
    if (!cb)
        return NULL;
    cb->arr = array_copy(arr);
    cb->M = array_size(arr);
    cb->Q = Q;
    cb->angles = malloc(Q * sizeof *cb->angles);
    cb->w = malloc((size_t)Q * cb->M * sizeof *cb->w);
    if (!cb->arr || !cb->angles || !cb->w) {
        codebook_destroy(cb);
        return NULL;
    }
    return cb;
}

codebook codebook_create_dft(array arr, unsigned Q, double phi_min, double phi_max)
{
    if (!(phi_min >= -M_PI / 2 && phi_max <= M_PI / 2 && phi_min < phi_max))
        return NULL;
    codebook cb = alloc_codebook(arr, Q);
    if (!cb)
        return NULL;
    double u0 = sin(phi_min), u1 = sin(phi_max);
    for (unsigned q = 0; q < Q; q++) {
        double u = u0 + (q + 0.5) * (u1 - u0) / Q;
        cb->angles[q] = asin(u);
        array_tx_weights(cb->arr, cb->angles[q], cb->w + (size_t)q * cb->M);
    }
    return cb;
}

codebook codebook_create(array arr, unsigned Q, const double *angles, const float complex *weights)
{
    if (!angles || !weights)
        return NULL;
    codebook cb = alloc_codebook(arr, Q);
    if (!cb)
        return NULL;
    memcpy(cb->angles, angles, Q * sizeof *angles);
    memcpy(cb->w, weights, (size_t)Q * cb->M * sizeof *weights);
    return cb;
}

void codebook_destroy(codebook cb)
{
    if (!cb)
        return;
    array_destroy(cb->arr);
    free(cb->angles);
    free(cb->w);
    free(cb);
}

unsigned codebook_size(codebook cb)
{
    return cb->Q;
}
unsigned codebook_elements(codebook cb)
{
    return cb->M;
}
array codebook_array(codebook cb)
{
    return cb->arr;
}
const float complex *codebook_weights(codebook cb, unsigned q)
{
    return cb->w + (size_t)q * cb->M;
}
double codebook_angle(codebook cb, unsigned q)
{
    return cb->angles[q];
}

unsigned codebook_best_beam(codebook cb, double phi)
{
    unsigned best = 0;
    double best_g = -1.0;
    for (unsigned q = 0; q < cb->Q; q++) {
        double g = array_tx_gain(cb->arr, codebook_weights(cb, q), phi);
        if (g > best_g) {
            best_g = g;
            best = q;
        }
    }
    return best;
}

/* Main-lobe edges: walk down from the peak until the gain falls below half, and on
 * to the first local minimum (the null that bounds the main lobe). */
static void lobe_extent(const double *g, unsigned n, unsigned ipk, unsigned *lo_null,
                        unsigned *hi_null, double *bw_pts)
{
    double half = g[ipk] / 2.0;
    double l3 = 0, h3 = n - 1;
    unsigned i = ipk;
    while (i > 0 && g[i - 1] >= half)
        i--;
    if (i > 0) /* interpolate the -3 dB crossing between i-1 and i */
        l3 = (i - 1) + (half - g[i - 1]) / (g[i] - g[i - 1]);
    while (i > 0 && g[i - 1] <= g[i])
        i--;
    *lo_null = i;
    i = ipk;
    while (i + 1 < n && g[i + 1] >= half)
        i++;
    if (i + 1 < n)
        h3 = i + (g[i] - half) / (g[i] - g[i + 1]);
    while (i + 1 < n && g[i + 1] <= g[i])
        i++;
    *hi_null = i;
    *bw_pts = h3 - l3;
}

int codebook_beam_stats(codebook cb, unsigned q, unsigned points, struct codebook_beam_stats *st)
{
    if (!cb || !st || q >= cb->Q || points < 16)
        return ISAC_EINVAL;
    double *g = malloc(points * sizeof *g);
    if (!g)
        return ISAC_ENOMEM;
    double step = M_PI / (points - 1);
    unsigned ipk = 0;
    for (unsigned i = 0; i < points; i++) {
        g[i] = array_tx_gain(cb->arr, codebook_weights(cb, q), -M_PI / 2 + i * step);
        if (g[i] > g[ipk])
            ipk = i;
    }
    unsigned lo, hi;
    double bw_pts;
    lobe_extent(g, points, ipk, &lo, &hi, &bw_pts);
    double side = 0.0;
    for (unsigned i = 0; i < points; i++)
        if ((i < lo || i > hi) && g[i] > side)
            side = g[i];
    st->peak_angle = -M_PI / 2 + ipk * step;
    st->peak_gain_db = 10.0 * log10(g[ipk]);
    st->beamwidth_3db = bw_pts * step;
    st->sidelobe_db = side > 0.0 ? 10.0 * log10(side / g[ipk]) : -INFINITY;
    free(g);
    return ISAC_OK;
}
