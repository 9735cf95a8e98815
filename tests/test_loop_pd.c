/* End to end: on the emulator, the empirical detection rate of the GLRT at the target's
 * true delay and angles agrees with the analytic P_D (seed 004 eq. (24), with the chi2(2N)
 * scaling of host/detect/glrt.h) at three transmit powers, within 99.9 % Clopper-Pearson
 * intervals. The chain is the real one: TX burst of the probe with a codebook beam,
 * emulator (path loss, fractional delay, noise), FFTW matched filter, sub-sample
 * interpolation of the MF output at the true delay, GLRT over the 4 receive APs. Only the
 * non-centrality comes from the ground truth (the emulator's path gains); the powers are
 * chosen by bisection so that the analytic P_D is 0.3, 0.7 and 0.95. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "array/codebook.h"
#include "detect/glrt.h"
#include "dsp/fdelay.h"
#include "dsp/mf.h"
#include "radio.h"
#include "sim/sim.h"
#include "stat_bounds.h"
#include "dsp/waveform.h"

#define M 8 /* elements per AP (sim:elements=8 keeps the test quick) */
#define NAP 4
#define L 4096
#define W (L + 64)
#define TRIALS 1000
#define PFA 1e-3

static float complex probe[L], txb[M][L], rxb[NAP * M][W], zb[NAP * M][W - L + 1];

/* Analytic delta of 2*Lambda at 0 dBm for beam w, from the emulator's path gains. */
static double delta_at_0dbm(isac_sim s, isac_codebook cb, unsigned q, double power_dbm)
{
    double delta = 0;
    for (unsigned n = 0; n < NAP; n++) {
        struct isac_sim_path p;
        assert_int_equal(isac_sim_target_path(s, 0, n, 0, &p), 0);
        double tx_gain =
            isac_array_tx_gain(isac_codebook_array(cb), isac_codebook_weights(cb, q), p.phi0);
        double snr = (double)L * M * tx_gain * creal(p.gain * conj(p.gain));
        delta += 2.0 * snr;
    }
    return delta / pow(10.0, power_dbm / 10.0);
}

/* Power (dBm) at which the analytic P_D equals target. */
static double power_for_pd(double delta0, double target)
{
    double lo = -40, hi = 40;
    for (int i = 0; i < 80; i++) {
        double mid = 0.5 * (lo + hi);
        if (isac_glrt_pd(NAP, PFA, delta0 * pow(10.0, mid / 10.0)) < target)
            lo = mid;
        else
            hi = mid;
    }
    return 0.5 * (lo + hi);
}

/* MF output of one element interpolated at fractional lag d. */
static float complex at_delay(const float complex *z, double d)
{
    float h[ISAC_FDELAY_TAPS];
    double n0 = floor(d);
    isac_fdelay_taps(d - n0, h);
    float complex acc = 0;
    for (int t = 0; t < ISAC_FDELAY_TAPS; t++)
        acc += h[t] * z[(long)n0 - ISAC_FDELAY_HALF + 1 + t];
    return acc;
}

static double empirical_pd(double power_dbm, uint64_t seed, double *delta_out)
{
    char spec[256], err[256];
    snprintf(spec, sizeof spec,
             "sim:seed=%llu,elements=%d,power=%.6f,rcs=fixed,speed=0,leak=0,impairments=0",
             (unsigned long long)seed, M, power_dbm);
    isac_radio r = isac_radio_open(spec, err, sizeof err);
    assert_non_null(r);
    isac_sim s = isac_radio_get_state(r);
    struct isac_radio_info info;
    isac_radio_get_info(r, &info);
    isac_array tx = isac_array_create_ula(M, 0.5);
    isac_codebook cb = isac_codebook_create_dft(tx, 64, -M_PI / 2, M_PI / 2);
    struct isac_sim_path p0;
    isac_sim_target_path(s, 0, 0, 0, &p0);
    unsigned q = isac_codebook_best_beam(cb, p0.phi0);
    *delta_out = delta_at_0dbm(s, cb, q, power_dbm) * pow(10.0, power_dbm / 10.0);

    struct isac_waveform_params wp = {.kind = ISAC_WAVEFORM_LFM, .length = L, .bandwidth = 0.8};
    isac_waveform_generate(&wp, probe);
    float complex *txp[M], *rxp[NAP * M], *zp[NAP * M];
    for (int m = 0; m < M; m++)
        txp[m] = txb[m];
    for (int c = 0; c < NAP * M; c++) {
        rxp[c] = rxb[c];
        zp[c] = zb[c];
    }
    isac_waveform_compose(NULL, NULL, 0, probe, isac_codebook_weights(cb, q), M, L, txp);
    isac_mf f = isac_mf_create(probe, L, W, ISAC_MF_PLAN_ESTIMATE);
    unsigned Ms[NAP] = {M, M, M, M};
    isac_glrt g = isac_glrt_create(NAP, Ms, PFA);
    isac_array rxa = isac_array_create_ula(M, 0.5);
    float complex y[NAP][M], a[NAP][M];
    const float complex *yp[NAP], *ap[NAP];
    double s2[NAP] = {1, 1, 1, 1}, d[NAP];
    for (unsigned n = 0; n < NAP; n++) {
        struct isac_sim_path p;
        isac_sim_target_path(s, 0, n, 0, &p);
        d[n] = p.delay_samples;
        isac_array_steering(rxa, p.phin, a[n]);
        yp[n] = y[n];
        ap[n] = a[n];
    }
    unsigned hits = 0;
    for (unsigned t = 0; t < TRIALS; t++) {
        int64_t t0 = (int64_t)t * 2 * W;
        assert_int_equal(isac_radio_tx_burst(r, t0, (const float complex *const *)txp, L), 0);
        assert_int_equal(isac_radio_rx_capture(r, t0, rxp, W, NULL), 0);
        isac_mf_execute_multi(f, NAP * M, (const float complex *const *)rxp, zp);
        for (unsigned n = 0; n < NAP; n++)
            for (unsigned m = 0; m < M; m++)
                y[n][m] = at_delay(zb[n * M + m], d[n]);
        struct isac_glrt_result res;
        isac_glrt_execute(g, yp, ap, s2, NULL, &res);
        hits += res.detected;
    }
    isac_array_destroy(rxa);
    isac_array_destroy(tx);
    isac_glrt_destroy(g);
    isac_mf_destroy(f);
    isac_codebook_destroy(cb);
    isac_radio_close(r);
    return (double)hits;
}

static void test_pd_matches_theory_at_three_powers(void **state)
{
    (void)state;
    const uint64_t seed = 3;
    /* delta at 0 dBm for this scene, from a probe radio */
    char err[256];
    isac_radio r = isac_radio_open(
        "sim:seed=3,elements=8,power=0,rcs=fixed,speed=0,leak=0,impairments=0", err, sizeof err);
    assert_non_null(r);
    isac_array tx = isac_array_create_ula(M, 0.5);
    isac_codebook cb = isac_codebook_create_dft(tx, 64, -M_PI / 2, M_PI / 2);
    struct isac_sim_path p0;
    isac_sim_target_path(isac_radio_get_state(r), 0, 0, 0, &p0);
    double delta0 =
        delta_at_0dbm(isac_radio_get_state(r), cb, isac_codebook_best_beam(cb, p0.phi0), 0.0);
    isac_codebook_destroy(cb);
    isac_array_destroy(tx);
    isac_radio_close(r);

    const double targets[3] = {0.3, 0.7, 0.95};
    for (int i = 0; i < 3; i++) {
        double pw = power_for_pd(delta0, targets[i]), delta;
        double hits = empirical_pd(pw, seed, &delta);
        double pd = isac_glrt_pd(NAP, PFA, delta);
        double lo, hi;
        stat_cp_interval((unsigned long)hits, TRIALS, 1e-3, &lo, &hi);
        printf(
            "power %.2f dBm: delta %.2f, analytic P_D %.4f, empirical %.4f (%u trials, 99.9%% CI "
            "[%.4f, %.4f])\n",
            pw, delta, pd, hits / TRIALS, TRIALS, lo, hi);
        assert_true(pd >= lo && pd <= hi);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pd_matches_theory_at_three_powers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
