#include "dsp/mf.h"

#include <fftw3.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "dsp/fdelay.h"

#define MF_MAX_L (1u << 24)
#define MF_MAX_W (1u << 25)

struct isac_mf_s {
    size_t L, W, K, N;
    double norm;         /* ||s|| */
    fftwf_complex *H;    /* conj(S) / (N ||s||), N entries */
    fftwf_complex *buf;  /* time-domain scratch, N entries, aligned */
    fftwf_complex *spec; /* frequency-domain scratch, N entries, aligned */
    /* Out-of-place plans only: FFTW's in-place 1-D plans use buffered solvers that
     * malloc and free a scratch block at every execute (64 per default CPI), which cost
     * time and fragmented the heap so that replay's memory grew with the capture. */
    fftwf_plan fwd, inv; /* buf -> spec, spec -> buf */
    int align;           /* fftwf_alignment_of() of the planned arrays */
};

static unsigned fftw_flags(enum isac_mf_plan plan)
{
    return (plan == ISAC_MF_PLAN_MEASURE ? FFTW_MEASURE : FFTW_ESTIMATE);
}

/* Smallest N >= n of the form 2^a m with m in {1, 3, 5, 7, 9}. FFTW is fastest on such
 * sizes: the smallest 7-smooth size is not enough (W = 4352 gave N = 4374 = 2 3^7, a
 * transform 2.4x slower than N = 4608 = 2^9 9 with FFTW_ESTIMATE plans on the development
 * machine; docs/bench.md). The rule is fixed, never timed, so that N, and hence every
 * bit of the MF outputs, is the same on every run. */
static size_t fast_size(size_t n)
{
    for (size_t m = n;; m++) {
        size_t r = m;
        while (r % 2 == 0)
            r /= 2;
        if (r == 1 || r == 3 || r == 5 || r == 7 || r == 9)
            return m;
    }
}

void isac_mf_destroy(isac_mf q)
{
    if (!q)
        return;
    if (q->fwd)
        fftwf_destroy_plan(q->fwd);
    if (q->inv)
        fftwf_destroy_plan(q->inv);
    fftwf_free(q->H);
    fftwf_free(q->buf);
    fftwf_free(q->spec);
    free(q);
}

isac_mf isac_mf_create(const float complex *s, size_t L, size_t W, enum isac_mf_plan plan)
{
    if (!s || L < 1 || L > MF_MAX_L || W < L || W > MF_MAX_W)
        return NULL;
    double e = 0;
    for (size_t n = 0; n < L; n++)
        e += (double)crealf(s[n]) * crealf(s[n]) + (double)cimagf(s[n]) * cimagf(s[n]);
    if (!(e > 0) || !isfinite(e))
        return NULL;
    isac_mf q = calloc(1, sizeof *q);
    if (!q)
        return NULL;
    q->L = L;
    q->W = W;
    q->K = W - L + 1;
    q->N = fast_size(W);
    q->norm = sqrt(e);
    q->H = fftwf_alloc_complex(q->N);
    q->buf = fftwf_alloc_complex(q->N);
    q->spec = fftwf_alloc_complex(q->N);
    if (!q->H || !q->buf || !q->spec)
        goto fail;
    /* plan first: FFTW_MEASURE overwrites the arrays it plans on */
    q->fwd = fftwf_plan_dft_1d((int)q->N, q->buf, q->spec, FFTW_FORWARD, fftw_flags(plan));
    q->inv = fftwf_plan_dft_1d((int)q->N, q->spec, q->buf, FFTW_BACKWARD, fftw_flags(plan));
    if (!q->fwd || !q->inv)
        goto fail;
    q->align = fftwf_alignment_of((float *)q->buf);
    memset(q->buf, 0, q->N * sizeof *q->buf);
    memcpy(q->buf, s, L * sizeof *s);
    fftwf_execute_dft(q->fwd, q->buf, q->H);
    /* fold 1/N of the unnormalised inverse and 1/||s|| into the filter */
    const float scale = (float)(1.0 / ((double)q->N * q->norm));
    for (size_t i = 0; i < q->N; i++)
        q->H[i] = conjf(q->H[i]) * scale;
    return q;
fail:
    isac_mf_destroy(q);
    return NULL;
}

size_t isac_mf_num_lags(isac_mf q)
{
    return q->K;
}
size_t isac_mf_fft_length(isac_mf q)
{
    return q->N;
}
size_t isac_mf_fft_size(size_t W)
{
    return W >= 1 && W <= MF_MAX_W ? fast_size(W) : 0;
}
double isac_mf_probe_norm(isac_mf q)
{
    return q->norm;
}

/* buf[i] *= H[i], written in real arithmetic so that it vectorises (C's complex
 * multiply carries an inf/NaN recovery branch per element). */
static void spectrum_multiply(float *restrict b, const float *restrict h, size_t N)
{
    for (size_t i = 0; i < 2 * N; i += 2) {
        float br = b[i], bi = b[i + 1], hr = h[i], hi = h[i + 1];
        b[i] = br * hr - bi * hi;
        b[i + 1] = br * hi + bi * hr;
    }
}

/* Circular correlation of length N equals the linear one for lags k <= W - L because
 * n + k <= W - 1 < N for every n < L: no extra padding is needed beyond N >= W. */
static void execute_one(isac_mf q, const float complex *x, float complex *z)
{
    if (q->N == q->W && fftwf_alignment_of((float *)x) == q->align) {
        /* transform straight from the caller's buffer: saves a copy of W samples.
         * Out-of-place complex DFTs preserve their input (FFTW default), so the cast
         * away from const is safe. */
        fftwf_execute_dft(q->fwd, (fftwf_complex *)x, q->spec);
    } else {
        memcpy(q->buf, x, q->W * sizeof *x);
        if (q->N > q->W)
            memset(q->buf + q->W, 0, (q->N - q->W) * sizeof *q->buf);
        fftwf_execute_dft(q->fwd, q->buf, q->spec);
    }
    spectrum_multiply((float *)q->spec, (const float *)q->H, q->N);
    fftwf_execute_dft(q->inv, q->spec, q->buf);
    memcpy(z, q->buf, q->K * sizeof *z);
}

int isac_mf_execute(isac_mf q, const float complex *x, float complex *z)
{
    if (!q || !x || !z)
        return ISAC_EINVAL;
    execute_one(q, x, z);
    return ISAC_OK;
}

int isac_mf_execute_multi(isac_mf q, unsigned C, const float complex *const *x,
                          float complex *const *z)
{
    if (!q || C < 1 || !x || !z)
        return ISAC_EINVAL;
    for (unsigned c = 0; c < C; c++)
        if (!x[c] || !z[c])
            return ISAC_EINVAL;
    for (unsigned c = 0; c < C; c++)
        execute_one(q, x[c], z[c]);
    return ISAC_OK;
}

void isac_mf_power(const float complex *z, size_t K, float *p)
{
    for (size_t k = 0; k < K; k++)
        p[k] = crealf(z[k]) * crealf(z[k]) + cimagf(z[k]) * cimagf(z[k]);
}

/* ---- sub-sample delay ---- */

/* Band-limited value of z at real position t (zeros outside [0, K)). */
static double complex interp_at(const float complex *z, size_t K, double t)
{
    double fl = floor(t);
    float h[ISAC_FDELAY_TAPS];
    isac_fdelay_taps(t - fl, h);
    long n0 = (long)fl - (ISAC_FDELAY_HALF - 1);
    double complex acc = 0;
    for (int i = 0; i < ISAC_FDELAY_TAPS; i++) {
        long n = n0 + i;
        if (n >= 0 && n < (long)K)
            acc += (double)h[i] * (double complex)z[n];
    }
    return acc;
}

static double interp_pow(const float complex *z, size_t K, double t)
{
    double complex v = interp_at(z, K, t);
    return creal(v) * creal(v) + cimag(v) * cimag(v);
}

int isac_mf_delay_estimate(const float complex *z, size_t K, size_t k_lo, size_t k_hi,
                           double *delay, float complex *peak)
{
    if (!z || !delay || K < 1 || k_lo > k_hi || k_hi >= K)
        return ISAC_EINVAL;
    size_t k0 = k_lo;
    float best = -1.0f;
    for (size_t k = k_lo; k <= k_hi; k++) {
        float p = crealf(z[k]) * crealf(z[k]) + cimagf(z[k]) * cimagf(z[k]);
        if (p > best) {
            best = p;
            k0 = k;
        }
    }
    /* golden-section maximisation of |z(t)|^2 on [k0 - 1, k0 + 1]: the main lobe of a
     * band-limited MF peak is unimodal there */
    const double gr = 0.5 * (sqrt(5.0) - 1.0);
    double a = (double)k0 - 1.0, b = (double)k0 + 1.0;
    double c = b - gr * (b - a), d = a + gr * (b - a);
    double fc = interp_pow(z, K, c), fd = interp_pow(z, K, d);
    while (b - a > 1e-5) {
        if (fc > fd) {
            b = d;
            d = c;
            fd = fc;
            c = b - gr * (b - a);
            fc = interp_pow(z, K, c);
        } else {
            a = c;
            c = d;
            fc = fd;
            d = a + gr * (b - a);
            fd = interp_pow(z, K, d);
        }
    }
    double t = 0.5 * (a + b);
    /* never report worse than the sampled peak (e.g. a spike on noise) */
    if (interp_pow(z, K, t) < best)
        t = (double)k0;
    *delay = t;
    if (peak)
        *peak = (float complex)interp_at(z, K, t);
    return ISAC_OK;
}

/* ---- range-Doppler ---- */

struct isac_mf_rd_s {
    unsigned P;
    size_t K;
    fftwf_complex *buf; /* P x K, row p = pulse p */
    fftwf_plan plan;    /* P-point FFT along the pulses, K of them (stride K) */
    float scale;        /* 1/sqrt(P) */
};

isac_mf_rd isac_mf_rd_create(unsigned P, size_t K, enum isac_mf_plan plan)
{
    if (P < 2 || P > 65536 || K < 1 || K > MF_MAX_W || (size_t)P * K > (1u << 28))
        return NULL;
    isac_mf_rd r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    r->P = P;
    r->K = K;
    r->scale = (float)(1.0 / sqrt((double)P));
    r->buf = fftwf_alloc_complex((size_t)P * K);
    if (!r->buf) {
        free(r);
        return NULL;
    }
    int n = (int)P;
    r->plan = fftwf_plan_many_dft(1, &n, (int)K, r->buf, NULL, (int)K, 1, r->buf, NULL, (int)K, 1,
                                  FFTW_FORWARD, fftw_flags(plan));
    if (!r->plan) {
        isac_mf_rd_destroy(r);
        return NULL;
    }
    return r;
}

void isac_mf_rd_destroy(isac_mf_rd r)
{
    if (!r)
        return;
    if (r->plan)
        fftwf_destroy_plan(r->plan);
    fftwf_free(r->buf);
    free(r);
}

int isac_mf_rd_execute(isac_mf_rd r, const float complex *const *z, float complex *rd)
{
    if (!r || !z || !rd)
        return ISAC_EINVAL;
    for (unsigned p = 0; p < r->P; p++)
        if (!z[p])
            return ISAC_EINVAL;
    const size_t K = r->K;
    for (unsigned p = 0; p < r->P; p++)
        memcpy(r->buf + (size_t)p * K, z[p], K * sizeof *rd);
    fftwf_execute(r->plan);
    /* centre zero Doppler: FFT bin f goes to row (f + floor(P/2)) mod P */
    const unsigned h = r->P / 2;
    for (unsigned f = 0; f < r->P; f++) {
        const float complex *src = r->buf + (size_t)f * K;
        float complex *dst = rd + (size_t)((f + h) % r->P) * K;
        for (size_t k = 0; k < K; k++)
            dst[k] = src[k] * r->scale;
    }
    return ISAC_OK;
}

double isac_mf_rd_doppler(isac_mf_rd r, unsigned d)
{
    return ((double)d - (double)(r->P / 2)) / (double)r->P;
}

unsigned isac_mf_rd_num_pulses(isac_mf_rd r)
{
    return r->P;
}
