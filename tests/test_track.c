/* Tracking (host/track): EKF Jacobian and update forms, filter consistency (NEES within
 * chi-square bounds), RMSE against the PCRB at high SNR, track births and ends on a
 * scripted scene, and the highway traffic's mean count (Little's law). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <gsl/gsl_cdf.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "common/err.h"
#include "common/rng.h"
#include "track/ekf.h"
#include "track/sense_model.h"
#include "track/tracker.h"
#include "track/traffic.h"
#include "asan_build.h"

static const struct isac_trk_rsu RSU[2] = {{0.0, 30.0}, {0.0, -30.0}};

static void test_jacobian(void **st)
{
    (void)st;
    const double x0[4] = {-20.0, 2.5, 30.0, 0.4};
    double z[3], H[12];
    for (unsigned r = 0; r < 2; r++) {
        isac_trk_h(x0, &RSU[r], z, H);
        for (unsigned j = 0; j < 4; j++) {
            double xp[4], xm[4], zp[3], zm[3], h = 1e-6;
            memcpy(xp, x0, sizeof xp);
            memcpy(xm, x0, sizeof xm);
            xp[j] += h;
            xm[j] -= h;
            isac_trk_h(xp, &RSU[r], zp, NULL);
            isac_trk_h(xm, &RSU[r], zm, NULL);
            for (unsigned i = 0; i < 3; i++)
                assert_true(fabs((zp[i] - zm[i]) / (2 * h) - H[i * 4 + j]) < 1e-6);
        }
    }
}

static void test_info_form(void **st)
{
    (void)st;
    struct isac_trk_ekf a = {{-10, -2, 28, 0},
                             {4, 0.5, 0, 0, 0.5, 3, 0, 0, 0, 0, 9, 0.2, 0, 0, 0.2, 1}};
    struct isac_trk_ekf b = a;
    struct isac_trk_meas m = {0, -0.3, 33.0, -8.0, 0.01, 0.2, 0.5, 0};
    assert_int_equal(isac_trk_ekf_update(&a, &RSU[0], &m, NULL), ISAC_OK);
    assert_int_equal(isac_trk_ekf_update_info(&b, &RSU[0], &m), ISAC_OK);
    for (unsigned i = 0; i < 4; i++)
        assert_true(fabs(a.x[i] - b.x[i]) < 1e-9);
    for (unsigned i = 0; i < 16; i++)
        assert_true(fabs(a.P[i] - b.P[i]) < 1e-9);
}

/* Truth: the constant-velocity model with process noise (qx, qy), so the filter's model
 * is exact. Measurements from both RSUs every slot. */
static void truth_step(double *x, double T, double qx, double qy, isac_rng *rng)
{
    double F[16], Q[16];
    isac_trk_cv_model(T, qx, qy, F, Q);
    /* draw w ~ N(0, Q) per axis: Q_axis = q [T^3/3, T^2/2; T^2/2, T] */
    double q[2] = {qx, qy};
    for (unsigned a = 0; a < 2; a++) {
        double l11 = sqrt(q[a] * T * T * T / 3.0), l21 = q[a] * T * T / 2.0 / l11;
        double l22 = sqrt(q[a] * T - l21 * l21);
        double n1 = isac_rng_normal(rng), n2 = isac_rng_normal(rng);
        x[a] += x[a + 2] * T + l11 * n1;
        x[a + 2] += l21 * n1 + l22 * n2;
    }
}

static void test_nees(void **st)
{
    (void)st;
    const unsigned R = asan_build() ? 60 : 300, N = 60;
    const double T = 0.02, qx = 4.0, qy = 0.25;
    const struct isac_sense_model sm = {10.0, 30.0, 8, 100e6, 1e-3, 30e9};
    double nees[60] = {0};
    isac_rng rng;
    isac_rng_seed(&rng, 11);
    for (unsigned r = 0; r < R; r++) {
        double x[4] = {-25.0, -2.5, 30.0, 0.0};
        struct isac_trk_ekf f;
        memset(&f, 0, sizeof f);
        double P0[4] = {1.0, 1.0, 4.0, 0.25};
        for (unsigned i = 0; i < 4; i++) {
            f.x[i] = x[i] + sqrt(P0[i]) * isac_rng_normal(&rng);
            f.P[i * 5] = P0[i];
        }
        for (unsigned n = 0; n < N; n++) {
            truth_step(x, T, qx, qy, &rng);
            isac_trk_ekf_predict(&f, T, qx, qy);
            for (unsigned k = 0; k < 2; k++) {
                struct isac_trk_meas m;
                isac_sense_model_measure(&sm, &RSU[k], k, x, 1.0, 0, &rng, &m);
                assert_int_equal(isac_trk_ekf_update(&f, &RSU[k], &m, NULL), ISAC_OK);
            }
            nees[n] += isac_trk_nees(&f, x);
        }
    }
    /* per slot: sum over runs ~ chi2(4R); Bonferroni over the N slots at 1e-3 overall */
    double a = 1e-3 / N;
    double lo = gsl_cdf_chisq_Pinv(a / 2, 4.0 * R), hi = gsl_cdf_chisq_Qinv(a / 2, 4.0 * R);
    unsigned bad = 0;
    for (unsigned n = 0; n < N; n++)
        bad += nees[n] < lo || nees[n] > hi;
    printf("NEES/run: first %.2f  mid %.2f  last %.2f (4 expected; per-slot bounds [%.2f, %.2f]); "
           "%u of %u slots outside\n",
           nees[0] / R, nees[N / 2] / R, nees[N - 1] / R, lo / R, hi / R, bad, N);
    assert_int_equal(bad, 0);
}

/* High SNR: the EKF is efficient, so the normalised squared range error against the PCRB
 * (computed along each run's true trajectory) is chi2(R)/R. */
static void test_rmse_pcrb(void **st)
{
    (void)st;
    const unsigned R = asan_build() ? 80 : 400, N = 50;
    const double T = 0.02, qx = 4.0, qy = 0.25;
    const struct isac_sense_model sm = {30.0, 30.0, 16, 100e6, 1e-3, 30e9};
    isac_rng rng;
    isac_rng_seed(&rng, 12);
    double sum_norm = 0, se = 0, sb = 0, sea = 0, sba = 0;
    for (unsigned r = 0; r < R; r++) {
        double x[4] = {-25.0, 2.5, -30.0, 0.0};
        double P0[16] = {0};
        double d0[4] = {1.0, 1.0, 4.0, 0.25};
        struct isac_trk_ekf f;
        memset(&f, 0, sizeof f);
        for (unsigned i = 0; i < 4; i++) {
            P0[i * 5] = d0[i];
            f.x[i] = x[i] + sqrt(d0[i]) * isac_rng_normal(&rng);
        }
        memcpy(f.P, P0, sizeof P0);
        struct isac_trk_pcrb b;
        assert_int_equal(isac_trk_pcrb_init(&b, P0), ISAC_OK);
        for (unsigned n = 0; n < N; n++) {
            truth_step(x, T, qx, qy, &rng);
            isac_trk_ekf_predict(&f, T, qx, qy);
            assert_int_equal(isac_trk_pcrb_predict(&b, T, qx, qy), ISAC_OK);
            for (unsigned k = 0; k < 2; k++) {
                struct isac_trk_meas m;
                isac_sense_model_measure(&sm, &RSU[k], k, x, 1.0, 0, &rng, &m);
                isac_trk_ekf_update(&f, &RSU[k], &m, NULL);
                isac_trk_pcrb_measure(&b, x, &RSU[k], m.su, m.sd, m.sr);
            }
        }
        double C[16], srange, sang, z[3], zt[3];
        assert_int_equal(isac_trk_pcrb_cov(&b, C), ISAC_OK);
        isac_trk_bound_range_angle(C, x, &RSU[0], &srange, &sang);
        isac_trk_h(f.x, &RSU[0], z, NULL);
        isac_trk_h(x, &RSU[0], zt, NULL);
        double e = z[1] - zt[1], ea = asin(z[0]) - asin(zt[0]);
        sum_norm += e * e / (srange * srange);
        se += e * e;
        sb += srange * srange;
        sea += ea * ea;
        sba += sang * sang;
    }
    double lo = gsl_cdf_chisq_Pinv(5e-4, R) / R, hi = gsl_cdf_chisq_Qinv(5e-4, R) / R;
    printf("range RMSE %.4g m  PCRB %.4g m; angle RMSE %.4g deg  PCRB %.4g deg; normalised MSE "
           "%.3f in [%.3f, %.3f]\n",
           sqrt(se / R), sqrt(sb / R), sqrt(sea / R) * 180 / M_PI, sqrt(sba / R) * 180 / M_PI,
           sum_norm / R, lo, hi);
    assert_true(sum_norm / R >= lo && sum_norm / R <= hi);
}

/* Scripted scene: vehicle A enters at t = 0.1 s toward +x, B at 0.8 s toward -x; both
 * leave after 2 s on the road. Detections from both RSUs every slot while on the road. */
static void test_births_ends(void **st)
{
    (void)st;
    struct isac_trk_params p;
    isac_trk_params_default(&p);
    isac_tracker t = isac_tracker_create(&p, RSU, 2);
    assert_non_null(t);
    const struct isac_sense_model sm = {20.0, 30.0, 16, 100e6, 1e-3, 30e9};
    isac_rng rng;
    isac_rng_seed(&rng, 13);
    const double tin[2] = {0.1, 0.8}, v[2] = {30.0, -30.0}, y[2] = {-2.5, 2.5};
    unsigned max_confirmed = 0, slot_conf[2] = {0, 0};
    for (unsigned n = 1; n <= 200; n++) {
        double tn = n * p.slot_s;
        struct isac_trk_meas m[4];
        unsigned nm = 0;
        for (unsigned k = 0; k < 2; k++) {
            double x = (k == 0 ? -30.0 : 30.0) + v[k] * (tn - tin[k]);
            if (tn < tin[k] || fabs(x) > 30.0)
                continue;
            double s[4] = {x, y[k], v[k], 0.0};
            for (unsigned r = 0; r < 2; r++)
                isac_sense_model_measure(&sm, &RSU[r], r, s, 1.0, (int)k, &rng, &m[nm++]);
        }
        assert_int_equal(isac_tracker_step(t, m, nm), ISAC_OK);
        unsigned nt, conf = 0;
        const struct isac_trk_track *tr = isac_tracker_tracks(t, &nt);
        for (unsigned i = 0; i < nt; i++)
            if (tr[i].confirmed) {
                conf++;
                if (!slot_conf[tr[i].truth_id])
                    slot_conf[tr[i].truth_id] = n;
            }
        max_confirmed = conf > max_confirmed ? conf : max_confirmed;
    }
    printf("births %u ends %u, confirmed at slots %u and %u, at most %u at once\n",
           isac_tracker_births(t), isac_tracker_ends(t), slot_conf[0], slot_conf[1], max_confirmed);
    assert_int_equal(isac_tracker_births(t), 2);
    assert_int_equal(isac_tracker_ends(t), 2);
    assert_int_equal(max_confirmed, 2);
    /* confirmed within confirm_hits slots of entering */
    assert_true(slot_conf[0] <= 5 + p.confirm_hits);
    assert_true(slot_conf[1] <= 40 + p.confirm_hits);
    unsigned nt;
    isac_tracker_tracks(t, &nt);
    assert_int_equal(nt, 0);
    isac_tracker_destroy(t);
}

static void check_little(double rate, double expect)
{
    const unsigned runs = asan_build() ? 10 : 30;
    double s = 0, ss = 0;
    for (unsigned r = 0; r < runs; r++) {
        struct isac_hw_traffic_params p;
        isac_hw_traffic_params_default(&p);
        p.rate[0] = p.rate[1] = rate;
        p.speed_std = 3.0;
        p.seed = 100 + r;
        char err[128];
        isac_hw_traffic q = isac_hw_traffic_create(&p, err, sizeof err);
        assert_non_null(q);
        double acc = 0;
        unsigned cnt = 0;
        for (unsigned n = 0; n < 1500; n++) { /* 30 s; the first 4 s are the fill-up */
            assert_int_equal(isac_hw_traffic_step(q), ISAC_OK);
            unsigned nv;
            isac_hw_traffic_vehicles(q, &nv);
            if (n >= 200) {
                acc += nv;
                cnt++;
            }
        }
        s += acc / cnt;
        ss += (acc / cnt) * (acc / cnt);
        isac_hw_traffic_destroy(q);
    }
    double mean = s / runs, sd = sqrt((ss / runs - mean * mean) * runs / (runs - 1.0));
    double h = gsl_cdf_tdist_Qinv(5e-4, runs - 1.0) * sd / sqrt(runs);
    /* E[length / speed] with speed ~ N(30, 3^2): 2 s (1 + (3/30)^2) to second order */
    double exact = expect * (1.0 + 0.01);
    printf("rate %.1f/s per direction: mean count %.2f +- %.2f (Little: %.2f)\n", rate, mean, h,
           exact);
    assert_true(fabs(mean - exact) <= h);
}

static void test_traffic_little(void **st)
{
    (void)st;
    check_little(5.0, 20.0);
    check_little(12.5, 50.0);
    char err[128];
    struct isac_hw_traffic_params p;
    isac_hw_traffic_params_default(&p);
    p.speed_mean = 0;
    assert_null(isac_hw_traffic_create(&p, err, sizeof err));
    assert_non_null(strstr(err, "speed_mean 0"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_jacobian),    cmocka_unit_test(test_info_form),
        cmocka_unit_test(test_nees),        cmocka_unit_test(test_rmse_pcrb),
        cmocka_unit_test(test_births_ends), cmocka_unit_test(test_traffic_little),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
