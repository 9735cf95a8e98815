/* Seed 002's optimisers (host/ma): PRE-SC-PGA never decreases its objective (every block
 * step of every iteration), RPDPSO's global best never worsens, the constrained power
 * design meets its thresholds whenever a random allocation does, and then no random feasible
 * allocation has a higher rate, and bad
 * positions give one line. */
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
#include "ma/ma_fixed.h"
#include "ma/ma_pga.h"
#include "ma/ma_pso.h"
#include "ma/ma_schemes.h"
#include "ma/ma_v2i.h"

static void setup(uint64_t seed, struct isac_ma_scene *s, struct isac_ma_vehicle *veh,
                  struct isac_ma_design *d)
{
    isac_ma_scene_default(s);
    struct isac_ma_v2i_opts vo;
    isac_ma_v2i_opts_default(&vo);
    assert_int_equal(isac_ma_v2i_draw(s, &vo, seed, veh, NULL), ISAC_OK);
    memset(d, 0, sizeof *d);
    assert_int_equal(isac_ma_uniform(&s->tx, s->nt, 0.5, d->xt), ISAC_OK);
    assert_int_equal(isac_ma_uniform(&s->rx, s->nr, 0.5, d->xr), ISAC_OK);
}

static void test_pga_monotone(void **st)
{
    (void)st;
    for (uint64_t seed = 1; seed <= 3; seed++) {
        struct isac_ma_scene s;
        struct isac_ma_vehicle veh[ISAC_MA_MAX_VEH];
        struct isac_ma_design d;
        setup(seed, &s, veh, &d);
        struct isac_ma_pga_opts o;
        isac_ma_pga_opts_default(&o);
        o.max_iter = 12;
        char err[200];
        isac_ma_pga q = isac_ma_pga_create(&s, &o, err, sizeof err);
        assert_non_null(q);
        assert_int_equal(isac_ma_pga_execute(q, veh, &d, err, sizeof err), ISAC_OK);
        unsigned n;
        const double *h = isac_ma_pga_history(q, &n);
        assert_true(n >= 5);
        for (unsigned i = 1; i < n; i++)
            if (h[i] < h[i - 1]) {
                printf("seed %llu: objective fell at step %u: %.17g -> %.17g\n",
                       (unsigned long long)seed, i, h[i - 1], h[i]);
                fail();
            }
        printf("seed %llu: PRE-SC-PGA objective %.6f -> %.6f over %u block steps\n",
               (unsigned long long)seed, h[0], h[n - 1], n - 1);
        assert_true(h[n - 1] > h[0]);
        assert_int_equal(isac_ma_positions_check(&s.tx, d.xt, s.nt, NULL, 0), ISAC_OK);
        assert_int_equal(isac_ma_positions_check(&s.rx, d.xr, s.nr, NULL, 0), ISAC_OK);
        isac_ma_pga_destroy(q);
    }
}

static void test_pso_gbest_monotone(void **st)
{
    (void)st;
    struct isac_ma_scene s;
    struct isac_ma_vehicle veh[ISAC_MA_MAX_VEH];
    struct isac_ma_design d;
    setup(4, &s, veh, &d);
    struct isac_ma_constraints c;
    for (unsigned k = 0; k < ISAC_MA_MAX_VEH; k++)
        for (int i = 0; i < 3; i++)
            c.eps[k][i] = INFINITY;
    struct isac_ma_pso_opts o;
    isac_ma_pso_opts_default(&o);
    o.particles = 5;
    o.iters = 6;
    o.min_particles = 3;
    char err[200];
    isac_ma_pso q = isac_ma_pso_create(&s, &o, err, sizeof err);
    assert_non_null(q);
    struct isac_ma_eval e;
    int met = 0;
    const double *warm[1] = {d.xt};
    assert_int_equal(isac_ma_pso_execute(q, veh, &c, warm, 1, &d, &e, &met, err, sizeof err),
                     ISAC_OK);
    unsigned n;
    const double *h = isac_ma_pso_history(q, &n);
    assert_int_equal(n, 6);
    for (unsigned i = 1; i < n; i++)
        assert_true(h[i] <= h[i - 1]);
    assert_true(met);
    assert_true(fabs(-h[n - 1] - e.rate) < 1e-12);
    assert_int_equal(isac_ma_positions_check(&s.tx, d.xt, s.nt, NULL, 0), ISAC_OK);
    /* bad warm start: one line naming the element */
    double bad[8] = {0, 0.5, 1, 1.5, 2, 2.5, 3, 9.5};
    const double *wb[1] = {bad};
    assert_int_equal(isac_ma_pso_execute(q, veh, &c, wb, 1, &d, &e, &met, err, sizeof err),
                     ISAC_EINVAL);
    printf("%s\n", err);
    assert_non_null(strstr(err, "element 7 at 9.5 is outside the region [0, 7]"));
    isac_ma_pso_destroy(q);
}

static double rate_with(const struct isac_ma_scene *s, const struct isac_ma_vehicle *veh,
                        const struct isac_ma_design *d, struct isac_ma_eval *e)
{
    isac_ma_evaluate(s, veh, d, e);
    return e->rate;
}

static void test_power_design_optimal(void **st)
{
    (void)st;
    isac_rng rng;
    isac_rng_seed(&rng, 77);
    unsigned nmet = 0;
    for (uint64_t seed = 5; seed <= 8; seed++) {
        struct isac_ma_scene s;
        struct isac_ma_vehicle veh[ISAC_MA_MAX_VEH];
        struct isac_ma_design d;
        setup(seed, &s, veh, &d);
        isac_ma_design_comm_beams(&s, veh, &d);
        struct isac_ma_eval e0;
        rate_with(&s, veh, &d, &e0);
        /* thresholds: 1 % below the uniform-power bounds on distance (which rewards power
         * at the band edges), so the uniform allocation is infeasible (1 % below) */
        struct isac_ma_constraints c;
        for (unsigned k = 0; k < ISAC_MA_MAX_VEH; k++)
            for (int i = 0; i < 3; i++)
                c.eps[k][i] = INFINITY;
        for (unsigned k = 0; k < s.K; k++)
            c.eps[k][1] = 0.99 * e0.lpcrlb[k][1];
        int met = 0;
        assert_int_equal(isac_ma_power_design(&s, veh, &c, &d, &met), ISAC_OK);
        struct isac_ma_eval e;
        double r = rate_with(&s, veh, &d, &e);
        double sum = 0;
        for (unsigned n = 0; n < s.nsub; n++) {
            assert_true(d.p[n] >= 0);
            sum += d.p[n];
        }
        assert_true(fabs(sum - s.pt) < 1e-9);
        printf("seed %llu: rate %.5f (uniform %.5f), distance bound %.4g / %.4g, met %d\n",
               (unsigned long long)seed, r, e0.rate, e.lpcrlb[0][1], c.eps[0][1], met);
        /* no random feasible allocation does better */
        unsigned feasible = 0;
        for (int t = 0; t < 400; t++) {
            struct isac_ma_design q = d;
            double tot = 0;
            for (unsigned n = 0; n < s.nsub; n++) {
                double u = isac_rng_uniform(&rng);
                unsigned edge =
                    n < 4 || n >= s.nsub - 4 || (n >= s.nsub / 2 - 4 && n < s.nsub / 2 + 4);
                tot += q.p[n] = u * (edge ? 4.0 : 1.0);
            }
            for (unsigned n = 0; n < s.nsub; n++)
                q.p[n] *= s.pt / tot;
            struct isac_ma_eval eq;
            double rq = rate_with(&s, veh, &q, &eq);
            if (!isac_ma_constraints_met(&s, &c, &eq))
                continue;
            feasible++;
            if (!met || rq > r + 1e-6) {
                printf("random feasible allocation (rate %.6f) where the design (rate %.6f, "
                       "met %d) is worse or infeasible\n",
                       rq, r, met);
                fail();
            }
        }
        printf("  %u random feasible allocations, none better\n", feasible);
        nmet += met;
    }
    assert_true(nmet >= 3);
}

static void test_fixed_bad_positions(void **st)
{
    (void)st;
    struct isac_ma_scene s;
    struct isac_ma_vehicle veh[ISAC_MA_MAX_VEH];
    struct isac_ma_design d;
    setup(1, &s, veh, &d);
    d.xr[0] = 7.5; /* Rx segment is [8, 15] */
    struct isac_ma_constraints c;
    for (unsigned k = 0; k < ISAC_MA_MAX_VEH; k++)
        for (int i = 0; i < 3; i++)
            c.eps[k][i] = INFINITY;
    struct isac_ma_fixed_opts o;
    isac_ma_fixed_opts_default(&o);
    struct isac_ma_eval e;
    int met;
    char err[200];
    assert_int_equal(isac_ma_fixed_solve(&s, veh, &c, &o, &d, &e, &met, err, sizeof err),
                     ISAC_EINVAL);
    printf("%s\n", err);
    assert_non_null(strstr(err, "rx positions: element 0 at 7.5 is outside the region [8, 15]"));
    s.tx.xmax = 3.0; /* cannot hold 8 at 0.5 */
    assert_int_equal(isac_ma_scene_check(&s, err, sizeof err), ISAC_EINVAL);
    printf("%s\n", err);
    assert_non_null(
        strstr(err, "tx region [0, 3] holds at most 7 elements at dmin 0.5, asked for 8"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pga_monotone),
        cmocka_unit_test(test_pso_gbest_monotone),
        cmocka_unit_test(test_power_design_optimal),
        cmocka_unit_test(test_fixed_bad_positions),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
