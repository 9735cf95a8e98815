/* Movable-antenna (MA) beam codebooks: Q beams of (element positions, weights) for N
 * active elements in a 1-D region [0, D] wavelengths with minimum spacing d_min
 * (docs/ma.md, "MA codebooks and the closed loop").
 *
 * Beam q is steered at phi_q with u_q = sin(phi_q) uniform in sine over [phi_min, phi_max]
 * (as the DFT codebook, array/codebook.h). Its N positions x minimise the peak sidelobe
 * level of the steered pattern
 *     AF(u) = (1/N) sum_m exp(j 2 pi x_m (u - u_q)),  PSL = max |AF(u)|^2 over u in [-1, 1],
 *     |u - u_q| >= 1/D   (the first null of a filled aperture D: the main lobe is the
 *                         region's, so the optimiser cannot buy a low PSL with a small
 *                         aperture, and the MA beam is as narrow as the region allows),
 * subject to 0 <= x_m <= D and |x_m - x_k| >= d_min (seed 002's (P1) constraints, its
 * region and spacing). Weights are w = conj(a(x, phi_q)) / sqrt(N) (seed 002, section 6:
 * on an MA or sparse grid the codebook beams are a(x, theta_q) / sqrt(N_t)), so every beam
 * has unit total power and the gain N toward phi_q, exactly as an N-element ULA beam: the
 * MA changes aperture and sidelobes, not the peak.
 *
 * The optimiser is a deterministic coordinate descent (each element moved to its best
 * place between its neighbours, candidates on a lattice refined by 4x down to 1e-4 wl in
 * the continuous mode, or the grid itself), from the evenly spread start and `restarts - 1`
 * random feasible starts drawn from `seed`; the best result is kept. It is a heuristic for
 * a non-convex minimax problem: it gives feasible, reproducible, good beams, not a
 * certified optimum.
 *
 * Modes (docs/ma.md, "Emulation modes"):
 *   continuous (grid_step_wl = 0): a codebook of N elements whose beams carry their own
 *     positions (isac_codebook_beam_positions): mode (a), a ISAC_RADIO_CAP_MOVABLE array;
 *   grid (grid_step_wl = delta > 0, d_min a multiple of delta): a codebook for the dense
 *     G = floor(D / delta) + 1 element array at k delta whose beams select N elements
 *     (isac_codebook_beam_active) with zero weights elsewhere: mode (c), the same total power.
 */
#ifndef ISACTB_ARRAY_MA_CODEBOOK_H
#define ISACTB_ARRAY_MA_CODEBOOK_H

#include <stddef.h>
#include <stdint.h>

#include "array/codebook.h"

#define ISAC_MA_MAX_ACTIVE 256     /* N */
#define ISAC_MA_MAX_GRID 4096      /* G, the codebook's element limit */
#define ISAC_MA_MAX_REGION_WL 1e3  /* D */
#define ISAC_MA_MIN_SPACING_WL 0.1 /* the radios' minimum (ISAC_RADIO_MIN_SPACING_WL) */

struct isac_ma_codebook_params {
    unsigned active;         /* N, 1..MA_MAX_ACTIVE */
    double region_wl;        /* D, (0, ISAC_MA_MAX_REGION_WL] */
    double d_min_wl;         /* >= ISAC_MA_MIN_SPACING_WL; (N - 1) d_min <= D */
    double grid_step_wl;     /* 0: continuous; else delta > 0 with d_min = k delta */
    unsigned beams;          /* Q, 1..CODEBOOK_MAX_BEAMS */
    double phi_min, phi_max; /* radians, -pi/2 <= phi_min < phi_max <= pi/2 */
    uint64_t seed;           /* random restarts */
    unsigned restarts;       /* 1..64 */
};

/* Defaults: N 8, D 8, d_min 0.5, continuous, Q 16, -60..60 deg, seed 1, 4 restarts. */
void isac_ma_codebook_params_default(struct isac_ma_codebook_params *p);

/* ISAC_OK, or ISAC_EINVAL with one line naming the parameter (the CLI option name, e.g.
 * "--elements 8: 8 elements at --dmin 1 need a region of 7 wavelengths, --region is 5"). */
int isac_ma_codebook_check(const struct isac_ma_codebook_params *p, char *err, size_t errlen);

/* The codebook (continuous or grid, by grid_step_wl), with its isac_codebook_ma constraints set
 * and checked. NULL with one line in err on bad parameters or out of memory. */
isac_codebook isac_ma_codebook_create(const struct isac_ma_codebook_params *p, char *err,
                                      size_t errlen);

/* Peak sidelobe level (dB, <= 0) of the steered pattern of n positions toward u0 = sin phi,
 * with the main lobe |u - u0| < 1/region_wl excluded (the codebook's objective). */
double isac_ma_psl_db(const double *x_wl, unsigned n, double u0, double region_wl);

/* Nearest feasible grid configuration of sorted positions x (n): k_m = round(x_m / step),
 * then the spacing d_min (a multiple of step) and the region [0, D] restored by a forward
 * and a backward pass (the least movement that keeps the order). out: the grid positions.
 * ISAC_EINVAL when n elements cannot fit. */
int isac_ma_grid_project(const double *x_wl, unsigned n, double step_wl, double d_min_wl,
                         double region_wl, double *out_wl);

/* Quantisation loss of mode (c) against mode (a) for the same beams (grid_step_wl > 0):
 * means over the Q beams of the continuous optimum's PSL, of the PSL after projecting
 * those positions onto the grid (isac_ma_grid_project, weights re-steered), of the grid
 * optimum's PSL, and the worst beam's losses (grid minus continuous, dB; positive = the
 * grid is worse). The gain toward the steering angle is N in every case (no loss there).
 * aperture_ratio: mean over beams of var(x_grid) / var(x_cont) (the DoD bound scales
 * with the positions' spread, through S2 = sum x^2 and S1 = sum x in seed 002's
 * DoD Fisher information: a larger variance, a lower bound). */
struct isac_ma_quant_report {
    unsigned beams;
    double psl_cont_db, psl_round_db, psl_grid_db; /* means */
    double loss_round_db, loss_grid_db;            /* means of the per-beam differences */
    double worst_round_db, worst_grid_db;          /* max per-beam difference */
    double aperture_ratio;
};
int isac_ma_codebook_quantisation(const struct isac_ma_codebook_params *p,
                                  struct isac_ma_quant_report *r, char *err, size_t errlen);

#endif
