/* Experiment configs: the shipped default loads, bad YAML is refused with one line
 * naming the file, line and field, and the JSON copy in captures round-trips. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/config.h"

static const char *src_dir(void)
{
    const char *s = getenv("ISACTB_SOURCE_DIR");
    return s ? s : ".";
}

static void test_default_yaml_equals_builtin_defaults(void **state)
{
    (void)state;
    char path[1024], err[512] = "";
    snprintf(path, sizeof path, "%s/experiments/default.yaml", src_dir());
    struct isac_exp_config a, b;
    isac_exp_config_defaults(&a);
    isac_exp_config_defaults(&b);
    if (isac_exp_config_load(path, &a, err, sizeof err))
        fail_msg("%s", err);
    json_t *ja = isac_exp_config_to_json(&a), *jb = isac_exp_config_to_json(&b);
    assert_true(json_equal(ja, jb));
    json_decref(ja);
    json_decref(jb);
}

static void expect_error(const char *yaml, const char *n1, const char *n2)
{
    char path[256], err[512] = "";
    snprintf(path, sizeof path, "/tmp/isactb_test_config_%d.yaml", (int)getpid());
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(yaml, f);
    fclose(f);
    struct isac_exp_config c;
    isac_exp_config_defaults(&c);
    assert_true(isac_exp_config_load(path, &c, err, sizeof err) < 0);
    if (!strstr(err, path) || !strstr(err, n1) || (n2 && !strstr(err, n2)))
        fail_msg("error '%s' lacks '%s'/'%s'", err, n1, n2 ? n2 : "");
    assert_null(strchr(err, '\n'));
    remove(path);
}

static void test_bad_configs(void **state)
{
    (void)state;
    expect_error("seed: [1, 2\n", "line", NULL);        /* malformed YAML */
    expect_error("episodes: many\n", "episodes", NULL); /* wrong type */
    expect_error("seeed: 3\n", "seeed", NULL);          /* unknown key */
    expect_error("pfa: 2.0\n", ":1: pfa", "2");         /* out of range, with line */
    expect_error("seed: 1\nzeta: 1.5\n", ":2: zeta", "1.5");
    expect_error("waveform:\n  kind: ofdm\n", "waveform.kind", "ofdm");
    expect_error("waveform:\n  kind: zc\n  length: 4096\n  root: 2\n", "waveform.root", "coprime");
    expect_error("policy: greedy\n", "policy", "greedy");
    expect_error("grid:\n  spacing_m: 0.01\n", "grid.spacing_m", NULL);
    expect_error("noise_bins: 4\n", "noise_bins", "4");
    /* a folded plain scalar carries a newline into the value: still one line */
    expect_error("\npolicy: randomc\n \n   56\n", "policy", "randomc?56");
    char err[256] = "";
    struct isac_exp_config c;
    isac_exp_config_defaults(&c);
    assert_true(isac_exp_config_load("/nonexistent/x.yaml", &c, err, sizeof err) < 0);
    assert_non_null(strstr(err, "/nonexistent/x.yaml"));
}

static void test_json_round_trip(void **state)
{
    (void)state;
    struct isac_exp_config a, b;
    isac_exp_config_defaults(&a);
    a.seed = 12345678901ULL;
    snprintf(a.policy, sizeof a.policy, "random");
    a.grid.spacing_m = 7.5;
    json_t *j = isac_exp_config_to_json(&a);
    char err[256] = "";
    if (isac_exp_config_from_json(j, &b, "x", err, sizeof err))
        fail_msg("%s", err);
    json_t *j2 = isac_exp_config_to_json(&b);
    assert_true(json_equal(j, j2));
    json_object_set_new(j2, "pfa", json_string("high"));
    assert_true(isac_exp_config_from_json(j2, &b, "cap.sigmf-meta", err, sizeof err) < 0);
    assert_non_null(strstr(err, "cap.sigmf-meta"));
    json_decref(j);
    json_decref(j2);
}

/* docs/capture-format.md: every isactb:experiment field is optional and takes the default
 * of isac_exp_config_defaults (= experiments/default.yaml); unknown keys and strings too long for
 * their field are refused with one line. */
static void test_json_defaults(void **state)
{
    (void)state;
    struct isac_exp_config a, b;
    isac_exp_config_defaults(&a);
    char err[256] = "";
    json_t *empty = json_object();
    if (isac_exp_config_from_json(empty, &b, "x", err, sizeof err))
        fail_msg("%s", err);
    json_t *ja = isac_exp_config_to_json(&a), *jb = isac_exp_config_to_json(&b);
    assert_true(json_equal(ja, jb));
    json_t *part = json_pack("{s:i,s:{s:s,s:i},s:{s:f}}", "beams", 1, "waveform", "kind", "zc",
                             "length", 4093, "grid", "spacing_m", 2.0);
    if (isac_exp_config_from_json(part, &b, "x", err, sizeof err))
        fail_msg("%s", err);
    assert_int_equal(b.beams, 1);
    assert_string_equal(b.waveform.kind, "zc");
    assert_int_equal(b.waveform.length, 4093);
    assert_int_equal(b.waveform.root, a.waveform.root);
    assert_true(b.grid.spacing_m == 2.0 && b.grid.x_max == a.grid.x_max && b.pfa == a.pfa);
    assert_string_equal(b.policy, a.policy);
    json_t *unk = json_pack("{s:i}", "beam", 3);
    assert_true(isac_exp_config_from_json(unk, &b, "c", err, sizeof err) < 0);
    assert_non_null(strstr(err, "c: isactb:experiment: "));
    assert_null(strchr(err, '\n'));
    json_t *lng = json_pack("{s:s}", "policy", "a-policy-name-longer-than-the-field");
    assert_true(isac_exp_config_from_json(lng, &b, "c", err, sizeof err) < 0);
    assert_non_null(
        strstr(err, "c: isactb:experiment: policy: 'a-policy-name-longer-than-the-field...' longer "
                    "than 15 characters"));
    json_decref(empty);
    json_decref(ja);
    json_decref(jb);
    json_decref(part);
    json_decref(unk);
    json_decref(lng);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_default_yaml_equals_builtin_defaults),
        cmocka_unit_test(test_bad_configs),
        cmocka_unit_test(test_json_round_trip),
        cmocka_unit_test(test_json_defaults),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
