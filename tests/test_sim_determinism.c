/* sim emulator determinism: same seed -> the same samples bit for bit (and the same
 * truth), different seed -> different samples; episodes are a function of
 * (seed, episode) only, whatever ran before. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <complex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/rng.h"
#include "radio/radio.h"

#define L 2048
#define CAP (L + 200)

/* Runs 3 CPIs (a new episode before the last) and returns all samples (malloc'd). */
static float complex *run(const char *spec, size_t *n, char **truth)
{
    char err[256];
    isac_radio r = isac_radio_open(spec, err, sizeof err);
    assert_non_null(r);
    struct isac_radio_info info;
    isac_radio_get_info(r, &info);
    size_t per = (size_t)info.num_rx * CAP;
    float complex *out = malloc(3 * per * sizeof *out);
    float complex *xb = malloc((size_t)info.num_tx * L * sizeof *xb);
    const float complex *x[256];
    float complex *y[256];
    isac_rng g;
    isac_rng_seed(&g, 99); /* the same waveform for every run */
    for (unsigned c = 0; c < info.num_tx; c++) {
        x[c] = xb + (size_t)c * L;
        for (size_t i = 0; i < L; i++)
            xb[(size_t)c * L + i] = (float complex)isac_rng_cnormal(&g, 1.0 / info.num_tx);
    }
    for (int k = 0; k < 3; k++) {
        if (k == 2)
            assert_int_equal(isac_radio_new_episode(r, 4), ISAC_OK);
        for (unsigned c = 0; c < info.num_rx; c++)
            y[c] = out + k * per + (size_t)c * CAP;
        int64_t t = 1000 + (int64_t)k * 30000;
        assert_int_equal(isac_radio_tx_burst(r, t, x, L), ISAC_OK);
        struct isac_radio_rx_md md;
        assert_int_equal(isac_radio_rx_capture(r, t - 100, y, CAP, &md), ISAC_OK);
    }
    assert_int_equal(isac_radio_truth_json(r, truth), ISAC_OK);
    *n = 3 * per;
    free(xb);
    isac_radio_close(r);
    return out;
}

static void test_same_seed_bit_exact(void **st)
{
    (void)st;
    const char *spec = "sim:seed=7,targets=2,clutter=3,rcs=swerling2,impairments=1";
    size_t n1, n2;
    char *t1, *t2;
    float complex *a = run(spec, &n1, &t1), *b = run(spec, &n2, &t2);
    assert_int_equal(n1, n2);
    assert_memory_equal(a, b, n1 * sizeof *a);
    assert_string_equal(t1, t2);
    /* not trivially equal: the samples are not all zero */
    double e = 0;
    for (size_t i = 0; i < n1; i++)
        e += crealf(a[i]) * crealf(a[i]);
    assert_true(e > 0.1 * (double)n1);
    free(a);
    free(b);
    free(t1);
    free(t2);
}

static void test_different_seed(void **st)
{
    (void)st;
    size_t n1, n2;
    char *t1, *t2;
    float complex *a = run("sim:seed=7,noise=0", &n1, &t1),
                  *b = run("sim:seed=8,noise=0", &n2, &t2);
    assert_int_equal(n1, n2);
    size_t same = 0;
    for (size_t i = 0; i < n1; i++)
        same += a[i] == b[i];
    printf("seed 7 vs 8 (noiseless): %zu of %zu samples equal\n", same, n1);
    assert_true(same < n1 / 2); /* equal only where both are exactly zero */
    assert_true(strcmp(t1, t2) != 0);
    free(a);
    free(b);
    free(t1);
    free(t2);
}

/* The first waypoint of target 0 in a truth JSON text. */
static void first_waypoint(const char *truth, char *out, size_t n)
{
    const char *p = strstr(truth, "\"track\":[");
    assert_non_null(p);
    const char *e = strchr(p, '}');
    snprintf(out, n, "%.*s", (int)(e - p), p);
}

static void test_episode_reproducible(void **st)
{
    (void)st;
    char err[256], w1[256], w2[256], w3[256];
    isac_radio a = isac_radio_open("sim:seed=3", err, sizeof err),
               b = isac_radio_open("sim:seed=3", err, sizeof err);
    char *ta, *tb;
    for (uint64_t e = 0; e < 3; e++)
        isac_radio_new_episode(a, e);
    isac_radio_new_episode(a, 9);
    isac_radio_new_episode(b, 9);
    isac_radio_truth_json(a, &ta);
    isac_radio_truth_json(b, &tb);
    first_waypoint(ta, w1, sizeof w1);
    first_waypoint(tb, w2, sizeof w2);
    assert_string_equal(w1, w2);
    free(ta);
    isac_radio_new_episode(a, 10);
    isac_radio_truth_json(a, &ta);
    first_waypoint(ta, w3, sizeof w3);
    printf("episode 9: %s\nepisode 10: %s\n", w1, w3);
    assert_true(strcmp(w1, w3) != 0);
    free(ta);
    free(tb);
    isac_radio_close(a);
    isac_radio_close(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_same_seed_bit_exact),
        cmocka_unit_test(test_different_seed),
        cmocka_unit_test(test_episode_reproducible),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
