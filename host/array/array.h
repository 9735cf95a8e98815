/* Linear antenna arrays with arbitrary element positions.
 *
 * Convention (used everywhere in isactb):
 *   - element m sits at position p_m along the array axis, in carrier wavelengths;
 *     a half-wavelength ULA has p_m = m/2 (m = 0..M-1);
 *   - phi is the azimuth from array broadside in radians, valid in [-pi/2, pi/2];
 *     positive phi turns toward the +axis direction;
 *   - the steering vector is unnormalised:  a_m(phi) = exp(+j 2 pi p_m sin(phi)),
 *     so ||a||^2 = M. For a half-wavelength ULA this is exactly seed 004 eq. (3),
 *     a_m = exp(j pi m sin(phi)).
 *   - a received plane wave from phi gives y = a(phi) s; receive beamforming is
 *     a^H(phi) y. A transmit weight vector w radiates a^T(phi) w toward phi, so the
 *     TX beam steered at phi_q is w = conj(a(phi_q)) / sqrt(M) (seed 004 eq. (2)).
 *
 * Conversions to the other papers' conventions:
 *   - seed 000/002 write a(theta) = exp(-j pi m cos(theta)) / sqrt(N) with theta from
 *     the array axis (endfire). With theta = pi/2 - phi, cos(theta) = sin(phi), so
 *     a_000(theta) = conj(a(phi)) / sqrt(M); see isac_array_phi_from_axis_angle() and
 *     isac_array_steering_seed000().
 *
 * Movable-antenna (MA) arrays are the same object with non-uniform positions.
 */
#ifndef ISACTB_ARRAY_ARRAY_H
#define ISACTB_ARRAY_ARRAY_H

#include <complex.h>

typedef struct isac_array_s *isac_array;

/* Uniform linear array: M >= 1 elements (M <= 4096), spacing d in wavelengths
 * (0 < d <= 16; 0.5 is the usual half-wavelength ULA). NULL on bad arguments. */
isac_array isac_array_create_ula(unsigned M, double spacing_wl);

/* Arbitrary positions pos_wl[0..M-1] in wavelengths (finite, |p| <= 1e4). The
 * positions are copied. NULL on bad arguments. */
isac_array isac_array_create(const double *pos_wl, unsigned M);

isac_array isac_array_copy(isac_array a);
void isac_array_destroy(isac_array a);

unsigned isac_array_size(isac_array a);
/* Element positions in wavelengths (M entries, owned by the array). */
const double *isac_array_positions(isac_array a);

/* Steering vector a(phi) into out[0..M-1]. */
void isac_array_steering(isac_array a, double phi, float complex *out);
/* Double-precision steering vector (used by estimators and tests). */
void isac_array_steering_d(isac_array a, double phi, double complex *out);
/* d a(phi) / d phi = j 2 pi p_m cos(phi) a_m(phi). */
void isac_array_steering_deriv(isac_array a, double phi, double complex *out);

/* Transmit weights of the beam steered at phi: conj(a(phi)) / sqrt(M), unit norm. */
void isac_array_tx_weights(isac_array a, double phi, float complex *w);

/* Radiated power gain |a^T(phi) w|^2 of TX weights w (M entries) toward phi. With
 * unit-norm w the peak is M (10 log10 M dBi array gain). */
double isac_array_tx_gain(isac_array a, const float complex *w, double phi);

/* Seed 000 convention: a_000(theta) = exp(-j pi m cos(theta)) / sqrt(M) generalised
 * to arbitrary positions as exp(-j 2 pi p_m cos(theta)) / sqrt(M). */
void isac_array_steering_seed000(isac_array a, double theta, double complex *out);
/* phi (from broadside) of an angle theta measured from the array axis. */
double isac_array_phi_from_axis_angle(double theta);

#endif
