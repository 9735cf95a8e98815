/* Storage of the Bi-LSTM (host/learn/lstm.h) and of sequence sets (lstm_data.h):
 *  - a weights file round-trips bit for bit (every parameter, the same outputs), the
 *    generated C tables hold every float exactly (%a parsed back) and a network built
 *    from the tables (isac_bilstm_from_def) gives the same outputs;
 *  - corrupted weights files are refused with one line naming the file, field and value:
 *    not JSON, format, version, a shape field, the parameter count, a non-number, an
 *    out-of-range float, a mismatch with the wanted shape;
 *  - a sequence file round-trips bit for bit, and every bad field of one is refused the
 *    same way: magic, version, in, out, head, ball_groups, max_len, count, a sequence's
 *    len, a non-finite feature, a classification target outside [0, 1], a beam target
 *    outside the unit ball, a truncated file, trailing bytes; a file that is not a
 *    regular file is refused too; nothing is left half-written (no .tmp). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <cblas.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/rng.h"
#include "learn/lstm.h"
#include "learn/lstm_data.h"

static char dir[64];

static void path_of(char *out, size_t n, const char *name)
{
    snprintf(out, n, "%s/%s", dir, name);
}

static isac_bilstm small_net(uint64_t seed, enum isac_bilstm_head head)
{
    struct isac_bilstm_cfg c;
    isac_bilstm_cfg_defaults(&c, 3, 4);
    c.hidden = 5;
    c.layers = 2;
    c.ndense = 2;
    c.dense[0] = 6;
    c.dense[1] = 3;
    c.head = head;
    c.ball_groups = head == ISAC_BILSTM_HEAD_MSE ? 2 : 0;
    c.max_len = 16;
    char err[256];
    isac_bilstm n = isac_bilstm_create(&c, seed, err, sizeof err);
    assert_non_null(n);
    return n;
}

static void outputs(isac_bilstm n, float *y)
{
    float x[7 * 3];
    for (unsigned i = 0; i < 21; i++)
        x[i] = (float)sin(0.7 * i);
    assert_int_equal(isac_bilstm_forward(n, 7, x, y), 0);
}

static void test_weights_round_trip(void **s)
{
    (void)s;
    for (int head = 0; head < 2; head++) {
        isac_bilstm n = small_net(5 + head, (enum isac_bilstm_head)head);
        char p[128], err[256];
        path_of(p, sizeof p, "w.json");
        unlink(p);
        assert_int_equal(isac_bilstm_save(n, p, "{\"seed\": 5}", err, sizeof err), 0);
        isac_bilstm m = isac_bilstm_load(p, NULL, err, sizeof err);
        if (!m)
            fail_msg("%s", err);
        size_t np = isac_bilstm_num_params(n);
        assert_int_equal(isac_bilstm_num_params(m), np);
        float *a = malloc(np * sizeof *a), *b = malloc(np * sizeof *b);
        isac_bilstm_get_params(n, a);
        isac_bilstm_get_params(m, b);
        assert_memory_equal(a, b, np * sizeof *a);
        float ya[28], yb[28];
        outputs(n, ya);
        outputs(m, yb);
        assert_memory_equal(ya, yb, sizeof ya);
        assert_int_equal(isac_bilstm_get_cfg(m)->head, head);
        /* the wanted shape must match */
        struct isac_bilstm_cfg want;
        isac_bilstm_cfg_defaults(&want, 3, 5);
        assert_null(isac_bilstm_load(p, &want, err, sizeof err));
        assert_non_null(strstr(err, "out: 4, expected 5"));
        assert_non_null(strstr(err, p));
        isac_bilstm_cfg_defaults(&want, 3, 4);
        want.head = head ? ISAC_BILSTM_HEAD_BCE : ISAC_BILSTM_HEAD_MSE;
        assert_null(isac_bilstm_load(p, &want, err, sizeof err));
        assert_non_null(strstr(err, "head:"));
        /* C tables: every value exact, and a network from the tables is the same */
        char *src = isac_bilstm_format_c(n, "lstm_test", "test network\nsecond line");
        assert_non_null(src);
        const char *q = strstr(src, "_params[");
        assert_non_null(q);
        q = strchr(q, '{') + 1;
        for (size_t i = 0; i < np; i++) {
            char *end;
            float v = strtof(q, &end);
            assert_true(end != q);
            assert_memory_equal(&v, &a[i], sizeof v);
            q = end + strspn(end, ", \n");
        }
        assert_non_null(strstr(src, "const struct isac_bilstm_def lstm_test = {"));
        free(src);
        struct isac_bilstm_def d = {.version = ISAC_BILSTM_VERSION,
                                    .in = 3,
                                    .hidden = 5,
                                    .layers = 2,
                                    .ndense = 2,
                                    .dense = {6, 3},
                                    .out = 4,
                                    .head = head,
                                    .ball_groups = head ? 2 : 0,
                                    .nparams = np,
                                    .params = a};
        isac_bilstm k = isac_bilstm_from_def(&d, NULL, err, sizeof err);
        assert_non_null(k);
        outputs(k, yb);
        assert_memory_equal(ya, yb, sizeof ya);
        isac_bilstm_destroy(k);
        d.nparams = np - 1;
        assert_null(isac_bilstm_from_def(&d, NULL, err, sizeof err));
        assert_non_null(strstr(err, "params:"));
        d.nparams = np;
        a[7] = NAN;
        assert_int_equal(isac_bilstm_def_check(&d, err, sizeof err), -1);
        assert_non_null(strstr(err, "params[7]: not finite"));
        free(a);
        free(b);
        isac_bilstm_destroy(n);
        isac_bilstm_destroy(m);
    }
}

/* Write text as a weights file and expect a refusal mentioning needle. */
static void bad_weights(const char *text, const char *needle)
{
    char p[128], err[256] = "";
    path_of(p, sizeof p, "bad.json");
    FILE *f = fopen(p, "w");
    fputs(text, f);
    fclose(f);
    isac_bilstm n = isac_bilstm_load(p, NULL, err, sizeof err);
    if (n)
        fail_msg("accepted: %s", text);
    printf("  %s\n", err);
    if (!strstr(err, needle) || !strstr(err, p) || strchr(err, '\n'))
        fail_msg("expected '%s' in '%s'", needle, err);
}

/* A valid file of the 1-in 1-out, hidden 1, no-dense network: 2 x (4 + 4 + 4) + 2 + 1 */
#define HEAD "{\"format\":\"isactb-bilstm\",\"version\":1,\"in\":1,\"hidden\":1,\"layers\":1,"
#define PARAMS27 "[0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0]"

static void test_weights_corrupted(void **s)
{
    (void)s;
    char p[128], err[256];
    path_of(p, sizeof p, "ok.json");
    FILE *f = fopen(p, "w");
    fputs(HEAD "\"dense\":[],\"out\":1,\"head\":\"bce\",\"ball_groups\":0,\"params\":" PARAMS27 "}",
          f);
    fclose(f);
    isac_bilstm n = isac_bilstm_load(p, NULL, err, sizeof err);
    if (!n)
        fail_msg("%s", err);
    isac_bilstm_destroy(n);
    bad_weights("{\"format\":", "not JSON");
    bad_weights("{\"format\":\"isactb-qnet\",\"version\":1}", "format: expected \"isactb-bilstm\"");
    bad_weights("{\"format\":\"isactb-bilstm\",\"version\":2}", "version: 2 is not supported");
    bad_weights(HEAD "\"dense\":[],\"out\":0}", "out: 0 outside 1..4096");
    bad_weights("{\"format\":\"isactb-bilstm\",\"version\":1,\"in\":1,\"hidden\":1,\"layers\":9}",
                "layers: 9 outside 1..4");
    bad_weights(HEAD "\"dense\":[0],\"out\":1,\"ball_groups\":0}", "dense[0]: expected");
    bad_weights(HEAD "\"dense\":[],\"out\":1,\"head\":\"relu\",\"ball_groups\":0}",
                "head: expected");
    bad_weights(
        HEAD "\"dense\":[],\"out\":1,\"head\":\"bce\",\"ball_groups\":1,\"params\":" PARAMS27 "}",
        "ball_groups: 1 needs the mse head");
    bad_weights(HEAD "\"dense\":[],\"out\":1,\"head\":\"bce\",\"ball_groups\":0,\"params\":[0,1]}",
                "params: 2 values, the shapes need 27");
    bad_weights(HEAD
                "\"dense\":[],\"out\":1,\"head\":\"bce\",\"ball_groups\":0,\"params\":[0,\"x\"]}",
                "params[1]: not a number");
    bad_weights(HEAD
                "\"dense\":[],\"out\":1,\"head\":\"bce\",\"ball_groups\":0,\"params\":[0,1e39]}",
                "params[1]: 1e+39 is not a finite float");
    bad_weights(HEAD "\"dense\":[],\"out\":1,\"head\":\"bce\",\"ball_groups\":0}",
                "params: missing or not an array");
    /* not a regular file */
    assert_null(isac_bilstm_load(dir, NULL, err, sizeof err));
    assert_non_null(strstr(err, "not a regular file"));
}

/* ---- sequence files ---- */

static void put32(unsigned char *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

static void make_set(struct isac_seqset *s, enum isac_bilstm_head head)
{
    assert_int_equal(isac_seqset_init(s, 2, 2, head, head ? 1 : 0), 0);
    isac_rng r;
    isac_rng_seed(&r, 3);
    for (unsigned i = 0; i < 5; i++) {
        float x[2 * 6], y[2 * 6];
        unsigned len = 1 + i;
        for (unsigned k = 0; k < 2 * len; k++) {
            x[k] = (float)isac_rng_normal(&r);
            y[k] = head ? (float)(0.7 * isac_rng_uniform(&r)) : (float)(isac_rng_uniform(&r) < 0.5);
        }
        assert_int_equal(isac_seqset_push(s, len, x, y), 0);
    }
}

static size_t file_bytes(const char *p, unsigned char *buf, size_t cap)
{
    FILE *f = fopen(p, "rb");
    size_t n = fread(buf, 1, cap, f);
    fclose(f);
    return n;
}

static void bad_seq(const unsigned char *buf, size_t n, const char *needle)
{
    char p[128], err[256] = "";
    path_of(p, sizeof p, "bad.seq");
    FILE *f = fopen(p, "wb");
    fwrite(buf, 1, n, f);
    fclose(f);
    struct isac_seqset s;
    if (!isac_seqset_read(p, &s, err, sizeof err))
        fail_msg("accepted a file that should say '%s'", needle);
    printf("  %s\n", err);
    if (!strstr(err, needle) || !strstr(err, p) || strchr(err, '\n'))
        fail_msg("expected '%s' in '%s'", needle, err);
    assert_null(s.x);
}

static void test_seq_file(void **st)
{
    (void)st;
    char p[128], err[256];
    path_of(p, sizeof p, "a.seq");
    for (int head = 0; head < 2; head++) {
        struct isac_seqset s, r;
        make_set(&s, (enum isac_bilstm_head)head);
        unlink(p);
        assert_int_equal(isac_seqset_write(&s, p, err, sizeof err), 0);
        assert_int_equal(isac_seqset_read(p, &r, err, sizeof err), 0);
        assert_int_equal(r.n, s.n);
        assert_int_equal(r.in, 2);
        assert_int_equal(r.head, (unsigned)head);
        assert_int_equal(r.max_len, 5);
        assert_memory_equal(r.len, s.len, s.n * sizeof *s.len);
        assert_memory_equal(r.x, s.x, s.steps * 2 * sizeof(float));
        assert_memory_equal(r.y, s.y, s.steps * 2 * sizeof(float));
        struct isac_seqset a, b;
        assert_int_equal(isac_seqset_split(&r, 2, &a, &b), 0);
        assert_int_equal(a.n, 2);
        assert_int_equal(b.n, 3);
        assert_memory_equal(isac_seqset_get(&b, 0).x, isac_seqset_get(&s, 2).x,
                            3 * 2 * sizeof(float));
        isac_seqset_free(&a);
        isac_seqset_free(&b);
        isac_seqset_free(&r);
        isac_seqset_free(&s);
    }
    char tmp[140];
    snprintf(tmp, sizeof tmp, "%s.tmp", p);
    assert_int_equal(access(tmp, F_OK), -1);
    /* push refuses bad values */
    struct isac_seqset s;
    isac_seqset_init(&s, 1, 1, ISAC_BILSTM_HEAD_BCE, 0);
    float one = 1, two = 2, nan = NAN;
    assert_int_equal(isac_seqset_push(&s, 1, &one, &two), -1);
    assert_int_equal(isac_seqset_push(&s, 1, &nan, &one), -1);
    assert_int_equal(isac_seqset_push(&s, 0, &one, &one), -1);
    isac_seqset_free(&s);

    /* the classification file of the loop above (head 0) as bytes, then corrupted */
    make_set(&s, ISAC_BILSTM_HEAD_BCE);
    unlink(p);
    assert_int_equal(isac_seqset_write(&s, p, err, sizeof err), 0);
    isac_seqset_free(&s);
    unsigned char good[1024], b[1100];
    size_t n = file_bytes(p, good, sizeof good);
    assert_int_equal(n, 40 + 5 * 4 + 15 * 2 * 4 * 2);
#define CORRUPT(off, val, needle)                                                                  \
    do {                                                                                           \
        memcpy(b, good, n);                                                                        \
        put32(b + (off), (val));                                                                   \
        bad_seq(b, n, needle);                                                                     \
    } while (0)
    memcpy(b, good, n);
    b[0] = 'X';
    bad_seq(b, n, "magic: not an isactb sequence file");
    CORRUPT(8, 3, "version: 3 is not supported");
    CORRUPT(12, 0, "in: 0 outside 1..4096");
    CORRUPT(16, 5000, "out: 5000 outside 1..4096");
    CORRUPT(20, 2, "head: 2 is neither");
    CORRUPT(24, 3, "ball_groups: 3 needs head 1");
    CORRUPT(28, 0, "max_len: 0 outside 1..65536");
    CORRUPT(28, 4, "sequence 4: len: 5 outside 1..4 (max_len)");
    CORRUPT(32, 0, "count: 0 outside 1..2^32");
    CORRUPT(32, 6, "count: 6 sequences announced, the file ends before sequence 5");
    CORRUPT(32, 4, "count: trailing bytes after the 4 announced sequences");
    CORRUPT(40, 0, "sequence 0: len: 0 outside 1..5");
    /* sequence 1 starts at 40 + 4 + 1 x 2 x 4 + 1 x 2 x 4 = 60; its step 1 x[1] at 64 + 12 */
    CORRUPT(76, 0x7fc00000u, "sequence 1 step 1: x[1]: nan is not finite");
    /* its targets follow the 2 x 2 features: step 0 y[1] at 64 + 16 + 4 */
    CORRUPT(84, 0x3fc00000u, "sequence 1 step 0: y[1]: 1.5 is not a target in [0, 1]");
    bad_seq(good, n - 3, "count: 5 sequences announced, the file ends in sequence 4");
    bad_seq(good, 20, "header: file shorter than the 40-byte header");
    /* a regression file whose beam leaves the unit ball */
    make_set(&s, ISAC_BILSTM_HEAD_MSE);
    unlink(p);
    assert_int_equal(isac_seqset_write(&s, p, err, sizeof err), 0);
    isac_seqset_free(&s);
    n = file_bytes(p, good, sizeof good);
    memcpy(b, good, n);
    put32(b + 40 + 4 + 8, 0x3f800000u); /* y[0] = 1 next to y[1] != 0 */
    put32(b + 40 + 4 + 12, 0x3f000000u);
    bad_seq(b, n, "sequence 0 step 0: y[0..]: group norm above 1 (ball_groups 1)");
    struct isac_seqset r;
    assert_int_equal(isac_seqset_read(dir, &r, err, sizeof err), -1);
    assert_non_null(strstr(err, "not a regular file"));
}

static int setup(void **s)
{
    (void)s;
    snprintf(dir, sizeof dir, "/tmp/test_lstm_io.XXXXXX");
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **s)
{
    (void)s;
    const char *names[] = {"w.json", "bad.json", "ok.json", "a.seq", "bad.seq"};
    char p[128];
    for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
        path_of(p, sizeof p, names[i]);
        unlink(p);
    }
    return rmdir(dir);
}

int main(void)
{
    openblas_set_num_threads(1);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_weights_round_trip),
        cmocka_unit_test(test_weights_corrupted),
        cmocka_unit_test(test_seq_file),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
