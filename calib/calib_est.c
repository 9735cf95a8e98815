/* Calibration estimators (calib.h): reference, CFO, per-channel response, RX array
 * eigenvector, TX orthogonal combs and one-at-a-time, delay, pattern statistics. */
#include "calib/calib.h"

#include <lapacke.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/rng.h"
#include "dsp/fdelay.h"

#define RAD2DEG (180.0 / M_PI)
#define DB_PER_NEPER 8.685889638065035 /* 20 / ln 10 */

void isac_calib_ref_default(struct isac_calib_ref *r)
{
    *r = (struct isac_calib_ref){.N = 1024, .periods = 4, .guard = 64, .occupancy = 0.8, .seed = 1};
}

int isac_calib_ref_validate(const struct isac_calib_ref *r)
{
    if (!r || r->N < 64 || r->N > 65536 || (r->N & (r->N - 1)) || r->periods < 2 ||
        r->periods > 64 || r->guard <= ISAC_FDELAY_HALF || r->guard > r->N ||
        !(r->occupancy >= 0.05 && r->occupancy <= 0.9))
        return ISAC_EINVAL;
    return ISAC_OK;
}

size_t isac_calib_ref_burst_len(const struct isac_calib_ref *r)
{
    return 2 * (size_t)r->guard + (size_t)r->periods * r->N;
}
size_t isac_calib_ref_capture_len(const struct isac_calib_ref *r)
{
    return (size_t)r->periods * r->N;
}

double isac_calib_wrap_deg(double deg)
{
    double w = fmod(deg, 360.0);
    if (w <= -180.0)
        w += 360.0;
    else if (w > 180.0)
        w -= 360.0;
    return w;
}

/* ---- a small in-place radix-2 FFT (double precision; N is a power of two) ---- */

static void fft(double complex *x, unsigned N, int inverse)
{
    for (unsigned i = 1, j = 0; i < N; i++) {
        unsigned bit = N >> 1;
        for (; j & bit; bit >>= 1)
            j ^= bit;
        j ^= bit;
        if (i < j) {
            double complex t = x[i];
            x[i] = x[j];
            x[j] = t;
        }
    }
    for (unsigned len = 2; len <= N; len <<= 1) {
        double ang = (inverse ? 2 : -2) * M_PI / len;
        for (unsigned i = 0; i < N; i += len)
            for (unsigned k = 0; k < len / 2; k++) {
                double complex w = cexp(I * ang * k);
                double complex u = x[i + k], v = x[i + k + len / 2] * w;
                x[i + k] = u + v;
                x[i + k + len / 2] = u - v;
            }
    }
}

static int signed_bin(unsigned f, unsigned N)
{
    return f < N / 2 ? (int)f : (int)f - (int)N;
}

static int bin_active(const struct isac_calib_ref *r, int fs, unsigned stride, unsigned offset)
{
    int lim = (int)floor(r->occupancy * r->N / 2);
    int mod = ((fs % (int)stride) + (int)stride) % (int)stride;
    return fs >= -lim && fs <= lim && mod == (int)offset;
}

/* Unit-modulus phase of bin f (independent of the comb, so that combs sum to the full
 * band reference). */
static double complex ref_bin(const struct isac_calib_ref *r, unsigned f)
{
    isac_rng g;
    isac_rng_seed_stream(&g, r->seed, 0x63616c6962ULL ^ ((uint64_t)f << 20));
    return cexp(I * 2 * M_PI * isac_rng_uniform(&g));
}

static unsigned count_active(const struct isac_calib_ref *r, unsigned stride, unsigned offset)
{
    unsigned n = 0;
    for (unsigned f = 0; f < r->N; f++)
        n += bin_active(r, signed_bin(f, r->N), stride, offset);
    return n;
}

int isac_calib_ref_burst(const struct isac_calib_ref *r, unsigned stride, unsigned offset,
                         float complex *x)
{
    if (isac_calib_ref_validate(r) || !x || stride < 1 || stride > r->N / 16 || offset >= stride)
        return ISAC_EINVAL;
    unsigned N = r->N, nact = count_active(r, stride, offset);
    if (!nact)
        return ISAC_EINVAL;
    double complex *s = calloc(N, sizeof *s);
    if (!s)
        return ISAC_ENOMEM;
    for (unsigned f = 0; f < N; f++)
        if (bin_active(r, signed_bin(f, N), stride, offset))
            s[f] = ref_bin(r, f);
    fft(s, N, 1);
    double scale = 1.0 / sqrt((double)nact);
    size_t len = isac_calib_ref_burst_len(r);
    for (size_t t = 0; t < len; t++) {
        /* the burst starts `guard` samples before a period boundary */
        size_t n = (t + N - r->guard % N) % N;
        x[t] = (float complex)(s[n] * scale);
    }
    free(s);
    return ISAC_OK;
}

/* ---- per-channel response ---- */

double isac_calib_cfo(const struct isac_calib_ref *r, const float complex *const *y, unsigned nch)
{
    double complex acc = 0;
    size_t span = (size_t)(r->periods - 1) * r->N;
    for (unsigned c = 0; c < nch; c++)
        for (size_t t = 0; t < span; t++)
            acc += (double complex)y[c][t + r->N] * conj((double complex)y[c][t]);
    return carg(acc) / (2 * M_PI * r->N);
}

/* Period-averaged spectrum of y after removing the CFO, with phase referenced to tick t0
 * before y[0] (so that windows of one capture share one phase reference). */
static void averaged_spectrum(const struct isac_calib_ref *r, const float complex *y, double cfo,
                              double t0, double complex *R)
{
    unsigned N = r->N;
    memset(R, 0, N * sizeof *R);
    for (unsigned p = 0; p < r->periods; p++)
        for (unsigned n = 0; n < N; n++) {
            double t = t0 + (double)p * N + n;
            R[n] += (double complex)y[(size_t)p * N + n] * cexp(-I * 2 * M_PI * cfo * t);
        }
    for (unsigned n = 0; n < N; n++)
        R[n] /= r->periods;
    fft(R, N, 0);
}

struct bins {
    unsigned n;
    int *f;            /* signed bin index */
    double complex *H; /* channel response at f */
};

/* H(f) = R(f) / (reference spectrum) on the comb's active bins. */
static int response_bins(const struct isac_calib_ref *r, unsigned stride, unsigned offset,
                         const double complex *R, struct bins *b)
{
    unsigned N = r->N, nact = count_active(r, stride, offset);
    b->f = malloc(nact * sizeof *b->f);
    b->H = malloc(nact * sizeof *b->H);
    if (!b->f || !b->H)
        return ISAC_ENOMEM;
    double scale = sqrt((double)nact) / N;
    b->n = 0;
    /* increasing signed frequency, so that consecutive entries are `stride` apart */
    for (int fs = -(int)N / 2; fs < (int)N / 2; fs++) {
        if (!bin_active(r, fs, stride, offset))
            continue;
        unsigned f = (unsigned)((fs + (int)N) % (int)N);
        b->f[b->n] = fs;
        b->H[b->n] = R[f] * scale / ref_bin(r, f);
        b->n++;
    }
    return ISAC_OK;
}

static void bins_free(struct bins *b)
{
    free(b->f);
    free(b->H);
}

/* Integer delay: peak of the cross-correlation (inverse DFT of H) over |D| <= maxlag. */
static int integer_delay(const struct bins *b, unsigned N, unsigned maxlag, double complex *work)
{
    memset(work, 0, N * sizeof *work);
    for (unsigned i = 0; i < b->n; i++)
        work[(unsigned)((b->f[i] + (int)N) % (int)N)] = b->H[i];
    fft(work, N, 1);
    int best = 0;
    double bv = -1;
    for (int D = -(int)maxlag; D <= (int)maxlag; D++) {
        double v = cabs(work[(unsigned)((D + (int)N) % (int)N)]);
        if (v > bv) {
            bv = v;
            best = D;
        }
    }
    return best;
}

static double complex rotated(const struct bins *b, unsigned i, double d, unsigned N)
{
    return b->H[i] * cexp(I * 2 * M_PI * b->f[i] * d / N);
}

/* Least-squares intercept (gain at f = 0) of H after removing delay d. */
static double complex intercept(const struct bins *b, double d, unsigned N)
{
    double complex acc = 0;
    for (unsigned i = 0; i < b->n; i++)
        acc += rotated(b, i, d, N);
    return acc / b->n;
}

static int fit_response(const struct isac_calib_ref *r, const struct bins *b, unsigned stride,
                        unsigned maxlag, struct isac_calib_resp *out)
{
    unsigned N = r->N;
    double complex *work = malloc(N * sizeof *work);
    if (!work)
        return ISAC_ENOMEM;
    int D = integer_delay(b, N, maxlag, work);
    free(work);
    /* fractional part: mean phase step between neighbouring bins of the comb */
    double complex acc = 0;
    for (unsigned i = 0; i + 1 < b->n; i++)
        acc += rotated(b, i + 1, D, N) * conj(rotated(b, i, D, N));
    double d = D - carg(acc) * N / (2 * M_PI * stride);
    /* refine: least-squares slope of the residual phase (twice: it converges at once) */
    double sff = 0;
    for (unsigned i = 0; i < b->n; i++)
        sff += (double)b->f[i] * b->f[i];
    for (int it = 0; it < 2; it++) {
        double complex c = intercept(b, d, N);
        double sfp = 0;
        for (unsigned i = 0; i < b->n; i++)
            sfp += b->f[i] * carg(rotated(b, i, d, N) / c);
        d -= sfp / sff * N / (2 * M_PI);
    }
    double complex c = intercept(b, d, N);
    double res = 0;
    for (unsigned i = 0; i < b->n; i++) {
        double complex e = rotated(b, i, d, N) - c;
        res += creal(e * conj(e));
    }
    double v = b->n > 2 ? res / (b->n - 2) : res; /* per-bin variance of H */
    double c2 = creal(c * conj(c));
    out->gain = c;
    out->delay = d;
    out->delay_int = D;
    out->gain_var = v / b->n;
    out->delay_var = c2 > 0 ? v / (2 * c2) / sff * pow(N / (2 * M_PI), 2) : INFINITY;
    /* v = sigma^2 nact / (N P) for a unit-power reference (see isac_calib_ref_burst) */
    double sigma2 = v * N * r->periods / b->n;
    out->snr = sigma2 > 0 ? c2 / sigma2 : INFINITY;
    return ISAC_OK;
}

static int response_at(const struct isac_calib_ref *r, unsigned stride, unsigned offset,
                       const float complex *y, double cfo, double t0, unsigned maxlag,
                       struct isac_calib_resp *out, struct bins *keep)
{
    double complex *R = malloc(r->N * sizeof *R);
    struct bins b = {0};
    int rc = R ? ISAC_OK : ISAC_ENOMEM;
    if (rc == ISAC_OK) {
        averaged_spectrum(r, y, cfo, t0, R);
        rc = response_bins(r, stride, offset, R, &b);
    }
    if (rc == ISAC_OK)
        rc = fit_response(r, &b, stride, maxlag, out);
    free(R);
    if (keep && rc == ISAC_OK)
        *keep = b;
    else
        bins_free(&b);
    return rc;
}

int isac_calib_ref_match(const struct isac_calib_ref *r, const float complex *y, unsigned maxlag,
                         double *explained, double *snr)
{
    unsigned N = r->N;
    double complex *R = malloc(N * sizeof *R);
    struct bins b = {0};
    struct isac_calib_resp fit;
    int rc = R ? ISAC_OK : ISAC_ENOMEM;
    if (rc == ISAC_OK) {
        averaged_spectrum(r, y, isac_calib_cfo(r, &y, 1), 0, R);
        rc = response_bins(r, 1, 0, R, &b);
    }
    if (rc == ISAC_OK)
        rc = fit_response(r, &b, 1, maxlag, &fit);
    if (rc == ISAC_OK) {
        double scale = sqrt((double)b.n) / N, pin = 0, noise = 0;
        unsigned nn = 0;
        for (unsigned i = 0; i < b.n; i++)
            pin += creal(b.H[i] * conj(b.H[i]));
        pin /= b.n;
        for (int fs = -(int)N / 2; fs < (int)N / 2; fs++)
            if (!bin_active(r, fs, 1, 0)) {
                double complex v = R[(unsigned)((fs + (int)N) % (int)N)] * scale;
                noise += creal(v * conj(v));
                nn++;
            }
        noise = nn ? noise / nn : 0;
        double excess = pin - noise, c2 = creal(fit.gain * conj(fit.gain));
        *snr = noise > 0 ? excess / noise : INFINITY;
        *explained = excess > 0 ? c2 / excess : 0;
    }
    bins_free(&b);
    free(R);
    return rc;
}

/* ---- relative results ---- */

static void relative(struct isac_calib_chan *o, double complex rel, double ddelay,
                     const struct isac_calib_resp *m, const struct isac_calib_resp *ref)
{
    double c2m = creal(m->gain * conj(m->gain)), c20 = creal(ref->gain * conj(ref->gain));
    double rv =
        (c2m > 0 ? m->gain_var / c2m : 0) + (c20 > 0 && o->element ? ref->gain_var / c20 : 0);
    o->phase_deg = isac_calib_wrap_deg(carg(rel) * RAD2DEG);
    o->gain_db = 20 * log10(cabs(rel));
    o->delay_samples = ddelay;
    o->phase_std_deg = sqrt(rv / 2) * RAD2DEG;
    o->gain_std_db = sqrt(rv / 2) * DB_PER_NEPER;
    o->delay_std = sqrt(m->delay_var + (o->element ? ref->delay_var : 0));
    o->snr_db = 10 * log10(m->snr);
}

/* Principal eigenvector of the M x M Hermitian matrix C (column-major, destroyed). */
static int principal(double complex *C, unsigned M, double complex *v)
{
    double *w = malloc(M * sizeof *w);
    if (!w)
        return ISAC_ENOMEM;
    lapack_int info = LAPACKE_zheev(LAPACK_COL_MAJOR, 'V', 'U', (lapack_int)M,
                                    (lapack_complex_double *)C, (lapack_int)M, w);
    free(w);
    if (info)
        return ISAC_EINVAL;
    for (unsigned i = 0; i < M; i++)
        v[i] = C[i + (size_t)(M - 1) * M];
    return ISAC_OK;
}

struct rx_work {
    struct isac_calib_resp *resp;
    struct bins *b;
    double complex *C, *v;
};

static void rx_work_free(struct rx_work *w, unsigned M)
{
    for (unsigned m = 0; w->b && m < M; m++)
        bins_free(&w->b[m]);
    free(w->resp);
    free(w->b);
    free(w->C);
    free(w->v);
}

/* Covariance of the delay-aligned responses X_m(f) = H_m(f) e^{j2pi f (d_m - d_0)/N} / steer_m. */
static void rx_covariance(const struct rx_work *w, unsigned M, unsigned N,
                          const double complex *steer)
{
    unsigned nb = w->b[0].n;
    memset(w->C, 0, (size_t)M * M * sizeof *w->C);
    double complex *x = w->v; /* scratch column */
    for (unsigned i = 0; i < nb; i++) {
        for (unsigned m = 0; m < M; m++) {
            x[m] = rotated(&w->b[m], i, w->resp[m].delay - w->resp[0].delay, N);
            if (steer)
                x[m] /= steer[m];
        }
        for (unsigned col = 0; col < M; col++)
            for (unsigned row = 0; row <= col; row++)
                w->C[row + (size_t)col * M] += x[row] * conj(x[col]);
    }
}

/* Pairwise cross-check: sum_f X_m X_0^* / sum |X_0|^2. */
static double complex rx_pairwise(const struct rx_work *w, unsigned m, unsigned N,
                                  const double complex *steer)
{
    double complex num = 0;
    double den = 0;
    for (unsigned i = 0; i < w->b[0].n; i++) {
        double complex x0 = rotated(&w->b[0], i, 0, N), xm;
        xm = rotated(&w->b[m], i, w->resp[m].delay - w->resp[0].delay, N);
        if (steer) {
            x0 /= steer[0];
            xm /= steer[m];
        }
        num += xm * conj(x0);
        den += creal(x0 * conj(x0));
    }
    return num / den;
}

int isac_calib_rx_array(const struct isac_calib_ref *r, const float complex *const *y, unsigned M,
                        unsigned first_index, unsigned ap, unsigned maxlag,
                        const double complex *steer, struct isac_calib_chan *out)
{
    if (isac_calib_ref_validate(r) || !y || !out || M < 1 || M > ISAC_CALIB_MAX_CH ||
        maxlag >= r->N / 2)
        return ISAC_EINVAL;
    struct rx_work w = {calloc(M, sizeof *w.resp), calloc(M, sizeof *w.b),
                        malloc((size_t)M * M * sizeof *w.C), malloc(M * sizeof *w.v)};
    int rc = w.resp && w.b && w.C && w.v ? ISAC_OK : ISAC_ENOMEM;
    double cfo = rc ? 0 : isac_calib_cfo(r, y, M);
    for (unsigned m = 0; rc == ISAC_OK && m < M; m++)
        rc = response_at(r, 1, 0, y[m], cfo, 0.0, maxlag, &w.resp[m], &w.b[m]);
    if (rc == ISAC_OK) {
        rx_covariance(&w, M, r->N, steer);
        rc = principal(w.C, M, w.v);
    }
    for (unsigned m = 0; rc == ISAC_OK && m < M; m++) {
        struct isac_calib_chan *o = &out[m];
        *o = (struct isac_calib_chan){.index = first_index + m, .ap = ap, .element = m};
        /* z / z is not exactly 1 in complex division: the reference element is 1 by definition */
        double complex rel = m ? w.v[m] / w.v[0] : 1.0;
        relative(o, rel, w.resp[m].delay - w.resp[0].delay, &w.resp[m], &w.resp[0]);
        o->crosscheck_deg = fabs(carg(rel / rx_pairwise(&w, m, r->N, steer))) * RAD2DEG;
    }
    rx_work_free(&w, M);
    return rc;
}

int isac_calib_tx_codes(const struct isac_calib_ref *r, const float complex *y, unsigned K,
                        unsigned maxlag, const double complex *steer, struct isac_calib_chan *out)
{
    if (isac_calib_ref_validate(r) || !y || !out || K < 1 || K > r->N / 16 ||
        maxlag >= r->N / (2 * K))
        return ISAC_EINVAL;
    struct isac_calib_resp *resp = calloc(K, sizeof *resp);
    if (!resp)
        return ISAC_ENOMEM;
    double cfo = isac_calib_cfo(r, &y, 1);
    int rc = ISAC_OK;
    for (unsigned k = 0; rc == ISAC_OK && k < K; k++)
        rc = response_at(r, K, k, y, cfo, 0.0, maxlag, &resp[k], NULL);
    for (unsigned k = 0; rc == ISAC_OK && k < K; k++) {
        out[k] = (struct isac_calib_chan){.index = k, .ap = 0, .element = k};
        double complex rel = k ? resp[k].gain / resp[0].gain : 1.0;
        if (steer && k)
            rel *= steer[0] / steer[k];
        relative(&out[k], rel, resp[k].delay - resp[0].delay, &resp[k], &resp[0]);
    }
    free(resp);
    return rc;
}

int isac_calib_tx_sequential(const struct isac_calib_ref *r, const float complex *const *y,
                             unsigned K, unsigned maxlag, struct isac_calib_chan *out)
{
    if (isac_calib_ref_validate(r) || !y || !out || K < 1 || K > ISAC_CALIB_MAX_CH ||
        maxlag >= r->N / 2)
        return ISAC_EINVAL;
    size_t slot = isac_calib_ref_burst_len(r);
    out[0] = (struct isac_calib_chan){.index = 0, .crosscheck_deg = 0};
    int rc = ISAC_OK;
    for (unsigned j = 1; rc == ISAC_OK && j < K; j++) {
        const float complex *w[2] = {y[j], y[j] + slot};
        double cfo = isac_calib_cfo(r, w, 2);
        struct isac_calib_resp a, b;
        rc = response_at(r, 1, 0, w[0], cfo, 0.0, maxlag, &a, NULL);
        if (rc == ISAC_OK)
            rc = response_at(r, 1, 0, w[1], cfo, (double)slot, maxlag, &b, NULL);
        if (rc)
            break;
        out[j] = (struct isac_calib_chan){.index = j, .ap = 0, .element = j};
        relative(&out[j], b.gain / a.gain, b.delay - a.delay, &b, &a);
        /* the CFO estimate's error turns into a phase error over the slot distance: the
         * lag-N correlation's phase has variance ~1/(SNR (P-1) N) per window (2 windows) */
        double snr = 0.5 * (a.snr + b.snr);
        double sd_cfo = sqrt(1.0 / (snr * (r->periods - 1) * r->N * 2.0)) / (2 * M_PI * r->N);
        double sd_ph = 2 * M_PI * sd_cfo * (double)slot * RAD2DEG;
        out[j].phase_std_deg = hypot(out[j].phase_std_deg, sd_ph);
        if (j == 1)
            out[0].snr_db = 10 * log10(a.snr);
    }
    return rc;
}

int isac_calib_delay(const struct isac_calib_ref *r, const float complex *y, unsigned maxlag,
                     double *delay, double *delay_std)
{
    struct isac_calib_resp resp;
    if (isac_calib_ref_validate(r) || !y || maxlag >= r->N / 2)
        return ISAC_EINVAL;
    int rc = response_at(r, 1, 0, y, isac_calib_cfo(r, &y, 1), 0.0, maxlag, &resp, NULL);
    if (rc == ISAC_OK) {
        *delay = resp.delay;
        if (delay_std)
            *delay_std = sqrt(resp.delay_var);
    }
    return rc;
}

/* ---- pattern statistics ---- */

void isac_calib_pattern_stats(const double *p, const double *phi, unsigned Q, unsigned M,
                              double spacing_wl, double theta, struct isac_calib_pattern_stats *st)
{
    unsigned qm = 0;
    for (unsigned q = 1; q < Q; q++)
        if (p[q] > p[qm])
            qm = q;
    double peak = phi[qm];
    if (qm > 0 && qm + 1 < Q && p[qm - 1] > 0 && p[qm + 1] > 0) {
        /* parabola through the three dB values around the maximum */
        double x0 = phi[qm - 1], x1 = phi[qm], x2 = phi[qm + 1];
        double y0 = 10 * log10(p[qm - 1]), y1 = 10 * log10(p[qm]), y2 = 10 * log10(p[qm + 1]);
        double d1 = (y1 - y0) / (x1 - x0), d2 = (y2 - y1) / (x2 - x1);
        double a = (d2 - d1) / (x2 - x0);
        if (a < 0)
            peak = 0.5 * (x0 + x1) - d1 / (2 * a);
        if (peak < x0 || peak > x2)
            peak = x1;
    }
    double lobe = 1.0 / (M * spacing_wl), side = 0;
    for (unsigned q = 0; q < Q; q++)
        if (fabs(sin(phi[q]) - sin(peak)) > lobe && p[q] > side)
            side = p[q];
    st->peak_deg = peak * RAD2DEG;
    st->peak_err_deg = fabs(peak - theta) * RAD2DEG;
    st->pslr_db = side > 0 ? 10 * log10(p[qm] / side) : INFINITY;
}

/* ---- tracking ---- */

void isac_calib_compare(const struct isac_calib_chan *ref, const struct isac_calib_chan *now,
                        unsigned n, double tol_deg, double tol_db, struct isac_calib_drift *d)
{
    memset(d, 0, sizeof *d);
    for (unsigned i = 0; i < n; i++) {
        double dp = fabs(isac_calib_wrap_deg(now[i].phase_deg - ref[i].phase_deg));
        double dg = fabs(now[i].gain_db - ref[i].gain_db);
        if (dp > d->max_phase_deg) {
            d->max_phase_deg = dp;
            d->worst_phase_ch = ref[i].index;
        }
        if (dg > d->max_gain_db) {
            d->max_gain_db = dg;
            d->worst_gain_ch = ref[i].index;
        }
        d->flagged += dp > tol_deg || dg > tol_db;
    }
    d->ok = d->flagged == 0;
}
