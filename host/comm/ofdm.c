/* OFDM modulator (see ofdm.h). */
#include "comm/ofdm.h"

#include <fftw3.h>
#include <liquid/liquid.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/rng.h"

struct isac_ofdm_s {
    struct isac_ofdm_params p;
    unsigned nd, np;      /* data and pilot subcarriers */
    unsigned block_bytes; /* CRC included */
    modemcf mod;          /* liquid-dsp constellation mapper */
    fftwf_complex *buf;   /* nfft, FFTW-aligned */
    fftwf_plan inv;       /* in-place inverse transform on buf */
    float complex *fd;    /* occupied values of one symbol */
    uint8_t *block;       /* block_bytes scratch */
};

/* Salts keeping the per-stream sequences independent of each other. */
#define SALT_PREAMBLE 0x9e1f0c6a52d3b7e1ull
#define SALT_PILOT 0x3c6ef372fe94f82bull
#define SALT_SCRAMBLE 0xa54ff53a5f1d36f1ull
#define SALT_PAYLOAD 0x510e527fade682d1ull

int isac_comm_mod_parse(const char *name, enum isac_comm_mod *mod)
{
    if (name && strcmp(name, "qpsk") == 0) {
        *mod = ISAC_COMM_QPSK;
        return ISAC_OK;
    }
    if (name && (strcmp(name, "16qam") == 0 || strcmp(name, "qam16") == 0)) {
        *mod = ISAC_COMM_QAM16;
        return ISAC_OK;
    }
    return ISAC_EINVAL;
}

const char *isac_comm_mod_name(enum isac_comm_mod mod)
{
    return mod == ISAC_COMM_QPSK ? "qpsk" : mod == ISAC_COMM_QAM16 ? "16qam" : "?";
}

unsigned isac_comm_mod_bits(enum isac_comm_mod mod)
{
    return mod == ISAC_COMM_QAM16 ? 4u : 2u;
}

void isac_ofdm_params_default(struct isac_ofdm_params *p)
{
    p->nfft = 128;
    p->cp = 16;
    p->occupied = 96;
    p->pilot_spacing = 8;
    p->mod = ISAC_COMM_QPSK;
    p->num_symbols = 16;
}

static unsigned count_pilots(const struct isac_ofdm_params *p)
{
    return (p->occupied + p->pilot_spacing - 1) / p->pilot_spacing;
}

int isac_ofdm_params_validate(const struct isac_ofdm_params *p, char *err, size_t errlen)
{
    if (!p) {
        isac_seterr(err, errlen, "ofdm: no parameters");
        return ISAC_EINVAL;
    }
    if (p->nfft < 16 || p->nfft > 4096) {
        isac_seterr(err, errlen, "ofdm: nfft %u outside 16..4096", p->nfft);
        return ISAC_EINVAL;
    }
    if (p->cp < 4 || p->cp > p->nfft / 2) {
        isac_seterr(err, errlen, "ofdm: cp %u outside 4..%u", p->cp, p->nfft / 2);
        return ISAC_EINVAL;
    }
    if (p->occupied < 8 || p->occupied % 2 || p->occupied > (p->nfft * 4) / 5) {
        isac_seterr(err, errlen, "ofdm: occupied %u not even in 8..%u", p->occupied,
                    (p->nfft * 4) / 5);
        return ISAC_EINVAL;
    }
    if (p->pilot_spacing < 2 || p->pilot_spacing > 16) {
        isac_seterr(err, errlen, "ofdm: pilot_spacing %u outside 2..16", p->pilot_spacing);
        return ISAC_EINVAL;
    }
    if (p->mod != ISAC_COMM_QPSK && p->mod != ISAC_COMM_QAM16) {
        isac_seterr(err, errlen, "ofdm: modulation %d unknown", (int)p->mod);
        return ISAC_EINVAL;
    }
    if (p->num_symbols < 1 || p->num_symbols > 4096) {
        isac_seterr(err, errlen, "ofdm: num_symbols %u outside 1..4096", p->num_symbols);
        return ISAC_EINVAL;
    }
    unsigned nd = p->occupied - count_pilots(p);
    if ((nd * isac_comm_mod_bits(p->mod)) / 8 < 5) {
        isac_seterr(err, errlen, "ofdm: occupied %u leaves no room for payload and CRC",
                    p->occupied);
        return ISAC_EINVAL;
    }
    return ISAC_OK;
}

isac_ofdm isac_ofdm_create(const struct isac_ofdm_params *p, char *err, size_t errlen)
{
    if (isac_ofdm_params_validate(p, err, errlen) != ISAC_OK)
        return NULL;
    isac_ofdm q = calloc(1, sizeof(*q));
    if (!q)
        goto fail;
    q->p = *p;
    q->np = count_pilots(p);
    q->nd = p->occupied - q->np;
    q->block_bytes = (q->nd * isac_comm_mod_bits(p->mod)) / 8;
    q->mod = modemcf_create(p->mod == ISAC_COMM_QAM16 ? LIQUID_MODEM_QAM16 : LIQUID_MODEM_QPSK);
    q->buf = fftwf_alloc_complex(p->nfft);
    q->fd = calloc(p->occupied, sizeof(*q->fd));
    q->block = calloc(q->block_bytes, 1);
    if (!q->mod || !q->buf || !q->fd || !q->block)
        goto fail;
    q->inv = fftwf_plan_dft_1d((int)p->nfft, q->buf, q->buf, FFTW_BACKWARD, FFTW_ESTIMATE);
    if (!q->inv)
        goto fail;
    return q;
fail:
    isac_seterr(err, errlen, "ofdm: out of memory");
    isac_ofdm_destroy(q);
    return NULL;
}

void isac_ofdm_destroy(isac_ofdm q)
{
    if (!q)
        return;
    if (q->inv)
        fftwf_destroy_plan(q->inv);
    if (q->mod)
        modemcf_destroy(q->mod);
    fftwf_free(q->buf);
    free(q->fd);
    free(q->block);
    free(q);
}

const struct isac_ofdm_params *isac_ofdm_get_params(isac_ofdm q)
{
    return &q->p;
}
size_t isac_ofdm_burst_length(isac_ofdm q)
{
    return (size_t)(q->p.num_symbols + 1) * (q->p.nfft + q->p.cp);
}
unsigned isac_ofdm_data_subcarriers(isac_ofdm q)
{
    return q->nd;
}
unsigned isac_ofdm_pilot_subcarriers(isac_ofdm q)
{
    return q->np;
}
unsigned isac_ofdm_block_bytes(isac_ofdm q)
{
    return q->block_bytes;
}
unsigned isac_ofdm_payload_bytes(isac_ofdm q)
{
    return q->block_bytes - 4;
}
double isac_ofdm_psd_factor(isac_ofdm q)
{
    return (double)q->p.nfft / (double)q->p.occupied;
}

int isac_ofdm_subcarrier(isac_ofdm q, unsigned i)
{
    int h = (int)q->p.occupied / 2;
    return (int)i < h ? (int)i - h : (int)i - h + 1;
}

int isac_ofdm_is_pilot(isac_ofdm q, unsigned i)
{
    return i % q->p.pilot_spacing == 0;
}

/* splitmix64 finaliser: a stateless hash, so a value depends only on its coordinates. */
static uint64_t mix(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static float complex qpsk_from(uint64_t h)
{
    const float a = (float)M_SQRT1_2;
    return ((h & 1) ? -a : a) + I * ((h & 2) ? -a : a);
}

float complex isac_ofdm_preamble_value(unsigned stream, unsigned i)
{
    return qpsk_from(mix(SALT_PREAMBLE ^ mix(((uint64_t)stream << 32) | i)));
}

float complex isac_ofdm_pilot_value(unsigned stream, unsigned s, unsigned i)
{
    return qpsk_from(mix(SALT_PILOT ^ mix(((uint64_t)stream << 32) | i) ^ ((uint64_t)s << 20)));
}

void isac_ofdm_scramble(unsigned stream, unsigned block, uint8_t *bytes, size_t n)
{
    isac_rng r;
    isac_rng_seed_stream(&r, SALT_SCRAMBLE ^ mix(stream), block);
    for (size_t i = 0; i < n; i += 8) {
        uint64_t w = isac_rng_u64(&r);
        for (size_t b = 0; b < 8 && i + b < n; b++)
            bytes[i + b] ^= (uint8_t)(w >> (8 * b));
    }
}

void isac_ofdm_payload_random(isac_ofdm q, uint64_t seed, unsigned stream, uint8_t *payload)
{
    isac_rng r;
    isac_rng_seed_stream(&r, seed ^ SALT_PAYLOAD, stream);
    size_t n = (size_t)q->p.num_symbols * isac_ofdm_payload_bytes(q);
    for (size_t i = 0; i < n; i++)
        payload[i] = (uint8_t)isac_rng_below(&r, 256);
}

/* Bit j (MSB first) of bytes (n bytes); 0 beyond the end (padding). */
static unsigned bit_at(const uint8_t *bytes, size_t n, size_t j)
{
    return j / 8 < n ? (bytes[j / 8] >> (7 - j % 8)) & 1u : 0u;
}

int isac_ofdm_symbol_values(isac_ofdm q, unsigned stream, const uint8_t *payload, unsigned s,
                            float complex *out)
{
    if (!q || !payload || !out || s < 1 || s > q->p.num_symbols)
        return ISAC_EINVAL;
    unsigned pb = isac_ofdm_payload_bytes(q), bps = isac_comm_mod_bits(q->p.mod);
    memcpy(q->block, payload + (size_t)(s - 1) * pb, pb);
    crc_append_key(LIQUID_CRC_32, q->block, pb);
    isac_ofdm_scramble(stream, s - 1, q->block, q->block_bytes);
    size_t bit = 0;
    for (unsigned i = 0; i < q->p.occupied; i++) {
        if (isac_ofdm_is_pilot(q, i)) {
            out[i] = isac_ofdm_pilot_value(stream, s, i);
            continue;
        }
        unsigned sym = 0;
        for (unsigned b = 0; b < bps; b++)
            sym = (sym << 1) | bit_at(q->block, q->block_bytes, bit++);
        modemcf_modulate(q->mod, sym, &out[i]);
    }
    return ISAC_OK;
}

/* Inverse transform of the occupied values fd into one symbol with its prefix at out. */
static void synth_symbol(isac_ofdm q, const float complex *fd, float complex *out)
{
    unsigned N = q->p.nfft, cp = q->p.cp;
    float complex *b = (float complex *)q->buf;
    memset(b, 0, N * sizeof(*b));
    for (unsigned i = 0; i < q->p.occupied; i++) {
        int k = isac_ofdm_subcarrier(q, i);
        b[k < 0 ? k + (int)N : k] = fd[i];
    }
    fftwf_execute(q->inv);
    /* unit average power: each occupied bin has unit power, the transform sums them */
    float scale = 1.0f / sqrtf((float)q->p.occupied);
    for (unsigned n = 0; n < N; n++)
        out[cp + n] = b[n] * scale;
    memcpy(out, out + N, cp * sizeof(*out));
}

int isac_ofdm_modulate(isac_ofdm q, unsigned stream, const uint8_t *payload, float complex *out)
{
    if (!q || !payload || !out)
        return ISAC_EINVAL;
    size_t sym_len = q->p.nfft + q->p.cp;
    for (unsigned i = 0; i < q->p.occupied; i++)
        q->fd[i] = isac_ofdm_preamble_value(stream, i);
    synth_symbol(q, q->fd, out);
    for (unsigned s = 1; s <= q->p.num_symbols; s++) {
        isac_ofdm_symbol_values(q, stream, payload, s, q->fd);
        synth_symbol(q, q->fd, out + s * sym_len);
    }
    return ISAC_OK;
}
