#include "exp/mdp_env.h"

#include <jansson.h>
#include <math.h>
#include <stdlib.h>

#include "common/err.h"
#include "exp/pipeline.h"

struct mdp_env_s {
    struct exp_config cfg;
    radio r;
    codebook cb;
    struct radio_info info;
    pipeline p;
    int64_t tick, step_ticks;
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
    e->step_ticks = (int64_t)llround(cfg->step_interval_s * e->info.sample_rate);
    if (e->step_ticks < (int64_t)pipeline_window_length(e->p))
        e->step_ticks = (int64_t)pipeline_window_length(e->p);
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

void mdp_env_destroy(mdp_env e)
{
    if (!e)
        return;
    pipeline_destroy(e->p);
    free(e);
}

void mdp_env_policy_opts(mdp_env e, struct policy_opts *o)
{
    *o = e->popts;
}
unsigned mdp_env_num_beams(mdp_env e)
{
    return e->Q;
}

int mdp_env_reset(mdp_env e, uint64_t ep, char *err, size_t errlen)
{
    if (!(e->info.caps & RADIO_CAP_SCENARIO))
        return ISAC_OK;
    int rc = radio_start_episode(e->r, ep, &e->tick);
    if (rc)
        isac_seterr(err, errlen, "episode %llu: %s", (unsigned long long)ep,
                    radio_last_error(e->r));
    return rc;
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

static int cpi(mdp_env e, unsigned beam, const struct pipeline_focus *f,
               struct pipeline_result *res, char *err, size_t errlen)
{
    int rc = pipeline_step(e->p, e->r, beam, e->tick, f, res);
    if (rc)
        isac_seterr(err, errlen, "beam %u: %s", beam, radio_last_error(e->r));
    e->tick += e->step_ticks;
    return rc;
}

static struct policy_obs obs_of(const struct pipeline_result *res)
{
    return (struct policy_obs){.beam = res->beam,
                               .pd = res->pd,
                               .lambda = res->lambda,
                               .num_aps = res->num_aps,
                               .detected = res->detected};
}

int mdp_env_step(mdp_env e, unsigned beam, struct mdp_env_out *o, char *err, size_t errlen)
{
    struct pipeline_result res;
    int rc = cpi(e, beam, NULL, &res, err, errlen);
    if (rc)
        return rc;
    o->cpis = 1;
    o->terminal = 0;
    /* The rules of run.c run_episode: a declaration triggers one dwell with the same
     * beam, the episode ends when the dwell confirms at P_D >= zeta; without a dwell
     * (confirm_radius_m = 0) the declaration itself must reach zeta. */
    if (res.detected && e->cfg.confirm_radius_m > 0) {
        struct pipeline_focus f = {res.x, res.y, e->cfg.confirm_radius_m};
        if ((rc = cpi(e, beam, &f, &res, err, errlen)))
            return rc;
        o->cpis = 2;
    }
    o->terminal = res.detected && res.pd >= e->cfg.zeta;
    o->obs = obs_of(&res);
    o->pd = policy_obs_pd(&e->popts, &o->obs);
    return ISAC_OK;
}

int mdp_env_run_episode(mdp_env e, policy pol, uint64_t ep, unsigned max_steps, unsigned *steps,
                        int *success, char *err, size_t errlen)
{
    *steps = 0;
    *success = 0;
    int rc = mdp_env_reset(e, ep, err, errlen);
    if (rc)
        return rc;
    policy_reset(pol, ep);
    struct mdp_env_out o;
    int have = 0;
    while (*steps < max_steps && !*success) {
        unsigned beam = policy_next(pol, have ? &o.obs : NULL);
        /* A dwell that would exceed the budget is cut like run.c's step limit. */
        struct pipeline_result res;
        if ((rc = cpi(e, beam, NULL, &res, err, errlen)))
            return rc;
        (*steps)++;
        /* the exhaustive sweep measures a whole round before it acts on a declaration */
        int may_stop = policy_may_stop(pol);
        if (may_stop && res.detected && e->cfg.confirm_radius_m > 0 && *steps < max_steps) {
            struct pipeline_focus f = {res.x, res.y, e->cfg.confirm_radius_m};
            if ((rc = cpi(e, beam, &f, &res, err, errlen)))
                return rc;
            (*steps)++;
            *success = res.detected && res.pd >= e->cfg.zeta;
        } else if (e->cfg.confirm_radius_m <= 0) {
            *success = may_stop && res.detected && res.pd >= e->cfg.zeta;
        }
        o.obs = obs_of(&res);
        have = 1;
    }
    return ISAC_OK;
}
