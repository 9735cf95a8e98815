/* Vehicular assignment/beamforming schemes as beamformers (seed 000): each decides, from
 * the tracker's predictions loaded into a isac_veh_prob (veh.h), which RSU serves each vehicle
 * and with which beam, and isac_veh_plans turns the decision into the slot's transmit plan of
 * each RSU (plan/plan.h: one comm column per served vehicle at beam_power, the
 * omnidirectional probe on element 0 at probe_power).
 *
 * The seed-004 policy contract (policy/policy.h) is per CPI of one AP with a P_D
 * observation; these schemes decide for two RSUs at once from tracks, so they have their
 * own small vtable with the same rules: no global mutable state, deterministic from
 * their input (no random draws at all), never read the ground truth.
 *
 * Built-ins (isac_veh_scheme_find):
 *   distance     nearest RSU, matched beams (the conventional baseline; the highway
 *                scene's predictive beamforming)
 *   distance_fp  nearest RSU, FP beams with the sensing constraint
 *   greedy       Algorithm 2 with FP beams
 *   heuristic    Algorithm 3 with FP beams and per-RSU caps
 *   lstm         the two Bi-LSTMs (assignment, beams) trained on heuristic decisions
 *                (veh_lstm.h); needs the compiled-in weights for the element count
 */
#ifndef ISACTB_VEHICULAR_VEH_SCHEME_H
#define ISACTB_VEHICULAR_VEH_SCHEME_H

#include <stddef.h>

#include "plan/plan.h"
#include "vehicular/veh.h"

struct isac_veh_scheme_vt {
    const char *name;
    const char *summary;
    /* state for these parameters; NULL with one line in err when it cannot serve them */
    void *(*create)(const struct isac_veh_params *p, char *err, size_t errlen);
    /* set isac_veh_xi and the served beams of p (loaded by isac_veh_prob_set). ISAC_OK or error */
    int (*decide)(void *st, isac_veh_prob p);
    void (*destroy)(void *st);
};

/* NULL when unknown. */
const struct isac_veh_scheme_vt *isac_veh_scheme_find(const char *name);
/* The built-ins in order (count in *n). */
const struct isac_veh_scheme_vt *const *isac_veh_scheme_list(unsigned *n);

/* The plans of both RSUs from p's decision: plans[i] gets K_i comm columns (the served
 * vehicles in increasing index) plus the probe; col_vehicle[i][c] the vehicle index of
 * column c. ISAC_OK or ISAC_ENOMEM (plans[] then NULL). */
int isac_veh_plans(isac_veh_prob p, isac_tx_plan plans[ISAC_VEH_RSUS],
                   unsigned col_vehicle[ISAC_VEH_RSUS][ISAC_VEH_MAX_CAP]);

#endif
