/* Sensing from samples (host/track/sense_mf.h with radio/sim/sim_echo.h): range, direction
 * cosine and range rate measured by the matched filter and detector on rendered echoes
 * are unbiased and their variances agree with the Cramer-Rao level model
 * (host/track/sense_model.h) at the true SNR, for one vehicle and for two well-separated
 * vehicles in one slot; no false detections; and a scripted highway run with
 * sense_model mf gives tracks born from MF detections and ended when the vehicles leave. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <gsl/gsl_cdf.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "array/array.h"
#include "common/err.h"
#include "common/rng.h"
#include "engine/highway.h"
#include "plan/plan.h"
#include "sim/sim_echo.h"
#include "track/ekf.h"
#include "track/sense_mf.h"
#include "track/sense_model.h"
#include "asan_build.h"

#define C0 299792458.0
#define M_EL 16
#define FS 250e6
#define BAND 200e6
#define FC 30e9
#define GAP 40e-6
#define LEN 512
#define LAGS 112

/* normalised errors of one quantity: mean and mean square, with their bounds */
struct acc {
    double s, s2;
    unsigned n;
};

static void acc_add(struct acc *a, double e)
{
    a->s += e;
    a->s2 += e * e;
    a->n++;
}

/* Unbiased (|mean| within 3.29 standard errors) and variance ratio to the CRB within the
 * 99.9 % chi-square interval of n normalised errors, inflated by `allow` (the ratio that
 * is physics, not noise: see the callers). Prints the ratio and its interval. */
static int acc_check(const char *what, const struct acc *a, double allow)
{
    double mean = a->s / a->n, ratio = a->s2 / a->n;
    double lo = ratio * a->n / gsl_cdf_chisq_Qinv(0.0005, a->n);
    double hi = ratio * a->n / gsl_cdf_chisq_Pinv(0.0005, a->n);
    double se = sqrt(ratio / a->n);
    int ok = fabs(mean) <= 3.29 * se && lo <= allow && hi >= 1.0 / allow;
    printf("%-26s n %4u  mean/sd %+.3f (+-%.3f)  var/CRB %.3f [%.3f, %.3f]%s\n", what, a->n, mean,
           3.29 * se, ratio, lo, hi, ok ? "" : "  <- FAIL");
    return ok;
}

struct scene {
    isac_array arr;
    isac_sense_mf s;
    float complex *x[M_EL], *y[2][M_EL];
    struct isac_sense_model sm;
};

static void scene_init(struct scene *sc, unsigned streams)
{
    sc->arr = isac_array_create_ula(M_EL, 0.5);
    struct isac_sense_mf_params p = {streams, LEN, LAGS, FS, BAND, FC, GAP, 2, 13.0, 4 * M_EL, 7};
    char err[128];
    sc->s = isac_sense_mf_create(&p, sc->arr, err, sizeof err);
    assert_non_null(sc->s);
    size_t W = isac_sense_mf_window(sc->s);
    for (unsigned m = 0; m < M_EL; m++) {
        sc->x[m] = calloc(LEN, sizeof(float complex));
        sc->y[0][m] = calloc(W, sizeof(float complex));
        sc->y[1][m] = calloc(W, sizeof(float complex));
    }
    /* the level-0 model with the MF's band (burst_s unused here: the rate bound below is
     * the two-burst phase bound, not the single-burst Doppler bound of level 0) */
    sc->sm = (struct isac_sense_model){16.0, 30.0, M_EL, BAND, LEN / FS, FC};
}

static void scene_free(struct scene *sc)
{
    for (unsigned m = 0; m < M_EL; m++) {
        free(sc->x[m]);
        free(sc->y[0][m]);
        free(sc->y[1][m]);
    }
    isac_sense_mf_destroy(sc->s);
    isac_array_destroy(sc->arr);
}

/* One slot at RSU (0, 30): K matched beams at the vehicles (comm share 0.8) and the probe;
 * errors normalised by the level-0 bounds at the true SNR; returns the detections not
 * matched to a vehicle. */
static unsigned slot(struct scene *sc, const struct isac_sim_echo_target *tg, unsigned nt,
                     uint64_t seed, struct acc *eu, struct acc *ed, struct acc *er,
                     unsigned *missed)
{
    const struct isac_trk_rsu rsu = {0.0, 30.0};
    isac_tx_plan p = isac_tx_plan_create(M_EL, nt, 1);
    float complex *W = isac_tx_plan_precoder(p, 0);
    double *pw = isac_tx_plan_powers(p);
    double z[4][3];
    for (unsigned k = 0; k < nt; k++) {
        double st[4] = {tg[k].x, tg[k].y, tg[k].vx, tg[k].vy};
        isac_trk_h(st, &rsu, z[k], NULL);
        isac_array_tx_weights(sc->arr, asin(z[k][0]), W + (size_t)k * M_EL);
        pw[k] = 0.8 / nt;
    }
    W[(size_t)nt * M_EL] = 1.0f;
    pw[nt] = 0.2;
    const float complex *uu[8];
    for (unsigned s = 0; s <= nt; s++)
        uu[s] = isac_sense_mf_code(sc->s, s);
    assert_int_equal(isac_tx_plan_compose(p, uu, LEN, sc->x), ISAC_OK);
    struct isac_sim_echo_link ln = {sc->arr, 0.0, 30.0, FS, FC, pow(10.0, sc->sm.snr_ref_db / 10),
                                    30.0};
    const float complex *xx[M_EL];
    for (unsigned m = 0; m < M_EL; m++)
        xx[m] = sc->x[m];
    size_t Wn = isac_sense_mf_window(sc->s);
    for (unsigned b = 0; b < 2; b++)
        assert_int_equal(
            isac_sim_echo_render(&ln, tg, nt, xx, LEN, b * GAP, sc->y[b], Wn, seed * 2 + b),
            ISAC_OK);
    const float complex *const *yy[2] = {(const float complex *const *)sc->y[0],
                                         (const float complex *const *)sc->y[1]};
    struct isac_trk_meas m[32];
    unsigned nm = 0;
    assert_int_equal(isac_sense_mf_detect(sc->s, W, pw, nt + 1, yy, 0, m, 32, &nm), ISAC_OK);
    unsigned used = 0;
    for (unsigned k = 0; k < nt; k++) {
        /* total radiated toward the vehicle relative to a full matched beam */
        float complex a[M_EL];
        isac_array_steering(sc->arr, asin(z[k][0]), a);
        double g = 0;
        for (unsigned s = 0; s <= nt; s++) {
            float complex acc = 0;
            for (unsigned e = 0; e < M_EL; e++)
                acc += a[e] * W[(size_t)s * M_EL + e];
            g += pw[s] * crealf(acc * conjf(acc)) / M_EL;
        }
        double su, sd, sr;
        isac_sense_model_sd(&sc->sm, z[k][1], g, &su, &sd, &sr);
        double snr_arr = pow(10.0, sc->sm.snr_ref_db / 10) * pow(30.0 / z[k][1], 4) * g * M_EL;
        sr = C0 / (4 * M_PI * FC * GAP) * sqrt(1.0 / snr_arr);
        int hit = -1;
        for (unsigned j = 0; j < nm; j++)
            if (fabs(m[j].d - z[k][1]) < 1.0 && fabs(m[j].u - z[k][0]) < 0.05)
                hit = (int)j;
        if (hit < 0) {
            (*missed)++;
            continue;
        }
        used++;
        acc_add(eu, (m[hit].u - z[k][0]) / su);
        acc_add(ed, (m[hit].d - z[k][1]) / sd);
        acc_add(er, (m[hit].r - z[k][2]) / sr);
    }
    isac_tx_plan_destroy(p);
    return nm - used;
}

static void run_mc(unsigned nt, unsigned trials)
{
    struct scene sc;
    scene_init(&sc, nt + 1);
    struct acc eu = {0}, ed = {0}, er = {0};
    unsigned fa = 0, missed = 0;
    isac_rng r;
    isac_rng_seed(&r, 1000 + nt);
    for (unsigned t = 0; t < trials; t++) {
        struct isac_sim_echo_target tg[2];
        /* random sub-cell positions: vehicle 0 in the far lane, vehicle 1 in the near lane
         * 15-25 m further along the road (well separated in angle) */
        double x0 = -22.0 + 14.0 * isac_rng_uniform(&r);
        tg[0] = (struct isac_sim_echo_target){x0, -2.5, 28.0 + 4.0 * isac_rng_uniform(&r), 0.0};
        tg[1] = (struct isac_sim_echo_target){x0 + 15.0 + 10.0 * isac_rng_uniform(&r), 2.5,
                                              -30.0 + 4.0 * isac_rng_uniform(&r), 0.0};
        fa += slot(&sc, tg, nt, 77 + t, &eu, &ed, &er, &missed);
    }
    char lbl[64];
    int ok = 1;
    snprintf(lbl, sizeof lbl, "%u vehicle(s): angle u", nt);
    ok &= acc_check(lbl, &eu, 1.0);
    snprintf(lbl, sizeof lbl, "%u vehicle(s): range", nt);
    ok &= acc_check(lbl, &ed, 1.0);
    snprintf(lbl, sizeof lbl, "%u vehicle(s): range rate", nt);
    ok &= acc_check(lbl, &er, 1.0);
    printf("%u vehicle(s): %u slots, %u missed, %u extra detections, noise est %.3f\n", nt, trials,
           missed, fa, isac_sense_mf_noise(sc.s));
    scene_free(&sc);
    assert_true(ok);
    assert_int_equal(missed, 0);
    assert_int_equal(fa, 0);
}

static void test_one_vehicle(void **st)
{
    (void)st;
    run_mc(1, asan_build() ? 60 : 400);
}

static void test_two_vehicles(void **st)
{
    (void)st;
    run_mc(2, asan_build() ? 40 : 300);
}

/* Two scripted vehicles cross the road: both tracks are born from MF detections and end
 * when the vehicles leave; nothing else is confirmed. */
static void test_births_ends(void **st)
{
    (void)st;
    /* under the sanitizers a 20 m road (the MF path is 10x slower there) */
    const char *yaml = asan_build() ? "scene: highway\n"
                                      "duration_s: 0.9\n"
                                      "road_length_m: 20\n"
                                      "users:\n"
                                      "  - {position: [-9.5, -2.5], velocity: [30, 0]}\n"
                                      "  - {position: [9.5, 2.5], velocity: [-28, 0]}\n"
                                    : "scene: highway\n"
                                      "duration_s: 2.4\n"
                                      "users:\n"
                                      "  - {position: [-29, -2.5], velocity: [30, 0]}\n"
                                      "  - {position: [29, 2.5], velocity: [-28, 0]}\n";
    struct isac_hwy_config c;
    char err[256];
    isac_hwy_config_defaults(&c);
    assert_int_equal(isac_hwy_config_load_text(yaml, "births.yaml", &c, err, sizeof err), ISAC_OK);
    assert_int_equal(c.sense_model, ISAC_HWY_SENSE_MF);
    json_t *res = NULL;
    assert_int_equal(isac_hwy_run(&c, &res, NULL, err, sizeof err), ISAC_OK);
    json_t *t = json_object_get(res, "tracking");
    long born = (long)json_integer_value(json_object_get(t, "tracks"));
    long ended = (long)json_integer_value(json_object_get(t, "tracks_ended"));
    printf("scripted MF run: %ld tracks born, %ld ended, range RMSE %.4f m (PCRB %.4f), "
           "angle RMSE %.4f deg (PCRB %.4f), %lld detections\n",
           born, ended, json_real_value(json_object_get(t, "rmse_range_m")),
           json_real_value(json_object_get(t, "pcrb_range_m")),
           json_real_value(json_object_get(t, "rmse_angle_deg")),
           json_real_value(json_object_get(t, "pcrb_angle_deg")),
           (long long)json_integer_value(json_object_get(t, "detections")));
    assert_int_equal(born, 2);
    assert_int_equal(ended, 2);
    json_decref(res);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_one_vehicle),
        cmocka_unit_test(test_two_vehicles),
        cmocka_unit_test(test_births_ends),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
