/* Transmit safety (radio/safety.h): the site limits file is parsed strictly (every
 * malformed or misspelt field refused with one line naming it), the defaults are the
 * documented conservative ones, and the guard refuses a burst outside any one limit
 * (band, power, gain, duty cycle, non-finite or clipping samples) with one line naming
 * that limit, while allowing bursts exactly at the limits. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <complex.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "radio/safety.h"

#define LEN 1000
#define NTX 4

static float complex xb[NTX][LEN];
static const float complex *xp[NTX] = {xb[0], xb[1], xb[2], xb[3]};

/* A burst of total mean power p (sum over channels of mean |x|^2). */
static void fill(double p)
{
    float a = (float)sqrt(p / NTX);
    for (unsigned c = 0; c < NTX; c++)
        for (size_t i = 0; i < LEN; i++)
            xb[c][i] = a * cexpf(I * (float)(0.01 * (double)(i * (c + 1))));
}

static struct isac_radio_info info_at(double center)
{
    struct isac_radio_info in;
    memset(&in, 0, sizeof in);
    in.num_tx = NTX;
    in.sample_rate = 1e6;
    in.bandwidth = 1e6;
    in.center_freq = center;
    in.tx_power_dbm = 10;
    in.tx_gain_db = 0;
    in.full_scale = 1;
    return in;
}

static const char *GOOD =
    "{\"format\":\"isactb-site-limits\",\"version\":1,\"site\":\"bench 3\","
    "\"tx_freq_ranges_hz\":[[9.0e8,9.3e8],[2.4e9,2.5e9]],\"max_tx_power_dbm\":10,"
    "\"max_tx_gain_db\":5,\"max_duty_cycle\":0.1,\"duty_window_s\":0.01}";

static void test_defaults(void **st)
{
    (void)st;
    struct isac_radio_limits l;
    isac_radio_limits_default(&l);
    assert_int_equal(l.num_ranges, 2);
    assert_true(l.ranges_hz[0][0] == 2.4e9 && l.ranges_hz[0][1] == 2.4835e9);
    assert_true(l.ranges_hz[1][0] == 5.725e9 && l.ranges_hz[1][1] == 5.875e9);
    assert_true(l.max_tx_power_dbm == 20 && l.max_tx_gain_db == 10);
    assert_true(l.max_duty_cycle == 0.25 && l.duty_window_s == 1);
    assert_string_equal(l.source, "default limits");
}

static void test_parse_good(void **st)
{
    (void)st;
    struct isac_radio_limits l;
    char err[256] = "";
    assert_int_equal(isac_radio_limits_parse(GOOD, strlen(GOOD), "lab.json", &l, err, sizeof err),
                     ISAC_OK);
    assert_int_equal(l.num_ranges, 2);
    assert_true(l.ranges_hz[1][1] == 2.5e9);
    assert_true(l.max_tx_power_dbm == 10 && l.max_tx_gain_db == 5);
    assert_true(l.max_duty_cycle == 0.1 && l.duty_window_s == 0.01);
    assert_string_equal(l.site, "bench 3");
    assert_string_equal(l.source, "lab.json");
}

/* Replace the first occurrence of `from` in GOOD by `to` and expect a refusal naming
 * `needle` (and the file), on one line. */
static void bad(const char *from, const char *to, const char *needle)
{
    char text[1024];
    const char *p = strstr(GOOD, from);
    assert_non_null(p);
    snprintf(text, sizeof text, "%.*s%s%s", (int)(p - GOOD), GOOD, to, p + strlen(from));
    struct isac_radio_limits l;
    isac_radio_limits_default(&l);
    char err[256] = "";
    int rc = isac_radio_limits_parse(text, strlen(text), "lab.json", &l, err, sizeof err);
    if (rc != ISAC_EFORMAT || !strstr(err, needle) || !strstr(err, "lab.json") || strchr(err, '\n'))
        fail_msg("'%s' -> rc %d, err '%s' (want '%s')", text, rc, err, needle);
    assert_string_equal(l.source, "default limits"); /* untouched on failure */
}

static void test_parse_bad(void **st)
{
    (void)st;
    bad("\"max_duty_cycle\":0.1", "\"max_duty_cycle\":0", "max_duty_cycle");
    bad("\"max_duty_cycle\":0.1", "\"max_duty_cycle\":1.5", "max_duty_cycle");
    bad("\"max_duty_cycle\":0.1", "\"max_duty_cyle\":0.1", "max_duty_cyle"); /* misspelt */
    bad("\"max_tx_power_dbm\":10", "\"max_tx_power_dbm\":\"10\"", "max_tx_power_dbm");
    bad("\"max_tx_power_dbm\":10,", "", "max_tx_power_dbm"); /* missing */
    bad("\"max_tx_gain_db\":5", "\"max_tx_gain_db\":1e300", "max_tx_gain_db");
    bad("[9.0e8,9.3e8]", "[9.3e8,9.0e8]", "tx_freq_ranges_hz[0]");
    bad("[9.0e8,9.3e8]", "[9.0e8]", "tx_freq_ranges_hz[0]");
    bad("[[9.0e8,9.3e8],[2.4e9,2.5e9]]", "[]", "tx_freq_ranges_hz");
    bad("\"version\":1", "\"version\":2", "version");
    bad("isactb-site-limits", "isactb-codebook", "format");
    bad("\"duty_window_s\":0.01", "\"duty_window_s\":-1", "duty_window_s");
    bad("{\"format\"", "[{\"format\"", "invalid JSON");
    bad("\"site\":\"bench 3\"", "\"site\":7", "site");
    bad("\"site\":\"bench 3\"", "\"version\":1", "invalid JSON"); /* duplicated key */
}

static void test_load_missing(void **st)
{
    (void)st;
    struct isac_radio_limits l;
    char err[256] = "";
    assert_int_equal(isac_radio_limits_load("/nonexistent/limits.json", &l, err, sizeof err),
                     ISAC_EIO);
    assert_non_null(strstr(err, "/nonexistent/limits.json"));
}

static isac_radio_guard guard_from_good(void)
{
    struct isac_radio_limits l;
    char err[256];
    assert_int_equal(isac_radio_limits_parse(GOOD, strlen(GOOD), "lab.json", &l, err, sizeof err),
                     0);
    isac_radio_guard g = isac_radio_guard_create(&l);
    assert_non_null(g);
    return g;
}

static void expect_refused(isac_radio_guard g, const struct isac_radio_info *in, int64_t t0,
                           const char *needle)
{
    char err[256] = "";
    int rc = isac_radio_guard_check_burst(g, in, t0, xp, LEN, err, sizeof err);
    if (rc != ISAC_ESAFETY || !strstr(err, needle) || strncmp(err, "TX refused: ", 12))
        fail_msg("burst at %lld: rc %d, err '%s' (want '%s')", (long long)t0, rc, err, needle);
}

static void test_band(void **st)
{
    (void)st;
    isac_radio_guard g = guard_from_good();
    char err[256];
    fill(1.0);
    struct isac_radio_info in = info_at(915e6);
    assert_int_equal(isac_radio_guard_check_burst(g, &in, 0, xp, LEN, err, sizeof err), ISAC_OK);
    in.center_freq = 929.5e6; /* band edge exactly at the range's end */
    assert_int_equal(isac_radio_guard_check_burst(g, &in, 100000, xp, LEN, err, sizeof err),
                     ISAC_OK);
    in.center_freq = 929.6e6; /* 100 kHz over */
    expect_refused(g, &in, 200000, "tx_freq_ranges_hz, lab.json");
    in.center_freq = 5.0e9;
    expect_refused(g, &in, 300000, "outside the allowed ranges");
    in.center_freq = 2.45e9;
    assert_int_equal(isac_radio_guard_check_burst(g, &in, 400000, xp, LEN, err, sizeof err),
                     ISAC_OK);
    isac_radio_guard_destroy(g);
}

static void test_power_gain_samples(void **st)
{
    (void)st;
    isac_radio_guard g = guard_from_good();
    char err[256];
    struct isac_radio_info in = info_at(915e6);
    fill(1.0); /* 10 dBm + 0 dB = at the limit */
    assert_int_equal(isac_radio_guard_check_burst(g, &in, 0, xp, LEN, err, sizeof err), ISAC_OK);
    fill(1.26); /* +1.0 dB */
    expect_refused(g, &in, 100000, "max_tx_power_dbm 10 dBm");
    fill(0.5);
    in.tx_power_dbm = 13.5; /* 10.49 dBm */
    expect_refused(g, &in, 200000, "burst power 10.49 dBm");
    in.tx_power_dbm = 10;
    in.tx_gain_db = 5.5;
    expect_refused(g, &in, 300000, "max_tx_gain_db 5 dB");
    in.tx_gain_db = 5;
    assert_int_equal(isac_radio_guard_check_burst(g, &in, 400000, xp, LEN, err, sizeof err),
                     ISAC_OK);
    xb[2][17] = NAN;
    expect_refused(g, &in, 500000, "non-finite");
    fill(0.5);
    in.full_scale = 0.3; /* |x| = sqrt(0.5/4) = 0.354 */
    expect_refused(g, &in, 600000, "full scale");
    isac_radio_guard_destroy(g);
}

/* Duty cycle 0.1 over 10 ms at 1 MS/s (W = 10000 ticks) with 1000-sample bursts: one
 * burst per window is allowed indefinitely, a second one inside a window is refused, and
 * a single tick of extra on-time is refused. */
static void test_duty(void **st)
{
    (void)st;
    isac_radio_guard g = guard_from_good();
    char err[256];
    struct isac_radio_info in = info_at(915e6);
    fill(0.5);
    /* Bursts back to back are refused from the second on (2000 on-ticks > 1000 allowed
     * in a 10000-tick window): the refusal names the limit. */
    assert_int_equal(isac_radio_guard_check_burst(g, &in, 0, xp, LEN, err, sizeof err), ISAC_OK);
    expect_refused(g, &in, 1000, "max_duty_cycle 0.1 (lab.json)");
    /* refused bursts do not count: 9000 ticks after the first burst's end, the window
     * [1000, 11000) holds no on-time, so a burst at 10000 is allowed */
    assert_int_equal(isac_radio_guard_check_burst(g, &in, 10000, xp, LEN, err, sizeof err),
                     ISAC_OK);
    /* exactly one burst per window: 10 % duty, allowed forever */
    for (int64_t t = 20000; t < 20000 + 50 * 10000; t += 10000)
        assert_int_equal(isac_radio_guard_check_burst(g, &in, t, xp, LEN, err, sizeof err),
                         ISAC_OK);
    /* one sample more per window is refused */
    expect_refused(g, &in, 20000 + 50 * 10000 - 1, "duty cycle");
    isac_radio_guard_destroy(g);
}

/* What the device is set to, per TX channel, is what the guard checks (issue 15). */
static void tx_refused(isac_radio_guard g, const struct isac_radio_info *in,
                       const struct isac_radio_tx_state *ts, int emulated, const char *needle)
{
    char err[320] = "";
    int rc = isac_radio_guard_check_tx(g, in, ts, emulated, 0, xp, LEN, err, sizeof err);
    if (rc != ISAC_ESAFETY || !strstr(err, needle))
        fail_msg("rc %d, '%s' (want '%s')", rc, err, needle);
}

static void test_per_channel_state(void **st)
{
    (void)st;
    struct isac_radio_limits l;
    isac_radio_limits_default(&l); /* 2.4-2.4835 GHz, 20 dBm, 10 dB, 25 % over 1 s */
    isac_radio_guard g = isac_radio_guard_create(&l);
    struct isac_radio_info in = info_at(2.45e9);
    in.tx_power_dbm = 0;
    struct isac_radio_tx_state ts;
    char err[320];
    fill(0.5);
    isac_radio_tx_state_from_info(&in, &ts);
    assert_int_equal(isac_radio_guard_check_tx(g, &in, &ts, 0, 0, xp, LEN, err, sizeof err),
                     ISAC_OK);
    ts.gain_db[3] = 10.5; /* only the last channel is above */
    tx_refused(g, &in, &ts, 0, "TX channel 3 gain 10.5 dB above max_tx_gain_db 10 dB");
    ts.gain_db[3] = 0;
    ts.freq_hz[2] = 2.483e9; /* 2.4825-2.4835 GHz fits; 1 MHz more does not */
    assert_int_equal(isac_radio_guard_check_tx(g, &in, &ts, 0, 1000000, xp, LEN, err, sizeof err),
                     ISAC_OK);
    ts.freq_hz[2] = 2.4831e9;
    tx_refused(g, &in, &ts, 0, "TX channel 2 band");
    ts.freq_hz[2] = 2.45e9;
    ts.bw_hz[1] = 80e6; /* an analog bandwidth wider than the rate widens the band */
    tx_refused(g, &in, &ts, 0, "TX channel 1 band 2.41-2.49 GHz");
    ts.bw_hz[1] = 0;
    ts.full_scale = 0; /* unknown: refused unless emulated or named by the site file */
    snprintf(in.serial, sizeof in.serial, "sim-x");
    tx_refused(g, &in, &ts, 0, "full scale of :sim-x unknown");
    assert_int_equal(isac_radio_guard_check_tx(g, &in, &ts, 1, 2000000, xp, LEN, err, sizeof err),
                     ISAC_OK);
    isac_radio_guard_destroy(g);
    /* a TX rate of its own: 1000 samples at 2 kS/s are 0.5 s of a 1 s window */
    g = isac_radio_guard_create(&l);
    isac_radio_tx_state_from_info(&in, &ts);
    ts.rate = 2e3;
    tx_refused(g, &in, &ts, 0, "duty cycle 0.5 over the last 1 s above max_duty_cycle 0.25");
    ts.rate = in.sample_rate;
    assert_int_equal(isac_radio_guard_check_tx(g, &in, &ts, 0, 0, xp, LEN, err, sizeof err),
                     ISAC_OK);
    isac_radio_guard_destroy(g);
}

static void test_full_scale_entry(void **st)
{
    (void)st;
    static const char *J = "{\"format\":\"isactb-site-limits\",\"version\":1,"
                           "\"tx_freq_ranges_hz\":[[2.4e9,2.5e9]],\"max_tx_power_dbm\":20,"
                           "\"max_tx_gain_db\":10,\"max_duty_cycle\":1,"
                           "\"tx_full_scale\":{\"soapy:dev-7\":0.3}}";
    struct isac_radio_limits l;
    char err[320] = "";
    assert_int_equal(isac_radio_limits_parse(J, strlen(J), "s.json", &l, err, sizeof err), ISAC_OK);
    assert_int_equal(l.num_full_scale, 1);
    isac_radio_guard g = isac_radio_guard_create(&l);
    struct isac_radio_info in = info_at(2.45e9);
    in.tx_power_dbm = 0;
    snprintf(in.driver, sizeof in.driver, "soapy");
    snprintf(in.serial, sizeof in.serial, "dev-7");
    struct isac_radio_tx_state ts;
    isac_radio_tx_state_from_info(&in, &ts);
    ts.full_scale = 0;
    fill(0.5); /* |x| = 0.354 > 0.3 */
    tx_refused(g, &in, &ts, 0, "above full scale 0.3 (clipping)");
    fill(0.25); /* |x| = 0.25 */
    assert_int_equal(isac_radio_guard_check_tx(g, &in, &ts, 0, 0, xp, LEN, err, sizeof err),
                     ISAC_OK);
    isac_radio_guard_destroy(g);
    const char *bad = "{\"format\":\"isactb-site-limits\",\"version\":1,"
                      "\"tx_freq_ranges_hz\":[[2.4e9,2.5e9]],\"max_tx_power_dbm\":20,"
                      "\"max_tx_gain_db\":10,\"max_duty_cycle\":1,\"tx_full_scale\":{\"x\":-1}}";
    assert_int_equal(isac_radio_limits_parse(bad, strlen(bad), "s.json", &l, err, sizeof err),
                     ISAC_EFORMAT);
    assert_non_null(strstr(err, "tx_full_scale: x:"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_parse_good),
        cmocka_unit_test(test_parse_bad),
        cmocka_unit_test(test_load_missing),
        cmocka_unit_test(test_band),
        cmocka_unit_test(test_power_gain_samples),
        cmocka_unit_test(test_duty),
        cmocka_unit_test(test_per_channel_state),
        cmocka_unit_test(test_full_scale_entry),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
