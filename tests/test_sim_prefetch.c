/* isac_sim_prepare_rx (noise drawn ahead on a worker thread): captures give the same samples,
 * metadata and counters whether the announced window is the one captured, another one
 * (other start, other length), announced twice, or not at all, with and without the
 * pool; an emulator destroyed with a draw under way shuts down cleanly. */
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
#include "radio/sim/sim.h"

#define LEN 1200
#define NRX 64

static float complex ya[NRX][LEN], yb[NRX][LEN];

static void run(const char *scene)
{
    char spec[256], err[256];
    snprintf(spec, sizeof spec, "sim:%s,prefetch=0", scene);
    isac_radio ra = isac_radio_open(spec, err, sizeof err);
    snprintf(spec, sizeof spec, "sim:%s,prefetch=1", scene);
    isac_radio rb = isac_radio_open(spec, err, sizeof err);
    assert_non_null(ra);
    assert_non_null(rb);
    isac_sim sa = isac_radio_get_state(ra), sb = isac_radio_get_state(rb);
    static float complex xb[16][LEN];
    const float complex *x[16];
    for (unsigned c = 0; c < 16; c++) {
        for (unsigned i = 0; i < LEN; i++)
            xb[c][i] = 0.25f * cexpf(I * (float)(0.11 * i * i + c));
        x[c] = xb[c];
    }
    float complex *pa[NRX], *pb[NRX];
    for (unsigned c = 0; c < NRX; c++) {
        pa[c] = ya[c];
        pb[c] = yb[c];
    }
    for (unsigned k = 0; k < 16; k++) {
        int64_t t = 3000 + (int64_t)k * 3000;
        /* the announcement of this window came with the previous capture (k % 4 == 0:
         * right; 1: another start; 2: another length; 3: none) */
        assert_int_equal(isac_sim_tx_burst(sa, t, x, LEN / 2), ISAC_OK);
        assert_int_equal(isac_sim_tx_burst(sb, t, x, LEN / 2), ISAC_OK);
        struct isac_radio_rx_md ma, mb;
        int rca = isac_sim_rx_capture(sa, t, pa, LEN, &ma);
        int rcb = isac_sim_rx_capture(sb, t, pb, LEN, &mb);
        assert_int_equal(rca, rcb);
        if (rca == ISAC_OK) {
            assert_memory_equal(&ma, &mb, sizeof ma);
            assert_memory_equal(ya, yb, sizeof ya);
        }
        int64_t next = t + 3000;
        switch ((k + 1) % 4) {
        case 0: assert_int_equal(isac_radio_prepare_rx(rb, next, LEN), ISAC_OK); break;
        case 1: assert_int_equal(isac_radio_prepare_rx(rb, next + 7, LEN), ISAC_OK); break;
        case 2:
            assert_int_equal(isac_radio_prepare_rx(rb, next, LEN + 1), ISAC_OK);
            assert_int_equal(isac_radio_prepare_rx(rb, next, LEN - 1), ISAC_OK); /* twice */
            break;
        default: break;
        }
        assert_int_equal(isac_radio_prepare_rx(ra, next, LEN), ISAC_OK); /* prefetch=0: a no-op */
    }
    struct isac_radio_counters ca, cb;
    isac_radio_get_counters(ra, &ca);
    isac_radio_get_counters(rb, &cb);
    assert_memory_equal(&ca, &cb, sizeof ca);
    /* destroyed with a draw under way */
    assert_int_equal(isac_radio_prepare_rx(rb, 1000000, LEN), ISAC_OK);
    isac_radio_close(ra);
    isac_radio_close(rb);
}

static void test_same_samples(void **st)
{
    (void)st;
    run("seed=4,targets=2,clutter=2,impairments=1,drop_rate=0.3,late_rate=0.1,threads=2");
    run("seed=6,targets=1,threads=1");
}

static void test_bad_arguments(void **st)
{
    (void)st;
    char err[256];
    isac_radio r = isac_radio_open("sim:prefetch=1", err, sizeof err);
    assert_non_null(r);
    assert_int_equal(isac_radio_prepare_rx(r, 0, 0), ISAC_EINVAL);
    assert_int_equal(isac_radio_prepare_rx(NULL, 0, 10), ISAC_EINVAL);
    isac_radio_close(r);
    assert_null(isac_radio_open("sim:prefetch=2", err, sizeof err));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_same_samples),
        cmocka_unit_test(test_bad_arguments),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
