/* Results do not depend on the thread count (issue 16): the closed loop on the emulator
 * with the per-AP units run by 1, 2 and 5 threads gives the same episodes (decisions and
 * every real in the JSON log) and, at every CPI, bit for bit the same fusion statistic
 * over the whole grid and the same per-AP output blocks (terms, noise variance, MF
 * outputs). The emulator and the default probe and window (FFT size 4608) are used; the
 * arrays are reduced to 8 elements per AP to keep the test short. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "detect/ap_unit.h"
#include "engine/run.h"

#define MAX_CPIS 256

/* Under AddressSanitizer the same comparison on fewer CPIs and thread counts (the Release
 * run carries the full one). */
#if defined(__SANITIZE_ADDRESS__)
#define EPISODES 2
#define NCOUNTS 1
#else
#define EPISODES 5
#define NCOUNTS 2
#endif

struct digest {
    unsigned n;
    uint64_t h[MAX_CPIS];
};

static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++)
        h = (h ^ b[i]) * 0x100000001b3ULL;
    return h;
}

/* One 64-bit digest per CPI of everything the pipeline computed for it. */
static void on_step(void *ctx, isac_pipeline p, unsigned ep, unsigned step,
                    const struct isac_pipeline_result *res)
{
    (void)ep;
    (void)step;
    (void)res;
    struct digest *d = ctx;
    unsigned nx, ny;
    const float *lambda, *thr;
    isac_pipeline_grid(p, &nx, &ny, &lambda, &thr);
    uint64_t h = fnv(0xcbf29ce484222325ULL, lambda, (size_t)nx * ny * sizeof *lambda);
    const struct isac_ap_unit_out *o;
    for (unsigned n = 0; (o = isac_pipeline_ap_output(p, n)); n++) {
        h = fnv(h, o->term, o->h.ncells * sizeof *o->term);
        h = fnv(h, &o->h.noise_var, sizeof o->h.noise_var);
        h = fnv(h, o->dp_gain, o->h.M * sizeof *o->dp_gain);
        h = fnv(h, o->z, (size_t)o->h.M * o->h.K * sizeof *o->z);
    }
    assert_true(d->n < MAX_CPIS);
    d->h[d->n++] = h;
}

static json_t *run(unsigned threads, struct digest *d)
{
    struct isac_exp_config cfg;
    isac_exp_config_defaults(&cfg);
    snprintf(cfg.radio, sizeof cfg.radio, "sim:elements=8");
    cfg.episodes = EPISODES;
    cfg.max_steps = 24;
    cfg.beams = 16;
    char err[512];
    isac_radio r = isac_radio_open(cfg.radio, err, sizeof err);
    assert_non_null(r);
    struct isac_radio_info info;
    isac_radio_get_info(r, &info);
    isac_codebook cb = isac_exp_codebook(&cfg, &info, err, sizeof err);
    assert_non_null(cb);
    memset(d, 0, sizeof *d);
    struct isac_run_hooks h = {.on_step = on_step, .ctx = d, .threads = threads};
    json_t *out = NULL;
    if (isac_exp_run(&cfg, r, cb, NULL, &h, &out, err, sizeof err))
        fail_msg("%s", err);
    assert_int_equal(json_integer_value(json_object_get(json_object_get(out, "timing"), "threads")),
                     threads);
    isac_codebook_destroy(cb);
    isac_radio_close(r);
    return out;
}

static void test_same_for_any_thread_count(void **state)
{
    (void)state;
    struct digest d1, dn;
    json_t *one = run(1, &d1);
    assert_true(d1.n >= 4);
    static const unsigned counts[] = {2, 5};
    for (unsigned i = 0; i < NCOUNTS; i++) {
        json_t *many = run(counts[i], &dn);
        assert_true(
            json_equal(json_object_get(one, "episodes"), json_object_get(many, "episodes")));
        assert_int_equal(dn.n, d1.n);
        for (unsigned k = 0; k < d1.n; k++)
            if (dn.h[k] != d1.h[k])
                fail_msg("%u threads: CPI %u differs from 1 thread", counts[i], k);
        json_decref(many);
    }
    printf("%u CPIs bit for bit equal with 1 and %s threads\n", d1.n, NCOUNTS > 1 ? "2, 5" : "2");
    json_decref(one);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_same_for_any_thread_count)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
