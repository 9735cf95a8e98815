#include "learn/ddqn.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

struct isac_ddqn_s {
    struct isac_ddqn_cfg c;
    isac_mlp q, qt; /* online and target */
    float *params;  /* copy buffer for the target update */
    struct isac_transition *buf;
    size_t n, head;
    unsigned steps;
    unsigned nin, nact;
    float *x, *x2, *dy; /* batch inputs (s, s'), output gradient */
    float *qs;          /* batch Q(s, .) */
    float *qa, *qb;     /* batch Q(s', .) online, target */
};

void isac_ddqn_destroy(isac_ddqn d)
{
    if (!d)
        return;
    isac_mlp_destroy(d->q);
    isac_mlp_destroy(d->qt);
    free(d->params);
    free(d->buf);
    free(d->x);
    free(d->x2);
    free(d->dy);
    free(d->qs);
    free(d->qa);
    free(d->qb);
    free(d);
}

isac_ddqn isac_ddqn_create(const struct isac_ddqn_cfg *c, uint64_t seed)
{
    if (isac_mdp_params_check(&c->mdp) || c->h1 < 1 || c->h2 < 1 || c->batch < 1 ||
        c->batch > 4096 || c->buffer < c->batch || c->target_every < 1 || !(c->alpha_con >= 0))
        return NULL;
    isac_ddqn d = calloc(1, sizeof *d);
    if (!d)
        return NULL;
    d->c = *c;
    d->nin = c->mdp.emb + 2;
    d->nact = 2 * c->mdp.tau;
    unsigned sizes[4] = {d->nin, c->h1, c->h2, 1 + d->nact};
    enum isac_nn_act acts[3] = {ISAC_NN_RELU, ISAC_NN_RELU, ISAC_NN_LINEAR};
    isac_rng rng;
    isac_rng_seed_stream(&rng, seed, 0x646471ULL);
    d->q = isac_mlp_create(3, sizes, acts, c->batch, &rng);
    d->qt = isac_mlp_create(3, sizes, acts, c->batch, &rng);
    d->buf = calloc(c->buffer, sizeof *d->buf);
    size_t B = c->batch;
    d->x = malloc(B * d->nin * sizeof(float));
    d->x2 = malloc(B * d->nin * sizeof(float));
    d->dy = malloc(B * (1 + d->nact) * sizeof(float));
    d->qs = malloc(B * d->nact * sizeof(float));
    d->qa = malloc(B * d->nact * sizeof(float));
    d->qb = malloc(B * d->nact * sizeof(float));
    if (!d->q || !d->qt || !d->buf || !d->x || !d->x2 || !d->dy || !d->qs || !d->qa || !d->qb ||
        !(d->params = malloc(isac_mlp_num_params(d->q) * sizeof(float)))) {
        isac_ddqn_destroy(d);
        return NULL;
    }
    isac_mlp_get_params(d->q, d->params);
    isac_mlp_set_params(d->qt, d->params);
    return d;
}

float isac_ddqn_shaped_reward(const struct isac_mdp_params *m, double pd, double pd_next, int done)
{
    double r = done ? m->b0 : -1.0;
    return (float)(r + isac_mdp_shaping(m, pd, pd_next, done));
}

void isac_ddqn_store(isac_ddqn d, const struct isac_transition *t)
{
    d->buf[d->head] = *t;
    if (d->n < d->c.buffer)
        d->n++;
    if (++d->head == d->c.buffer)
        d->head = d->c.pinned < d->c.buffer ? d->c.pinned : 0;
}

size_t isac_ddqn_buffer_size(isac_ddqn d)
{
    return d->n;
}

const struct isac_transition *isac_ddqn_buffer_at(isac_ddqn d, size_t i)
{
    return i < d->n ? &d->buf[i] : NULL;
}

/* Dueling combination of B output rows (1 + nact each) into Q (nact each). */
static void duel(const float *out, unsigned B, unsigned nact, float *q)
{
    for (unsigned r = 0; r < B; r++) {
        const float *o = out + (size_t)r * (1 + nact);
        float amax = o[1];
        for (unsigned k = 1; k < nact; k++)
            amax = o[1 + k] > amax ? o[1 + k] : amax;
        for (unsigned k = 0; k < nact; k++)
            q[(size_t)r * nact + k] = o[0] + o[1 + k] - amax;
    }
}

/* dQ (nact per row) -> d out (1 + nact per row), through eq. (34); the max's
 * subgradient goes to its first maximiser. */
static void duel_backward(const float *out, const float *dq, unsigned B, unsigned nact, float *dout)
{
    for (unsigned r = 0; r < B; r++) {
        const float *o = out + (size_t)r * (1 + nact);
        const float *g = dq + (size_t)r * nact;
        float *dd = dout + (size_t)r * (1 + nact);
        unsigned am = 0;
        float sum = 0;
        for (unsigned k = 1; k < nact; k++)
            if (o[1 + k] > o[1 + am])
                am = k;
        for (unsigned k = 0; k < nact; k++)
            sum += g[k];
        dd[0] = sum;
        for (unsigned k = 0; k < nact; k++)
            dd[1 + k] = g[k] - (k == am ? sum : 0.0f);
    }
}

void isac_ddqn_q(isac_ddqn d, unsigned mu, double pd, int fg, float *q)
{
    float x[ISAC_MDP_MAX_EMB + 2];
    isac_mdp_state_input(&d->c.mdp, mu, pd, fg, x);
    duel(isac_mlp_forward(d->q, x, 1), 1, d->nact, q);
}

unsigned isac_ddqn_act(isac_ddqn d, unsigned mu, double pd, int fg)
{
    float q[2 * ISAC_MDP_MAX_TAU];
    isac_ddqn_q(d, mu, pd, fg, q);
    return isac_qnet_argmax(q, d->nact);
}

double isac_ddqn_train_step(isac_ddqn d, float lr, isac_rng *rng)
{
    unsigned B = d->c.batch, A = d->nact, in = d->nin;
    if (d->n < B)
        return NAN;
    const struct isac_transition *tb[4096];
    for (unsigned r = 0; r < B; r++) {
        tb[r] = &d->buf[isac_rng_below(rng, d->n)];
        isac_mdp_state_input(&d->c.mdp, tb[r]->mu, tb[r]->pd, tb[r]->fg, d->x + (size_t)r * in);
        isac_mdp_state_input(&d->c.mdp, tb[r]->mu_next, tb[r]->pd_next, tb[r]->fg_next,
                             d->x2 + (size_t)r * in);
    }
    duel(isac_mlp_forward(d->q, d->x2, B), B, A, d->qa);
    duel(isac_mlp_forward(d->qt, d->x2, B), B, A, d->qb);
    const float *out = isac_mlp_forward(d->q, d->x, B);
    duel(out, B, A, d->qs);
    float dq[4096];
    float *g = B * A <= 4096 ? dq : NULL;
    if (!g)
        return NAN;
    double loss = 0;
    for (unsigned r = 0; r < B; r++) {
        const struct isac_transition *t = tb[r];
        const float *qs = d->qs + (size_t)r * A;
        float target = t->r;
        if (!t->done)
            target += (float)d->c.mdp.rho *
                      d->qb[(size_t)r * A + isac_qnet_argmax(d->qa + (size_t)r * A, A)];
        float diff = qs[t->a] - target;
        loss += (double)diff * diff / B;
        for (unsigned k = 0; k < A; k++)
            g[(size_t)r * A + k] = 0;
        g[(size_t)r * A + t->a] = 2.0f * diff / B;
        if (d->c.alpha_con > 0 && !(d->c.cql_real && t->twin)) {
            float m = qs[0], s = 0;
            for (unsigned k = 1; k < A; k++)
                m = qs[k] > m ? qs[k] : m;
            for (unsigned k = 0; k < A; k++)
                s += expf(qs[k] - m);
            loss += d->c.alpha_con * ((double)m + log(s) - qs[t->a]) / B;
            for (unsigned k = 0; k < A; k++)
                g[(size_t)r * A + k] += d->c.alpha_con * (expf(qs[k] - m) / s - (k == t->a)) / B;
        }
    }
    duel_backward(out, g, B, A, d->dy);
    isac_mlp_zero_grad(d->q);
    isac_mlp_backward(d->q, d->dy, NULL);
    isac_mlp_adam_step(d->q, &d->c.adam, lr);
    if (++d->steps % d->c.target_every == 0) {
        isac_mlp_get_params(d->q, d->params);
        isac_mlp_set_params(d->qt, d->params);
    }
    return loss;
}

size_t isac_ddqn_num_params(isac_ddqn d)
{
    return isac_mlp_num_params(d->q);
}

void isac_ddqn_export(isac_ddqn d, struct isac_qnet_def *def, float *storage)
{
    isac_mlp_get_params(d->q, storage);
    memset(def, 0, sizeof *def);
    def->version = ISAC_QNET_VERSION;
    def->tau = d->c.mdp.tau;
    def->emb = d->c.mdp.emb;
    def->b3 = d->c.mdp.b3;
    const float *p = storage;
    for (unsigned l = 0; l < ISAC_QNET_LAYERS; l++) {
        unsigned in = isac_mlp_width(d->q, l), out = isac_mlp_width(d->q, l + 1);
        def->l[l] = (struct isac_qnet_layer_def){in, out, l < ISAC_QNET_LAYERS - 1, p,
                                                 p + (size_t)in * out};
        p += (size_t)in * out + out;
    }
}
