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

typedef struct glrt_s *glrt;

/* N receive APs (1..64), M[n] elements each (1..4096), false-alarm probability
 * pfa in [1e-12, 0.5]. NULL on bad arguments. */
glrt glrt_create(unsigned N, const unsigned *M, double pfa);
void glrt_destroy(glrt g);

unsigned glrt_num_aps(glrt g);
double glrt_pfa(glrt g);
/* Threshold on Lambda (the paper's scale): chi2inv_{2N}(1 - pfa) / 2. */
double glrt_threshold(glrt g);
/* The same threshold without an object: N in 1..1024 APs, pfa in (0, 1).
 * NAN on bad arguments. */
double glrt_threshold_n(unsigned N, double pfa);
/* The erratum's unscaled threshold chi2inv_{2N}(1 - pfa) that seed 004 eqs. (17)-(19)
 * put on Lambda. Kept only so that tests and docs can show how wrong it is (its real
 * false-alarm rate is P(chi2(2N) > 2 chi2inv_{2N}(1 - pfa)), orders of magnitude
 * below pfa); never use it for detection. */
double glrt_threshold_paper(unsigned N, double pfa);

struct glrt_result {
    double lambda;    /* the statistic Lambda (paper scale; 2*Lambda ~ chi2(2N) under H0) */
    int detected;     /* lambda > threshold */
    double delta_hat; /* plug-in non-centrality of 2*Lambda: sum_n 2|gamma_hat_n|^2 ||eta_n||^2 / sigma_n^2
                         = 2*lambda (the paper's eq. (21) with gamma_hat; biased up by 2N) */
    double pd_hat;    /* analytic P_D at the bias-corrected delta max(0, 2*lambda - 2N) */
};

/* One hypothesis (one delay, one set of angles). y[n], eta[n]: M[n] samples each;
 * sigma2[n] > 0: noise variance per element of y_n. gamma_hat (N entries, may be
 * NULL) receives eq. (13): gamma_hat_n = eta_n^H y_n / ||eta_n||^2. */
int glrt_execute(glrt g, const float complex *const *y, const float complex *const *eta,
                 const double *sigma2, float complex *gamma_hat, struct glrt_result *res);

/* Statistic at every range bin for one angle hypothesis per AP.
 * z[n][m] points at K matched-filter output bins of element m of AP n;
 * a[n] is the receive steering vector a(phi_n) (M[n] entries); sigma2[n] > 0.
 * lambda[k] (K entries) receives Lambda at bin k. */
int glrt_profile(glrt g, const float complex *const *const *z, size_t K,
                 const float complex *const *a, const double *sigma2, float *lambda);

/* Cell-averaging variant: sigma^2 unknown, estimated at each bin k from 2*train
 * reference bins (train on each side, skipping guard bins next to k; at the edges the
 * window slides inward so every bin has 2*train references) of the same beamformed
 * outputs, pooled over the N APs (equal noise variance, the paper's eq. (6)). Then
 * (Lambda_hat / N) ~ F(2N, 4N*train) under H0 and the threshold is the F quantile
 * (exact CFAR, not an asymptotic one). lambda[k] receives the normalised statistic
 * Lambda_hat (paper scale, comparable to glrt_threshold_ca()); detect[k] (may be
 * NULL) receives 1 where it exceeds the threshold. K must exceed 2*(guard+train). */
int glrt_profile_ca(glrt g, const float complex *const *const *z, size_t K,
                    const float complex *const *a, unsigned guard, unsigned train,
                    float *lambda, uint8_t *detect);
/* Threshold of glrt_profile_ca() for this train size. */
double glrt_threshold_ca(glrt g, unsigned train);

/* ---- analytic detection probability ---- */

/* P(X > x) for X ~ chi2(k, delta): k > 0 degrees of freedom, delta >= 0. Own
 * implementation (Poisson mixture of central chi-square tails summed outward from
 * the Poisson mode); absolute error <= 1e-9 for k <= 1000, delta <= 1e4. */
double ncx2_sf(double x, double k, double delta);

/* P_D of the GLRT with N APs at false-alarm pfa for non-centrality delta of 2*Lambda. */
double glrt_pd(unsigned N, double pfa, double delta);

/* Non-centrality delta of 2*Lambda from per-AP SNRs after beamforming:
 * snr[n] = |gamma_n|^2 ||eta_n||^2 / sigma_n^2 (linear), delta = 2 sum_n snr[n]. */
double glrt_delta_from_snr(unsigned N, const double *snr);

#endif
