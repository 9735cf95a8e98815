/* MA beam codebooks (array/ma_codebook.h): per-beam positions by coordinate descent on
 * the peak sidelobe level, continuous or on a dense grid. */
#include "array/ma_codebook.h"

#include <complex.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/rng.h"

#define FINEST_STEP_WL 1e-4 /* continuous refinement stops here */
#define MAX_SWEEPS 40

void isac_ma_codebook_params_default(struct isac_ma_codebook_params *p)
{
    *p = (struct isac_ma_codebook_params){.active = 8,
                                          .region_wl = 8.0,
                                          .d_min_wl = 0.5,
                                          .grid_step_wl = 0.0,
                                          .beams = 16,
                                          .phi_min = -M_PI / 3,
                                          .phi_max = M_PI / 3,
                                          .seed = 1,
                                          .restarts = 4};
}

static int is_multiple(double a, double step)
{
    double k = a / step;
    return fabs(k - round(k)) <= 1e-6 * fmax(1.0, k);
}

int isac_ma_codebook_check(const struct isac_ma_codebook_params *p, char *err, size_t errlen)
{
    if (p->active < 1 || p->active > ISAC_MA_MAX_ACTIVE)
        isac_seterr(err, errlen, "--elements %u: expected 1..%d active elements", p->active,
                    ISAC_MA_MAX_ACTIVE);
    else if (!(p->region_wl > 0 && p->region_wl <= ISAC_MA_MAX_REGION_WL))
        isac_seterr(err, errlen, "--region %g: expected (0, %g] wavelengths", p->region_wl,
                    ISAC_MA_MAX_REGION_WL);
    else if (!(p->d_min_wl >= ISAC_MA_MIN_SPACING_WL && p->d_min_wl <= p->region_wl))
        isac_seterr(err, errlen, "--dmin %g: expected %g..%g wavelengths (the region)", p->d_min_wl,
                    ISAC_MA_MIN_SPACING_WL, p->region_wl);
    else if ((p->active - 1) * p->d_min_wl > p->region_wl * (1 + 1e-12))
        isac_seterr(err, errlen,
                    "--elements %u: %u elements at --dmin %g need a region of %g wavelengths, "
                    "--region is %g",
                    p->active, p->active, p->d_min_wl, (p->active - 1) * p->d_min_wl, p->region_wl);
    else if (!(p->grid_step_wl >= 0 && isfinite(p->grid_step_wl)))
        isac_seterr(err, errlen, "--grid-step %g: expected a positive step", p->grid_step_wl);
    else if (p->grid_step_wl > 0 && p->grid_step_wl < ISAC_MA_MIN_SPACING_WL)
        isac_seterr(err, errlen,
                    "--grid-step %g: the dense grid's elements would be closer than %g "
                    "wavelengths",
                    p->grid_step_wl, ISAC_MA_MIN_SPACING_WL);
    else if (p->grid_step_wl > 0 && !is_multiple(p->d_min_wl, p->grid_step_wl))
        isac_seterr(err, errlen, "--dmin %g: not a multiple of --grid-step %g", p->d_min_wl,
                    p->grid_step_wl);
    else if (p->grid_step_wl > 0 &&
             floor(p->region_wl / p->grid_step_wl + 1e-9) + 1 > ISAC_MA_MAX_GRID)
        isac_seterr(err, errlen, "--grid-step %g: more than %d grid elements in --region %g",
                    p->grid_step_wl, ISAC_MA_MAX_GRID, p->region_wl);
    else if (p->beams < 1 || p->beams > ISAC_CODEBOOK_MAX_BEAMS)
        isac_seterr(err, errlen, "--beams %u: expected 1..%d", p->beams, ISAC_CODEBOOK_MAX_BEAMS);
    else if (!(p->phi_min >= -M_PI / 2 && p->phi_max <= M_PI / 2 && p->phi_min < p->phi_max))
        isac_seterr(err, errlen, "--min-deg %g / --max-deg %g: expected -90 <= min < max <= 90",
                    p->phi_min * 180 / M_PI, p->phi_max * 180 / M_PI);
    else if (p->restarts < 1 || p->restarts > 64)
        isac_seterr(err, errlen, "--restarts %u: expected 1..64", p->restarts);
    else
        return ISAC_OK;
    return ISAC_EINVAL;
}

/* ---- the objective ---- */

/* The u grid of the PSL: [-1, 1] in steps of at most 1/(8 D) (8 points per sidelobe of
 * the region's aperture) and 0.005. */
struct pattern {
    unsigned n_u;
    double u_min, du, u0, u_ml;
    double complex *rest; /* sum over the other elements, per u */
    double complex *term; /* scratch */
};

static int pattern_init(struct pattern *pt, double u0, double region)
{
    double du = fmin(0.005, 1.0 / (8.0 * region));
    pt->n_u = (unsigned)ceil(2.0 / du) + 1;
    pt->du = 2.0 / (pt->n_u - 1);
    pt->u_min = -1.0;
    pt->u0 = u0;
    pt->u_ml = 1.0 / region;
    pt->rest = malloc(pt->n_u * sizeof *pt->rest);
    pt->term = malloc(pt->n_u * sizeof *pt->term);
    return pt->rest && pt->term ? ISAC_OK : ISAC_ENOMEM;
}

static void pattern_free(struct pattern *pt)
{
    free(pt->rest);
    free(pt->term);
}

/* out[k] (+)= exp(j 2 pi x (u_k - u0)) by recurrence (one multiply per point; the phase
 * error after 1e4 steps is ~1e-12, far below the 1e-4 dB the objective resolves). */
static void add_element(const struct pattern *pt, double x, double complex *out, double sign)
{
    double complex z = cexp(I * 2.0 * M_PI * x * (pt->u_min - pt->u0));
    double complex r = cexp(I * 2.0 * M_PI * x * pt->du);
    for (unsigned k = 0; k < pt->n_u; k++) {
        out[k] += sign * z;
        z *= r;
    }
}

/* Peak sidelobe |AF|^2 (linear, normalised to the peak N^2) of rest + element at x. */
static double psl_with(const struct pattern *pt, const double complex *base, double x, unsigned n)
{
    memcpy(pt->term, base, pt->n_u * sizeof *pt->term);
    if (isfinite(x))
        add_element(pt, x, pt->term, 1.0);
    double worst = 0;
    for (unsigned k = 0; k < pt->n_u; k++) {
        double u = pt->u_min + k * pt->du;
        if (fabs(u - pt->u0) < pt->u_ml)
            continue;
        double g =
            creal(pt->term[k]) * creal(pt->term[k]) + cimag(pt->term[k]) * cimag(pt->term[k]);
        if (g > worst)
            worst = g;
    }
    return worst / ((double)n * n);
}

static double psl_lin(struct pattern *pt, const double *x, unsigned n)
{
    memset(pt->rest, 0, pt->n_u * sizeof *pt->rest);
    for (unsigned m = 0; m < n; m++)
        add_element(pt, x[m], pt->rest, 1.0);
    return psl_with(pt, pt->rest, NAN, n);
}

double isac_ma_psl_db(const double *x_wl, unsigned n, double u0, double region_wl)
{
    struct pattern pt = {0};
    double v = NAN;
    if (n && region_wl > 0 && pattern_init(&pt, u0, region_wl) == ISAC_OK)
        v = 10.0 * log10(fmax(psl_lin(&pt, x_wl, n), 1e-30));
    pattern_free(&pt);
    return v;
}

/* ---- the optimiser ---- */

struct problem {
    unsigned n;
    double D, dmin, step; /* step: grid pitch, 0 = continuous */
};

/* Best place for element m between its neighbours (x sorted). Candidates on a lattice of
 * pitch h from lo, refined around the best by h/4 until FINEST_STEP_WL (continuous) or on
 * the grid only. Returns the new PSL; x[m] updated. */
static double best_place(struct pattern *pt, const struct problem *pb, double *x, unsigned m,
                         double cur)
{
    double lo = m ? x[m - 1] + pb->dmin : 0.0;
    double hi = m + 1 < pb->n ? x[m + 1] - pb->dmin : pb->D;
    if (pb->step > 0) { /* grid indices within [lo, hi] */
        lo = ceil(lo / pb->step - 1e-9) * pb->step;
        hi = floor(hi / pb->step + 1e-9) * pb->step;
    }
    if (hi < lo)
        return cur;
    memset(pt->rest, 0, pt->n_u * sizeof *pt->rest);
    for (unsigned k = 0; k < pb->n; k++)
        if (k != m)
            add_element(pt, x[k], pt->rest, 1.0);
    double best_x = x[m], best = cur;
    double h = pb->step > 0 ? pb->step : fmax(pb->dmin / 4.0, FINEST_STEP_WL);
    double a = lo, b = hi;
    for (;;) {
        unsigned cnt = (unsigned)floor((b - a) / h + 1e-9) + 1;
        for (unsigned i = 0; i < cnt; i++) {
            double c = a + i * h;
            double v = psl_with(pt, pt->rest, c, pb->n);
            if (v < best - 1e-15) {
                best = v;
                best_x = c;
            }
        }
        if (pb->step > 0 || h <= FINEST_STEP_WL)
            break;
        a = fmax(lo, best_x - h);
        b = fmin(hi, best_x + h);
        h /= 4.0;
    }
    x[m] = best_x;
    return best;
}

static double descend(struct pattern *pt, const struct problem *pb, double *x)
{
    double cur = psl_lin(pt, x, pb->n);
    for (unsigned s = 0; s < MAX_SWEEPS; s++) {
        double before = cur;
        for (unsigned m = 0; m < pb->n; m++)
            cur = best_place(pt, pb, x, m, cur);
        if (!(cur < before * (1 - 1e-6)))
            break;
    }
    return cur;
}

/* Start r: 0 = evenly spread over [0, D]; else the slack D - (n-1) d_min split by
 * uniform draws (a uniform point of the feasible ordered set). On the grid: projected. */
static void start(const struct problem *pb, unsigned r, isac_rng *g, double *x)
{
    unsigned n = pb->n;
    double slack = pb->D - (n - 1) * pb->dmin;
    if (n == 1) {
        x[0] = r ? isac_rng_uniform(g) * pb->D : pb->D / 2;
    } else if (r == 0) {
        for (unsigned m = 0; m < n; m++)
            x[m] = m * pb->D / (n - 1);
    } else {
        double w[ISAC_MA_MAX_ACTIVE + 1], tot = 0;
        for (unsigned m = 0; m <= n; m++)
            tot += (w[m] = -log(1.0 - isac_rng_uniform(g)));
        double acc = 0;
        for (unsigned m = 0; m < n; m++) {
            acc += w[m] / tot * slack;
            x[m] = acc + m * pb->dmin;
        }
    }
    if (pb->step > 0)
        isac_ma_grid_project(x, n, pb->step, pb->dmin, pb->D, x);
}

/* The best of `restarts` descents for steering u0 into x. Linear PSL returned. */
static double optimise(const struct problem *pb, double u0, const struct isac_ma_codebook_params *p,
                       unsigned beam, double *x)
{
    struct pattern pt = {0};
    double best = INFINITY, *y = malloc(pb->n * sizeof *y);
    if (!y || pattern_init(&pt, u0, pb->D)) {
        free(y);
        pattern_free(&pt);
        return NAN;
    }
    isac_rng g;
    isac_rng_seed_stream(&g, p->seed, beam);
    for (unsigned r = 0; r < p->restarts; r++) {
        start(pb, r, &g, y);
        double v = descend(&pt, pb, y);
        if (v < best) {
            best = v;
            memcpy(x, y, pb->n * sizeof *x);
        }
    }
    pattern_free(&pt);
    free(y);
    return best;
}

int isac_ma_grid_project(const double *x_wl, unsigned n, double step_wl, double d_min_wl,
                         double region_wl, double *out_wl)
{
    if (!n || !(step_wl > 0) || !(d_min_wl >= 0) || !(region_wl >= 0))
        return ISAC_EINVAL;
    long dk = lround(d_min_wl / step_wl), kmax = (long)floor(region_wl / step_wl + 1e-9);
    if ((long)(n - 1) * dk > kmax)
        return ISAC_EINVAL;
    long *k = malloc(n * sizeof *k);
    if (!k)
        return ISAC_ENOMEM;
    for (unsigned m = 0; m < n; m++) {
        k[m] = lround(x_wl[m] / step_wl);
        k[m] = k[m] < 0 ? 0 : k[m];
        if (m && k[m] < k[m - 1] + dk)
            k[m] = k[m - 1] + dk;
    }
    for (unsigned i = n; i-- > 0;) {
        long cap = i + 1 < n ? k[i + 1] - dk : kmax;
        if (k[i] > cap)
            k[i] = cap;
    }
    for (unsigned m = 0; m < n; m++)
        out_wl[m] = k[m] * step_wl;
    free(k);
    return ISAC_OK;
}

/* ---- codebooks ---- */

static double steer_u(const struct isac_ma_codebook_params *p, unsigned q)
{
    double u0 = sin(p->phi_min), u1 = sin(p->phi_max);
    return u0 + (q + 0.5) * (u1 - u0) / p->beams;
}

/* w = conj(a(x, phi)) / sqrt(n) into w (n) */
static void steer(const double *x, unsigned n, double u, float complex *w)
{
    for (unsigned m = 0; m < n; m++)
        w[m] = (float complex)(cexp(-I * 2.0 * M_PI * x[m] * u) / sqrt((double)n));
}

/* The array a continuous codebook is stored with (no beam uses it: every beam has its
 * own positions): the half-wavelength ULA when it fits the constraints, else d_min. */
static isac_array rest_array(const struct isac_ma_codebook_params *p)
{
    double s = fmax(0.5, p->d_min_wl);
    if ((p->active - 1) * s > p->region_wl)
        s = p->d_min_wl;
    return isac_array_create_ula(p->active, s);
}

static isac_codebook build(const struct isac_ma_codebook_params *p, const struct problem *pb,
                           isac_array arr, unsigned G, char *err, size_t errlen)
{
    unsigned N = p->active, Q = p->beams;
    double *ang = malloc(Q * sizeof *ang), *x = malloc(N * sizeof *x);
    float complex *w = calloc((size_t)Q * G, sizeof *w), *wn = malloc(N * sizeof *wn);
    unsigned char *act = calloc(G, 1);
    isac_codebook cb = NULL;
    int ok = ang && x && w && wn && act;
    for (unsigned q = 0; ok && q < Q; q++)
        ang[q] = asin(steer_u(p, q));
    if (ok)
        cb = isac_codebook_create(arr, Q, ang, w);
    for (unsigned q = 0; cb && q < Q; q++) {
        if (!isfinite(optimise(pb, steer_u(p, q), p, q, x))) {
            isac_codebook_destroy(cb);
            cb = NULL;
            break;
        }
        steer(x, N, steer_u(p, q), wn);
        float complex *wq = (float complex *)isac_codebook_weights(cb, q);
        int rc;
        if (pb->step > 0) { /* select the grid elements at x */
            memset(act, 0, G);
            memset(wq, 0, G * sizeof *wq);
            for (unsigned m = 0; m < N; m++) {
                unsigned k = (unsigned)lround(x[m] / pb->step);
                act[k] = 1;
                wq[k] = wn[m];
            }
            rc = isac_codebook_set_beam_layout(cb, q, NULL, act);
        } else {
            memcpy(wq, wn, N * sizeof *wq);
            rc = isac_codebook_set_beam_layout(cb, q, x, NULL);
        }
        if (rc) {
            isac_codebook_destroy(cb);
            cb = NULL;
        }
    }
    if (!cb)
        isac_seterr(err, errlen, "codebook ma: out of memory");
    free(ang);
    free(x);
    free(w);
    free(wn);
    free(act);
    return cb;
}

isac_codebook isac_ma_codebook_create(const struct isac_ma_codebook_params *p, char *err,
                                      size_t errlen)
{
    if (!p || isac_ma_codebook_check(p, err, errlen))
        return NULL;
    int isac_grid = p->grid_step_wl > 0;
    struct problem pb = {p->active, p->region_wl, p->d_min_wl, p->grid_step_wl};
    unsigned G = isac_grid ? (unsigned)floor(p->region_wl / p->grid_step_wl + 1e-9) + 1 : p->active;
    isac_array arr = isac_grid ? isac_array_create_ula(G, p->grid_step_wl) : rest_array(p);
    isac_codebook cb = arr ? build(p, &pb, arr, G, err, errlen) : NULL;
    isac_array_destroy(arr);
    if (!arr)
        isac_seterr(err, errlen, "codebook ma: out of memory");
    struct isac_codebook_ma_info ma = {isac_grid ? ISAC_CODEBOOK_MA_GRID
                                                 : ISAC_CODEBOOK_MA_CONTINUOUS,
                                       p->region_wl, p->d_min_wl, p->grid_step_wl, p->active};
    char why[256];
    if (cb && (isac_codebook_set_ma(cb, &ma) || isac_codebook_ma_check(cb, why, sizeof why))) {
        /* the optimiser only proposes feasible places: this is a bug, not bad input */
        isac_seterr(err, errlen, "codebook ma: internal error: %s", why);
        isac_codebook_destroy(cb);
        cb = NULL;
    }
    return cb;
}

static double variance(const double *x, unsigned n)
{
    double m = 0, v = 0;
    for (unsigned i = 0; i < n; i++)
        m += x[i] / n;
    for (unsigned i = 0; i < n; i++)
        v += (x[i] - m) * (x[i] - m) / n;
    return v;
}

int isac_ma_codebook_quantisation(const struct isac_ma_codebook_params *p,
                                  struct isac_ma_quant_report *r, char *err, size_t errlen)
{
    if (!p || !r || isac_ma_codebook_check(p, err, errlen))
        return ISAC_EINVAL;
    if (!(p->grid_step_wl > 0)) {
        isac_seterr(err, errlen, "--grid-step: the quantisation loss needs a grid step");
        return ISAC_EINVAL;
    }
    unsigned N = p->active;
    struct problem cont = {N, p->region_wl, p->d_min_wl, 0}, isac_grid = cont;
    isac_grid.step = p->grid_step_wl;
    double *xc = malloc(N * sizeof *xc), *xr = malloc(N * sizeof *xr), *xg = malloc(N * sizeof *xg);
    int rc = xc && xr && xg ? ISAC_OK : ISAC_ENOMEM;
    memset(r, 0, sizeof *r);
    r->beams = p->beams;
    r->worst_round_db = r->worst_grid_db = -INFINITY;
    for (unsigned q = 0; rc == ISAC_OK && q < p->beams; q++) {
        double u = steer_u(p, q);
        double c = optimise(&cont, u, p, q, xc), g = optimise(&isac_grid, u, p, q, xg);
        if (!isfinite(c) || !isfinite(g) ||
            isac_ma_grid_project(xc, N, p->grid_step_wl, p->d_min_wl, p->region_wl, xr)) {
            rc = ISAC_ENOMEM;
            break;
        }
        double cd = 10 * log10(fmax(c, 1e-30)), gd = 10 * log10(fmax(g, 1e-30));
        double rd = isac_ma_psl_db(xr, N, u, p->region_wl);
        r->psl_cont_db += cd / p->beams;
        r->psl_grid_db += gd / p->beams;
        r->psl_round_db += rd / p->beams;
        r->loss_grid_db += (gd - cd) / p->beams;
        r->loss_round_db += (rd - cd) / p->beams;
        r->worst_grid_db = fmax(r->worst_grid_db, gd - cd);
        r->worst_round_db = fmax(r->worst_round_db, rd - cd);
        double vc = variance(xc, N);
        r->aperture_ratio += (vc > 0 ? variance(xg, N) / vc : 1.0) / p->beams;
    }
    if (rc)
        isac_seterr(err, errlen, "codebook ma: out of memory");
    free(xc);
    free(xr);
    free(xg);
    return rc;
}
