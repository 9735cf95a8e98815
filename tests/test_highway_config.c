/* The highway experiment file: experiments/highway.yaml states exactly the built-in
 * defaults, and bad fields are refused with one line naming the file, field and value. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "engine/highway.h"

static void test_file_equals_defaults(void **st)
{
    (void)st;
    const char *src = getenv("ISACTB_SOURCE_DIR");
    char path[1024], err[512];
    snprintf(path, sizeof path, "%s/experiments/highway.yaml", src ? src : ".");
    struct isac_hwy_config a, b;
    assert_int_equal(isac_hwy_config_load(path, &a, err, sizeof err), ISAC_OK);
    isac_hwy_config_defaults(&b);
    assert_memory_equal(&a, &b, sizeof a);
    assert_int_equal(isac_hwy_config_is_highway(path), 1);
}

static void expect_bad(const char *yaml, const char *needle)
{
    struct isac_hwy_config c;
    char err[512] = "";
    assert_int_not_equal(isac_hwy_config_load_text(yaml, "t.yaml", &c, err, sizeof err), ISAC_OK);
    printf("%s\n", err);
    assert_non_null(strstr(err, needle));
    assert_null(strchr(err, '\n'));
}

static void test_bad_fields(void **st)
{
    (void)st;
    expect_bad("scene: highway\nusers:\n  - {position: [0, 7]}\n",
               "t.yaml: users[0].position: (0, 7) outside the scene");
    expect_bad("scene: highway\nusers:\n  - {nf_db: 3}\n", "t.yaml: users[0].position: missing");
    expect_bad("scene: highway\nusers:\n  - {position: [1]}\n",
               "t.yaml: users[0].position: 1 values, expected [x, y]");
    expect_bad("scene: highway\nofdm: {modulation: bpsk}\n",
               "t.yaml: ofdm.modulation: 'bpsk' unknown");
    expect_bad("scene: highway\nstreams: 1\nusers:\n  - {position: [0, 1]}\n  - {position: [1, "
               "1]}\n  - {position: [2, 1]}\n",
               "t.yaml: users: 3 users, but 2 RSUs x 1 streams can precode at most 2");
    expect_bad("scene: highway\nstreams: 17\n", "t.yaml: streams: 17 outside 1..16");
    expect_bad("scene: highway\nslot_s: 0\n", "t.yaml: slot_s: 0 outside");
    expect_bad("scene: highway\nrsus:\n  - {x: 0, y: 2}\n", "t.yaml: rsus[0]: (0, 2) not beside");
    expect_bad("scene: city\n", "t.yaml: scene: 'city' is not 'highway'");
    expect_bad("scene: highway\nbogus: 1\n", "t.yaml:");
    /* libcyaml alone would load the first document and ignore the rest (engine/yaml_load.h) */
    expect_bad("scene: highway\n---\nseed: 3\n", "t.yaml:2: a second YAML document");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_file_equals_defaults),
        cmocka_unit_test(test_bad_fields),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
