/* pso: the particle swarm of seed 004 section V-C over the wrapped beam index (policy.h). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "policy/policy.h"

#define PSO_PARTICLES 4
#define PSO_INERTIA 0.7
#define PSO_C1 1.5
#define PSO_C2 1.5

struct pso {
    unsigned Q;
    uint64_t seed;
    struct isac_policy_opts o;
    struct isac_policy_pd_cache pdc;
    isac_rng rng;
    double x[PSO_PARTICLES], v[PSO_PARTICLES]; /* position (beam, continuous), velocity */
    double pbest_x[PSO_PARTICLES], pbest_f[PSO_PARTICLES];
    double gbest_x, gbest_f;
    unsigned last_beam[PSO_PARTICLES];
    unsigned evaluated; /* particle evaluations so far this episode */
    unsigned cur;       /* particle whose beam is being evaluated */
};

static void *pso_create(const struct isac_policy_args *a)
{
    struct pso *s = calloc(1, sizeof *s);
    if (s) {
        s->Q = a->num_beams;
        s->seed = a->seed;
        s->o = a->opts;
    }
    return s;
}

static void pso_reset(void *st, uint64_t episode)
{
    struct pso *s = st;
    isac_policy_episode_rng(&s->rng, s->seed, episode);
    memset(s->x, 0, sizeof s->x);
    memset(s->v, 0, sizeof s->v);
    memset(s->pbest_x, 0, sizeof s->pbest_x);
    memset(s->pbest_f, 0, sizeof s->pbest_f);
    memset(s->last_beam, 0, sizeof s->last_beam);
    s->gbest_x = s->gbest_f = 0;
    s->evaluated = s->cur = 0;
}

static unsigned wrap_round(double x, unsigned Q)
{
    double r = fmod(floor(x + 0.5), (double)Q);
    return (unsigned)(r < 0 ? r + Q : r);
}

/* Continuous position difference b - a on the index circle, in (-Q/2, Q/2]. */
static double circ_diff(double a, double b, unsigned Q)
{
    double d = fmod(b - a, (double)Q);
    if (d > Q / 2.0)
        d -= Q;
    if (d <= -(Q / 2.0))
        d += Q;
    return d;
}

/* Fitness of the particle just evaluated: its personal and the global best. */
static void pso_update(struct pso *s, const struct isac_policy_obs *prev)
{
    double f = isac_policy_pd_cached(&s->pdc, &s->o, prev);
    unsigned k = s->cur;
    if (s->evaluated < PSO_PARTICLES || f > s->pbest_f[k]) {
        s->pbest_f[k] = f;
        s->pbest_x[k] = s->x[k];
    }
    if (s->evaluated == 0 || f > s->gbest_f) {
        s->gbest_f = f;
        s->gbest_x = s->x[k];
    }
    s->last_beam[k] = prev->beam;
    s->evaluated++;
}

static unsigned pso_move(struct pso *s, unsigned k)
{
    double r1 = isac_rng_uniform(&s->rng), r2 = isac_rng_uniform(&s->rng);
    double vmax = s->Q / 4.0;
    double v = PSO_INERTIA * s->v[k] + PSO_C1 * r1 * circ_diff(s->x[k], s->pbest_x[k], s->Q) +
               PSO_C2 * r2 * circ_diff(s->x[k], s->gbest_x, s->Q);
    v = v > vmax ? vmax : v < -vmax ? -vmax : v;
    s->v[k] = v;
    s->x[k] = fmod(s->x[k] + v + s->Q, (double)s->Q);
    unsigned beam = wrap_round(s->x[k], s->Q);
    if (beam == s->last_beam[k] && fabs(v) < 0.5) { /* at rest on its own last beam */
        s->x[k] = (double)isac_rng_below(&s->rng, s->Q);
        s->v[k] = 0;
        beam = wrap_round(s->x[k], s->Q);
    }
    return beam;
}

static int pso_decide(void *st, const struct isac_policy_obs *prev, struct isac_policy_decision *d)
{
    struct pso *s = st;
    if (prev)
        pso_update(s, prev);
    unsigned k = s->evaluated % PSO_PARTICLES;
    s->cur = k;
    if (s->evaluated < PSO_PARTICLES) { /* initial swarm: uniform over the codebook */
        s->x[k] = (double)isac_rng_below(&s->rng, s->Q);
        s->v[k] = 0;
        d->beam = wrap_round(s->x[k], s->Q);
        return ISAC_OK;
    }
    d->beam = pso_move(s, k);
    return ISAC_OK;
}

const struct isac_policy_vtable policy_pso = {
    .name = "pso",
    .summary = "particle swarm over the beam index, fitness = observed P_D (seed 004 V-C)",
    .caps = ISAC_POLICY_CAP_CODEBOOK | ISAC_POLICY_CAP_PD_FEEDBACK,
    .create = pso_create,
    .reset = pso_reset,
    .decide = pso_decide,
    .destroy = free,
};
