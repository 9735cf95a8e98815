/* One Monte Carlo draw of seed 002's comparison (Tables III and IV): every scheme designs
 * for the same EKF prediction (ma_v2i.h) under the same sensing thresholds, and is scored by
 * its sum rate and LPCRLBs at that point.
 *
 * Thresholds (the paper picks them from the (P1) trade-off region; values stripped): the
 * half-wavelength ULA with communication-only beams and uniform power has echo information
 * F0_{k,i} = [J_eta,k]_ii; the thresholds are eps_{k,i} = 1 / ([J_P,k]_ii + F0_{k,i} / rel)
 * with rel = eps_theta_rel for the DoD and eps_dv_rel for distance and velocity. So
 * eps_theta_rel = 0.9 asks for 11 % more DoD echo information than the communication-only
 * ULA delivers (the constraint binds: beams must give up rate for sensing, which is where
 * positions matter, digest 2.10) whatever the prior, and eps_dv_rel = 1.05 lets the
 * distance and velocity information fall by 5 %. Written on the information rather than
 * on the bound so that a vehicle whose prior dominates still has a reachable threshold.
 *
 * Schemes (enum order = report order):
 *   ulah    half-wavelength ULAs (Tx and Rx) centred in their segments, beams and power by
 *           the (P2) inner problem (ma_fixed.h);
 *   ma_pga  PRE-SC-PGA (P1, rho) from the ULA, moving Tx and Rx, then the (P2) inner problem
 *           at its positions (the real-time stage);
 *   ma_pso  RPDPSO (P2) over the Tx positions, Rx held at the ULA, warm-started with the
 *           PRE-SC-PGA and ULA Tx positions;
 *   ma_grid the RPDPSO Tx positions quantised to a grid of pitch grid_pitch (a dense switched
 *           array, digest section 6 option 3), inner problem re-solved: the quantisation loss;
 *   fpa     fixed-position arrays spanning the whole segments (uniform pitch L/(N-1)),
 *           never moved;
 *   random  uniformly random feasible Tx and Rx positions.
 */
#ifndef ISACTB_MA_SCHEMES_H
#define ISACTB_MA_SCHEMES_H

#include <stdint.h>

#include "ma/ma_pga.h"
#include "ma/ma_pso.h"
#include "ma/ma_v2i.h"

enum isac_ma_scheme {
    ISAC_MA_ULAH,
    ISAC_MA_PGA,
    ISAC_MA_PSO,
    ISAC_MA_GRID,
    ISAC_MA_FPA,
    ISAC_MA_RANDOM,
    ISAC_MA_NSCHEMES
};

/* "ulah", "ma_pga", "ma_pso", "ma_grid", "fpa", "random". */
const char *isac_ma_scheme_name(enum isac_ma_scheme s);

struct isac_ma_run_opts {
    struct isac_ma_v2i_opts v2i;
    struct isac_ma_pga_opts pga;
    struct isac_ma_pso_opts pso; /* its seed is replaced per draw */
    double eps_theta_rel;        /* (0, inf); default 0.9 */
    double eps_dv_rel;           /* (0, inf); default 1.05 */
    double grid_pitch;           /* wavelengths; dmin must be a multiple (default 0.25) */
};

void isac_ma_run_opts_default(struct isac_ma_run_opts *o);
/* The smaller budget of `isactb bench ma --quick` and the tests: 6 particles, 8 swarm
 * iterations, 3 kept at least, 15 PRE-SC-PGA iterations (everything else as default). */
void isac_ma_run_opts_quick(struct isac_ma_run_opts *o);

struct isac_ma_scheme_result {
    double sum_rate;         /* bit/s/Hz */
    double lpcrlb[3];        /* mean over vehicles: rad^2, m^2, (m/s)^2 */
    int met;                 /* every sensing threshold holds */
    double seconds;          /* wall time of this scheme's design (CLOCK_MONOTONIC) */
    struct isac_ma_design d; /* the design */
};

struct isac_ma_draw_result {
    struct isac_ma_vehicle veh[ISAC_MA_MAX_VEH];
    struct isac_ma_scheme_result r[ISAC_MA_NSCHEMES];
};

/* Runs every scheme on draw `seed`. ISAC_EINVAL with one line in err on a bad scene or
 * options; ISAC_ENOMEM. */
int isac_ma_run_draw(const struct isac_ma_scene *s, const struct isac_ma_run_opts *o, uint64_t seed,
                     struct isac_ma_draw_result *out, char *err, size_t errlen);

/* Mean and two-sided 95 % Student-t interval of n values (n >= 2; n = 1 gives an
 * infinite interval). */
struct isac_ma_stat {
    double mean, lo, hi;
};
void isac_ma_stat_of(const double *x, unsigned n, struct isac_ma_stat *out);

/* Per-scheme summary of n draws. Relative changes are paired per draw against ulah:
 * rate_gain = rate / rate_ulah - 1, dod_change = dod / dod_ulah - 1. */
struct isac_ma_summary {
    struct isac_ma_stat rate, rate_gain, dod, dod_change, dist, vel, seconds;
    double met; /* fraction of draws with every threshold met */
};

/* ISAC_ENOMEM on allocation failure. */
int isac_ma_summarise(const struct isac_ma_draw_result *d, unsigned n,
                      struct isac_ma_summary out[ISAC_MA_NSCHEMES]);

#endif
