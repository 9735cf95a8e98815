/* Transmit plan: everything one CPI radiates.
 *
 * A plan holds, for N transmit elements and S = K + 1 streams (K communication streams
 * s = 0..K-1 and one sensing stream s = K, the probe):
 *   - a precoder W (N x S, column-major: W[m + s N] is element m's weight for stream s),
 *     one per subcarrier when the plan is frequency selective (num_subcarriers > 1, for
 *     OFDM / hybrid precoding), else one for the whole band;
 *   - per-stream powers p_s (linear, relative to a unit-power stream; >= 0);
 *   - optionally the active elements (a mask; inactive elements radiate nothing);
 *   - optionally the element positions (wavelengths along the array axis) for arrays
 *     whose elements move (ISAC_RADIO_CAP_MOVABLE); NULL means the array's own positions;
 *   - the codebook beam it was made from (isac_tx_plan_beam), or -1 for any other plan.
 *
 * Transmitted signal of element m (single-precoder plan, unit-power streams u_s):
 *     x_m[n] = sum_{s=0}^{S-1} W[m, s] sqrt(p_s) u_s[n]        (inactive m: x_m = 0)
 * which is seed 004 eq. (1) with f_k = sqrt(p_k) W[:, k] and w = sqrt(p_K) W[:, K].
 * A codebook beam q is the plan W[:, K] = w_q, p_K = 1, no communication streams.
 *
 * Plans are values: create, fill, copy, compare bit for bit, serialise to JSON (a
 * codebook plan as its beam index, anything else as the full matrix).
 */
#ifndef ISACTB_PLAN_PLAN_H
#define ISACTB_PLAN_PLAN_H

#include <complex.h>
#include <stddef.h>
#include <stdint.h>

#include "array/codebook.h"

typedef struct isac_tx_plan_s *isac_tx_plan;

#define ISAC_PLAN_MAX_TX 4096          /* transmit elements N */
#define ISAC_PLAN_MAX_COMM 64          /* communication streams K */
#define ISAC_PLAN_MAX_SUBCARRIERS 4096 /* frequency-selective precoders */

/* A zero plan (every weight 0, every power 1, all elements active, no positions, beam -1)
 * for num_tx elements (1..ISAC_PLAN_MAX_TX), num_comm communication streams
 * (0..ISAC_PLAN_MAX_COMM) and num_subcarriers precoders (1 for a flat precoder,
 * up to ISAC_PLAN_MAX_SUBCARRIERS). NULL on bad arguments or allocation failure. */
isac_tx_plan isac_tx_plan_create(unsigned num_tx, unsigned num_comm, unsigned num_subcarriers);
/* The plan of codebook beam q (q < isac_codebook_size(cb)): sensing column w_q, power 1, and
 * an MA beam's own element positions and active mask (codebook_beam_positions/_active). */
isac_tx_plan isac_tx_plan_from_beam(isac_codebook cb, unsigned q);
isac_tx_plan isac_tx_plan_copy(const struct isac_tx_plan_s *p);
void isac_tx_plan_destroy(isac_tx_plan p);

unsigned isac_tx_plan_num_tx(const struct isac_tx_plan_s *p);
unsigned isac_tx_plan_num_comm(const struct isac_tx_plan_s *p);
unsigned isac_tx_plan_num_streams(const struct isac_tx_plan_s *p); /* K + 1 */
unsigned isac_tx_plan_num_subcarriers(const struct isac_tx_plan_s *p);

/* Precoder of subcarrier sc (< num_subcarriers): N x S column-major, writable. Writing
 * it makes the plan a non-codebook plan (isac_tx_plan_beam() = -1) unless
 * isac_tx_plan_set_beam() is called after. */
float complex *isac_tx_plan_precoder(isac_tx_plan p, unsigned sc);
const float complex *isac_tx_plan_precoder_const(const struct isac_tx_plan_s *p, unsigned sc);
/* Column of stream s (s <= K; s = K is the sensing stream) of subcarrier sc. */
const float complex *isac_tx_plan_stream_weights(const struct isac_tx_plan_s *p, unsigned sc,
                                                 unsigned s);
/* Stream powers p_0..p_K (linear, finite, >= 0), writable. */
double *isac_tx_plan_powers(isac_tx_plan p);
const double *isac_tx_plan_powers_const(const struct isac_tx_plan_s *p);

/* Codebook beam index the plan came from, -1 when it is not a codebook beam. */
int isac_tx_plan_beam(const struct isac_tx_plan_s *p);
/* Mark the plan as codebook beam q (q >= 0) or as no beam (-1). The caller vouches that
 * the weights are the beam's (isac_tx_plan_from_beam does this). */
void isac_tx_plan_set_beam(isac_tx_plan p, int q);

/* Active-element mask (num_tx bytes, 1 = radiates) or NULL when every element is. */
const uint8_t *isac_tx_plan_active(const struct isac_tx_plan_s *p);
/* Set the mask (copied; NULL: all active). ISAC_EINVAL when no element would be active. */
int isac_tx_plan_set_active(isac_tx_plan p, const uint8_t *active);
/* Element positions in wavelengths (num_tx values) or NULL: the array's own. */
const double *isac_tx_plan_positions(const struct isac_tx_plan_s *p);
/* Set positions (copied, finite, |p| <= 1e4; NULL: the array's own). ISAC_EINVAL otherwise. */
int isac_tx_plan_set_positions(isac_tx_plan p, const double *pos_wl);

/* Total radiated power per sample for unit-power uncorrelated streams:
 * sum_s p_s ||W[:, s]||^2 over active elements, averaged over subcarriers. */
double isac_tx_plan_total_power(const struct isac_tx_plan_s *p);

/* ISAC_OK when every weight and power is finite and powers are >= 0; else ISAC_EINVAL
 * with one line naming the field and value in err. */
int isac_tx_plan_validate(const struct isac_tx_plan_s *p, char *err, size_t errlen);
/* 1 when a and b have the same shape, bits, mask, positions and beam; 0 otherwise. */
int isac_tx_plan_equal(const struct isac_tx_plan_s *a, const struct isac_tx_plan_s *b);

/* Time-domain composition of a single-precoder plan (num_subcarriers == 1):
 * x[m][n] = sum_s W[m, s] sqrt(p_s) u[s][n], n < L. u has K + 1 streams (u[K] the
 * probe; u[s] may be NULL for a stream whose column and power make it silent).
 * Bit-identical to isac_waveform_compose() for a codebook plan (sqrt(1) = 1 exactly).
 * ISAC_EINVAL on bad sizes, NULL buffers or a frequency-selective plan. */
int isac_tx_plan_compose(const struct isac_tx_plan_s *p, const float complex *const *u, size_t L,
                         float complex *const *x);

/* JSON form (a new reference): {"beam": q} for a codebook plan with default powers, mask
 * and positions (an MA beam's plan therefore records its positions and mask in full);
 * otherwise {"num_tx": N, "num_comm": K, "num_subcarriers": F,
 * "powers": [...], "W": [[re, im], ...] (F*N*S values, subcarrier-major then column-major),
 * "active": [0/1 ...] (optional), "positions_wl": [...] (optional), "beam": q (optional)}.
 * Floats are written with 9 significant digits, so a float weight survives exactly. */
struct json_t;
struct json_t *isac_tx_plan_to_json(const struct isac_tx_plan_s *p);
/* Parse and validate; a {"beam": q} plan is rebuilt from cb (NULL cb: refused). `what`
 * names the origin in err ("CAPTURE: cpi 12: plan"). NULL with one line in err. */
isac_tx_plan isac_tx_plan_from_json(const struct json_t *j, isac_codebook cb, const char *what,
                                    char *err, size_t errlen);

#endif
