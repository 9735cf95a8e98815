/* Calibration accuracy against the emulator's truth (issue 5 "done" criterion):
 * impairments=1 (phases uniform over the circle, gains +-3 dB, delays up to 3.7 samples,
 * CFO up to 50 Hz), 20 seeds, 20 dB per-sample SNR, 4096-sample captures. Residual
 * phase error <= 1 deg RMS and gain error <= 0.1 dB (RMS over channels and seeds) for RX
 * (splitter, eigenvector), TX (orthogonal combs) and the TX one-at-a-time fallback; the
 * estimated accuracy is consistent with the measured error; relative delays within
 * 0.05 samples RMS; the system delay matches dtx_0 + drx_{n,0}. Truth is taken relative
 * to each array's first element, as the estimates are. */
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>

#include "calib/session.h"
#include "sim/sim.h"

#define SEEDS 20
#define RAD2DEG (180.0 / M_PI)

struct errs {
    double p2, g2, d2, pstd2;
    unsigned n;
    double pmax;
};

static void accumulate(struct errs *e, const struct isac_calib_chan *est,
                       struct isac_sim_chan_truth t, struct isac_sim_chan_truth t0)
{
    double dp = isac_calib_wrap_deg(est->phase_deg - (t.phase_rad - t0.phase_rad) * RAD2DEG);
    double dg = est->gain_db - (t.gain_db - t0.gain_db);
    double dd = est->delay_samples - (t.delay_samples - t0.delay_samples);
    e->p2 += dp * dp;
    e->g2 += dg * dg;
    e->d2 += dd * dd;
    e->pstd2 += est->phase_std_deg * est->phase_std_deg;
    e->pmax = fmax(e->pmax, fabs(dp));
    e->n++;
}

static isac_radio open_sim(uint64_t seed, const char *cal)
{
    char spec[256], err[256];
    snprintf(spec, sizeof spec, "sim:impairments=1,seed=%llu,cal=%s,cal_snr=20",
             (unsigned long long)seed, cal);
    isac_radio r = isac_radio_open(spec, err, sizeof err);
    if (!r)
        fail_msg("%s", err);
    return r;
}

static void report(const char *what, const struct errs *e)
{
    double prms = sqrt(e->p2 / e->n), grms = sqrt(e->g2 / e->n), drms = sqrt(e->d2 / e->n);
    double est = sqrt(e->pstd2 / e->n);
    printf("%-14s %4u channels: phase %.3f deg RMS (max %.3f, estimated %.3f), gain %.4f dB "
           "RMS, delay %.4f samples RMS\n",
           what, e->n, prms, e->pmax, est, grms, drms);
    assert_true(prms <= 1.0);
    assert_true(grms <= 0.1);
    assert_true(drms <= 0.05);
    /* the reported accuracy is honest: within a factor 2 of the measured error */
    assert_true(est > prms / 2 && est < prms * 2);
}

static void test_rx(void **state)
{
    (void)state;
    struct errs e = {0};
    static struct isac_calib_chan out[ISAC_CALIB_MAX_CH];
    struct isac_calib_session s;
    isac_calib_session_default(&s);
    for (uint64_t seed = 1; seed <= SEEDS; seed++) {
        isac_radio r = open_sim(seed, "rx_splitter");
        char err[256];
        assert_int_equal(isac_calib_measure_rx(r, &s, out, err, sizeof err), 0);
        isac_sim sm = isac_radio_get_state(r);
        struct isac_radio_info info;
        isac_radio_get_info(r, &info);
        for (unsigned ch = 0; ch < info.num_rx; ch++) {
            unsigned first = ch - out[ch].element;
            assert_true(out[ch].crosscheck_deg < 1.0);
            accumulate(&e, &out[ch], isac_sim_rx_truth(sm, ch), isac_sim_rx_truth(sm, first));
        }
        isac_radio_close(r);
    }
    report("rx splitter", &e);
}

static void tx_common(int sequential)
{
    struct errs e = {0};
    static struct isac_calib_chan out[ISAC_CALIB_MAX_CH];
    struct isac_calib_session s;
    isac_calib_session_default(&s);
    for (uint64_t seed = 1; seed <= SEEDS; seed++) {
        isac_radio r = open_sim(seed, "tx_coupler");
        char err[256];
        assert_int_equal(isac_calib_measure_tx(r, &s, sequential, out, err, sizeof err), 0);
        isac_sim sm = isac_radio_get_state(r);
        struct isac_radio_info info;
        isac_radio_get_info(r, &info);
        for (unsigned k = 0; k < info.num_tx; k++)
            accumulate(&e, &out[k], isac_sim_tx_truth(sm, k), isac_sim_tx_truth(sm, 0));
        isac_radio_close(r);
    }
    report(sequential ? "tx sequential" : "tx combs", &e);
}

static void test_tx_codes(void **state)
{
    (void)state;
    tx_common(0);
}

static void test_tx_sequential(void **state)
{
    (void)state;
    tx_common(1);
}

static void test_system_delay(void **state)
{
    (void)state;
    struct isac_calib_session s;
    isac_calib_session_default(&s);
    double e2 = 0;
    unsigned n = 0;
    for (uint64_t seed = 1; seed <= 5; seed++) {
        isac_radio r = open_sim(seed, "rx_splitter");
        double d[ISAC_RADIO_MAX_APS], sd[ISAC_RADIO_MAX_APS];
        char err[256];
        assert_int_equal(isac_calib_measure_delay(r, &s, d, sd, err, sizeof err), 0);
        isac_sim sm = isac_radio_get_state(r);
        for (unsigned ap = 0; ap < ISAC_SIM_NUM_RX_APS; ap++, n++) {
            double t = isac_sim_tx_truth(sm, 0).delay_samples +
                       isac_sim_rx_truth(sm, ap * 16).delay_samples;
            e2 += (d[ap] - t) * (d[ap] - t);
        }
        isac_radio_close(r);
    }
    printf("system delay: %.4f samples RMS over %u arrays\n", sqrt(e2 / n), n);
    assert_true(sqrt(e2 / n) < 0.05);
}

/* The manifold from a pilot at a known angle recovers the RX offsets too. */
static void test_manifold(void **state)
{
    (void)state;
    struct errs e = {0}, et = {0};
    static struct isac_calib_chan rx[ISAC_CALIB_MAX_CH], tx[ISAC_CALIB_MAX_CH];
    struct isac_calib_session s;
    isac_calib_session_default(&s);
    for (uint64_t seed = 1; seed <= 5; seed++) {
        isac_radio r = open_sim(seed, "pilot");
        char err[256];
        assert_int_equal(
            isac_calib_measure_manifold(r, &s, 20 * M_PI / 180, rx, tx, err, sizeof err), 0);
        isac_sim sm = isac_radio_get_state(r);
        for (unsigned ch = 0; ch < 64; ch++)
            accumulate(&e, &rx[ch], isac_sim_rx_truth(sm, ch),
                       isac_sim_rx_truth(sm, ch - rx[ch].element));
        for (unsigned k = 0; k < 16; k++)
            accumulate(&et, &tx[k], isac_sim_tx_truth(sm, k), isac_sim_tx_truth(sm, 0));
        isac_radio_close(r);
    }
    report("rx pilot", &e);
    report("tx pilot", &et);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rx),
        cmocka_unit_test(test_tx_codes),
        cmocka_unit_test(test_tx_sequential),
        cmocka_unit_test(test_system_delay),
        cmocka_unit_test(test_manifold),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
