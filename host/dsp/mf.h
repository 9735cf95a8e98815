/* FFT matched filtering, range profiles, sub-sample delay estimation and slow-time
 * Doppler (range-Doppler maps).
 *
 * Matched filter of a probe s (L samples) over a capture window x (W >= L samples):
 *
 *     z[k] = sum_{n=0}^{L-1} x[n + k] conj(s[n]) / ||s||,    k = 0..K-1,  K = W - L + 1.
 *
 * Only the "valid" lags are produced: every z[k] uses L true samples of x, there is no
 * wrap-around and no zero padding of x. Consequences of the 1/||s|| normalisation:
 *   - white noise of variance sigma^2 (E|x|^2) keeps variance sigma^2 at every lag;
 *   - an echo x[n] = g s[n - k0] peaks at z[k0] = g ||s||;
 *   - for a unit-average-power probe (||s||^2 = L, all host/dsp/ probes) the
 *     post-MF SNR is |z[k0]|^2 / sigma^2 = L |g|^2 / sigma^2 (processing gain L).
 *
 * Implementation: FFTW single precision, FFT size N = the smallest 2^a m >= W with m in
 * {1, 3, 5, 7, 9} (sizes FFTW is fast at; W = 4352 -> N = 4608);
 * the probe spectrum conj(S)/(N ||s||) is computed once in isac_mf_create() and every
 * execute is one forward FFT, one fused spectrum multiply and one inverse FFT (plans
 * made once, out of place, reused with fftwf_execute_dft on the object's aligned scratch).
 * An mf object owns scratch memory: use one object per thread.
 */
#ifndef ISACTB_MF_MF_H
#define ISACTB_MF_MF_H

#include <complex.h>
#include <stddef.h>

/* FFTW planning rigour: ESTIMATE plans instantly; MEASURE times candidate
 * algorithms at create time (tens of ms to seconds) for faster executes (benchmarks,
 * long runs). */
enum isac_mf_plan { ISAC_MF_PLAN_ESTIMATE = 0, ISAC_MF_PLAN_MEASURE = 1 };

typedef struct isac_mf_s *isac_mf;

/* Probe s[0..L-1] (copied; 1 <= L <= 2^24, ||s|| > 0), capture window W samples
 * (L <= W <= 2^25). NULL on bad arguments or allocation failure. */
isac_mf isac_mf_create(const float complex *s, size_t L, size_t W, enum isac_mf_plan plan);
void isac_mf_destroy(isac_mf q);

size_t isac_mf_num_lags(isac_mf q);   /* K = W - L + 1 */
size_t isac_mf_fft_length(isac_mf q); /* N (>= W) */
/* The N isac_mf_create chooses for a capture window of W samples (1..2^25; 0 outside). */
size_t isac_mf_fft_size(size_t W);
double isac_mf_probe_norm(isac_mf q); /* ||s|| */

/* One channel: x[0..W-1] -> z[0..K-1]. x and z may be any (also unaligned) buffers;
 * z must not overlap x. ISAC_EINVAL on NULL pointers. */
int isac_mf_execute(isac_mf q, const float complex *x, float complex *z);

/* C channels (C >= 1): x[c][0..W-1] -> z[c][0..K-1], same contract per channel. */
int isac_mf_execute_multi(isac_mf q, unsigned C, const float complex *const *x,
                          float complex *const *z);

/* Range profile: p[k] = |z[k]|^2, k = 0..K-1 (p: a separate buffer of K floats). */
void isac_mf_power(const float complex *z, size_t K, float *p);

/* Sub-sample delay of the strongest peak of z in bins [k_lo, k_hi] (k_hi < K).
 * Method: the bin k0 of maximum |z|^2 is refined by maximising |z(t)|^2 over
 * t in [k0 - 1, k0 + 1], where z(t) is the band-limited (windowed-sinc, 32-tap, the
 * interpolator of host/dsp/fdelay.h) interpolation of the MF output, by golden-section
 * search to 1e-5 samples. Because the MF output has the probe's band, the estimate is
 * unbiased up to the interpolator error for probes band-limited to |f| <= 0.4
 * (LFM with bandwidth <= 0.8). Measured with isac_fdelay_add-made random fractional delays
 * at post-MF SNR 40 dB (tests/test_mf.c): LFM B = 0.8, L = 1024: bias +0.0004, RMS
 * 0.005 (= the CRLB), worst 0.015 samples. Full-band probes (ZC, m-sequence, LFM with
 * bandwidth 1) alias in the interpolator: ZC L = 1021 gave RMS 0.022, worst 0.037
 * samples (part of it is fdelay's own error above 0.4 fs).
 * Near the ends of z the interpolator assumes zeros beyond [0, K).
 * delay receives the peak position in (fractional) lags; peak (may be NULL) the
 * interpolated complex value z(delay) (= g ||s|| for an echo g s).
 * ISAC_EINVAL on bad arguments. */
int isac_mf_delay_estimate(const float complex *z, size_t K, size_t k_lo, size_t k_hi,
                           double *delay, float complex *peak);

/* ---- slow-time Doppler ---- */

typedef struct isac_mf_rd_s *isac_mf_rd;

/* Range-Doppler processor for P pulses (2 <= P <= 65536) of K range bins each
 * (1 <= K <= 2^25, P*K <= 2^28). The FFT across pulses (per range bin) is planned once. */
isac_mf_rd isac_mf_rd_create(unsigned P, size_t K, enum isac_mf_plan plan);
void isac_mf_rd_destroy(isac_mf_rd r);

/* z[p] (p = 0..P-1): MF output of pulse p, K bins each. rd (P*K entries, row-major
 * rd[d*K + k]) receives
 *     rd[d][k] = sum_p z[p][k] exp(-j 2 pi nu_d p) / sqrt(P),
 * with Doppler bins centred: nu_d = (d - floor(P/2)) / P cycles per pulse, d = 0..P-1
 * (zero Doppler at d = floor(P/2)). A target whose MF peak advances in phase by
 * 2 pi nu per pulse lands in bin d = floor(P/2) + round(nu P) (mod P), with |rd|^2 =
 * P |z|^2; white noise keeps its variance (1/sqrt(P) normalisation). */
int isac_mf_rd_execute(isac_mf_rd r, const float complex *const *z, float complex *rd);

/* Doppler of bin d in cycles per pulse (divide by the pulse repetition interval for
 * Hz): (d - floor(P/2)) / P. */
double isac_mf_rd_doppler(isac_mf_rd r, unsigned d);
unsigned isac_mf_rd_num_pulses(isac_mf_rd r);

#endif
