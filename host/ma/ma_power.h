/* Seed 002 power design with sensing constraints (digest section 5.3, eqs. 50-52).
 *
 * With the beams fixed, maximise R(p) = sum_k (1/|N_k|) sum_{n in N_k} log2(1 + h_n p_n)
 * subject to sum p_n <= P_T, p_n >= 0 and LPCRLB_{k,i}(p) <= eps_{k,i}, i.e.
 * F_{k,i}(p) := [J_eta,k(p)]_ii >= 1/eps_{k,i} - [J_P,k]_ii.
 * F is concave and non-decreasing in p (each subcarrier adds a PSD term before the Schur
 * complement over the echo amplitude; with a known amplitude F is linear), so the problem
 * is convex. It is solved by SCA (3 steps): replace F by its tangent at the current point
 * (exact for a known amplitude; for the concave F an over-estimate by a second-order gap,
 * covered by a 0.1 % margin on the linearised constraint), then solve the linearised
 * problem through its KKT form (the paper's "closed form with multipliers mu and lambda"):
 *     p_n = [ w_n / (ln2 (mu - sum_j lambda_j c_jn)) - 1/h_n ]^+ ,
 * mu by bisection on sum p = P_T and lambda >= 0 by projected dual subgradient steps. Dual
 * iterates are rarely exactly feasible, so each is moved towards the largest-margin point
 * of the linearised set just far enough to be feasible (closed form: the constraints are
 * linear), and the best such point is kept. When even the largest-margin point misses a
 * constraint, that point is returned and the caller's isac_ma_constraints_met() says so.
 * tests/test_ma_opt.c checks the result against random feasible allocations.
 */
#ifndef ISACTB_MA_POWER_H
#define ISACTB_MA_POWER_H

#include "ma/ma_lpcrlb.h"

/* Sensing thresholds: eps[k][i] for (theta rad^2, d m^2, v (m/s)^2); INFINITY = none. */
struct isac_ma_constraints {
    double eps[ISAC_MA_MAX_VEH][3];
};

/* 1 when every LPCRLB of e is within its threshold (relative tolerance 1e-6). */
int isac_ma_constraints_met(const struct isac_ma_scene *s, const struct isac_ma_constraints *c,
                            const struct isac_ma_eval *e);
/* Largest LPCRLB / eps - 1 over all constraints (<= 0 when met). */
double isac_ma_constraints_violation(const struct isac_ma_scene *s,
                                     const struct isac_ma_constraints *c,
                                     const struct isac_ma_eval *e);

/* Replaces d->p (sum = P_T) keeping positions and beams. Returns ISAC_OK; *met (optional)
 * receives isac_ma_constraints_met of the result. ISAC_EINVAL on a malformed scene. */
int isac_ma_power_design(const struct isac_ma_scene *s, const struct isac_ma_vehicle *veh,
                         const struct isac_ma_constraints *c, struct isac_ma_design *d, int *met);

#endif
