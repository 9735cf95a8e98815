/* Fractional-delay accumulation (the channel emulator's per-path delay and Doppler).
 *
 * isac_fdelay_add() adds one delayed, Doppler-shifted, scaled copy of a sampled signal x
 * into an output buffer y:
 *
 *     y[i] += gain * exp(j 2 pi doppler i) * x(i - delay),   i = 0..ny-1,
 *
 * where x(t) is the band-limited continuation of the samples x[0..nx-1] (x[n] = 0
 * outside that range) and the Doppler phase is referenced to the OUTPUT index i
 * (so a path with delay tau and Doppler nu has phase 2 pi nu i at receive sample i,
 * independent of how the capture is split into buffers if y always starts at i = 0
 * of the same frame).
 *
 * Interpolator: windowed sinc, ISAC_FDELAY_TAPS = 32 taps (16 on each side of the
 * interpolation point), Kaiser window with beta = ISAC_FDELAY_KAISER_BETA. Measured
 * (tests/test_fdelay.c, float signals):
 *   - for x band-limited to |f| <= 0.4 cycles/sample (80 % of Nyquist) the error
 *     relative to the exact (FFT-domain) delay is below -80 dB of the signal power
 *     (measured worst case -85 dB over fractional delays; -87 dB for |f| <= 0.25);
 *   - a delay by d followed by a delay by -d recovers such a signal to better than
 *     -75 dB (measured worst case -79 dB);
 *   - at |f| <= 0.45 the error grows to about -44 dB;
 *   - content in 0.4 < |f| < 0.5 is attenuated/phase-distorted (the Kaiser
 *     transition band), so probe waveforms should leave a 10 % guard band;
 *   - an integer delay (delay == floor(delay)) is an exact copy: y[i] += g x[i-D]
 *     with no interpolation, bit-exact when gain*exp(...) == 1.
 * Near the ends of x the interpolator sees the zero padding, i.e. the result is the
 * exact delay of the zero-extended sequence filtered by the interpolator; transients
 * of the first/last ~16 samples are therefore those of a band-limited edge.
 *
 * Cost: O(ny_overlap * ISAC_FDELAY_TAPS) complex multiply-adds; the taps are computed once
 * per call (the delay is constant over the call). Pure, no allocation.
 */
#ifndef ISACTB_DSP_FDELAY_H
#define ISACTB_DSP_FDELAY_H

#include <complex.h>
#include <stddef.h>

#define ISAC_FDELAY_HALF 16                     /* taps on each side of the interpolation point */
#define ISAC_FDELAY_TAPS (2 * ISAC_FDELAY_HALF) /* total interpolator length */
#define ISAC_FDELAY_KAISER_BETA 8.0             /* Kaiser window shape (~80 dB side lobes) */

/* y[0..ny-1] += gain * exp(j 2 pi doppler i) * x(i - delay).
 *   y, x     : output (accumulated into, never cleared) and input; may not overlap.
 *              Either may be NULL when its length is 0.
 *   delay    : in samples, any finite value (negative = advance; |delay| beyond the
 *              buffers simply contributes nothing). Non-finite delay: no-op.
 *   gain     : complex amplitude of the path.
 *   doppler  : in cycles per sample (normalised frequency), any finite value;
 *              typical |doppler| < 0.5. The phase is computed in double precision
 *              with periodic exact resynchronisation (phase error < 1e-12 rad).
 */
void isac_fdelay_add(float complex *y, size_t ny, const float complex *x, size_t nx, double delay,
                     double complex gain, double doppler);

/* Interpolator taps for the point n0 + frac, frac in [0, 1), n0 any integer:
 *     x(n0 + frac) ~= sum_{t=0}^{ISAC_FDELAY_TAPS-1} h[t] x[n0 - ISAC_FDELAY_HALF + 1 + t].
 * The taps are normalised to unit sum (exact DC gain). frac == 0 gives the unit
 * impulse at t = ISAC_FDELAY_HALF - 1. Exposed for tests and for callers that interpolate
 * single values (e.g. a matched-filter peak). */
void isac_fdelay_taps(double frac, float *h);

#endif
