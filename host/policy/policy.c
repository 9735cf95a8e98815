#include "policy/policy.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/rng.h"
#include "detect/glrt.h"

#define PSO_PARTICLES 4
#define PSO_INERTIA 0.7
#define PSO_C1 1.5
#define PSO_C2 1.5

struct pso_state {
    double x[PSO_PARTICLES], v[PSO_PARTICLES]; /* position (beam, continuous), velocity */
    double pbest_x[PSO_PARTICLES], pbest_f[PSO_PARTICLES];
    double gbest_x, gbest_f;
    unsigned last_beam[PSO_PARTICLES];
    unsigned evaluated; /* particle evaluations so far this episode */
    unsigned cur;       /* particle whose beam is being evaluated */
};

struct mdp_state {
    uint8_t visited[4096];
    int started;
    double pd_prev;
    int delta_prev;
};

#define OBS_THR_CACHE 33

/* Exhaustive sweep: position in the round (0..Q-1 measuring, Q: the committed beam). */
struct sweep_state {
    unsigned next; /* index of the next step of the round, 0..Q */
    int measuring; /* the last step chosen was a measuring step */
    unsigned best; /* beam of the round's best observation so far */
    double best_pd, best_lambda;
};

struct policy_s {
    enum policy_kind kind;
    unsigned Q;
    uint64_t seed;
    isac_rng rng;
    struct policy_opts o;
    struct pso_state pso;
    struct mdp_state m;
    float x[MDP_MAX_EMB + 2], q[2 * MDP_MAX_TAU], *scratch;
    double thr2[OBS_THR_CACHE]; /* 2 x per-cell GLRT threshold by num_aps (0: not yet) */
    struct sweep_state sw;
};

static const char *const names[] = {"sweep", "random", "pso", "qnet", "scan"};

int policy_kind_from_name(const char *name, enum policy_kind *kind)
{
    for (unsigned k = 0; k < sizeof names / sizeof names[0]; k++)
        if (name && !strcmp(name, names[k])) {
            *kind = (enum policy_kind)k;
            return 0;
        }
    return -1;
}

const char *policy_kind_name(enum policy_kind kind)
{
    return (unsigned)kind < sizeof names / sizeof names[0] ? names[kind] : "unknown";
}

void policy_opts_defaults(struct policy_opts *o)
{
    memset(o, 0, sizeof *o);
    o->qnet = NULL;
    mdp_params_defaults(&o->mdp);
    o->pfa = 1e-3;
    o->grid_cells = 81.0 * 81.0;
    o->avoid_revisits = 1;
}

double policy_obs_pd(const struct policy_opts *o, const struct policy_obs *obs)
{
    return mdp_observed_pd(obs->detected, obs->pd, obs->lambda, obs->num_aps, o->pfa,
                           o->grid_cells);
}

policy policy_create(enum policy_kind kind, unsigned num_beams, uint64_t seed)
{
    return policy_create_ex(kind, num_beams, seed, NULL);
}

policy policy_create_ex(enum policy_kind kind, unsigned num_beams, uint64_t seed,
                        const struct policy_opts *o)
{
    if ((unsigned)kind >= sizeof names / sizeof names[0] || num_beams == 0 || num_beams > 4096)
        return NULL;
    struct policy_opts def;
    policy_opts_defaults(&def);
    if (!o)
        o = &def;
    if (!(o->pfa > 0 && o->pfa < 1) || !(o->grid_cells >= 1) || mdp_params_check(&o->mdp))
        return NULL;
    const struct qnet_def *net = o->qnet ? o->qnet : &qnet_default;
    if (kind == POLICY_QNET && qnet_def_check(net, o->mdp.tau, o->mdp.emb, NULL, 0))
        return NULL;
    policy p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    p->kind = kind;
    p->Q = num_beams;
    p->seed = seed;
    p->o = *o;
    p->o.qnet = net;
    if (kind == POLICY_QNET)
        p->o.mdp.b3 = net->b3; /* the input map the network was trained with */
    if (kind == POLICY_QNET) {
        p->scratch = malloc((net->l[0].out + net->l[1].out + net->l[2].out) * sizeof(float));
        if (!p->scratch) {
            free(p);
            return NULL;
        }
    }
    policy_reset(p, 0);
    return p;
}

void policy_destroy(policy p)
{
    if (p)
        free(p->scratch);
    free(p);
}

void policy_reset(policy p, uint64_t episode)
{
    /* One stream per episode: an episode's decisions do not depend on how many
     * draws earlier episodes made, which keeps replays of partial runs exact. */
    isac_rng_seed_stream(&p->rng, p->seed, 0x706f6c6963790000ULL + episode);
    memset(&p->pso, 0, sizeof p->pso);
    memset(&p->m, 0, sizeof p->m);
    memset(&p->sw, 0, sizeof p->sw);
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

/* policy_obs_pd with the threshold of each num_aps computed once per policy. */
static double obs_pd(policy p, const struct policy_obs *obs)
{
    unsigned n = obs->num_aps;
    if (obs->detected || n == 0 || n >= OBS_THR_CACHE)
        return policy_obs_pd(&p->o, obs);
    if (p->thr2[n] == 0.0)
        p->thr2[n] = 2.0 * glrt_threshold_n(n, p->o.pfa / p->o.grid_cells);
    return mdp_observed_pd_thr(0, 0.0, obs->lambda, n, p->thr2[n]);
}

static unsigned pso_next(policy p, const struct policy_obs *prev)
{
    struct pso_state *s = &p->pso;
    const unsigned P = PSO_PARTICLES;
    if (prev) { /* fitness of the particle just evaluated */
        double f = obs_pd(p, prev);
        unsigned k = s->cur;
        if (s->evaluated < P || f > s->pbest_f[k]) {
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
    unsigned k = s->evaluated % P;
    s->cur = k;
    if (s->evaluated < P) { /* initial swarm: uniform over the codebook */
        s->x[k] = (double)isac_rng_below(&p->rng, p->Q);
        s->v[k] = 0;
        return wrap_round(s->x[k], p->Q);
    }
    double r1 = isac_rng_uniform(&p->rng), r2 = isac_rng_uniform(&p->rng);
    double vmax = p->Q / 4.0;
    double v = PSO_INERTIA * s->v[k] + PSO_C1 * r1 * circ_diff(s->x[k], s->pbest_x[k], p->Q) +
               PSO_C2 * r2 * circ_diff(s->x[k], s->gbest_x, p->Q);
    v = v > vmax ? vmax : v < -vmax ? -vmax : v;
    s->v[k] = v;
    s->x[k] = fmod(s->x[k] + v + p->Q, (double)p->Q);
    unsigned beam = wrap_round(s->x[k], p->Q);
    if (beam == s->last_beam[k] && fabs(v) < 0.5) { /* at rest on its own last beam */
        s->x[k] = (double)isac_rng_below(&p->rng, p->Q);
        s->v[k] = 0;
        beam = wrap_round(s->x[k], p->Q);
    }
    return beam;
}

static unsigned qnet_next(policy p, const struct policy_obs *prev)
{
    struct mdp_state *m = &p->m;
    if (!prev) {
        m->started = 0;
        return (unsigned)isac_rng_below(&p->rng, p->Q);
    }
    m->visited[prev->beam % 4096] = 1;
    double pd = obs_pd(p, prev);
    int fg = mdp_feedback(!m->started, pd, m->pd_prev, m->delta_prev);
    mdp_state_input(&p->o.mdp, prev->beam, pd, fg, p->x);
    qnet_q_values(p->o.qnet, p->x, p->q, p->scratch);
    unsigned best = p->o.avoid_revisits
                        ? mdp_masked_argmax(p->q, p->o.mdp.tau, prev->beam, p->Q, m->visited)
                        : qnet_argmax(p->q, 2 * p->o.mdp.tau);
    int delta = mdp_action_delta(p->o.mdp.tau, best);
    m->started = 1;
    m->pd_prev = pd;
    m->delta_prev = delta;
    return mdp_apply(prev->beam, delta, p->Q);
}

static unsigned sweep_next(policy p, const struct policy_obs *prev)
{
    struct sweep_state *s = &p->sw;
    if (prev && s->measuring) {
        double pd = obs_pd(p, prev);
        if (pd > s->best_pd || (pd == s->best_pd && prev->lambda > s->best_lambda)) {
            s->best = prev->beam;
            s->best_pd = pd;
            s->best_lambda = prev->lambda;
        }
    }
    if (s->next == 0) { /* a new round: nothing measured yet */
        s->best_pd = -1.0;
        s->best_lambda = -INFINITY;
    }
    if (s->next < p->Q) {
        s->measuring = 1;
        return s->next++;
    }
    s->measuring = 0;
    s->next = 0; /* the round after a miss starts over */
    return s->best;
}

int policy_may_stop(policy p)
{
    return p->kind != POLICY_SWEEP || !p->sw.measuring;
}

unsigned policy_next(policy p, const struct policy_obs *prev)
{
    switch (p->kind) {
    case POLICY_SWEEP: return sweep_next(p, prev);
    case POLICY_SCAN: return prev ? (prev->beam + 1) % p->Q : 0;
    case POLICY_PSO: return pso_next(p, prev);
    case POLICY_QNET: return qnet_next(p, prev);
    case POLICY_RANDOM:
    default: return (unsigned)isac_rng_below(&p->rng, p->Q);
    }
}
