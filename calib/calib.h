/* Array calibration estimators (pure processing: samples in, offsets out).
 *
 * Model. Receive channel m of an array sees  y_m(t) = c_m s(t - d_m) + noise,  and
 * transmit channel k reaches a reference receiver as  c_k x_k(t - d_k);  c is a complex
 * gain (phase and amplitude offset of the chain), d a delay in samples. Only ratios are
 * observable, so every result is relative to the array's FIRST element:
 *     phase_deg = arg(c_m / c_0),  gain_db = 20 log10 |c_m / c_0|,  delay = d_m - d_0.
 * A calibrated array applies  w_m = c_0 / c_m  and delays channel m by (d_0 - d_m) plus a
 * common amount (calib/apply.h).
 *
 * Reference signal (calib_ref_*): a periodic multitone of period N samples: unit-modulus
 * spectrum with seeded random phases on the bins |f| <= occupancy * N / 2 (f signed
 * bin index), nothing elsewhere (the out-of-band bins measure the noise). A burst is
 * `guard` samples of cyclic prefix, `periods` periods, `guard` samples of cyclic suffix;
 * the receiver analyses the `periods` periods starting `guard` samples after the burst's
 * start (plus the coarse delay), so any delay within +-(guard - ISAC_FDELAY_HALF) samples is
 * a cyclic shift of the period: the estimators work bin by bin, exactly.
 * A comb reference (stride S, offset k) occupies only the bins f = k (mod S): S such
 * signals on S TX channels are mutually orthogonal whatever their delays (the
 * "orthogonal codes" of the TX estimator).
 *
 * Per channel (HeIMDALL's chain): the CFO (common to the channels of one receiver LO)
 * from the period-to-period rotation; integer delay by cross-correlation; fractional
 * delay from the slope of the phase across frequency; complex gain by least squares at
 * f = 0. Across an RX array: the complex gains are the principal eigenvector of the
 * delay-aligned channel covariance (pairwise ratios as a cross-check).
 * Accuracy (1 sigma) comes from the out-of-band noise and the fit residual.
 *
 * All functions return ISAC_OK or a negative isac_err (common/err.h).
 */
#ifndef ISACTB_CALIB_CALIB_H
#define ISACTB_CALIB_CALIB_H

#include <complex.h>
#include <stddef.h>
#include <stdint.h>

#include "radio.h"

#define ISAC_CALIB_MAX_CH ISAC_RADIO_MAX_CHANNELS

/* Reference waveform parameters. */
struct isac_calib_ref {
    unsigned N;       /* period, samples: power of two, 64..65536 (default 1024) */
    unsigned periods; /* analysed periods, 2..64 (default 4: 4096-sample captures) */
    unsigned guard;   /* cyclic prefix/suffix, samples, ISAC_FDELAY_HALF+1..N (default 64) */
    double occupancy; /* occupied fraction of the band, 0.05..0.9 (default 0.8: the
                         emulator's delay interpolator is exact to -80 dB there) */
    uint64_t seed;    /* spectrum phases (default 1) */
};
void isac_calib_ref_default(struct isac_calib_ref *r);
int isac_calib_ref_validate(const struct isac_calib_ref *r);
/* Samples of a burst: 2 guard + periods N. */
size_t isac_calib_ref_burst_len(const struct isac_calib_ref *r);
/* Samples analysed per channel: periods N. */
size_t isac_calib_ref_capture_len(const struct isac_calib_ref *r);
/* One burst of the reference, comb (stride, offset) (stride 1 = full band), scaled to
 * unit mean power per sample, into x[0..burst_len-1]. stride 1..N/16, offset < stride. */
int isac_calib_ref_burst(const struct isac_calib_ref *r, unsigned stride, unsigned offset,
                         float complex *x);

/* One channel's estimate. */
struct isac_calib_chan {
    unsigned index;        /* radio channel index */
    unsigned ap;           /* receive array (0 for TX) */
    unsigned element;      /* element within its array */
    double phase_deg;      /* arg(c_m / c_0), (-180, 180] */
    double gain_db;        /* 20 log10 |c_m / c_0| */
    double delay_samples;  /* d_m - d_0 */
    double phase_std_deg;  /* estimated 1-sigma accuracy of phase_deg */
    double gain_std_db;    /* of gain_db */
    double delay_std;      /* of delay_samples */
    double crosscheck_deg; /* RX: |arg| of (eigenvector / pairwise estimate), degrees */
    double snr_db;         /* measured per-sample SNR of the channel */
};

/* Raw response of one channel to the reference (absolute, not relative). */
struct isac_calib_resp {
    double complex gain; /* c at f = 0, phase referenced to the window start */
    double delay;        /* d, samples, relative to the window start (integer + frac) */
    double delay_int;    /* the cross-correlation's integer part */
    double gain_var;     /* variance of the gain estimate (|.|^2) */
    double delay_var;    /* variance of the delay estimate, samples^2 */
    double snr;          /* per-sample SNR (linear) */
};

/* CFO (cycles/sample) common to nch channels y[ch] (capture_len samples each) from
 * the period-to-period rotation; |cfo| < 1/(2N). */
double isac_calib_cfo(const struct isac_calib_ref *r, const float complex *const *y, unsigned nch);

/* How well a full-band capture y (capture_len samples of one channel) matches the reference
 * r, judged independently of the fit: the in-band power per bin above the noise that the
 * out-of-band bins measure is what a matching reference must explain. *snr = that excess
 * over the noise (the SNR the capture predicts), *explained = the fitted response's power
 * (gain and delay, as isac_calib_rx_array fits them) over the excess: about 1 for the reference
 * that was transmitted, about 1/(active bins) for any other. ISAC_OK / ISAC_ENOMEM. */
int isac_calib_ref_match(const struct isac_calib_ref *r, const float complex *y, unsigned maxlag,
                         double *explained, double *snr);

/* RX array estimate: M channels y[m] (capture_len samples each) of ONE array fed by a
 * common reference (splitter, or a pilot: see calib_manifold_rx). out[m] relative to
 * element 0 (index/ap/element filled from first_index/ap). maxlag as above.
 * If steer (M entries) is not NULL the expected array response (e.g. a(theta) of a
 * pilot) is divided out before taking ratios. */
int isac_calib_rx_array(const struct isac_calib_ref *r, const float complex *const *y, unsigned M,
                        unsigned first_index, unsigned ap, unsigned maxlag,
                        const double complex *steer, struct isac_calib_chan *out);

/* TX estimate from ONE capture y of the reference receiver while TX channel k sent the
 * comb (stride = K, offset = k), all K channels at once. steer as above (TX side). */
int isac_calib_tx_codes(const struct isac_calib_ref *r, const float complex *y, unsigned K,
                        unsigned maxlag, const double complex *steer, struct isac_calib_chan *out);

/* TX one-at-a-time fallback: capture j (j = 1..K-1) holds two slots back to back, each
 * slot_len = burst_len samples apart: slot A sent by channel 0, slot B by channel j, both
 * full band; y[j] is the whole capture from the start of slot A's analysis window
 * (2 * burst_len samples suffice). The phase of j is taken relative to channel 0 within
 * the same capture (CFO removed), so LO drift between captures does not matter. */
int isac_calib_tx_sequential(const struct isac_calib_ref *r, const float complex *const *y,
                             unsigned K, unsigned maxlag, struct isac_calib_chan *out);

/* Absolute delay (system delay) of one channel: the response's delay relative to the
 * window start, searched over |D| <= maxlag. */
int isac_calib_delay(const struct isac_calib_ref *r, const float complex *y, unsigned maxlag,
                     double *delay, double *delay_std);

/* ---- beam-pattern verification (calib verify) ---- */

struct isac_calib_pattern_stats {
    double peak_deg;     /* steering angle of the pattern maximum (parabolic refine) */
    double peak_err_deg; /* |peak_deg - pilot angle| */
    double pslr_db;      /* peak-to-sidelobe ratio: peak over the largest value outside
                            the main lobe (|sin phi - sin phi_peak| > 2/(M d)) */
};
/* Pattern p[q] (linear power) over steering angles phi_q (rad, increasing) of Q beams,
 * for an M-element array of spacing d (wavelengths; a non-uniform array passes its
 * aperture / (M - 1), the ULA of the same main-lobe width), pilot at theta (rad). */
void isac_calib_pattern_stats(const double *p, const double *phi, unsigned Q, unsigned M,
                              double spacing_wl, double theta, struct isac_calib_pattern_stats *st);

/* ---- tracking (HeIMDALL's track mode) ---- */

struct isac_calib_drift {
    double max_phase_deg;    /* largest |phase difference| over channels */
    double max_gain_db;      /* largest |gain difference| */
    unsigned worst_phase_ch; /* index (radio channel) of the worst phase */
    unsigned worst_gain_ch;
    unsigned flagged; /* channels beyond a tolerance */
    int ok;           /* 1: every channel within tolerance */
};
/* Compare a quick re-measure with the reference estimate (n channels each, same
 * order): flags channels whose phase differs by more than tol_deg or gain by more than
 * tol_db. */
void isac_calib_compare(const struct isac_calib_chan *ref, const struct isac_calib_chan *now,
                        unsigned n, double tol_deg, double tol_db, struct isac_calib_drift *d);

/* Wrap an angle in degrees to (-180, 180]. */
double isac_calib_wrap_deg(double deg);

#endif
