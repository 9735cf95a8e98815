/* Internal to host/detect: the receive beamforming kernel a^H z over M element rows.
 *
 * Written with real arithmetic on the interleaved (re, im) floats of each row
 * (C17 6.2.5p13 guarantees that layout): plain `float complex` products make GCC
 * emit the Annex G NaN/Inf fix-up call (__mulsc3), which blocks vectorisation.
 * Four element rows are folded per pass so that the accumulators are read and
 * written M/4 times instead of M times.
 */
#ifndef ISACTB_DETECT_BF_H
#define ISACTB_DETECT_BF_H

#include <complex.h>
#include <stddef.h>
#include <string.h>

/* Bins per accumulator chunk: 2 x 2 KiB of accumulators stay in L1. */
#define ISAC_BF_CHUNK 512u

/* re[i] + j im[i] = sum_m conj(a[m]) z[m][k0 + i], i in [0, len), len <= ISAC_BF_CHUNK. */
static inline void isac_bf_chunk(const float complex *const *z, unsigned M, const float complex *a,
                                 size_t k0, size_t len, float *restrict re, float *restrict im)
{
    memset(re, 0, len * sizeof *re);
    memset(im, 0, len * sizeof *im);
    unsigned m = 0;
    for (; m + 4 <= M; m += 4) {
        const float c0r = crealf(a[m]), c0i = cimagf(a[m]);
        const float c1r = crealf(a[m + 1]), c1i = cimagf(a[m + 1]);
        const float c2r = crealf(a[m + 2]), c2i = cimagf(a[m + 2]);
        const float c3r = crealf(a[m + 3]), c3i = cimagf(a[m + 3]);
        const float *restrict z0 = (const float *)(z[m] + k0);
        const float *restrict z1 = (const float *)(z[m + 1] + k0);
        const float *restrict z2 = (const float *)(z[m + 2] + k0);
        const float *restrict z3 = (const float *)(z[m + 3] + k0);
        for (size_t i = 0; i < len; i++) {
            float r = c0r * z0[2 * i] + c0i * z0[2 * i + 1];
            float q = c0r * z0[2 * i + 1] - c0i * z0[2 * i];
            r += c1r * z1[2 * i] + c1i * z1[2 * i + 1];
            q += c1r * z1[2 * i + 1] - c1i * z1[2 * i];
            r += c2r * z2[2 * i] + c2i * z2[2 * i + 1];
            q += c2r * z2[2 * i + 1] - c2i * z2[2 * i];
            r += c3r * z3[2 * i] + c3i * z3[2 * i + 1];
            q += c3r * z3[2 * i + 1] - c3i * z3[2 * i];
            re[i] += r;
            im[i] += q;
        }
    }
    for (; m < M; m++) {
        const float cr = crealf(a[m]), ci = cimagf(a[m]);
        const float *restrict zm = (const float *)(z[m] + k0);
        for (size_t i = 0; i < len; i++) {
            re[i] += cr * zm[2 * i] + ci * zm[2 * i + 1];
            im[i] += cr * zm[2 * i + 1] - ci * zm[2 * i];
        }
    }
}

#endif
