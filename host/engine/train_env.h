/* The training environment of `isactb train` (docs/learning.md): the experiment's radio,
 * codebook and MDP environment (exp/mdp_env.h) behind learn/trainer.h's struct train_env.
 *
 * Opening the radio is the caller's (a CLI applies its site limits and exit statuses):
 * open_radio(open_ctx, spec, &r) returns 0 with r open, or a non-zero status that
 * isac_exp_train_env_open passes through unchanged.
 */
#ifndef ISACTB_EXP_TRAIN_ENV_H
#define ISACTB_EXP_TRAIN_ENV_H

#include <stddef.h>
#include <stdint.h>

#include "array/codebook.h"
#include "engine/config.h"
#include "engine/mdp_env.h"
#include "learn/trainer.h"
#include "policy/policy.h"
#include "radio.h"

/* Evaluation episodes: far from the training ones (collection, online). */
#define ISAC_EXP_TRAIN_EVAL_EPISODE0 1000000000ULL

struct isac_exp_train_env {
    /* set by the caller */
    const struct isac_exp_config *cfg; /* the experiment (radio spec, pipeline, max_steps, seed) */
    int (*open_radio)(void *open_ctx, const char *spec, isac_radio *out);
    void *open_ctx;
    unsigned eval_episodes; /* greedy evaluation episodes (0: no evaluation) */
    unsigned max_steps;     /* CPIs per evaluation episode at most */
    uint64_t seed;          /* the evaluated qnet policy's seed */
    unsigned threads;       /* threads per CPI (isac_mdp_env_set_threads; 0: every core) */
    /* set by isac_exp_train_env_open */
    isac_radio r;
    isac_codebook cb;
    isac_mdp_env env;
    int scenario; /* the radio re-draws scenes (an emulator): fresh() reopens it */
    struct isac_policy_opts popts;
    unsigned Q;
};

/* Open radio, codebook and environment: 0; open_radio's non-zero status; or -1 with one
 * line in err (codebook or environment refused). Nothing stays open on failure. */
int isac_exp_train_env_open(struct isac_exp_train_env *e, char *err, size_t errlen);
void isac_exp_train_env_close(struct isac_exp_train_env *e);

/* The trainer's view of e (valid while e is open): reset, step, target_beam, fresh
 * (an emulator restarts from its just-opened state; live hardware is left as it is), and
 * evaluate (the greedy qnet policy over ISAC_EXP_TRAIN_EVAL_EPISODE0.. + eval_episodes; NULL
 * when eval_episodes is 0). */
void isac_exp_train_env_iface(struct isac_exp_train_env *e, struct isac_train_env *te);

#endif
