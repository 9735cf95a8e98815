/* Level-0 sensing measurements (seed 000 digest section 7.4, "L0, parametric"): the
 * matched filter's angle, range and range-rate estimates of one vehicle at one RSU drawn
 * as the truth plus Gaussian errors at their Cramer-Rao bounds for the echo's SNR.
 *
 *   SNR per receive element after the MF: snr = snr_ref (d_ref / d)^4 g,
 *     snr_ref the post-MF SNR at d_ref with the transmit beam on the vehicle, g in [0, 1]
 *     the transmit beam's gain toward the vehicle relative to its peak (|a^T f|^2 / N);
 *   range:      delay CRB 1 / (8 pi^2 B_rms^2 snr Nr), B_rms = B / sqrt(12) (flat band B),
 *               times (c / 2)^2;
 *   range rate: Doppler CRB 1 / (8 pi^2 T_rms^2 snr Nr), T_rms = Ts / sqrt(12), times
 *               (c / (2 fc))^2;
 *   direction cosine of an Nr-element half-wavelength ULA:
 *               CRB 1 / (2 snr pi^2 Nr (Nr^2 - 1) / 12).
 * This is the one part of the highway scene not computed from samples (docs/tracking.md
 * says what an L1 version needs).
 */
#ifndef ISACTB_TRACK_SENSE_MODEL_H
#define ISACTB_TRACK_SENSE_MODEL_H

#include "common/rng.h"
#include "track/ekf.h"

struct isac_sense_model {
    double snr_ref_db; /* post-MF per-element SNR at d_ref, beam on target */
    double d_ref_m;    /* reference range, m */
    unsigned nr;       /* receive elements */
    double bandwidth;  /* B, Hz */
    double burst_s;    /* Ts, coherent burst duration, s */
    double fc;         /* carrier, Hz */
};

/* Standard deviations of (u, d, r) at range d with relative beam gain g. */
void isac_sense_model_sd(const struct isac_sense_model *m, double d, double g, double *su,
                         double *sd, double *sr);

/* One measurement of the vehicle with state x (px, py, vx, vy) at RSU index ri. */
void isac_sense_model_measure(const struct isac_sense_model *m, const struct isac_trk_rsu *r,
                              unsigned ri, const double *x, double g, int truth_id, isac_rng *rng,
                              struct isac_trk_meas *out);

#endif
