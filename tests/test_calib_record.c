/* Calibration records (format, validation, matching, application), beam-pattern
 * verification against a pilot and tracking (drift, retune invalidation) on the
 * emulator with impairments=1. */
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "calib/record.h"
#include "calib/verify.h"
#include "common/err.h"
#include "sim/sim.h"

static isac_radio open_sim(const char *extra)
{
    char spec[256], err[256];
    snprintf(spec, sizeof spec, "sim:impairments=1,seed=7,%s", extra);
    isac_radio r = isac_radio_open(spec, err, sizeof err);
    if (!r)
        fail_msg("%s", err);
    return r;
}

/* A full record (rx, tx, delay) measured on seed 7. */
static void measure(struct isac_calib_record *rec)
{
    struct isac_calib_session s;
    isac_calib_session_default(&s);
    static struct isac_calib_chan ch[ISAC_CALIB_MAX_CH];
    char err[256];
    isac_radio r = open_sim("cal=rx_splitter");
    struct isac_radio_info info;
    isac_radio_get_info(r, &info);
    isac_calib_record_init(rec, &info, 1.7e9);
    assert_int_equal(isac_calib_measure_rx(r, &s, ch, err, sizeof err), 0);
    isac_calib_section_set(&rec->rx, "splitter-eigenvector", ch, info.num_rx, 1.7e9);
    assert_int_equal(
        isac_calib_measure_delay(r, &s, rec->system_delay, rec->system_delay_std, err, sizeof err),
        0);
    rec->has_delay = 1;
    isac_radio_close(r);
    r = open_sim("cal=tx_coupler");
    assert_int_equal(isac_calib_measure_tx(r, &s, 0, ch, err, sizeof err), 0);
    isac_calib_section_set(&rec->tx, "coupler-comb", ch, info.num_tx, 1.7e9);
    isac_radio_close(r);
}

static void test_roundtrip_and_errors(void **state)
{
    (void)state;
    static struct isac_calib_record rec, back;
    measure(&rec);
    char err[512];
    json_t *j = isac_calib_record_to_json(&rec);
    assert_int_equal(isac_calib_record_from_json(j, "r.json", &back, err, sizeof err), 0);
    assert_int_equal(back.rx.n, 64);
    assert_true(fabs(back.rx.ch[5].phase_deg - rec.rx.ch[5].phase_deg) < 1e-6);
    assert_true(fabs(back.system_delay[2] - rec.system_delay[2]) < 1e-6);
    /* corrupt fields are refused with the file and the field named */
    json_t *bad = json_deep_copy(j);
    json_object_set_new(json_array_get(json_object_get(json_object_get(bad, "rx"), "channels"), 3),
                        "gain_db", json_string("loud"));
    assert_int_equal(isac_calib_record_from_json(bad, "r.json", &back, err, sizeof err),
                     ISAC_EFORMAT);
    assert_non_null(strstr(err, "r.json: rx.channels[3].gain_db"));
    json_decref(bad);
    bad = json_deep_copy(j);
    json_object_set_new(bad, "version", json_integer(7));
    assert_int_equal(isac_calib_record_from_json(bad, "r.json", &back, err, sizeof err),
                     ISAC_EFORMAT);
    assert_non_null(strstr(err, "r.json: version"));
    json_decref(bad);
    bad = json_deep_copy(j);
    json_object_del(json_object_get(bad, "device"), "serial");
    assert_int_equal(isac_calib_record_from_json(bad, "r.json", &back, err, sizeof err),
                     ISAC_EFORMAT);
    assert_non_null(strstr(err, "device.serial: missing"));
    json_decref(bad);
    json_decref(j);
    /* a record of another device/frequency does not match */
    struct isac_radio_info info;
    isac_radio r = open_sim("cal=off");
    isac_radio_get_info(r, &info);
    assert_int_equal(isac_calib_record_match(&rec, &info, "r.json", err, sizeof err), 0);
    info.center_freq += 1e6;
    assert_int_equal(isac_calib_record_match(&rec, &info, "r.json", err, sizeof err), ISAC_EINVAL);
    assert_non_null(strstr(err, "r.json: center_freq_hz"));
    snprintf(info.serial, sizeof info.serial, "sim-8");
    assert_int_equal(isac_calib_record_match(&rec, &info, "r.json", err, sizeof err), ISAC_EINVAL);
    assert_non_null(strstr(err, "device.serial"));
    isac_radio_close(r);
}

/* The pipeline correction inverts the emulator's offsets: w_m c_m is the same for every
 * channel of an array (to 1 deg / 0.1 dB) and the aligned delays are equal. */
static void test_to_pipeline(void **state)
{
    (void)state;
    static struct isac_calib_record rec;
    static struct isac_chan_correction pc;
    measure(&rec);
    char err[256];
    assert_int_equal(isac_calib_record_to_pipeline(&rec, &pc, err, sizeof err), 0);
    isac_radio r = open_sim("cal=off");
    isac_sim s = isac_radio_get_state(r);
    for (unsigned n = 0; n < 4; n++) {
        struct isac_sim_chan_truth t0 = isac_sim_rx_truth(s, 16 * n);
        for (unsigned m = 0; m < 16; m++) {
            unsigned ch = 16 * n + m;
            struct isac_sim_chan_truth t = isac_sim_rx_truth(s, ch);
            double complex c =
                pow(10, (t.gain_db - t0.gain_db) / 20) * cexp(I * (t.phase_rad - t0.phase_rad));
            double complex e = c * pc.rx_weight[ch];
            assert_true(fabs(carg(e)) * 180 / M_PI < 1.0);
            assert_true(fabs(20 * log10(cabs(e))) < 0.1);
            /* total delay: dtx_0 + drx_ch + correction is the same everywhere */
            double tot = isac_sim_tx_truth(s, 0).delay_samples + t.delay_samples + pc.rx_delay[ch];
            double ref = isac_sim_tx_truth(s, 0).delay_samples +
                         isac_sim_rx_truth(s, 0).delay_samples + pc.rx_delay[0];
            assert_true(fabs(tot - ref) < 0.02);
        }
    }
    isac_radio_close(r);
}

/* verify: after calibration the TX pattern matches theory (peak within half a
 * beamwidth, PSLR within 1 dB), before calibration it does not. */
static void test_verify(void **state)
{
    (void)state;
    static struct isac_calib_record rec;
    static struct isac_chan_correction pc;
    measure(&rec);
    char err[256];
    assert_int_equal(isac_calib_record_to_pipeline(&rec, &pc, err, sizeof err), 0);
    for (int k = 0; k < 3; k++) {
        double deg = (double[]){20, -35, 5}[k];
        char extra[64];
        snprintf(extra, sizeof extra, "cal=pilot,pilot_deg=%g", deg);
        isac_radio r = open_sim(extra);
        struct isac_radio_info info;
        isac_radio_get_info(r, &info);
        isac_array a = isac_array_create_ula(16, 0.5);
        isac_codebook cb = isac_codebook_create_dft(a, 64, -M_PI / 2, M_PI / 2);
        struct isac_calib_session s;
        isac_calib_session_default(&s);
        struct isac_calib_verify_result v;
        assert_int_equal(
            isac_calib_verify(r, &s, deg * M_PI / 180, &pc, cb, 0, &v, err, sizeof err), 0);
        printf("pilot %5.1f deg: theory PSLR %.2f dB; calibrated peak err %.3f deg PSLR %.2f dB; "
               "uncalibrated peak err %.2f deg PSLR %.2f dB (half beamwidth %.2f deg)\n",
               deg, v.theory.pslr_db, v.cal.peak_err_deg, v.cal.pslr_db, v.raw.peak_err_deg,
               v.raw.pslr_db, v.beamwidth_deg);
        assert_true(v.cal.peak_err_deg <= v.beamwidth_deg / 2);
        assert_true(fabs(v.cal.pslr_db - v.theory.pslr_db) <= 1.0);
        assert_true(v.raw.peak_err_deg > v.beamwidth_deg / 2 ||
                    fabs(v.raw.pslr_db - v.theory.pslr_db) > 3.0);
        isac_calib_verify_free(&v);
        isac_codebook_destroy(cb);
        isac_array_destroy(a);
        isac_radio_close(r);
    }
}

/* Track: a quick re-measure on the same LOs shows no drift; a retune without shared
 * LOs invalidates the record and the re-measure flags the drift; with lo_shared=1 the
 * record survives the retune. */
static void test_track(void **state)
{
    (void)state;
    static struct isac_calib_chan ref[ISAC_CALIB_MAX_CH], now[ISAC_CALIB_MAX_CH];
    struct isac_calib_session s, quick;
    isac_calib_session_default(&s);
    isac_calib_session_default(&quick);
    quick.ref.periods = 2;
    char err[256];
    for (int shared = 0; shared <= 1; shared++) {
        isac_radio r = open_sim(shared ? "cal=rx_splitter,lo_shared=1" : "cal=rx_splitter");
        struct isac_radio_info info;
        isac_radio_get_info(r, &info);
        assert_int_equal(isac_calib_measure_rx(r, &s, ref, err, sizeof err), 0);
        struct isac_calib_drift d;
        assert_int_equal(isac_calib_measure_rx(r, &quick, now, err, sizeof err), 0);
        isac_calib_compare(ref, now, info.num_rx, 1.0, 0.1, &d);
        assert_true(d.ok);
        assert_int_equal(isac_radio_set_center_freq(r, 2.5e9), 0);
        assert_int_equal(isac_radio_set_center_freq(r, info.center_freq), 0);
        static struct isac_calib_record rec;
        isac_calib_record_init(&rec, &info, 0);
        assert_int_equal(isac_calib_record_invalidated_by_retune(&rec, info.caps), !shared);
        assert_int_equal(isac_calib_measure_rx(r, &quick, now, err, sizeof err), 0);
        isac_calib_compare(ref, now, info.num_rx, 1.0, 0.1, &d);
        printf("lo_shared=%d after retune: max drift %.1f deg, %u channels flagged\n", shared,
               d.max_phase_deg, d.flagged);
        assert_int_equal(d.ok, shared);
        isac_radio_close(r);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_roundtrip_and_errors),
        cmocka_unit_test(test_to_pipeline),
        cmocka_unit_test(test_verify),
        cmocka_unit_test(test_track),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
