/* The plan-driven loop and the policy registry (host/engine/episode.h, host/policy/policy.h):
 *  - a policy defined here, in a registry that extends the built-in one, is found by name
 *    (so are the built-ins, through the parent), created through the registry API and run
 *    by the episode engine: every CPI transmits its plan (one comm stream, K = 1), which is
 *    not a codebook beam (beam -1);
 *  - a plan with K = 2 comm streams goes through isac_pipeline_step on the emulator: the burst
 *    handed to the radio equals isac_tx_plan_compose over the pipeline's comm streams and
 *    probe, the streams are unit-power and distinct, and a codebook plan's burst equals
 *    isac_waveform_compose's bit for bit;
 *  - a plan with element positions moves the emulator's TX elements (ISAC_RADIO_CAP_MOVABLE) for
 *    its CPI, the next plan without positions puts them back, and positions the radio
 *    refuses (closer than its minimum spacing) fail the step with one line. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "engine/episode.h"
#include "engine/run.h"
#include "dsp/waveform.h"

/* ---- a test policy: one fixed plan, beam 3 for sensing plus one comm stream ---- */

struct fixed {
    isac_tx_plan plan;
    unsigned decided, observed;
};

static void *fixed_create(const struct isac_policy_args *a)
{
    if (!a->cb)
        return NULL;
    struct fixed *f = calloc(1, sizeof *f);
    unsigned N = isac_codebook_elements(a->cb);
    f->plan = isac_tx_plan_create(N, 1, 1);
    float complex *W = isac_tx_plan_precoder(f->plan, 0);
    const float complex *w3 = isac_codebook_weights(a->cb, 3),
                        *w9 = isac_codebook_weights(a->cb, 9);
    for (unsigned m = 0; m < N; m++) {
        W[m] = w9[m];     /* stream 0: comm, toward beam 9 */
        W[m + N] = w3[m]; /* stream 1 = K: sensing, beam 3 */
    }
    isac_tx_plan_powers(f->plan)[0] = 0.25;
    return f;
}
static void fixed_destroy(void *st)
{
    struct fixed *f = st;
    isac_tx_plan_destroy(f->plan);
    free(f);
}
static void fixed_reset(void *st, uint64_t ep)
{
    (void)st;
    (void)ep;
}
static int fixed_decide(void *st, const struct isac_policy_obs *prev,
                        struct isac_policy_decision *d)
{
    struct fixed *f = st;
    (void)prev;
    f->decided++;
    d->plan = f->plan;
    return ISAC_OK;
}
static void fixed_observe(void *st, const struct isac_policy_obs *obs)
{
    struct fixed *f = st;
    assert_int_equal(obs->beam, ISAC_POLICY_NO_BEAM);
    f->observed++;
}

static const struct isac_policy_vtable fixed_vt = {
    .name = "fixed",
    .summary = "one plan: beam 3 + a comm stream toward beam 9",
    .caps = ISAC_POLICY_CAP_PLAN | ISAC_POLICY_CAP_COMM,
    .create = fixed_create,
    .reset = fixed_reset,
    .decide = fixed_decide,
    .observe = fixed_observe,
    .destroy = fixed_destroy,
};

/* A small configuration (the soak's) so each CPI is cheap. */
struct rig {
    struct isac_exp_config cfg;
    isac_radio r;
    isac_codebook cb;
    isac_pipeline p;
};

static void rig_open(struct rig *g)
{
    char err[512];
    isac_exp_config_defaults(&g->cfg);
    snprintf(g->cfg.radio, sizeof g->cfg.radio, "sim:elements=4,seed=5");
    g->cfg.beams = 16;
    g->cfg.max_steps = 6;
    g->cfg.waveform.length = 256;
    g->cfg.window_guard = 256;
    g->cfg.noise_bins = 64;
    g->cfg.grid.spacing_m = 20;
    g->r = isac_radio_open(g->cfg.radio, err, sizeof err);
    assert_non_null(g->r);
    struct isac_radio_info info;
    isac_radio_get_info(g->r, &info);
    g->cb = isac_exp_codebook(&g->cfg, &info, err, sizeof err);
    assert_non_null(g->cb);
    g->p = isac_pipeline_create(&g->cfg, &info, g->cb, g->cfg.pfa, err, sizeof err);
    assert_non_null(g->p);
}

static void rig_close(struct rig *g)
{
    isac_pipeline_destroy(g->p);
    isac_codebook_destroy(g->cb);
    isac_radio_close(g->r);
}

struct seen {
    const struct isac_tx_plan_s *plan;
    unsigned cpis, other;
};
static void on_step(void *ctx, const struct isac_episode_cpi *c)
{
    struct seen *s = ctx;
    s->cpis++;
    s->other += c->plan != s->plan || c->res->beam != -1;
}

static void test_registered_policy_through_engine(void **state)
{
    (void)state;
    static const struct isac_policy_vtable *const mine[] = {&fixed_vt};
    const struct isac_policy_registry reg = {mine, 1, isac_policy_registry_builtin()};
    assert_ptr_equal(isac_policy_registry_find(&reg, "fixed"), &fixed_vt);
    assert_non_null(isac_policy_registry_find(&reg, "scan"));
    assert_null(isac_policy_registry_find(NULL, "fixed")); /* the built-in table is untouched */
    char names[256];
    assert_string_equal(isac_policy_registry_names(&reg, names, sizeof names),
                        "fixed, sweep, scan, random, pso, qnet");

    struct rig g;
    rig_open(&g);
    struct isac_policy_args a;
    isac_policy_args_defaults(&a, isac_codebook_size(g.cb), 1);
    a.cb = g.cb;
    a.num_tx = isac_codebook_elements(g.cb);
    isac_policy pol = isac_policy_create(isac_policy_registry_find(&reg, "fixed"), &a);
    assert_non_null(pol);
    struct isac_episode_rules rules;
    isac_episode_rules_from_config(&rules, &g.cfg);
    char err[512];
    isac_episode_engine e =
        isac_episode_engine_create(g.p, g.r, g.cb, &g.cfg, &rules, err, sizeof err);
    assert_non_null(e);
    struct seen s = {NULL, 0, 0};
    struct isac_policy_decision d;
    assert_int_equal(isac_policy_decide(pol, NULL, &d), ISAC_OK);
    s.plan = d.plan;
    const struct isac_episode_hooks h = {.ctx = &s, .on_step = on_step};
    assert_int_equal(isac_episode_run_episodes(e, pol, 0, 2, &h, err, sizeof err), ISAC_OK);
    assert_true(s.cpis >= 2);
    assert_int_equal(s.other, 0);
    assert_int_equal(isac_episode_engine_status(e)->episode, 1);
    isac_episode_engine_destroy(e);
    isac_policy_destroy(pol);
    rig_close(&g);
}

static double power(const float complex *x, size_t n)
{
    double p = 0;
    for (size_t i = 0; i < n; i++)
        p += crealf(x[i] * conjf(x[i]));
    return p / n;
}

static void test_two_streams_through_pipeline(void **state)
{
    (void)state;
    struct rig g;
    rig_open(&g);
    const unsigned N = isac_codebook_elements(g.cb);
    const size_t L = isac_pipeline_probe_length(g.p);
    isac_tx_plan plan = isac_tx_plan_create(N, 2, 1);
    float complex *W = isac_tx_plan_precoder(plan, 0);
    for (unsigned s = 0; s < 3; s++)
        memcpy(W + (size_t)s * N, isac_codebook_weights(g.cb, 2 + 5 * s), N * sizeof *W);
    isac_tx_plan_powers(plan)[0] = 0.5;
    isac_tx_plan_powers(plan)[1] = 0.3;
    struct isac_pipeline_result res;
    assert_int_equal(isac_pipeline_step(g.p, g.r, plan, 0, NULL, &res), ISAC_OK);
    assert_int_equal(res.beam, -1);

    const float complex *u[3] = {isac_pipeline_comm_stream(g.p, 0),
                                 isac_pipeline_comm_stream(g.p, 1), isac_pipeline_probe(g.p)};
    assert_true(fabs(power(u[0], L) - 1) < 1e-5 && fabs(power(u[1], L) - 1) < 1e-5);
    assert_true(memcmp(u[0], u[1], L * sizeof *u[0]) != 0);
    float complex **x = calloc(N, sizeof *x);
    for (unsigned m = 0; m < N; m++)
        x[m] = calloc(L, sizeof **x);
    assert_int_equal(isac_tx_plan_compose(plan, u, L, x), ISAC_OK);
    size_t len;
    const float complex *const *tx = isac_pipeline_tx(g.p, &len);
    assert_int_equal(len, L);
    for (unsigned m = 0; m < N; m++)
        assert_memory_equal(tx[m], x[m], L * sizeof *x[m]);

    /* a codebook plan: the burst of isac_waveform_compose, bit for bit */
    const struct isac_tx_plan_s *beam = isac_tx_plan_from_beam(g.cb, 7);
    assert_int_equal(isac_pipeline_step(g.p, g.r, beam, 4096, NULL, &res), ISAC_OK);
    assert_int_equal(res.beam, 7);
    assert_int_equal(isac_waveform_compose(NULL, NULL, 0, isac_pipeline_probe(g.p),
                                           isac_codebook_weights(g.cb, 7), N, L, x),
                     ISAC_OK);
    tx = isac_pipeline_tx(g.p, &len);
    for (unsigned m = 0; m < N; m++)
        assert_memory_equal(tx[m], x[m], L * sizeof *x[m]);
    isac_tx_plan_destroy((isac_tx_plan)beam);

    /* element positions: the emulator moves its TX elements for this plan only */
    struct isac_radio_info before, during, after;
    assert_int_equal(isac_radio_get_info(g.r, &before), ISAC_OK);
    assert_true(before.caps & ISAC_RADIO_CAP_MOVABLE);
    double pos[64];
    for (unsigned m = 0; m < N; m++)
        pos[m] = 0.6 * m;
    assert_int_equal(isac_tx_plan_set_positions(plan, pos), ISAC_OK);
    assert_int_equal(isac_pipeline_step(g.p, g.r, plan, 8192, NULL, &res), ISAC_OK);
    assert_int_equal(isac_radio_get_info(g.r, &during), ISAC_OK);
    assert_memory_equal(during.tx_pos_wl, pos, N * sizeof *pos);
    beam = isac_tx_plan_from_beam(g.cb, 7);
    assert_int_equal(isac_pipeline_step(g.p, g.r, beam, 12288, NULL, &res), ISAC_OK);
    isac_tx_plan_destroy((isac_tx_plan)beam);
    assert_int_equal(isac_radio_get_info(g.r, &after), ISAC_OK);
    assert_memory_equal(after.tx_pos_wl, before.tx_pos_wl, N * sizeof *pos);
    pos[1] = pos[0] + 0.01; /* closer than ISAC_RADIO_MIN_SPACING_WL */
    assert_int_equal(isac_tx_plan_set_positions(plan, pos), ISAC_OK);
    assert_true(isac_pipeline_step(g.p, g.r, plan, 16384, NULL, &res) < 0);
    assert_non_null(strstr(isac_pipeline_last_error(g.p), "element positions refused"));
    assert_null(strchr(isac_pipeline_last_error(g.p), '\n'));

    for (unsigned m = 0; m < N; m++)
        free(x[m]);
    free(x);
    isac_tx_plan_destroy(plan);
    rig_close(&g);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_registered_policy_through_engine),
        cmocka_unit_test(test_two_streams_through_pipeline),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
