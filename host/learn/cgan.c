#include "learn/cgan.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Discriminator features of a P_D sample p: p, sigma_v(p) and, with isac_cgan_cfg.logit, the
 * scaled log-odds logit(p) / LOGIT_SCALE. Most observed P_D lie in 0.01..0.2 (noise
 * beams) or near 1: in p itself these differences are a few hundredths, which the
 * discriminator barely resolves; the log-odds spread them over a few units. */
#define LOGIT_CLAMP 1e-4
#define LOGIT_SCALE 4.0

/* Offset classes of the scene condition: -SCENE_NEAR..SCENE_NEAR beams from the target,
 * and "farther" (the observed P_D rises within about three beams of the target and is
 * flat beyond; a one-hot class gives the generator the narrow on-target mode directly,
 * where the sinusoidal embedding needs several frequencies combined: on synthetic data
 * on-target mean 0.84 against 0.41 after 20 epochs, tests/test_train_repro.c). */
#define SCENE_NEAR 8
#define SCENE_CLASSES (2 * SCENE_NEAR + 2)

struct isac_cgan_s {
    struct isac_cgan_cfg c;
    struct isac_mdp_params m;
    unsigned Q, nc, nd, ng; /* condition size, D input, G input */
    isac_mlp G, D;
    float *xg, *xd, *dy, *dx, *p;
    size_t *order;
    const struct isac_transition **tb;
    size_t order_n;
};

void isac_cgan_destroy(isac_cgan g)
{
    if (!g)
        return;
    isac_mlp_destroy(g->G);
    isac_mlp_destroy(g->D);
    free(g->xg);
    free(g->xd);
    free(g->dy);
    free(g->dx);
    free(g->p);
    free(g->order);
    free((void *)g->tb);
    free(g);
}

isac_cgan isac_cgan_create(const struct isac_cgan_cfg *c, const struct isac_mdp_params *m,
                           unsigned num_beams, uint64_t seed)
{
    if (isac_mdp_params_check(m) || c->zdim < 1 || c->zdim > 256 || c->batch < 1 ||
        c->batch > 65536 || num_beams < 1 || !(c->lr > 0) || !(c->lr_d >= 0) || c->logit > 1 ||
        c->scene > 1)
        return NULL;
    isac_cgan g = calloc(1, sizeof *g);
    if (!g)
        return NULL;
    g->c = *c;
    g->m = *m;
    g->Q = num_beams;
    g->nc = 2 * m->emb + 2 + 2 * m->tau + (c->scene ? 2 * SCENE_CLASSES : 0);
    g->ng = c->zdim + g->nc;
    g->nd = (c->logit ? 3u : 2u) + g->nc;
    isac_rng rng;
    isac_rng_seed_stream(&rng, seed, 0x6367616eULL);
    unsigned gs[4] = {g->ng, c->g1, c->g2, 1}, ds[4] = {g->nd, c->d1, c->d2, 1};
    enum isac_nn_act ga[3] = {ISAC_NN_RELU, ISAC_NN_RELU, ISAC_NN_SIGMOID},
                     da[3] = {ISAC_NN_LEAKY, ISAC_NN_LEAKY, ISAC_NN_SIGMOID};
    g->G = isac_mlp_create(3, gs, ga, c->batch, &rng);
    g->D = isac_mlp_create(3, ds, da, c->batch, &rng);
    size_t B = c->batch;
    g->xg = malloc(B * g->ng * sizeof(float));
    g->xd = malloc(B * g->nd * sizeof(float));
    g->dy = malloc(B * sizeof(float));
    g->dx = malloc(B * g->nd * sizeof(float));
    g->p = malloc(B * sizeof(float));
    g->tb = malloc(B * sizeof *g->tb);
    if (!g->tb || !g->G || !g->D || !g->xg || !g->xd || !g->dy || !g->dx || !g->p) {
        isac_cgan_destroy(g);
        return NULL;
    }
    return g;
}

/* Discriminator features of the sample before the condition (see LOGIT_SCALE). */
static unsigned dx_of(const isac_cgan g)
{
    return g->c.logit ? 3u : 2u;
}

/* One-hot offset class of beam mu from the scene's target beam; zeros when unknown. */
static void offset_class(const isac_cgan g, unsigned mu, unsigned target, float *c)
{
    memset(c, 0, SCENE_CLASSES * sizeof *c);
    if (target >= g->Q)
        return;
    int d = isac_mdp_wrap_delta(target, mu, g->Q);
    c[d >= -SCENE_NEAR && d <= SCENE_NEAR ? d + SCENE_NEAR : SCENE_CLASSES - 1] = 1.0f;
}

static void condition(const isac_cgan g, const struct isac_cgan_cond *u, float *c)
{
    unsigned E = g->m.emb;
    isac_mdp_embed(u->mu_next, E, c);
    isac_mdp_embed(u->mu, E, c + E);
    c[2 * E] = (float)isac_mdp_sigmoid_variant(g->m.b3, u->pd);
    c[2 * E + 1] = (float)u->fg;
    for (unsigned k = 0; k < 2 * g->m.tau; k++)
        c[2 * E + 2 + k] = k == u->a ? 1.0f : 0.0f;
    if (g->c.scene) {
        float *o = c + 2 * E + 2 + 2 * g->m.tau;
        offset_class(g, u->mu_next, u->target, o);
        offset_class(g, u->mu, u->target, o + SCENE_CLASSES);
    }
}

struct isac_cgan_cond isac_cgan_cond_of(const struct isac_transition *t)
{
    return (struct isac_cgan_cond){t->mu, t->mu_next, t->a, t->pd, t->fg, t->target};
}

/* Generator inputs of B rows; the conditions come from xd rows (already filled). */
static const float *generate(isac_cgan g, unsigned B, isac_rng *rng)
{
    for (unsigned r = 0; r < B; r++) {
        float *x = g->xg + (size_t)r * g->ng;
        for (unsigned k = 0; k < g->c.zdim; k++)
            x[k] = (float)isac_rng_normal(rng);
        memcpy(x + g->c.zdim, g->xd + (size_t)r * g->nd + dx_of(g), g->nc * sizeof(float));
    }
    return isac_mlp_forward(g->G, g->xg, B);
}

static double clamp_logit(double p)
{
    return p < LOGIT_CLAMP ? LOGIT_CLAMP : p > 1 - LOGIT_CLAMP ? 1 - LOGIT_CLAMP : p;
}

static void set_p(isac_cgan g, unsigned B, const float *p)
{
    for (unsigned r = 0; r < B; r++) {
        double q = clamp_logit(p[r]);
        g->xd[(size_t)r * g->nd] = p[r];
        g->xd[(size_t)r * g->nd + 1] = (float)isac_mdp_sigmoid_variant(g->m.b3, p[r]);
        if (g->c.logit)
            g->xd[(size_t)r * g->nd + 2] = (float)(log(q / (1 - q)) / LOGIT_SCALE);
    }
}

static float clampf(float y)
{
    return y < 1e-7f ? 1e-7f : y > 1 - 1e-7f ? 1 - 1e-7f : y;
}

/* One D step and one G step on B transitions; returns the two losses. */
static void train_batch(isac_cgan g, const struct isac_transition *const *tb, unsigned B,
                        isac_rng *rng, double *ld, double *lg)
{
    for (unsigned r = 0; r < B; r++) {
        const struct isac_transition *t = tb[r];
        struct isac_cgan_cond u = isac_cgan_cond_of(t);
        condition(g, &u, g->xd + (size_t)r * g->nd + dx_of(g));
    }
    /* Discriminator: real rows, then generated rows. */
    const float *gp = generate(g, B, rng);
    memcpy(g->p, gp, B * sizeof(float));
    isac_mlp_zero_grad(g->D);
    for (unsigned r = 0; r < B; r++)
        g->dx[r] = tb[r]->pd_next;
    set_p(g, B, g->dx);
    const float *y = isac_mlp_forward(g->D, g->xd, B);
    double l = 0;
    for (unsigned r = 0; r < B; r++) {
        float v = clampf(y[r]);
        l -= log(v);
        g->dy[r] = -1.0f / (v * B);
    }
    isac_mlp_backward(g->D, g->dy, NULL);
    set_p(g, B, g->p);
    y = isac_mlp_forward(g->D, g->xd, B);
    for (unsigned r = 0; r < B; r++) {
        float v = clampf(y[r]);
        l -= log(1 - v);
        g->dy[r] = 1.0f / ((1 - v) * B);
    }
    isac_mlp_backward(g->D, g->dy, NULL);
    isac_mlp_adam_step(g->D, &g->c.adam, g->c.lr_d > 0 ? g->c.lr_d : g->c.lr);
    *ld += l / B;
    /* Generator: non-saturating -log D(G(z|u)) through D into G. */
    gp = generate(g, B, rng);
    memcpy(g->p, gp, B * sizeof(float));
    set_p(g, B, g->p);
    y = isac_mlp_forward(g->D, g->xd, B);
    l = 0;
    for (unsigned r = 0; r < B; r++) {
        float v = clampf(y[r]);
        l -= log(v);
        g->dy[r] = -1.0f / (v * B);
    }
    isac_mlp_backward(g->D, g->dy, g->dx);
    double b3 = g->m.b3, norm = 1.0 / (1.0 + exp(-b3)) - 0.5;
    for (unsigned r = 0; r < B; r++) {
        double e = exp(-b3 * g->p[r]);
        double ds = b3 * e / ((1 + e) * (1 + e)) / norm; /* d sigma_v / dp */
        double p = g->p[r], q = clamp_logit(p);
        double dl = q == p ? 1.0 / (p * (1 - p) * LOGIT_SCALE) : 0.0; /* d logit / dp */
        const float *dx = g->dx + (size_t)r * g->nd;
        g->dy[r] = (float)(dx[0] + dx[1] * ds + (g->c.logit ? dx[2] * dl : 0.0));
    }
    isac_mlp_zero_grad(g->G);
    isac_mlp_forward(g->G, g->xg, B); /* restore G's activations of this batch */
    isac_mlp_backward(g->G, g->dy, NULL);
    isac_mlp_adam_step(g->G, &g->c.adam, g->c.lr);
    *lg += l / B;
}

int isac_cgan_train_epoch(isac_cgan g, const struct isac_transition *data, size_t n, isac_rng *rng,
                          double *ld, double *lg)
{
    *ld = *lg = 0;
    if (n < 1)
        return -1;
    if (g->order_n < n) {
        size_t *o = realloc(g->order, n * sizeof *o);
        if (!o)
            return -1;
        g->order = o;
        g->order_n = n;
    }
    for (size_t i = 0; i < n; i++)
        g->order[i] = i;
    for (size_t i = n - 1; i > 0; i--) { /* Fisher-Yates */
        size_t j = (size_t)isac_rng_below(rng, i + 1), t = g->order[i];
        g->order[i] = g->order[j];
        g->order[j] = t;
    }
    const struct isac_transition **tb = g->tb;
    unsigned batches = 0;
    for (size_t i = 0; i < n; i += g->c.batch) {
        unsigned B = (unsigned)(n - i < g->c.batch ? n - i : g->c.batch);
        for (unsigned r = 0; r < B; r++)
            tb[r] = &data[g->order[i + r]];
        train_batch(g, tb, B, rng, ld, lg);
        batches++;
    }
    *ld /= batches;
    *lg /= batches;
    return 0;
}

double isac_cgan_sample(isac_cgan g, const struct isac_cgan_cond *u, isac_rng *rng)
{
    condition(g, u, g->xd + dx_of(g));
    return (double)generate(g, 1, rng)[0];
}
