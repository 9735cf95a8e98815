/* PRE-SC-PGA for seed 002's (P1) (digest section 4): alternating optimisation of beams,
 * power, Tx positions and Rx positions for the weighted objective
 *
 *   f = rho R / R0 - (1 - rho) (1 / 3K) sum_{k,i} LPCRLB_{k,i} / L0_{k,i}
 *
 * PRE (step 0, eq. 39): R0 and L0 are the rate and bounds of the starting design with the
 * communication-only beams and uniform power, fixed once, so both terms are O(1) (the
 * DoD bound is ~1e-5 rad^2, the rate ~10 bit/s/Hz).
 * Each outer iteration runs four block steps (ma_blocks.h): beams (the paper's SDR +
 * Schur complement + SCA step, here a monotone ascent on the sphere: no SDP solver),
 * power (projected ascent on the simplex), Tx positions (PGA with the exact projection,
 * eqs. 44-46) and Rx positions (PGA, eqs. 47-48; the Rx segment is separate from the Tx
 * segment, so the Tx-Rx isolation holds by construction). Every block step is accepted
 * only if it raises f, so f never decreases (the paper's convergence argument); it stops
 * when an outer iteration raises f by less than tol (relative) or after max_iter.
 */
#ifndef ISACTB_MA_PGA_H
#define ISACTB_MA_PGA_H

#include <stddef.h>

#include "ma/ma_lpcrlb.h"

typedef struct isac_ma_pga_s *isac_ma_pga;

struct isac_ma_pga_opts {
    double rho;           /* weight of the rate, [0, 1] (default 0.5, the paper's Fig. 6) */
    unsigned max_iter;    /* outer iterations, >= 1 (default 50: "around 50" in Fig. 5) */
    double tol;           /* relative objective change to stop, >= 0 (default 1e-6) */
    unsigned block_iters; /* ascent iterations per block step, >= 1 (default 5) */
    int move_rx;          /* 1: optimise the Rx positions too (default 1) */
};

void isac_ma_pga_opts_default(struct isac_ma_pga_opts *o);

/* NULL on bad options or scene (one line in err) or allocation failure. */
isac_ma_pga isac_ma_pga_create(const struct isac_ma_scene *s, const struct isac_ma_pga_opts *o,
                               char *err, size_t errlen);
void isac_ma_pga_destroy(isac_ma_pga q);

/* d: starting positions in, optimised design out (positions, beams, power). Returns ISAC_OK,
 * or ISAC_EINVAL when the starting positions violate the regions (one line in err). */
int isac_ma_pga_execute(isac_ma_pga q, const struct isac_ma_vehicle *veh, struct isac_ma_design *d,
                        char *err, size_t errlen);

/* Objective after the start and after every block step of the last execute (n values). */
const double *isac_ma_pga_history(isac_ma_pga q, unsigned *n);

#endif
