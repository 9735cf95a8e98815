/* Per-user OFDM receiver (see ofdm_rx.h). */
#include "comm/ofdm_rx.h"

#include <fftw3.h>
#include <liquid/liquid.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"

struct isac_ofdm_rx_s {
    struct isac_ofdm_params p;
    isac_ofdm tx; /* layout helpers (subcarrier map, pilots, scrambling) */
    unsigned stream, search, L, backoff;
    float complex *pre_td; /* preamble body, nfft samples */
    double complex *chol;  /* L x L lower Cholesky factor of A^H A (row-major) */
    double complex *steer; /* occupied x L: A[i][l] = exp(-j 2 pi k_i l / nfft) */
    double complex *g;     /* L taps */
    double complex *hhat;  /* occupied */
    float complex *Y;      /* occupied values of one symbol */
    float complex *ref;    /* occupied known values of one symbol */
    uint8_t *block;        /* block_bytes */
    fftwf_complex *buf;
    fftwf_plan fwd;
    modemcf dem;
};

/* In-place Cholesky A = C C^H of an n x n Hermitian positive definite matrix (row-major,
 * lower triangle used). ISAC_EINVAL when not positive definite. */
static int cholesky(double complex *a, unsigned n)
{
    for (unsigned j = 0; j < n; j++) {
        double d = creal(a[j * n + j]);
        for (unsigned k = 0; k < j; k++)
            d -= creal(a[j * n + k] * conj(a[j * n + k]));
        if (!(d > 0.0))
            return ISAC_EINVAL;
        d = sqrt(d);
        a[j * n + j] = d;
        for (unsigned i = j + 1; i < n; i++) {
            double complex s = a[i * n + j];
            for (unsigned k = 0; k < j; k++)
                s -= a[i * n + k] * conj(a[j * n + k]);
            a[i * n + j] = s / d;
        }
    }
    return ISAC_OK;
}

/* Solve C C^H x = b in place (b -> x). */
static void chol_solve(const double complex *c, unsigned n, double complex *b)
{
    for (unsigned i = 0; i < n; i++) {
        double complex s = b[i];
        for (unsigned k = 0; k < i; k++)
            s -= c[i * n + k] * b[k];
        b[i] = s / creal(c[i * n + i]);
    }
    for (unsigned i = n; i-- > 0;) {
        double complex s = b[i];
        for (unsigned k = i + 1; k < n; k++)
            s -= conj(c[k * n + i]) * b[k];
        b[i] = s / creal(c[i * n + i]);
    }
}

void isac_ofdm_rx_destroy(isac_ofdm_rx q)
{
    if (!q)
        return;
    isac_ofdm_destroy(q->tx);
    if (q->fwd)
        fftwf_destroy_plan(q->fwd);
    if (q->dem)
        modemcf_destroy(q->dem);
    fftwf_free(q->buf);
    free(q->pre_td);
    free(q->chol);
    free(q->steer);
    free(q->g);
    free(q->hhat);
    free(q->Y);
    free(q->ref);
    free(q->block);
    free(q);
}

static int build_ls(isac_ofdm_rx q)
{
    unsigned Nu = q->p.occupied, L = q->L;
    for (unsigned i = 0; i < Nu; i++) {
        int k = isac_ofdm_subcarrier(q->tx, i);
        for (unsigned l = 0; l < L; l++)
            q->steer[i * L + l] = cexp(-2.0 * M_PI * I * (double)k * l / q->p.nfft);
    }
    for (unsigned a = 0; a < L; a++)
        for (unsigned b = 0; b < L; b++) {
            double complex s = 0;
            for (unsigned i = 0; i < Nu; i++)
                s += conj(q->steer[i * L + a]) * q->steer[i * L + b];
            q->chol[a * L + b] = s;
        }
    return cholesky(q->chol, L);
}

isac_ofdm_rx isac_ofdm_rx_create(const struct isac_ofdm_params *p, unsigned stream, unsigned search,
                                 char *err, size_t errlen)
{
    if (search > 1000000) {
        isac_seterr(err, errlen, "ofdm_rx: search %u above 1000000", search);
        return NULL;
    }
    isac_ofdm tx = isac_ofdm_create(p, err, errlen);
    if (!tx)
        return NULL;
    isac_ofdm_rx q = calloc(1, sizeof(*q));
    if (!q) {
        isac_ofdm_destroy(tx);
        goto nomem;
    }
    q->p = *p;
    q->tx = tx;
    q->stream = stream;
    q->search = search;
    q->L = p->cp;
    q->backoff = p->cp / 4;
    unsigned N = p->nfft, Nu = p->occupied;
    q->pre_td = calloc(N + p->cp, sizeof(*q->pre_td));
    q->chol = calloc((size_t)q->L * q->L, sizeof(*q->chol));
    q->steer = calloc((size_t)Nu * q->L, sizeof(*q->steer));
    q->g = calloc(q->L, sizeof(*q->g));
    q->hhat = calloc(Nu, sizeof(*q->hhat));
    q->Y = calloc(Nu, sizeof(*q->Y));
    q->ref = calloc(Nu, sizeof(*q->ref));
    q->block = calloc(isac_ofdm_block_bytes(tx), 1);
    q->buf = fftwf_alloc_complex(N);
    q->dem = modemcf_create(p->mod == ISAC_COMM_QAM16 ? LIQUID_MODEM_QAM16 : LIQUID_MODEM_QPSK);
    if (!q->pre_td || !q->chol || !q->steer || !q->g || !q->hhat || !q->Y || !q->ref || !q->block ||
        !q->buf || !q->dem)
        goto nomem;
    q->fwd = fftwf_plan_dft_1d((int)N, q->buf, q->buf, FFTW_FORWARD, FFTW_ESTIMATE);
    if (!q->fwd)
        goto nomem;
    if (build_ls(q) != ISAC_OK) {
        isac_seterr(err, errlen, "ofdm_rx: cp %u taps cannot be fitted on %u subcarriers", p->cp,
                    Nu);
        isac_ofdm_rx_destroy(q);
        return NULL;
    }
    /* the preamble body as transmitted (only the first symbol of a burst is needed) */
    {
        float complex *burst = calloc(isac_ofdm_burst_length(tx), sizeof(*burst));
        uint8_t *pl = calloc((size_t)p->num_symbols * isac_ofdm_payload_bytes(tx), 1);
        int rc = burst && pl ? isac_ofdm_modulate(tx, stream, pl, burst) : ISAC_ENOMEM;
        if (rc == ISAC_OK)
            memcpy(q->pre_td, burst + p->cp, N * sizeof(*q->pre_td));
        free(burst);
        free(pl);
        if (rc != ISAC_OK)
            goto nomem;
    }
    return q;
nomem:
    isac_seterr(err, errlen, "ofdm_rx: out of memory");
    isac_ofdm_rx_destroy(q);
    return NULL;
}

static size_t find_timing(isac_ofdm_rx q, const float complex *y)
{
    unsigned N = q->p.nfft, cp = q->p.cp;
    size_t best = 0;
    double bestm = -1.0;
    for (size_t o = 0; o <= q->search; o++) {
        double complex s = 0;
        const float complex *v = y + o + cp;
        for (unsigned n = 0; n < N; n++)
            s += v[n] * conjf(q->pre_td[n]);
        double m = creal(s * conj(s));
        if (m > bestm) {
            bestm = m;
            best = o;
        }
    }
    return best;
}

static double estimate_cfo(isac_ofdm_rx q, const float complex *y)
{
    unsigned N = q->p.nfft, cp = q->p.cp;
    double complex s = 0;
    for (unsigned sym = 0; sym <= q->p.num_symbols; sym++) {
        const float complex *v = y + (size_t)sym * (N + cp);
        for (unsigned n = q->backoff; n < cp; n++)
            s += conjf(v[n]) * v[n + N];
    }
    return carg(s) / (2.0 * M_PI * N);
}

/* FFT of symbol sym (window backoff samples into the prefix), derotated by cfo from the
 * burst start, scaled so that a unit-power OFDM stream at gain h gives Y = h X. */
static void demod_symbol(isac_ofdm_rx q, const float complex *y, unsigned sym, double cfo)
{
    unsigned N = q->p.nfft, cp = q->p.cp;
    size_t start = (size_t)sym * (N + cp) + cp - q->backoff;
    float complex *b = (float complex *)q->buf;
    for (unsigned n = 0; n < N; n++) {
        double ph = -2.0 * M_PI * cfo * (double)(start + n);
        b[n] = y[start + n] * (float complex)cexp(I * ph);
    }
    fftwf_execute(q->fwd);
    float scale = sqrtf((float)q->p.occupied) / (float)N;
    for (unsigned i = 0; i < q->p.occupied; i++) {
        int k = isac_ofdm_subcarrier(q->tx, i);
        q->Y[i] = b[k < 0 ? k + (int)N : k] * scale;
    }
}

/* Least-squares channel fit on the preamble; fills hhat, signal and noise power. */
static void channel_estimate(isac_ofdm_rx q, struct isac_ofdm_rx_result *res)
{
    unsigned Nu = q->p.occupied, L = q->L;
    for (unsigned l = 0; l < L; l++)
        q->g[l] = 0;
    for (unsigned i = 0; i < Nu; i++) {
        double complex z = q->Y[i] / isac_ofdm_preamble_value(q->stream, i);
        q->hhat[i] = z; /* keep the raw ratio for the residual below */
        for (unsigned l = 0; l < L; l++)
            q->g[l] += conj(q->steer[i * L + l]) * z;
    }
    chol_solve(q->chol, L, q->g);
    double res2 = 0, h2 = 0;
    for (unsigned i = 0; i < Nu; i++) {
        double complex h = 0;
        for (unsigned l = 0; l < L; l++)
            h += q->steer[i * L + l] * q->g[l];
        double complex r = q->hhat[i] - h;
        res2 += creal(r * conj(r));
        h2 += creal(h * conj(h));
        q->hhat[i] = h;
    }
    res->noise_power = res2 / (double)(Nu - L);
    res->signal_power = h2 / Nu - res->noise_power * (double)L / Nu;
    res->sinr_pilot = res->noise_power > 0 ? res->signal_power / res->noise_power : INFINITY;
}

/* Equalise and demodulate data symbol s; bits into q->block; EVM sums. */
static void data_symbol(isac_ofdm_rx q, unsigned s, double *err2, double *ref2)
{
    unsigned Nu = q->p.occupied, bps = isac_comm_mod_bits(q->p.mod);
    double complex cpe = 0;
    for (unsigned i = 0; i < Nu; i++)
        if (isac_ofdm_is_pilot(q->tx, i))
            cpe += q->Y[i] * conj(q->hhat[i] * isac_ofdm_pilot_value(q->stream, s, i));
    double complex rot = cabs(cpe) > 0 ? conj(cpe) / cabs(cpe) : 1.0;
    unsigned nbytes = isac_ofdm_block_bytes(q->tx);
    memset(q->block, 0, nbytes);
    size_t bit = 0;
    for (unsigned i = 0; i < Nu; i++) {
        if (isac_ofdm_is_pilot(q->tx, i))
            continue;
        double complex h = q->hhat[i];
        float complex z = cabs(h) > 0 ? (float complex)(q->Y[i] * rot / h) : 0.0f;
        unsigned sym = 0;
        float complex ref;
        modemcf_demodulate(q->dem, z, &sym);
        modemcf_get_demodulator_sample(q->dem, &ref);
        float complex e = z - ref;
        *err2 += crealf(e * conjf(e));
        *ref2 += crealf(ref * conjf(ref));
        for (int b = (int)bps - 1; b >= 0; b--, bit++)
            if (bit / 8 < nbytes && ((sym >> b) & 1u))
                q->block[bit / 8] |= (uint8_t)(0x80u >> (bit % 8));
    }
}

int isac_ofdm_rx_process(isac_ofdm_rx q, const float complex *y, size_t ny, uint8_t *payload,
                         uint8_t *block_ok, struct isac_ofdm_rx_result *res)
{
    if (!q || !y || !res || ny < q->search + isac_ofdm_burst_length(q->tx))
        return ISAC_EINVAL;
    memset(res, 0, sizeof(*res));
    res->timing = find_timing(q, y);
    const float complex *v = y + res->timing;
    res->cfo = estimate_cfo(q, v);
    demod_symbol(q, v, 0, res->cfo);
    channel_estimate(q, res);
    unsigned pb = isac_ofdm_payload_bytes(q->tx), nb = isac_ofdm_block_bytes(q->tx);
    double err2 = 0, ref2 = 0;
    res->blocks = q->p.num_symbols;
    for (unsigned s = 1; s <= q->p.num_symbols; s++) {
        demod_symbol(q, v, s, res->cfo);
        data_symbol(q, s, &err2, &ref2);
        isac_ofdm_scramble(q->stream, s - 1, q->block, nb);
        int ok = crc_check_key(LIQUID_CRC_32, q->block, pb) == 1;
        res->blocks_ok += (unsigned)ok;
        if (block_ok)
            block_ok[s - 1] = (uint8_t)ok;
        if (payload)
            memcpy(payload + (size_t)(s - 1) * pb, q->block, pb);
    }
    res->sinr_evm = err2 > 0 ? ref2 / err2 : INFINITY;
    return ISAC_OK;
}
