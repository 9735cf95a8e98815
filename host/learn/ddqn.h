/* Dueling double DQN (seed 004 section III-C) with the conservative penalty of CQL
 * (section IV-B, eqs. (45)-(46)), over the MDP of host/policy/mdp.h.
 *
 * Q-network: mlp [emb + 2] -> h1 ReLU -> h2 ReLU -> 1 + 2 tau linear (value, then
 * advantages), Q = U + A - max A (eq. (34)); a target copy updated every target_every
 * gradient steps. One gradient step: a uniform minibatch from the replay buffer, the
 * DDQN target V = r + rho Q^-(s', argmax_a Q(s', a)) (eq. (35), 0 after a terminal),
 * loss mean (V - Q(s, a))^2 (eq. (36)) + alpha_con * mean(logsumexp_a Q(s, .) -
 * Q(s, a_data)) (eqs. (45)-(46): the buffer's actions stand for the behaviour policy).
 * Adam on the sum.
 */
#ifndef ISACTB_LEARN_DDQN_H
#define ISACTB_LEARN_DDQN_H

#include <stddef.h>
#include <stdint.h>

#include "common/rng.h"
#include "learn/nn.h"
#include "learn/qnet.h"
#include "policy/mdp.h"

/* One MDP transition (s_t, a_t, r_t, s_{t+1}); r includes the shaping term. */
struct transition {
    uint16_t mu, mu_next;
    int8_t fg, fg_next;
    uint8_t a;       /* action index 0..2 tau-1 */
    uint8_t done;    /* s_{t+1} is terminal */
    uint16_t target; /* the episode's target beam as estimated from the data (the twin's
                        scene condition, host/learn/cgan.h); TRANSITION_NO_TARGET if none */
    float pd, pd_next, r;
};
#define TRANSITION_NO_TARGET 0xFFFFu

struct ddqn_cfg {
    struct mdp_params mdp;
    unsigned h1, h2;       /* hidden widths (32, 16) */
    unsigned batch;        /* minibatch (16) */
    unsigned buffer;       /* replay capacity |Omega| (5e4) */
    unsigned pinned;       /* the first `pinned` transitions stored are never overwritten:
                              the ring runs over the rest (0: a plain ring) */
    unsigned target_every; /* C: gradient steps between target updates (200) */
    float alpha_con;       /* CQL weight (0.1; 0 disables) */
    unsigned cql_real;     /* 1: the CQL term only on observed transitions (twin == 0), the
                              data whose behaviour policy CQL is conservative about;
                              0: on every transition of the minibatch */
    struct adam_cfg adam;  /* (0.9, 0.999, 1e-8) */
};

typedef struct ddqn_s *ddqn;

/* NULL on bad sizes or memory. Network weights from a stream of seed. */
ddqn ddqn_create(const struct ddqn_cfg *cfg, uint64_t seed);
void ddqn_destroy(ddqn d);

/* The shaped reward of a transition (eqs. (28)-(30)) from its P_D values. */
float ddqn_shaped_reward(const struct mdp_params *m, double pd, double pd_next, int done);

/* Append to the ring buffer (oldest unpinned transition overwritten when full). */
void ddqn_store(ddqn d, const struct transition *t);
size_t ddqn_buffer_size(ddqn d);
/* Slot i (0 <= i < ddqn_buffer_size) of the replay buffer, in storage order. */
const struct transition *ddqn_buffer_at(ddqn d, size_t i);
/* One gradient step at learning rate lr; returns the minibatch loss (NAN when the
 * buffer holds fewer than batch transitions: no step). rng draws the minibatch. */
double ddqn_train_step(ddqn d, float lr, isac_rng *rng);
/* Greedy action index for state (mu, pd, fg). */
unsigned ddqn_act(ddqn d, unsigned mu, double pd, int fg);
/* Q values for one state (2 tau floats). */
void ddqn_q(ddqn d, unsigned mu, double pd, int fg, float *q);

/* Export the online network: fills def (pointing into storage, which must hold
 * ddqn_num_params floats and outlive def). */
size_t ddqn_num_params(ddqn d);
void ddqn_export(ddqn d, struct qnet_def *def, float *storage);

#endif
