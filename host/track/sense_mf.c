/* Sensing from samples: matched filter, range-angle GLRT map, CFAR, refinement and CLEAN
 * (see sense_mf.h). */
#include "track/sense_mf.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/rng.h"
#include "dsp/fdelay.h"
#include "dsp/mf.h"

#define C0 299792458.0
#define CLEAN_HALF 24 /* MF lags around a peak that the delay refinement looks at */
#define RHALF(s) ((long)(s)->p.lags + ISAC_FDELAY_HALF + 2)
#define RELAX_ITERS 2   /* re-estimation sweeps over all detections */
#define RESIDUAL 0.0316 /* -15 dB: a peak this much weaker within a cell is a residual */
#define PASSES 3        /* detection passes: noise re-estimated on the cleaned map */
#define GS_ITERS 40
#define MAX_CAND 256

struct isac_sense_mf_s {
    struct isac_sense_mf_params p;
    isac_array arr;
    unsigned M, S;
    float complex **code; /* [S][len] */
    isac_mf *f;           /* one MF per code */
    double complex *R;    /* R[(s2 * S + s) * (2 RHALF + 1) + j + RHALF] */
    double complex *Rc;   /* scratch: sum_s2 c_s2 R[s2][s](j) */
    float complex **q;    /* [n * S + s][lags], current burst */
    float complex ***qb;  /* [burst][n * S + s][lags] */
    double *T;            /* map [angle_bins][lags] */
    double noise;
    /* per-detect scratch: plan coefficients */
    const float complex *W;
    const double *pw;
    unsigned Sp;
};

static void free_planes(float complex **q, size_t n)
{
    for (size_t i = 0; q && i < n; i++)
        free(q[i]);
    free(q);
}

void isac_sense_mf_destroy(isac_sense_mf s)
{
    if (!s)
        return;
    for (unsigned c = 0; c < s->S; c++) {
        if (s->code)
            free(s->code[c]);
        if (s->f)
            isac_mf_destroy(s->f[c]);
    }
    free(s->code);
    free(s->f);
    for (unsigned b = 0; s->qb && b < s->p.bursts; b++)
        free_planes(s->qb[b], (size_t)s->M * s->S);
    free(s->qb);
    free(s->R);
    free(s->Rc);
    free(s->T);
    isac_array_destroy(s->arr);
    free(s);
}

/* Flat-band random-QPSK code: DFT bins |f| <= band / 2 (excluding none), unit power. */
static int make_code(const struct isac_sense_mf_params *p, unsigned col, float complex *u)
{
    size_t L = p->len;
    long half = (long)floor(0.5 * p->band / p->fs * (double)L);
    isac_rng r;
    isac_rng_seed_stream(&r, p->seed, 0xc0de0000ull + col);
    double complex *X = calloc(L, sizeof(*X));
    if (!X)
        return ISAC_ENOMEM;
    for (long k = -half; k <= half; k++) {
        uint64_t q = isac_rng_below(&r, 4);
        X[(k + (long)L) % (long)L] = cexp(I * (M_PI / 4 + M_PI / 2 * (double)q));
    }
    for (size_t i = 0; i < L; i++) { /* inverse DFT of the occupied bins */
        double complex acc = 0, w = cexp(I * 2 * M_PI * (double)i / L), e = cpow(w, -half);
        for (long k = -half; k <= half; k++, e *= w)
            acc += X[(k + (long)L) % (long)L] * e;
        u[i] = (float complex)acc;
    }
    /* unit average power */
    double e = 0;
    for (size_t i = 0; i < L; i++)
        e += crealf(u[i] * conjf(u[i]));
    float g = (float)sqrt((double)L / e);
    for (size_t i = 0; i < L; i++)
        u[i] *= g;
    free(X);
    return ISAC_OK;
}

isac_sense_mf isac_sense_mf_create(const struct isac_sense_mf_params *p, isac_array arr, char *err,
                                   size_t errlen)
{
    if (!p || !arr) {
        isac_seterr(err, errlen, "sense_mf: NULL argument");
        return NULL;
    }
    unsigned M = isac_array_size(arr);
    if (p->streams < 1 || p->streams > ISAC_SENSE_MF_MAX_STREAMS || p->len < 16 || p->len > 65536 ||
        p->lags < 8 || p->lags > p->len || !(p->fs > 0) || !(p->band > 0) ||
        p->band > 0.8 * p->fs * (1 + 1e-12) || !(p->fc > 0) || (p->bursts != 1 && p->bursts != 2) ||
        (p->bursts == 2 && !(p->gap_s > 0)) || p->angle_bins < M || p->angle_bins > 4096 ||
        !isfinite(p->det_snr_db)) {
        isac_seterr(err, errlen, "sense_mf: parameters out of range");
        return NULL;
    }
    isac_sense_mf s = calloc(1, sizeof(*s));
    if (!s)
        goto nomem;
    s->p = *p;
    s->M = M;
    s->S = p->streams;
    s->arr = isac_array_copy(arr);
    s->code = calloc(s->S, sizeof(*s->code));
    s->f = calloc(s->S, sizeof(*s->f));
    s->qb = calloc(p->bursts, sizeof(*s->qb));
    size_t nr = (size_t)(2 * RHALF(s) + 1);
    s->R = calloc((size_t)s->S * s->S * nr, sizeof(*s->R));
    s->Rc = calloc((size_t)s->S * nr, sizeof(*s->Rc));
    s->T = calloc(p->angle_bins * p->lags, sizeof(*s->T));
    if (!s->arr || !s->code || !s->f || !s->qb || !s->R || !s->Rc || !s->T)
        goto nomem;
    size_t W = p->len + p->lags - 1;
    for (unsigned c = 0; c < s->S; c++) {
        if (!(s->code[c] = malloc(p->len * sizeof(float complex))) || make_code(p, c, s->code[c]) ||
            !(s->f[c] = isac_mf_create(s->code[c], p->len, W, ISAC_MF_PLAN_ESTIMATE)))
            goto nomem;
    }
    for (unsigned b = 0; b < p->bursts; b++) {
        if (!(s->qb[b] = calloc((size_t)M * s->S, sizeof(float complex *))))
            goto nomem;
        for (size_t i = 0; i < (size_t)M * s->S; i++)
            if (!(s->qb[b][i] = calloc(p->lags, sizeof(float complex))))
                goto nomem;
    }
    /* R_{s2,s}(j) = sum_i u_s2[i + j] conj(u_s[i]) / ||u_s||: code s2 through MF s */
    double nrm = sqrt((double)p->len);
    for (unsigned s2 = 0; s2 < s->S; s2++)
        for (unsigned s1 = 0; s1 < s->S; s1++)
            for (long j = -RHALF(s); j <= RHALF(s); j++) {
                double complex acc = 0;
                for (long i = 0; i < (long)p->len; i++) {
                    long k = i + j;
                    if (k >= 0 && k < (long)p->len)
                        acc += s->code[s2][k] * conjf(s->code[s1][i]);
                }
                s->R[((size_t)s2 * s->S + s1) * nr + (size_t)(j + RHALF(s))] = acc / nrm;
            }
    return s;
nomem:
    isac_seterr(err, errlen, "sense_mf: out of memory");
    isac_sense_mf_destroy(s);
    return NULL;
}

const float complex *isac_sense_mf_code(isac_sense_mf s, unsigned col)
{
    return col < s->S ? s->code[col] : NULL;
}

size_t isac_sense_mf_window(isac_sense_mf s)
{
    return s->p.len + s->p.lags - 1;
}

double isac_sense_mf_noise(isac_sense_mf s)
{
    return s->noise;
}

static double complex R0(isac_sense_mf s, unsigned s2, unsigned s1)
{
    return s->R[((size_t)s2 * s->S + s1) * (size_t)(2 * RHALF(s) + 1) + (size_t)RHALF(s)];
}

/* c_s(u) for every plan column (a receives the steering vector); returns the energy
 * e(u) = sum_{s1,s2} conj(c_s1) c_s2 R_{s2,s1}(0) / sqrt(len) (~ sum_s |c_s|^2; the cross
 * terms of the nearly orthogonal codes are kept: without them the statistic's
 * normalisation is off by O(1/sqrt(len)) in a u-dependent way: measured, a bias of 7e-4
 * in u at every SNR with a beam on the vehicle, 0.2 Cramer-Rao deviations at 20 dB). */
static double coeffs(isac_sense_mf s, double u, double complex *a, double complex *c)
{
    isac_array_steering_d(s->arr, asin(fmax(-1.0, fmin(1.0, u))), a);
    for (unsigned k = 0; k < s->Sp; k++) {
        double complex acc = 0;
        for (unsigned m = 0; m < s->M; m++)
            acc += a[m] * s->W[(size_t)k * s->M + m];
        c[k] = acc * sqrt(s->pw[k]);
    }
    double complex e = 0;
    for (unsigned s1 = 0; s1 < s->Sp; s1++)
        for (unsigned s2 = 0; s2 < s->Sp; s2++)
            e += conj(c[s1]) * c[s2] * R0(s, s2, s1);
    return creal(e) / sqrt((double)s->p.len);
}

/* Statistic numerator z at (u, integer lag k) of the current planes. */
static double complex z_at(isac_sense_mf s, const double complex *a, const double complex *c,
                           size_t k)
{
    double complex z = 0;
    for (unsigned n = 0; n < s->M; n++) {
        double complex acc = 0;
        for (unsigned k2 = 0; k2 < s->Sp; k2++)
            acc += conj(c[k2]) * s->q[n * s->S + k2][k];
        z += conj(a[n]) * acc;
    }
    return z;
}

static double grid_u(isac_sense_mf s, unsigned b)
{
    return -1.0 + (2.0 * b + 1.0) / s->p.angle_bins;
}

static double T_cell(isac_sense_mf s, unsigned b, size_t k)
{
    double complex a[64], c[ISAC_SENSE_MF_MAX_STREAMS];
    double e = coeffs(s, grid_u(s, b), a, c);
    double complex z = z_at(s, a, c, k);
    return creal(z * conj(z)) / (s->M * e);
}

static void build_map(isac_sense_mf s)
{
    size_t K = s->p.lags;
    double complex a[64], c[ISAC_SENSE_MF_MAX_STREAMS];
    double complex *h = malloc((size_t)s->M * s->Sp * sizeof(*h));
    for (unsigned b = 0; b < s->p.angle_bins; b++) {
        double e = coeffs(s, grid_u(s, b), a, c);
        for (unsigned n = 0; n < s->M; n++)
            for (unsigned k2 = 0; k2 < s->Sp; k2++)
                h[n * s->Sp + k2] = conj(a[n] * c[k2]);
        for (size_t k = 0; k < K; k++) {
            double complex z = 0;
            for (unsigned n = 0; n < s->M; n++)
                for (unsigned k2 = 0; k2 < s->Sp; k2++)
                    z += h[n * s->Sp + k2] * s->q[n * s->S + k2][k];
            s->T[b * K + k] = creal(z * conj(z)) / (s->M * e);
        }
    }
    free(h);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static int local_max(isac_sense_mf s, unsigned b, size_t k, double v, int live)
{
    size_t K = s->p.lags;
    for (int db = -1; db <= 1; db++)
        for (int dk = -1; dk <= 1; dk++) {
            long bb = (long)b + db, kk = (long)k + dk;
            if ((!db && !dk) || bb < 0 || bb >= (long)s->p.angle_bins || kk < 0 || kk >= (long)K)
                continue;
            double w = live ? T_cell(s, (unsigned)bb, (size_t)kk) : s->T[bb * K + kk];
            if (w > v)
                return 0;
        }
    return 1;
}

/* ---- refinement ---- */

struct tau_ctx {
    double complex g[2 * CLEAN_HALF + 1];
    long k0;
};

static double f_tau(const struct tau_ctx *t, double tau)
{
    double complex v = 0;
    long n0 = (long)floor(tau);
    float h[ISAC_FDELAY_TAPS];
    isac_fdelay_taps(tau - (double)n0, h);
    for (int i = 0; i < ISAC_FDELAY_TAPS; i++) {
        long k = n0 - ISAC_FDELAY_HALF + 1 + i - t->k0;
        if (k >= 0 && k <= 2 * CLEAN_HALF)
            v += h[i] * t->g[k];
    }
    return creal(v * conj(v));
}

static double golden_tau(const struct tau_ctx *t, double lo, double hi)
{
    const double gr = 0.5 * (sqrt(5.0) - 1.0);
    double a = lo, b = hi, x1 = b - gr * (b - a), x2 = a + gr * (b - a);
    double f1 = f_tau(t, x1), f2 = f_tau(t, x2);
    for (int i = 0; i < GS_ITERS; i++) {
        if (f1 < f2) {
            a = x1;
            x1 = x2;
            f1 = f2;
            x2 = a + gr * (b - a);
            f2 = f_tau(t, x2);
        } else {
            b = x2;
            x2 = x1;
            f2 = f1;
            x1 = b - gr * (b - a);
            f1 = f_tau(t, x1);
        }
    }
    return 0.5 * (a + b);
}

/* |z(u)|^2 / (M e(u)) for the MF outputs qt[n * Sp + s] interpolated at one delay */
static double f_u(isac_sense_mf s, const double complex *qt, double u, double complex *zout,
                  double *eout)
{
    double complex a[64], c[ISAC_SENSE_MF_MAX_STREAMS];
    double e = coeffs(s, u, a, c);
    double complex z = 0;
    for (unsigned n = 0; n < s->M; n++) {
        double complex acc = 0;
        for (unsigned k2 = 0; k2 < s->Sp; k2++)
            acc += conj(c[k2]) * qt[n * s->Sp + k2];
        z += conj(a[n]) * acc;
    }
    if (zout)
        *zout = z;
    if (eout)
        *eout = e;
    return creal(z * conj(z)) / (s->M * e);
}

static double golden_u(isac_sense_mf s, const double complex *qt, double lo, double hi)
{
    const double gr = 0.5 * (sqrt(5.0) - 1.0);
    lo = fmax(lo, -0.9999);
    hi = fmin(hi, 0.9999);
    double a = lo, b = hi, x1 = b - gr * (b - a), x2 = a + gr * (b - a);
    double f1 = f_u(s, qt, x1, NULL, NULL), f2 = f_u(s, qt, x2, NULL, NULL);
    for (int i = 0; i < GS_ITERS; i++) {
        if (f1 < f2) {
            a = x1;
            x1 = x2;
            f1 = f2;
            x2 = a + gr * (b - a);
            f2 = f_u(s, qt, x2, NULL, NULL);
        } else {
            b = x2;
            x2 = x1;
            f2 = f1;
            x1 = b - gr * (b - a);
            f1 = f_u(s, qt, x1, NULL, NULL);
        }
    }
    return 0.5 * (a + b);
}

static void q_at(isac_sense_mf s, double tau, double complex *qt)
{
    long n0 = (long)floor(tau), K = (long)s->p.lags;
    float h[ISAC_FDELAY_TAPS];
    isac_fdelay_taps(tau - (double)n0, h); /* once for every channel */
    for (unsigned n = 0; n < s->M; n++)
        for (unsigned k2 = 0; k2 < s->Sp; k2++) {
            const float complex *v = s->q[n * s->S + k2];
            double complex acc = 0;
            for (int i = 0; i < ISAC_FDELAY_TAPS; i++) {
                long k = n0 - ISAC_FDELAY_HALF + 1 + i;
                if (k >= 0 && k < K)
                    acc += h[i] * v[k];
            }
            qt[n * s->Sp + k2] = acc;
        }
}

/* Refine (u, tau) from a grid cell; returns the statistic's numerator z and e(u). */
static void refine(isac_sense_mf s, double *u, double *tau, double complex *qt)
{
    double du = 2.0 / s->p.angle_bins;
    double complex a[64], c[ISAC_SENSE_MF_MAX_STREAMS];
    for (int round = 0; round < 3; round++) {
        struct tau_ctx t;
        t.k0 = (long)floor(*tau) - CLEAN_HALF;
        coeffs(s, *u, a, c);
        for (long j = 0; j <= 2 * CLEAN_HALF; j++) {
            long k = t.k0 + j;
            t.g[j] = (k >= 0 && k < (long)s->p.lags) ? z_at(s, a, c, (size_t)k) : 0;
        }
        *tau = golden_tau(&t, *tau - 1.0, *tau + 1.0);
        q_at(s, *tau, qt);
        *u = golden_u(s, qt, *u - du, *u + du);
        du *= 0.5;
    }
}

/* Remove the echo of amplitude alpha at (u, tau) from the current planes, at every lag
 * (the codes' range side lobes, about 1/len of the peak power, reach every lag). */
static void clean(isac_sense_mf s, double u, double tau, double complex alpha)
{
    double complex a[64], c[ISAC_SENSE_MF_MAX_STREAMS];
    coeffs(s, u, a, c);
    long rh = RHALF(s), nr = 2 * rh + 1;
    for (unsigned s1 = 0; s1 < s->Sp; s1++) {
        double complex *rc = s->Rc + (size_t)s1 * nr;
        for (long j = 0; j < nr; j++) {
            double complex acc = 0;
            for (unsigned s2 = 0; s2 < s->Sp; s2++)
                acc += c[s2] * s->R[((size_t)s2 * s->S + s1) * (size_t)nr + (size_t)j];
            rc[j] = acc;
        }
    }
    long n0 = (long)floor(-tau);
    float h[ISAC_FDELAY_TAPS];
    isac_fdelay_taps(-tau - (double)n0, h); /* k - tau = (k + n0) + frac for every lag k */
    for (long k = 0; k < (long)s->p.lags; k++) {
        for (unsigned s1 = 0; s1 < s->Sp; s1++) {
            const double complex *rc = s->Rc + (size_t)s1 * nr;
            double complex m = 0;
            for (int i = 0; i < ISAC_FDELAY_TAPS; i++) {
                long j = k + n0 - ISAC_FDELAY_HALF + 1 + i;
                if (j >= -rh && j <= rh)
                    m += h[i] * rc[j + rh];
            }
            m *= alpha;
            for (unsigned n = 0; n < s->M; n++)
                s->q[n * s->S + s1][k] -= (float complex)(m * a[n]);
        }
    }
}

/* The echo gain kappa with z = alpha kappa for a unit echo at u. */
static double kappa(isac_sense_mf s, double u)
{
    double complex a[64], c[ISAC_SENSE_MF_MAX_STREAMS];
    return coeffs(s, u, a, c) * s->M * sqrt((double)s->p.len);
}

struct det {
    double u, tau, T1, T2;
    double complex a1, a2;
};

static int mf_all(isac_sense_mf s, unsigned b, const float complex *const *y)
{
    for (unsigned k2 = 0; k2 < s->Sp; k2++) {
        float complex *z[64];
        for (unsigned n = 0; n < s->M; n++)
            z[n] = s->qb[b][n * s->S + k2];
        int rc = isac_mf_execute_multi(s->f[k2], s->M, y, z);
        if (rc)
            return rc;
    }
    return ISAC_OK;
}

int isac_sense_mf_detect(isac_sense_mf s, const float complex *W, const double *pw, unsigned S,
                         const float complex *const *const *y, unsigned rsu,
                         struct isac_trk_meas *out, unsigned max, unsigned *n)
{
    if (!s || !W || !pw || !y || !n || S < 1 || S > s->S || s->M > 64 || (max && !out))
        return ISAC_EINVAL;
    *n = 0;
    s->W = W;
    s->pw = pw;
    s->Sp = S;
    size_t K = s->p.lags, NB = s->p.angle_bins;
    int rc = ISAC_OK;
    for (unsigned b = 0; b < s->p.bursts && rc == ISAC_OK; b++)
        rc = mf_all(s, b, y[b]);
    if (rc)
        return rc;
    s->q = s->qb[0];
    double *tmp = malloc(NB * K * sizeof(*tmp));
    struct det *d = malloc(MAX_CAND * sizeof(*d));
    size_t *cand = malloc(MAX_CAND * sizeof(*cand));
    double complex *qt = malloc((size_t)s->M * S * sizeof(*qt));
    if (!tmp || !d || !cand || !qt) {
        rc = ISAC_ENOMEM;
        goto out;
    }
    unsigned nd = 0;
    /* Pass 1 estimates the noise on a map that still holds every echo's range side lobes
     * (too high at high SNR); later passes re-estimate it on the cleaned map and look for
     * what the higher threshold hid. */
    for (int pass = 0; pass < PASSES; pass++) {
        build_map(s);
        memcpy(tmp, s->T, NB * K * sizeof(*tmp));
        qsort(tmp, NB * K, sizeof(*tmp), cmp_double);
        s->noise = tmp[NB * K / 2] / M_LN2;
        double thr = pow(10.0, s->p.det_snr_db / 10.0) * s->noise;
        unsigned nc = 0;
        for (size_t i = 0; i < NB * K; i++) {
            unsigned b = (unsigned)(i / K);
            size_t k = i % K;
            if (s->T[i] >= thr && local_max(s, b, k, s->T[i], 0)) {
                if (nc < MAX_CAND) {
                    cand[nc++] = i;
                } else { /* keep the strongest MAX_CAND */
                    unsigned w = 0;
                    for (unsigned j = 1; j < nc; j++)
                        w = s->T[cand[j]] < s->T[cand[w]] ? j : w;
                    if (s->T[i] > s->T[cand[w]])
                        cand[w] = i;
                }
            }
        }
        if (!nc)
            break;
        for (unsigned i = 1; i < nc; i++) /* strongest first (insertion sort, nc small) */
            for (unsigned j = i; j > 0 && s->T[cand[j]] > s->T[cand[j - 1]]; j--) {
                size_t t = cand[j];
                cand[j] = cand[j - 1];
                cand[j - 1] = t;
            }
        for (unsigned i = 0; i < nc && nd < MAX_CAND; i++) {
            unsigned b = (unsigned)(cand[i] / K);
            size_t k = cand[i] % K;
            double v = T_cell(s, b, k);
            /* Cleaning stronger vehicles moves peaks by up to a cell: climb to the live
             * local maximum (dropping the candidate would leave its side lobes, later in
             * the list, to be taken for vehicles). */
            for (int step = 0; step < 8 && v >= thr; step++) {
                unsigned bb = b;
                size_t kk = k;
                double vb = v;
                for (int db = -1; db <= 1; db++)
                    for (int dk = -1; dk <= 1; dk++) {
                        long b2 = (long)b + db, k2 = (long)k + dk;
                        if ((!db && !dk) || b2 < 0 || b2 >= (long)NB || k2 < 0 || k2 >= (long)K)
                            continue;
                        double w = T_cell(s, (unsigned)b2, (size_t)k2);
                        if (w > vb) {
                            vb = w;
                            bb = (unsigned)b2;
                            kk = (size_t)k2;
                        }
                    }
                if (bb == b && kk == k)
                    break;
                b = bb;
                k = kk;
                v = vb;
            }
            if (v < thr || !local_max(s, b, k, v, 1))
                continue; /* a side lobe of a vehicle already cleaned */
            double u = grid_u(s, b), tau = (double)k;
            refine(s, &u, &tau, qt);
            /* A peak within a resolution cell of a much stronger detection is taken as that
             * vehicle's cleaning residual (two vehicles that close are not resolved by
             * the array and band anyway; docs/tracking.md). */
            double cell = s->p.fs / s->p.band, vnow = f_u(s, qt, u, NULL, NULL);
            int dup = 0;
            for (unsigned j = 0; j < nd; j++)
                dup |= (fabs(d[j].tau - tau) < 0.5 && fabs(d[j].u - u) < 1.0 / NB) ||
                       (fabs(d[j].tau - tau) < 1.5 * cell && fabs(d[j].u - u) < 2.0 / s->M &&
                        vnow < d[j].T1 * RESIDUAL);
            if (dup || tau < 0 || tau > (double)K - 1)
                continue;
            double complex z;
            double e;
            q_at(s, tau, qt);
            double T = f_u(s, qt, u, &z, &e);
            double complex alpha = z / kappa(s, u);
            clean(s, u, tau, alpha);
            d[nd++] = (struct det){u, tau, T, 0, alpha, 0};
        }
    }
    /* RELAX (Li and Stoica): each vehicle was estimated while the weaker ones were still
     * in the data; re-estimate each with every other one subtracted. */
    for (int it = 0; it < RELAX_ITERS; it++)
        for (unsigned j = 0; j < nd; j++) {
            clean(s, d[j].u, d[j].tau, -d[j].a1); /* put it back */
            refine(s, &d[j].u, &d[j].tau, qt);
            double complex z;
            double e;
            q_at(s, d[j].tau, qt);
            d[j].T1 = f_u(s, qt, d[j].u, &z, &e);
            d[j].a1 = z / kappa(s, d[j].u);
            clean(s, d[j].u, d[j].tau, d[j].a1);
        }
    for (unsigned j = 0; j < nd; j++)
        d[j].T1 /= s->noise;
    if (s->p.bursts == 2) {
        s->q = s->qb[1];
        for (unsigned j = 0; j < nd; j++) {
            double complex z;
            double e;
            q_at(s, d[j].tau, qt);
            double T = f_u(s, qt, d[j].u, &z, &e);
            d[j].a2 = z / kappa(s, d[j].u);
            d[j].T2 = T / s->noise;
            clean(s, d[j].u, d[j].tau, d[j].a2);
        }
    }
    double brms = s->p.band / sqrt(12.0), M = s->M;
    for (unsigned j = 0; j < nd && *n < max; j++) {
        double snr_arr = fmax(d[j].T1 - 1.0, 1e-3), snr_el = snr_arr / M;
        struct isac_trk_meas *m = &out[(*n)++];
        m->rsu = rsu;
        m->truth_id = -1;
        m->u = d[j].u;
        m->d = C0 * d[j].tau / (2.0 * s->p.fs);
        m->su = M > 1 ? 1.0 / sqrt(2.0 * snr_el * M_PI * M_PI * M * (M * M - 1.0) / 12.0) : 1.0;
        m->sd = C0 / 2.0 / sqrt(8.0 * M_PI * M_PI * brms * brms * snr_arr);
        if (s->p.bursts == 2) {
            double dph = carg(d[j].a2 * conj(d[j].a1));
            double k = C0 / (4.0 * M_PI * s->p.fc * s->p.gap_s);
            double snr2 = fmax(d[j].T2 - 1.0, 1e-3);
            m->r = -dph * k;
            m->sr = k * sqrt(0.5 / snr_arr + 0.5 / snr2);
        } else {
            m->r = 0.0;
            m->sr = ISAC_SENSE_MF_NO_RATE_SD;
        }
    }
out:
    free(tmp);
    free(d);
    free(cand);
    free(qt);
    return rc;
}
