/* Transmit plans: a codebook plan composes the same bits as isac_waveform_compose, JSON round
 * trips exactly (codebook and full plans), bad JSON is refused with one line, powers and
 * masks act on the composed signal. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/rng.h"
#include "plan/plan.h"
#include "dsp/waveform.h"

#define N 8
#define LEN 257

static isac_codebook make_cb(void)
{
    isac_array a = isac_array_create_ula(N, 0.5);
    isac_codebook cb = isac_codebook_create_dft(a, 32, -M_PI / 2, M_PI / 2);
    isac_array_destroy(a);
    return cb;
}

static void fill_stream(float complex *s, uint64_t seed)
{
    struct isac_waveform_params wp = {.kind = ISAC_WAVEFORM_QPSK, .length = LEN, .seed = seed};
    assert_int_equal(isac_waveform_generate(&wp, s), 0);
}

static void test_codebook_plan_same_bits(void **state)
{
    (void)state;
    isac_codebook cb = make_cb();
    float complex probe[LEN], xa[N][LEN], xb[N][LEN];
    float complex *pa[N], *pb[N];
    for (int m = 0; m < N; m++)
        pa[m] = xa[m], pb[m] = xb[m];
    fill_stream(probe, 3);
    for (unsigned q = 0; q < isac_codebook_size(cb); q++) {
        isac_tx_plan p = isac_tx_plan_from_beam(cb, q);
        assert_non_null(p);
        assert_int_equal(isac_tx_plan_beam(p), (int)q);
        const float complex *u[1] = {probe};
        assert_int_equal(isac_tx_plan_compose(p, u, LEN, pa), 0);
        assert_int_equal(
            isac_waveform_compose(NULL, NULL, 0, probe, isac_codebook_weights(cb, q), N, LEN, pb),
            0);
        assert_memory_equal(xa, xb, sizeof xa);
        assert_true(fabs(isac_tx_plan_total_power(p) - 1.0) < 1e-5);
        isac_tx_plan_destroy(p);
    }
    isac_codebook_destroy(cb);
}

/* A plan with K = 2 comm streams and powers equals seed 004 eq. (1) with f_k = sqrt(p_k) W_k. */
static void test_comm_streams_and_powers(void **state)
{
    (void)state;
    isac_tx_plan p = isac_tx_plan_create(N, 2, 1);
    float complex *W = isac_tx_plan_precoder(p, 0), f[2 * N], w[N];
    isac_rng rng;
    isac_rng_seed(&rng, 11);
    for (int i = 0; i < 3 * N; i++)
        W[i] = (float)isac_rng_normal(&rng) + I * (float)isac_rng_normal(&rng);
    double *pw = isac_tx_plan_powers(p);
    pw[0] = 0.25, pw[1] = 4.0, pw[2] = 1.0;
    for (int m = 0; m < N; m++) {
        f[m] = W[m] * 0.5f;
        f[N + m] = W[N + m] * 2.0f;
        w[m] = W[2 * N + m];
    }
    float complex s0[LEN], s1[LEN], sr[LEN], xa[N][LEN], xb[N][LEN];
    float complex *pa[N], *pb[N];
    for (int m = 0; m < N; m++)
        pa[m] = xa[m], pb[m] = xb[m];
    fill_stream(s0, 1), fill_stream(s1, 2), fill_stream(sr, 3);
    const float complex *u[3] = {s0, s1, sr}, *comm[2] = {s0, s1};
    assert_int_equal(isac_tx_plan_compose(p, u, LEN, pa), 0);
    assert_int_equal(isac_waveform_compose(comm, f, 2, sr, w, N, LEN, pb), 0);
    assert_memory_equal(xa, xb, sizeof xa);
    /* an inactive element radiates nothing; the others are unchanged */
    uint8_t act[N] = {1, 1, 0, 1, 1, 1, 1, 1};
    assert_int_equal(isac_tx_plan_set_active(p, act), 0);
    assert_int_equal(isac_tx_plan_compose(p, u, LEN, pa), 0);
    for (int n = 0; n < LEN; n++)
        assert_true(xa[2][n] == 0);
    assert_memory_equal(xa[3], xb[3], sizeof xa[3]);
    uint8_t none[N] = {0};
    assert_int_equal(isac_tx_plan_set_active(p, none), -1);
    isac_tx_plan_destroy(p);
}

static void roundtrip(isac_tx_plan p, isac_codebook cb)
{
    json_t *j = isac_tx_plan_to_json(p);
    assert_non_null(j);
    char *txt = json_dumps(j, JSON_COMPACT);
    json_decref(j);
    json_error_t e;
    json_t *back = json_loads(txt, 0, &e);
    free(txt);
    char err[256] = "";
    isac_tx_plan q = isac_tx_plan_from_json(back, cb, "test", err, sizeof err);
    json_decref(back);
    assert_non_null(q);
    assert_true(isac_tx_plan_equal(p, q));
    isac_tx_plan_destroy(q);
}

static void test_json_round_trip(void **state)
{
    (void)state;
    isac_codebook cb = make_cb();
    isac_tx_plan b = isac_tx_plan_from_beam(cb, 17);
    json_t *j = isac_tx_plan_to_json(b);
    assert_int_equal(json_object_size(j), 1); /* a codebook plan is recorded as its index */
    json_decref(j);
    roundtrip(b, cb);
    /* frequency selective, comm streams, positions, mask, irrational weights */
    isac_tx_plan p = isac_tx_plan_create(N, 3, 5);
    isac_rng rng;
    isac_rng_seed(&rng, 5);
    for (unsigned f = 0; f < 5; f++) {
        float complex *W = isac_tx_plan_precoder(p, f);
        for (int i = 0; i < 4 * N; i++)
            W[i] = (float)isac_rng_normal(&rng) + I * (float)isac_rng_normal(&rng);
    }
    isac_tx_plan_powers(p)[1] = M_PI;
    double pos[N] = {0, 0.5, 1.25, 1.75, 2.75, 3.5, 4, 5};
    uint8_t act[N] = {1, 0, 1, 1, 1, 1, 1, 0};
    assert_int_equal(isac_tx_plan_set_positions(p, pos), 0);
    assert_int_equal(isac_tx_plan_set_active(p, act), 0);
    roundtrip(p, cb);
    isac_tx_plan c = isac_tx_plan_copy(p); /* a deep copy: equal, and independent */
    assert_true(isac_tx_plan_equal(p, c));
    isac_tx_plan_powers(c)[0] = 2.0;
    assert_false(isac_tx_plan_equal(p, c));
    isac_tx_plan_destroy(c);
    /* a beam plan with a moved element is not a plain index */
    assert_int_equal(isac_tx_plan_set_positions(b, pos), 0);
    j = isac_tx_plan_to_json(b);
    assert_true(json_object_size(j) > 1);
    json_decref(j);
    roundtrip(b, cb);
    isac_tx_plan_destroy(p);
    isac_tx_plan_destroy(b);
    isac_codebook_destroy(cb);
}

static void refused(const char *txt, isac_codebook cb, const char *needle)
{
    json_error_t e;
    json_t *j = json_loads(txt, 0, &e);
    assert_non_null(j);
    char err[256] = "";
    isac_tx_plan p = isac_tx_plan_from_json(j, cb, "cap: cpi 3: plan", err, sizeof err);
    json_decref(j);
    assert_null(p);
    assert_non_null(strstr(err, needle));
    assert_null(strchr(err, '\n'));
}

static void test_bad_json(void **state)
{
    (void)state;
    isac_codebook cb = make_cb();
    refused("{\"beam\": 32}", cb, "beam");
    refused("{\"beam\": -1}", cb, "beam");
    refused("{\"beam\": 3}", NULL, "codebook");
    refused("{\"num_tx\": 0, \"num_comm\": 0, \"num_subcarriers\": 1}", cb, "num_tx");
    refused("{\"num_tx\": 2, \"num_comm\": 0, \"num_subcarriers\": 1, \"powers\": [1],"
            " \"W\": [[1, 0]]}",
            cb, "W");
    refused("{\"num_tx\": 1, \"num_comm\": 0, \"num_subcarriers\": 1, \"powers\": [-1],"
            " \"W\": [[1, 0]]}",
            cb, "powers[0]");
    refused("{\"num_tx\": 1, \"num_comm\": 0, \"num_subcarriers\": 1, \"powers\": [1],"
            " \"W\": [[1, \"x\"]]}",
            cb, "W[0]");
    refused("{\"num_tx\": 2, \"num_comm\": 0, \"num_subcarriers\": 1, \"powers\": [1],"
            " \"W\": [[1, 0], [0, 1]], \"active\": [0, 0]}",
            cb, "active");
    refused("[1]", cb, "object");
    isac_codebook_destroy(cb);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_codebook_plan_same_bits),
        cmocka_unit_test(test_comm_streams_and_powers),
        cmocka_unit_test(test_json_round_trip),
        cmocka_unit_test(test_bad_json),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
