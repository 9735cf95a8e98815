/* Sensing from samples for the highway scene ("level 1", docs/tracking.md): one RSU's
 * matched filter and detector on its receive channels.
 *
 * Transmit: every column s of the slot's plan (the served vehicles' beams and the
 * omnidirectional probe) carries its own known probe code u_s (len samples, unit average
 * power, flat spectrum over |f| <= band / 2 with random QPSK phases, so the codes of
 * different columns are nearly orthogonal and the band leaves fdelay's 10 % guard band).
 * The burst is x = sum_s w_s sqrt(p_s) u_s (isac_tx_plan_compose), sent `bursts` times
 * (1 or 2), gap_s apart.
 *
 * Receive, per burst, on M elements, window of len + lags - 1 samples from the first
 * transmitted sample:
 *   1. matched filters (host/dsp/mf.h): q[n][s](k) = MF of element n against code s,
 *      k = 0..lags-1 (range bins of c / (2 fs));
 *   2. range-angle map on a grid of angle_bins direction cosines u_b: the GLRT statistic of
 *      a point target for known noise power,
 *          T_b(k) = |sum_{n,s} conj(a_n(u_b) c_s(u_b)) q[n][s](k)|^2 / (M sum_s |c_s(u_b)|^2),
 *      c_s(u) = a(u)^T w_s sqrt(p_s) (what column s radiates toward u);
 *   3. CFAR: the noise power is the median of the map divided by ln 2 (targets fill few
 *      cells); detections are local maxima (3 x 3) with T / noise >= det_snr (post-MF
 *      array SNR); three passes, each re-estimating the noise on the map cleaned of the
 *      detections so far (the first map still holds every echo's range side lobes);
 *   4. strongest first, each candidate climbs to the peak of the cleaned map, is refined
 *      by coordinate ascent (golden section) of the same statistic in continuous delay
 *      (band-limited interpolation of the MF outputs, host/dsp/fdelay.h taps) and
 *      direction cosine, its complex amplitude estimated and its echo subtracted from the
 *      MF outputs at every lag (CLEAN), so a strong vehicle's side lobes are not detected
 *      as vehicles; a peak within a resolution cell of a detection 15 dB stronger is taken
 *      as its residual; finally two RELAX sweeps re-estimate each detection with all the
 *      others subtracted;
 *   5. with two bursts, each detection's amplitude in the second burst is estimated at the
 *      same (u, delay) (again strongest first, with subtraction) and the radial speed is
 *      the phase step: r = -arg(a2 conj(a1)) c / (4 pi fc gap_s), unambiguous for
 *      |r| < c / (4 fc gap_s). With one burst the range rate carries no information
 *      (r = 0, sr = ISAC_SENSE_MF_NO_RATE_SD).
 * Each detection's (su, sd, sr) are the Cramer-Rao deviations at its ESTIMATED SNR: the
 * ULA direction-cosine bound, the delay bound of a flat band (B_rms = band / sqrt(12)) and
 * the phase-difference bound var = 1/(2 T1) + 1/(2 T2). truth_id is set to -1: the caller
 * labels detections for scoring only.
 */
#ifndef ISACTB_TRACK_SENSE_MF_H
#define ISACTB_TRACK_SENSE_MF_H

#include <complex.h>
#include <stddef.h>
#include <stdint.h>

#include "array/array.h"
#include "track/ekf.h"

#define ISAC_SENSE_MF_NO_RATE_SD 1e3 /* m/s: "no range-rate information" */
#define ISAC_SENSE_MF_MAX_STREAMS 65

struct isac_sense_mf_params {
    unsigned streams;    /* maximum plan columns (1..SENSE_MF_MAX_STREAMS) */
    size_t len;          /* probe length, samples (16..65536) */
    size_t lags;         /* range bins (8..len) */
    double fs;           /* sample rate, Hz */
    double band;         /* occupied bandwidth, Hz, (0, 0.8 fs] */
    double fc;           /* carrier, Hz */
    double gap_s;        /* burst spacing (bursts == 2), s */
    unsigned bursts;     /* 1 or 2 */
    double det_snr_db;   /* detection threshold on the post-MF array SNR */
    unsigned angle_bins; /* direction-cosine grid of the map (>= M) */
    uint64_t seed;       /* probe codes */
};

typedef struct isac_sense_mf_s *isac_sense_mf;

/* NULL on bad parameters (err gets one line) or allocation failure. arr is copied. */
isac_sense_mf isac_sense_mf_create(const struct isac_sense_mf_params *p, isac_array arr, char *err,
                                   size_t errlen);
void isac_sense_mf_destroy(isac_sense_mf s);

/* Probe code of plan column s (len samples). */
const float complex *isac_sense_mf_code(isac_sense_mf s, unsigned col);
/* Receive window length len + lags - 1. */
size_t isac_sense_mf_window(isac_sense_mf s);

/* Detect with the plan (W: M x S column-major precoder, pw: S powers) from the receive
 * windows y[b][n][0..window-1] of each burst b. out has room for max detections; *n gets
 * their number. ISAC_EINVAL / ISAC_ENOMEM. */
int isac_sense_mf_detect(isac_sense_mf s, const float complex *W, const double *pw, unsigned S,
                         const float complex *const *const *y, unsigned rsu,
                         struct isac_trk_meas *out, unsigned max, unsigned *n);

/* Noise power estimated by the last isac_sense_mf_detect (CFAR), for tests. */
double isac_sense_mf_noise(isac_sense_mf s);

#endif
