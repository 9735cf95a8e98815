/* Beam-selection policies: which codebook beam to transmit at the next step.
 *
 * A policy sees what the live loop sees after each step (the beam it used and the
 * pipeline's decision for it), never the ground truth. All policies are deterministic
 * given their seed, so a replayed capture reproduces every decision.
 *
 *   sweep   seed 004's "traditional exhaustive beam sweeping" (section V-C; the flat line of
 *           its Fig. 9): a round transmits every beam 0, 1, ..., Q-1 without acting on
 *           declarations (policy_may_stop() is 0), then transmits the beam of the round's
 *           highest observed P_D (ties: larger Lambda, then lower index); only that step may
 *           start a confirmation and end the episode. A miss starts the next round. At
 *           least Q + 1 steps per detection, whatever the SNR.
 *   scan    sequential scan in codebook order, 0, 1, ..., Q-1, 0, ..., that stops at the
 *           first confirmed detection (a sweep with early termination; a stronger baseline
 *           than the paper's, and the default experiment's policy).
 *   random  uniform over the codebook, from a seeded isac_rng.
 *   pso     particle swarm of seed 004 section V-C: four particles over the (wrapped)
 *           beam index, fitness = observed P_D (policy/mdp.h), inertia 0.7,
 *           c1 = c2 = 1.5, speed limit Q/4; evaluated one particle per step; a
 *           particle that would re-evaluate its own last beam at rest is re-drawn
 *           uniformly (otherwise a swarm that converged on a noise maximum repeats it
 *           until the step limit).
 *   qnet    the dueling Q-network (learn/qnet.h): start at a uniformly drawn beam, then
 *           a_t = argmax_a Q(s_t, a) (eq. (37)) over the MDP of policy/mdp.h; weights
 *           compiled in (qnet_default) or from a weights file; by default the argmax
 *           skips beams already transmitted this episode (policy_opts.avoid_revisits).
 */
#ifndef ISACTB_POLICY_POLICY_H
#define ISACTB_POLICY_POLICY_H

#include <stdint.h>

#include "learn/qnet.h"
#include "policy/mdp.h"

enum policy_kind {
    POLICY_SWEEP = 0,
    POLICY_RANDOM = 1,
    POLICY_PSO = 2,
    POLICY_QNET = 3,
    POLICY_SCAN = 4
};

typedef struct policy_s *policy;

/* What the MDP policies need to turn an observation into P_D^t and a state. */
struct policy_opts {
    const struct qnet_def *qnet; /* qnet: the network (NULL: qnet_default); must pass
                                    qnet_def_check with mdp.tau and mdp.emb */
    struct mdp_params mdp;       /* tau, emb, b3 (the rest unused by policies) */
    double pfa;                  /* per-cell false-alarm probability of the pipeline */
    double grid_cells;           /* cells of the searched grid (>= 1) */
    int avoid_revisits;          /* qnet: take the best action whose beam was not yet
                                    transmitted in this episode (plain argmax when all
                                    2 tau are); default 1. The paper's state carries no
                                    memory, so a greedy policy over it can cycle between
                                    two beams forever; the mask is that memory. */
};

/* Defaults: qnet_default, mdp_params_defaults, pfa 1e-3, grid 81 x 81 cells (the
 * default experiment's). */
void policy_opts_defaults(struct policy_opts *o);

/* num_beams: codebook size Q (1..4096); seed: stream seed (random, pso, qnet start).
 * Uses policy_opts_defaults(). NULL on bad arguments. */
policy policy_create(enum policy_kind kind, unsigned num_beams, uint64_t seed);
/* The same with options (o may be NULL: defaults). NULL on bad arguments, including a
 * qnet whose shapes do not match o->mdp (check with qnet_def_check first for a message). */
policy policy_create_ex(enum policy_kind kind, unsigned num_beams, uint64_t seed,
                        const struct policy_opts *o);
void policy_destroy(policy p);

/* Parse "sweep"/"random"/"pso"/"qnet"/"scan" into *kind; -1 for an unknown name. */
int policy_kind_from_name(const char *name, enum policy_kind *kind);
const char *policy_kind_name(enum policy_kind kind);

/* What the loop observed after a step (the MDP observation of seed 004 section III:
 * beam index mu_t and the pipeline's decision; policies derive P_D^t and the feedback
 * flag f_g^t themselves). */
struct policy_obs {
    unsigned beam;    /* beam transmitted at this step */
    double pd;        /* P_D estimate after it (0 when no target was declared) */
    double lambda;    /* GLRT statistic of the most significant grid cell */
    unsigned num_aps; /* receive APs that see that cell */
    int detected;     /* a target was declared at this step */
};

/* Observed P_D^t of an observation under these options (mdp_observed_pd). */
double policy_obs_pd(const struct policy_opts *o, const struct policy_obs *obs);

/* Start episode `episode` (0-based): resets the per-episode state. */
void policy_reset(policy p, uint64_t episode);
/* Beam for the next step; prev is the previous step of this episode, NULL at the first. */
unsigned policy_next(policy p, const struct policy_obs *prev);
/* 1 when a declaration at the step policy_next() just chose may start the confirmation dwell
 * and end the episode; 0 while the exhaustive sweep is still measuring its round. The loops
 * (exp/run.c, exp/mdp_env.c, bench soak) ignore declarations of a step where it is 0. */
int policy_may_stop(policy p);

#endif
