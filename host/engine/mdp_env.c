#include "engine/mdp_env.h"

#include <jansson.h>
#include <math.h>
#include <stdlib.h>

#include "common/err.h"
#include "engine/episode.h"
#include "engine/pipeline.h"

struct isac_mdp_env_s {
    struct isac_exp_config cfg;
    isac_radio r;
    isac_codebook cb;
    struct isac_radio_info info;
    isac_pipeline p;
    isac_episode_engine eng;
    struct isac_episode_rules rules;
    const struct isac_tx_plan_s *chosen; /* the plan of isac_mdp_env_step's beam */
    double cells;
    unsigned Q;
    struct isac_policy_opts popts;
};

isac_mdp_env isac_mdp_env_create(const struct isac_exp_config *cfg, isac_radio r, isac_codebook cb,
                                 char *err, size_t errlen)
{
    isac_mdp_env e = calloc(1, sizeof *e);
    if (!e) {
        isac_seterr(err, errlen, "out of memory");
        return NULL;
    }
    e->cfg = *cfg;
    e->r = r;
    e->cb = cb;
    e->Q = isac_codebook_size(cb);
    if (isac_radio_get_info(r, &e->info)) {
        isac_seterr(err, errlen, "radio: cannot read its description");
        free(e);
        return NULL;
    }
    e->p = isac_pipeline_create(cfg, &e->info, cb, cfg->pfa, err, errlen);
    if (!e->p) {
        free(e);
        return NULL;
    }
    isac_episode_rules_from_config(&e->rules, cfg);
    e->eng = isac_episode_engine_create(e->p, r, cb, cfg, &e->rules, err, errlen);
    if (!e->eng) {
        isac_mdp_env_destroy(e);
        return NULL;
    }
    unsigned nx, ny;
    const float *lam, *thr;
    isac_pipeline_grid(e->p, &nx, &ny, &lam, &thr);
    e->cells = (double)nx * ny;
    isac_policy_opts_defaults(&e->popts);
    e->popts.pfa = cfg->pfa;
    e->popts.grid_cells = e->cells;
    e->popts.mdp.zeta = cfg->zeta;
    return e;
}

int isac_mdp_env_set_threads(isac_mdp_env e, unsigned threads)
{
    return e ? isac_pipeline_set_threads(e->p, threads) : ISAC_EINVAL;
}

void isac_mdp_env_destroy(isac_mdp_env e)
{
    if (!e)
        return;
    isac_episode_engine_destroy(e->eng);
    isac_pipeline_destroy(e->p);
    free(e);
}

void isac_mdp_env_policy_opts(isac_mdp_env e, struct isac_policy_opts *o)
{
    *o = e->popts;
}

int isac_mdp_env_reset(isac_mdp_env e, uint64_t ep, char *err, size_t errlen)
{
    return isac_episode_begin(e->eng, NULL, ep, err, errlen);
}

int isac_mdp_env_target_beam(isac_mdp_env e, unsigned *beam)
{
    char *txt = NULL;
    if (!(e->info.caps & ISAC_RADIO_CAP_TRUTH) || isac_radio_truth_json(e->r, &txt) != ISAC_OK ||
        !txt)
        return ISAC_ENOTSUP;
    json_t *t = json_loads(txt, 0, NULL);
    free(txt);
    json_t *ap = json_array_get(
        json_object_get(json_array_get(json_object_get(t, "targets"), 0), "per_ap"), 0);
    json_t *phi = json_object_get(ap, "phi0_deg");
    int rc = json_is_number(phi) ? ISAC_OK : ISAC_ENOTSUP;
    if (!rc)
        *beam = isac_codebook_best_beam(e->cb, json_number_value(phi) * M_PI / 180.0);
    json_decref(t);
    return rc;
}

/* isac_episode_hooks.choose of isac_mdp_env_step: the caller's beam instead of a policy. */
static int choose_beam(void *ctx, const struct isac_policy_obs *prev,
                       const struct isac_tx_plan_s **plan)
{
    (void)prev;
    *plan = ((isac_mdp_env)ctx)->chosen;
    return ISAC_OK;
}

int isac_mdp_env_step(isac_mdp_env e, unsigned beam, struct isac_mdp_env_out *o, char *err,
                      size_t errlen)
{
    const struct isac_episode_status *st = isac_episode_engine_status(e->eng);
    if (!(e->chosen = isac_episode_engine_beam_plan(e->eng, beam))) {
        isac_seterr(err, errlen, "beam %u: outside the %u-beam codebook", beam, e->Q);
        return ISAC_EINVAL;
    }
    /* One MDP step: the beam, and its dwell when it declares; the caller keeps its own
     * step budget, so the engine runs without one (a dwell is never cut). */
    struct isac_episode_rules rules = e->rules;
    rules.max_steps = 0;
    isac_episode_engine_set_rules(e->eng, &rules);
    const struct isac_episode_hooks h = {.ctx = e, .choose = choose_beam};
    unsigned s0 = st->steps;
    int rc = isac_episode_advance(e->eng, NULL, &h, 1, err, errlen);
    o->cpis = st->steps - s0;
    o->terminal = st->terminal;
    o->obs = st->obs;
    o->pd = isac_policy_obs_pd(&e->popts, &o->obs);
    return rc;
}

int isac_mdp_env_run_episode(isac_mdp_env e, isac_policy pol, uint64_t ep, unsigned max_steps,
                             unsigned *steps, int *success, char *err, size_t errlen)
{
    const struct isac_episode_status *st = isac_episode_engine_status(e->eng);
    *steps = 0;
    *success = 0;
    struct isac_episode_rules rules = e->rules;
    rules.max_steps = max_steps;
    isac_episode_engine_set_rules(e->eng, &rules);
    int rc = max_steps ? isac_episode_run(e->eng, pol, ep, NULL, err, errlen)
                       : isac_mdp_env_reset(e, ep, err, errlen);
    *steps = st->steps;
    *success = st->terminal;
    return rc;
}
