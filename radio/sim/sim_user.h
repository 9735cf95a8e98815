/* Emulated communication users: single-antenna receivers of the AP's transmit burst.
 *
 * A user is a point (x, y) moving at constant velocity (vx, vy), with its own noise figure
 * and carrier frequency offset, optionally in Rician multipath. The AP side (struct
 * isac_sim_user_link) is the transmit array, its position and axis (host/array/geom.h), the
 * transmit power of a unit-power burst, the emulated carrier fc and the sample rate fs.
 *
 * Signal at the user, absolute tick t (seconds t/fs), burst x (M channels, precoded):
 *   y(t) = sum_paths g_p [a^T(phi_p) x](t - tau_p) e^{j 2 pi nu (t - t_b)} + w(t)
 *   LoS path:  phi_0 = isac_geom_phi(AP, user), tau_0 = d/c (samples, fractional, fdelay),
 *              g_0 = sqrt(K/(K+1)) sqrt(P_t beta(d) / N_0) e^{-j 2 pi d fc / c},
 *   scattered paths (scatter_taps of them, only when K is finite): angle uniform in
 *              +-60 deg, excess delay exponential with mean delay_spread, gains CN with
 *              an exponential power profile summing to 1/(K+1) of sqrt(P_t beta(d)/N_0)^2,
 *              re-drawn for every burst (block fading) from (seed, user, burst tick);
 *   beta[dB] = pl_db_1m - 10 pl_exp log10(d / 1 m), d clamped at 1 m: one hop (a user is
 *              a receiver, not a reflector); docs/link-budget.md's law is pl_db_1m = -34.5,
 *              pl_exp = 3.7, seed 000's alpha0 d^-2 is pl_db_1m = -70, pl_exp = 2;
 *   N_0[dBm] = -174 + nf + 10 log10(fs): the user's thermal noise over the band; samples
 *              are in units of sqrt(N_0), so w ~ CN(0, 1) per sample, a function of
 *              (seed, user, tick) only;
 *   nu = (f_D + cfo) / fs with f_D = -(fc/c) dd/dt at the burst start (one-way Doppler),
 *   t_b the burst's start tick (the carrier phase is taken there).
 * Positions are evaluated at the burst start (x + vx t_b / fs, ...): within one burst of
 * a few thousand samples a vehicle moves millimetres.
 */
#ifndef ISACTB_RADIO_SIM_USER_H
#define ISACTB_RADIO_SIM_USER_H

#include <complex.h>
#include <stddef.h>
#include <stdint.h>

#include "array/array.h"
#include "array/geom.h"

#define ISAC_SIM_USER_MAX_TAPS 16

struct isac_sim_user {
    double x, y;           /* position at tick 0, m (finite) */
    double vx, vy;         /* velocity, m/s (|v| <= 100) */
    double nf_db;          /* noise figure, 0..30 dB */
    double cfo_hz;         /* LO offset relative to the AP, |cfo| <= 1e5 Hz */
    double k_db;           /* Rician K factor in dB; INFINITY (or >= 100): line of sight only */
    unsigned scatter_taps; /* scattered paths, 0..SIM_USER_MAX_TAPS (ignored for pure LoS) */
    double delay_spread_s; /* mean excess delay of the scattered paths, 0..1e-5 s */
};

struct isac_sim_user_link {
    isac_array tx;          /* the AP's transmit array (positions in wavelengths at fc) */
    struct isac_geom_ap ap; /* AP position and array axis */
    double tx_power_dbm;    /* power of a unit-power burst, -40..60 dBm */
    double fc;              /* emulated carrier, Hz */
    double fs;              /* sample rate = bandwidth, Hz */
    double pl_db_1m;        /* path gain at 1 m, dB (-34.5 in the seed-004 scene) */
    double pl_exp;          /* path-loss exponent (3.7 in the seed-004 scene) */
    uint64_t seed;          /* noise and fading seed */
};

/* ISAC_OK, or ISAC_EINVAL with one line naming the field and value ("user 2: nf_db 45
 * outside 0..30"). */
int isac_sim_user_validate(const struct isac_sim_user *u, unsigned uid, char *err, size_t errlen);

struct isac_sim_user_path {
    double phi;          /* departure angle at the AP, rad */
    double delay;        /* samples */
    double complex gain; /* amplitude in units of sqrt(N_0) */
    double doppler;      /* cycles per sample, CFO included */
};

/* The paths of user uid for a burst starting at tick tb; returns their number (>= 1). */
unsigned isac_sim_user_paths(const struct isac_sim_user_link *l, const struct isac_sim_user *u,
                             unsigned uid, int64_t tb, struct isac_sim_user_path *paths);

/* Render the user's capture y[0..ny-1] at ticks t0..t0+ny-1 of one burst x (M channels of
 * L samples, M = array size) sent at tick tb. noise = 0 leaves the noise out (tests).
 * ISAC_EINVAL on bad arguments, ISAC_ENOMEM on allocation failure. */
int isac_sim_user_render(const struct isac_sim_user_link *l, const struct isac_sim_user *u,
                         unsigned uid, const float complex *const *x, size_t L, int64_t tb,
                         float complex *y, size_t ny, int64_t t0, int noise);

/* The same pieces: add the burst's paths into y (not cleared, no noise), and add the
 * user's noise (a function of (seed, user, tick)) to y. */
int isac_sim_user_add(const struct isac_sim_user_link *l, const struct isac_sim_user *u,
                      unsigned uid, const float complex *const *x, size_t L, int64_t tb,
                      float complex *y, size_t ny, int64_t t0);
void isac_sim_user_noise(const struct isac_sim_user_link *l, unsigned uid, int64_t t0,
                         float complex *y, size_t ny);

/* The model SINR of stream `target` at user uid for a burst at tick tb (docs/comm.md):
 *   SINR = mean_k psd_t |h_t(k)|^2 / mean_k ( sum_{s != t} psd_s |h_s(k)|^2 + 1 ),
 *   h_s(k) = sum_p g_p a^T(phi_p) v_s e^{-j 2 pi k tau_p / nfft},
 * over the subcarriers k[0..nk-1] (signed) of an nfft-point OFDM grid; v_s (S vectors of M
 * weights) are the precoder columns times sqrt(p_s); psd_s the power of stream s per
 * occupied subcarrier relative to its sample power (nfft/occupied for an OFDM stream, 1
 * for a white probe). Also returns the signal, interference and noise terms (optional). */
double isac_sim_user_model_sinr(const struct isac_sim_user_link *l, const struct isac_sim_user *u,
                                unsigned uid, int64_t tb, const float complex *const *v,
                                const double *psd, unsigned S, unsigned target, const int *k,
                                unsigned nk, unsigned nfft, double *signal, double *interference);

#endif
