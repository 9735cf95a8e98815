/* Beam codebooks: Q transmit weight vectors for one linear array.
 *
 * DFT codebook: beam q (q = 0..Q-1) is steered at the angle phi_q whose sine is
 * uniformly spaced over the azimuth span [phi_min, phi_max]:
 *     u_q = sin(phi_min) + (q + 1/2) (sin(phi_max) - sin(phi_min)) / Q,  phi_q = asin(u_q),
 * with weights w_q = conj(a(phi_q)) / sqrt(M) (array/array.h convention: unit norm,
 * radiated gain |a^T(phi) w_q|^2 peaks at M toward phi_q). For a half-wavelength ULA over
 * the full span (-90..90 deg) and Q = M the beams are the columns of a (phase-ramped)
 * DFT matrix and mutually orthogonal; Q = O*M is the O-times oversampled codebook.
 *
 * File format (JSON, codebooks/README.md): {"format":"isactb-codebook","version":1,
 * "elements":M,"positions_wl":[...],"beams":[{"angle_deg":a,"weights":[[re,im],...]}...]}.
 *
 * Movable-antenna (MA) codebooks (array/ma_codebook.h, docs/ma.md) add, per beam, the
 * element positions the beam is radiated from ("positions_wl", wavelengths; the plan moves
 * a ISAC_RADIO_CAP_MOVABLE array there) and/or an active-element mask ("active", 0/1: element
 * selection on a dense grid), plus an "ma" object stating the mode, region, minimum spacing
 * and active-element count every beam must respect. Such files are written as version 2;
 * version 1 files load unchanged (no per-beam layout, no "ma").
 */
#ifndef ISACTB_CODEBOOK_CODEBOOK_H
#define ISACTB_CODEBOOK_CODEBOOK_H

#include <complex.h>
#include <stddef.h>

#include "array/array.h"

typedef struct isac_codebook_s *isac_codebook;

#define ISAC_CODEBOOK_MAX_BEAMS 4096

/* DFT codebook of Q beams (1..4096) for array arr (copied) over the span
 * [phi_min, phi_max] (radians, -pi/2 <= phi_min < phi_max <= pi/2). NULL on bad args. */
isac_codebook isac_codebook_create_dft(isac_array arr, unsigned Q, double phi_min, double phi_max);

/* Codebook from explicit weights: weights[q*M + m], angles[q] the nominal steering angle
 * (radians) of each beam (may be NaN for beams without one). Copied. */
isac_codebook isac_codebook_create(isac_array arr, unsigned Q, const double *angles,
                                   const float complex *weights);
void isac_codebook_destroy(isac_codebook cb);

unsigned isac_codebook_size(isac_codebook cb);
unsigned isac_codebook_elements(isac_codebook cb);
/* The array the codebook is for (owned by the codebook). */
isac_array isac_codebook_array(isac_codebook cb);
/* Weights of beam q (M entries), q < Q. */
const float complex *isac_codebook_weights(isac_codebook cb, unsigned q);
/* Nominal steering angle of beam q, radians. */
double isac_codebook_angle(isac_codebook cb, unsigned q);
/* Per-beam element positions (M values, wavelengths) or NULL: the array's own. */
const double *isac_codebook_beam_positions(isac_codebook cb, unsigned q);
/* Per-beam active-element mask (M bytes, 1 = radiates) or NULL: every element. */
const unsigned char *isac_codebook_beam_active(isac_codebook cb, unsigned q);
/* Set beam q's positions (M finite values, |p| <= 1e4) and/or mask (at least one 1); NULL
 * leaves that part as it is. Weights of inactive elements are set to 0 (they radiate
 * nothing, so the stored weights say so). ISAC_EINVAL on bad arguments. */
int isac_codebook_set_beam_layout(isac_codebook cb, unsigned q, const double *pos_wl,
                                  const unsigned char *active);

/* The constraints of an MA codebook: every beam's active elements lie in [0, region_wl]
 * (positions, or the array's positions for a mask-only beam), pairwise at least d_min_wl
 * apart, and exactly `active` elements radiate. mode ISAC_CODEBOOK_MA_GRID: the array is a dense
 * grid of pitch grid_step_wl and the beams select elements (no per-beam positions). */
enum { ISAC_CODEBOOK_MA_NONE = 0, ISAC_CODEBOOK_MA_CONTINUOUS = 1, ISAC_CODEBOOK_MA_GRID = 2 };
struct isac_codebook_ma_info {
    int mode;            /* CODEBOOK_MA_* */
    double region_wl;    /* > 0 */
    double d_min_wl;     /* > 0 */
    double grid_step_wl; /* ISAC_CODEBOOK_MA_GRID: > 0, d_min a multiple of it; else 0 */
    unsigned active;     /* active elements per beam, 1..M */
};
/* Attach the constraints (copied; mode NONE removes them). ISAC_EINVAL on bad values. */
int isac_codebook_set_ma(isac_codebook cb, const struct isac_codebook_ma_info *ma);
/* The constraints, or NULL for a codebook that is not an MA codebook. */
const struct isac_codebook_ma_info *isac_codebook_ma(isac_codebook cb);
/* Check every beam against the constraints; ISAC_OK, or ISAC_EINVAL with one line
 * "beams[q].FIELD[m]: VALUE problem" in err (the file loader prefixes the path). */
int isac_codebook_ma_check(isac_codebook cb, char *err, size_t errlen);

/* Radiated gain |a^T(phi) w_q|^2 of beam q from its own positions and mask. */
double isac_codebook_beam_gain(isac_codebook cb, unsigned q, double phi);

/* Index of the beam whose radiated gain toward phi is largest (each beam from its own
 * positions and mask). */
unsigned isac_codebook_best_beam(isac_codebook cb, double phi);

/* Pattern metrics of beam q (from its own positions and mask), computed on a grid of `points`
 * angles over [-pi/2, pi/2] (points >= 16; 3601 gives 0.05 deg steps). */
struct isac_codebook_beam_stats {
    double peak_angle;    /* rad, where the gain peaks */
    double peak_gain_db;  /* 10 log10 max |a^T w|^2 (array gain, dBi over one element) */
    double beamwidth_3db; /* rad, width of the main lobe at -3 dB */
    double sidelobe_db;   /* highest sidelobe relative to the peak, dB (<= 0) */
};
int isac_codebook_beam_stats(isac_codebook cb, unsigned q, unsigned points,
                             struct isac_codebook_beam_stats *st);

/* File I/O (the one place in the codebook module that touches files). save writes
 * PATH.tmp and renames it; load validates format, version, sizes, finiteness (and an MA
 * codebook's constraints, isac_codebook_ma_check) and writes one line "PATH: field: problem"
 * into err on failure. */
int isac_codebook_save(isac_codebook cb, const char *path, char *err, size_t errlen);
isac_codebook isac_codebook_load(const char *path, char *err, size_t errlen);

/* The same format as a jansson object (new reference / validated parse); used to embed
 * the codebook in captures. `path` names the origin in error messages. */
struct json_t;
struct json_t *isac_codebook_to_json(isac_codebook cb);
isac_codebook isac_codebook_from_json(struct json_t *root, const char *path, char *err,
                                      size_t errlen);

#endif
