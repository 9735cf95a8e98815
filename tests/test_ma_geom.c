/* Movable-antenna geometry (host/ma/ma_geom.h): the exact minimum-spacing projection keeps
 * every spacing >= dmin and stays inside the region on random inputs, and is the NEAREST
 * feasible point (the variational inequality of a projection onto a convex set, checked
 * against random feasible points); grid quantisation; bad regions and positions give one
 * line naming the value. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "common/err.h"
#include "common/rng.h"
#include "ma/ma_geom.h"

static void random_region(isac_rng *rng, unsigned *n, struct isac_ma_region *r)
{
    *n = 1 + (unsigned)isac_rng_below(rng, 16);
    r->dmin = 0.1 + isac_rng_uniform(rng);
    r->xmin = 20.0 * (isac_rng_uniform(rng) - 0.5);
    /* from exactly full (only one feasible point) to 3x the needed length */
    double need = (*n - 1) * r->dmin;
    r->xmax = r->xmin + need * (1.0 + 2.0 * isac_rng_uniform(rng) * (isac_rng_below(rng, 8) != 0)) +
              (*n == 1 ? 1.0 : 0.0);
}

static void test_projection_feasible_and_nearest(void **st)
{
    (void)st;
    isac_rng rng;
    isac_rng_seed(&rng, 2026);
    for (int c = 0; c < 3000; c++) {
        unsigned n;
        struct isac_ma_region r;
        random_region(&rng, &n, &r);
        assert_int_equal(isac_ma_region_check(&r, n, NULL, 0), ISAC_OK);
        double x[ISAC_MA_MAX_ELEMENTS] = {0}, p[ISAC_MA_MAX_ELEMENTS];
        double span = r.xmax - r.xmin;
        for (unsigned i = 0; i < n; i++) /* anywhere, in any order, outside too */
            x[i] = r.xmin - span + 3.0 * span * isac_rng_uniform(&rng);
        memcpy(p, x, sizeof x);
        assert_int_equal(isac_ma_project(&r, p, n), ISAC_OK);
        for (unsigned i = 0; i < n; i++) {
            assert_true(p[i] >= r.xmin - 1e-9 && p[i] <= r.xmax + 1e-9);
            if (i)
                assert_true(p[i] - p[i - 1] >= r.dmin - 1e-9);
        }
        assert_int_equal(isac_ma_positions_check(&r, p, n, NULL, 0), ISAC_OK);
        /* nearest point: (x - p) . (z - p) <= 0 for every feasible z */
        for (int t = 0; t < 5; t++) {
            double z[ISAC_MA_MAX_ELEMENTS], dot = 0, scale = 0;
            assert_int_equal(isac_ma_random(&r, n, &rng, z), ISAC_OK);
            assert_int_equal(isac_ma_positions_check(&r, z, n, NULL, 0), ISAC_OK);
            for (unsigned i = 0; i < n; i++) {
                dot += (x[i] - p[i]) * (z[i] - p[i]);
                scale += fabs(x[i] - p[i]) * fabs(z[i] - p[i]);
            }
            if (dot > 1e-9 * (1.0 + scale)) {
                printf("case %d: (x-p).(z-p) = %g > 0, not the projection\n", c, dot);
                fail();
            }
        }
        /* idempotent */
        double q[ISAC_MA_MAX_ELEMENTS];
        memcpy(q, p, sizeof q);
        isac_ma_project(&r, q, n);
        for (unsigned i = 0; i < n; i++)
            assert_true(fabs(q[i] - p[i]) < 1e-12);
    }
}

/* The paper's sequential clipping (eq. 46 as the digest rebuilds it) is feasible but not
 * nearest: on this input the exact projection is strictly closer. */
static void test_projection_beats_sequential_clip(void **st)
{
    (void)st;
    struct isac_ma_region r = {0.0, 10.0, 1.0};
    double x[4] = {1.2, 1.3, 1.4, 1.5}, p[4], s[4];
    memcpy(p, x, sizeof p);
    isac_ma_project(&r, p, 4);
    s[0] = fmin(fmax(x[0], r.xmin), r.xmax - 3 * r.dmin);
    for (int i = 1; i < 4; i++)
        s[i] = fmin(fmax(x[i], s[i - 1] + r.dmin), r.xmax - (3 - i) * r.dmin);
    double dp = 0, ds = 0;
    for (int i = 0; i < 4; i++) {
        dp += (x[i] - p[i]) * (x[i] - p[i]);
        ds += (x[i] - s[i]) * (x[i] - s[i]);
    }
    printf("squared distance: exact %.4f, sequential clip %.4f\n", dp, ds);
    assert_true(dp < ds - 1e-6);
}

static void test_quantise(void **st)
{
    (void)st;
    isac_rng rng;
    isac_rng_seed(&rng, 5);
    struct isac_ma_region r = {0.0, 7.0, 0.5};
    for (int c = 0; c < 500; c++) {
        double x[8];
        for (int i = 0; i < 8; i++)
            x[i] = 9.0 * isac_rng_uniform(&rng) - 1.0;
        assert_int_equal(isac_ma_quantise(&r, 0.25, x, 8), ISAC_OK);
        assert_int_equal(isac_ma_positions_check(&r, x, 8, NULL, 0), ISAC_OK);
        for (int i = 0; i < 8; i++)
            assert_true(fabs(x[i] / 0.25 - round(x[i] / 0.25)) < 1e-9);
    }
    double x[8] = {0};
    assert_int_equal(isac_ma_quantise(&r, 0.3, x, 8), ISAC_EINVAL); /* dmin not a multiple */
}

static void test_uniform_ula(void **st)
{
    (void)st;
    struct isac_ma_region r = {8.0, 15.0, 0.5};
    double x[8];
    assert_int_equal(isac_ma_uniform(&r, 8, 0.5, x), ISAC_OK);
    assert_true(fabs(x[0] - 9.75) < 1e-12 && fabs(x[7] - 13.25) < 1e-12);
    assert_int_equal(isac_ma_uniform(&r, 8, 1.5, x), ISAC_EINVAL); /* 10.5 lambda > 7 */
}

static void test_bad_input_messages(void **st)
{
    (void)st;
    char err[200];
    struct isac_ma_region r = {0.0, 3.0, 0.5};
    assert_int_equal(isac_ma_region_check(&r, 8, err, sizeof err), ISAC_EINVAL);
    printf("%s\n", err);
    assert_non_null(strstr(err, "holds at most 7 elements at dmin 0.5, asked for 8"));
    assert_null(strchr(err, '\n'));
    double x[8] = {0};
    assert_int_equal(isac_ma_project(&r, x, 8), ISAC_EINVAL);

    struct isac_ma_region ok = {0.0, 7.0, 0.5};
    double out[4] = {0.0, 1.0, 7.5, 8.0};
    assert_int_equal(isac_ma_positions_check(&ok, out, 4, err, sizeof err), ISAC_EINVAL);
    printf("%s\n", err);
    assert_non_null(strstr(err, "element 2 at 7.5 is outside the region [0, 7]"));
    double close[3] = {0.0, 0.3, 2.0};
    assert_int_equal(isac_ma_positions_check(&ok, close, 3, err, sizeof err), ISAC_EINVAL);
    printf("%s\n", err);
    assert_non_null(strstr(err, "below dmin 0.5"));
    struct isac_ma_region neg = {0.0, 7.0, 0.0};
    assert_int_equal(isac_ma_region_check(&neg, 2, err, sizeof err), ISAC_EINVAL);
    assert_non_null(strstr(err, "dmin 0 must be > 0"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_projection_feasible_and_nearest),
        cmocka_unit_test(test_projection_beats_sequential_clip),
        cmocka_unit_test(test_quantise),
        cmocka_unit_test(test_uniform_ula),
        cmocka_unit_test(test_bad_input_messages),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
