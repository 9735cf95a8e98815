/* qnet: the dueling Q-network over the MDP of policy/mdp.h (policy.h). */
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "policy/policy.h"

struct qnet_pol {
    unsigned Q;
    uint64_t seed;
    struct isac_policy_opts o; /* o.qnet: the network; o.mdp.b3: its input map */
    struct isac_policy_pd_cache pdc;
    isac_rng rng;
    uint8_t visited[4096];
    int started;
    double pd_prev;
    int delta_prev;
    float x[ISAC_MDP_MAX_EMB + 2], q[2 * ISAC_MDP_MAX_TAU], *scratch;
};

static void qnet_destroy(void *st)
{
    struct qnet_pol *s = st;
    if (s)
        free(s->scratch);
    free(s);
}

static void *qnet_create(const struct isac_policy_args *a)
{
    const struct isac_qnet_def *net = a->opts.qnet ? a->opts.qnet : &isac_qnet_default;
    if (isac_qnet_def_check(net, a->opts.mdp.tau, a->opts.mdp.emb, NULL, 0))
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
    isac_policy_episode_rng(&s->rng, s->seed, episode);
    memset(s->visited, 0, sizeof s->visited);
    s->started = 0;
    s->pd_prev = 0;
    s->delta_prev = 0;
}

static int qnet_decide(void *st, const struct isac_policy_obs *prev, struct isac_policy_decision *d)
{
    struct qnet_pol *s = st;
    if (!prev) {
        s->started = 0;
        d->beam = (unsigned)isac_rng_below(&s->rng, s->Q);
        return ISAC_OK;
    }
    s->visited[prev->beam % 4096] = 1;
    double pd = isac_policy_pd_cached(&s->pdc, &s->o, prev);
    int fg = isac_mdp_feedback(!s->started, pd, s->pd_prev, s->delta_prev);
    isac_mdp_state_input(&s->o.mdp, prev->beam, pd, fg, s->x);
    isac_qnet_q_values(s->o.qnet, s->x, s->q, s->scratch);
    unsigned best = s->o.avoid_revisits
                        ? isac_mdp_masked_argmax(s->q, s->o.mdp.tau, prev->beam, s->Q, s->visited)
                        : isac_qnet_argmax(s->q, 2 * s->o.mdp.tau);
    int delta = isac_mdp_action_delta(s->o.mdp.tau, best);
    s->started = 1;
    s->pd_prev = pd;
    s->delta_prev = delta;
    d->beam = isac_mdp_apply(prev->beam, delta, s->Q);
    return ISAC_OK;
}

const struct isac_policy_vtable policy_qnet = {
    .name = "qnet",
    .summary = "the dueling Q-network (compiled in or --weights FILE), argmax over the MDP",
    .caps = ISAC_POLICY_CAP_CODEBOOK | ISAC_POLICY_CAP_PD_FEEDBACK | ISAC_POLICY_CAP_QNET,
    .create = qnet_create,
    .reset = qnet_reset,
    .decide = qnet_decide,
    .destroy = qnet_destroy,
};
