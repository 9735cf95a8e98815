/* Per-AP units + fusion (host/detect/ap_unit.h, fusion.h) against the monolithic path they
 * replaced (tests/pipeline_oracle.h): on the same captured windows, for several emulator
 * seeds and target counts, with and without calibration and direct-path cancellation, in
 * search and confirmation (focus) mode, every field of the result must be equal (== on
 * doubles) and the grid maps equal byte for byte. The same holds when the unit blocks go
 * through the wire form (pack -> unpack) into a separate fusion object. The wire form
 * refuses truncated, garbled and out-of-range blocks. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>

#include "engine/run.h"
#include "pipeline_oracle.h"
#include "sim/sim.h"

#define STEPS 12

struct tcase {
    unsigned seed, targets;
    int cal; /* 0 none, 1 with lag0 = 2.5, 2 with lag0 = 0 */
    int dp_cancel;
};

static void synthetic_cal(const struct isac_radio_info *in, int kind,
                          struct isac_chan_correction *c)
{
    memset(c, 0, sizeof *c);
    c->num_rx = in->num_rx;
    c->num_tx = in->num_tx;
    for (unsigned ch = 0; ch < in->num_rx; ch++) {
        double ph = 0.37 * ch;
        c->rx_weight[ch] = (float complex)((0.8 + 0.01 * ch) * cexp(I * ph));
        c->rx_delay[ch] = fmod(0.713 * ch, 3.0);
    }
    for (unsigned k = 0; k < in->num_tx; k++)
        c->tx_weight[k] = 1.0f;
    c->lag0_delay = kind == 1 ? 2.5 : 0.0;
}

static void assert_same(const struct isac_pipeline_result *a, const struct isac_pipeline_result *b,
                        unsigned naps)
{
    assert_int_equal(a->detected, b->detected);
    assert_true(a->lambda == b->lambda);
    assert_true(a->threshold == b->threshold || (isinf(a->threshold) && isinf(b->threshold)));
    assert_int_equal(a->num_aps, b->num_aps);
    assert_true(a->x == b->x && a->y == b->y);
    assert_true(a->pd == b->pd);
    assert_int_equal(a->cells_over, b->cells_over);
    assert_int_equal(a->confirm, b->confirm);
    assert_memory_equal(a->noise_var, b->noise_var, naps * sizeof a->noise_var[0]);
}

/* The blocks of the last CPI through pack/unpack into a fresh fusion: same decision. */
static void check_wire_fusion(isac_pipeline p, unsigned naps,
                              const struct isac_pipeline_focus *focus,
                              const struct isac_pipeline_result *res, int with_mf)
{
    struct isac_ap_unit_out *blk[ISAC_RADIO_MAX_APS] = {0};
    for (unsigned n = 0; n < naps; n++) {
        const struct isac_ap_unit_out *o = isac_pipeline_ap_output(p, n);
        size_t cap = isac_ap_unit_out_packed_size(o, with_mf), len = 0;
        uint8_t *buf = malloc(cap);
        assert_int_equal(isac_ap_unit_out_pack(o, with_mf, buf, cap, &len), ISAC_OK);
        assert_int_equal(len, cap);
        assert_int_equal(isac_ap_unit_out_unpack(buf, len, &blk[n]), ISAC_OK);
        free(buf);
    }
    isac_fusion f = isac_fusion_create(isac_pipeline_fusion_config(p));
    assert_non_null(f);
    struct isac_fusion_focus ff =
        focus ? (struct isac_fusion_focus){focus->x, focus->y, focus->radius_m}
              : (struct isac_fusion_focus){0};
    struct isac_fusion_result fr;
    assert_int_equal(isac_fusion_execute(f, (const struct isac_ap_unit_out *const *)blk,
                                         focus ? &ff : NULL, &fr),
                     ISAC_OK);
    struct isac_pipeline_result r2 = *res;
    r2.detected = fr.detected;
    r2.lambda = fr.lambda;
    r2.threshold = fr.threshold;
    r2.num_aps = fr.num_aps;
    r2.x = fr.x;
    r2.y = fr.y;
    r2.pd = fr.pd;
    r2.cells_over = fr.cells_over;
    memcpy(r2.noise_var, fr.noise_var, naps * sizeof fr.noise_var[0]);
    assert_same(res, &r2, naps);
    unsigned nx, ny;
    const float *lam, *thr;
    isac_pipeline_grid(p, &nx, &ny, &lam, &thr);
    assert_memory_equal(isac_fusion_stat(f), lam, (size_t)nx * ny * sizeof *lam);
    assert_memory_equal(isac_fusion_threshold(f), thr, (size_t)nx * ny * sizeof *thr);
    isac_fusion_destroy(f);
    for (unsigned n = 0; n < naps; n++)
        isac_ap_unit_out_destroy(blk[n]);
}

/* Focus of step s: a dwell on the previous declaration, on the true target every third
 * step, and once on a place no cell lies near (the empty-neighbourhood branch). */
static const struct isac_pipeline_focus *pick_focus(unsigned s, isac_radio r, unsigned targets,
                                                    int64_t t0,
                                                    const struct isac_pipeline_result *prev,
                                                    struct isac_pipeline_focus *f)
{
    *f = (struct isac_pipeline_focus){0, 0, 25.0};
    if (s > 0 && !prev->confirm && prev->detected) {
        f->x = prev->x;
        f->y = prev->y;
        return f;
    }
    if (s == 5) {
        *f = (struct isac_pipeline_focus){-5000.0, -5000.0, 1.0};
        return f;
    }
    struct isac_sim_path t;
    if (targets && s % 3 == 2 && isac_sim_target_path(isac_radio_get_state(r), 0, 0, t0, &t) == 0) {
        f->x = t.x;
        f->y = t.y;
        return f;
    }
    return NULL;
}

static unsigned run_case(const struct tcase *tc)
{
    struct isac_exp_config cfg;
    isac_exp_config_defaults(&cfg);
    cfg.direct_path_cancel = tc->dp_cancel;
    char spec[128], err[512];
    snprintf(spec, sizeof spec, "sim:seed=%u,targets=%u", tc->seed, tc->targets);
    isac_radio r = isac_radio_open(spec, err, sizeof err);
    assert_non_null(r);
    struct isac_radio_info info;
    isac_radio_get_info(r, &info);
    isac_codebook cb = isac_exp_codebook(&cfg, &info, err, sizeof err);
    assert_non_null(cb);
    isac_pipeline p = isac_pipeline_create(&cfg, &info, cb, cfg.pfa, err, sizeof err);
    assert_non_null(p);
    struct isac_chan_correction cal;
    if (tc->cal) {
        synthetic_cal(&info, tc->cal, &cal);
        assert_int_equal(isac_pipeline_set_calibration(p, &cal, err, sizeof err), ISAC_OK);
    }
    struct oracle *o = oracle_create(&cfg, &info, isac_pipeline_probe(p),
                                     isac_pipeline_probe_length(p), cfg.pfa, tc->cal ? &cal : NULL);
    int64_t tick = 0;
    assert_int_equal(isac_radio_start_episode(r, 1, &tick), ISAC_OK);
    struct isac_pipeline_result res = {0}, ores;
    unsigned declared = 0;
    for (unsigned s = 0; s < STEPS; s++, tick += 20000) {
        struct isac_pipeline_focus fb;
        const struct isac_pipeline_focus *f = pick_focus(s, r, tc->targets, tick, &res, &fb);
        unsigned beam = (3 * s) % isac_codebook_size(cb);
        isac_tx_plan plan = isac_tx_plan_from_beam(cb, beam);
        assert_int_equal(isac_pipeline_step(p, r, plan, tick, f, &res), ISAC_OK);
        isac_tx_plan_destroy(plan);
        assert_int_equal(
            oracle_process(o, (const float complex *const *)isac_pipeline_rx(p), beam, f, &ores),
            ISAC_OK);
        assert_same(&res, &ores, info.num_rx_aps);
        unsigned nx, ny;
        const float *lam, *thr;
        isac_pipeline_grid(p, &nx, &ny, &lam, &thr);
        assert_memory_equal(lam, o->stat, (size_t)nx * ny * sizeof *lam);
        assert_memory_equal(thr, o->thr, (size_t)nx * ny * sizeof *thr);
        check_wire_fusion(p, info.num_rx_aps, f, &res, s % 2);
        declared += res.detected;
    }
    oracle_destroy(o);
    isac_pipeline_destroy(p);
    isac_codebook_destroy(cb);
    isac_radio_close(r);
    return declared;
}

static void test_units_fusion_match_monolithic(void **state)
{
    (void)state;
    const struct tcase cases[] = {
        {4, 1, 0, 1},  {7, 2, 0, 1}, {9, 0, 0, 1}, {4, 1, 1, 1},
        {11, 2, 2, 1}, {5, 1, 1, 0}, {3, 1, 0, 0},
    };
    unsigned declared = 0;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        unsigned d = run_case(&cases[i]);
        printf("seed %u, %u targets, calibration %d, direct-path cancel %d: %d CPIs identical, "
               "%u detections\n",
               cases[i].seed, cases[i].targets, cases[i].cal, cases[i].dp_cancel, STEPS, d);
        declared += d;
    }
    assert_true(declared > 0); /* the detected branch was exercised */
}

/* ---- wire form ---- */

static struct isac_ap_unit_out *sample_block(void)
{
    struct isac_ap_unit_out *o = isac_ap_unit_out_alloc(3, 5, 7, 1);
    assert_non_null(o);
    o->h.ap = 2;
    o->h.beam = 17;
    o->h.cpi = 123456789012ull;
    o->h.noise_var = 0.0123;
    o->h.lag0_delay = 2.5;
    for (unsigned c = 0; c < 7; c++) {
        o->visible[c] = c % 3 != 0;
        o->term[c] = o->visible[c] ? 0.5f * c + 1e-7f : 0.0f;
    }
    for (unsigned m = 0; m < 3; m++)
        o->dp_gain[m] = 0.1f * m - 0.3f * I;
    for (unsigned i = 0; i < 15; i++)
        o->z[i] = (float)i - 2.0f * I * (float)i;
    return o;
}

static uint8_t *pack(const struct isac_ap_unit_out *o, int with_mf, size_t *len)
{
    size_t cap = isac_ap_unit_out_packed_size(o, with_mf);
    uint8_t *buf = malloc(cap + 1);
    assert_int_equal(isac_ap_unit_out_pack(o, with_mf, buf, cap, len), ISAC_OK);
    return buf;
}

static void test_wire_round_trip(void **state)
{
    (void)state;
    struct isac_ap_unit_out *o = sample_block(), *u = NULL;
    for (int with_mf = 0; with_mf <= 1; with_mf++) {
        size_t len;
        uint8_t *buf = pack(o, with_mf, &len);
        assert_int_equal(isac_ap_unit_out_unpack(buf, len, &u), ISAC_OK);
        assert_int_equal(u->h.ap, 2);
        assert_int_equal(u->h.beam, 17);
        assert_true(u->h.cpi == o->h.cpi && u->h.noise_var == o->h.noise_var &&
                    u->h.lag0_delay == o->h.lag0_delay);
        assert_int_equal(u->h.has_mf, with_mf);
        assert_memory_equal(u->term, o->term, 7 * sizeof *o->term);
        assert_memory_equal(u->visible, o->visible, 7);
        assert_memory_equal(u->dp_gain, o->dp_gain, 3 * sizeof *o->dp_gain);
        if (with_mf)
            assert_memory_equal(u->z, o->z, 15 * sizeof *o->z);
        else
            assert_null(u->z);
        isac_ap_unit_out_destroy(u);
        free(buf);
    }
    size_t small;
    uint8_t tiny[16];
    assert_int_equal(isac_ap_unit_out_pack(o, 1, tiny, sizeof tiny, &small), ISAC_EINVAL);
    isac_ap_unit_out_destroy(o);
}

static void test_wire_refuses_bad_blocks(void **state)
{
    (void)state;
    struct isac_ap_unit_out *o = sample_block(), *u = NULL;
    size_t len;
    uint8_t *buf = pack(o, 1, &len);
    for (size_t cut = 0; cut < len; cut++) /* every truncation */
        assert_int_equal(isac_ap_unit_out_unpack(buf, cut, &u), ISAC_EFORMAT);
    buf[len] = 0;
    assert_int_equal(isac_ap_unit_out_unpack(buf, len + 1, &u), ISAC_EFORMAT); /* trailing byte */
    for (size_t i = 0; i < len; i++) { /* every single-byte corruption */
        buf[i] ^= 0x5a;
        assert_int_equal(isac_ap_unit_out_unpack(buf, len, &u), ISAC_EFORMAT);
        buf[i] ^= 0x5a;
    }
    assert_int_equal(isac_ap_unit_out_unpack(buf, len, &u), ISAC_OK);
    isac_ap_unit_out_destroy(u);
    free(buf);
    /* well-formed and checksummed, but out of range */
    o->visible[1] = 2;
    buf = pack(o, 0, &len);
    assert_int_equal(isac_ap_unit_out_unpack(buf, len, &u), ISAC_EFORMAT);
    free(buf);
    o->visible[1] = 1;
    o->term[1] = NAN;
    buf = pack(o, 0, &len);
    assert_int_equal(isac_ap_unit_out_unpack(buf, len, &u), ISAC_EFORMAT);
    free(buf);
    o->term[1] = 1.0f;
    o->h.noise_var = 0.0;
    buf = pack(o, 0, &len);
    assert_int_equal(isac_ap_unit_out_unpack(buf, len, &u), ISAC_EFORMAT);
    free(buf);
    isac_ap_unit_out_destroy(o);
}

static void test_fusion_refuses_mismatched_blocks(void **state)
{
    (void)state;
    struct isac_fusion_config fc = {.N = 2, .spec = {0, 0, 1, 1, 7, 1}, .pfa = 1e-3};
    isac_fusion f = isac_fusion_create(&fc);
    assert_non_null(f);
    struct isac_ap_unit_out *a = sample_block(), *b = sample_block();
    a->h.ap = 0;
    b->h.ap = 1;
    const struct isac_ap_unit_out *blk[2] = {a, b};
    struct isac_fusion_result fr;
    assert_int_equal(isac_fusion_execute(f, blk, NULL, &fr), ISAC_OK);
    b->h.cpi++; /* another CPI's block */
    assert_int_equal(isac_fusion_execute(f, blk, NULL, &fr), ISAC_EINVAL);
    b->h.cpi--;
    blk[0] = b; /* AP order */
    blk[1] = a;
    assert_int_equal(isac_fusion_execute(f, blk, NULL, &fr), ISAC_EINVAL);
    isac_ap_unit_out_destroy(a);
    isac_ap_unit_out_destroy(b);
    isac_fusion_destroy(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_units_fusion_match_monolithic),
        cmocka_unit_test(test_wire_round_trip),
        cmocka_unit_test(test_wire_refuses_bad_blocks),
        cmocka_unit_test(test_fusion_refuses_mismatched_blocks),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
