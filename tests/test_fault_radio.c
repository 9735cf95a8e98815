/* Faults and transmit safety at the radio layer (docs/reliability.md):
 *  - a radio that stops answering (sim hang_after) fails every later TX/RX call with
 *    ISAC_ETIMEOUT after its per-call timeout, counts each timeout, and says so in one line;
 *  - the transmit guard: emulated radios start without limits, radiating ones with the
 *    conservative defaults (isac_radio_limits_for); once limits are installed a burst outside
 *    them is refused with ISAC_ESAFETY and one line naming the limit, and no sample of it
 *    reaches the back end (the emulator's noiseless receivers, which see the direct-path
 *    leakage of any burst, stay exactly zero); the band check follows retunes. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <complex.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "common/err.h"
#include "radio/radio.h"
#include "radio/safety.h"

#define LEN 512
#define WIN 2048
#define M 4

static float complex txb[M][LEN], rxb[4 * M][WIN];

static isac_radio open_sim(const char *spec)
{
    char err[256] = "";
    isac_radio r = isac_radio_open(spec, err, sizeof err);
    if (!r)
        fail_msg("%s: %s", spec, err);
    return r;
}

static void unit_burst(void)
{
    for (unsigned c = 0; c < M; c++)
        for (size_t i = 0; i < LEN; i++)
            txb[c][i] = cexpf(I * (float)(0.3 * (double)i)) / sqrtf((float)M); /* unit power */
}

static int tx(isac_radio r, int64_t t0)
{
    const float complex *x[M] = {txb[0], txb[1], txb[2], txb[3]};
    return isac_radio_tx_burst(r, t0, x, LEN);
}

/* Capture the window at t0 and return its energy over all channels. */
static double rx_energy(isac_radio r, int64_t t0)
{
    float complex *y[4 * M];
    for (unsigned c = 0; c < 4 * M; c++)
        y[c] = rxb[c];
    struct isac_radio_rx_md md;
    assert_int_equal(isac_radio_rx_capture(r, t0, y, WIN, &md), ISAC_OK);
    double e = 0;
    for (unsigned c = 0; c < 4 * M; c++)
        for (size_t i = 0; i < WIN; i++)
            e += crealf(rxb[c][i] * conjf(rxb[c][i]));
    return e;
}

static void test_hang(void **st)
{
    (void)st;
    isac_radio r = open_sim("sim:elements=4,targets=0,hang_after=3,timeout=0.05");
    unit_burst();
    float complex *y[4 * M];
    for (unsigned c = 0; c < 4 * M; c++)
        y[c] = rxb[c];
    for (int k = 0; k < 3; k++) {
        assert_int_equal(tx(r, k * 10000), ISAC_OK);
        assert_int_equal(isac_radio_rx_capture(r, k * 10000, y, WIN, NULL), ISAC_OK);
    }
    /* the device stops answering: TX and RX time out, every time, and are counted */
    assert_int_equal(tx(r, 30000), ISAC_ETIMEOUT);
    assert_non_null(strstr(isac_radio_last_error(r), "no answer within 0.05 s"));
    assert_null(strchr(isac_radio_last_error(r), '\n'));
    assert_int_equal(isac_radio_rx_capture(r, 30000, y, WIN, NULL), ISAC_ETIMEOUT);
    assert_int_equal(isac_radio_rx_capture(r, 40000, y, WIN, NULL), ISAC_ETIMEOUT);
    struct isac_radio_counters c;
    isac_radio_get_counters(r, &c);
    assert_int_equal(c.timeouts, 3);
    isac_radio_close(r);
    /* hang_after=0 (default) never hangs; the keys are range-checked */
    char err[256];
    assert_null(isac_radio_open("sim:timeout=61", err, sizeof err));
    assert_non_null(strstr(err, "timeout=61"));
    assert_null(isac_radio_open("sim:hang_after=-1", err, sizeof err));
}

static void test_limits_for(void **st)
{
    (void)st;
    struct isac_radio_limits l;
    isac_radio_limits_for(1, &l); /* a radiating back end */
    assert_string_equal(l.source, "default limits");
    assert_true(l.max_tx_power_dbm == 20);
    isac_radio_limits_for(0, &l); /* the in-process emulator, a replay */
    assert_true(isinf(l.max_tx_power_dbm));
    isac_radio r = open_sim("sim");
    assert_non_null(strstr(isac_radio_get_limits(r)->source, "nothing radiates"));
    isac_radio_close(r);
}

static void expect_refused(isac_radio r, int64_t t0, const char *needle)
{
    int rc = tx(r, t0);
    const char *e = isac_radio_last_error(r);
    if (rc != ISAC_ESAFETY || !strstr(e, needle) || strchr(e, '\n'))
        fail_msg("burst at %lld: rc %d, '%s' (want '%s')", (long long)t0, rc, e, needle);
}

static void test_refused_band(void **st)
{
    (void)st;
    /* noiseless, no targets: the RX windows hold exactly the direct-path leakage */
    isac_radio r = open_sim("sim:elements=4,targets=0,noise=0,center=5e9");
    struct isac_radio_limits l;
    isac_radio_limits_default(&l);
    assert_int_equal(isac_radio_set_limits(r, &l), ISAC_OK);
    unit_burst();
    expect_refused(r, 0, "outside the allowed ranges (tx_freq_ranges_hz, default limits)");
    assert_true(rx_energy(r, 0) == 0.0); /* nothing was transmitted */
    /* back inside the 2.4 GHz ISM band the same burst goes out and is received */
    assert_int_equal(isac_radio_set_center_freq(r, 2.45e9), ISAC_OK);
    assert_int_equal(tx(r, 10000), ISAC_OK);
    assert_true(rx_energy(r, 10000) > 0.0);
    /* the guard follows the carrier */
    assert_int_equal(isac_radio_set_center_freq(r, 3.5e9), ISAC_OK);
    expect_refused(r, 20000, "TX channel 0 band 3.49-3.51 GHz");
    assert_true(rx_energy(r, 20000) == 0.0);
    isac_radio_close(r);
}

static void test_refused_power(void **st)
{
    (void)st;
    isac_radio r = open_sim("sim:elements=4,targets=0,noise=0,power=30");
    struct isac_radio_limits l;
    isac_radio_limits_default(&l);
    assert_int_equal(isac_radio_set_limits(r, &l), ISAC_OK);
    unit_burst();
    expect_refused(r, 0, "burst power 30.00 dBm above max_tx_power_dbm 20 dBm (default limits)");
    assert_true(rx_energy(r, 0) == 0.0);
    /* the same radio at 10 dB less amplitude: 20 dBm, allowed */
    for (unsigned c = 0; c < M; c++)
        for (size_t i = 0; i < LEN; i++)
            txb[c][i] *= (float)pow(10.0, -0.5);
    assert_int_equal(tx(r, 10000), ISAC_OK);
    assert_true(rx_energy(r, 10000) > 0.0);
    /* a non-finite sample never leaves the host */
    txb[1][100] = NAN;
    expect_refused(r, 20000, "non-finite");
    assert_true(rx_energy(r, 20000) == 0.0);
    isac_radio_close(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hang),
        cmocka_unit_test(test_limits_for),
        cmocka_unit_test(test_refused_band),
        cmocka_unit_test(test_refused_power),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
