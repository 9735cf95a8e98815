/* The V2I scene of seed 002 for the optimisers: vehicles on a straight road, tracked by
 * the testbed's EKF (host/track/ekf.h), whose one-slot prediction is the point every
 * design is made for (the paper's prediction stage, digest section 1).
 *
 * Road: the line y = road_offset (m) parallel to the array axis, RSU at the origin. Vehicle
 * k starts at x uniform in [-x_span, x_span] (vehicles at least min_gap apart), moves
 * towards -x at a speed uniform in [v_lo, v_hi] m/s. The EKF (Cartesian constant velocity,
 * measurements u = cos theta, range, range rate with deviations su, sd, sr) starts from the
 * truth plus N(0, 1 m, 1 m/s) errors with that covariance, runs `slots` predict/update
 * cycles of slot_s seconds, then predicts one more slot. Its predicted state gives
 * eta_hat = (theta, d, v) (theta = atan2(y, x) from the array axis, v = -vx, so the radial
 * velocity is v cos theta as in the digest), and its predicted covariance P gives the
 * prior information of eq. (31): [J_P]_ii = [(G P G^T)^-1]_ii with G = d eta / d x.
 * Link budgets at the predicted distance: snr_r = radar_snr0 (d0 / d)^4 (two-way),
 * snr_c = comm_snr0 (d0 / d)^2 (one-way), both per unit transmit power.
 */
#ifndef ISACTB_MA_V2I_H
#define ISACTB_MA_V2I_H

#include <stdint.h>

#include "ma/ma_lpcrlb.h"

struct isac_ma_v2i_opts {
    double road_offset; /* m (> 0; default 15) */
    double x_span;      /* m (> 0; default 30) */
    double min_gap;     /* m (>= 0; default 10) */
    double v_lo, v_hi;  /* m/s (0 < v_lo <= v_hi; default 15, 30) */
    unsigned slots;     /* EKF updates before the prediction (>= 1; default 8) */
    double slot_s;      /* s (> 0; default 0.05: "tens of ms") */
    double q;           /* white-acceleration PSD, m^2/s^3 (> 0; default 1) */
    double su, sd, sr;  /* measurement deviations (default 0.003, 0.2 m, 0.5 m/s) */
    double d0;          /* reference distance, m (default 30) */
    double radar_snr0;  /* 2|beta|^2/sigma_r^2 at d0 per unit power (default 10) */
    double comm_snr0;   /* alpha/sigma_c^2 at d0 per unit power (default 320) */
};

void isac_ma_v2i_opts_default(struct isac_ma_v2i_opts *o);

/* Draws scene seed's vehicles and runs the tracker: pred[k] is the design point (predicted
 * eta, its prior information and link budgets), truth[k] (optional) the true state at the
 * same slot with the same budgets. ISAC_EINVAL on bad options or when the EKF fails. */
int isac_ma_v2i_draw(const struct isac_ma_scene *s, const struct isac_ma_v2i_opts *o, uint64_t seed,
                     struct isac_ma_vehicle *pred, struct isac_ma_vehicle *truth);

#endif
