/* Seed 000's joint vehicle-to-RSU assignment and beamforming (digest sections 3.1-3.9):
 * the per-slot design problem the digital twin solves from the tracker's predictions,
 * the fractional-programming (FP) beam update with the sensing (angle-information)
 * constraint, and the assignment schemes (distance-based, greedy = Algorithm 2,
 * heuristic = Algorithm 3 with per-RSU caps). docs/vehicular.md has the derivations.
 *
 * Conventions (host/array/array.h): RSU i has an N-element half-wavelength ULA along +x;
 * a vehicle at direction cosine u = sin(phi) = (px - x_i) / d receives a^T(u) f from a
 * transmit beam f (a_m(u) = exp(j 2 pi p_m u), unnormalised); the matched beam is
 * e(u) = conj(a(u)) / sqrt(N) (isac_array_tx_weights), unit norm. Beams satisfy ||f|| <= 1
 * (the paper's per-beam constraint); a plan column is f itself at power beam_power.
 *
 * Communication model (seed 000 eq. 10, intra-RSU interference only, as the emulator's
 * model SINR, docs/comm.md): with g_ik = sqrt(alpha_ik) conj(a(u_ik)),
 *   SINR_ik = |g_ik^H f_ik|^2 / (sum_{m in S_i, m != k} |g_ik^H f_im|^2 + s2_ik),
 *   alpha_ik = psd * beam_power * snr1 * (30 / d_ik)^2        (eq. 9: alpha0 d^-2),
 *   s2_ik    = 1 + probe_power * snr1 * (30 / d_ik)^2          (noise + the white probe),
 * snr1 = 10^(comm_snr_db / 10) the SNR of a unit-power stream at one antenna 30 m away,
 * psd the OFDM subcarrier power factor (nfft / occupied). Rates are log2(1 + SINR).
 *
 * FP (digest 3.3-3.5, with the corrections marked [FIX] there): for RSU i and its served
 * set S_i, alternate
 *   gamma_k = SINR_k                                          (eq. 43)
 *   y_k = sqrt(1 + gamma_k) g_k^H f_k / (sum_{m in S_i} |g_k^H f_m|^2 + s2_k)
 *        (the maximiser of eq. 44 over complex y; printed eq. 46 is wrong, digest 3.4)
 *   f_m = argmax 2 Re{c_m^H f} - f^H A f  s.t. ||f||^2 <= 1, ||Pi_m f||^2 >= Lambda_m
 *        A = sum_k |y_k|^2 g_k g_k^H, c_m = sqrt(1 + gamma_m) y_m g_m,
 * the reverse-convex sensing constraint replaced (SCA, digest 3.5) by its tangent
 * half-space at the current beam f0, 2 Re{(Pi^H Pi f0)^H f} >= Lambda + ||Pi f0||^2, an
 * inner approximation that contains f0. Each beam's sub-problem is a concave quadratic
 * over a ball and a half-space, solved through its KKT form f = (A + mu I)^-1 (c + nu q)
 * (one eigendecomposition of A per iteration, bisection on mu and nu); a candidate is
 * accepted only when it is feasible and does not lower the beam's term, so the objective
 * fq, which equals sum_k ln(1 + SINR_k) after the gamma and y steps, never decreases
 * (tests/test_vehicular.c). The paper's claim that the problem is convex in F for fixed
 * y is wrong (the sensing constraint is reverse convex, digest 3.5); the tangent
 * half-space keeps every iterate feasible for the true constraint.
 *
 * Sensing constraint (eq. 37 with the corrections of digest 3.1, in this testbed's
 * Cartesian tracker, host/track/ekf.h): the posterior variance of the direction cosine u
 * of vehicle k seen from its serving RSU must not exceed last slot's. With the predicted
 * covariance P^ (4 x 4), the range and range-rate information of this slot's echo at the
 * matched beam (level-0 deviations, host/track/sense_model.h) J0 = P^^-1 + H_dr^T R^-1 H_dr,
 * v0 = grad(u) J0^-1 grad(u)^T and m_prev = grad(u) P~_prev grad(u)^T, the angle
 * information I_u(f) = 2 snr_s N ||Pi f||^2 must satisfy v0 / (1 + I_u v0) <= m_prev
 * (Sherman-Morrison: the Schur-complement form of eqs. 55-58 with their sign error
 * fixed), i.e.
 *   ||Pi f||^2 >= Lambda = max(0, 1/m_prev - 1/v0) / (2 snr_s N),
 * snr_s = 10^(sense_snr_db / 10) (30 / d)^4 beam_power the per-element post-MF echo SNR of
 * the matched beam. Pi = d(a^ a^^T)/du (a^ = a / sqrt(N), element positions centred on
 * the array's phase centre, so the matched beam maximises ||Pi f||^2 =
 * pi^2 (N^2 - 1) / 12, digest 1.2) and the information equals the level-0 angle CRB at
 * the matched beam. Lambda above 0.999 of that maximum is clamped (counted in
 * isac_veh_stats.clamped): the constraint cannot be met there by any beam.
 */
#ifndef ISACTB_VEHICULAR_VEH_H
#define ISACTB_VEHICULAR_VEH_H

#include <complex.h>
#include <stddef.h>
#include <stdint.h>

#include "track/sense_model.h"

#define ISAC_VEH_RSUS 2
#define ISAC_VEH_MAX_N 64   /* elements per RSU */
#define ISAC_VEH_MAX_K 128  /* vehicles per slot */
#define ISAC_VEH_MAX_CAP 64 /* streams per RSU (ISAC_PLAN_MAX_COMM) */
#define ISAC_VEH_NONE (-1)  /* xi: vehicle not served */

struct isac_veh_params {
    unsigned n;                   /* Nt = Nr, 2..VEH_MAX_N */
    unsigned cap;                 /* streams per RSU (Algorithm 3's cap), 1..VEH_MAX_CAP */
    double rsu[ISAC_VEH_RSUS][2]; /* RSU positions, m (Table I: (0, 30), (0, -30)) */
    double comm_snr_db;           /* snr1: unit-power stream, one antenna, 30 m, dB */
    double beam_power;            /* power of each comm beam, (0, 1] (comm_share / cap) */
    double probe_power;           /* power of the omnidirectional probe, [0, 1] */
    double psd;                   /* OFDM subcarrier power factor, >= 1 (nfft / occupied) */
    struct isac_sense_model sm;   /* sensing: snr_ref_db at d_ref (beam on target, unit
                                power), bandwidth, burst, fc; sm.nr = n */
    double slot_s, qx, qy;        /* the tracker's motion model (host/track/ekf.h) */
    int sensing;                  /* 1: FP keeps the sensing constraint; 0: drops it */
    unsigned fp_iter;             /* FP: at most this many gamma/y/F rounds (1..1000) */
    double fp_tol;                /* FP: stop when the fq gain <= fp_tol |fq| */
    unsigned max_flips;           /* Algorithm 3: flip limit (0: 2 K) */
    /* lstm scheme: weights files (isac_bilstm_save JSON) of the assignment and the beam net;
     * NULL: the compiled-in tables (codebooks/veh_lstm_{assign,beam}_weights.c) */
    const char *lstm_assign, *lstm_beam;
};

/* Table I geometry, N 32, cap 32, comm_snr_db 0.5 (-29.5 + 30 dB of transmit power, the
 * highway scene's defaults), beam_power 0.8 / cap, probe 0.2, psd 4/3, sensing at 30 dB
 * (sense_snr 0 + tx 30) per element, 200 MHz, 122.4 us burst, 30 GHz; T 0.02, qx 4,
 * qy 0.25; sensing on; fp_iter 30, fp_tol 1e-4; max_flips 0. */
void isac_veh_params_default(struct isac_veh_params *p);
/* 0, or ISAC_EINVAL with one line naming the field and value. */
int isac_veh_params_check(const struct isac_veh_params *p, char *err, size_t errlen);

/* One tracked vehicle as the digital twin sees it at the start of a slot. */
struct isac_veh_vehicle {
    unsigned id;      /* track id (the runner maps it to the vehicle served) */
    double x[4];      /* predicted state for this slot: px, py (m), vx, vy (m/s) */
    double P[16];     /* its predicted covariance (row-major) */
    double Pprev[16]; /* the posterior covariance of the previous slot */
    /* learning features (host/vehicular/veh_features.h); the optimisers ignore them */
    double meas[ISAC_VEH_RSUS][3]; /* last slot's measurement (u, d, r) by each RSU */
    int has_meas[ISAC_VEH_RSUS];
    int prev_rsu;                         /* RSU that served it last slot, ISAC_VEH_NONE */
    float complex prev_f[ISAC_VEH_MAX_N]; /* that beam */
};

typedef struct isac_veh_prob_s *isac_veh_prob;

/* Scratch for up to ISAC_VEH_MAX_K vehicles; NULL on bad parameters (err) or memory. */
isac_veh_prob isac_veh_prob_create(const struct isac_veh_params *p, char *err, size_t errlen);
void isac_veh_prob_destroy(isac_veh_prob p);
const struct isac_veh_params *isac_veh_prob_params(isac_veh_prob p);

/* Load the slot: K (0..VEH_MAX_K) vehicles (copied); computes each (RSU, vehicle)
 * pair's angle, range, channel, noise and Lambda; every beam set to the matched beam,
 * nobody served. ISAC_EINVAL on K or a non-finite state. */
int isac_veh_prob_set(isac_veh_prob p, const struct isac_veh_vehicle *v, unsigned K);
unsigned isac_veh_prob_count(isac_veh_prob p);
const struct isac_veh_vehicle *isac_veh_prob_vehicle(isac_veh_prob p, unsigned k);

/* Geometry of pair (i, k) at the predicted state: direction cosine, range (m). */
double isac_veh_u(isac_veh_prob p, unsigned i, unsigned k);
double isac_veh_d(isac_veh_prob p, unsigned i, unsigned k);
double isac_veh_lambda(isac_veh_prob p, unsigned i, unsigned k);
/* max ||Pi f||^2 over ||f|| <= 1: pi^2 (N^2 - 1) / 12. */
double isac_veh_pi_max(isac_veh_prob p);
/* ||Pi(u_ik) f||^2 of a beam f (N entries). */
double isac_veh_pi_norm2(isac_veh_prob p, unsigned i, unsigned k, const double complex *f);

/* Assignment xi_k: the serving RSU or ISAC_VEH_NONE; and the beam f_ik (N entries, kept for
 * both RSUs: the non-serving one is the hypothetical beam of Algorithm 3). */
int isac_veh_xi(isac_veh_prob p, unsigned k);
void isac_veh_set_xi(isac_veh_prob p, unsigned k, int i);
double complex *isac_veh_beam(isac_veh_prob p, unsigned i, unsigned k);
unsigned isac_veh_served(isac_veh_prob p, unsigned i); /* vehicles with xi = i */

/* SINR of vehicle k served by RSU i with the current assignment and beams (the design
 * model, at the predicted positions); for xi_k != i the hypothetical SINR of k if i
 * served it with f_ik (interference from i's served beams). */
double isac_veh_sinr(isac_veh_prob p, unsigned i, unsigned k);
/* Design objective sum over served k of log2(1 + SINR_k). */
double isac_veh_rate_sum(isac_veh_prob p);

/* Statistics of the last FP run / assignment. */
struct isac_veh_stats {
    unsigned fp_runs, fp_iters, flips, rejected, clamped;
    double fq_first, fq_last; /* fq (nats) of the last FP run, first and last round */
    int monotone;             /* every FP run's fq never decreased (1e-9 relative) */
    double min_slack;         /* min over served pairs of ||Pi f||^2 - Lambda (sensing on) */
};
const struct isac_veh_stats *isac_veh_prob_stats(isac_veh_prob p);

/* FP beam update of RSU i's served set (digest 3.5, above). trace (may be NULL) receives
 * fq after each round (room for fp_iter + 1), *ntrace their number. ISAC_OK or
 * ISAC_ENOMEM / ISAC_EINVAL (LAPACK failure). */
int isac_veh_fp(isac_veh_prob p, unsigned i, double *trace, unsigned *ntrace);

/* Assignments (each also sets the served vehicles' beams):
 *   distance   nearest RSU, nearest vehicles first, at most `cap` per RSU (the other RSU
 *              takes the overflow; beyond 2 cap vehicles are not served); matched beams
 *              (fp = 0) or FP beams (fp = 1);
 *   greedy     Algorithm 2: vehicles in descending |1/d_1k - 1/d_2k|^2, the first to its
 *              nearer RSU; each next one tried on both RSUs (FP over the already placed
 *              vehicles plus it, digest 3.7 [ENG]) and kept where its own utility
 *              zeta = ln(1 + SINR) is larger (a full RSU is not tried);
 *   heuristic  Algorithm 3: distance with FP beams, then repeatedly flip the vehicle
 *              with the largest e_k = zeta_other - zeta_serving > 0 (target RSU below its
 *              cap), re-run FP on both RSUs, keep the flip only when the sum rate rose
 *              (else restore and never try that vehicle again this slot), at most
 *              max_flips flips (digest 3.8 [ENG]: the paper has no termination rule).
 * ISAC_OK or an error of isac_veh_fp. */
int isac_veh_assign_distance(isac_veh_prob p, int fp);
int isac_veh_assign_greedy(isac_veh_prob p);
int isac_veh_assign_heuristic(isac_veh_prob p);

#endif
