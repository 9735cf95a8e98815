#include "engine/episode.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"

struct isac_episode_engine_s {
    isac_pipeline p;
    isac_radio r;
    isac_codebook cb;
    struct isac_radio_info info;
    struct isac_episode_rules rules;
    struct isac_episode_status st;
    struct isac_pipeline_focus focus;        /* of the pending dwell */
    const struct isac_tx_plan_s *dwell_plan; /* the plan the dwell repeats */
    isac_tx_plan *beam_plans;                /* codebook plans, made on first use */
};

void isac_episode_rules_from_config(struct isac_episode_rules *r, const struct isac_exp_config *cfg)
{
    *r = (struct isac_episode_rules){.max_steps = cfg->max_steps,
                                     .zeta = cfg->zeta,
                                     .confirm_radius_m = cfg->confirm_radius_m,
                                     .end = ISAC_EPISODE_END_CONFIRMED,
                                     .start = ISAC_EPISODE_START_SCENE};
}

isac_episode_engine isac_episode_engine_create(isac_pipeline p, isac_radio r, isac_codebook cb,
                                               const struct isac_exp_config *cfg,
                                               const struct isac_episode_rules *rules, char *err,
                                               size_t errlen)
{
    isac_episode_engine e = calloc(1, sizeof *e);
    if (e)
        e->beam_plans = calloc(isac_codebook_size(cb), sizeof *e->beam_plans);
    if (!e || !e->beam_plans) {
        free(e);
        isac_seterr(err, errlen, "episode engine: out of memory");
        return NULL;
    }
    if (isac_radio_get_info(r, &e->info)) {
        isac_episode_engine_destroy(e);
        isac_seterr(err, errlen, "radio: cannot read its description");
        return NULL;
    }
    e->p = p;
    e->r = r;
    e->cb = cb;
    e->rules = *rules;
    e->st.step_ticks = (int64_t)llround(cfg->step_interval_s * e->info.sample_rate);
    if (e->st.step_ticks < (int64_t)isac_pipeline_window_length(p))
        e->st.step_ticks = (int64_t)isac_pipeline_window_length(p);
    return e;
}

void isac_episode_engine_destroy(isac_episode_engine e)
{
    if (!e)
        return;
    for (unsigned q = 0; e->beam_plans && q < isac_codebook_size(e->cb); q++)
        isac_tx_plan_destroy(e->beam_plans[q]);
    free(e->beam_plans);
    free(e);
}

void isac_episode_engine_set_rules(isac_episode_engine e, const struct isac_episode_rules *rules)
{
    e->rules = *rules;
}
const struct isac_episode_status *isac_episode_engine_status(isac_episode_engine e)
{
    return &e->st;
}

const struct isac_tx_plan_s *isac_episode_engine_beam_plan(isac_episode_engine e, unsigned q)
{
    if (q >= isac_codebook_size(e->cb))
        return NULL;
    if (!e->beam_plans[q])
        e->beam_plans[q] = isac_tx_plan_from_beam(e->cb, q);
    return e->beam_plans[q];
}

int isac_episode_begin(isac_episode_engine e, isac_policy pol, uint64_t ep, char *err,
                       size_t errlen)
{
    e->st.episode = ep;
    e->st.steps = 0;
    e->st.terminal = e->st.confirming = e->st.have_obs = 0;
    memset(&e->st.obs, 0, sizeof e->st.obs);
    e->dwell_plan = NULL;
    int rc = ISAC_OK;
    if (e->rules.start == ISAC_EPISODE_START_SCENE && (e->info.caps & ISAC_RADIO_CAP_SCENARIO))
        rc = isac_radio_start_episode(e->r, ep, &e->st.tick);
    else if (e->rules.start == ISAC_EPISODE_START_NEXT_SCENE && ep > 0 &&
             (rc = isac_radio_new_episode(e->r, ep)) == ISAC_ENOTSUP)
        rc = ISAC_OK; /* a radio without scenes keeps its one scene */
    if (rc) {
        isac_seterr(err, errlen, "episode %llu: %s", (unsigned long long)ep,
                    isac_radio_last_error(e->r));
        return rc;
    }
    if (pol)
        isac_policy_reset(pol, ep);
    return ISAC_OK;
}

/* The next plan: the choose hook's, else the policy's (a beam becomes its codebook plan). */
static int decide(isac_episode_engine e, isac_policy pol, const struct isac_episode_hooks *h,
                  const struct isac_tx_plan_s **plan)
{
    const struct isac_policy_obs *prev = e->st.have_obs ? &e->st.obs : NULL;
    *plan = NULL;
    if (h && h->choose)
        return h->choose(h->ctx, prev, plan);
    if (!pol)
        return ISAC_EINVAL;
    struct isac_policy_decision d;
    int rc = isac_policy_decide(pol, prev, &d);
    if (rc == ISAC_OK)
        *plan = d.plan ? d.plan : isac_episode_engine_beam_plan(e, d.beam);
    return rc;
}

/* One line for a failed step: the pipeline's refusal of the plan, the radio's own words,
 * or words for a window the pipeline cannot process (isac_grid_execute refuses a non-finite
 * noise estimate), so the message is never empty. */
static int step_error(isac_episode_engine e, int rc, char *err, size_t errlen)
{
    const char *plan_why = isac_pipeline_last_error(e->p), *why = isac_radio_last_error(e->r);
    isac_seterr(err, errlen, "episode %llu step %u: %s", (unsigned long long)e->st.episode,
                e->st.steps,
                plan_why[0]          ? plan_why
                : why[0]             ? why /* the radio named the sample (radio_file.c) */
                : rc == ISAC_EFORMAT ? "RX window holds non-finite (NaN/Inf) samples"
                : rc == ISAC_EINVAL  ? "RX window not processable: overflowing samples"
                                     : isac_strerror(rc));
    return rc;
}

static struct isac_policy_obs obs_of(const struct isac_pipeline_result *res)
{
    return (struct isac_policy_obs){.beam =
                                        res->beam >= 0 ? (unsigned)res->beam : ISAC_POLICY_NO_BEAM,
                                    .pd = res->pd,
                                    .lambda = res->lambda,
                                    .num_aps = res->num_aps,
                                    .detected = res->detected};
}

/* The confirmation dwell rule: a declaration the policy may stop on is confirmed by one
 * more CPI with the same plan near the declared position; the episode ends on the dwell's
 * (or, without dwells, the declaration's) outcome. */
static void dwell_rule(isac_episode_engine e, const struct isac_tx_plan_s *plan, int may_stop,
                       const struct isac_pipeline_result *res)
{
    const struct isac_episode_rules *R = &e->rules;
    if (!e->st.confirming && may_stop && res->detected && R->confirm_radius_m > 0) {
        e->st.confirming = 1;
        e->focus = (struct isac_pipeline_focus){res->x, res->y, R->confirm_radius_m};
        e->dwell_plan = plan;
        return;
    }
    e->st.confirming = 0;
    e->st.terminal =
        may_stop && res->detected && (R->end == ISAC_EPISODE_END_DECLARED || res->pd >= R->zeta);
}

static int one_cpi(isac_episode_engine e, isac_policy pol, const struct isac_episode_hooks *h,
                   const struct isac_tx_plan_s *plan, int may_stop, char *err, size_t errlen)
{
    struct isac_pipeline_result res;
    const struct isac_pipeline_focus *f = e->st.confirming ? &e->focus : NULL;
    const int64_t t0 = e->st.tick;
    isac_pipeline_set_next_window(e->p, t0 + e->st.step_ticks); /* overlap: see pipeline.h */
    int rc = isac_pipeline_step(e->p, e->r, plan, t0, f, &res);
    if (rc)
        return step_error(e, rc, err, errlen);
    const struct isac_episode_cpi c = {e->p, e->st.episode, e->st.steps, plan, f, &res, t0};
    if (h && h->record && (rc = h->record(h->ctx, &c, err, errlen)))
        return rc;
    e->st.tick += e->st.step_ticks;
    e->st.steps++;
    if (h && h->on_step)
        h->on_step(h->ctx, &c);
    e->st.obs = obs_of(&res);
    e->st.have_obs = 1;
    if (pol)
        isac_policy_observe(pol, &e->st.obs);
    dwell_rule(e, plan, may_stop, &res);
    return ISAC_OK;
}

static int more_steps(isac_episode_engine e, unsigned decisions, unsigned made)
{
    if (e->st.terminal || (e->rules.max_steps && e->st.steps >= e->rules.max_steps))
        return 0;
    return e->st.confirming || !decisions || made < decisions;
}

int isac_episode_advance(isac_episode_engine e, isac_policy pol, const struct isac_episode_hooks *h,
                         unsigned decisions, char *err, size_t errlen)
{
    unsigned made = 0;
    if (decisions) /* a caller-driven step always transmits its own plan */
        e->st.terminal = e->st.confirming = 0;
    while (more_steps(e, decisions, made)) {
        if (h && h->should_stop && h->should_stop(h->ctx)) {
            isac_seterr(err, errlen, "interrupted at episode %llu step %u",
                        (unsigned long long)e->st.episode, e->st.steps);
            return ISAC_EPISODE_STOPPED;
        }
        const struct isac_tx_plan_s *plan = e->dwell_plan;
        int may_stop = 1, rc;
        if (!e->st.confirming) {
            if ((rc = decide(e, pol, h, &plan)) != ISAC_OK || !plan) {
                isac_seterr(err, errlen, "episode %llu step %u: no plan to transmit",
                            (unsigned long long)e->st.episode, e->st.steps);
                return rc ? rc : ISAC_EINVAL;
            }
            made++;
            /* the exhaustive sweep measures a whole round before it acts on a
             * declaration; a caller-chosen plan always may stop */
            may_stop = h && h->choose ? 1 : isac_policy_may_stop(pol);
        }
        if ((rc = one_cpi(e, pol, h, plan, may_stop, err, errlen)) != ISAC_OK)
            return rc;
    }
    return ISAC_OK;
}

int isac_episode_run(isac_episode_engine e, isac_policy pol, uint64_t ep,
                     const struct isac_episode_hooks *h, char *err, size_t errlen)
{
    int rc = isac_episode_begin(e, pol, ep, err, errlen);
    return rc ? rc : isac_episode_advance(e, pol, h, 0, err, errlen);
}

int isac_episode_run_episodes(isac_episode_engine e, isac_policy pol, uint64_t first,
                              uint64_t count, const struct isac_episode_hooks *h, char *err,
                              size_t errlen)
{
    for (uint64_t ep = first; !count || ep - first < count; ep++) {
        int rc = isac_episode_begin(e, pol, ep, err, errlen);
        if (rc)
            return rc;
        rc = isac_episode_advance(e, pol, h, 0, err, errlen);
        if (h && h->on_episode)
            h->on_episode(h->ctx, &e->st);
        if (rc)
            return rc;
    }
    return ISAC_OK;
}
