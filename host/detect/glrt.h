/* GLRT multi-receiver target detection (seed 004, section II-B), with the scaling
 * done right.
 *
 * Model (seed 004 eqs. (5)-(6)): after matched filtering, receive AP n (n = 0..N-1,
 * M_n elements) sees y_n = gamma_n eta_n + e_n with e_n ~ CN(0, sigma_n^2 I) and
 * eta_n = a(phi_n) a^T(phi_0) w the reflected signal direction.
 *
 * Statistic (seed 004 eq. (15)):
 *     Lambda = sum_n |eta_n^H y_n|^2 / (sigma_n^2 ||eta_n||^2)
 *            = sum_n |a(phi_n)^H y_n|^2 / (sigma_n^2 ||a(phi_n)||^2),
 * because eta_n is a(phi_n) times a scalar. Per-AP sigma_n^2 whitens the unequal
 * noise case of Remark 2 exactly.
 *
 * ERRATUM, seed 004 eqs. (16), (17), (21), (23): under H0, eta^H y ~ CN(0, sigma^2
 * ||eta||^2), so each term is Exp(1) = chi2_2 / 2 and Lambda ~ Gamma(N, 1), i.e.
 *     2 Lambda ~ chi2(2N)          (the paper writes Lambda ~ chi2(2N)),
 * and under H1
 *     2 Lambda ~ chi2(2N, delta),  delta = sum_n 2 |gamma_n|^2 ||eta_n||^2 / sigma_n^2
 * (the paper's eq. (21) non-centrality lacks the factor 2). The threshold on Lambda
 * is therefore chi2inv_{2N}(1 - P_FA) / 2. tests/test_glrt_pfa.c proves the scaling
 * by Monte Carlo.
 *
 * All functions are pure; a glrt object only caches sizes, the threshold and scratch.
 */
#ifndef ISACTB_DETECT_GLRT_H
#define ISACTB_DETECT_GLRT_H

#include <complex.h>
#include <stddef.h>
#include <stdint.h>

typedef struct isac_glrt_s *isac_glrt;

/* N receive APs (1..64), M[n] elements each (1..4096), false-alarm probability
 * pfa in [1e-12, 0.5]. NULL on bad arguments. */
isac_glrt isac_glrt_create(unsigned N, const unsigned *M, double pfa);
void isac_glrt_destroy(isac_glrt g);

unsigned isac_glrt_num_aps(isac_glrt g);
double isac_glrt_pfa(isac_glrt g);
/* Threshold on Lambda (the paper's scale): chi2inv_{2N}(1 - pfa) / 2. */
double isac_glrt_threshold(isac_glrt g);
/* The same threshold without an object: N in 1..1024 APs, pfa in (0, 1).
 * NAN on bad arguments. */
double isac_glrt_threshold_n(unsigned N, double pfa);
/* The erratum's unscaled threshold chi2inv_{2N}(1 - pfa) that seed 004 eqs. (17)-(19)
 * put on Lambda. Kept only so that tests and docs can show how wrong it is (its real
 * false-alarm rate is P(chi2(2N) > 2 chi2inv_{2N}(1 - pfa)), orders of magnitude
 * below pfa); never use it for detection. */
double isac_glrt_threshold_paper(unsigned N, double pfa);

struct isac_glrt_result {
    double lambda; /* the statistic Lambda (paper scale; 2*Lambda ~ chi2(2N) under H0) */
    int detected;  /* lambda > threshold */
    double
        delta_hat; /* plug-in non-centrality of 2*Lambda: sum_n 2|gamma_hat_n|^2 ||eta_n||^2 /
                      sigma_n^2 = 2*lambda (the paper's eq. (21) with gamma_hat; biased up by 2N) */
    double pd_hat; /* analytic P_D at the bias-corrected delta max(0, 2*lambda - 2N)
                      (E[2 Lambda] = delta + 2N, so 2*lambda - 2N is unbiased) */
};

/* One hypothesis (one delay, one set of angles). y[n], eta[n]: M[n] samples each;
 * sigma2[n] > 0: noise variance per element of y_n. gamma_hat (N entries, may be
 * NULL) receives eq. (13): gamma_hat_n = eta_n^H y_n / ||eta_n||^2. */
int isac_glrt_execute(isac_glrt g, const float complex *const *y, const float complex *const *eta,
                      const double *sigma2, float complex *gamma_hat, struct isac_glrt_result *res);

/* Statistic at every range bin for one angle hypothesis per AP. Hot path: no
 * allocation, the beamformer a^H z runs over 512-bin chunks (accumulators in L1,
 * four element rows per pass, vectorised); ~130 Mbins/s for N = 4, M = 8 on one
 * core (4 G complex MAC/s).
 * z[n][m] points at K matched-filter output bins of element m of AP n;
 * a[n] is the receive steering vector a(phi_n) (M[n] entries); sigma2[n] > 0.
 * lambda[k] (K entries) receives Lambda at bin k. */
int isac_glrt_profile(isac_glrt g, const float complex *const *const *z, size_t K,
                      const float complex *const *a, const double *sigma2, float *lambda);

/* Cell-averaging variant: sigma^2 unknown, estimated at each bin k from 2*train
 * reference bins (train on each side, skipping guard bins next to k; at the edges the
 * window slides inward: the references missing on one side are taken further out on
 * the other, so every bin has 2*train references) of the same beamformed outputs
 * b_n = a_n^H z_n / ||a_n||, pooled over the N APs (equal noise variance, the paper's
 * eq. (6)):  sigma_hat^2 = sum_refs sum_n |b_n|^2 / (2 train N),
 * Lambda_hat = sum_n |b_n[k]|^2 / sigma_hat^2. With independent bins,
 * (Lambda_hat / N) ~ F(2N, 4N*train) under H0 whatever sigma^2 is, and the threshold
 * is the F quantile (exact CFAR, not an asymptotic one). lambda[k] receives
 * Lambda_hat (paper scale, comparable to isac_glrt_threshold_ca()); detect[k] (may be
 * NULL) receives 1 where it exceeds the threshold. K must exceed 2*(guard+train),
 * train >= 1. The first call with a larger K grows a prefix-sum scratch held in the
 * object (ISAC_ENOMEM if that fails). */
int isac_glrt_profile_ca(isac_glrt g, const float complex *const *const *z, size_t K,
                         const float complex *const *a, unsigned guard, unsigned train,
                         float *lambda, uint8_t *detect);
/* Threshold of isac_glrt_profile_ca() for this train size (train >= 1; NAN otherwise):
 * N * F^-1(1 - pfa; 2N, 4N*train). Found by bisection on gsl_cdf_fdist_Q to relative
 * 1e-13, because gsl_cdf_fdist_Qinv (GSL 2.7) aborts with "inverse failed to
 * converge" for ordinary arguments (e.g. N = 2, train = 128, pfa = 7.2e-4). Cached
 * per train size in the object. */
double isac_glrt_threshold_ca(isac_glrt g, unsigned train);

/* ---- analytic detection probability ---- */

/* P(X > x) for X ~ chi2(k, delta): k > 0 degrees of freedom, delta >= 0; 1 for
 * x <= 0, NAN on bad arguments. Own implementation: the Poisson mixture
 *     sum_j Pois(j; delta/2) Q(k/2 + j, x/2)       (Q: regularised upper gamma)
 * summed outward from the Poisson mode in both directions; each direction stops when
 * a geometric bound on its remaining Poisson mass is < 0.5e-12 (the neglected Q
 * factors are <= 1, so truncation error <= 1e-12). Central tails from GSL's
 * gsl_sf_gamma_inc_Q. Absolute error <= 1e-9 for k <= 1000, delta <= 1e4 (measured
 * 7e-13 against scipy over tests/test_ncx2.c's table). Cost ~ 15 sqrt(delta/2) + 15
 * central tails. delta = 0 is the central chi-square tail exactly. */
double isac_ncx2_sf(double x, double k, double delta);

/* P_D of the GLRT with N APs at false-alarm pfa for non-centrality delta of 2*Lambda. */
double isac_glrt_pd(unsigned N, double pfa, double delta);

/* Non-centrality delta of 2*Lambda from per-AP SNRs after beamforming:
 * snr[n] = |gamma_n|^2 ||eta_n||^2 / sigma_n^2 (linear), delta = 2 sum_n snr[n]. */
double isac_glrt_delta_from_snr(unsigned N, const double *snr);

#endif
