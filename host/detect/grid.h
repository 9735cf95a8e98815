/* Multistatic position-grid search (back-projection GLRT with a CFAR test per cell).
 *
 * For every cell centre P of a regular x/y grid and every receive AP n, the object
 * precomputes (once, in isac_grid_create) the bistatic delay TX -> P -> RX_n and the
 * angle phi_n of P seen from RX_n (geom/geom.h convention: sin(phi) = axis . dir),
 * and the receive steering vector a(phi_n) of that AP's array (array/array.h).
 * isac_grid_execute() then takes, per CPI, the per-element matched-filter outputs and
 * forms for each cell
 *     Lambda(P) = sum_{n seen} |a(phi_n)^H y_n(P)|^2 / (v_n sigma_n^2 ||a(phi_n)||^2)
 * where y_n(P) is the MF output vector at the cell's delay (see "delay sampling").
 * This is exactly the GLRT of detect/glrt.h at that hypothesis, so under H0
 * 2 Lambda(P) ~ chi2(2 N_P) and the cell's threshold is chi2inv_{2 N_P}(1-pfa)/2.
 *
 * Visibility: AP n takes part in cell P only if |phi_n| <= max_angle, the cell's
 * delay falls inside the MF window and P lies outside the baseline guard (bistatic
 * range more than baseline_guard_m beyond the TX-RX_n distance). N_P (the number of APs that see P)
 * therefore varies over the grid, and so does the threshold; a cell seen by no AP has Lambda = 0
 * and threshold +inf (never detected).
 *
 * Delay sampling. The delay of cell P at AP n in MF bins is
 *     d = range_bistatic(P) / c0 * fs - lag0_delay        (bins, fractional)
 * - ISAC_GRID_INTERP_NEAREST: y = z[round(d)]; visible iff 0 <= round(d) <= K-1. The noise
 *   variance is untouched whatever the MF's bin-to-bin correlation, so P_FA is exact;
 *   the price is a straddle loss of up to half a bin.
 * - ISAC_GRID_INTERP_LINEAR: with k0 = floor(d), f = d - k0, y = w0 z[k0] + w1 z[k0+1],
 *   w0 = (1-f)/sqrt(v), w1 = f/sqrt(v), v = (1-f)^2 + f^2 + 2 f (1-f) rho1;
 *   visible iff 0 <= d <= K-1. The 1/sqrt(v) keeps the noise variance at sigma^2 (so
 *   P_FA stays exact) provided rho1 is the real correlation coefficient of the noise
 *   in adjacent MF bins: 0 for white bins (a sinc-shaped MF response sampled at the
 *   Nyquist rate), R(1/fs)/R(0) of the waveform's autocorrelation in general.
 *
 * Cell indexing: cell c = iy * nx + ix (x runs fastest), centre
 * (x0 + ix dx, y0 + iy dy). Units: metres, seconds, Hz, radians.
 */
#ifndef ISACTB_DETECT_GRID_H
#define ISACTB_DETECT_GRID_H

#include "array/array.h"
#include "array/geom.h"

#include <complex.h>
#include <stddef.h>
#include <stdint.h>

typedef struct isac_grid_s *isac_grid;

#define ISAC_GRID_MAX_APS 64u /* receive APs per grid (and per fusion) */

enum isac_grid_interp {
    ISAC_GRID_INTERP_NEAREST = 0,
    ISAC_GRID_INTERP_LINEAR = 1,
};

struct isac_grid_spec {
    double x0, y0;   /* centre of cell (0, 0), m, finite */
    double dx, dy;   /* cell pitch, m, > 0 */
    unsigned nx, ny; /* cells along x and y, >= 1, nx*ny*sum_n(M_n) <= 2^28 */
};

struct isac_grid_config {
    struct isac_geom_ap tx;        /* transmit AP */
    unsigned N;                    /* receive APs, 1..64 */
    const struct isac_geom_ap *rx; /* N receive AP poses */
    const isac_array *arr;         /* N receive arrays (read at create time only) */
    size_t K;                      /* MF bins per element, 2..2^24 */
    double fs;                     /* sample rate, Hz, > 0 */
    double lag0_delay; /* bistatic delay (samples) of MF lag 0: the system delay offset */
    double max_angle;  /* field of view |phi| <= max_angle, rad, in (0, pi/2] */
    double pfa;        /* per-cell false-alarm probability, [1e-12, 0.5] */
    enum isac_grid_interp interp; /* delay sampling, see above */
    double rho1;                  /* LINEAR only: noise correlation of adjacent bins, [0, 1) */
    double baseline_guard_m;      /* AP n ignores cells whose bistatic range is within this of
                                     the TX->RX_n baseline (direct-path leakage), m, >= 0
                                     (0: no guard) */
};

/* Precomputes delays, interpolation weights and steering vectors for every cell.
 * NULL on bad arguments or allocation failure. */
isac_grid isac_grid_create(const struct isac_grid_config *cfg, const struct isac_grid_spec *spec);
void isac_grid_destroy(isac_grid g);

size_t isac_grid_num_cells(isac_grid g);
void isac_grid_cell_center(isac_grid g, size_t cell, double *x, double *y);
/* N_P: receive APs that see the cell (0..N). */
unsigned isac_grid_cell_num_aps(isac_grid g, size_t cell);
/* 1 if AP n sees the cell; then *delay (MF bins, fractional, relative to lag 0) and
 * *phi (rad) are set when non-NULL. */
int isac_grid_cell_geometry(isac_grid g, size_t cell, unsigned n, double *delay, double *phi);
/* Per-cell thresholds on Lambda (isac_grid_num_cells entries, owned by the object):
 * chi2inv_{2 N_P}(1 - pfa)/2, +inf where N_P = 0. */
const double *isac_grid_thresholds(isac_grid g);

struct isac_grid_best {
    size_t cell; /* cell index (iy * nx + ix) */
    unsigned ix, iy;
    double x, y;      /* cell centre, m */
    double stat;      /* Lambda at the cell */
    double threshold; /* the cell's own threshold */
    unsigned n_aps;   /* N_P */
    double log10_p;   /* log10 P(Gamma(N_P, 1) > Lambda): the H0 tail probability */
    int detected;     /* stat > threshold */
};

/* One CPI. z[n][m] points at K MF output bins of element m of AP n (k = lag in
 * samples from the capture start); sigma2[n] > 0 is the noise variance per element
 * and bin. stat (isac_grid_num_cells floats) receives Lambda per cell; detect (may be
 * NULL) 1 where Lambda exceeds the cell's threshold; best (may be NULL) the most
 * significant cell, i.e. the smallest H0 tail probability, which compares cells
 * with different N_P fairly (the largest Lambda would favour cells seen by more APs).
 * Returns ISAC_OK or ISAC_EINVAL. No allocation: scratch is held in the object. */
int isac_grid_execute(isac_grid g, const float complex *const *const *z, const double *sigma2,
                      float *stat, uint8_t *detect, struct isac_grid_best *best);

/* ---- pieces shared with fusion (detect/fusion.h), which sums per-AP terms itself ---- */

/* Centre of a cell of spec (m): (x0 + ix dx, y0 + iy dy), c = iy nx + ix. */
void isac_grid_spec_cell_center(const struct isac_grid_spec *spec, size_t cell, double *x,
                                double *y);
/* log10 P(Gamma(N, 1) > x) without underflow (0 for x <= 0); N >= 1. */
double isac_grid_log10_gamma_tail(unsigned N, double x);
/* The most significant cell of a statistic map (see isac_grid_execute): ncell[c] = N_P (0..N),
 * thr_cell[c] its threshold, stat[c] Lambda; ncells = spec->nx * spec->ny. */
void isac_grid_find_best(const struct isac_grid_spec *spec, unsigned N, const uint8_t *ncell,
                         const double *thr_cell, const float *stat, struct isac_grid_best *best);

#endif
