/* GLRT detection probability under H1 (Monte Carlo vs the analytic isac_glrt_pd()).
 *
 * Known gamma_n, unequal noise variances sigma_n^2 and unequal element counts per AP:
 * the per-AP whitening of glrt.h makes 2*Lambda ~ chi2(2N, delta) exactly with
 * delta = sum_n 2|gamma_n|^2 ||eta_n||^2 / sigma_n^2 (corrected eq. (21)-(23); this also
 * covers seed 004 Remark 2 without the characteristic-function inversion of eq. (25)).
 * The empirical P_D at 6 non-centralities spanning P_D = 0.1 .. 0.99 must lie in the
 * 99.9% Clopper-Pearson interval, for N = 4 and N = 2.
 *
 * 24 interval checks at 99.9% each: a correct implementation fails one of them with
 * probability ~2.4% per seed (seed 42 for N = 2 does: 0.5144 at nominal 0.5, a 4-sigma
 * draw; 200000-trial runs of the same code at seeds 42..49 all pass). The fixed seeds
 * below are ones that pass; an error of 5% in the non-centrality (or a factor 2
 * anywhere) fails them.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "array/array.h"
#include "common/err.h"
#include "common/rng.h"
#include "detect/glrt.h"
#include "stat_bounds.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#define ALPHA 1e-3
#define TRIALS 20000
#define PFA 1e-3

static const unsigned MS[4] = {8, 5, 12, 4};
static const double SIG2[4] = {1.0, 3.0, 0.4, 2.0};
static const double SHARE[4] = {0.4, 0.1, 0.3, 0.2}; /* how delta splits among APs */
static const double PD_TARGETS[6] = {0.1, 0.3, 0.5, 0.7, 0.9, 0.99};

/* delta with isac_glrt_pd(N, PFA, delta) = pd, by bisection (isac_glrt_pd is increasing). */
static double delta_for_pd(unsigned N, double pd)
{
    double lo = 0.0, hi = 500.0;
    for (int i = 0; i < 100; i++) {
        double mid = 0.5 * (lo + hi);
        if (isac_glrt_pd(N, PFA, mid) < pd)
            lo = mid;
        else
            hi = mid;
    }
    return 0.5 * (lo + hi);
}

static void run_pd(unsigned N, uint64_t seed)
{
    isac_rng r;
    isac_rng_seed(&r, seed);
    isac_glrt g = isac_glrt_create(N, MS, PFA);
    assert_non_null(g);
    float complex *y[4], *eta[4];
    isac_array arr[4];
    double share = 0.0;
    for (unsigned n = 0; n < N; n++) {
        arr[n] = isac_array_create_ula(MS[n], 0.5);
        y[n] = malloc(MS[n] * sizeof *y[n]);
        eta[n] = malloc(MS[n] * sizeof *eta[n]);
        share += SHARE[n];
    }
    for (int p = 0; p < 6; p++) {
        double delta = delta_for_pd(N, PD_TARGETS[p]);
        double pd = isac_glrt_pd(N, PFA, delta);
        uint64_t det = 0;
        double sum_dc = 0.0;
        for (int t = 0; t < TRIALS; t++) {
            if (t % 50 == 0)
                for (unsigned n = 0; n < N; n++) {
                    isac_array_steering(arr[n], (isac_rng_uniform(&r) - 0.5) * M_PI, eta[n]);
                    float complex s = (float complex)isac_rng_cnormal(&r, 1.0);
                    for (unsigned m = 0; m < MS[n]; m++)
                        eta[n][m] *= s;
                }
            for (unsigned n = 0; n < N; n++) {
                double e2 = 0.0;
                for (unsigned m = 0; m < MS[n]; m++)
                    e2 += cabsf(eta[n][m]) * cabsf(eta[n][m]);
                /* |gamma|^2 ||eta||^2 / sigma^2 = (SHARE/share) delta / 2 */
                double snr = SHARE[n] / share * delta / 2.0;
                double mag = sqrt(snr * SIG2[n] / e2);
                double complex gam = mag * cexp(I * 2.0 * M_PI * isac_rng_uniform(&r));
                for (unsigned m = 0; m < MS[n]; m++)
                    y[n][m] = (float complex)(gam * eta[n][m] + isac_rng_cnormal(&r, SIG2[n]));
            }
            struct isac_glrt_result res;
            assert_int_equal(isac_glrt_execute(g, (const float complex *const *)y,
                                               (const float complex *const *)eta, SIG2, NULL, &res),
                             ISAC_OK);
            det += res.detected;
            sum_dc += res.delta_hat - 2.0 * N;
        }
        char what[80];
        snprintf(what, sizeof what, "N=%u delta=%.3f P_D", N, delta);
        assert_true(stat_check_rate(what, det, TRIALS, pd, ALPHA));
        /* delta_hat - 2N is unbiased for delta: Var(2 Lambda) = 2(2N + 2 delta); 3.29 sd
         * is the two-sided 99.9% normal bound for the mean of TRIALS draws. */
        double mean = sum_dc / TRIALS, sd = sqrt(4.0 * N + 4.0 * delta) / sqrt(TRIALS);
        printf("   mean(delta_hat - 2N) = %.4f (delta %.4f, 99.9%% bound +-%.4f)\n", mean, delta,
               3.29 * sd);
        assert_true(fabs(mean - delta) < 3.29 * sd);
    }
    for (unsigned n = 0; n < N; n++) {
        isac_array_destroy(arr[n]);
        free(y[n]);
        free(eta[n]);
    }
    isac_glrt_destroy(g);
}

static void test_pd_n4(void **state)
{
    (void)state;
    run_pd(4, 41);
}

static void test_pd_n2(void **state)
{
    (void)state;
    run_pd(2, 43);
}

/* N = 1 closed form: 2 Lambda ~ chi2(2, delta) and chi2(2) threshold t = -2 ln(P_FA),
 * so P_D = Q_1(sqrt(delta), sqrt(t)) (seed 004 Remark 1 with the corrected scale);
 * at delta = 0 it must give P_FA back. */
static void test_pd_n1(void **state)
{
    (void)state;
    assert_true(fabs(isac_glrt_threshold_n(1, PFA) + log(PFA)) < 1e-9);
    assert_true(fabs(isac_glrt_pd(1, PFA, 0.0) - PFA) < 1e-12);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pd_n1),
        cmocka_unit_test(test_pd_n4),
        cmocka_unit_test(test_pd_n2),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
