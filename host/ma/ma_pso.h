/* RPDPSO for seed 002's (P2) (digest section 5): particle swarm over the Tx positions,
 * each particle's fitness from the inner beam/power problem at those positions
 * (ma_fixed.h), the Rx positions held.
 *
 *   fitness F(X) = -R*(X) + pen * N_viol(X) + infeasible(X) * (100 + violation)  (minimised)
 *
 * N_viol is the paper's counting function (eq. 53; pairs closer than dmin). Unlike the
 * paper, where spacing is handled by the penalty only, every updated particle is mapped
 * through the exact minimum-spacing projection (isac_ma_project) after the reflection step, so
 * N_viol is always 0 and kept only as the paper's term. A particle whose inner problem
 * cannot meet the sensing thresholds ranks behind every feasible one.
 * Update (eq. 54, digest 5.5): linear inertia omega_max -> omega_min over the iterations,
 * V <- omega V + c1 r1 (Pbest - X) + c2 r2 (Gbest - X), |V| <= kappa (xmax - xmin),
 * X~ = X + V, reflection at the segment ends with attenuation gamma on the position
 * overshoot and the velocity, sort (elements are exchangeable), exact projection.
 * Pruning (eqs. 55-56): particles farther than delta from Gbest are removed while more
 * than min_particles remain; below min_particles new ones are drawn around Gbest
 * (uniform +-kappa (xmax - xmin) per coordinate, projected).
 * Deterministic for a given seed. Gbest fitness never increases.
 */
#ifndef ISACTB_MA_PSO_H
#define ISACTB_MA_PSO_H

#include <stddef.h>
#include <stdint.h>

#include "ma/ma_fixed.h"

typedef struct isac_ma_pso_s *isac_ma_pso;

struct isac_ma_pso_opts {
    unsigned particles;     /* S, 1..64 (default 10, Table III) */
    unsigned iters;         /* I_max >= 1 (default 20, Table III) */
    unsigned min_particles; /* S_min, 1..particles (default 4) */
    double w_max, w_min;    /* inertia bounds (default 0.9, 0.4) */
    double c1, c2;          /* acceleration (default 1.49 each) */
    double kappa;           /* velocity clamp fraction of the segment length (default 0.2) */
    double gamma;           /* reflection attenuation, [0, 1] (default 0.5) */
    double delta;           /* pruning radius, wavelengths (default 0: 0.4 L sqrt(nt)) */
    double pen;             /* spacing penalty per violating pair (default 10) */
    uint64_t seed;
    struct isac_ma_fixed_opts inner;
};

void isac_ma_pso_opts_default(struct isac_ma_pso_opts *o);

isac_ma_pso isac_ma_pso_create(const struct isac_ma_scene *s, const struct isac_ma_pso_opts *o,
                               char *err, size_t errlen);
void isac_ma_pso_destroy(isac_ma_pso q);

/* warm: nwarm Tx position vectors that seed the first particles (e.g. the PRE-SC-PGA
 * result and the ULA; the paper's "warm start"), the rest drawn uniformly from the
 * segment. d->xr: the held Rx positions. Out: the best design, its evaluation and whether
 * its constraints hold. ISAC_EINVAL with one line in err on bad positions. */
int isac_ma_pso_execute(isac_ma_pso q, const struct isac_ma_vehicle *veh,
                        const struct isac_ma_constraints *c, const double *const *warm,
                        unsigned nwarm, struct isac_ma_design *d, struct isac_ma_eval *e, int *met,
                        char *err, size_t errlen);

/* Gbest fitness after each iteration of the last execute (iters values). */
const double *isac_ma_pso_history(isac_ma_pso q, unsigned *n);

#endif
