#include "policy/policy.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "detect/glrt.h"

struct policy_s {
    const struct policy_vtable *vt;
    void *st;
    unsigned Q;
};

void policy_opts_defaults(struct policy_opts *o)
{
    memset(o, 0, sizeof *o);
    o->qnet = NULL;
    mdp_params_defaults(&o->mdp);
    o->pfa = 1e-3;
    o->grid_cells = 81.0 * 81.0;
    o->avoid_revisits = 1;
}

void policy_args_defaults(struct policy_args *a, unsigned num_beams, uint64_t seed)
{
    memset(a, 0, sizeof *a);
    a->num_beams = num_beams;
    a->seed = seed;
    policy_opts_defaults(&a->opts);
}

double policy_obs_pd(const struct policy_opts *o, const struct policy_obs *obs)
{
    return mdp_observed_pd(obs->detected, obs->pd, obs->lambda, obs->num_aps, o->pfa,
                           o->grid_cells);
}

double policy_pd_cached(struct policy_pd_cache *c, const struct policy_opts *o,
                        const struct policy_obs *obs)
{
    unsigned n = obs->num_aps;
    if (obs->detected || n == 0 || n >= POLICY_PD_CACHE)
        return policy_obs_pd(o, obs);
    if (c->thr2[n] == 0.0)
        c->thr2[n] = 2.0 * glrt_threshold_n(n, o->pfa / o->grid_cells);
    return mdp_observed_pd_thr(0, 0.0, obs->lambda, n, c->thr2[n]);
}

void policy_episode_rng(isac_rng *r, uint64_t seed, uint64_t episode)
{
    isac_rng_seed_stream(r, seed, 0x706f6c6963790000ULL + episode);
}

/* ---- registry ---- */

const struct policy_vtable *policy_registry_find(const struct policy_registry *reg,
                                                 const char *name)
{
    for (reg = reg ? reg : policy_registry_builtin(); reg && name; reg = reg->parent)
        for (size_t i = 0; i < reg->count; i++)
            if (!strcmp(reg->entries[i]->name, name))
                return reg->entries[i];
    return NULL;
}

const char *policy_registry_names(const struct policy_registry *reg, char *buf, size_t len)
{
    size_t used = 0;
    if (len)
        buf[0] = '\0';
    for (reg = reg ? reg : policy_registry_builtin(); reg; reg = reg->parent)
        for (size_t i = 0; i < reg->count && used < len; i++) {
            int n =
                snprintf(buf + used, len - used, "%s%s", used ? ", " : "", reg->entries[i]->name);
            used += n > 0 ? (size_t)n : 0;
        }
    return buf;
}

int policy_name_known(const char *name)
{
    return policy_registry_find(NULL, name) != NULL;
}

/* ---- instances ---- */

policy policy_create(const struct policy_vtable *vt, const struct policy_args *a)
{
    if (!vt || !a || a->num_beams == 0 || a->num_beams > 4096)
        return NULL;
    const struct policy_opts *o = &a->opts;
    if (!(o->pfa > 0 && o->pfa < 1) || !(o->grid_cells >= 1) || mdp_params_check(&o->mdp))
        return NULL;
    policy p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    p->vt = vt;
    p->Q = a->num_beams;
    if (!(p->st = vt->create(a))) {
        free(p);
        return NULL;
    }
    policy_reset(p, 0);
    return p;
}

policy policy_create_named(const char *name, const struct policy_args *a)
{
    return policy_create(policy_registry_find(NULL, name), a);
}

void policy_destroy(policy p)
{
    if (p)
        p->vt->destroy(p->st);
    free(p);
}

void policy_reset(policy p, uint64_t episode)
{
    p->vt->reset(p->st, episode);
}

int policy_decide(policy p, const struct policy_obs *prev, struct policy_decision *d)
{
    d->beam = 0;
    d->plan = NULL;
    int rc = p->vt->decide(p->st, prev, d);
    if (rc == ISAC_OK && !d->plan && d->beam >= p->Q)
        rc = ISAC_EINVAL;
    return rc;
}

unsigned policy_next(policy p, const struct policy_obs *prev)
{
    struct policy_decision d;
    if (policy_decide(p, prev, &d) != ISAC_OK)
        return POLICY_NO_BEAM;
    if (d.plan) {
        int b = isac_tx_plan_beam(d.plan);
        return b >= 0 ? (unsigned)b : POLICY_NO_BEAM;
    }
    return d.beam;
}

void policy_observe(policy p, const struct policy_obs *obs)
{
    if (p->vt->observe)
        p->vt->observe(p->st, obs);
}

int policy_may_stop(policy p)
{
    return p->vt->may_stop ? p->vt->may_stop(p->st) : 1;
}
