/* sim fault injection: injected late commands, overflows and drops occur at the
 * configured per-capture rates (99.9 % Clopper-Pearson), are reported in isac_radio_rx_md
 * and the counters, and a dropped gap is returned as zeros; real late commands
 * (a window or burst in the past) are refused and counted. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <complex.h>
#include <stdio.h>
#include <string.h>

#include "common/err.h"
#include "radio/radio.h"
#include "stat_bounds.h"

#define LEN 256

static float complex yb[64][LEN];

static void test_injected_rates(void **st)
{
    (void)st;
    char err[256];
    isac_radio r = isac_radio_open(
        "sim:seed=4,targets=0,leak=0,drop_rate=0.2,overflow_rate=0.1,late_rate=0.05", err,
        sizeof err);
    assert_non_null(r);
    float complex *y[64];
    for (unsigned c = 0; c < 64; c++)
        y[c] = yb[c];
    const uint64_t N = 4000;
    uint64_t late = 0, ovf = 0, gaps = 0, ok = 0, dropped = 0;
    for (uint64_t k = 0; k < N; k++) {
        struct isac_radio_rx_md md;
        int rc = isac_radio_rx_capture(r, (int64_t)(k * 1000), y, LEN, &md);
        if (rc == ISAC_ERADIO) {
            late++;
            dropped += LEN;
            continue;
        }
        assert_int_equal(rc, ISAC_OK);
        ok++;
        assert_int_equal(md.num_samples, LEN);
        if (md.dropped_samples) {
            gaps++;
            ovf += md.overflow != 0;
            dropped += md.dropped_samples;
            size_t s0 = (size_t)(md.drop_start_tick - md.start_tick);
            assert_true(s0 + md.dropped_samples <= LEN);
            for (unsigned c = 0; c < 64; c += 21)
                for (size_t i = s0; i < s0 + md.dropped_samples; i++)
                    assert_true(y[c][i] == 0.0f);
            if (s0 > 0)
                assert_true(y[0][s0 - 1] != 0.0f); /* noise right before the gap */
        } else {
            assert_int_equal(md.overflow, 0);
        }
    }
    struct isac_radio_counters cnt;
    isac_radio_get_counters(r, &cnt);
    assert_int_equal(cnt.late_commands, late);
    assert_int_equal(cnt.overflows, ovf);
    assert_int_equal(cnt.dropped_samples, dropped);
    assert_true(stat_check_rate("late commands per capture", late, N, 0.05, 1e-3));
    assert_true(stat_check_rate("overflows per delivered capture", ovf, ok, 0.1, 1e-3));
    /* a gap when a drop or an overflow (or both) is drawn */
    assert_true(stat_check_rate("gaps per delivered capture", gaps, ok, 1 - 0.8 * 0.9, 1e-3));
    isac_radio_close(r);
}

static void test_real_late(void **st)
{
    (void)st;
    char err[256];
    isac_radio r = isac_radio_open("sim", err, sizeof err);
    float complex *y[64];
    const float complex *x[16];
    for (unsigned c = 0; c < 64; c++)
        y[c] = yb[c];
    for (unsigned c = 0; c < 16; c++)
        x[c] = yb[c];
    struct isac_radio_rx_md md;
    assert_int_equal(isac_radio_rx_capture(r, 5000, y, LEN, &md), ISAC_OK);
    int64_t now;
    isac_radio_get_time(r, &now);
    assert_int_equal(now, 5000 + LEN);
    assert_int_equal(isac_radio_rx_capture(r, 5000, y, LEN, &md), ISAC_ERADIO);
    assert_int_equal(isac_radio_tx_burst(r, 100, x, LEN), ISAC_ERADIO);
    assert_non_null(strstr(isac_radio_last_error(r), "late command"));
    /* overlapping bursts are refused */
    assert_int_equal(isac_radio_tx_burst(r, 10000, x, LEN), ISAC_OK);
    assert_int_equal(isac_radio_tx_burst(r, 10000 + LEN / 2, x, LEN), ISAC_EINVAL);
    struct isac_radio_counters cnt;
    isac_radio_get_counters(r, &cnt);
    assert_int_equal(cnt.late_commands, 2);
    assert_int_equal(cnt.dropped_samples, 0);
    isac_radio_close(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_injected_rates),
        cmocka_unit_test(test_real_late),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
