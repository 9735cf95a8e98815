/* The training environment of `isactb train`: train_env.h. */
#include <math.h>
#include <stdio.h>

#include "common/err.h"
#include "engine/run.h"
#include "engine/train_env.h"

void isac_exp_train_env_close(struct isac_exp_train_env *e)
{
    isac_mdp_env_destroy(e->env);
    isac_codebook_destroy(e->cb);
    isac_radio_close(e->r);
    e->env = NULL;
    e->cb = NULL;
    e->r = NULL;
}

int isac_exp_train_env_open(struct isac_exp_train_env *e, char *err, size_t errlen)
{
    int rc = e->open_radio(e->open_ctx, e->cfg->radio, &e->r);
    if (rc)
        return rc;
    struct isac_radio_info info;
    if (errlen)
        err[0] = '\0';
    isac_radio_get_info(e->r, &info);
    e->cb = isac_exp_codebook(e->cfg, &info, err, errlen);
    e->env = e->cb ? isac_mdp_env_create(e->cfg, e->r, e->cb, err, errlen) : NULL;
    if (e->env && isac_mdp_env_set_threads(e->env, e->threads) != ISAC_OK) {
        snprintf(err, errlen, "pipeline: cannot start %u threads", e->threads);
        isac_mdp_env_destroy(e->env);
        e->env = NULL;
    }
    if (!e->env) {
        isac_exp_train_env_close(e);
        return -1;
    }
    e->scenario = !!(info.caps & ISAC_RADIO_CAP_SCENARIO);
    e->Q = isac_codebook_size(e->cb);
    isac_mdp_env_policy_opts(e->env, &e->popts);
    return 0;
}

/* train_env.fresh: an emulator restarts from its just-opened state (clock and draws), so
 * the online variant and each evaluation do not depend on what ran before them; live
 * hardware has no such state to restore and is left as it is. */
static int env_fresh(void *ctx)
{
    struct isac_exp_train_env *e = ctx;
    if (!e->scenario)
        return ISAC_OK;
    isac_exp_train_env_close(e);
    char err[512];
    return isac_exp_train_env_open(e, err, sizeof err) ? ISAC_EIO : ISAC_OK;
}

static int env_reset(void *ctx, uint64_t ep)
{
    struct isac_exp_train_env *e = ctx;
    return isac_mdp_env_reset(e->env, ep, NULL, 0);
}

static int env_step(void *ctx, unsigned beam, double *pd, int *terminal, unsigned *cpis)
{
    struct isac_exp_train_env *e = ctx;
    struct isac_mdp_env_out o;
    int rc = isac_mdp_env_step(e->env, beam, &o, NULL, 0);
    *pd = o.pd;
    *terminal = o.terminal;
    *cpis = o.cpis;
    return rc;
}

static int env_target_beam(void *ctx, unsigned *beam)
{
    struct isac_exp_train_env *e = ctx;
    return isac_mdp_env_target_beam(e->env, beam);
}

static int env_evaluate(void *ctx, const struct isac_qnet_def *net, double *steps_mean,
                        double *success)
{
    struct isac_exp_train_env *e = ctx;
    struct isac_policy_args pa;
    isac_policy_args_defaults(&pa, e->Q, e->seed);
    pa.opts = e->popts;
    pa.opts.qnet = net;
    isac_policy pol = isac_policy_create_named("qnet", &pa);
    if (!pol)
        return ISAC_EINVAL;
    double s = 0, ok = 0;
    int rc = ISAC_OK;
    for (unsigned i = 0; i < e->eval_episodes && !rc; i++) {
        unsigned steps;
        int succ;
        rc = isac_mdp_env_run_episode(e->env, pol, ISAC_EXP_TRAIN_EVAL_EPISODE0 + i, e->max_steps,
                                      &steps, &succ, NULL, 0);
        s += steps;
        ok += succ;
    }
    isac_policy_destroy(pol);
    *steps_mean = e->eval_episodes ? s / e->eval_episodes : NAN;
    *success = e->eval_episodes ? ok / e->eval_episodes : NAN;
    return rc;
}

void isac_exp_train_env_iface(struct isac_exp_train_env *e, struct isac_train_env *te)
{
    *te = (struct isac_train_env){e,
                                  e->Q,
                                  env_reset,
                                  env_step,
                                  e->eval_episodes ? env_evaluate : NULL,
                                  env_target_beam,
                                  env_fresh};
}
