/* Multistatic position-grid GLRT (see grid.h). */
#include "detect/grid.h"

#include "common/err.h"
#include "detect/glrt.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define GRID_MAX_N ISAC_GRID_MAX_APS
#define GRID_MAX_WORK (1ull << 28)

/* Per receive AP, per cell: first MF bin (-1: AP does not see the cell), the two
 * interpolation weights, and the steering vector as interleaved (re, im) floats. */
struct grid_ap {
    unsigned M;
    int32_t *k0;
    float *w;  /* 2 per cell (w0, w1) */
    float *a;  /* 2 M per cell */
    float *a4; /* the same, lane-interleaved per group of GRID_LANES cells: group g, element
                  m at a4 + 2 GRID_LANES (g M + m): GRID_LANES re, then GRID_LANES im */
};

/* Cells evaluated together by the linear kernel (one SIMD vector of floats). */
#define GRID_LANES 4
typedef float grid_v4 __attribute__((vector_size(4 * sizeof(float))));

struct isac_grid_s {
    struct isac_grid_spec spec;
    struct isac_geom_ap tx;
    struct isac_geom_ap rx[GRID_MAX_N];
    unsigned N;
    size_t K, ncells;
    double fs, lag0, pfa;
    enum isac_grid_interp interp;
    struct grid_ap ap[GRID_MAX_N];
    uint8_t *ncell;   /* N_P per cell */
    double *thr_cell; /* per-cell threshold */
    double thr_n[GRID_MAX_N + 1];
    float *zt; /* bin-major transpose of one AP's MF outputs: K x M complex */
};

static int valid_config(const struct isac_grid_config *c, const struct isac_grid_spec *s)
{
    if (!c || !s || !c->rx || !c->arr || c->N == 0 || c->N > GRID_MAX_N)
        return 0;
    if (c->K < 2 || c->K > (1u << 24) || !(c->fs > 0.0) || !isfinite(c->fs))
        return 0;
    if (!isfinite(c->lag0_delay) || !(c->max_angle > 0.0 && c->max_angle <= M_PI / 2))
        return 0;
    if (!(c->pfa >= 1e-12 && c->pfa <= 0.5) || !(c->rho1 >= 0.0 && c->rho1 < 1.0))
        return 0;
    if (!(c->baseline_guard_m >= 0.0 && c->baseline_guard_m <= 1e6))
        return 0;
    if (c->interp != ISAC_GRID_INTERP_NEAREST && c->interp != ISAC_GRID_INTERP_LINEAR)
        return 0;
    if (!isfinite(s->x0) || !isfinite(s->y0) || !(s->dx > 0.0) || !(s->dy > 0.0) ||
        !isfinite(s->dx) || !isfinite(s->dy) || s->nx == 0 || s->ny == 0)
        return 0;
    unsigned long long summ = 0;
    for (unsigned n = 0; n < c->N; n++) {
        if (!c->arr[n])
            return 0;
        summ += isac_array_size(c->arr[n]);
    }
    return (unsigned long long)s->nx * s->ny * summ <= GRID_MAX_WORK;
}

void isac_grid_spec_cell_center(const struct isac_grid_spec *spec, size_t cell, double *x,
                                double *y)
{
    size_t ix = cell % spec->nx, iy = cell / spec->nx;
    *x = spec->x0 + (double)ix * spec->dx;
    *y = spec->y0 + (double)iy * spec->dy;
}

void isac_grid_cell_center(isac_grid g, size_t cell, double *x, double *y)
{
    isac_grid_spec_cell_center(&g->spec, cell, x, y);
}

/* Delay in bins (relative to lag 0) and angle of a cell at AP n. */
static void cell_delay_phi(isac_grid g, size_t cell, unsigned n, double *d, double *phi)
{
    double x, y;
    isac_grid_cell_center(g, cell, &x, &y);
    *d = isac_geom_bistatic_delay_samples(&g->tx, &g->rx[n], x, y, g->fs) - g->lag0;
    *phi = isac_geom_phi(&g->rx[n], x, y);
}

/* Bin and weights of one cell at one AP; returns 0 if the delay is outside. */
static int cell_taps(isac_grid g, double d, int32_t *k0, float *w, double rho1)
{
    double last = (double)(g->K - 1);
    if (g->interp == ISAC_GRID_INTERP_NEAREST) {
        double r = floor(d + 0.5);
        if (!(r >= 0.0 && r <= last))
            return 0;
        *k0 = (int32_t)r;
        w[0] = 1.0f;
        w[1] = 0.0f;
        return 1;
    }
    if (!(d >= 0.0 && d <= last))
        return 0;
    double k = floor(d);
    if (k >= last) /* d == K-1 exactly: use the pair (K-2, K-1) with f = 1 */
        k = last - 1.0;
    double f = d - k;
    double v = (1.0 - f) * (1.0 - f) + f * f + 2.0 * f * (1.0 - f) * rho1;
    *k0 = (int32_t)k;
    w[0] = (float)((1.0 - f) / sqrt(v));
    w[1] = (float)(f / sqrt(v));
    return 1;
}

static int alloc_ap(struct grid_ap *ap, unsigned M, size_t ncells)
{
    ap->M = M;
    ap->k0 = malloc(ncells * sizeof *ap->k0);
    ap->w = malloc(2 * ncells * sizeof *ap->w);
    ap->a = malloc(2 * (size_t)M * ncells * sizeof *ap->a);
    size_t groups = (ncells + GRID_LANES - 1) / GRID_LANES;
    ap->a4 = calloc(2 * GRID_LANES * (size_t)M * groups, sizeof *ap->a4);
    return ap->k0 && ap->w && ap->a && ap->a4 ? ISAC_OK : ISAC_ENOMEM;
}

/* Cells near the TX -> RX_n baseline share their bistatic range (and angle) with the
 * direct-path leakage; within the guard, AP n does not take part. */
static int in_baseline_guard(isac_grid g, size_t cell, unsigned n, double guard_m)
{
    if (guard_m <= 0.0)
        return 0;
    double x, y;
    isac_grid_cell_center(g, cell, &x, &y);
    double base = isac_geom_dist(g->tx.x, g->tx.y, g->rx[n].x, g->rx[n].y);
    return isac_geom_bistatic_range(&g->tx, &g->rx[n], x, y) - base < guard_m;
}

static int precompute_ap(isac_grid g, unsigned n, isac_array arr, double max_angle, double rho1,
                         double guard_m)
{
    struct grid_ap *ap = &g->ap[n];
    unsigned M = isac_array_size(arr);
    if (alloc_ap(ap, M, g->ncells) != ISAC_OK)
        return ISAC_ENOMEM;
    float complex *sv = malloc(M * sizeof *sv);
    if (!sv)
        return ISAC_ENOMEM;
    for (size_t c = 0; c < g->ncells; c++) {
        double d, phi;
        cell_delay_phi(g, c, n, &d, &phi);
        float *w = ap->w + 2 * c, *a = ap->a + 2 * (size_t)M * c;
        ap->k0[c] = -1;
        if (fabs(phi) <= max_angle && !in_baseline_guard(g, c, n, guard_m) &&
            cell_taps(g, d, &ap->k0[c], w, rho1))
            g->ncell[c]++;
        isac_array_steering(arr, phi, sv);
        float *a4 = ap->a4 + 2 * GRID_LANES * (size_t)M * (c / GRID_LANES) + c % GRID_LANES;
        for (unsigned m = 0; m < M; m++) {
            a[2 * m] = a4[2 * GRID_LANES * m] = crealf(sv[m]);
            a[2 * m + 1] = a4[2 * GRID_LANES * m + GRID_LANES] = cimagf(sv[m]);
        }
    }
    free(sv);
    return ISAC_OK;
}

isac_grid isac_grid_create(const struct isac_grid_config *cfg, const struct isac_grid_spec *spec)
{
    if (!valid_config(cfg, spec))
        return NULL;
    isac_grid g = calloc(1, sizeof *g);
    if (!g)
        return NULL;
    g->spec = *spec;
    g->tx = cfg->tx;
    g->N = cfg->N;
    memcpy(g->rx, cfg->rx, cfg->N * sizeof *g->rx);
    g->K = cfg->K;
    g->fs = cfg->fs;
    g->lag0 = cfg->lag0_delay;
    g->pfa = cfg->pfa;
    g->interp = cfg->interp;
    g->ncells = (size_t)spec->nx * spec->ny;
    unsigned maxM = 0;
    for (unsigned n = 0; n < g->N; n++)
        if (isac_array_size(cfg->arr[n]) > maxM)
            maxM = isac_array_size(cfg->arr[n]);
    g->ncell = calloc(g->ncells, 1);
    g->thr_cell = malloc(g->ncells * sizeof *g->thr_cell);
    g->zt = malloc(2 * (size_t)maxM * g->K * sizeof *g->zt);
    if (!g->ncell || !g->thr_cell || !g->zt)
        goto fail;
    for (unsigned n = 0; n < g->N; n++)
        if (precompute_ap(g, n, cfg->arr[n], cfg->max_angle, cfg->rho1, cfg->baseline_guard_m) !=
            ISAC_OK)
            goto fail;
    g->thr_n[0] = INFINITY;
    for (unsigned n = 1; n <= g->N; n++)
        g->thr_n[n] = isac_glrt_threshold_n(n, g->pfa);
    for (size_t c = 0; c < g->ncells; c++)
        g->thr_cell[c] = g->thr_n[g->ncell[c]];
    return g;
fail:
    isac_grid_destroy(g);
    return NULL;
}

void isac_grid_destroy(isac_grid g)
{
    if (!g)
        return;
    for (unsigned n = 0; n < g->N; n++) {
        free(g->ap[n].k0);
        free(g->ap[n].w);
        free(g->ap[n].a);
        free(g->ap[n].a4);
    }
    free(g->ncell);
    free(g->thr_cell);
    free(g->zt);
    free(g);
}

size_t isac_grid_num_cells(isac_grid g)
{
    return g->ncells;
}
unsigned isac_grid_cell_num_aps(isac_grid g, size_t cell)
{
    return cell < g->ncells ? g->ncell[cell] : 0;
}
const double *isac_grid_thresholds(isac_grid g)
{
    return g->thr_cell;
}

int isac_grid_cell_geometry(isac_grid g, size_t cell, unsigned n, double *delay, double *phi)
{
    if (!g || cell >= g->ncells || n >= g->N || g->ap[n].k0[cell] < 0)
        return 0;
    double d, p;
    cell_delay_phi(g, cell, n, &d, &p);
    if (delay)
        *delay = d;
    if (phi)
        *phi = p;
    return 1;
}

/* ---- per CPI ---- */

/* zt[k][m] = z[m][k]: each cell then reads 2M contiguous complex values. */
static void transpose(const float complex *const *z, unsigned M, size_t K, float *zt)
{
    for (unsigned m = 0; m < M; m++) {
        const float *zm = (const float *)z[m];
        for (size_t k = 0; k < K; k++) {
            zt[2 * (k * M + m)] = zm[2 * k];
            zt[2 * (k * M + m) + 1] = zm[2 * k + 1];
        }
    }
}

static void accumulate_nearest(const struct grid_ap *ap, const float *zt, size_t ncells,
                               float scale, float *restrict stat)
{
    const unsigned M = ap->M;
    for (size_t c = 0; c < ncells; c++) {
        int32_t k = ap->k0[c];
        if (k < 0)
            continue;
        const float *restrict a = ap->a + 2 * (size_t)M * c;
        const float *restrict z0 = zt + 2 * (size_t)M * (size_t)k;
        float br = 0.0f, bi = 0.0f;
        for (unsigned m = 0; m < M; m++) {
            br += a[2 * m] * z0[2 * m] + a[2 * m + 1] * z0[2 * m + 1];
            bi += a[2 * m] * z0[2 * m + 1] - a[2 * m + 1] * z0[2 * m];
        }
        stat[c] += scale * (br * br + bi * bi);
    }
}

/* One cell of the linear kernel: the reference arithmetic that linear_group repeats lane
 * by lane. */
static void linear_cell(const struct grid_ap *ap, const float *zt, size_t c, float scale,
                        float *restrict stat)
{
    const unsigned M = ap->M;
    const float *restrict a = ap->a + 2 * (size_t)M * c;
    const float *restrict z0 = zt + 2 * (size_t)M * (size_t)ap->k0[c];
    const float *restrict z1 = z0 + 2 * (size_t)M;
    const float w0 = ap->w[2 * c], w1 = ap->w[2 * c + 1];
    float br = 0.0f, bi = 0.0f;
    for (unsigned m = 0; m < M; m++) {
        float yr = w0 * z0[2 * m] + w1 * z1[2 * m];
        float yi = w0 * z0[2 * m + 1] + w1 * z1[2 * m + 1];
        br += a[2 * m] * yr + a[2 * m + 1] * yi;
        bi += a[2 * m] * yi - a[2 * m + 1] * yr;
    }
    stat[c] += scale * (br * br + bi * bi);
}

/* GRID_LANES visible cells c0.. at once, one per vector lane: every lane performs
 * linear_cell's operations in linear_cell's order (no sum is reassociated), so the
 * terms are bit for bit those of linear_cell, about twice as fast. */
static void linear_group(const struct grid_ap *ap, const float *zt, size_t c0, float scale,
                         float *restrict stat)
{
    const unsigned M = ap->M;
    const float *z0[GRID_LANES], *z1[GRID_LANES];
    grid_v4 w0, w1, br = {0}, bi = {0};
    for (int j = 0; j < GRID_LANES; j++) {
        z0[j] = zt + 2 * (size_t)M * (size_t)ap->k0[c0 + j];
        z1[j] = z0[j] + 2 * (size_t)M;
        w0[j] = ap->w[2 * (c0 + j)];
        w1[j] = ap->w[2 * (c0 + j) + 1];
    }
    const float *a4 = ap->a4 + 2 * GRID_LANES * (size_t)M * (c0 / GRID_LANES);
    for (unsigned m = 0; m < M; m++) {
        grid_v4 z0r = {z0[0][2 * m], z0[1][2 * m], z0[2][2 * m], z0[3][2 * m]};
        grid_v4 z0i = {z0[0][2 * m + 1], z0[1][2 * m + 1], z0[2][2 * m + 1], z0[3][2 * m + 1]};
        grid_v4 z1r = {z1[0][2 * m], z1[1][2 * m], z1[2][2 * m], z1[3][2 * m]};
        grid_v4 z1i = {z1[0][2 * m + 1], z1[1][2 * m + 1], z1[2][2 * m + 1], z1[3][2 * m + 1]};
        grid_v4 ar, ai;
        memcpy(&ar, a4 + 2 * GRID_LANES * m, sizeof ar);
        memcpy(&ai, a4 + 2 * GRID_LANES * m + GRID_LANES, sizeof ai);
        grid_v4 yr = w0 * z0r + w1 * z1r;
        grid_v4 yi = w0 * z0i + w1 * z1i;
        br += ar * yr + ai * yi;
        bi += ar * yi - ai * yr;
    }
    for (int j = 0; j < GRID_LANES; j++)
        stat[c0 + j] += scale * (br[j] * br[j] + bi[j] * bi[j]);
}

static void accumulate_linear(const struct grid_ap *ap, const float *zt, size_t ncells, float scale,
                              float *restrict stat)
{
    _Static_assert(GRID_LANES == 4, "linear_group spells out 4 lanes");
    for (size_t c0 = 0; c0 < ncells; c0 += GRID_LANES) {
        size_t n = ncells - c0 < GRID_LANES ? ncells - c0 : GRID_LANES;
        int all = n == GRID_LANES;
        for (size_t j = 0; j < n; j++)
            all &= ap->k0[c0 + j] >= 0;
        if (all) {
            linear_group(ap, zt, c0, scale, stat);
            continue;
        }
        for (size_t j = 0; j < n; j++)
            if (ap->k0[c0 + j] >= 0)
                linear_cell(ap, zt, c0 + j, scale, stat);
    }
}

/* log10 P(Gamma(N, 1) > x) = log10(e^-x sum_{j<N} x^j / j!), without underflow. */
double isac_grid_log10_gamma_tail(unsigned N, double x)
{
    if (!(x > 0.0))
        return 0.0;
    double lx = log(x), tmax = -INFINITY;
    for (unsigned j = 0; j < N; j++) {
        double t = j * lx - lgamma(j + 1.0);
        if (t > tmax)
            tmax = t;
    }
    double s = 0.0;
    for (unsigned j = 0; j < N; j++)
        s += exp(j * lx - lgamma(j + 1.0) - tmax);
    return (tmax + log(s) - x) / M_LN10;
}

void isac_grid_find_best(const struct isac_grid_spec *spec, unsigned N, const uint8_t *ncell,
                         const double *thr_cell, const float *stat, struct isac_grid_best *best)
{
    /* Within one N_P the tail probability falls as Lambda grows: only the largest
     * Lambda of each N_P class can be the most significant cell. */
    size_t cand[GRID_MAX_N + 1];
    float vmax[GRID_MAX_N + 1];
    size_t ncells = (size_t)spec->nx * spec->ny;
    for (unsigned n = 0; n <= N; n++) {
        cand[n] = SIZE_MAX;
        vmax[n] = -1.0f;
    }
    for (size_t c = 0; c < ncells; c++) {
        unsigned n = ncell[c];
        if (stat[c] > vmax[n]) {
            vmax[n] = stat[c];
            cand[n] = c;
        }
    }
    size_t bc = cand[0] != SIZE_MAX ? cand[0] : 0;
    double bp = 0.0;
    unsigned bn = 0;
    for (unsigned n = 1; n <= N; n++) {
        if (cand[n] == SIZE_MAX)
            continue;
        double lp = isac_grid_log10_gamma_tail(n, stat[cand[n]]);
        if (bn == 0 || lp < bp) {
            bp = lp;
            bc = cand[n];
            bn = n;
        }
    }
    best->cell = bc;
    best->ix = (unsigned)(bc % spec->nx);
    best->iy = (unsigned)(bc / spec->nx);
    isac_grid_spec_cell_center(spec, bc, &best->x, &best->y);
    best->stat = stat[bc];
    best->threshold = thr_cell[bc];
    best->n_aps = ncell[bc];
    best->log10_p = bp;
    best->detected = stat[bc] > thr_cell[bc];
}

int isac_grid_execute(isac_grid g, const float complex *const *const *z, const double *sigma2,
                      float *stat, uint8_t *detect, struct isac_grid_best *best)
{
    if (!g || !z || !sigma2 || !stat)
        return ISAC_EINVAL;
    for (unsigned n = 0; n < g->N; n++) {
        if (!z[n] || !(sigma2[n] > 0.0) || !isfinite(sigma2[n]))
            return ISAC_EINVAL;
        for (unsigned m = 0; m < g->ap[n].M; m++)
            if (!z[n][m])
                return ISAC_EINVAL;
    }
    memset(stat, 0, g->ncells * sizeof *stat);
    for (unsigned n = 0; n < g->N; n++) {
        const struct grid_ap *ap = &g->ap[n];
        transpose(z[n], ap->M, g->K, g->zt);
        /* ||a||^2 = M: array.h steering vectors have unit-modulus entries */
        float scale = (float)(1.0 / (sigma2[n] * ap->M));
        if (g->interp == ISAC_GRID_INTERP_NEAREST)
            accumulate_nearest(ap, g->zt, g->ncells, scale, stat);
        else
            accumulate_linear(ap, g->zt, g->ncells, scale, stat);
    }
    if (detect)
        for (size_t c = 0; c < g->ncells; c++)
            detect[c] = stat[c] > g->thr_cell[c];
    if (best)
        isac_grid_find_best(&g->spec, g->N, g->ncell, g->thr_cell, stat, best);
    return ISAC_OK;
}
