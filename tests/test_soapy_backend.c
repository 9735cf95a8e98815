/* The soapy back end against the isacsim plug-in of this build (docs/frontends.md):
 * every sample, gap and counter that crosses SoapySDR (the C API, timed finite bursts,
 * overflow/timestamp-jump reporting) equals what the in-process sim radio produces for
 * the same scenario and call sequence; isactb's own spec keys (channel lists, array
 * layout, geometry, TX-to-RX delay) are applied; bad specs fail with the usage class.
 * Skipped when the build has no SoapySDR. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <complex.h>
#include <libgen.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "radio/radio.h"
#include "radio/radio_uhd_soapy_common.h"

#define W 1500
#define L 1024

#ifdef ISACTB_HAVE_SOAPY

/* Point SoapySDR at this build's plug-in (bin/isactb -> lib/soapy). */
static int setup_plugin_path(void **state)
{
    (void)state;
    const char *bin = getenv("ISACTB_BIN");
    if (!getenv("SOAPY_SDR_PLUGIN_PATH") && bin) {
        char buf[4096], path[4200];
        snprintf(buf, sizeof buf, "%s", bin);
        char *dir = dirname(dirname(buf));
        snprintf(path, sizeof path, "%s/lib/soapy", dir);
        setenv("SOAPY_SDR_PLUGIN_PATH", path, 1);
    }
    return 0;
}

static isac_radio open_or_fail(const char *spec)
{
    char err[512] = "";
    isac_radio r = NULL;
    int rc = isac_radio_open_ex(spec, &r, err, sizeof err);
    if (rc)
        printf("%s: %s\n", spec, err);
    assert_int_equal(rc, ISAC_OK);
    return r;
}

struct bufs {
    float complex *tx[64], *rx[64];
    unsigned ntx, nrx;
};

static void bufs_alloc(struct bufs *b, unsigned ntx, unsigned nrx)
{
    b->ntx = ntx;
    b->nrx = nrx;
    for (unsigned i = 0; i < ntx; i++) {
        b->tx[i] = calloc(L, sizeof **b->tx);
        for (unsigned n = 0; n < L; n++) /* a beam-like probe: channel-dependent phase */
            b->tx[i][n] = 0.25f * cexpf(I * (float)(0.37 * n * n / L + 0.5 * i * n));
    }
    for (unsigned i = 0; i < nrx; i++)
        b->rx[i] = calloc(W, sizeof **b->rx);
}

static void bufs_free(struct bufs *b)
{
    for (unsigned i = 0; i < b->ntx; i++)
        free(b->tx[i]);
    for (unsigned i = 0; i < b->nrx; i++)
        free(b->rx[i]);
}

/* One CPI (timed TX burst + timed RX window) on r. */
static int cpi(isac_radio r, struct bufs *b, int64_t t0, struct isac_radio_rx_md *md)
{
    int rc = isac_radio_tx_burst(r, t0, (const float complex *const *)b->tx, L);
    return rc ? rc : isac_radio_rx_capture(r, t0, b->rx, W, md);
}

/* sim and soapy:driver=isacsim with the same scenario, CPI after CPI: bit-identical. */
static void check_same(const char *scenario, unsigned cpis, int expect_gaps)
{
    char s1[256], s2[256];
    snprintf(s1, sizeof s1, "sim:%s", scenario);
    snprintf(s2, sizeof s2, "soapy:driver=isacsim,%s", scenario);
    isac_radio a = open_or_fail(s1), b = open_or_fail(s2);
    struct isac_radio_info ia, ib;
    isac_radio_get_info(a, &ia);
    isac_radio_get_info(b, &ib);
    assert_int_equal(ia.num_rx, ib.num_rx);
    assert_int_equal(ia.num_tx, ib.num_tx);
    assert_int_equal(ia.num_rx_aps, ib.num_rx_aps);
    assert_true(ia.sample_rate == ib.sample_rate);
    assert_true(ia.element_spacing_wl == ib.element_spacing_wl);
    for (unsigned n = 0; n < ia.num_rx_aps; n++) {
        assert_int_equal(ia.rx_ap_elements[n], ib.rx_ap_elements[n]);
        assert_true(ia.rx_ap[n].x == ib.rx_ap[n].x && ia.rx_ap[n].axis_rad == ib.rx_ap[n].axis_rad);
    }
    assert_true(ib.caps & ISAC_RADIO_CAP_TRUTH);
    assert_true(ib.caps & ISAC_RADIO_CAP_SCENARIO);
    struct bufs ba, bb;
    bufs_alloc(&ba, ia.num_tx, ia.num_rx);
    bufs_alloc(&bb, ib.num_tx, ib.num_rx);
    assert_int_equal(isac_radio_new_episode(a, 2), ISAC_OK);
    assert_int_equal(isac_radio_new_episode(b, 2), ISAC_OK);
    uint64_t gaps = 0;
    for (unsigned k = 0; k < cpis; k++) {
        struct isac_radio_rx_md ma, mb;
        int64_t t0 = 3000 + (int64_t)k * 2 * W;
        assert_int_equal(cpi(a, &ba, t0, &ma), ISAC_OK);
        assert_int_equal(cpi(b, &bb, t0, &mb), ISAC_OK);
        for (unsigned ch = 0; ch < ia.num_rx; ch++)
            assert_memory_equal(ba.rx[ch], bb.rx[ch], W * sizeof **ba.rx);
        assert_int_equal(ma.start_tick, mb.start_tick);
        assert_int_equal(ma.dropped_samples, mb.dropped_samples);
        assert_int_equal(ma.overflow, mb.overflow);
        if (ma.dropped_samples)
            assert_int_equal(ma.drop_start_tick, mb.drop_start_tick);
        gaps += ma.dropped_samples > 0;
    }
    struct isac_radio_counters ca, cb;
    isac_radio_get_counters(a, &ca);
    isac_radio_get_counters(b, &cb);
    assert_memory_equal(&ca, &cb, sizeof ca);
    if (expect_gaps)
        assert_true(gaps > 0);
    int64_t ta, tb;
    isac_radio_get_time(a, &ta);
    isac_radio_get_time(b, &tb);
    assert_int_equal(ta, tb);
    char *ja = NULL, *jb = NULL;
    assert_int_equal(isac_radio_truth_json(a, &ja), ISAC_OK);
    assert_int_equal(isac_radio_truth_json(b, &jb), ISAC_OK);
    assert_string_equal(ja, jb);
    free(ja);
    free(jb);
    bufs_free(&ba);
    bufs_free(&bb);
    isac_radio_close(a);
    isac_radio_close(b);
}

static void test_same_samples(void **state)
{
    (void)state;
    check_same("seed=4,targets=2", 4, 0);
}

static void test_same_samples_with_gaps(void **state)
{
    (void)state;
    /* Gaps reach the back end as SOAPY_SDR_OVERFLOW / timestamp jumps and are rebuilt. */
    check_same("seed=9,elements=4,drop_rate=0.5,overflow_rate=0.5", 12, 1);
}

/* isactb_rx picks device channels, isactb_aps/rx_apN describe the arrays, and
 * isactb_txrx_delay shifts the capture: the samples equal the sim's own channels of
 * a window starting delay ticks later. */
static void test_channel_map_layout_delay(void **state)
{
    (void)state;
    isac_radio a = open_or_fail("sim:seed=5,elements=8");
    isac_radio b = open_or_fail("soapy:driver=isacsim,seed=5,elements=8,isactb_rx=8-15:24-31,"
                                "isactb_aps=2x8,isactb_rx_ap0=100:400:45,isactb_rx_ap1=400:400:-45,"
                                "isactb_txrx_delay=7");
    struct isac_radio_info ib;
    isac_radio_get_info(b, &ib);
    assert_int_equal(ib.num_rx, 16);
    assert_int_equal(ib.num_rx_aps, 2);
    assert_int_equal(ib.rx_ap_elements[1], 8);
    assert_true(fabs(ib.rx_ap[1].axis_rad + M_PI / 4) < 1e-12 && ib.rx_ap[1].x == 400);
    /* without isactb_aps a subset keeps its channels' own APs and positions */
    isac_radio rc3 = open_or_fail("soapy:driver=isacsim,seed=5,elements=8,isactb_rx=9:12:26");
    struct isac_radio_info ic;
    isac_radio_get_info(rc3, &ic);
    assert_int_equal(ic.num_rx_aps, 2);
    assert_int_equal(ic.rx_ap_elements[0], 2);
    assert_int_equal(ic.rx_ap_elements[1], 1);
    assert_true(ic.rx_pos_wl[1] == 2.0 && ic.rx_pos_wl[2] == 1.0); /* channels 12 and 26 */
    assert_true(ic.rx_ap[0].x == 100 && ic.rx_ap[0].y == 400);     /* device AP 1 */
    isac_radio_close(rc3);
    struct bufs ba, bb;
    bufs_alloc(&ba, 8, 32);
    bufs_alloc(&bb, 8, 16);
    struct isac_radio_rx_md ma, mb;
    assert_int_equal(isac_radio_tx_burst(a, 100, (const float complex *const *)ba.tx, L), ISAC_OK);
    assert_int_equal(isac_radio_rx_capture(a, 100 + 7, ba.rx, W, &ma), ISAC_OK);
    assert_int_equal(isac_radio_tx_burst(b, 100, (const float complex *const *)bb.tx, L), ISAC_OK);
    assert_int_equal(isac_radio_rx_capture(b, 100, bb.rx, W, &mb), ISAC_OK);
    assert_int_equal(mb.start_tick, 100);
    for (unsigned i = 0; i < 16; i++)
        assert_memory_equal(bb.rx[i], ba.rx[i < 8 ? 8 + i : 16 + i], W * sizeof **ba.rx);
    int64_t t;
    isac_radio_get_time(b, &t);
    assert_int_equal(t, 100 + 7 + W); /* sample clock: the window's end */
    /* A window in the past is a late command, counted and reported. */
    assert_int_equal(isac_radio_rx_capture(b, 0, bb.rx, W, &mb), ISAC_ERADIO);
    struct isac_radio_counters c;
    isac_radio_get_counters(b, &c);
    assert_int_equal(c.late_commands, 1);
    assert_non_null(strstr(isac_radio_last_error(b), "late"));
    bufs_free(&ba);
    bufs_free(&bb);
    isac_radio_close(a);
    isac_radio_close(b);
}

static void open_bad(const char *spec, int want, const char *needle)
{
    char err[512] = "";
    isac_radio r = NULL;
    int rc = isac_radio_open_ex(spec, &r, err, sizeof err);
    printf("%s -> %d: %s\n", spec, rc, err);
    assert_int_equal(rc, want);
    assert_null(r);
    assert_null(strchr(err, '\n'));
    assert_non_null(strstr(err, needle));
}

static void test_bad_specs(void **state)
{
    (void)state;
    open_bad("soapy:driver=isacsim,isactb_bogus=1", ISAC_EINVAL, "isactb_bogus");
    open_bad("soapy:driver=isacsim,isactb_rx=0-99", ISAC_EINVAL, "isactb_rx");
    /* a channel subset keeps the device's AP split (docs/ma.md mode (b)); out of AP order
     * it cannot (a receive array's channels are consecutive) */
    open_bad("soapy:driver=isacsim,isactb_rx=16:0", ISAC_EINVAL, "later receive AP");
    open_bad("soapy:driver=isacsim,isactb_aps=3x5", ISAC_EINVAL, "AP layout");
    open_bad("soapy:driver=isacsim,isactb_lead=x", ISAC_EINVAL, "isactb_lead");
    /* outside the reported range (-40..40 dB): the device refuses it */
    open_bad("soapy:driver=isacsim,isactb_rx_gain=45", ISAC_ERADIO, "setGain");
    open_bad("soapy:driver=isacsim,targets=99", ISAC_ERADIO, "targets");
    open_bad("soapy:driver=nosuchdriver", ISAC_ERADIO, "no SoapySDR device");
}

static void test_describe(void **state)
{
    (void)state;
    isac_radio r = open_or_fail("soapy:driver=isacsim,elements=2");
    char *j = NULL;
    assert_int_equal(radio_hw_describe_json(r, &j), ISAC_OK);
    assert_non_null(strstr(j, "\"clock_sources\":[\"internal\"]"));
    assert_non_null(strstr(j, "\"sample_tick\""));
    free(j);
    isac_radio_close(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_same_samples),
        cmocka_unit_test(test_same_samples_with_gaps),
        cmocka_unit_test(test_channel_map_layout_delay),
        cmocka_unit_test(test_bad_specs),
        cmocka_unit_test(test_describe),
    };
    return cmocka_run_group_tests(tests, setup_plugin_path, NULL);
}

#else

static void test_not_built(void **state)
{
    (void)state;
    skip();
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_not_built)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}

#endif
