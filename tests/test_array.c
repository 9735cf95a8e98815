/* Array steering conventions: norms, derivatives, conversions, TX weights. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>

#include "array/array.h"
#include "common/rng.h"

static void test_ula_matches_seed004_eq3(void **state)
{
    (void)state;
    isac_array a = isac_array_create_ula(16, 0.5);
    assert_non_null(a);
    double complex s[16];
    double phi = 0.3;
    isac_array_steering_d(a, phi, s);
    for (int m = 0; m < 16; m++) {
        double complex ref = cexp(I * M_PI * m * sin(phi)); /* seed 004 eq. (3) */
        assert_true(cabs(s[m] - ref) < 1e-12);
    }
    isac_array_destroy(a);
}

static void test_norm_and_unit_modulus(void **state)
{
    (void)state;
    double pos[5] = {0.0, 0.37, 1.1, 1.9, 3.05}; /* a movable-antenna placement */
    isac_array a = isac_array_create(pos, 5);
    assert_non_null(a);
    float complex s[5];
    for (double phi = -1.5; phi <= 1.5; phi += 0.1) {
        isac_array_steering(a, phi, s);
        double n2 = 0;
        for (int m = 0; m < 5; m++) {
            assert_true(fabs(cabsf(s[m]) - 1.0) < 1e-6);
            n2 += cabsf(s[m]) * cabsf(s[m]);
        }
        assert_true(fabs(n2 - 5.0) < 1e-5);
    }
    isac_array_destroy(a);
}

static void test_derivative_central_difference(void **state)
{
    (void)state;
    double pos[4] = {0.0, 0.5, 1.3, 2.0};
    isac_array a = isac_array_create(pos, 4);
    double complex d[4], sp[4], sm[4];
    const double h = 1e-6;
    for (double phi = -1.4; phi <= 1.4; phi += 0.2) {
        isac_array_steering_deriv(a, phi, d);
        isac_array_steering_d(a, phi + h, sp);
        isac_array_steering_d(a, phi - h, sm);
        for (int m = 0; m < 4; m++)
            assert_true(cabs(d[m] - (sp[m] - sm[m]) / (2 * h)) < 1e-6);
    }
    isac_array_destroy(a);
}

static void test_seed000_conversion(void **state)
{
    (void)state;
    isac_array a = isac_array_create_ula(8, 0.5);
    double complex s0[8], s[8];
    for (double theta = 0.1; theta < 3.1; theta += 0.3) {
        isac_array_steering_seed000(a, theta, s0);
        for (int m = 0; m < 8; m++) /* seed 000: exp(-j pi m cos theta)/sqrt(N) */
            assert_true(cabs(s0[m] - cexp(-I * M_PI * m * cos(theta)) / sqrt(8.0)) < 1e-12);
        isac_array_steering_d(a, isac_array_phi_from_axis_angle(theta), s);
        for (int m = 0; m < 8; m++)
            assert_true(cabs(s0[m] - conj(s[m]) / sqrt(8.0)) < 1e-12);
    }
    isac_array_destroy(a);
}

static void test_tx_weights_peak_gain(void **state)
{
    (void)state;
    isac_array a = isac_array_create_ula(16, 0.5);
    float complex w[16];
    isac_rng r;
    isac_rng_seed(&r, 11);
    for (int t = 0; t < 50; t++) {
        double phi = (isac_rng_uniform(&r) - 0.5) * 3.0;
        isac_array_tx_weights(a, phi, w);
        double n2 = 0;
        for (int m = 0; m < 16; m++)
            n2 += cabsf(w[m]) * cabsf(w[m]);
        assert_true(fabs(n2 - 1.0) < 1e-5);
        double g = isac_array_tx_gain(a, w, phi);
        assert_true(fabs(g - 16.0) < 1e-3);
        /* the gain toward any other direction is lower */
        assert_true(isac_array_tx_gain(a, w, phi + 0.2) < g);
    }
    isac_array_destroy(a);
}

static void test_bad_arguments(void **state)
{
    (void)state;
    assert_null(isac_array_create_ula(0, 0.5));
    assert_null(isac_array_create_ula(4, 0.0));
    assert_null(isac_array_create_ula(4, NAN));
    double bad[2] = {0.0, INFINITY};
    assert_null(isac_array_create(bad, 2));
    assert_null(isac_array_create(NULL, 2));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ula_matches_seed004_eq3),
        cmocka_unit_test(test_norm_and_unit_modulus),
        cmocka_unit_test(test_derivative_central_difference),
        cmocka_unit_test(test_seed000_conversion),
        cmocka_unit_test(test_tx_weights_peak_gain),
        cmocka_unit_test(test_bad_arguments),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
