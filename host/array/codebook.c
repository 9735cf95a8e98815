#include "array/codebook.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"

struct isac_codebook_s {
    isac_array arr;
    unsigned M, Q;
    double *angles;
    float complex *w;   /* Q x M, row-major */
    double *pos;        /* Q x M per-beam positions, or NULL (no beam has any) */
    uint8_t *has_pos;   /* Q flags, with pos */
    unsigned char *act; /* Q x M per-beam masks, or NULL (no beam has any) */
    uint8_t *has_act;   /* Q flags, with act */
    struct isac_codebook_ma_info ma;
};

static isac_codebook alloc_codebook(isac_array arr, unsigned Q)
{
    if (!arr || Q == 0 || Q > ISAC_CODEBOOK_MAX_BEAMS)
        return NULL;
    isac_codebook cb = calloc(1, sizeof *cb);
    if (!cb)
        return NULL;
    cb->arr = isac_array_copy(arr);
    cb->M = isac_array_size(arr);
    cb->Q = Q;
    cb->angles = malloc(Q * sizeof *cb->angles);
    cb->w = malloc((size_t)Q * cb->M * sizeof *cb->w);
    if (!cb->arr || !cb->angles || !cb->w) {
        isac_codebook_destroy(cb);
        return NULL;
    }
    return cb;
}

isac_codebook isac_codebook_create_dft(isac_array arr, unsigned Q, double phi_min, double phi_max)
{
    if (!(phi_min >= -M_PI / 2 && phi_max <= M_PI / 2 && phi_min < phi_max))
        return NULL;
    isac_codebook cb = alloc_codebook(arr, Q);
    if (!cb)
        return NULL;
    double u0 = sin(phi_min), u1 = sin(phi_max);
    for (unsigned q = 0; q < Q; q++) {
        double u = u0 + (q + 0.5) * (u1 - u0) / Q;
        cb->angles[q] = asin(u);
        isac_array_tx_weights(cb->arr, cb->angles[q], cb->w + (size_t)q * cb->M);
    }
    return cb;
}

isac_codebook isac_codebook_create(isac_array arr, unsigned Q, const double *angles,
                                   const float complex *weights)
{
    if (!angles || !weights)
        return NULL;
    isac_codebook cb = alloc_codebook(arr, Q);
    if (!cb)
        return NULL;
    memcpy(cb->angles, angles, Q * sizeof *angles);
    memcpy(cb->w, weights, (size_t)Q * cb->M * sizeof *weights);
    return cb;
}

void isac_codebook_destroy(isac_codebook cb)
{
    if (!cb)
        return;
    isac_array_destroy(cb->arr);
    free(cb->angles);
    free(cb->w);
    free(cb->pos);
    free(cb->has_pos);
    free(cb->act);
    free(cb->has_act);
    free(cb);
}

unsigned isac_codebook_size(isac_codebook cb)
{
    return cb->Q;
}
unsigned isac_codebook_elements(isac_codebook cb)
{
    return cb->M;
}
isac_array isac_codebook_array(isac_codebook cb)
{
    return cb->arr;
}
const float complex *isac_codebook_weights(isac_codebook cb, unsigned q)
{
    return cb->w + (size_t)q * cb->M;
}
double isac_codebook_angle(isac_codebook cb, unsigned q)
{
    return cb->angles[q];
}

const double *isac_codebook_beam_positions(isac_codebook cb, unsigned q)
{
    return cb->pos && q < cb->Q && cb->has_pos[q] ? cb->pos + (size_t)q * cb->M : NULL;
}

const unsigned char *isac_codebook_beam_active(isac_codebook cb, unsigned q)
{
    return cb->act && q < cb->Q && cb->has_act[q] ? cb->act + (size_t)q * cb->M : NULL;
}

/* Lazily allocate the per-beam tables (most codebooks never need them). */
static int layout_tables(isac_codebook cb, int want_pos, int want_act)
{
    size_t n = (size_t)cb->Q * cb->M;
    if (want_pos && !cb->pos) {
        cb->pos = calloc(n, sizeof *cb->pos);
        cb->has_pos = calloc(cb->Q, 1);
        if (!cb->pos || !cb->has_pos)
            return ISAC_ENOMEM;
    }
    if (want_act && !cb->act) {
        cb->act = calloc(n, 1);
        cb->has_act = calloc(cb->Q, 1);
        if (!cb->act || !cb->has_act)
            return ISAC_ENOMEM;
    }
    return ISAC_OK;
}

int isac_codebook_set_beam_layout(isac_codebook cb, unsigned q, const double *pos_wl,
                                  const unsigned char *active)
{
    if (!cb || q >= cb->Q)
        return ISAC_EINVAL;
    unsigned on = 0;
    for (unsigned m = 0; pos_wl && m < cb->M; m++)
        if (!isfinite(pos_wl[m]) || fabs(pos_wl[m]) > 1e4)
            return ISAC_EINVAL;
    for (unsigned m = 0; active && m < cb->M; m++)
        on += active[m] != 0;
    if (active && !on)
        return ISAC_EINVAL;
    int rc = layout_tables(cb, pos_wl != NULL, active != NULL);
    if (rc)
        return rc;
    if (pos_wl) {
        memcpy(cb->pos + (size_t)q * cb->M, pos_wl, cb->M * sizeof *pos_wl);
        cb->has_pos[q] = 1;
    }
    if (active) {
        unsigned char *a = cb->act + (size_t)q * cb->M;
        float complex *w = cb->w + (size_t)q * cb->M;
        for (unsigned m = 0; m < cb->M; m++) {
            a[m] = active[m] != 0;
            if (!a[m])
                w[m] = 0;
        }
        cb->has_act[q] = 1;
    }
    return ISAC_OK;
}

int isac_codebook_set_ma(isac_codebook cb, const struct isac_codebook_ma_info *ma)
{
    if (!cb || !ma)
        return ISAC_EINVAL;
    if (ma->mode == ISAC_CODEBOOK_MA_NONE) {
        memset(&cb->ma, 0, sizeof cb->ma);
        return ISAC_OK;
    }
    int isac_grid = ma->mode == ISAC_CODEBOOK_MA_GRID;
    if ((ma->mode != ISAC_CODEBOOK_MA_CONTINUOUS && !isac_grid) || !(ma->region_wl > 0) ||
        !(ma->region_wl <= 1e4) || !(ma->d_min_wl > 0) || !(ma->d_min_wl <= ma->region_wl) ||
        ma->active < 1 || ma->active > cb->M || (isac_grid && !(ma->grid_step_wl > 0)) ||
        (!isac_grid && ma->grid_step_wl != 0))
        return ISAC_EINVAL;
    cb->ma = *ma;
    return ISAC_OK;
}

const struct isac_codebook_ma_info *isac_codebook_ma(isac_codebook cb)
{
    return cb && cb->ma.mode != ISAC_CODEBOOK_MA_NONE ? &cb->ma : NULL;
}

/* Tolerance of the region and spacing checks: positions written with 9 significant
 * digits (isac_codebook_save) come back within 1e-9 relative. */
#define MA_TOL 1e-6

/* One beam against the constraints: count, region, spacing (any order). */
static int ma_check_beam(isac_codebook cb, unsigned q, char *err, size_t errlen)
{
    const double *p = isac_codebook_beam_positions(cb, q);
    const unsigned char *a = isac_codebook_beam_active(cb, q);
    const char *pf = p ? "positions_wl" : "active"; /* the field that places the elements */
    if (!p)
        p = isac_array_positions(cb->arr);
    unsigned on = 0;
    for (unsigned m = 0; m < cb->M; m++) {
        if (a && !a[m])
            continue;
        on++;
        if (p[m] < -MA_TOL || p[m] > cb->ma.region_wl + MA_TOL) {
            isac_seterr(err, errlen, "beams[%u].%s[%u]: %g outside the region [0, %g] wavelengths",
                        q, pf, m, p[m], cb->ma.region_wl);
            return ISAC_EINVAL;
        }
        for (unsigned k = 0; k < m; k++)
            if ((!a || a[k]) && fabs(p[m] - p[k]) < cb->ma.d_min_wl - MA_TOL) {
                isac_seterr(err, errlen,
                            "beams[%u].%s[%u]: %g is %g wavelengths from element %u, below "
                            "d_min_wl %g",
                            q, pf, m, p[m], fabs(p[m] - p[k]), k, cb->ma.d_min_wl);
                return ISAC_EINVAL;
            }
    }
    if (on != cb->ma.active) {
        isac_seterr(err, errlen, "beams[%u].active: %u active elements, the codebook states %u", q,
                    on, cb->ma.active);
        return ISAC_EINVAL;
    }
    return ISAC_OK;
}

int isac_codebook_ma_check(isac_codebook cb, char *err, size_t errlen)
{
    if (!cb)
        return ISAC_EINVAL;
    if (cb->ma.mode == ISAC_CODEBOOK_MA_NONE)
        return ISAC_OK;
    for (unsigned q = 0; q < cb->Q; q++) {
        if (cb->ma.mode == ISAC_CODEBOOK_MA_GRID && isac_codebook_beam_positions(cb, q)) {
            isac_seterr(err, errlen,
                        "beams[%u].positions_wl: a grid codebook selects elements (active), it "
                        "does not move them",
                        q);
            return ISAC_EINVAL;
        }
        if (ma_check_beam(cb, q, err, errlen))
            return ISAC_EINVAL;
    }
    if (cb->ma.mode == ISAC_CODEBOOK_MA_GRID) {
        const double *p = isac_array_positions(cb->arr);
        for (unsigned m = 0; m < cb->M; m++) {
            double k = p[m] / cb->ma.grid_step_wl;
            if (fabs(k - round(k)) > MA_TOL) {
                isac_seterr(err, errlen, "positions_wl[%u]: %g is not on the grid of step %g", m,
                            p[m], cb->ma.grid_step_wl);
                return ISAC_EINVAL;
            }
        }
        double r = cb->ma.d_min_wl / cb->ma.grid_step_wl;
        if (fabs(r - round(r)) > MA_TOL) {
            isac_seterr(err, errlen, "ma.d_min_wl: %g is not a multiple of grid_step_wl %g",
                        cb->ma.d_min_wl, cb->ma.grid_step_wl);
            return ISAC_EINVAL;
        }
    }
    return ISAC_OK;
}

double isac_codebook_beam_gain(isac_codebook cb, unsigned q, double phi)
{
    const double *p = isac_codebook_beam_positions(cb, q);
    const unsigned char *a = isac_codebook_beam_active(cb, q);
    if (!p && !a)
        return isac_array_tx_gain(cb->arr, isac_codebook_weights(cb, q), phi);
    if (!p)
        p = isac_array_positions(cb->arr);
    const float complex *w = isac_codebook_weights(cb, q);
    double complex s = 0;
    double u = sin(phi);
    for (unsigned m = 0; m < cb->M; m++)
        if (!a || a[m])
            s += cexp(I * 2.0 * M_PI * p[m] * u) * (double complex)w[m];
    return creal(s) * creal(s) + cimag(s) * cimag(s);
}

unsigned isac_codebook_best_beam(isac_codebook cb, double phi)
{
    unsigned best = 0;
    double best_g = -1.0;
    for (unsigned q = 0; q < cb->Q; q++) {
        double g = isac_codebook_beam_gain(cb, q, phi);
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

int isac_codebook_beam_stats(isac_codebook cb, unsigned q, unsigned points,
                             struct isac_codebook_beam_stats *st)
{
    if (!cb || !st || q >= cb->Q || points < 16)
        return ISAC_EINVAL;
    double *g = malloc(points * sizeof *g);
    if (!g)
        return ISAC_ENOMEM;
    double step = M_PI / (points - 1);
    unsigned ipk = 0;
    for (unsigned i = 0; i < points; i++) {
        g[i] = isac_codebook_beam_gain(cb, q, -M_PI / 2 + i * step);
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
