/* Beam-selection policies: which codebook beam to transmit at the next step.
 *
 * A policy sees what the live loop sees after each step (the beam it used and the
 * P_D estimate that beam produced), never the ground truth. All policies are
 * deterministic given their seed, so a replayed capture reproduces every decision.
 *
 *   sweep   exhaustive sweep in codebook order: 0, 1, ..., Q-1, 0, ...
 *   random  uniform over the codebook, from a seeded isac_rng.
 */
#ifndef ISACTB_POLICY_POLICY_H
#define ISACTB_POLICY_POLICY_H

#include <stdint.h>

enum policy_kind { POLICY_SWEEP = 0, POLICY_RANDOM = 1 };

typedef struct policy_s *policy;

/* num_beams: codebook size Q (1..4096); seed: stream seed (random policy). */
policy policy_create(enum policy_kind kind, unsigned num_beams, uint64_t seed);
void policy_destroy(policy p);

/* Parse "sweep"/"random" into *kind; -1 for an unknown name. */
int policy_kind_from_name(const char *name, enum policy_kind *kind);
const char *policy_kind_name(enum policy_kind kind);

/* What the loop observed after a step (the MDP observation of seed 004 section III:
 * beam index mu_t and P_D^t; policies derive the feedback flag f_g^t themselves). */
struct policy_obs {
    unsigned beam;     /* beam transmitted at this step */
    double pd;         /* P_D estimate after it (0 when no target was declared) */
    double lambda;     /* GLRT statistic of the most significant grid cell */
    unsigned num_aps;  /* receive APs that see that cell */
    int detected;      /* a target was declared at this step */
};

/* Start episode `episode` (0-based): resets the per-episode state. */
void policy_reset(policy p, uint64_t episode);
/* Beam for the next step; prev is the previous step of this episode, NULL at the first. */
unsigned policy_next(policy p, const struct policy_obs *prev);

#endif
