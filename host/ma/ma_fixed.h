/* Beams and power at fixed positions: the inner problem of seed 002's (P2) (digest 5.2),
 * shared by RPDPSO's fitness, the real-time stage and every fixed-position baseline
 * (half-wavelength ULA, FPA, random, grid).
 *
 *   max_{w, p} R   s.t. LPCRLB_{k,i} <= eps_{k,i}, sum p <= P_T, ||w_k|| = 1.
 *
 * Alternation (rounds times): beams by monotone ascent on R - pen * sum_j
 * max(0, LPCRLB_j / (0.97 eps_j) - 1)^2, then the exact constrained power design
 * (ma_power.h). The paper relaxes the beam problem to an SDR with Schur-complement LMIs
 * and Gaussian randomisation; there is no SDP solver here, so each vehicle's beam is
 * restricted to the structure of CRB-optimal single-target beams,
 *     w_k = cos(phi_k) a_k/|a_k| + sin(phi_k) e^{j psi_k} d_k,
 * d_k the unit part of da_k/dtheta orthogonal to a_k (phi_k = 0 is the communication-only
 * beam; tilting it buys DoD information at a rate cost, and the exchange rate is set by
 * |d a/d theta|, i.e. by the Tx aperture: the movable-antenna effect). The 3 % margin
 * absorbs the residual violation the squared hinge leaves. Starts from the
 * communication-only beams
 * a(xt, theta_k)/sqrt(nt) and uniform power.
 */
#ifndef ISACTB_MA_FIXED_H
#define ISACTB_MA_FIXED_H

#include "ma/ma_power.h"

struct isac_ma_fixed_opts {
    unsigned rounds;     /* beam/power alternations (>= 1; default 3) */
    unsigned beam_iters; /* ascent iterations per beam step (default 25) */
    double pen;          /* penalty weight on squared relative violations (default 1e4) */
};

void isac_ma_fixed_opts_default(struct isac_ma_fixed_opts *o);

/* Fills d->w and d->p for the positions in d. *e receives the evaluation and *met whether
 * every constraint holds. ISAC_EINVAL on a malformed scene or positions that violate the
 * region (one line in err). */
int isac_ma_fixed_solve(const struct isac_ma_scene *s, const struct isac_ma_vehicle *veh,
                        const struct isac_ma_constraints *c, const struct isac_ma_fixed_opts *o,
                        struct isac_ma_design *d, struct isac_ma_eval *e, int *met, char *err,
                        size_t errlen);

#endif
