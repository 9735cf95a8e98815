/* Beam-selection policies and beamformers: what to transmit at the next CPI.
 *
 * Every policy is one vtable (struct isac_policy_vtable) in its own file, listed once in the
 * registry (policy_registry.c); nothing else knows the set of policies. A policy decides
 * either a codebook beam (the loop turns it into isac_tx_plan_from_beam's plan) or a full
 * transmit plan (plan/plan.h: precoder over K comm streams + the sensing stream, powers,
 * mask, positions). docs/architecture.md has the contract; the built-ins are:
 *
 *   sweep   seed 004's "traditional exhaustive beam sweeping" (section V-C; the flat line of
 *           its Fig. 9): a round transmits every beam 0, 1, ..., Q-1 without acting on
 *           declarations (isac_policy_may_stop() is 0), then transmits the beam of the round's
 *           highest observed P_D (ties: larger Lambda, then lower index); only that step may
 *           start a confirmation and end the episode. A miss starts the next round. At
 *           least Q + 1 steps per detection, whatever the SNR.          (policy_sweep.c)
 *   scan    sequential scan in codebook order, 0, 1, ..., Q-1, 0, ..., that stops at the
 *           first confirmed detection (a sweep with early termination; a stronger baseline
 *           than the paper's, and the default experiment's policy).      (policy_scan.c)
 *   random  uniform over the codebook, from a seeded isac_rng.          (policy_random.c)
 *   pso     particle swarm of seed 004 section V-C: four particles over the (wrapped)
 *           beam index, fitness = observed P_D (policy/mdp.h), inertia 0.7,
 *           c1 = c2 = 1.5, speed limit Q/4; evaluated one particle per step; a
 *           particle that would re-evaluate its own last beam at rest is re-drawn
 *           uniformly (otherwise a swarm that converged on a noise maximum repeats it
 *           until the step limit).                                       (policy_pso.c)
 *   qnet    the dueling Q-network (learn/qnet.h): start at a uniformly drawn beam, then
 *           a_t = argmax_a Q(s_t, a) (eq. (37)) over the MDP of policy/mdp.h; weights
 *           compiled in (qnet_default) or from a weights file; by default the argmax
 *           skips beams already transmitted this episode (isac_policy_opts.avoid_revisits).
 *                                                                        (policy_qnet.c)
 *
 * A policy sees what the live loop sees after each step (the plan it used and the
 * pipeline's decision for it), never the ground truth. All policies are deterministic
 * given their seed, so a replayed capture reproduces every decision.
 */
#ifndef ISACTB_POLICY_POLICY_H
#define ISACTB_POLICY_POLICY_H

#include <stddef.h>
#include <stdint.h>

#include "array/codebook.h"
#include "common/rng.h"
#include "learn/qnet.h"
#include "plan/plan.h"
#include "learn/mdp.h"

typedef struct isac_policy_s *isac_policy;

/* The beam of a plan that is not a codebook beam (isac_policy_obs.beam). */
#define ISAC_POLICY_NO_BEAM 0xffffffffu

/* What the MDP policies need to turn an observation into P_D^t and a state. */
struct isac_policy_opts {
    const struct isac_qnet_def *qnet; /* qnet: the network (NULL: qnet_default); must pass
                                    qnet_def_check with mdp.tau and mdp.emb */
    struct isac_mdp_params mdp;       /* tau, emb, b3 (the rest unused by policies) */
    double pfa;                       /* per-cell false-alarm probability of the pipeline */
    double grid_cells;                /* cells of the searched grid (>= 1) */
    int avoid_revisits;               /* qnet: take the best action whose beam was not yet
                                         transmitted in this episode (plain argmax when all
                                         2 tau are); default 1. The paper's state carries no
                                         memory, so a greedy policy over it can cycle between
                                         two beams forever; the mask is that memory. */
};

/* Defaults: qnet_default, isac_mdp_params_defaults, pfa 1e-3, grid 81 x 81 cells (the
 * default experiment's). */
void isac_policy_opts_defaults(struct isac_policy_opts *o);

/* What a policy is created for. */
struct isac_policy_args {
    unsigned num_beams; /* codebook size Q (1..4096) */
    unsigned num_tx;    /* transmit elements N (plan-producing policies; 0: unknown) */
    isac_codebook cb;   /* the codebook (borrowed; may be NULL for beam-only policies) */
    uint64_t seed;      /* stream seed (random, pso, qnet start, ...) */
    struct isac_policy_opts opts;
};
/* num_beams Q, seed, isac_policy_opts_defaults, no codebook. */
void isac_policy_args_defaults(struct isac_policy_args *a, unsigned num_beams, uint64_t seed);

/* What the loop observed after a CPI (the MDP observation of seed 004 section III: beam
 * index mu_t and the pipeline's decision; policies derive P_D^t and the feedback flag
 * f_g^t themselves). */
struct isac_policy_obs {
    unsigned beam;    /* codebook beam transmitted (ISAC_POLICY_NO_BEAM for another plan) */
    double pd;        /* P_D estimate after it (0 when no target was declared) */
    double lambda;    /* GLRT statistic of the most significant grid cell */
    unsigned num_aps; /* receive APs that see that cell */
    int detected;     /* a target was declared at this step */
};

/* A decision: a codebook beam (plan == NULL) or a plan owned by the policy's state,
 * valid until its next decide/reset/destroy. */
struct isac_policy_decision {
    unsigned beam;
    const struct isac_tx_plan_s *plan;
};

/* Capabilities (what the loop and tools may rely on). */
enum isac_policy_caps {
    ISAC_POLICY_CAP_CODEBOOK = 1u << 0,    /* decides codebook beams (needs num_beams) */
    ISAC_POLICY_CAP_PD_FEEDBACK = 1u << 1, /* uses the observed P_D of the MDP (isac_policy_opts) */
    ISAC_POLICY_CAP_MAY_HOLD = 1u << 2,    /* may_stop can be 0 (the sweep's measuring round) */
    ISAC_POLICY_CAP_COMM = 1u << 3,        /* its plans carry communication streams */
    ISAC_POLICY_CAP_PLAN = 1u << 4,        /* decides full plans (needs num_tx, maybe cb) */
    ISAC_POLICY_CAP_QNET = 1u << 5, /* runs a Q-network: isac_policy_opts.qnet, the experiment's
                                  `weights:` file (qnet_file_parse) */
};

/* The contract of a policy or beamformer. All functions get the state create returned.
 *   create   NULL on arguments it cannot serve (bad options, missing codebook...)
 *   reset    start episode `episode` (0-based): forget the per-episode state; the same
 *            episode must give the same decisions whatever ran before (replays)
 *   decide   the next CPI's transmission; prev: the previous CPI's observation in this
 *            episode (after a confirmation dwell: the dwell's), NULL at the first
 *   observe  every CPI's observation, dwells included (NULL: not needed)
 *   may_stop 1 when a declaration at the CPI decide just chose may start the confirmation
 *            dwell and end the episode (NULL: always 1)
 *   destroy  free the state */
struct isac_policy_vtable {
    const char *name;
    const char *summary; /* one line for --help */
    unsigned caps;       /* enum isac_policy_caps */
    void *(*create)(const struct isac_policy_args *a);
    void (*reset)(void *st, uint64_t episode);
    int (*decide)(void *st, const struct isac_policy_obs *prev, struct isac_policy_decision *d);
    void (*observe)(void *st, const struct isac_policy_obs *obs);
    int (*may_stop)(void *st);
    void (*destroy)(void *st);
};

/* ---- registry ---- */

/* A list of vtables, optionally extending another (a test or a plug-in builds its own on
 * top of isac_policy_registry_builtin() without changing it). */
struct isac_policy_registry {
    const struct isac_policy_vtable *const *entries;
    size_t count;
    const struct isac_policy_registry *parent;
};
const struct isac_policy_registry *isac_policy_registry_builtin(void);
/* The vtable named `name` (own entries first, then the parent's); NULL when unknown.
 * reg NULL: the built-in registry. */
const struct isac_policy_vtable *isac_policy_registry_find(const struct isac_policy_registry *reg,
                                                           const char *name);
/* "sweep, scan, random, pso, qnet" (for help and errors); returns buf. */
const char *isac_policy_registry_names(const struct isac_policy_registry *reg, char *buf,
                                       size_t len);
/* isac_policy_registry_find(NULL, name) != NULL. */
int isac_policy_name_known(const char *name);

/* ---- a policy instance ---- */

/* NULL on bad arguments (Q outside 1..4096, bad options, or the vtable's create refused). */
isac_policy isac_policy_create(const struct isac_policy_vtable *vt,
                               const struct isac_policy_args *a);
/* The built-in policy `name` (NULL when unknown or refused). */
isac_policy isac_policy_create_named(const char *name, const struct isac_policy_args *a);
void isac_policy_destroy(isac_policy p);

void isac_policy_reset(isac_policy p, uint64_t episode);
/* The next decision (see struct isac_policy_vtable.decide). ISAC_EINVAL when the policy
 * returned a beam outside the codebook. */
int isac_policy_decide(isac_policy p, const struct isac_policy_obs *prev,
                       struct isac_policy_decision *d);
/* Beam of the next decision for codebook policies (tests, benches). */
unsigned isac_policy_next(isac_policy p, const struct isac_policy_obs *prev);
void isac_policy_observe(isac_policy p, const struct isac_policy_obs *obs);
int isac_policy_may_stop(isac_policy p);

/* Observed P_D^t of an observation under these options (isac_mdp_observed_pd). */
double isac_policy_obs_pd(const struct isac_policy_opts *o, const struct isac_policy_obs *obs);

/* For implementations: isac_policy_obs_pd with the threshold of each num_aps computed once. */
#define ISAC_POLICY_PD_CACHE 33
struct isac_policy_pd_cache {
    double thr2[ISAC_POLICY_PD_CACHE]; /* 2 x per-cell GLRT threshold by num_aps (0: not yet) */
};
double isac_policy_pd_cached(struct isac_policy_pd_cache *c, const struct isac_policy_opts *o,
                             const struct isac_policy_obs *obs);
/* For implementations: one random stream per (seed, episode), so an episode's decisions do
 * not depend on how many draws earlier episodes made (replays of partial runs stay exact). */
void isac_policy_episode_rng(isac_rng *r, uint64_t seed, uint64_t episode);

#endif
