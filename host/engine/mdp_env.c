#include "engine/mdp_env.h"

#include <jansson.h>
#include <math.h>
#include <stdlib.h>

#include "common/err.h"
#include "engine/episode.h"
#include "engine/pipeline.h"

struct mdp_env_s {
    struct exp_config cfg;
    radio r;
    codebook cb;
    struct radio_info info;
    pipeline p;
    episode_engine eng;
    struct episode_rules rules;
    const struct isac_tx_plan_s *chosen; /* the plan of mdp_env_step's beam */
    double cells;
    unsigned Q;
    struct policy_opts popts;
};

mdp_env mdp_env_create(const struct exp_config *cfg, radio r, codebook cb, char *err, size_t errlen)
{
    mdp_env e = calloc(1, sizeof *e);
    if (!e) {
        isac_seterr(err, errlen, "out of memory");
        return NULL;
    }
    e->cfg = *cfg;
    e->r = r;
    e->cb = cb;
    e->Q = codebook_size(cb);
    if (radio_get_info(r, &e->info)) {
        isac_seterr(err, errlen, "radio: cannot read its description");
        free(e);
        return NULL;
    }
    e->p = pipeline_create(cfg, &e->info, cb, cfg->pfa, err, errlen);
    if (!e->p) {
        free(e);
        return NULL;
    }
    episode_rules_from_config(&e->rules, cfg);
    e->eng = episode_engine_create(e->p, r, cb, cfg, &e->rules, err, errlen);
    if (!e->eng) {
        mdp_env_destroy(e);
        return NULL;
    }
    unsigned nx, ny;
    const float *lam, *thr;
    pipeline_grid(e->p, &nx, &ny, &lam, &thr);
    e->cells = (double)nx * ny;
    policy_opts_defaults(&e->popts);
    e->popts.pfa = cfg->pfa;
    e->popts.grid_cells = e->cells;
    e->popts.mdp.zeta = cfg->zeta;
    return e;
}

int mdp_env_set_threads(mdp_env e, unsigned threads)
{
    return e ? pipeline_set_threads(e->p, threads) : ISAC_EINVAL;
}

void mdp_env_destroy(mdp_env e)
{
    if (!e)
        return;
    episode_engine_destroy(e->eng);
    pipeline_destroy(e->p);
    free(e);
}

void mdp_env_policy_opts(mdp_env e, struct policy_opts *o)
{
    *o = e->popts;
}

int mdp_env_reset(mdp_env e, uint64_t ep, char *err, size_t errlen)
{
    return episode_begin(e->eng, NULL, ep, err, errlen);
}

int mdp_env_target_beam(mdp_env e, unsigned *beam)
{
    char *txt = NULL;
    if (!(e->info.caps & RADIO_CAP_TRUTH) || radio_truth_json(e->r, &txt) != ISAC_OK || !txt)
        return ISAC_ENOTSUP;
    json_t *t = json_loads(txt, 0, NULL);
    free(txt);
    json_t *ap = json_array_get(
        json_object_get(json_array_get(json_object_get(t, "targets"), 0), "per_ap"), 0);
    json_t *phi = json_object_get(ap, "phi0_deg");
    int rc = json_is_number(phi) ? ISAC_OK : ISAC_ENOTSUP;
    if (!rc)
        *beam = codebook_best_beam(e->cb, json_number_value(phi) * M_PI / 180.0);
    json_decref(t);
    return rc;
}

/* episode_hooks.choose of mdp_env_step: the caller's beam instead of a policy. */
static int choose_beam(void *ctx, const struct policy_obs *prev, const struct isac_tx_plan_s **plan)
{
    (void)prev;
    *plan = ((mdp_env)ctx)->chosen;
    return ISAC_OK;
}

int mdp_env_step(mdp_env e, unsigned beam, struct mdp_env_out *o, char *err, size_t errlen)
{
    const struct episode_status *st = episode_engine_status(e->eng);
    if (!(e->chosen = episode_engine_beam_plan(e->eng, beam))) {
        isac_seterr(err, errlen, "beam %u: outside the %u-beam codebook", beam, e->Q);
        return ISAC_EINVAL;
    }
    /* One MDP step: the beam, and its dwell when it declares; the caller keeps its own
     * step budget, so the engine runs without one (a dwell is never cut). */
    struct episode_rules rules = e->rules;
    rules.max_steps = 0;
    episode_engine_set_rules(e->eng, &rules);
    const struct episode_hooks h = {.ctx = e, .choose = choose_beam};
    unsigned s0 = st->steps;
    int rc = episode_advance(e->eng, NULL, &h, 1, err, errlen);
    o->cpis = st->steps - s0;
    o->terminal = st->terminal;
    o->obs = st->obs;
    o->pd = policy_obs_pd(&e->popts, &o->obs);
    return rc;
}

int mdp_env_run_episode(mdp_env e, policy pol, uint64_t ep, unsigned max_steps, unsigned *steps,
                        int *success, char *err, size_t errlen)
{
    const struct episode_status *st = episode_engine_status(e->eng);
    *steps = 0;
    *success = 0;
    struct episode_rules rules = e->rules;
    rules.max_steps = max_steps;
    episode_engine_set_rules(e->eng, &rules);
    int rc = max_steps ? episode_run(e->eng, pol, ep, NULL, err, errlen)
                       : mdp_env_reset(e, ep, err, errlen);
    *steps = st->steps;
    *success = st->terminal;
    return rc;
}
