/* Element positions end to end (issue 14, part 3):
 *   - sim spec `positions=`: accepted and reported by isac_radio_get_info on every array;
 *     wrong count, too close, non-numeric and non-finite refused with one line naming
 *     the key and the value;
 *   - movable TX elements: isac_radio_set_tx_positions moves them (cap), refuses bad sets;
 *   - detection: on a non-uniform array (the positions of docs/emulator.md and a random
 *     one with gaps in [0.5, 1) wavelengths from a fixed seed) the GLRT detects the
 *     default scene's target as often as on the ULA of the same element count. The chain
 *     is test_loop_pd's (TX beam, emulator, FFTW MF, GLRT over the 4 receive APs at the
 *     target's true delay and angles), but the TX weights and RX steering vectors come
 *     from radio_tx_array/radio_rx_array, i.e. from the positions the radio reports:
 *     if the emulator rendered other positions than the processing assumes, P_D would
 *     collapse. Each empirical P_D must lie in the 99.9 % Clopper-Pearson interval of
 *     the analytic P_D (the same for every array: an exact beam has gain M anywhere),
 *     and the non-uniform minus the ULA rate within 3.29 standard errors of a difference
 *     of two independent proportions (99.9 %; common noise draws only make it tighter).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/rng.h"
#include "detect/glrt.h"
#include "dsp/fdelay.h"
#include "dsp/mf.h"
#include "radio.h"
#include "sim/sim.h"
#include "stat_bounds.h"
#include "dsp/waveform.h"

#define M 8
#define NAP 4
#define L 4096
#define W (L + 64)
#define TRIALS 500
#define PFA 1e-3
#define TARGET_PD 0.7
#define DOC_POSITIONS "0:0.5:1.25:1.75:2.75:3.5:4:5"

static float complex probe[L], txb[M][L], rxb[NAP * M][W], zb[NAP * M][W - L + 1];

/* ---- spec parsing ---- */

static void test_spec_positions_reported(void **state)
{
    (void)state;
    char err[256];
    isac_radio r = isac_radio_open("sim:elements=8,positions=" DOC_POSITIONS, err, sizeof err);
    assert_non_null(r);
    static struct isac_radio_info in;
    assert_int_equal(isac_radio_get_info(r, &in), 0);
    const double want[M] = {0, 0.5, 1.25, 1.75, 2.75, 3.5, 4, 5};
    assert_true(in.caps & ISAC_RADIO_CAP_MOVABLE);
    assert_int_equal(in.positions_nominal, 0);
    for (unsigned m = 0; m < M; m++) {
        assert_true(in.tx_pos_wl[m] == want[m]);
        for (unsigned n = 0; n < NAP; n++)
            assert_true(in.rx_pos_wl[n * M + m] == want[m]);
    }
    isac_array a = isac_radio_rx_array(&in, 2);
    assert_non_null(a);
    assert_true(isac_array_positions(a)[7] == 5.0);
    isac_array_destroy(a);
    isac_radio_close(r);
    /* unsorted is fine: element order is channel order */
    r = isac_radio_open("sim:elements=3,positions=1:0:2.5", err, sizeof err);
    assert_non_null(r);
    isac_radio_close(r);
}

static void refused(const char *spec, const char *value, const char *why)
{
    char err[512] = "";
    isac_radio r = NULL;
    assert_int_equal(isac_radio_open_ex(spec, &r, err, sizeof err), ISAC_EINVAL);
    assert_null(r);
    printf("refused: %s\n", err);
    assert_non_null(strstr(err, value));
    assert_non_null(strstr(err, why));
    assert_null(strchr(err, '\n'));
}

static void test_spec_positions_refused(void **state)
{
    (void)state;
    refused("sim:elements=8,positions=0:0.5:1", "'positions=0:0.5:1'", "3 values for elements=8");
    refused("sim:elements=4,positions=0:0.5:0.55:2", "'positions=0:0.5:0.55:2'", "minimum 0.1");
    refused("sim:elements=4,positions=0:0.5:abc:2", "'positions=0:0.5:abc:2'", "numbers");
    refused("sim:elements=4,positions=0:0.5:1:", "'positions=0:0.5:1:'", "numbers");
    refused("sim:elements=4,positions=0:0.5:inf:2", "'positions=0:0.5:inf:2'", "not a finite");
    refused("sim:elements=4,positions=0:0.5:nan:2", "'positions=0:0.5:nan:2'", "not a finite");
}

/* ---- movable elements ---- */

static void test_move_tx(void **state)
{
    (void)state;
    char err[256];
    isac_radio r = isac_radio_open("sim:elements=4", err, sizeof err);
    assert_non_null(r);
    const double ok[4] = {0, 0.7, 1.9, 2.2}, close[4] = {0, 0.05, 1, 2};
    assert_int_equal(isac_radio_set_tx_positions(r, ok, 4), 0);
    static struct isac_radio_info in;
    isac_radio_get_info(r, &in);
    assert_true(in.tx_pos_wl[2] == 1.9 && in.rx_pos_wl[2] == 1.0); /* RX stays put */
    assert_int_equal(isac_radio_set_tx_positions(r, close, 4), ISAC_EINVAL);
    assert_non_null(strstr(isac_radio_last_error(r), "0.05"));
    assert_int_equal(isac_radio_set_tx_positions(r, ok, 3), ISAC_EINVAL);
    isac_radio_close(r);
    /* a recording cannot move anything */
    assert_int_equal(ISAC_RADIO_CAP_MOVABLE & ISAC_RADIO_CAP_REPLAY, 0);
}

/* ---- detection on non-uniform arrays ---- */

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

static isac_radio open_scene(const char *positions, double power_dbm)
{
    char spec[512], err[256];
    snprintf(spec, sizeof spec,
             "sim:seed=3,elements=%d,power=%.6f,rcs=fixed,speed=0,leak=0,impairments=0%s%s", M,
             power_dbm, positions ? ",positions=" : "", positions ? positions : "");
    isac_radio r = isac_radio_open(spec, err, sizeof err);
    if (!r)
        fail_msg("%s", err);
    return r;
}

/* delta (non-centrality of 2 Lambda) of an exact beam (TX gain M) at power_dbm. */
static double scene_delta(double power_dbm)
{
    isac_radio r = open_scene(NULL, power_dbm);
    double delta = 0;
    for (unsigned n = 0; n < NAP; n++) {
        struct isac_sim_path p;
        assert_int_equal(isac_sim_target_path(isac_radio_get_state(r), 0, n, 0, &p), 0);
        delta += 2.0 * (double)L * M * M * creal(p.gain * conj(p.gain));
    }
    isac_radio_close(r);
    return delta;
}

/* Detections out of TRIALS CPIs with the array geometry the radio reports. */
static unsigned detections(const char *positions, double power_dbm)
{
    isac_radio r = open_scene(positions, power_dbm);
    isac_sim s = isac_radio_get_state(r);
    static struct isac_radio_info info;
    isac_radio_get_info(r, &info);
    isac_array tx = isac_radio_tx_array(&info), rx[NAP];
    struct isac_sim_path p0;
    isac_sim_target_path(s, 0, 0, 0, &p0);
    float complex w[M], a[NAP][M], y[NAP][M];
    isac_array_tx_weights(tx, p0.phi0, w);
    struct isac_waveform_params wp = {.kind = ISAC_WAVEFORM_LFM, .length = L, .bandwidth = 0.8};
    isac_waveform_generate(&wp, probe);
    float complex *txp[M], *rxp[NAP * M], *zp[NAP * M];
    for (int m = 0; m < M; m++)
        txp[m] = txb[m];
    for (int c = 0; c < NAP * M; c++) {
        rxp[c] = rxb[c];
        zp[c] = zb[c];
    }
    isac_waveform_compose(NULL, NULL, 0, probe, w, M, L, txp);
    isac_mf f = isac_mf_create(probe, L, W, ISAC_MF_PLAN_ESTIMATE);
    unsigned Ms[NAP] = {M, M, M, M};
    isac_glrt g = isac_glrt_create(NAP, Ms, PFA);
    const float complex *yp[NAP], *ap[NAP];
    double s2[NAP] = {1, 1, 1, 1}, d[NAP];
    for (unsigned n = 0; n < NAP; n++) {
        struct isac_sim_path p;
        isac_sim_target_path(s, 0, n, 0, &p);
        d[n] = p.delay_samples;
        rx[n] = isac_radio_rx_array(&info, n);
        isac_array_steering(rx[n], p.phin, a[n]);
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
    for (unsigned n = 0; n < NAP; n++)
        isac_array_destroy(rx[n]);
    isac_array_destroy(tx);
    isac_glrt_destroy(g);
    isac_mf_destroy(f);
    isac_radio_close(r);
    return hits;
}

/* Random positions: gaps uniform in [0.5, 1) wavelengths, fixed seed. */
static void random_positions(char *out, size_t len)
{
    isac_rng rng;
    isac_rng_seed(&rng, 20240614);
    double p = 0;
    size_t k = (size_t)snprintf(out, len, "0");
    for (unsigned m = 1; m < M; m++) {
        p += 0.5 + 0.5 * isac_rng_uniform(&rng);
        k += (size_t)snprintf(out + k, len - k, ":%.4f", p);
    }
}

static void test_nonuniform_detects_like_ula(void **state)
{
    (void)state;
    double delta0 = scene_delta(0.0), lo = -40, hi = 40;
    for (int i = 0; i < 80; i++) { /* power of analytic P_D = TARGET_PD */
        double mid = 0.5 * (lo + hi);
        if (isac_glrt_pd(NAP, PFA, delta0 * pow(10.0, mid / 10.0)) < TARGET_PD)
            lo = mid;
        else
            hi = mid;
    }
    double pw = 0.5 * (lo + hi), pd = isac_glrt_pd(NAP, PFA, scene_delta(pw));
    char rnd[256];
    random_positions(rnd, sizeof rnd);
    const char *names[3] = {"ULA", "doc positions", "random"};
    const char *pos[3] = {NULL, DOC_POSITIONS, rnd};
    double rate[3];
    for (int i = 0; i < 3; i++) {
        unsigned k = detections(pos[i], pw);
        double cl, ch;
        stat_cp_interval(k, TRIALS, 1e-3, &cl, &ch);
        rate[i] = (double)k / TRIALS;
        printf("%-13s %-40s P_D %.3f (%u/%u, 99.9%% CI [%.3f, %.3f]; analytic %.3f at %.2f dBm)\n",
               names[i], pos[i] ? pos[i] : "0:0.5:...:3.5", rate[i], k, TRIALS, cl, ch, pd, pw);
        assert_true(pd >= cl && pd <= ch);
    }
    for (int i = 1; i < 3; i++) {
        double pbar = 0.5 * (rate[0] + rate[i]);
        double bound = 3.29 * sqrt(2 * pbar * (1 - pbar) / TRIALS);
        printf("%s - ULA: %+.3f (bound +-%.3f)\n", names[i], rate[i] - rate[0], bound);
        assert_true(fabs(rate[i] - rate[0]) <= bound);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_spec_positions_reported),
        cmocka_unit_test(test_spec_positions_refused),
        cmocka_unit_test(test_move_tx),
        cmocka_unit_test(test_nonuniform_detects_like_ula),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
