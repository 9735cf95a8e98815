/* Fractional-delay accumulation: exactness of integer delays, accuracy against an
 * exact FFT-domain delay of a periodic band-limited signal, round trip d then -d,
 * Doppler phase reference and edge cases. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <complex.h>
#include <fftw3.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/rng.h"
#include "dsp/fdelay.h"

#define P 1024 /* period of the test signals */
#define REPS 5 /* tile periods so the middle one is far from the zero padding */

/* One period (P samples) of a random periodic signal band-limited to |f| <= bw
 * cycles/sample, unit average power, as its DFT coefficients X[0..P-1]. */
static void bl_spectrum(double complex *X, double bw, uint64_t seed)
{
    isac_rng r;
    isac_rng_seed(&r, seed);
    for (int k = 0; k < P; k++) {
        double f = (k < P / 2 ? k : k - P) / (double)P;
        X[k] = (fabs(f) <= bw) ? isac_rng_cnormal(&r, 1.0) : 0.0;
    }
    /* time-domain power = sum|X|^2 / P^2 (unnormalised inverse DFT) -> 1 */
    double p = 0;
    for (int k = 0; k < P; k++)
        p += creal(X[k] * conj(X[k]));
    for (int k = 0; k < P; k++)
        X[k] *= P / sqrt(p);
}

/* The periodic signal delayed by d: x(n - d) = IDFT{X[k] exp(-j 2 pi f_k d)}, one
 * period. The phase ramp is computed in double; the single-precision FFT adds an
 * error near -130 dB, far below the bounds tested. (libisactb links only fftw3f.) */
static void exact_delay(const double complex *X, double d, double complex *out)
{
    fftwf_complex *buf = fftwf_alloc_complex(P);
    fftwf_plan p = fftwf_plan_dft_1d(P, buf, buf, FFTW_BACKWARD, FFTW_ESTIMATE);
    for (int k = 0; k < P; k++) {
        double f = (k < P / 2 ? k : k - P) / (double)P;
        /* the Nyquist bin is empty (bw < 0.5), so its sign convention is moot */
        double complex v = X[k] * cexp(-I * 2.0 * M_PI * f * d);
        buf[k] = (float complex)v; /* fftwf_complex is float complex (complex.h first) */
    }
    fftwf_execute(p);
    for (int n = 0; n < P; n++)
        out[n] = (double complex)buf[n] / P;
    fftwf_destroy_plan(p);
    fftwf_free(buf);
}

/* Error power of y[off..off+P) against ref[0..P), relative to ref power, in dB. */
static double rel_err_db(const float complex *y, size_t off, const double complex *ref)
{
    double e = 0, p = 0;
    for (int n = 0; n < P; n++) {
        double complex d = y[off + n] - ref[n];
        e += creal(d * conj(d));
        p += creal(ref[n] * conj(ref[n]));
    }
    return 10.0 * log10(e / p + 1e-30);
}

static void tiled(const double complex *X, float complex *x)
{
    double complex *one = malloc(P * sizeof *one);
    exact_delay(X, 0.0, one);
    for (int n = 0; n < P * REPS; n++)
        x[n] = (float complex)one[n % P];
    free(one);
}

static void test_integer_exact(void **state)
{
    (void)state;
    isac_rng r;
    isac_rng_seed(&r, 11);
    enum { NX = 300, NY = 400 };
    float complex x[NX], y[NY], y0[NY];
    for (int n = 0; n < NX; n++)
        x[n] = (float complex)isac_rng_cnormal(&r, 1.0);
    const int delays[] = {0, 1, 7, 99, 150, -5, -299, -300, 400, 1000};
    for (size_t c = 0; c < sizeof delays / sizeof delays[0]; c++) {
        int D = delays[c];
        for (int i = 0; i < NY; i++)
            y[i] = y0[i] = (float complex)(0.25f * (float)i);
        isac_fdelay_add(y, NY, x, NX, (double)D, 1.0, 0.0);
        for (int i = 0; i < NY; i++) {
            float complex want = y0[i];
            if (i - D >= 0 && i - D < NX)
                want += x[i - D];
            assert_memory_equal(&y[i], &want, sizeof want); /* bit-exact */
        }
    }
}

/* Against the FFT-domain delay: the documented accuracy bound. */
static void test_vs_fft(void **state)
{
    (void)state;
    double complex *X = malloc(P * sizeof *X);
    float complex *x = malloc(P * REPS * sizeof *x), *y = malloc(P * REPS * sizeof *y);
    double complex *ref = malloc(P * sizeof *ref);
    const double bws[] = {0.25, 0.4};
    double worst[2] = {-400, -400};
    for (int b = 0; b < 2; b++) {
        bl_spectrum(X, bws[b], 100 + b);
        tiled(X, x);
        for (int c = 0; c < 40; c++) {
            double d = -20.0 + c * 1.0173; /* sweeps the fraction, negative and positive */
            memset(y, 0, P * REPS * sizeof *y);
            isac_fdelay_add(y, P * REPS, x, P * REPS, d, 1.0, 0.0);
            exact_delay(X, d, ref);
            /* period 2 of the tiling equals one period of the periodic signal */
            double e = rel_err_db(y, 2 * P, ref);
            if (e > worst[b])
                worst[b] = e;
        }
    }
    printf("fdelay vs FFT delay: worst error %.1f dB (bw 0.25), %.1f dB (bw 0.40)\n", worst[0],
           worst[1]);
    assert_true(worst[0] < -80.0);
    assert_true(worst[1] < -80.0);
    free(X);
    free(x);
    free(y);
    free(ref);
}

static void test_round_trip(void **state)
{
    (void)state;
    double complex *X = malloc(P * sizeof *X);
    float complex *x = malloc(P * REPS * sizeof *x), *y = malloc(P * REPS * sizeof *y),
                  *z = malloc(P * REPS * sizeof *z);
    double complex *ref = malloc(P * sizeof *ref);
    bl_spectrum(X, 0.4, 7);
    tiled(X, x);
    exact_delay(X, 0.0, ref);
    isac_rng r;
    isac_rng_seed(&r, 3);
    double worst = -400;
    for (int c = 0; c < 20; c++) {
        double d = 40.0 * (isac_rng_uniform(&r) - 0.5);
        memset(y, 0, P * REPS * sizeof *y);
        memset(z, 0, P * REPS * sizeof *z);
        isac_fdelay_add(y, P * REPS, x, P * REPS, d, 1.0, 0.0);
        isac_fdelay_add(z, P * REPS, y, P * REPS, -d, 1.0, 0.0);
        double e = rel_err_db(z, 2 * P, ref);
        if (e > worst)
            worst = e;
    }
    printf("fdelay round trip d, -d: worst error %.1f dB (bw 0.40)\n", worst);
    assert_true(worst < -75.0);
    free(X);
    free(x);
    free(y);
    free(z);
    free(ref);
}

/* Gain and Doppler: y[i] = g exp(j 2 pi nu i) x(i - d), phase referenced to i. */
static void test_gain_doppler(void **state)
{
    (void)state;
    double complex *X = malloc(P * sizeof *X);
    float complex *x = malloc(P * REPS * sizeof *x), *y = calloc(P * REPS, sizeof *y);
    double complex *ref = malloc(P * sizeof *ref);
    bl_spectrum(X, 0.3, 9);
    tiled(X, x);
    const double d = 3.375, nu = 0.0123456;
    const double complex g = 0.5 * cexp(I * 1.1);
    isac_fdelay_add(y, P * REPS, x, P * REPS, d, g, nu);
    exact_delay(X, d, ref);
    for (int n = 0; n < P; n++)
        ref[n] *= g * cexp(I * 2.0 * M_PI * nu * (2 * P + n));
    double e = rel_err_db(y, 2 * P, ref);
    printf("fdelay with gain and Doppler: error %.1f dB\n", e);
    assert_true(e < -80.0);
    free(X);
    free(x);
    free(y);
    free(ref);
}

/* Accumulation, output range clipping and the no-op cases. */
static void test_edges(void **state)
{
    (void)state;
    enum { N = 64 };
    float complex x[N], y[N];
    for (int n = 0; n < N; n++)
        x[n] = 1.0f;
    for (int i = 0; i < N; i++)
        y[i] = 2.0f;
    isac_fdelay_add(y, N, x, N, 1e6, 1.0, 0.0); /* far beyond: no-op */
    isac_fdelay_add(y, N, x, N, -1e6, 1.0, 0.0);
    isac_fdelay_add(y, N, x, N, 1e300, 1.0, 0.0);
    isac_fdelay_add(y, N, x, N, NAN, 1.0, 0.0);
    isac_fdelay_add(y, N, x, N, INFINITY, 1.0, 0.0);
    isac_fdelay_add(y, N, NULL, 0, 2.5, 1.0, 0.0);
    isac_fdelay_add(NULL, 0, x, N, 2.5, 1.0, 0.0);
    for (int i = 0; i < N; i++)
        assert_true(y[i] == 2.0f);
    /* a fractional delay just beyond the end only reaches the interpolator's tail */
    isac_fdelay_add(y, N, x, N, N + 0.5, 1.0, 0.0);
    double tail = 0;
    for (int i = 0; i < N; i++)
        tail += cabsf(y[i] - 2.0f);
    assert_true(tail < 0.5 && tail > 0.0);
    /* interpolation taps: unit DC gain, identity at frac = 0 */
    float h[ISAC_FDELAY_TAPS];
    for (double f = 0.0; f < 1.0; f += 0.125) {
        isac_fdelay_taps(f, h);
        double s = 0;
        for (int t = 0; t < ISAC_FDELAY_TAPS; t++)
            s += h[t];
        assert_true(fabs(s - 1.0) < 1e-6);
    }
    isac_fdelay_taps(0.0, h);
    assert_true(h[ISAC_FDELAY_HALF - 1] == 1.0f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_integer_exact), cmocka_unit_test(test_vs_fft),
        cmocka_unit_test(test_round_trip),    cmocka_unit_test(test_gain_doppler),
        cmocka_unit_test(test_edges),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
