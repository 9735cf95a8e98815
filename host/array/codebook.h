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
 */
#ifndef ISACTB_CODEBOOK_CODEBOOK_H
#define ISACTB_CODEBOOK_CODEBOOK_H

#include <complex.h>
#include <stddef.h>

#include "array/array.h"

typedef struct codebook_s *codebook;

#define CODEBOOK_MAX_BEAMS 4096

/* DFT codebook of Q beams (1..4096) for array arr (copied) over the span
 * [phi_min, phi_max] (radians, -pi/2 <= phi_min < phi_max <= pi/2). NULL on bad args. */
codebook codebook_create_dft(array arr, unsigned Q, double phi_min, double phi_max);

/* Codebook from explicit weights: weights[q*M + m], angles[q] the nominal steering angle
 * (radians) of each beam (may be NaN for beams without one). Copied. */
codebook codebook_create(array arr, unsigned Q, const double *angles, const float complex *weights);
void codebook_destroy(codebook cb);

unsigned codebook_size(codebook cb);
unsigned codebook_elements(codebook cb);
/* The array the codebook is for (owned by the codebook). */
array codebook_array(codebook cb);
/* Weights of beam q (M entries), q < Q. */
const float complex *codebook_weights(codebook cb, unsigned q);
/* Nominal steering angle of beam q, radians. */
double codebook_angle(codebook cb, unsigned q);
/* Index of the beam whose radiated gain toward phi is largest. */
unsigned codebook_best_beam(codebook cb, double phi);

/* Pattern metrics of beam q, computed on a grid of `points` angles over [-pi/2, pi/2]
 * (points >= 16; 3601 gives 0.05 deg steps). */
struct codebook_beam_stats {
    double peak_angle;    /* rad, where the gain peaks */
    double peak_gain_db;  /* 10 log10 max |a^T w|^2 (array gain, dBi over one element) */
    double beamwidth_3db; /* rad, width of the main lobe at -3 dB */
    double sidelobe_db;   /* highest sidelobe relative to the peak, dB (<= 0) */
};
int codebook_beam_stats(codebook cb, unsigned q, unsigned points, struct codebook_beam_stats *st);

/* File I/O (the one place in the codebook module that touches files). save writes
 * PATH.tmp and renames it; load validates format, version, sizes, finiteness and
 * writes one line "PATH: field: problem" into err on failure. */
int codebook_save(codebook cb, const char *path, char *err, size_t errlen);
codebook codebook_load(const char *path, char *err, size_t errlen);

/* The same format as a jansson object (new reference / validated parse); used to embed
 * the codebook in captures. `path` names the origin in error messages. */
struct json_t;
struct json_t *codebook_to_json(codebook cb);
codebook codebook_from_json(struct json_t *root, const char *path, char *err, size_t errlen);

#endif
