/* The beam-selection MDP's environment on the real pipeline (host/learn/mdp.h):
 * radio (emulator or hardware) -> pipeline step -> observed P_D, on the episode engine
 * (exp/episode.h) with the episode rules of `isactb run`: a declaration is followed by one
 * confirmation dwell with the same beam, and the episode ends when that dwell confirms
 * with P_D >= zeta. Used by `isactb train` (data collection, online DDQN, evaluation)
 * and `isactb bench policies`.
 *
 * Steps are counted in CPIs, like `isactb run`: an MDP step costs one CPI, two when it
 * triggers a dwell.
 */
#ifndef ISACTB_EXP_MDP_ENV_H
#define ISACTB_EXP_MDP_ENV_H

#include <stddef.h>
#include <stdint.h>

#include "array/codebook.h"
#include "engine/config.h"
#include "policy/policy.h"
#include "radio.h"

typedef struct isac_mdp_env_s *isac_mdp_env;

struct isac_mdp_env_out {
    struct isac_policy_obs obs; /* observation of the last CPI of the step */
    double pd;                  /* observed P_D^{t+1} (isac_policy_obs_pd) */
    int terminal;               /* confirmed with P_D >= zeta: the episode is over */
    unsigned cpis;              /* CPIs this step used (1 or 2) */
};

/* cfg: experiment (pfa, zeta, confirm_radius_m, step_interval_s, grid...); r and cb
 * stay owned by the caller and must outlive the env. NULL with one line in err. */
isac_mdp_env isac_mdp_env_create(const struct isac_exp_config *cfg, isac_radio r, isac_codebook cb,
                                 char *err, size_t errlen);
void isac_mdp_env_destroy(isac_mdp_env e);
/* Threads processing each CPI (engine/pipeline.h isac_pipeline_set_threads; 0: every online
 * core). The observations do not depend on it. ISAC_OK or ISAC_ENOMEM / ISAC_EINVAL. */
int isac_mdp_env_set_threads(isac_mdp_env e, unsigned threads);

/* Policy options matching this env (pfa, cells of the grid, default MDP parameters). */
void isac_mdp_env_policy_opts(isac_mdp_env e, struct isac_policy_opts *o);

/* Start episode ep: a new scene (isac_radio_new_episode on a scenario radio). */
int isac_mdp_env_reset(isac_mdp_env e, uint64_t ep, char *err, size_t errlen);
/* The beam of the codebook with the largest gain toward the first target, from the
 * radio's ground truth at its current time (ISAC_RADIO_CAP_TRUTH: the emulator). ISAC_ENOTSUP
 * without ground truth or target. */
int isac_mdp_env_target_beam(isac_mdp_env e, unsigned *beam);
/* Transmit beam (and the dwell if it declares; the engine with training's choose hook
 * and no step limit). Negative isac_err on a radio fault. */
int isac_mdp_env_step(isac_mdp_env e, unsigned beam, struct isac_mdp_env_out *o, char *err,
                      size_t errlen);

/* Run policy pol for one episode ep (as `isactb run` does) with at most max_steps CPIs;
 * *steps receives the CPIs used, *success whether it confirmed. */
int isac_mdp_env_run_episode(isac_mdp_env e, isac_policy pol, uint64_t ep, unsigned max_steps,
                             unsigned *steps, int *success, char *err, size_t errlen);

#endif
