/* The `set` back end (radio/radio_set.c): RX channels are the members' concatenated, each
 * member captures exactly what it would alone under the same timed commands, TX goes to
 * member 0 only, and members that differ in rate or carrier, malformed specs and nested
 * sets are refused. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "radio.h"

#define LEN 4096

static float complex **rows(unsigned n, size_t len)
{
    float complex **p = calloc(n, sizeof *p);
    for (unsigned i = 0; i < n; i++)
        p[i] = calloc(len, sizeof **p);
    return p;
}

static void free_rows(float complex **p, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        free(p[i]);
    free(p);
}

/* One burst at tick 0 (when tx), then one window at tick 0. */
static float complex **capture(isac_radio r, int tx)
{
    struct isac_radio_info in;
    isac_radio_get_info(r, &in);
    float complex **x = rows(in.num_tx, LEN), **y = rows(in.num_rx, LEN);
    for (unsigned k = 0; k < in.num_tx; k++)
        for (size_t t = 0; t < LEN; t++)
            x[k][t] = 0.01f * (float)((t * 7 + k) % 13) - 0.06f * I;
    if (tx)
        assert_int_equal(isac_radio_tx_burst(r, 0, (const float complex *const *)x, LEN), ISAC_OK);
    struct isac_radio_rx_md md;
    assert_int_equal(isac_radio_rx_capture(r, 0, y, LEN, &md), ISAC_OK);
    assert_int_equal(md.num_samples, LEN);
    free_rows(x, in.num_tx);
    return y;
}

static void test_set_concatenates_members(void **state)
{
    (void)state;
    char err[512];
    isac_radio set =
        isac_radio_open("set:[sim:seed=3,elements=4]+[sim:seed=8,elements=4]", err, sizeof err);
    assert_non_null(set);
    isac_radio a = isac_radio_open("sim:seed=3,elements=4", err, sizeof err);
    isac_radio b = isac_radio_open("sim:seed=8,elements=4", err, sizeof err);
    assert_non_null(a);
    assert_non_null(b);
    struct isac_radio_info is, ia, ib;
    isac_radio_get_info(set, &is);
    isac_radio_get_info(a, &ia);
    isac_radio_get_info(b, &ib);
    assert_string_equal(is.driver, "set");
    assert_int_equal(is.num_rx, ia.num_rx + ib.num_rx);
    assert_int_equal(is.num_rx_aps, ia.num_rx_aps + ib.num_rx_aps);
    assert_int_equal(is.num_tx, ia.num_tx);
    assert_true(is.sample_rate == ia.sample_rate);
    assert_memory_equal(&is.rx_ap[ia.num_rx_aps], &ib.rx_ap[0], ib.num_rx_aps * sizeof ib.rx_ap[0]);
    assert_false(is.caps & ISAC_RADIO_CAP_SCENARIO); /* two emulators are two scenes */
    float complex **ys = capture(set, 1), **ya = capture(a, 1), **yb = capture(b, 0);
    for (unsigned ch = 0; ch < ia.num_rx; ch++)
        assert_memory_equal(ys[ch], ya[ch], LEN * sizeof **ya);
    for (unsigned ch = 0; ch < ib.num_rx; ch++) /* member 1 got no burst */
        assert_memory_equal(ys[ia.num_rx + ch], yb[ch], LEN * sizeof **yb);
    free_rows(ys, is.num_rx);
    free_rows(ya, ia.num_rx);
    free_rows(yb, ib.num_rx);
    isac_radio_close(set);
    isac_radio_close(a);
    isac_radio_close(b);
}

static void test_one_member_is_that_radio(void **state)
{
    (void)state;
    char err[512];
    isac_radio set = isac_radio_open("set:[sim:seed=5]", err, sizeof err),
               a = isac_radio_open("sim:seed=5", err, sizeof err);
    assert_non_null(set);
    struct isac_radio_info is, ia;
    isac_radio_get_info(set, &is);
    isac_radio_get_info(a, &ia);
    assert_int_equal(is.caps, ia.caps);
    assert_int_equal(isac_radio_new_episode(set, 3), ISAC_OK);
    assert_int_equal(isac_radio_new_episode(a, 3), ISAC_OK);
    float complex **ys = capture(set, 1), **ya = capture(a, 1);
    for (unsigned ch = 0; ch < ia.num_rx; ch++)
        assert_memory_equal(ys[ch], ya[ch], LEN * sizeof **ya);
    free_rows(ys, is.num_rx);
    free_rows(ya, ia.num_rx);
    isac_radio_close(set);
    isac_radio_close(a);
}

static void test_set_refusals(void **state)
{
    (void)state;
    const char *bad[] = {
        "set:",
        "set:[]",
        "set:sim",
        "set:[sim]+",
        "set:[sim]+[sim",
        "set:[sim][sim]",
        "set:[sim]+[set:[sim]]",
        "set:[sim]+[sim:fs=10e6]",    /* sample rate */
        "set:[sim]+[sim:center=1e9]", /* carrier */
        "set:[sim]+[sim:bogus=1]",
        "set:[sim]+[sim]+[sim]+[sim]+[sim]", /* 20 receive APs > ISAC_RADIO_MAX_APS */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char err[512] = "";
        isac_radio r = NULL;
        int rc = isac_radio_open_ex(bad[i], &r, err, sizeof err);
        if (rc == ISAC_OK)
            fail_msg("'%s' was accepted", bad[i]);
        assert_null(r);
        assert_true(strstr(err, "set") != NULL);
    }
}

/* A set with a movable member 0 is movable: moving its TX elements moves member 0's. */
static void test_set_moves_member0_elements(void **state)
{
    (void)state;
    char err[256] = "";
    isac_radio set =
        isac_radio_open("set:[sim:seed=3,elements=4]+[sim:seed=8,elements=4]", err, sizeof err);
    assert_non_null(set);
    struct isac_radio_info in;
    assert_int_equal(isac_radio_get_info(set, &in), ISAC_OK);
    assert_true(in.caps & ISAC_RADIO_CAP_MOVABLE);
    const double pos[4] = {0, 0.7, 1.3, 2.2};
    assert_int_equal(isac_radio_set_tx_positions(set, pos, 4), ISAC_OK);
    assert_int_equal(isac_radio_get_info(set, &in), ISAC_OK);
    assert_memory_equal(in.tx_pos_wl, pos, sizeof pos);
    const double close[4] = {0, 0.05, 1.3, 2.2};
    assert_int_not_equal(isac_radio_set_tx_positions(set, close, 4), ISAC_OK);
    isac_radio_close(set);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_set_concatenates_members),
        cmocka_unit_test(test_one_member_is_that_radio),
        cmocka_unit_test(test_set_refusals),
        cmocka_unit_test(test_set_moves_member0_elements),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
