/* Seed 002 sensing bound (LPCRLB) and sum rate for a movable-antenna ISAC design.
 *
 * Model (digest shared/notes/seed002.md sections 2.3-2.10). One mono-static RSU at the
 * origin with a linear Tx array at positions xt (nt elements) and an Rx array at xr (nr),
 * both in wavelengths along the road axis; K vehicles; N subcarriers split into K
 * consecutive groups of N/K, group k serving vehicle k with one beam w_k (||w_k|| = 1) and
 * per-subcarrier powers p_n (sum p_n <= P_T). Steering a_i(theta) = exp(j 2 pi x_i cos theta),
 * theta from the array axis (digest 2.3).
 *
 * Echo (digest eq. 5), vehicle k, block m, subcarrier n, Rx element r:
 *   y = beta_k e^{j 2 pi m' Ts fD} e^{-j 2 pi n' df tau} b_r(theta) a^H(theta) w_{g(n)} sqrt(p_n)
 * with centred indices m' = m - (M-1)/2, n' = n - (N-1)/2, tau = 2 d / c,
 * fD = 2 v cos(theta) fc / c. Slepian-Bangs: J_xi = (2 |beta|^2 / sigma_r^2) Re(D^H P D)
 * with D the derivatives of the noise-free echo w.r.t. xi = (theta, tau, fD).
 *
 * The digest's corrected FIM (section 2.6 [ENG]): with known beta (P = I, the paper's
 * apparent reading) the DoD entry depends on where the phase origin of x_t, x_r, m and n
 * lies (the S1 and SM1 terms), which has no physical meaning. The default here treats the
 * complex echo amplitude as unknown: P = I - s s^H / (s^H s) (Schur complement of the
 * amplitude block), which is invariant to those origins; known_beta = 1 gives the
 * known-amplitude form with centred m and n (what the digest's closed forms compute).
 * The derivatives are written in a basis of five separable functions of (m, n, r), so the
 * Gram matrix costs O(K^2 nt + N) per evaluation (ma_lpcrlb.c); tests/test_ma_lpcrlb.c
 * checks it against the numerical Hessian of the log-likelihood of the full echo.
 *
 * Chain rule (digest eq. 11): eta = (theta, d, v), T = d xi / d eta =
 *   [[1, 0, 0], [0, 2/c, 0], [-(2 fc/c) v sin theta, 0, (2 fc/c) cos theta]],
 *   J_eta = T^T J_xi T.
 * LPCRLB (digest eq. 31/32): LPCRLB_{k,i} = 1 / ([J_eta,k]_ii + [J_P,k]_ii), J_P the prior
 * information (inverse of the predicted covariance of eta from the tracker). Inter-vehicle
 * blocks are ignored, as in the paper.
 *
 * Rate (digest eq. 34-35, normalisation a [GAP] there): gamma_{k,n} = p_n snr_c |a_k^H w_k|^2,
 * R = sum_k (1/|N_k|) sum_{n in N_k} log2(1 + gamma_{k,n}) bit/s/Hz (each vehicle's mean
 * spectral efficiency over its subcarriers, summed over vehicles).
 */
#ifndef ISACTB_MA_LPCRLB_H
#define ISACTB_MA_LPCRLB_H

#include <complex.h>

#include "ma/ma_geom.h"

#define ISAC_MA_MAX_VEH 4u
#define ISAC_MA_MAX_SUB 256u
#define ISAC_MA_C0 299792458.0

struct isac_ma_scene {
    double fc;                    /* carrier, Hz (> 0) */
    double df;                    /* subcarrier spacing, Hz (> 0) */
    double ts;                    /* OFDM block duration including CP, s (> 0) */
    unsigned nsub;                /* N subcarriers, a multiple of K, <= ISAC_MA_MAX_SUB */
    unsigned nblk;                /* M blocks (>= 1) */
    unsigned nt, nr;              /* Tx / Rx elements, 1..MA_MAX_ELEMENTS */
    unsigned K;                   /* vehicles, 1..MA_MAX_VEH */
    struct isac_ma_region tx, rx; /* Tx / Rx segments (wavelengths); Tx-Rx isolation is the gap
                                between the two segments */
    double pt;                    /* total transmit power P_T (> 0, normalised units) */
    int known_beta; /* 0: unknown echo amplitude (default), 1: known (digest closed form) */
};

struct isac_ma_vehicle {
    double theta; /* DoD from the array axis, rad, (0, pi) */
    double d;     /* distance, m (> 0) */
    double v;     /* speed, m/s; radial velocity v cos theta (digest 2.1) */
    double snr_r; /* 2 |beta|^2 / sigma_r^2 per unit power (linear, >= 0) */
    double snr_c; /* alpha / sigma_c^2 per unit power (linear, >= 0) */
    double jp[3]; /* prior information diagonal [J_P]_ii for (theta, d, v) (>= 0) */
};

struct isac_ma_design {
    double xt[ISAC_MA_MAX_ELEMENTS], xr[ISAC_MA_MAX_ELEMENTS]; /* wavelengths */
    double complex w[ISAC_MA_MAX_VEH][ISAC_MA_MAX_ELEMENTS];   /* beam of group k, unit norm */
    double p[ISAC_MA_MAX_SUB]; /* per-subcarrier power, sum <= P_T */
};

struct isac_ma_eval {
    double rate;                       /* sum rate, bit/s/Hz */
    double fim[ISAC_MA_MAX_VEH][3];    /* [J_eta]_ii of the echo alone (theta, d, v) */
    double lpcrlb[ISAC_MA_MAX_VEH][3]; /* 1 / (fim + jp): rad^2, m^2, (m/s)^2 */
};

/* ISAC_OK or ISAC_EINVAL with one line naming the field and value. */
int isac_ma_scene_check(const struct isac_ma_scene *s, char *err, size_t errlen);

/* The default scene of this reproduction (docs/ma.md, "Seed 002 optimisers"): 28 GHz,
 * 120 kHz spacing, N = 32, M = 16, 8T8R, K = 2, Tx segment [0, 7] lambda, Rx segment
 * [8, 15] lambda, dmin = lambda/2, P_T = 1, unknown amplitude. */
void isac_ma_scene_default(struct isac_ma_scene *s);

/* Rate and bounds of design d. ISAC_EINVAL on a malformed scene. */
int isac_ma_evaluate(const struct isac_ma_scene *s, const struct isac_ma_vehicle *veh,
                     const struct isac_ma_design *d, struct isac_ma_eval *e);

/* The 3 x 3 echo FIM J_eta of vehicle k (row-major, theta/d/v). */
int isac_ma_fim_eta(const struct isac_ma_scene *s, const struct isac_ma_vehicle *veh, unsigned k,
                    const struct isac_ma_design *d, double J[9]);

/* snr_c |a^H(xt, theta_k) w_k|^2: the SNR per unit power on vehicle k's subcarriers. */
double isac_ma_comm_gain(const struct isac_ma_scene *s, const struct isac_ma_vehicle *veh,
                         unsigned k, const struct isac_ma_design *d);

/* Communication-only design helper: w_k = a(xt, theta_k) / sqrt(nt), uniform power. */
void isac_ma_design_comm_beams(const struct isac_ma_scene *s, const struct isac_ma_vehicle *veh,
                               struct isac_ma_design *d);

#endif
