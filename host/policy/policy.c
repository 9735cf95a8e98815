#include "policy/policy.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "detect/glrt.h"

struct isac_policy_s {
    const struct isac_policy_vtable *vt;
    void *st;
    unsigned Q;
};

void isac_policy_opts_defaults(struct isac_policy_opts *o)
{
    memset(o, 0, sizeof *o);
    o->qnet = NULL;
    isac_mdp_params_defaults(&o->mdp);
    o->pfa = 1e-3;
    o->grid_cells = 81.0 * 81.0;
    o->avoid_revisits = 1;
}

void isac_policy_args_defaults(struct isac_policy_args *a, unsigned num_beams, uint64_t seed)
{
    memset(a, 0, sizeof *a);
    a->num_beams = num_beams;
    a->seed = seed;
    isac_policy_opts_defaults(&a->opts);
}

double isac_policy_obs_pd(const struct isac_policy_opts *o, const struct isac_policy_obs *obs)
{
    return isac_mdp_observed_pd(obs->detected, obs->pd, obs->lambda, obs->num_aps, o->pfa,
                                o->grid_cells);
}

double isac_policy_pd_cached(struct isac_policy_pd_cache *c, const struct isac_policy_opts *o,
                             const struct isac_policy_obs *obs)
{
    unsigned n = obs->num_aps;
    if (obs->detected || n == 0 || n >= ISAC_POLICY_PD_CACHE)
        return isac_policy_obs_pd(o, obs);
    if (c->thr2[n] == 0.0)
        c->thr2[n] = 2.0 * isac_glrt_threshold_n(n, o->pfa / o->grid_cells);
    return isac_mdp_observed_pd_thr(0, 0.0, obs->lambda, n, c->thr2[n]);
}

void isac_policy_episode_rng(isac_rng *r, uint64_t seed, uint64_t episode)
{
    isac_rng_seed_stream(r, seed, 0x706f6c6963790000ULL + episode);
}

/* ---- registry ---- */

const struct isac_policy_vtable *isac_policy_registry_find(const struct isac_policy_registry *reg,
                                                           const char *name)
{
    for (reg = reg ? reg : isac_policy_registry_builtin(); reg && name; reg = reg->parent)
        for (size_t i = 0; i < reg->count; i++)
            if (!strcmp(reg->entries[i]->name, name))
                return reg->entries[i];
    return NULL;
}

const char *isac_policy_registry_names(const struct isac_policy_registry *reg, char *buf,
                                       size_t len)
{
    size_t used = 0;
    if (len)
        buf[0] = '\0';
    for (reg = reg ? reg : isac_policy_registry_builtin(); reg; reg = reg->parent)
        for (size_t i = 0; i < reg->count && used < len; i++) {
            int n =
                snprintf(buf + used, len - used, "%s%s", used ? ", " : "", reg->entries[i]->name);
            used += n > 0 ? (size_t)n : 0;
        }
    return buf;
}

int isac_policy_name_known(const char *name)
{
    return isac_policy_registry_find(NULL, name) != NULL;
}

/* ---- instances ---- */

isac_policy isac_policy_create(const struct isac_policy_vtable *vt,
                               const struct isac_policy_args *a)
{
    if (!vt || !a || a->num_beams == 0 || a->num_beams > 4096)
        return NULL;
    const struct isac_policy_opts *o = &a->opts;
    if (!(o->pfa > 0 && o->pfa < 1) || !(o->grid_cells >= 1) || isac_mdp_params_check(&o->mdp))
        return NULL;
    isac_policy p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    p->vt = vt;
    p->Q = a->num_beams;
    if (!(p->st = vt->create(a))) {
        free(p);
        return NULL;
    }
    isac_policy_reset(p, 0);
    return p;
}

isac_policy isac_policy_create_named(const char *name, const struct isac_policy_args *a)
{
    return isac_policy_create(isac_policy_registry_find(NULL, name), a);
}

void isac_policy_destroy(isac_policy p)
{
    if (p)
        p->vt->destroy(p->st);
    free(p);
}

void isac_policy_reset(isac_policy p, uint64_t episode)
{
    p->vt->reset(p->st, episode);
}

int isac_policy_decide(isac_policy p, const struct isac_policy_obs *prev,
                       struct isac_policy_decision *d)
{
    d->beam = 0;
    d->plan = NULL;
    int rc = p->vt->decide(p->st, prev, d);
    if (rc == ISAC_OK && !d->plan && d->beam >= p->Q)
        rc = ISAC_EINVAL;
    return rc;
}

unsigned isac_policy_next(isac_policy p, const struct isac_policy_obs *prev)
{
    struct isac_policy_decision d;
    if (isac_policy_decide(p, prev, &d) != ISAC_OK)
        return ISAC_POLICY_NO_BEAM;
    if (d.plan) {
        int b = isac_tx_plan_beam(d.plan);
        return b >= 0 ? (unsigned)b : ISAC_POLICY_NO_BEAM;
    }
    return d.beam;
}

void isac_policy_observe(isac_policy p, const struct isac_policy_obs *obs)
{
    if (p->vt->observe)
        p->vt->observe(p->st, obs);
}

int isac_policy_may_stop(isac_policy p)
{
    return p->vt->may_stop ? p->vt->may_stop(p->st) : 1;
}
