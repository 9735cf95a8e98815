#include "dsp/waveform.h"

#include <liquid/liquid.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "common/err.h"
#include "common/rng.h"

#define MSEQ_MIN_DEGREE 2
#define MSEQ_MAX_DEGREE 15 /* liquid-dsp 1.5 default generator polynomials */

static const char *const kind_names[] = {"zc", "lfm", "mseq", "qpsk"};
#define NUM_KINDS (sizeof kind_names / sizeof kind_names[0])

const char *isac_waveform_kind_name(enum isac_waveform_kind kind)
{
    return ((unsigned)kind < NUM_KINDS) ? kind_names[kind] : "?";
}

int isac_waveform_kind_parse(const char *name, enum isac_waveform_kind *kind)
{
    if (!name || !kind)
        return ISAC_EINVAL;
    for (unsigned k = 0; k < NUM_KINDS; k++)
        if (!strcmp(name, kind_names[k])) {
            *kind = (enum isac_waveform_kind)k;
            return ISAC_OK;
        }
    return ISAC_EINVAL;
}

static unsigned long gcd_ul(unsigned long a, unsigned long b)
{
    while (b) {
        unsigned long t = a % b;
        a = b;
        b = t;
    }
    return a;
}

static int fail(char *why, size_t why_len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int fail(char *why, size_t why_len, const char *fmt, ...)
{
    if (why && why_len) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(why, why_len, fmt, ap);
        va_end(ap);
    }
    return ISAC_EINVAL;
}

static int check_length(const char *name, unsigned L, unsigned min, char *why, size_t why_len)
{
    if (L < min || L > ISAC_WAVEFORM_MAX_LENGTH)
        return fail(why, why_len, "%s length %u out of range %u..%u", name, L, min,
                    ISAC_WAVEFORM_MAX_LENGTH);
    return ISAC_OK;
}

int isac_waveform_validate(const struct isac_waveform_params *p, char *why, size_t why_len)
{
    if (why && why_len)
        why[0] = '\0';
    if (!p)
        return fail(why, why_len, "no waveform parameters");
    switch (p->kind) {
    case ISAC_WAVEFORM_ZC:
        if (check_length("zc", p->length, 2, why, why_len))
            return ISAC_EINVAL;
        if (p->root < 1 || p->root >= p->length)
            return fail(why, why_len, "zc root %u out of range 1..%u", p->root, p->length - 1);
        if (gcd_ul(p->root, p->length) != 1)
            return fail(why, why_len, "zc root %u is not coprime with length %u", p->root,
                        p->length);
        return ISAC_OK;
    case ISAC_WAVEFORM_LFM:
        if (check_length("lfm", p->length, 2, why, why_len))
            return ISAC_EINVAL;
        if (!(p->bandwidth > 0.0 && p->bandwidth <= 1.0))
            return fail(why, why_len, "lfm bandwidth %g out of range (0, 1] (fraction of fs)",
                        p->bandwidth);
        return ISAC_OK;
    case ISAC_WAVEFORM_MSEQ:
        if (p->degree < MSEQ_MIN_DEGREE || p->degree > MSEQ_MAX_DEGREE)
            return fail(why, why_len, "mseq degree %u out of range %d..%d", p->degree,
                        MSEQ_MIN_DEGREE, MSEQ_MAX_DEGREE);
        if (p->length != 0 && p->length != (1u << p->degree) - 1)
            return fail(why, why_len, "mseq length %u does not match degree %u (expected %u)",
                        p->length, p->degree, (1u << p->degree) - 1);
        return ISAC_OK;
    case ISAC_WAVEFORM_QPSK: return check_length("qpsk", p->length, 1, why, why_len);
    }
    return fail(why, why_len, "unknown waveform kind %d", (int)p->kind);
}

size_t isac_waveform_length(const struct isac_waveform_params *p)
{
    if (isac_waveform_validate(p, NULL, 0) != ISAC_OK)
        return 0;
    return p->kind == ISAC_WAVEFORM_MSEQ ? (size_t)((1u << p->degree) - 1) : p->length;
}

int isac_waveform_describe(const struct isac_waveform_params *p, char *buf, size_t buf_len)
{
    if (!p)
        return snprintf(buf, buf_len, "(none)");
    switch (p->kind) {
    case ISAC_WAVEFORM_ZC: return snprintf(buf, buf_len, "zc L=%u u=%u", p->length, p->root);
    case ISAC_WAVEFORM_LFM:
        return snprintf(buf, buf_len, "lfm L=%u B=%gfs", p->length, p->bandwidth);
    case ISAC_WAVEFORM_MSEQ:
        return snprintf(buf, buf_len, "mseq m=%u L=%u", p->degree,
                        p->degree < 31 ? (1u << p->degree) - 1 : 0u);
    case ISAC_WAVEFORM_QPSK:
        return snprintf(buf, buf_len, "qpsk L=%u seed=%llu", p->length,
                        (unsigned long long)p->seed);
    }
    return snprintf(buf, buf_len, "unknown waveform kind %d", (int)p->kind);
}

/* Phases reduced with integer arithmetic so that long sequences keep full accuracy:
 * pi u n (n + c) / L = 2 pi [u n (n + c) mod 2L] / (2L). */
static void gen_zc(unsigned L, unsigned u, float complex *out)
{
    uint64_t two_l = 2ull * L, c = L & 1u;
    for (uint64_t n = 0; n < L; n++) {
        uint64_t q = (n * (n + c)) % two_l;
        q = (q * u) % two_l;
        out[n] = (float complex)cexp(-I * M_PI * (double)q / (double)L);
    }
}

/* n^2 <= 2^48 and the phase in cycles <= 2^23 are exact/accurate to ~1e-9 cycles in
 * double, so no modular reduction is needed (and none is valid for fractional bw). */
static void gen_lfm(unsigned L, double bw, float complex *out)
{
    for (uint64_t n = 0; n < L; n++) {
        double cyc = 0.5 * bw * ((double)n * (double)n / (double)L - (double)n);
        cyc -= floor(cyc);
        out[n] = (float complex)cexp(I * 2.0 * M_PI * cyc);
    }
}

static int gen_mseq(unsigned m, float complex *out)
{
    msequence ms = msequence_create_default(m);
    if (!ms)
        return ISAC_ENOMEM;
    unsigned L = (1u << m) - 1;
    for (unsigned n = 0; n < L; n++)
        out[n] = msequence_advance(ms) ? -1.0f : 1.0f;
    msequence_destroy(ms);
    return ISAC_OK;
}

static void gen_qpsk(unsigned L, uint64_t seed, float complex *out)
{
    isac_rng r;
    isac_rng_seed(&r, seed);
    const float a = (float)M_SQRT1_2;
    for (unsigned n = 0; n < L; n++) {
        uint64_t b = isac_rng_u64(&r);
        out[n] = ((b & 1) ? -a : a) + I * ((b & 2) ? -a : a);
    }
}

int isac_waveform_generate(const struct isac_waveform_params *p, float complex *out)
{
    if (!out || isac_waveform_validate(p, NULL, 0) != ISAC_OK)
        return ISAC_EINVAL;
    switch (p->kind) {
    case ISAC_WAVEFORM_ZC: gen_zc(p->length, p->root, out); return ISAC_OK;
    case ISAC_WAVEFORM_LFM: gen_lfm(p->length, p->bandwidth, out); return ISAC_OK;
    case ISAC_WAVEFORM_MSEQ: return gen_mseq(p->degree, out);
    case ISAC_WAVEFORM_QPSK: gen_qpsk(p->length, p->seed, out); return ISAC_OK;
    }
    return ISAC_EINVAL;
}

int isac_waveform_compose(const float complex *const *comm, const float complex *f, unsigned K,
                          const float complex *sensing, const float complex *w, unsigned M,
                          size_t L, float complex *const *x)
{
    if (!x || M < 1 || M > 4096 || L < 1 || K > 1024 || (K && (!comm || !f)) || (sensing && !w))
        return ISAC_EINVAL;
    for (unsigned k = 0; k < K; k++)
        if (!comm[k])
            return ISAC_EINVAL;
    for (unsigned m = 0; m < M; m++) {
        if (!x[m])
            return ISAC_EINVAL;
        float complex *xm = x[m];
        if (sensing) {
            const float complex wm = w[m];
            for (size_t n = 0; n < L; n++)
                xm[n] = wm * sensing[n];
        } else {
            memset(xm, 0, L * sizeof *xm);
        }
        for (unsigned k = 0; k < K; k++) {
            const float complex fkm = f[(size_t)k * M + m];
            const float complex *s = comm[k];
            for (size_t n = 0; n < L; n++)
                xm[n] += fkm * s[n];
        }
    }
    return ISAC_OK;
}
