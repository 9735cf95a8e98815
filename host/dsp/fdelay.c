#include "dsp/fdelay.h"

#include <math.h>
#include <stdint.h>

/* Modified Bessel I0 by its power series; converges fast for the beta used here. */
static double bessel_i0(double x)
{
    double sum = 1.0, term = 1.0, q = 0.25 * x * x;
    for (int k = 1; k < 64; k++) {
        term *= q / ((double)k * k);
        sum += term;
        if (term < 1e-17 * sum)
            break;
    }
    return sum;
}

void isac_fdelay_taps(double frac, float *h)
{
    if (!(frac > 0.0)) { /* frac == 0 (or NaN): the identity */
        for (int t = 0; t < ISAC_FDELAY_TAPS; t++)
            h[t] = 0.0f;
        h[ISAC_FDELAY_HALF - 1] = 1.0f;
        return;
    }
    double hd[ISAC_FDELAY_TAPS], sum = 0.0, i0b = bessel_i0(ISAC_FDELAY_KAISER_BETA);
    for (int t = 0; t < ISAC_FDELAY_TAPS; t++) {
        /* distance from the interpolation point n0+frac to sample n0-H+1+t */
        double tau = frac + (ISAC_FDELAY_HALF - 1) - t;
        double r = tau / ISAC_FDELAY_HALF;
        double win =
            (r * r < 1.0) ? bessel_i0(ISAC_FDELAY_KAISER_BETA * sqrt(1.0 - r * r)) / i0b : 0.0;
        double sinc = sin(M_PI * tau) / (M_PI * tau);
        hd[t] = sinc * win;
        sum += hd[t];
    }
    /* unit DC gain: removes the window's small passband droop at f = 0 */
    for (int t = 0; t < ISAC_FDELAY_TAPS; t++)
        h[t] = (float)(hd[t] / sum);
}

/* Doppler phasor for output i: resynchronised exactly every block, rotated within. */
#define FDELAY_BLOCK 64

static double complex doppler_phasor(double doppler, size_t i)
{
    /* fractional cycles in double: exact enough for i up to ~2^40 */
    double cyc = doppler * (double)i;
    cyc -= floor(cyc);
    return cexp(I * 2.0 * M_PI * cyc);
}

/* Interior dot product: 2*ISAC_FDELAY_TAPS interleaved floats against duplicated taps,
 * eight independent lanes so the compiler can vectorise without reassociation. */
static inline float complex dot_interior(const float *h2, const float *xp)
{
    float acc[8] = {0};
    for (int j = 0; j < 2 * ISAC_FDELAY_TAPS; j += 8)
        for (int l = 0; l < 8; l++)
            acc[l] += h2[j + l] * xp[j + l];
    return (acc[0] + acc[2] + acc[4] + acc[6]) + I * (acc[1] + acc[3] + acc[5] + acc[7]);
}

/* Edge dot product with bounds on the input index. */
static float complex dot_edge(const float *h, const float complex *x, size_t nx, int64_t n0)
{
    float complex acc = 0.0f;
    for (int t = 0; t < ISAC_FDELAY_TAPS; t++) {
        int64_t n = n0 + t;
        if (n >= 0 && n < (int64_t)nx)
            acc += h[t] * x[n];
    }
    return acc;
}

void isac_fdelay_add(float complex *y, size_t ny, const float complex *x, size_t nx, double delay,
                     double complex gain, double doppler)
{
    if (ny == 0 || nx == 0 || !isfinite(delay) || !isfinite(doppler))
        return;
    /* x(i - delay) = x(i + A + frac), A = floor(-delay) */
    double s = -delay;
    double af = floor(s);
    double frac = s - af;
    /* beyond any overlap: nothing to add (also keeps A in int64 range) */
    double lim = (double)ny + (double)nx + 2.0 * ISAC_FDELAY_HALF;
    if (af > lim || af < -lim)
        return;
    int64_t A = (int64_t)af;
    int integer = !(frac > 0.0);
    int64_t lo_off = integer ? 0 : -(ISAC_FDELAY_HALF - 1); /* first input offset used */
    int64_t hi_off = integer ? 0 : ISAC_FDELAY_HALF;        /* last input offset used */

    float h[ISAC_FDELAY_TAPS], h2[2 * ISAC_FDELAY_TAPS];
    isac_fdelay_taps(frac, h);
    for (int t = 0; t < ISAC_FDELAY_TAPS; t++)
        h2[2 * t] = h2[2 * t + 1] = h[t];

    /* outputs whose input window overlaps [0, nx) */
    int64_t i_lo = -A - hi_off, i_hi = (int64_t)nx - 1 - A - lo_off;
    if (i_lo < 0)
        i_lo = 0;
    if (i_hi > (int64_t)ny - 1)
        i_hi = (int64_t)ny - 1;
    int no_doppler = (doppler == 0.0);
    double complex step = no_doppler ? 1.0 : cexp(I * 2.0 * M_PI * doppler);
    double complex rot = 1.0;
    for (int64_t i = i_lo; i <= i_hi; i++) {
        if (!no_doppler && ((i - i_lo) % FDELAY_BLOCK == 0))
            rot = doppler_phasor(doppler, (size_t)i);
        float complex g = (float complex)(gain * rot);
        int64_t n0 = i + A + lo_off;
        float complex v;
        if (integer)
            v = x[n0];
        else if (n0 >= 0 && n0 + ISAC_FDELAY_TAPS <= (int64_t)nx)
            v = dot_interior(h2, (const float *)(x + n0));
        else
            v = dot_edge(h, x, nx, n0);
        y[i] += g * v;
        if (!no_doppler)
            rot *= step;
    }
}
