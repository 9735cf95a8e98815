/* Cell-averaging GLRT (isac_glrt_profile_ca): exact F-distribution CFAR.
 *
 * Under H0 with equal noise variance at all APs (seed 004 eq. (6)), Lambda_hat / N ~
 * F(2N, 4N*train) whatever sigma^2 is. The test draws a different sigma^2 for every
 * profile (CFAR = the rate does not depend on it) and counts false alarms only at bins
 * whose reference windows do not overlap (independent trials), plus the two edge
 * bins whose windows slide inward, against 99.9% Clopper-Pearson intervals.
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
#define K 1024
#define GUARD 2
#define TRAIN 8
#define SPAN (2 * (GUARD + TRAIN) + 1)

static const unsigned MS[4] = {4, 6, 4, 3};

/* threshold = N * F^-1(1 - pfa; 2N, 4NT), golden from scipy 1.10.1:
 * /usr/bin/python3 -c "import scipy.stats as s;
 *   print(repr(4*s.f.isf(1e-3,8,128)), repr(2*s.f.isf(7.21043e-4,4,1024)),
 * repr(1*s.f.isf(1e-2,2,32)))" The second one is a case where gsl_cdf_fdist_Qinv aborts (GSL 2.7).
 */
static void test_threshold(void **state)
{
    (void)state;
    isac_glrt g4 = isac_glrt_create(4, MS, 1e-3), g2 = isac_glrt_create(2, MS, 7.21043e-4),
              g1 = isac_glrt_create(1, MS, 1e-2);
    assert_true(fabs(isac_glrt_threshold_ca(g4, 8) - 14.132930863210674) < 1e-9);
    assert_true(fabs(isac_glrt_threshold_ca(g2, 128) - 9.676170108470709) < 1e-9);
    assert_true(fabs(isac_glrt_threshold_ca(g1, 8) - 5.33634291461319) < 1e-9);
    /* CA pays a CFAR loss: its threshold exceeds the known-sigma one, and tends to it */
    assert_true(isac_glrt_threshold_ca(g4, 8) > isac_glrt_threshold(g4));
    assert_true(fabs(isac_glrt_threshold_ca(g4, 100000) - isac_glrt_threshold(g4)) < 1e-2);
    assert_true(isnan(isac_glrt_threshold_ca(g4, 0)));
    isac_glrt_destroy(g4);
    isac_glrt_destroy(g2);
    isac_glrt_destroy(g1);
}

static void run_ca(unsigned N, double pfa, unsigned profiles, uint64_t seed)
{
    isac_rng r;
    isac_rng_seed(&r, seed);
    isac_glrt g = isac_glrt_create(N, MS, pfa);
    assert_non_null(g);
    float complex *zbuf[4], *zrow[4][8], *a[4];
    const float complex *const *zp[4];
    isac_array arr[4];
    for (unsigned n = 0; n < N; n++) {
        arr[n] = isac_array_create_ula(MS[n], 0.5);
        a[n] = malloc(MS[n] * sizeof *a[n]);
        zbuf[n] = malloc((size_t)MS[n] * K * sizeof *zbuf[n]);
        for (unsigned m = 0; m < MS[n]; m++)
            zrow[n][m] = zbuf[n] + (size_t)m * K;
        zp[n] = (const float complex *const *)zrow[n];
    }
    float *lam = malloc(K * sizeof *lam);
    uint8_t *det = malloc(K);
    double thr = isac_glrt_threshold_ca(g, TRAIN);
    uint64_t hit = 0, n_in = 0, hit_edge = 0, n_edge = 0;
    for (unsigned p = 0; p < profiles; p++) {
        double s2 = exp(6.0 * (isac_rng_uniform(&r) - 0.5)); /* 0.05 .. 20 */
        for (unsigned n = 0; n < N; n++) {
            isac_array_steering(arr[n], (isac_rng_uniform(&r) - 0.5) * M_PI, a[n]);
            for (size_t i = 0; i < (size_t)MS[n] * K; i++)
                zbuf[n][i] = (float complex)isac_rng_cnormal(&r, s2);
        }
        assert_int_equal(
            isac_glrt_profile_ca(g, zp, K, (const float complex *const *)a, GUARD, TRAIN, lam, det),
            ISAC_OK);
        /* windows of bins SPAN apart, away from the edges, are disjoint */
        for (size_t k = SPAN + SPAN / 2; k + SPAN + SPAN / 2 < K; k += SPAN) {
            assert_int_equal(det[k], lam[k] > thr);
            hit += det[k];
            n_in++;
        }
        hit_edge += det[0] + det[K - 1];
        n_edge += 2;
    }
    char what[80];
    snprintf(what, sizeof what, "CA N=%u pfa=%g interior", N, pfa);
    assert_true(stat_check_rate(what, hit, n_in, pfa, ALPHA));
    snprintf(what, sizeof what, "CA N=%u pfa=%g edge bins", N, pfa);
    assert_true(stat_check_rate(what, hit_edge, n_edge, pfa, ALPHA));
    for (unsigned n = 0; n < N; n++) {
        isac_array_destroy(arr[n]);
        free(a[n]);
        free(zbuf[n]);
    }
    free(lam);
    free(det);
    isac_glrt_destroy(g);
}

static void test_pfa_n1(void **state)
{
    (void)state;
    run_ca(1, 1e-2, 4000, 71);
}

static void test_pfa_n4(void **state)
{
    (void)state;
    run_ca(4, 1e-2, 2500, 72);
}

/* With sigma known, the CA statistic converges to the known-sigma one; a target far
 * above the noise is flagged at its own bin. */
static void test_target(void **state)
{
    (void)state;
    isac_rng r;
    isac_rng_seed(&r, 73);
    const unsigned N = 2;
    isac_glrt g = isac_glrt_create(N, MS, 1e-3);
    float complex *zbuf[2], *zrow[2][8], *a[2];
    const float complex *const *zp[2];
    isac_array arr[2];
    for (unsigned n = 0; n < N; n++) {
        arr[n] = isac_array_create_ula(MS[n], 0.5);
        a[n] = malloc(MS[n] * sizeof *a[n]);
        isac_array_steering(arr[n], 0.3 * n, a[n]);
        zbuf[n] = malloc((size_t)MS[n] * K * sizeof *zbuf[n]);
        for (unsigned m = 0; m < MS[n]; m++) {
            zrow[n][m] = zbuf[n] + (size_t)m * K;
            for (size_t k = 0; k < K; k++)
                zrow[n][m][k] = (float complex)isac_rng_cnormal(&r, 1.0);
            zrow[n][m][500] += 3.0f * a[n][m]; /* per-AP SNR 9 * M after beamforming */
        }
        zp[n] = (const float complex *const *)zrow[n];
    }
    float lam[K];
    uint8_t det[K];
    assert_int_equal(
        isac_glrt_profile_ca(g, zp, K, (const float complex *const *)a, GUARD, TRAIN, lam, det),
        ISAC_OK);
    assert_int_equal(det[500], 1);
    assert_int_equal(isac_glrt_profile_ca(g, zp, 2 * (GUARD + TRAIN),
                                          (const float complex *const *)a, GUARD, TRAIN, lam, det),
                     ISAC_EINVAL); /* K must exceed 2(guard + train) */
    assert_int_equal(
        isac_glrt_profile_ca(g, zp, K, (const float complex *const *)a, GUARD, 0, lam, det),
        ISAC_EINVAL);
    for (unsigned n = 0; n < N; n++) {
        isac_array_destroy(arr[n]);
        free(a[n]);
        free(zbuf[n]);
    }
    isac_glrt_destroy(g);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_threshold),
        cmocka_unit_test(test_target),
        cmocka_unit_test(test_pfa_n1),
        cmocka_unit_test(test_pfa_n4),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
