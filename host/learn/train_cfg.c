/* The trainer's configuration: variant names, defaults (seed 004 Table I) and checks. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "common/err.h"
#include "learn/trainer.h"

static const char *const vnames[] = {"dt_cql", "dt_nocql", "offline", "online"};

const char *isac_train_variant_name(enum isac_train_variant v)
{
    return (unsigned)v < ISAC_TRAIN_NUM_VARIANTS ? vnames[v] : "unknown";
}

void isac_train_cfg_defaults(struct isac_train_cfg *c)
{
    memset(c, 0, sizeof *c);
    c->seed = 1;
    isac_mdp_params_defaults(&c->mdp);
    c->collect_episodes = 200;
    c->max_steps = 64;
    c->holdout = 0.2;
    c->gan = (struct isac_cgan_cfg){.zdim = 4,
                                    .g1 = 128,
                                    .g2 = 64,
                                    .d1 = 64,
                                    .d2 = 128,
                                    .batch = 64,
                                    .lr = 2e-4f,
                                    .lr_d = 1e-3f,
                                    .logit = 0,
                                    .scene = 1,
                                    .adam = {0.5f, 0.999f, 1e-8f}};
    c->gan_epochs = 100;
    c->dqn = (struct isac_ddqn_cfg){.h1 = 32,
                                    .h2 = 16,
                                    .batch = 16,
                                    .buffer = 50000,
                                    .target_every = 200,
                                    .alpha_con = 0.1f,
                                    .adam = {0.9f, 0.999f, 1e-8f}};
    c->dqn.mdp = c->mdp;
    c->episodes = 1000;
    c->horizon = 64;
    c->lr = 1e-4f;
    c->lr_decay = 0.9f;
    c->lr_decay_every = 100;
    c->eps0 = 0.2;
    c->online_episodes = 200;
    c->variants = 0xF;
    c->twin_truth = 1;
    c->rollout_mask = 1;
    c->select_episodes = 200;
}

#define CHECK(cond, ...)                                                                           \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            isac_seterr(err, errlen, __VA_ARGS__);                                                 \
            return -1;                                                                             \
        }                                                                                          \
    } while (0)

int isac_train_cfg_check(const struct isac_train_cfg *c, char *err, size_t errlen)
{
    CHECK(!isac_mdp_params_check(&c->mdp), "mdp: a parameter is out of range");
    CHECK(c->collect_episodes >= 2 && c->collect_episodes <= 1000000,
          "collect_episodes: %u outside 2..1000000", c->collect_episodes);
    CHECK(c->max_steps >= 2 && c->max_steps <= 100000, "max_steps: %u outside 2..100000",
          c->max_steps);
    CHECK(c->holdout > 0 && c->holdout < 1, "holdout: %g outside (0, 1)", c->holdout);
    CHECK(c->gan_epochs >= 1 && c->gan_epochs <= 100000, "gan_epochs: %u outside 1..100000",
          c->gan_epochs);
    CHECK(c->gan.batch >= 1 && c->gan.batch <= 65536, "gan batch: %u outside 1..65536",
          c->gan.batch);
    CHECK(c->dqn.batch >= 1 && c->dqn.batch <= 256, "batch: %u outside 1..256", c->dqn.batch);
    CHECK(c->dqn.buffer >= c->dqn.batch && c->dqn.buffer <= 10000000,
          "buffer: %u outside batch..1e7", c->dqn.buffer);
    CHECK(c->episodes >= 1 && c->episodes <= 10000000, "episodes: %u outside 1..1e7", c->episodes);
    CHECK(c->horizon >= 1 && c->horizon <= 100000, "horizon: %u outside 1..100000", c->horizon);
    CHECK(c->lr > 0 && c->lr < 1, "lr: %g outside (0, 1)", (double)c->lr);
    CHECK(c->lr_decay > 0 && c->lr_decay <= 1, "lr_decay: %g outside (0, 1]", (double)c->lr_decay);
    CHECK(c->lr_decay_every >= 1, "lr_decay_every: must be >= 1");
    CHECK(c->eps0 >= 0 && c->eps0 <= 1, "eps0: %g outside [0, 1]", c->eps0);
    CHECK(c->dqn.alpha_con >= 0 && c->dqn.alpha_con <= 100, "alpha_con: %g outside [0, 100]",
          (double)c->dqn.alpha_con);
    CHECK(c->online_episodes >= 1 && c->online_episodes <= 1000000,
          "online_episodes: %u outside 1..1000000", c->online_episodes);
    CHECK(c->variants >= 1 && c->variants <= 0xF, "variants: empty selection");
    CHECK(c->twin_select <= c->episodes, "twin_select: %u outside 0..episodes (%u)", c->twin_select,
          c->episodes);
    CHECK(c->select_episodes >= 1 && c->select_episodes <= 1000000,
          "select_episodes: %u outside 1..1000000", c->select_episodes);
    return 0;
}
