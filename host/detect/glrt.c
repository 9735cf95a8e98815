/* GLRT multi-receiver detector (seed 004 section II-B, corrected scaling; see glrt.h). */
#include "detect/glrt.h"

#include "common/err.h"
#include "detect/bf.h"

#include <gsl/gsl_cdf.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define GLRT_MAX_N 64u
#define GLRT_MAX_M 4096u

struct isac_glrt_s {
    unsigned N;
    unsigned *M;
    double pfa;
    double thr;        /* threshold on Lambda */
    unsigned ca_train; /* train size of the cached CA threshold (0: none) */
    double ca_thr;
    double *cum; /* CA prefix sums, cum_cap entries */
    size_t cum_cap;
    float re[ISAC_BF_CHUNK], im[ISAC_BF_CHUNK]; /* beamformer accumulators */
};

/* ---- quantiles ---- */

/* Smallest t with sf(t) <= p for a decreasing survival function sf on (0, inf):
 * bracket by doubling, then bisect to relative width 1e-13. Used where GSL's own
 * inverses are unreliable (gsl_cdf_fdist_Qinv aborts with "inverse failed to
 * converge" for e.g. 2N = 4, 4NT = 512, p = 7.2e-4). */
static double invert_sf(double (*sf)(double, double, double), double p, double a, double b)
{
    double lo = 0.0, hi = 1.0;
    while (sf(hi, a, b) > p) {
        lo = hi;
        hi *= 2.0;
        if (hi > 1e300)
            return INFINITY;
    }
    for (int it = 0; it < 200 && hi - lo > 1e-13 * hi; it++) {
        double mid = 0.5 * (lo + hi);
        if (sf(mid, a, b) > p)
            lo = mid;
        else
            hi = mid;
    }
    return hi;
}

static double chisq_sf3(double x, double k, double unused)
{
    (void)unused;
    return gsl_cdf_chisq_Q(x, k);
}

static double fdist_sf3(double x, double d1, double d2)
{
    return gsl_cdf_fdist_Q(x, d1, d2);
}

static double chisq_qinv(double p, double k)
{
    double t = gsl_cdf_chisq_Qinv(p, k);
    if (!isfinite(t) || t <= 0.0)
        t = invert_sf(chisq_sf3, p, k, 0.0);
    return t;
}

double isac_glrt_threshold_n(unsigned N, double pfa)
{
    if (N == 0 || N > 1024 || !(pfa > 0.0 && pfa < 1.0))
        return NAN;
    return 0.5 * chisq_qinv(pfa, 2.0 * N);
}

double isac_glrt_threshold_paper(unsigned N, double pfa)
{
    if (N == 0 || N > 1024 || !(pfa > 0.0 && pfa < 1.0))
        return NAN;
    return chisq_qinv(pfa, 2.0 * N);
}

/* ---- object ---- */

isac_glrt isac_glrt_create(unsigned N, const unsigned *M, double pfa)
{
    if (N == 0 || N > GLRT_MAX_N || !M || !(pfa >= 1e-12 && pfa <= 0.5))
        return NULL;
    for (unsigned n = 0; n < N; n++)
        if (M[n] == 0 || M[n] > GLRT_MAX_M)
            return NULL;
    isac_glrt g = calloc(1, sizeof *g);
    if (!g)
        return NULL;
    g->M = malloc(N * sizeof *g->M);
    if (!g->M) {
        free(g);
        return NULL;
    }
    memcpy(g->M, M, N * sizeof *g->M);
    g->N = N;
    g->pfa = pfa;
    g->thr = isac_glrt_threshold_n(N, pfa);
    return g;
}

void isac_glrt_destroy(isac_glrt g)
{
    if (!g)
        return;
    free(g->cum);
    free(g->M);
    free(g);
}

unsigned isac_glrt_num_aps(isac_glrt g)
{
    return g->N;
}
double isac_glrt_pfa(isac_glrt g)
{
    return g->pfa;
}
double isac_glrt_threshold(isac_glrt g)
{
    return g->thr;
}

/* ---- single hypothesis ---- */

int isac_glrt_execute(isac_glrt g, const float complex *const *y, const float complex *const *eta,
                      const double *sigma2, float complex *gamma_hat, struct isac_glrt_result *res)
{
    if (!g || !y || !eta || !sigma2 || !res)
        return ISAC_EINVAL;
    double lam = 0.0;
    for (unsigned n = 0; n < g->N; n++) {
        if (!y[n] || !eta[n] || !(sigma2[n] > 0.0) || !isfinite(sigma2[n]))
            return ISAC_EINVAL;
        double yr = 0.0, yi = 0.0, e2 = 0.0; /* ybar = eta^H y, eq. (12) */
        for (unsigned m = 0; m < g->M[n]; m++) {
            double er = crealf(eta[n][m]), ei = cimagf(eta[n][m]);
            double zr = crealf(y[n][m]), zi = cimagf(y[n][m]);
            yr += er * zr + ei * zi;
            yi += er * zi - ei * zr;
            e2 += er * er + ei * ei;
        }
        if (!(e2 > 0.0))
            return ISAC_EINVAL;
        lam += (yr * yr + yi * yi) / (sigma2[n] * e2); /* eq. (15), per-AP sigma */
        if (gamma_hat)
            gamma_hat[n] = (float)(yr / e2) + I * (float)(yi / e2); /* eq. (13) */
    }
    res->lambda = lam;
    res->detected = lam > g->thr;
    /* sum_n 2|gamma_hat_n|^2 ||eta_n||^2 / sigma_n^2 is exactly 2*lambda; its mean is
     * delta + 2N, hence the bias correction for the P_D estimate. */
    res->delta_hat = 2.0 * lam;
    double dc = 2.0 * lam - 2.0 * g->N;
    res->pd_hat =
        isac_ncx2_sf(2.0 * g->thr, 2.0 * g->N, dc > 0.0 ? dc : 0.0); /* = isac_glrt_pd() */
    return ISAC_OK;
}

/* ---- range profile ---- */

static int check_profile_args(isac_glrt g, const float complex *const *const *z, size_t K,
                              const float complex *const *a)
{
    if (!g || !z || !a || K == 0)
        return ISAC_EINVAL;
    for (unsigned n = 0; n < g->N; n++) {
        if (!z[n] || !a[n])
            return ISAC_EINVAL;
        for (unsigned m = 0; m < g->M[n]; m++)
            if (!z[n][m])
                return ISAC_EINVAL;
    }
    return ISAC_OK;
}

static double steer_norm2(const float complex *a, unsigned M)
{
    double s = 0.0;
    for (unsigned m = 0; m < M; m++)
        s += (double)crealf(a[m]) * crealf(a[m]) + (double)cimagf(a[m]) * cimagf(a[m]);
    return s;
}

/* out[k] = sum_n w[n] |a_n^H z_n[k]|^2 for k in [0, K), chunked so that the two
 * accumulators stay in L1 while the z rows stream through. */
static void beam_power(isac_glrt g, const float complex *const *const *z, size_t K,
                       const float complex *const *a, const double *w, float *out)
{
    for (size_t k0 = 0; k0 < K; k0 += ISAC_BF_CHUNK) {
        size_t len = K - k0 < ISAC_BF_CHUNK ? K - k0 : ISAC_BF_CHUNK;
        float *restrict o = out + k0;
        memset(o, 0, len * sizeof *o);
        for (unsigned n = 0; n < g->N; n++) {
            isac_bf_chunk(z[n], g->M[n], a[n], k0, len, g->re, g->im);
            const float wn = (float)w[n];
            for (size_t i = 0; i < len; i++)
                o[i] += wn * (g->re[i] * g->re[i] + g->im[i] * g->im[i]);
        }
    }
}

int isac_glrt_profile(isac_glrt g, const float complex *const *const *z, size_t K,
                      const float complex *const *a, const double *sigma2, float *lambda)
{
    int rc = check_profile_args(g, z, K, a);
    if (rc != ISAC_OK)
        return rc;
    if (!sigma2 || !lambda)
        return ISAC_EINVAL;
    double w[GLRT_MAX_N];
    for (unsigned n = 0; n < g->N; n++) {
        double a2 = steer_norm2(a[n], g->M[n]);
        if (!(sigma2[n] > 0.0) || !isfinite(sigma2[n]) || !(a2 > 0.0))
            return ISAC_EINVAL;
        w[n] = 1.0 / (sigma2[n] * a2);
    }
    beam_power(g, z, K, a, w, lambda);
    return ISAC_OK;
}

/* ---- cell-averaging CFAR ---- */

double isac_glrt_threshold_ca(isac_glrt g, unsigned train)
{
    if (!g || train == 0)
        return NAN;
    if (g->ca_train == train)
        return g->ca_thr;
    double d1 = 2.0 * g->N, d2 = 4.0 * g->N * (double)train;
    double t = g->N * invert_sf(fdist_sf3, g->pfa, d1, d2);
    g->ca_train = train;
    g->ca_thr = t;
    return t;
}

static int reserve_cum(isac_glrt g, size_t n)
{
    if (g->cum_cap >= n)
        return ISAC_OK;
    double *c = realloc(g->cum, n * sizeof *c);
    if (!c)
        return ISAC_ENOMEM;
    g->cum = c;
    g->cum_cap = n;
    return ISAC_OK;
}

/* Reference-window sum for bin k: train bins each side beyond the guard; where one
 * side runs out the deficit is taken further out on the other side. */
static double ref_sum(const double *cum, size_t K, size_t k, size_t G, size_t T)
{
    size_t left_avail = k > G ? k - G : 0;
    size_t right_avail = k + G + 1 < K ? K - (k + G + 1) : 0;
    size_t nl = left_avail < T ? left_avail : T;
    size_t nr = right_avail < T ? right_avail : T;
    if (nl < T)
        nr = 2 * T - nl;
    else if (nr < T)
        nl = 2 * T - nr;
    double s = 0.0;
    if (nl)
        s += cum[k - G] - cum[k - G - nl];
    if (nr)
        s += cum[k + G + 1 + nr] - cum[k + G + 1];
    return s;
}

int isac_glrt_profile_ca(isac_glrt g, const float complex *const *const *z, size_t K,
                         const float complex *const *a, unsigned guard, unsigned train,
                         float *lambda, uint8_t *detect)
{
    int rc = check_profile_args(g, z, K, a);
    if (rc != ISAC_OK)
        return rc;
    if (!lambda || train == 0 || K <= 2 * ((size_t)guard + train))
        return ISAC_EINVAL;
    double w[GLRT_MAX_N];
    for (unsigned n = 0; n < g->N; n++) {
        double a2 = steer_norm2(a[n], g->M[n]);
        if (!(a2 > 0.0))
            return ISAC_EINVAL;
        w[n] = 1.0 / a2; /* b_n = a^H z / ||a||: CN(0, sigma^2) under H0 */
    }
    rc = reserve_cum(g, K + 1);
    if (rc != ISAC_OK)
        return rc;
    double thr = isac_glrt_threshold_ca(g, train);
    beam_power(g, z, K, a, w, lambda); /* pooled power, overwritten below */
    double *cum = g->cum;
    cum[0] = 0.0;
    for (size_t k = 0; k < K; k++)
        cum[k + 1] = cum[k] + lambda[k];
    /* sigma_hat^2 = ref / (2 T N); Lambda_hat = pooled / sigma_hat^2 */
    const double scale = 2.0 * (double)train * g->N;
    for (size_t k = 0; k < K; k++) {
        double ref = ref_sum(cum, K, k, guard, train);
        double l = ref > 0.0 ? scale * lambda[k] / ref : (lambda[k] > 0.0 ? INFINITY : 0.0);
        lambda[k] = (float)l;
        if (detect)
            detect[k] = l > thr;
    }
    return ISAC_OK;
}
