/* Vehicle tracking: a Cartesian constant-velocity EKF and its posterior Cramer-Rao bound.
 *
 * State (seed 000 digest section 2.2, [ENG] recommendation): x = [px, py, vx, vy] in metres
 * and m/s, in the scene frame. The paper's per-RSU state (phi, d, vdot) makes the motion
 * model singular under the RSU (phi -> 0, s = w T / p is 0/0) and is not used; the paper's
 * quantities are derived from x for each RSU instead.
 *
 * Motion: nearly constant velocity over a slot of T seconds, white acceleration of power
 * spectral density qx (along the road) and qy (across), m^2/s^3:
 *   F = [I2, T I2; 0, I2],  Q = blockdiag over axes of q [T^3/3, T^2/2; T^2/2, T].
 *
 * Measurement from RSU i at (xi, yi), array axis along +x (host/array conventions: phi
 * from broadside, sin(phi) = (px - xi) / d): z = [u, d, r] with
 *   u = sin(phi) = (px - xi) / d       (direction cosine along the road: a ULA measures
 *                                       it with a CRB independent of u, and it is smooth
 *                                       under the RSU, u = 0),
 *   d = |p - RSU|                      (range, m: c nu / 2 of the MF delay, digest 2.4 [ENG]
 *                                       units so H has O(1) entries),
 *   r = (p - RSU) . v / d              (range rate, m/s, > 0 receding: -vdot of the paper,
 *                                       c mu / (2 fc) of the MF Doppler with the sign flipped).
 * Noise: independent, standard deviations su, sd, sr.
 *
 * Update: the standard EKF gain with the Joseph-form covariance (digest 2.6: the paper's
 * single-sample gain, eq. 30, is indefinite and is not implemented). Information form and
 * covariance form agree (tests).
 *
 * PCRB (digest 2.7, eqs. 35-36 corrected: H^T R^-1 H, not H R^-1 H^T, and the process
 * noise restored): J_n = (F J_{n-1}^-1 F^T + Q)^-1 + sum_i H_i^T R_i^-1 H_i, H_i evaluated
 * at the TRUE state (the bound along the realised trajectory). The RCRB of seed 000 Fig. 11
 * is the square root of the bound on the range to an RSU: grad(d) J^-1 grad(d)^T.
 */
#ifndef ISACTB_TRACK_EKF_H
#define ISACTB_TRACK_EKF_H

struct isac_trk_rsu {
    double x, y; /* position, m; array axis along +x */
};

struct isac_trk_meas {
    unsigned rsu;      /* index of the RSU that measured */
    double u, d, r;    /* direction cosine, range (m), range rate (m/s) */
    double su, sd, sr; /* their standard deviations (> 0) */
    int truth_id;      /* emulator only: the vehicle that caused it (-1 false alarm);
                          never read by the tracker */
};

struct isac_trk_ekf {
    double x[4];  /* px, py, vx, vy */
    double P[16]; /* covariance, row-major */
};

/* h(x) and its Jacobian H (3 x 4, row-major; may be NULL) for RSU r. */
void isac_trk_h(const double *x, const struct isac_trk_rsu *r, double *z, double *H);
/* F and Q (4 x 4 row-major) of the constant-velocity model. */
void isac_trk_cv_model(double T, double qx, double qy, double *F, double *Q);

void isac_trk_ekf_predict(struct isac_trk_ekf *f, double T, double qx, double qy);
/* Update with one measurement; nis (optional) receives the normalised innovation squared
 * e^T S^-1 e (chi-square, 3 dof, for a consistent filter). ISAC_EINVAL when S is singular
 * or a standard deviation is not positive. */
int isac_trk_ekf_update(struct isac_trk_ekf *f, const struct isac_trk_rsu *r,
                        const struct isac_trk_meas *m, double *nis);
/* Mahalanobis distance^2 of m from the filter's predicted measurement (gating). */
double isac_trk_ekf_distance(const struct isac_trk_ekf *f, const struct isac_trk_rsu *r,
                             const struct isac_trk_meas *m);
/* The same update in information form (tests: must agree with isac_trk_ekf_update). */
int isac_trk_ekf_update_info(struct isac_trk_ekf *f, const struct isac_trk_rsu *r,
                             const struct isac_trk_meas *m);

/* Normalised estimation error squared (x - truth)^T P^-1 (x - truth), 4 dof. */
double isac_trk_nees(const struct isac_trk_ekf *f, const double *truth);

/* PCRB information matrix recursion. */
struct isac_trk_pcrb {
    double J[16];
};
/* Start from the prior covariance P0 (4 x 4). ISAC_EINVAL when P0 is singular. */
int isac_trk_pcrb_init(struct isac_trk_pcrb *b, const double *P0);
/* Prediction step (adds the process noise). */
int isac_trk_pcrb_predict(struct isac_trk_pcrb *b, double T, double qx, double qy);
/* Add the information of one measurement from RSU r with deviations (su, sd, sr), at the
 * true state truth. */
void isac_trk_pcrb_measure(struct isac_trk_pcrb *b, const double *truth,
                           const struct isac_trk_rsu *r, double su, double sd, double sr);
/* Bound covariance J^-1 (4 x 4). ISAC_EINVAL when J is singular. */
int isac_trk_pcrb_cov(const struct isac_trk_pcrb *b, double *C);
/* Bounds (standard deviations) on the range (m) and the angle phi (rad) seen from RSU r, at
 * the true state: sqrt(g C g^T) with g the gradient of d or of phi = asin(u). */
void isac_trk_bound_range_angle(const double *C, const double *truth, const struct isac_trk_rsu *r,
                                double *s_range, double *s_angle);

/* Small dense helpers (row-major), exposed for the tracker and tests. */
int isac_trk_inv(const double *A, double *Ainv, unsigned n); /* n <= 4; ISAC_EINVAL if singular */

#endif
