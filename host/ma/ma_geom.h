/* Movable-antenna geometry: one linear segment (region) of positions with a minimum spacing.
 *
 * Seed 002 (digest section 2.2): N elements slide on a 1-D segment [xmin, xmax] with
 * x_1 < x_2 < ... < x_N and x_{i+1} - x_i >= dmin. Positions are in WAVELENGTHS (lambda),
 * so the same geometry maps to any carrier (digest section 6).
 *
 * isac_ma_project() is the EXACT Euclidean projection onto
 *     X = { x : xmin <= x_1, x_N <= xmax, x_{i+1} - x_i >= dmin },
 * not the sequential per-element clipping of the paper's eq. (46) (which is feasible but
 * not the nearest point): substitute y_i = x_i - (i-1) dmin, which turns X into
 * { y non-decreasing, xmin <= y_i <= xmax - (N-1) dmin }; the nearest non-decreasing y is
 * the isotonic regression (pool-adjacent-violators), and clipping a non-decreasing vector
 * to a box keeps it non-decreasing and is the projection onto the intersection (the box
 * is a product of intervals and the isotonic fit is a pooled mean: clipping commutes).
 * The input is taken in element order (x_i is element i); it is not sorted first.
 */
#ifndef ISACTB_MA_GEOM_H
#define ISACTB_MA_GEOM_H

#include <stddef.h>

#include "common/rng.h"

#define ISAC_MA_MAX_ELEMENTS 64u

struct isac_ma_region {
    double xmin, xmax; /* segment ends, wavelengths, xmin < xmax */
    double dmin;       /* minimum adjacent spacing, wavelengths, > 0 */
};

/* ISAC_OK when the region is well formed and holds n (1..MA_MAX_ELEMENTS) elements at dmin:
 * (xmax - xmin) >= (n - 1) dmin. Otherwise ISAC_EINVAL and one line in err naming the
 * field and value ("region [0, 3] holds at most 7 elements at dmin 0.5, asked for 8"). */
int isac_ma_region_check(const struct isac_ma_region *r, unsigned n, char *err, size_t errlen);

/* ISAC_OK when x (n elements) is inside r with every spacing >= dmin (tolerance 1e-9 lambda),
 * else ISAC_EINVAL and one line naming the first offending element and its value. */
int isac_ma_positions_check(const struct isac_ma_region *r, const double *x, unsigned n, char *err,
                            size_t errlen);

/* In place: x <- the nearest point of X (exact projection, O(n)). The region must pass
 * isac_ma_region_check (else ISAC_EINVAL, x untouched). */
int isac_ma_project(const struct isac_ma_region *r, double *x, unsigned n);

/* Smallest adjacent spacing of x (n >= 2; +inf for n < 2), wavelengths. */
double isac_ma_min_spacing(const double *x, unsigned n);
/* Number of element pairs (i < j) closer than dmin (the counting function of seed 002 eq. 53). */
unsigned isac_ma_spacing_violations(const double *x, unsigned n, double dmin);

/* Uniform array of pitch `pitch` (>= dmin) centred in the region (half-wavelength ULA:
 * pitch 0.5). ISAC_EINVAL when it does not fit. */
int isac_ma_uniform(const struct isac_ma_region *r, unsigned n, double pitch, double *x);

/* A position vector drawn uniformly from X (sorted uniform slack: y = sorted U[0, L - (n-1)dmin]).
 */
int isac_ma_random(const struct isac_ma_region *r, unsigned n, isac_rng *rng, double *x);

/* Grid restriction: the grid is xmin + pitch * {0, 1, ...}; dmin must be a whole multiple of
 * pitch (else ISAC_EINVAL). x is first projected onto X, then y_i = x_i - (i-1) dmin is rounded
 * to the grid (rounding is monotone, so y stays non-decreasing) and clipped to the grid points
 * of [xmin, xmax - (n-1) dmin]; every x_i is then a grid point and X still holds. */
int isac_ma_quantise(const struct isac_ma_region *r, double pitch, double *x, unsigned n);

#endif
