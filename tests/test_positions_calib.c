/* Calibration on a non-uniform array (issue 14, part 3): sim:impairments=1 with
 * `positions` meets the accuracy the ULA of the same element count meets, with the
 * thresholds of test_calib_accuracy.c (phase <= 1 deg RMS, gain <= 0.1 dB RMS over
 * channels and seeds). The splitter path does not see the geometry; the pilot manifold
 * does: there the estimator divides by the steering vector of the positions the radio
 * reports, so a mismatch between the emulator's and the processing's positions shows
 * as a phase error of tens of degrees. */
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>

#include "calib/session.h"
#include "sim/sim.h"

#define SEEDS 5
#define M 8
#define RAD2DEG (180.0 / M_PI)

struct errs {
    double p2, g2;
    unsigned n;
};

static void add(struct errs *e, const struct isac_calib_chan *est, struct isac_sim_chan_truth t,
                struct isac_sim_chan_truth t0)
{
    double dp = isac_calib_wrap_deg(est->phase_deg - (t.phase_rad - t0.phase_rad) * RAD2DEG);
    double dg = est->gain_db - (t.gain_db - t0.gain_db);
    e->p2 += dp * dp;
    e->g2 += dg * dg;
    e->n++;
}

static isac_radio open_sim(uint64_t seed, const char *cal, const char *positions)
{
    char spec[256], err[256];
    snprintf(spec, sizeof spec, "sim:impairments=1,seed=%llu,cal=%s,cal_snr=20,elements=%d%s%s",
             (unsigned long long)seed, cal, M, positions ? ",positions=" : "",
             positions ? positions : "");
    isac_radio r = isac_radio_open(spec, err, sizeof err);
    if (!r)
        fail_msg("%s", err);
    return r;
}

/* RMS phase (deg) and gain (dB) errors of RX splitter, RX pilot and TX pilot. */
static void measure(const char *positions, struct errs out[3])
{
    static struct isac_calib_chan rx[ISAC_CALIB_MAX_CH], tx[ISAC_CALIB_MAX_CH];
    struct isac_calib_session s;
    isac_calib_session_default(&s);
    char err[256];
    for (uint64_t seed = 1; seed <= SEEDS; seed++) {
        isac_radio r = open_sim(seed, "rx_splitter", positions);
        assert_int_equal(isac_calib_measure_rx(r, &s, rx, err, sizeof err), 0);
        isac_sim sm = isac_radio_get_state(r);
        for (unsigned ch = 0; ch < ISAC_SIM_NUM_RX_APS * M; ch++)
            add(&out[0], &rx[ch], isac_sim_rx_truth(sm, ch),
                isac_sim_rx_truth(sm, ch - rx[ch].element));
        isac_radio_close(r);
        r = open_sim(seed, "pilot", positions);
        sm = isac_radio_get_state(r);
        assert_int_equal(
            isac_calib_measure_manifold(r, &s, 20 * M_PI / 180, rx, tx, err, sizeof err), 0);
        for (unsigned ch = 0; ch < ISAC_SIM_NUM_RX_APS * M; ch++)
            add(&out[1], &rx[ch], isac_sim_rx_truth(sm, ch),
                isac_sim_rx_truth(sm, ch - rx[ch].element));
        for (unsigned k = 0; k < M; k++)
            add(&out[2], &tx[k], isac_sim_tx_truth(sm, k), isac_sim_tx_truth(sm, 0));
        isac_radio_close(r);
    }
}

static void test_nonuniform_calibrates_like_ula(void **state)
{
    (void)state;
    const char *names[3] = {"rx splitter", "rx pilot", "tx pilot"};
    const char *pos[2] = {NULL, "0:0.5:1.25:1.75:2.75:3.5:4:5"};
    for (int a = 0; a < 2; a++) {
        struct errs e[3] = {{0}};
        measure(pos[a], e);
        for (int i = 0; i < 3; i++) {
            double p = sqrt(e[i].p2 / e[i].n), g = sqrt(e[i].g2 / e[i].n);
            printf("%-9s %-12s %3u channels: phase %.3f deg RMS, gain %.4f dB RMS\n",
                   a ? "positions" : "ULA", names[i], e[i].n, p, g);
            assert_true(p <= 1.0);
            assert_true(g <= 0.1);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_nonuniform_calibrates_like_ula),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
