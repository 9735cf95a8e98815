/* Per-vehicle features and labels of seed 000's Bi-LSTMs (digest section 4), from a
 * loaded isac_veh_prob (veh.h).
 *
 * A slot is one sequence: its vehicles sorted by predicted position x (ties: by id), one
 * step each. Step features (assignment net, ISAC_VEH_FEAT_ASSIGN(N) values):
 *   for each RSU i = 0, 1: predicted direction cosine u_ik and range d_ik / 30 m; last
 *     slot's measurement by RSU i (the matched filter's outputs in this testbed: u, range
 *     / 30 m, range rate / 30 m/s) and a 1/0 flag that it exists (zeros when not);
 *   the previous serving RSU as two 1/0 flags;
 *   the previous beam f_{n-1} (Re then Im, N each) in the frame of the matched beam at its
 *     RSU's predicted angle: b_m = f_m a_m(u) (|a_m| = 1), so a matched beam is the constant
 *     1 / sqrt(N) whatever the angle (zeros when not served);
 *   K / 50.
 * The beam net gets one more value: the assignment (1: RSU 0, 0: RSU 1).
 * The paper feeds the raw MF snapshot r~ (an N-vector) and the delay and Doppler; this
 * testbed's MF gives the angle, range and range-rate estimates instead
 * (host/track/sense_mf.h), and the level-0 sensing used for training draws exactly those.
 *
 * Labels (the teacher's decision, heuristic = Algorithm 3): assignment 1 when RSU 0
 * serves the vehicle, 0 for RSU 1; beam: the serving beam in the same matched frame
 * (2N values, norm <= 1), its common phase turned so that sum_m b_m is real and >= 0 (a
 * beam's phase changes no SINR; without this the label would be arbitrary). The beam's
 * MSE in this frame equals its MSE in element space (the frame is unitary).
 */
#ifndef ISACTB_VEHICULAR_VEH_FEATURES_H
#define ISACTB_VEHICULAR_VEH_FEATURES_H

#include <complex.h>

#include "vehicular/veh.h"

#define ISAC_VEH_FEAT_ASSIGN(N) (15u + 2u * (N))
#define ISAC_VEH_FEAT_BEAM(N) (16u + 2u * (N))
#define ISAC_VEH_OUT_BEAM(N) (2u * (N))

/* order[0..K-1] = vehicle indices sorted by predicted x. */
void isac_veh_order(isac_veh_prob p, unsigned *order);

/* Features of the sequence in `order` (K x ISAC_VEH_FEAT_ASSIGN or ISAC_VEH_FEAT_BEAM floats,
 * step-major). beam_net: 0 assignment features, 1 beam features with the assignment of
 * isac_veh_xi (a vehicle not served gets 0.5). */
void isac_veh_features(isac_veh_prob p, const unsigned *order, int beam_net, float *x);

/* Labels of the current decision: assign (K values), beam (K x 2N). Returns 0, or -1 when
 * a vehicle is not served (the slot cannot be a training sequence). */
int isac_veh_labels(isac_veh_prob p, const unsigned *order, float *assign, float *beam);

/* A beam in the matched frame of pair (i, k) -> element beam f, and back. */
void isac_veh_beam_from_frame(isac_veh_prob p, unsigned i, unsigned k, const float *b,
                              double complex *f);
void isac_veh_beam_to_frame(isac_veh_prob p, unsigned i, unsigned k, const double complex *f,
                            float *b);

#endif
