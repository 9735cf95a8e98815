/* Checking received samples before processing (docs/reliability.md, "Samples").
 *
 * The processing chain works in float32: matched filters, energies and noise estimates sum
 * |x|^2 over up to 2^20 samples and 256 channels. A sample above ISAC_SAMPLE_MAX_MAG in
 * magnitude can overflow those sums to Inf (sqrt(FLT_MAX / (2^20 * 256)) = 1.1e15), and no
 * ADC produces one (a full-scale sample is |x| = 1; the emulator's are within 1e6), so such
 * a sample, like a NaN or Inf, marks a window the detector cannot process: it is reported
 * with the channel and sample, never silently turned into a result.
 */
#ifndef ISACTB_COMMON_SAMPLES_H
#define ISACTB_COMMON_SAMPLES_H

#include <complex.h>
#include <stddef.h>

#define ISAC_SAMPLE_MAX_MAG 1e15

/* 0 when every sample of y[0..nch-1][0..len-1] is finite and at most ISAC_SAMPLE_MAX_MAG in
 * magnitude; otherwise ISAC_EFORMAT and, in why, "channel C sample I: not finite (nan)" or
 * "channel C sample I: magnitude 1e+21 beyond 1e+15 (float32 processing would overflow)"
 * for the first offending sample. */
int isac_samples_check(const float complex *const *y, unsigned nch, size_t len, char *why,
                       size_t whylen);

#endif
