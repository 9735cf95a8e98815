/* The live view's parts that do not need a browser (docs/live-view.md): the map reduction
 * never hides a cell over its threshold and encodes the margin in tenths of a dB; the
 * transmit pattern of a DFT beam peaks at its steering angle with the array gain; the
 * token comparison; the rate limit (never more than 20 frames per second, every CPI
 * counted as published or decimated); a committed frame reaches GET /api/state. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <math.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "array/array.h"
#include "array/codebook.h"
#include "plan/plan.h"
#include "common/err.h"
#include "serve/live_view.h"
#include "serve/run_view.h"
#include "serve/view_frame.h"

static void test_map_reduce(void **state)
{
    (void)state;
    enum { NX = 200, NY = 130 };
    float *lam = malloc(NX * NY * sizeof *lam), *thr = malloc(NX * NY * sizeof *thr);
    int *m = malloc(NX * NY * sizeof *m);
    for (unsigned k = 0; k < NX * NY; k++) {
        lam[k] = 5.0f;
        thr[k] = 10.0f; /* margin -3.0 dB everywhere */
    }
    lam[77 * NX + 151] = 20.0f; /* one cell at +3.0 dB */
    thr[5 * NX + 5] = 0;        /* a cell no AP sees */
    unsigned mx, my, b = view_map_reduce(lam, thr, NX, NY, m, &mx, &my);
    assert_int_equal(b, 4); /* ceil(200 / 64) */
    assert_int_equal(mx, 50);
    assert_int_equal(my, 33);
    unsigned over = 0;
    for (unsigned bj = 0; bj < my; bj++)
        for (unsigned bi = 0; bi < mx; bi++) {
            int v = m[bj * mx + bi];
            if (bj == 77 / 4 && bi == 151 / 4)
                assert_int_equal(v, 30);
            else
                assert_int_equal(v, -30);
            over += v > 0;
        }
    assert_int_equal(over, 1);
    /* small grids are sent cell for cell */
    b = view_map_reduce(lam, thr, 64, 10, m, &mx, &my);
    assert_int_equal(b, 1);
    assert_int_equal(mx, 64);
    free(lam);
    free(thr);
    free(m);
}

/* The encoded frame is valid JSON with the meta fields, the reduced map and the pattern. */
static void test_encode(void **state)
{
    (void)state;
    struct view_frame f = {0};
    assert_int_equal(view_frame_reserve(&f, 100, 70), 0);
    for (unsigned k = 0; k < 100 * 70; k++) {
        f.lambda[k] = 1.0f + (float)(k % 7);
        f.threshold[k] = k == 123 ? NAN : 4.0f;
    }
    f.have_map = 1;
    f.x0 = -50;
    f.y0 = 10;
    f.dx = f.dy = 2.5;
    f.map_episode = 3;
    f.map_step = 9;
    f.have_pattern = 1;
    for (unsigned k = 0; k < VIEW_PATTERN_POINTS; k++)
        f.pattern_db[k] = k == 90 ? NAN : -0.5f * (float)k;
    f.meta = json_pack("{s:s,s:i}", "state", "running", "beam", 7);
    struct live_view_counters c = {.published = 4, .decimated = 11};
    char *txt = view_frame_encode(&f, 5, &c);
    json_error_t e;
    json_t *o = json_loads(txt, 0, &e);
    assert_non_null(o);
    assert_int_equal(json_integer_value(json_object_get(o, "seq")), 5);
    assert_int_equal(json_integer_value(json_object_get(o, "beam")), 7);
    json_t *m = json_object_get(o, "map");
    assert_int_equal(json_integer_value(json_object_get(m, "nx")), 50);
    assert_int_equal(json_integer_value(json_object_get(m, "ny")), 35);
    assert_int_equal(json_integer_value(json_object_get(m, "block")), 2);
    assert_int_equal(json_integer_value(json_object_get(m, "step")), 9);
    assert_true(json_number_value(json_object_get(m, "dx")) == 5.0);
    json_t *v = json_object_get(m, "margin_db_x10");
    assert_int_equal(json_array_size(v), 50 * 35);
    /* block (0, 0) holds cells 0, 1, 100, 101: lambda 1, 2, 3, 4 -> max margin 0 dB */
    assert_int_equal(json_integer_value(json_array_get(v, 0)), 0);
    json_t *g = json_object_get(json_object_get(o, "pattern"), "gain_db");
    assert_int_equal(json_array_size(g), VIEW_PATTERN_POINTS);
    assert_true(json_number_value(json_array_get(g, 90)) == -100.0);
    assert_int_equal(json_integer_value(json_object_get(json_object_get(o, "view"), "decimated")),
                     11);
    json_decref(o);
    free(txt);
    view_frame_free(&f);
}

static void test_pattern_peak(void **state)
{
    (void)state;
    isac_array a = isac_array_create_ula(8, 0.5);
    isac_codebook cb = isac_codebook_create_dft(a, 16, -M_PI / 2, M_PI / 2);
    float g[VIEW_PATTERN_POINTS];
    for (unsigned q = 2; q < 14; q += 3) {
        isac_tx_plan p = isac_tx_plan_from_beam(cb, q);
        run_view_plan_pattern(a, p, g);
        unsigned best = 0;
        for (unsigned k = 1; k < VIEW_PATTERN_POINTS; k++)
            best = g[k] > g[best] ? k : best;
        double want = isac_codebook_angle(cb, q) * 180 / M_PI;
        assert_true(fabs((-90.0 + best) - want) <= 1.0);
        assert_true(fabs(g[best] - 10 * log10(8)) < 0.2); /* array gain of 8 elements */
        isac_tx_plan_destroy(p);
    }
    isac_codebook_destroy(cb);
    isac_array_destroy(a);
}

static void test_token(void **state)
{
    (void)state;
    const char *t = "0123456789abcdef0123456789abcdef";
    assert_true(live_view_token_equal(t, "0123456789abcdef0123456789abcdef"));
    assert_false(live_view_token_equal(t, "0123456789abcdef0123456789abcdee"));
    assert_false(live_view_token_equal(t, "0123456789abcdef0123456789abcde"));
    assert_false(live_view_token_equal(t, "0123456789abcdef0123456789abcdef0"));
    assert_false(live_view_token_equal(t, ""));
    assert_false(live_view_token_equal(t, NULL));
}

static double mono(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static void fill(void *ctx, struct view_frame *f)
{
    f->meta = json_pack("{s:s,s:i}", "state", "test", "beam", *(int *)ctx);
}

/* GET path over a raw socket; returns the whole response (caller frees). */
static char *request(unsigned port, const char *method, const char *path, const char *token)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
    assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    char req[320], *buf = calloc(1, 1 << 16);
    int n = snprintf(req, sizeof req,
                     "%s %s HTTP/1.1\r\nHost: 127.0.0.1:%u\r\n%s%s%sConnection: close\r\n\r\n",
                     method, path, port, token ? "X-Isactb-Token: " : "", token ? token : "",
                     token ? "\r\n" : "");
    assert_int_equal(send(fd, req, (size_t)n, 0), n);
    size_t len = 0;
    ssize_t got;
    while (len < (1 << 16) - 1 && (got = recv(fd, buf + len, (1 << 16) - 1 - len, 0)) > 0)
        len += (size_t)got;
    close(fd);
    return buf;
}

static char *get(unsigned port, const char *path)
{
    return request(port, "GET", path, NULL);
}

/* POST one control; 1 when the status line is `want`. */
static int post_is(live_view v, const char *path, const char *token, const char *want)
{
    char *resp = request(live_view_port(v), "POST", path, token);
    int ok = strstr(resp, want) == resp + 9; /* after "HTTP/1.1 " */
    if (!ok)
        print_message("POST %s: %.40s\n", path, resp);
    free(resp);
    return ok;
}

/* The change-policy control: 409 until policies are offered, the token is required, a
 * request is taken once, unknown names are refused and not taken. */
static void test_policy_control(void **state)
{
    (void)state;
    char err[256];
    struct live_view_opts o = {.port = 0, .kind = "run"};
    live_view v = live_view_create(&o, err, sizeof err);
    assert_non_null(v);
    const char *tok = live_view_token(v);
    assert_true(post_is(v, "/api/policy?name=scan", tok, "409"));
    const char *names[] = {"scan", "sweep"}, *bad[] = {"", "x"};
    const char *const *got;
    assert_int_equal(live_view_offer_policies(v, names, 0), ISAC_EINVAL);
    assert_int_equal(live_view_offer_policies(v, bad, 2), ISAC_EINVAL);
    assert_int_equal(live_view_offer_policies(v, names, 2), ISAC_OK);
    assert_int_equal(live_view_policies(v, &got), 2);
    assert_string_equal(got[1], "sweep");
    assert_null(live_view_take_policy(v));
    assert_true(post_is(v, "/api/policy?name=sweep", NULL, "401"));
    assert_true(post_is(v, "/api/policy?name=sweep", "0123456789abcdef0123456789abcdef", "403"));
    assert_null(live_view_take_policy(v));
    assert_true(post_is(v, "/api/policy?name=sweep", tok, "200"));
    assert_string_equal(live_view_take_policy(v), "sweep");
    assert_null(live_view_take_policy(v));
    assert_true(post_is(v, "/api/policy?name=nosuch", tok, "400"));
    assert_true(post_is(v, "/api/policy", tok, "400"));
    assert_true(post_is(v, "/api/policy?name=scan", tok, "200"));
    assert_true(post_is(v, "/api/policy?name=sweep", tok, "200")); /* the last one wins */
    assert_string_equal(live_view_take_policy(v), "sweep");
    live_view_destroy(v);
}

static void test_rate_limit_and_state(void **state)
{
    (void)state;
    char err[256];
    struct live_view_opts o = {.port = 0, .kind = "run"};
    live_view v = live_view_create(&o, err, sizeof err);
    assert_non_null(v);
    assert_int_equal(strlen(live_view_token(v)), 32);
    assert_string_equal(live_view_address(v), "127.0.0.1");
    unsigned calls = 0, due = 0;
    double t0 = mono(), el;
    while ((el = mono() - t0) < 0.3) {
        calls++;
        if (live_view_due(v, 0)) {
            due++;
            struct view_frame *f = live_view_slot(v);
            if (f) {
                int beam = (int)due;
                fill(&beam, f);
                live_view_commit(v);
            }
        }
    }
    /* at most one frame per 1/20 s, the first at once */
    assert_true(due <= (unsigned)(el * VIEW_MAX_RATE_HZ) + 1);
    assert_true(due >= 2);
    struct live_view_counters c;
    int beam = 4242;
    assert_int_equal(live_view_publish_now(v, fill, &beam), 0);
    live_view_counters(v, &c);
    assert_int_equal(c.decimated, calls - due);
    assert_int_equal(c.published + c.dropped, due + 1);
    char *resp = get(live_view_port(v), "/api/state");
    assert_non_null(strstr(resp, "HTTP/1.1 200"));
    assert_non_null(strstr(resp, "\"beam\":4242"));
    assert_non_null(strstr(resp, "\"state\":\"test\""));
    free(resp);
    resp = get(live_view_port(v), "/nowhere");
    assert_non_null(strstr(resp, "HTTP/1.1 404"));
    free(resp);
    live_view_destroy(v);
}

static void test_bad_address(void **state)
{
    (void)state;
    char err[256];
    struct live_view_opts o = {.addr = "localhost", .port = 0};
    assert_null(live_view_create(&o, err, sizeof err));
    assert_non_null(strstr(err, "localhost"));
    o = (struct live_view_opts){.addr = "127.0.0.1", .port = 70000};
    assert_null(live_view_create(&o, err, sizeof err));
    assert_non_null(strstr(err, "70000"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_map_reduce),           cmocka_unit_test(test_encode),
        cmocka_unit_test(test_pattern_peak),         cmocka_unit_test(test_token),
        cmocka_unit_test(test_rate_limit_and_state), cmocka_unit_test(test_bad_address),
        cmocka_unit_test(test_policy_control),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
