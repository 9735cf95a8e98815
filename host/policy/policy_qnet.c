/* qnet: the dueling Q-network over the MDP of policy/mdp.h (policy.h). */
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "policy/policy.h"

struct qnet_pol {
    unsigned Q;
    uint64_t seed;
    struct policy_opts o; /* o.qnet: the network; o.mdp.b3: its input map */
    struct policy_pd_cache pdc;
    isac_rng rng;
    uint8_t visited[4096];
    int started;
    double pd_prev;
    int delta_prev;
    float x[MDP_MAX_EMB + 2], q[2 * MDP_MAX_TAU], *scratch;
};

static void qnet_destroy(void *st)
{
    struct qnet_pol *s = st;
    if (s)
        free(s->scratch);
    free(s);
}

static void *qnet_create(const struct policy_args *a)
{
    const struct qnet_def *net = a->opts.qnet ? a->opts.qnet : &qnet_default;
    if (qnet_def_check(net, a->opts.mdp.tau, a->opts.mdp.emb, NULL, 0))
        return NULL;
    struct qnet_pol *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->Q = a->num_beams;
    s->seed = a->seed;
    s->o = a->opts;
    s->o.qnet = net;
    s->o.mdp.b3 = net->b3; /* the input map the network was trained with */
    s->scratch = malloc((net->l[0].out + net->l[1].out + net->l[2].out) * sizeof(float));
    if (!s->scratch) {
        qnet_destroy(s);
        return NULL;
    }
    return s;
}

static void qnet_reset(void *st, uint64_t episode)
{
    struct qnet_pol *s = st;
    policy_episode_rng(&s->rng, s->seed, episode);
    memset(s->visited, 0, sizeof s->visited);
    s->started = 0;
    s->pd_prev = 0;
    s->delta_prev = 0;
}

static int qnet_decide(void *st, const struct policy_obs *prev, struct policy_decision *d)
{
    struct qnet_pol *s = st;
    if (!prev) {
        s->started = 0;
        d->beam = (unsigned)isac_rng_below(&s->rng, s->Q);
        return ISAC_OK;
    }
    s->visited[prev->beam % 4096] = 1;
    double pd = policy_pd_cached(&s->pdc, &s->o, prev);
    int fg = mdp_feedback(!s->started, pd, s->pd_prev, s->delta_prev);
    mdp_state_input(&s->o.mdp, prev->beam, pd, fg, s->x);
    qnet_q_values(s->o.qnet, s->x, s->q, s->scratch);
    unsigned best = s->o.avoid_revisits
                        ? mdp_masked_argmax(s->q, s->o.mdp.tau, prev->beam, s->Q, s->visited)
                        : qnet_argmax(s->q, 2 * s->o.mdp.tau);
    int delta = mdp_action_delta(s->o.mdp.tau, best);
    s->started = 1;
    s->pd_prev = pd;
    s->delta_prev = delta;
    d->beam = mdp_apply(prev->beam, delta, s->Q);
    return ISAC_OK;
}

const struct policy_vtable policy_qnet = {
    .name = "qnet",
    .summary = "the dueling Q-network (compiled in or --weights FILE), argmax over the MDP",
    .caps = POLICY_CAP_CODEBOOK | POLICY_CAP_PD_FEEDBACK | POLICY_CAP_QNET,
    .create = qnet_create,
    .reset = qnet_reset,
    .decide = qnet_decide,
    .destroy = qnet_destroy,
};
