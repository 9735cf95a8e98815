/* Radar echoes of moving point targets at a multi-antenna node (the highway scene's RSUs).
 *
 * The node transmits x[m][0..len-1] on its M elements (array `arr`, host/array
 * conventions, a_m(phi) = exp(j pi m sin(phi)) for a half-wavelength ULA) from
 * (ap_x, ap_y) and listens on the same M elements from the first transmitted sample on.
 * A target at p(t) = p0 + v t (scene frame, relative to the node: range d(t), angle phi
 * from broadside with sin(phi) = (px - ap_x) / d) returns, at receive element n,
 *
 *   y_n[i] += alpha a_n(phi) exp(-j 4 pi fc d(t0) / c) exp(j 2 pi fD i / fs)
 *             (a(phi)^T x)(i - 2 d(t0) fs / c),          fD = -2 fc d'(t0) / c,
 *
 * where (a^T x)(t) is the band-limited continuation of the transmitted samples
 * (host/dsp/fdelay.h, so probes must leave a 10 % guard band), t0 the burst's start time
 * and |alpha|^2 = snr_ref (d_ref / d)^4 / (M len): the two-way (radar-equation, d^-4)
 * path loss scaled so that a target at d_ref with the whole unit transmit power in a
 * matched beam (|a^T x|^2 = M on average) gives a post-MF SNR of snr_ref per receive
 * element. Then white complex Gaussian noise of unit variance is added on every element;
 * it depends only on noise_seed (one stream per element).
 *
 * Within one burst of a few microseconds the target's motion changes the delay by far
 * less than a millimetre, so the delay is frozen at t0 while the carrier phase advances
 * through fD (that phase, across bursts, is what the radial-speed measurement uses).
 */
#ifndef ISACTB_SIM_ECHO_H
#define ISACTB_SIM_ECHO_H

#include <complex.h>
#include <stddef.h>
#include <stdint.h>

#include "array/array.h"

struct isac_sim_echo_target {
    double x, y, vx, vy; /* position at time 0 (m) and velocity (m/s), scene frame */
};

struct isac_sim_echo_link {
    isac_array arr;    /* transmit = receive array, M elements */
    double ap_x, ap_y; /* node position, m */
    double fs, fc;     /* sample rate, carrier, Hz */
    double snr_ref;    /* linear post-MF per-element SNR at d_ref, matched beam */
    double d_ref;      /* m */
};

/* y[n][0..ny-1] (n < M) is overwritten with the echoes of nt targets of the burst
 * x[m][0..len-1] sent at time t0_s, plus noise. ISAC_EINVAL on bad arguments,
 * ISAC_ENOMEM. */
int isac_sim_echo_render(const struct isac_sim_echo_link *ln, const struct isac_sim_echo_target *tg,
                         unsigned nt, const float complex *const *x, size_t len, double t0_s,
                         float complex **y, size_t ny, uint64_t noise_seed);

#endif
