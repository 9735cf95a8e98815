/* The dueling Q-network (host/learn/qnet.h) and its storage:
 *  - inference follows eq. (34): Q = U + A - max A, checked on a hand-made network;
 *  - a weights file round-trips bit for bit (text -> tables -> text), and the C export
 *    prints every float exactly (%a);
 *  - the validator rejects, with a message naming the fault: wrong format, version,
 *    tau or embedding mismatch, wrong shapes, non-finite values, truncated JSON;
 *  - the compiled-in network passes the validator, and codebooks/qnet_default.weights
 *    (the trainer's output) holds exactly the compiled-in tables: the shipped C tables
 *    and the shipped weights file are the same trained network. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "learn/qnet.h"
#include "policy/policy.h"

/* tau 1, emb 2: input 4 -> 2 -> 2 -> 3 */
static float W0[8] = {1, 0, 0, 0, 0, 1, 0, 0}, b0[2] = {0, 0};
static float W1[4] = {1, 0, 0, 1}, b1[2] = {0, -10};
static float W2[6] = {1, 1, 2, 0, 0, 3}, b2[3] = {0.5f, 0, 0};

static struct isac_qnet_def tiny(void)
{
    return (struct isac_qnet_def){.version = 1,
                                  .tau = 1,
                                  .emb = 2,
                                  .b3 = 5,
                                  .l = {{4, 2, 1, W0, b0}, {2, 2, 1, W1, b1}, {2, 3, 0, W2, b2}}};
}

static void test_dueling(void **s)
{
    (void)s;
    struct isac_qnet_def d = tiny();
    assert_int_equal(isac_qnet_def_check(&d, 1, 2, NULL, 0), 0);
    float x[4] = {2, 3, 0, 0}, q[2], scratch[7];
    /* h1 = relu(2, 3) = (2, 3); h2 = relu(2, 3 - 10) = (2, 0); out = (0.5 + 2, 4, 0)
     * U = 2.5, A = (4, 0), max A = 4 -> Q = (2.5, -1.5) */
    isac_qnet_q_values(&d, x, q, scratch);
    assert_true(q[0] == 2.5f && q[1] == -1.5f);
    assert_int_equal(isac_qnet_argmax(q, 2), 0);
}

static void expect_bad(const char *text, const char *needle, unsigned tau, unsigned emb)
{
    struct isac_qnet_file f;
    char err[256] = "";
    assert_int_equal(isac_qnet_file_parse(text, strlen(text), tau, emb, &f, err, sizeof err), -1);
    if (!strstr(err, needle))
        fail_msg("expected '%s' in '%s'", needle, err);
    assert_null(f.storage);
}

/* txt with one JSON edit: key path "a" or "layers.I.key", value v (stolen; NULL deletes). */
static char *edit(const char *txt, const char *key, json_t *v)
{
    json_t *root = json_loads(txt, 0, NULL);
    assert_non_null(root);
    json_t *obj = root;
    char k[64];
    unsigned idx;
    if (sscanf(key, "layers.%u.%63s", &idx, k) == 2)
        obj = json_array_get(json_object_get(root, "layers"), idx);
    else
        snprintf(k, sizeof k, "%s", key);
    if (v)
        json_object_set_new(obj, k, v);
    else
        json_object_del(obj, k);
    char *o = json_dumps(root, JSON_COMPACT);
    json_decref(root);
    return o;
}

static void test_file_round_trip_and_validation(void **s)
{
    (void)s;
    struct isac_qnet_def d = tiny();
    W2[1] = 0.1f; /* not representable in decimal: must survive exactly */
    char *txt = isac_qnet_format_json(&d, "{\"seed\":3}");
    assert_non_null(txt);
    struct isac_qnet_file f;
    char err[256];
    assert_int_equal(isac_qnet_file_parse(txt, strlen(txt), 1, 2, &f, err, sizeof err), 0);
    for (unsigned l = 0; l < 3; l++) {
        assert_memory_equal(f.def.l[l].W, d.l[l].W, d.l[l].in * d.l[l].out * sizeof(float));
        assert_memory_equal(f.def.l[l].b, d.l[l].b, d.l[l].out * sizeof(float));
    }
    char *txt2 = isac_qnet_format_json(&f.def, "{\"seed\":3}");
    assert_string_equal(txt, txt2);
    isac_qnet_file_free(&f);
    free(txt2);

    expect_bad("{", "not JSON", 0, 0);
    char *t;
    t = edit(txt, "format", json_string("other"));
    expect_bad(t, "format", 0, 0);
    free(t);
    t = edit(txt, "version", json_integer(2));
    expect_bad(t, "version: 2", 0, 0);
    free(t);
    t = edit(txt, "version", NULL);
    expect_bad(t, "version: missing", 0, 0);
    free(t);
    expect_bad(txt, "tau: 1 does not match", 5, 0);
    expect_bad(txt, "embedding: 2 does not match", 1, 16);
    t = edit(txt, "layers.0.in", json_integer(5));
    expect_bad(t, "layers[0].weights: 8 values, expected 10", 0, 0);
    free(t);
    t = edit(txt, "layers.2.bias", json_pack("[f,f]", 0.5, 0.0));
    expect_bad(t, "layers[2].bias: 2 values, expected 3", 0, 0);
    free(t);
    t = edit(txt, "layers.2.bias", json_pack("[f,f,f]", 1e39, 0.0, 0.0));
    expect_bad(t, "layers[2].bias[0]: not finite", 0, 0);
    free(t);
    t = edit(txt, "layers.1.weights", json_pack("[i,s,i,i]", 1, "x", 0, 0));
    expect_bad(t, "layers[1].weights[1]: not a number", 0, 0);
    free(t);
    t = edit(txt, "layers.0.activation", json_string("tanh"));
    expect_bad(t, "activation", 0, 0);
    free(t);
    free(txt);

    char *c = isac_qnet_format_c(&d, "qnet_x", "command: test\nseed: 3");
    assert_non_null(c);
    assert_non_null(strstr(c, " * command: test\n * seed: 3\n"));
    assert_non_null(strstr(c, "0x1.99999ap-4")); /* 0.1f exactly */
    assert_non_null(strstr(c, "const struct isac_qnet_def qnet_x = {"));
    free(c);
}

static void test_shipped_weights(void **s)
{
    (void)s;
    char err[256] = "";
    if (isac_qnet_def_check(&isac_qnet_default, 5, 16, err, sizeof err))
        fail_msg("compiled-in network: %s", err);
    const char *src = getenv("ISACTB_SOURCE_DIR");
    char path[1024];
    snprintf(path, sizeof path, "%s/codebooks/qnet_default.weights", src ? src : "..");
    FILE *fp = fopen(path, "rb");
    if (!fp)
        fail_msg("%s: missing", path);
    static char buf[4 << 20];
    size_t n = fread(buf, 1, sizeof buf - 1, fp);
    fclose(fp);
    struct isac_qnet_file f;
    if (isac_qnet_file_parse(buf, n, 5, 16, &f, err, sizeof err))
        fail_msg("%s: %s", path, err);
    assert_true(strstr(buf, "\"command\"") && strstr(buf, "\"seed\"") && strstr(buf, "\"commit\""));
    for (unsigned l = 0; l < 3; l++) {
        assert_int_equal(f.def.l[l].in, isac_qnet_default.l[l].in);
        assert_int_equal(f.def.l[l].out, isac_qnet_default.l[l].out);
        assert_memory_equal(f.def.l[l].W, isac_qnet_default.l[l].W,
                            f.def.l[l].in * f.def.l[l].out * sizeof(float));
        assert_memory_equal(f.def.l[l].b, isac_qnet_default.l[l].b, f.def.l[l].out * sizeof(float));
    }
    /* a trained network is not the zero placeholder */
    double norm = 0;
    for (unsigned i = 0; i < isac_qnet_default.l[0].in * isac_qnet_default.l[0].out; i++)
        norm += fabs(isac_qnet_default.l[0].W[i]);
    assert_true(norm > 1.0);
    isac_qnet_file_free(&f);
}

static void test_policy_rejects_mismatch(void **s)
{
    (void)s;
    struct isac_qnet_def d = tiny();
    struct isac_policy_args a;
    isac_policy_args_defaults(&a, 64, 1);
    a.opts.qnet = &d; /* tau 1 / emb 2 against the MDP's 5 / 16 */
    assert_null(isac_policy_create_named("qnet", &a));
    a.opts.mdp.tau = 1;
    a.opts.mdp.emb = 2;
    isac_policy p = isac_policy_create_named("qnet", &a);
    assert_non_null(p);
    struct isac_policy_obs obs = {.beam = 10, .lambda = 3, .num_aps = 4};
    unsigned b = isac_policy_next(p, NULL);
    assert_true(b < 64);
    b = isac_policy_next(p, &obs);
    assert_true(b == 9 || b == 11); /* tau 1: one step either way, wrapped */
    isac_policy_destroy(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dueling),
        cmocka_unit_test(test_file_round_trip_and_validation),
        cmocka_unit_test(test_shipped_weights),
        cmocka_unit_test(test_policy_rejects_mismatch),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
