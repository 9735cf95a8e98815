/* The emulator's batched noise generator (isac_sim_normal_fill, used by every capture) gives
 * the samples of the one-sample polar method it replaced, bit for bit.
 * isac_sim_rx_capture_some (what the isacsim Soapy device uses for the channels a client
 * activated): the rows asked for are bit for bit the same rows of a capture of every
 * channel, with the same metadata, gaps, counters and time, over TX bursts, targets,
 * clutter, impairments, injected faults and the calibration paths; NULL rows are left
 * untouched. */
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
#include "common/rng.h"
#include "radio/radio.h"
#include "radio/sim/sim.h"

#define LEN 1500
#define M 16
#define NRX (4 * M)

static float complex full[NRX][LEN], part[NRX][LEN];

/* One scenario: the same TX bursts on two emulators, full and partial captures. */
static void compare(const char *spec, const unsigned *want, unsigned nwant)
{
    char err[256];
    isac_radio ra = isac_radio_open(spec, err, sizeof err),
               rb = isac_radio_open(spec, err, sizeof err);
    assert_non_null(ra);
    assert_non_null(rb);
    isac_sim sa = isac_radio_get_state(ra), sb = isac_radio_get_state(rb);
    static float complex xb[M][LEN];
    const float complex *x[M];
    for (unsigned c = 0; c < M; c++) {
        for (unsigned i = 0; i < LEN; i++)
            xb[c][i] = 0.25f * cexpf(I * (float)(0.37 * i * i + c));
        x[c] = xb[c];
    }
    float complex *yf[NRX], *yp[NRX];
    int gaps = 0;
    for (unsigned k = 0; k < 12; k++) {
        int64_t t = (int64_t)k * 4000;
        if (k % 2 == 0) {
            assert_int_equal(isac_sim_tx_burst(sa, t + 100, x, LEN), ISAC_OK);
            assert_int_equal(isac_sim_tx_burst(sb, t + 100, x, LEN), ISAC_OK);
        }
        for (unsigned c = 0; c < NRX; c++) {
            yf[c] = full[c];
            yp[c] = NULL;
        }
        /* a different subset each capture: rows never depend on the others */
        for (unsigned j = 0; j < nwant; j++)
            yp[(want[j] + k) % NRX] = part[(want[j] + k) % NRX];
        memset(part, 0x7f, sizeof part); /* a canary in the rows not asked for */
        struct isac_radio_rx_md isac_mf, mp;
        int rf = isac_sim_rx_capture(sa, t, yf, LEN, &isac_mf);
        int rp = isac_sim_rx_capture_some(sb, t, yp, LEN, &mp);
        assert_int_equal(rf, rp);
        assert_int_equal(isac_sim_now(sa), isac_sim_now(sb));
        if (rf != ISAC_OK)
            continue;
        assert_memory_equal(&isac_mf, &mp, sizeof isac_mf);
        gaps += isac_mf.dropped_samples > 0;
        for (unsigned c = 0; c < NRX; c++) {
            if (yp[c])
                assert_memory_equal(full[c], part[c], sizeof full[c]);
            else
                assert_int_equal(((unsigned char *)part[c])[0], 0x7f);
        }
    }
    struct isac_radio_counters ca, cb;
    isac_sim_get_counters(sa, &ca);
    isac_sim_get_counters(sb, &cb);
    assert_memory_equal(&ca, &cb, sizeof ca);
    if (strstr(spec, "drop_rate"))
        assert_true(gaps > 0); /* the gap path was exercised */
    isac_radio_close(ra);
    isac_radio_close(rb);
}

static const unsigned four[] = {0, 17, 34, 63};

static void test_scene(void **st)
{
    (void)st;
    compare("sim:seed=9,targets=3,clutter=4,impairments=1,drop_rate=0.4,overflow_rate=0.2,"
            "late_rate=0.1,threads=2",
            four, 4);
    compare("sim:seed=2,targets=1,threads=1", four, 4);
    /* one channel, and every channel of one AP */
    static const unsigned one[] = {5},
                          ap[] = {16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31};
    compare("sim:seed=5,targets=2,impairments=1,threads=3", one, 1);
    compare("sim:seed=5,targets=2,impairments=1,threads=3", ap, 16);
}

static void test_calibration_paths(void **st)
{
    (void)st;
    compare("sim:seed=3,cal=rx_splitter,impairments=1,threads=2", four, 4);
    compare("sim:seed=3,cal=tx_coupler,impairments=1", four, 4);
    compare("sim:seed=3,cal=pilot,impairments=1", four, 4);
}

static void test_full_request_equals_capture(void **st)
{
    (void)st;
    unsigned all[NRX];
    for (unsigned c = 0; c < NRX; c++)
        all[c] = c;
    compare("sim:seed=11,targets=2,clutter=2", all, NRX);
}

/* The one-sample Marsaglia polar method as the emulator had it before the batched form
 * (radio/sim/sim_render.c, cn01_fill's comment). */
static float complex polar_one(isac_rng *r)
{
    float u, v, q;
    do {
        uint64_t w = isac_rng_u64(r);
        u = (float)(int32_t)(uint32_t)w * 0x1.0p-31f;
        v = (float)(int32_t)(uint32_t)(w >> 32) * 0x1.0p-31f;
        q = u * u + v * v;
    } while (q >= 1.0f || q == 0.0f);
    float f = sqrtf(-logf(q) / q);
    return (f * u) + (f * v) * I;
}

static void test_normal_fill_matches_polar(void **st)
{
    (void)st;
    static float complex a[20000], b[20000];
    /* lengths around the batch size and a long run, several streams */
    static const size_t lens[] = {1, 2, 47, 50, 63, 64, 65, 128, 1000, 1024, 20000};
    for (unsigned k = 0; k < sizeof lens / sizeof lens[0]; k++) {
        isac_rng r1, r2;
        isac_rng_seed_stream(&r1, 1234 + k, 99);
        r2 = r1;
        for (size_t i = 0; i < lens[k]; i++)
            a[i] = polar_one(&r1);
        isac_sim_normal_fill(&r2, b, lens[k]);
        assert_memory_equal(a, b, lens[k] * sizeof a[0]);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_scene),
        cmocka_unit_test(test_calibration_paths),
        cmocka_unit_test(test_full_request_equals_capture),
        cmocka_unit_test(test_normal_fill_matches_polar),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
