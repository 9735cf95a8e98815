#include "learn/trainer.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "learn/metrics.h"

/* ---- dataset ---- */

/* The collection as the trainer uses it: the transitions and each episode's first state
 * with its scene's target beam (the first transition's state). */
struct dataset {
    const struct isac_transition *t;
    size_t n;
    struct {
        uint16_t mu, target;
        float pd;
    } * start;
    size_t ns;
};

static int dataset_of(const struct isac_train_data *td, struct dataset *d)
{
    d->t = td->t;
    d->n = td->n;
    d->ns = 0;
    d->start = malloc((td->n ? td->n : 1) * sizeof *d->start);
    if (!d->start)
        return ISAC_ENOMEM;
    for (size_t i = 0; i < td->n; i++) {
        if (i && td->episode[i] == td->episode[i - 1])
            continue;
        d->start[d->ns].mu = td->t[i].mu;
        d->start[d->ns].pd = td->t[i].pd;
        d->start[d->ns++].target = td->t[i].target;
    }
    return ISAC_OK;
}

static void progress(const struct isac_train_hooks *h, const char *stage, unsigned done,
                     unsigned total)
{
    if (h && h->progress)
        h->progress(h->ctx, stage, done, total);
}

static void curve(const struct isac_train_hooks *h, const char *s, unsigned x, double a, double b,
                  double c, double d)
{
    if (h && h->curve)
        h->curve(h->ctx, s, x, a, b, c, d);
}

/* The reward is computed from the stored (float) P_D values, so that a collection read back
 * from its file (train_data.h) gives the same rewards bit for bit. */
static struct isac_transition make_tr(const struct isac_mdp_params *m, unsigned mu, double pd,
                                      int fg, unsigned a, unsigned mu2, double pd2, int fg2,
                                      int done)
{
    return (struct isac_transition){.mu = (uint16_t)mu,
                                    .mu_next = (uint16_t)mu2,
                                    .fg = (int8_t)fg,
                                    .fg_next = (int8_t)fg2,
                                    .a = (uint8_t)a,
                                    .done = (uint8_t)done,
                                    .target = ISAC_TRANSITION_NO_TARGET,
                                    .pd = (float)pd,
                                    .pd_next = (float)pd2,
                                    .r = isac_ddqn_shaped_reward(m, (float)pd, (float)pd2, done)};
}

unsigned isac_train_label_episode(struct isac_transition *t, size_t n, unsigned mu0, double pd0)
{
    unsigned best = mu0;
    double top = pd0;
    for (size_t i = 0; i < n; i++) {
        if (t[i].done || t[i].pd_next > top) {
            best = t[i].mu_next;
            top = t[i].done ? INFINITY : t[i].pd_next;
        }
    }
    for (size_t i = 0; i < n; i++)
        t[i].target = (uint16_t)best;
    return best;
}

/* Random-action episodes in the real environment. */
int isac_train_collect(const struct isac_train_cfg *c, const struct isac_train_env *env,
                       const struct isac_train_hooks *h, struct isac_train_data *d, char *err,
                       size_t errlen)
{
    isac_rng rng;
    isac_rng_seed_stream(&rng, c->seed, 0x636f6c6cULL);
    unsigned A = 2 * c->mdp.tau;
    for (unsigned ep = 0; ep < c->collect_episodes; ep++) {
        int rc = env->reset(env->ctx, ep), term = 0;
        unsigned cpis = 0, used = 0, truth = 0;
        int have_truth = !rc && c->twin_truth && env->target_beam &&
                         !env->target_beam(env->ctx, &truth) && truth < env->num_beams;
        double pd;
        unsigned mu = (unsigned)isac_rng_below(&rng, env->num_beams);
        if (!rc)
            rc = env->step(env->ctx, mu, &pd, &term, &cpis);
        if (rc) {
            isac_seterr(err, errlen, "data collection, episode %u: environment error %d", ep, rc);
            return rc;
        }
        used += cpis;
        int fg = 0;
        size_t first = d->n;
        unsigned mu0 = mu;
        double pd0 = pd;
        while (!term && used < c->max_steps) {
            unsigned a = (unsigned)isac_rng_below(&rng, A);
            int delta = isac_mdp_action_delta(c->mdp.tau, a);
            unsigned mu2 = isac_mdp_apply(mu, delta, env->num_beams);
            double pd2;
            if ((rc = env->step(env->ctx, mu2, &pd2, &term, &cpis))) {
                isac_seterr(err, errlen, "data collection, episode %u: environment error %d", ep,
                            rc);
                return rc;
            }
            used += cpis;
            int fg2 = isac_mdp_feedback(0, pd2, pd, delta);
            struct isac_transition t = make_tr(&c->mdp, mu, pd, fg, a, mu2, pd2, fg2, term);
            if ((rc = isac_train_data_push(d, &t, ep)))
                return rc;
            mu = mu2;
            pd = pd2;
            fg = fg2;
        }
        if (!have_truth)
            isac_train_label_episode(d->t + first, d->n - first, mu0, pd0);
        for (size_t i = first; have_truth && i < d->n; i++)
            d->t[i].target = (uint16_t)truth;
        progress(h, "collect", ep + 1, c->collect_episodes);
    }
    if (d->n < 2) {
        isac_seterr(err, errlen, "data collection: only %zu transitions", d->n);
        return ISAC_EINVAL;
    }
    return ISAC_OK;
}

/* ---- twin ---- */

/* Share of held-out transitions whose P_D^{t+1} reaches zeta (what ends an episode), real
 * and generated, over all of them and over those onto a beam within one of the scene's
 * target beam. */
static void hit_rates(const struct isac_train_cfg *c, unsigned Q, const struct isac_transition *ho,
                      size_t n, const double *gen, struct isac_train_result *res)
{
    double hr = 0, hg = 0, nr = 0, ng = 0, nn = 0;
    for (size_t i = 0; i < n; i++) {
        int r = ho[i].pd_next >= c->mdp.zeta, g = gen[i] >= c->mdp.zeta;
        hr += r;
        hg += g;
        if (ho[i].target < Q && abs(isac_mdp_wrap_delta(ho[i].target, ho[i].mu_next, Q)) <= 1) {
            nr += r;
            ng += g;
            nn++;
        }
    }
    res->hit_real = hr / (double)n;
    res->hit_gen = hg / (double)n;
    res->near_n = (size_t)nn;
    res->near_hit_real = nn ? nr / nn : NAN;
    res->near_hit_gen = nn ? ng / nn : NAN;
}

static int train_twin(const struct isac_train_cfg *c, const struct isac_train_env *env,
                      const struct isac_train_hooks *h, const struct dataset *d, isac_cgan *out,
                      struct isac_train_result *res, char *err, size_t errlen)
{
    isac_rng rng;
    isac_rng_seed_stream(&rng, c->seed, 0x7477696eULL);
    /* Hold out every k-th transition (deterministic, spread over all episodes). */
    size_t nh = (size_t)(d->n * c->holdout);
    nh = nh < 1 ? 1 : nh;
    struct isac_transition *tr = malloc(d->n * sizeof *tr), *ho = malloc(nh * sizeof *ho);
    if (!tr || !ho) {
        free(tr);
        free(ho);
        return ISAC_ENOMEM;
    }
    size_t ntr = 0, nho = 0;
    double stride = (double)d->n / nh;
    for (size_t i = 0; i < d->n; i++) {
        if (nho < nh && (size_t)(nho * stride) == i)
            ho[nho++] = d->t[i];
        else
            tr[ntr++] = d->t[i];
    }
    isac_cgan g = isac_cgan_create(&c->gan, &c->mdp, env->num_beams, c->seed);
    int rc = ISAC_OK;
    if (!g || ntr < 1) {
        isac_seterr(err, errlen, "twin: cannot create the cGAN");
        rc = ISAC_EINVAL;
    }
    for (unsigned e = 0; !rc && e < c->gan_epochs; e++) {
        if (isac_cgan_train_epoch(g, tr, ntr, &rng, &res->gan_ld, &res->gan_lg)) {
            rc = ISAC_ENOMEM;
            break;
        }
        curve(h, "twin", e, res->gan_ld, res->gan_lg, NAN, NAN);
        progress(h, "twin", e + 1, c->gan_epochs);
    }
    double *gen = rc ? NULL : malloc(2 * nho * sizeof *gen);
    if (!rc && gen) {
        double *real = gen + nho;
        for (size_t i = 0; i < nho; i++) {
            real[i] = ho[i].pd_next;
            struct isac_cgan_cond u = isac_cgan_cond_of(&ho[i]);
            gen[i] = isac_cgan_sample(g, &u, &rng);
        }
        hit_rates(c, env->num_beams, ho, nho, gen, res);
        res->kl = isac_metric_kl(gen, nho, real, nho, 20);
        res->w1 = isac_metric_w1(gen, nho, real, nho);
        res->mmd = isac_metric_mmd(gen, nho, real, nho, 0.1);
    } else if (!rc) {
        rc = ISAC_ENOMEM;
    }
    res->train_n = ntr;
    res->holdout_n = nho;
    free(gen);
    free(tr);
    free(ho);
    if (rc)
        isac_cgan_destroy(g);
    else
        *out = g;
    return rc;
}

/* ---- DRL ---- */

static float lr_at(const struct isac_train_cfg *c, unsigned e)
{
    return c->lr * powf(c->lr_decay, (float)(e / c->lr_decay_every));
}

/* Epsilon-greedy with the deployed policy's visited-beam rule (visited: Q flags of the
 * episode's beams; NULL: the plain argmax). */
static unsigned eps_greedy(isac_ddqn q, const struct isac_train_cfg *c, double eps, unsigned mu,
                           double pd, int fg, const unsigned char *visited, unsigned Q,
                           isac_rng *rng)
{
    if (isac_rng_uniform(rng) < eps)
        return (unsigned)isac_rng_below(rng, 2 * c->mdp.tau);
    if (!visited)
        return isac_ddqn_act(q, mu, pd, fg);
    float qv[2 * ISAC_MDP_MAX_TAU];
    isac_ddqn_q(q, mu, pd, fg, qv);
    return isac_mdp_masked_argmax(qv, c->mdp.tau, mu, Q, visited);
}

/* The episode's visited flags (NULL without rollout_mask), cleared, with the first beam. */
static unsigned char *visit_start(const struct isac_train_cfg *c, unsigned char *v, unsigned Q,
                                  unsigned mu)
{
    if (!c->rollout_mask)
        return NULL;
    memset(v, 0, Q);
    v[mu] = 1;
    return v;
}

static isac_ddqn new_agent(const struct isac_train_cfg *c, float alpha,
                           const struct dataset *preload)
{
    struct isac_ddqn_cfg dc = c->dqn;
    dc.mdp = c->mdp;
    dc.alpha_con = alpha;
    dc.pinned = c->keep_real && preload ? (unsigned)preload->n : 0;
    isac_ddqn q = isac_ddqn_create(&dc, c->seed);
    for (size_t i = 0; q && preload && i < preload->n; i++)
        isac_ddqn_store(q, &preload->t[i]);
    return q;
}

/* The network kept by twin_select: the best twin score so far and its weights. */
struct snapshot {
    double score;
    unsigned episode;
    float *storage;
    struct isac_qnet_def def;
};

/* A twin episode's state: the beam, the last P_D and feedback flag, the scene's target,
 * and the visited flags (NULL without rollout_mask). */
struct twin_ep {
    unsigned mu, target;
    double pd;
    int fg;
    unsigned char *vis;
};

/* Start a twin episode from the dataset's start state k. */
static struct twin_ep twin_start(const struct isac_train_cfg *c, unsigned Q,
                                 const struct dataset *d, size_t k, unsigned char *visited)
{
    return (struct twin_ep){d->start[k].mu, d->start[k].target, d->start[k].pd, 0,
                            visit_start(c, visited, Q, d->start[k].mu)};
}

/* Transmit action a in the twin: the transition from the state before, which is then
 * advanced (mu, P_D drawn by the generator, f_g, visited flags). */
static struct isac_transition twin_step(const struct isac_train_cfg *c, unsigned Q, isac_cgan g,
                                        struct twin_ep *s, unsigned a, isac_rng *rng)
{
    int delta = isac_mdp_action_delta(c->mdp.tau, a);
    unsigned mu2 = isac_mdp_apply(s->mu, delta, Q);
    if (s->vis)
        s->vis[mu2] = 1;
    struct isac_cgan_cond u = {s->mu, mu2, a, s->pd, s->fg, s->target};
    double pd2 = isac_cgan_sample(g, &u, rng);
    int fg2 = isac_mdp_feedback(0, pd2, s->pd, delta);
    struct isac_transition tr =
        make_tr(&c->mdp, s->mu, s->pd, s->fg, a, mu2, pd2, fg2, pd2 >= c->mdp.zeta);
    tr.target = (uint16_t)s->target;
    tr.twin = 1;
    s->mu = mu2;
    s->pd = pd2;
    s->fg = fg2;
    return tr;
}

/* One greedy twin episode from start k: CPIs used (the first beam's included; horizon + 1
 * when P_D never reaches zeta). */
static unsigned twin_greedy_episode(const struct isac_train_cfg *c, unsigned Q, isac_cgan g,
                                    const struct dataset *d, size_t k, isac_ddqn q,
                                    unsigned char *visited, isac_rng *rng)
{
    struct twin_ep s = twin_start(c, Q, d, k, visited);
    unsigned t = 0;
    for (; t < c->horizon && s.pd < c->mdp.zeta; t++)
        twin_step(c, Q, g, &s, eps_greedy(q, c, 0.0, s.mu, s.pd, s.fg, s.vis, Q, rng), rng);
    return s.pd >= c->mdp.zeta ? t + 1 : c->horizon + 1;
}

/* Mean CPIs of q's greedy policy over select_episodes twin episodes. The generator
 * noise and the start states are the same draws at every call (a fixed stream), so two
 * checkpoints are compared on common random numbers, as the benchmark compares policies. */
static double twin_score(const struct isac_train_cfg *c, unsigned Q, isac_cgan g,
                         const struct dataset *d, isac_ddqn q, unsigned char *visited)
{
    isac_rng rng;
    isac_rng_seed_stream(&rng, c->seed, 0x73656c65ULL);
    double sum = 0;
    for (unsigned i = 0; i < c->select_episodes; i++) {
        size_t k = (size_t)isac_rng_below(&rng, d->ns);
        sum += twin_greedy_episode(c, Q, g, d, k, q, visited, &rng);
    }
    return sum / c->select_episodes;
}

/* twin_select: score q after `done` twin episodes, keep it if best, and report the
 * score as the curve point (series "<variant>_select", b = mean CPIs in the twin). */
static void twin_select_step(const struct isac_train_cfg *c, const struct isac_train_hooks *h,
                             const char *series, unsigned Q, isac_cgan g, const struct dataset *d,
                             isac_ddqn q, unsigned char *visited, unsigned done,
                             struct snapshot *best)
{
    if (!best || (done % c->twin_select && done != c->episodes)) /* best: twin_select > 0 */
        return;
    double s = twin_score(c, Q, g, d, q, visited);
    char name[64];
    snprintf(name, sizeof name, "%s_select", series);
    curve(h, name, done, NAN, s, NAN, NAN);
    if (s < best->score) {
        best->score = s;
        best->episode = done;
        isac_ddqn_export(q, &best->def, best->storage);
    }
}

/* Episodes in the twin; returns the gradient steps made. */
static size_t drl_twin(const struct isac_train_cfg *c, const struct isac_train_env *env,
                       const struct isac_train_hooks *h, isac_cgan g, const struct dataset *d,
                       isac_ddqn q, const char *series, unsigned char *visited, isac_rng *rng,
                       struct snapshot *best)
{
    size_t grads = 0;
    for (unsigned e = 0; e < c->episodes; e++) {
        double eps = c->eps0 * (1.0 - (double)e / c->episodes), ret = 0, loss = 0;
        size_t k = (size_t)isac_rng_below(rng, d->ns);
        struct twin_ep s = twin_start(c, env->num_beams, d, k, visited);
        unsigned t = 0, nl = 0;
        int done = 0;
        for (; t < c->horizon && !done; t++) {
            unsigned a = eps_greedy(q, c, eps, s.mu, s.pd, s.fg, s.vis, env->num_beams, rng);
            struct isac_transition tr = twin_step(c, env->num_beams, g, &s, a, rng);
            done = tr.done;
            isac_ddqn_store(q, &tr);
            ret += tr.r;
            double l = isac_ddqn_train_step(q, lr_at(c, e), rng);
            if (isfinite(l)) {
                loss += l;
                nl++;
                grads++;
            }
        }
        curve(h, series, e, ret, t, nl ? loss / nl : NAN, eps);
        twin_select_step(c, h, series, env->num_beams, g, d, q, visited, e + 1, best);
        progress(h, series, e + 1, c->episodes);
    }
    return grads;
}

static void drl_offline(const struct isac_train_cfg *c, const struct isac_train_hooks *h,
                        isac_ddqn q, size_t grads, isac_rng *rng)
{
    /* Report in pseudo-episodes of `horizon` gradient steps. */
    unsigned total = (unsigned)((grads + c->horizon - 1) / c->horizon);
    for (unsigned e = 0; e < total; e++) {
        double loss = 0;
        unsigned nl = 0;
        unsigned lr_e = (unsigned)((double)e * c->episodes / (total ? total : 1));
        for (unsigned t = 0; t < c->horizon && (size_t)e * c->horizon + t < grads; t++) {
            double l = isac_ddqn_train_step(q, lr_at(c, lr_e), rng);
            if (isfinite(l)) {
                loss += l;
                nl++;
            }
        }
        curve(h, "offline", e, NAN, NAN, nl ? loss / nl : NAN, 0);
        progress(h, "offline", e + 1, total);
    }
}

static int drl_online(const struct isac_train_cfg *c, const struct isac_train_env *env,
                      const struct isac_train_hooks *h, isac_ddqn q, unsigned char *visited,
                      isac_rng *rng, char *err, size_t errlen)
{
    unsigned E = c->online_episodes;
    for (unsigned e = 0; e < E; e++) {
        /* Episodes after the collection's: new scenes. */
        uint64_t ep = (uint64_t)c->collect_episodes + e;
        double eps = c->eps0 * (1.0 - (double)e / E), ret = 0, loss = 0, pd;
        unsigned mu = (unsigned)isac_rng_below(rng, env->num_beams), used = 0, cpis = 0, nl = 0;
        unsigned char *vis = visit_start(c, visited, env->num_beams, mu);
        int term = 0, fg = 0;
        int rc = env->reset(env->ctx, ep);
        if (!rc)
            rc = env->step(env->ctx, mu, &pd, &term, &cpis);
        used += cpis;
        while (!rc && !term && used < c->max_steps) {
            unsigned a = eps_greedy(q, c, eps, mu, pd, fg, vis, env->num_beams, rng);
            int delta = isac_mdp_action_delta(c->mdp.tau, a);
            unsigned mu2 = isac_mdp_apply(mu, delta, env->num_beams);
            if (vis)
                vis[mu2] = 1;
            double pd2;
            if ((rc = env->step(env->ctx, mu2, &pd2, &term, &cpis)))
                break;
            used += cpis;
            int fg2 = isac_mdp_feedback(0, pd2, pd, delta);
            struct isac_transition tr = make_tr(&c->mdp, mu, pd, fg, a, mu2, pd2, fg2, term);
            isac_ddqn_store(q, &tr);
            ret += tr.r;
            /* Gradient steps scaled so the online agent makes as many updates per
             * episode as a twin agent does over E episodes. */
            double l =
                isac_ddqn_train_step(q, lr_at(c, (unsigned)((double)e * c->episodes / E)), rng);
            if (isfinite(l)) {
                loss += l;
                nl++;
            }
            mu = mu2;
            pd = pd2;
            fg = fg2;
        }
        if (rc) {
            isac_seterr(err, errlen, "online DDQN, episode %u: environment error %d", e, rc);
            return rc;
        }
        curve(h, "online", e, ret, used, nl ? loss / nl : NAN, eps);
        progress(h, "online", e + 1, E);
    }
    return ISAC_OK;
}

/* The variant's network: best's when twin_select kept one (its storage moves into v),
 * else q's final weights; then the evaluation. */
static int finish_variant(const struct isac_train_env *env, const struct isac_train_hooks *h,
                          isac_ddqn q, struct snapshot *best, struct isac_train_variant_result *v)
{
    v->trained = 1;
    v->steps_mean = v->success = v->twin_score = NAN;
    if (best && best->episode) {
        v->storage = best->storage;
        v->def = best->def;
        v->selected = best->episode;
        v->twin_score = best->score;
        best->storage = NULL;
    } else {
        v->storage = malloc(isac_ddqn_num_params(q) * sizeof(float));
        if (!v->storage)
            return ISAC_ENOMEM;
        isac_ddqn_export(q, &v->def, v->storage);
    }
    if (env->evaluate) {
        progress(h, "evaluate", 0, 1);
        int rc = env->fresh ? env->fresh(env->ctx) : ISAC_OK;
        if (!rc)
            rc = env->evaluate(env->ctx, &v->def, &v->steps_mean, &v->success);
        progress(h, "evaluate", 1, 1);
        return rc;
    }
    return ISAC_OK;
}

/* Train variant v into res->v[v]. grads: the gradient steps of dt_cql (set by it, used
 * by offline). */
static int run_variant(const struct isac_train_cfg *c, const struct isac_train_env *env,
                       const struct isac_train_hooks *h, isac_cgan g, const struct dataset *d,
                       enum isac_train_variant v, unsigned char *visited, size_t *grads,
                       struct isac_train_result *res, char *err, size_t errlen)
{
    isac_rng rng;
    isac_rng_seed_stream(&rng, c->seed, 0x64726c00ULL + v);
    float alpha = (v == ISAC_TRAIN_DT_NOCQL || v == ISAC_TRAIN_ONLINE) ? 0.0f : c->dqn.alpha_con;
    isac_ddqn q = new_agent(c, alpha, v == ISAC_TRAIN_ONLINE ? NULL : d);
    if (!q) {
        isac_seterr(err, errlen, "%s: cannot create the Q-network", isac_train_variant_name(v));
        return ISAC_EINVAL;
    }
    int twin = v == ISAC_TRAIN_DT_CQL || v == ISAC_TRAIN_DT_NOCQL, rc = ISAC_OK;
    struct snapshot best = {.score = INFINITY};
    if (twin && c->twin_select && !(best.storage = malloc(isac_ddqn_num_params(q) * sizeof(float))))
        rc = ISAC_ENOMEM;
    if (!rc && twin) {
        size_t n = drl_twin(c, env, h, g, d, q, isac_train_variant_name(v), visited, &rng,
                            best.storage ? &best : NULL);
        if (v == ISAC_TRAIN_DT_CQL)
            *grads = n;
    } else if (!rc && v == ISAC_TRAIN_OFFLINE) {
        drl_offline(c, h, q, *grads, &rng);
    } else if (!rc) {
        rc = env->fresh ? env->fresh(env->ctx) : ISAC_OK;
        if (rc)
            isac_seterr(err, errlen, "online DDQN: cannot restart the environment (%d)", rc);
        else
            rc = drl_online(c, env, h, q, visited, &rng, err, errlen);
    }
    if (!rc && (rc = finish_variant(env, h, q, &best, &res->v[v])))
        isac_seterr(err, errlen, "%s: evaluation failed (%d)", isac_train_variant_name(v), rc);
    free(best.storage);
    isac_ddqn_destroy(q);
    return rc;
}

static int run_variants(const struct isac_train_cfg *c, const struct isac_train_env *env,
                        const struct isac_train_hooks *h, isac_cgan g, const struct dataset *d,
                        struct isac_train_result *res, char *err, size_t errlen)
{
    size_t grads = (size_t)c->episodes * c->horizon / 4;
    unsigned char *visited = malloc(env->num_beams);
    if (!visited)
        return ISAC_ENOMEM;
    int rc = ISAC_OK;
    static const enum isac_train_variant order[] = {ISAC_TRAIN_DT_CQL, ISAC_TRAIN_DT_NOCQL,
                                                    ISAC_TRAIN_OFFLINE, ISAC_TRAIN_ONLINE};
    for (unsigned i = 0; !rc && i < ISAC_TRAIN_NUM_VARIANTS; i++)
        if (c->variants & (1u << order[i]))
            rc = run_variant(c, env, h, g, d, order[i], visited, &grads, res, err, errlen);
    free(visited);
    return rc;
}

int isac_train_run_data(const struct isac_train_cfg *c, const struct isac_train_env *env,
                        const struct isac_train_hooks *h, const struct isac_train_data *data,
                        struct isac_train_result *res, char *err, size_t errlen)
{
    memset(res, 0, sizeof *res);
    if (isac_train_cfg_check(c, err, errlen) || !env || env->num_beams < 2 ||
        env->num_beams > 65535)
        return ISAC_EINVAL;
    struct dataset d = {0};
    isac_cgan g = NULL;
    int rc = dataset_of(data, &d);
    res->transitions = d.n;
    int need_twin = (c->variants & ((1u << ISAC_TRAIN_DT_CQL) | (1u << ISAC_TRAIN_DT_NOCQL))) != 0;
    if (!rc && need_twin)
        rc = train_twin(c, env, h, &d, &g, res, err, errlen);
    if (!rc)
        rc = run_variants(c, env, h, g, &d, res, err, errlen);
    isac_cgan_destroy(g);
    free(d.start);
    if (rc)
        isac_train_result_free(res);
    return rc;
}

int isac_train_run(const struct isac_train_cfg *c, const struct isac_train_env *env,
                   const struct isac_train_hooks *h, struct isac_train_result *res, char *err,
                   size_t errlen)
{
    memset(res, 0, sizeof *res);
    if (isac_train_cfg_check(c, err, errlen) || !env || env->num_beams < 2 ||
        env->num_beams > 65535)
        return ISAC_EINVAL;
    struct isac_train_data data = {0};
    int rc = isac_train_collect(c, env, h, &data, err, errlen);
    if (!rc)
        rc = isac_train_run_data(c, env, h, &data, res, err, errlen);
    isac_train_data_free(&data);
    return rc;
}

void isac_train_result_free(struct isac_train_result *res)
{
    for (unsigned v = 0; v < ISAC_TRAIN_NUM_VARIANTS; v++) {
        free(res->v[v].storage);
        res->v[v].storage = NULL;
        res->v[v].trained = 0;
    }
}
