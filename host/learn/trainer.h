/* The training procedure of seed 004 (Algorithm 1 and the comparisons of section V-C)
 * over an abstract environment, so that it stays pure: `isactb train` plugs in the
 * real pipeline (host/engine/mdp_env.h), the tests plug in small synthetic ones.
 *
 *   1. data collection: collect_episodes episodes of uniformly random actions (the
 *      behaviour policy pi_q of eq. (46)) from a uniformly drawn first beam, at most
 *      max_steps CPIs each -> dataset D of transitions;
 *      (isac_train_collect; or a collection read from a file, train_data.h), each episode's
 *      transitions labelled with its scene's target beam (env->target_beam when
 *      twin_truth, else isac_train_label_episode);
 *   2. the digital twin: cGAN on (1 - holdout) of D for gan_epochs epochs, conditioned on
 *      the scene with gan.scene (cgan.h); Table II's KL / Wasserstein / MMD between
 *      generated and real P_D^{t+1} on the held-out part, and the hit rates;
 *   3. variants (bitmask), each a fresh dueling DDQN from the same seed:
 *        ISAC_TRAIN_DT_CQL twin episodes, replay buffer preloaded with D, CQL (the method)
 *        ISAC_TRAIN_DT_NOCQL the same without the CQL term
 *        ISAC_TRAIN_OFFLINE D only, CQL, as many gradient steps as ISAC_TRAIN_DT_CQL made
 *        ISAC_TRAIN_ONLINE online DDQN in the real environment, online_episodes episodes
 *      Twin episodes: E episodes of at most T steps from a start state of D (and its
 *      target beam), epsilon = eps0 (1 - e / E) (Algorithm 1 line 15), greedy actions
 *      with the deployed visited-beam rule (rollout_mask), one gradient step per
 *      environment step, learning rate lr * lr_decay^floor(e / lr_decay_every)
 *      (Table I's 1e-4 * 0.9^e, e counted in units of lr_decay_every episodes);
 *   4. each variant's greedy network evaluated in the real environment, restarted first
 *      (env->fresh; so is the online variant's)
 *      (env->evaluate, episodes not used for training).
 * Same configuration and seed, same environment: the same weights, bit for bit (one
 * OpenBLAS thread).
 */
#ifndef ISACTB_LEARN_TRAINER_H
#define ISACTB_LEARN_TRAINER_H

#include <stddef.h>
#include <stdint.h>

#include "learn/cgan.h"
#include "learn/ddqn.h"
#include "learn/qnet.h"
#include "learn/train_data.h"
#include "learn/mdp.h"

enum isac_train_variant {
    ISAC_TRAIN_DT_CQL = 0,
    ISAC_TRAIN_DT_NOCQL = 1,
    ISAC_TRAIN_OFFLINE = 2,
    ISAC_TRAIN_ONLINE = 3,
    ISAC_TRAIN_NUM_VARIANTS = 4
};
const char *isac_train_variant_name(enum isac_train_variant v); /* "dt_cql", "dt_nocql", ... */

struct isac_train_env {
    void *ctx;
    unsigned num_beams; /* Q */
    /* Start episode ep (a new scene). 0 or a negative isac_err. */
    int (*reset)(void *ctx, uint64_t ep);
    /* Transmit beam: observed P_D, terminal (P_D >= zeta, episode over), CPIs used. */
    int (*step)(void *ctx, unsigned beam, double *pd, int *terminal, unsigned *cpis);
    /* Mean CPIs and success rate of the greedy policy of net on evaluation episodes
     * (may be NULL: no evaluation). */
    int (*evaluate)(void *ctx, const struct isac_qnet_def *net, double *steps_mean,
                    double *success);
    /* The scene's true target beam after reset (ground truth, e.g. an emulator); 0, or
     * non-zero when unknown: the twin's label is then estimated from the data
     * (isac_train_label_episode). May be NULL. */
    int (*target_beam)(void *ctx, unsigned *beam);
    /* Put the environment back into its just-created state where it has one (an
     * emulator's clock and draws), so that what runs next does not depend on what ran
     * before: called before the online variant and before each evaluation. 0, or a
     * negative isac_err. May be NULL. */
    int (*fresh)(void *ctx);
};

struct isac_train_hooks {
    void *ctx;
    /* Stage progress (stage name, units done, total); may be NULL. */
    void (*progress)(void *ctx, const char *stage, unsigned done, unsigned total);
    /* One curve point: variant ("twin" for the cGAN: a = D loss, b = G loss),
     * episode/epoch, a = return, b = steps, c = mean loss, d = epsilon. May be NULL. */
    void (*curve)(void *ctx, const char *series, unsigned x, double a, double b, double c,
                  double d);
};

struct isac_train_cfg {
    uint64_t seed;
    struct isac_mdp_params mdp;
    unsigned collect_episodes; /* 200 */
    unsigned max_steps;        /* CPI limit of a real episode (collection, online): 64 */
    double holdout;            /* fraction of D held out for Table II (0.2) */
    struct isac_cgan_cfg gan;
    unsigned gan_epochs;      /* 100 */
    struct isac_ddqn_cfg dqn; /* batch 16, buffer 5e4, C 200, alpha_con 0.1, h 32/16 */
    unsigned episodes;        /* E: 1000 */
    unsigned horizon;         /* T: 64 */
    float lr, lr_decay;       /* 1e-4, 0.9 */
    unsigned lr_decay_every;  /* 100 */
    double eps0;              /* 0.2 */
    unsigned online_episodes; /* 200 */
    unsigned variants;        /* bitmask of 1 << enum isac_train_variant */
    int twin_truth;           /* twin scene labels (gan.scene) from env->target_beam when it
                                 answers (1), or always from the data (0) */
    int rollout_mask;         /* greedy actions of the twin and online episodes follow the
                                 deployed policy's visited-beam rule (1), or the plain argmax
                                 (0, the paper's Algorithm 1) */
    int keep_real;            /* twin agents: the preloaded real transitions stay in the replay
                                 buffer for the whole run (0: they age out of the ring) */
    unsigned twin_select;     /* twin agents: every twin_select episodes (and after the last)
                                 the greedy network is scored in the twin and the best-scoring
                                 one is kept (0: the last network, Algorithm 1) */
    unsigned select_episodes; /* twin episodes per score (200), the same draws every time */
};

void isac_train_cfg_defaults(struct isac_train_cfg *c);
/* 0, or -1 with one line in err naming the field. */
int isac_train_cfg_check(const struct isac_train_cfg *c, char *err, size_t errlen);

struct isac_train_variant_result {
    int trained;
    double steps_mean, success; /* evaluation (NAN without env->evaluate) */
    double final_loss;
    unsigned selected;        /* twin_select: twin episodes trained before the kept network */
    double twin_score;        /* its mean CPIs in the twin (NAN without twin_select) */
    struct isac_qnet_def def; /* points into storage */
    float *storage;
};

struct isac_train_result {
    size_t transitions, train_n, holdout_n;
    double kl, w1, mmd;    /* twin fit on the held-out part */
    double gan_ld, gan_lg; /* last epoch's losses */
    /* share of held-out P_D^{t+1} >= zeta, real and generated; the same over the held-out
     * transitions onto a beam within one of the scene's target beam (near_n of them) */
    double hit_real, hit_gen, near_hit_real, near_hit_gen;
    size_t near_n;
    struct isac_train_variant_result v[ISAC_TRAIN_NUM_VARIANTS];
};

/* The scene's target beam as one episode's data show it, for the twin's condition
 * (cgan.h, option scene): the beam that confirmed a detection (a transition with done),
 * else the beam of the highest observed P_D, the first beam mu0 (observed pd0)
 * included. Writes it into the target field of t[0..n) and returns it. */
unsigned isac_train_label_episode(struct isac_transition *t, size_t n, unsigned mu0, double pd0);

/* Step 1 alone: collect_episodes random-action episodes into *out (empty on entry; the
 * caller frees it). 0, or a negative isac_err with one line in err. */
int isac_train_collect(const struct isac_train_cfg *c, const struct isac_train_env *env,
                       const struct isac_train_hooks *h, struct isac_train_data *out, char *err,
                       size_t errlen);
/* Steps 2-4 on a given collection (isac_train_collect's, or one read from a file). */
int isac_train_run_data(const struct isac_train_cfg *c, const struct isac_train_env *env,
                        const struct isac_train_hooks *h, const struct isac_train_data *data,
                        struct isac_train_result *res, char *err, size_t errlen);
/* Run everything (isac_train_collect, then isac_train_run_data). 0, or a negative isac_err with one
 * line in err. */
int isac_train_run(const struct isac_train_cfg *c, const struct isac_train_env *env,
                   const struct isac_train_hooks *hooks, struct isac_train_result *res, char *err,
                   size_t errlen);
void isac_train_result_free(struct isac_train_result *res);

#endif
