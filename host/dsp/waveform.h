/* Probe and communication waveforms, and the multi-stream ISAC transmit signal.
 *
 * All sequences are complex baseband at one sample per chip, UNIT AVERAGE POWER
 * (sum |s[n]|^2 = L), so the matched filter (host/dsp/mf.h) peaks at |g| sqrt(L) for an
 * echo g*s and its post-MF SNR is L |g|^2 / sigma^2.
 *
 *   ISAC_WAVEFORM_ZC Zadoff-Chu, length L >= 2, root u in 1..L-1 with gcd(u, L) = 1:
 *                    s[n] = exp(-j pi u n (n + (L mod 2)) / L),  n = 0..L-1.
 *                  Constant modulus, ideal PERIODIC autocorrelation (zero at every
 *                  non-zero cyclic lag). Two roots u1, u2 with gcd(u1 - u2, L) = 1 have
 *                  periodic cross-correlation of magnitude exactly sqrt(L) at every lag
 *                  (1/sqrt(L) of the autocorrelation peak). With L prime every pair of
 *                  distinct roots qualifies; with L even none does (valid roots are odd,
 *                  so their difference is even): prefer prime L for multi-stream use.
 *                  Bandwidth: the whole sampling band (flat periodic spectrum), so
 *                  fractional-delay accuracy (host/dsp/fdelay.h) is that of a
 *                  full-band signal; use LFM with bandwidth <= 0.8 when that matters.
 *   ISAC_WAVEFORM_LFM Linear FM chirp, length L >= 2, swept bandwidth B = bandwidth * fs,
 *                  bandwidth in (0, 1]: instantaneous frequency rises linearly from
 *                  -B/2 to +B/2 over the L samples,
 *                    s[n] = exp(j pi bandwidth (n^2 / L - n)),
 *                  i.e. the phase increment from n to n+1 is
 *                  2 pi bandwidth ((n + 1/2)/L - 1/2) rad.
 *   ISAC_WAVEFORM_MSEQ m-sequence BPSK (liquid-dsp msequence_create_default(degree)),
 *                  degree m in 2..15, length L = 2^m - 1 (the `length` field is
 *                  ignored, or must equal 2^m - 1 when non-zero); chips +-1 from bits
 *                  0/1 as s = 1 - 2 b. Periodic autocorrelation L at lag 0 and -1
 *                  at every other lag.
 *   ISAC_WAVEFORM_QPSK Random QPSK (communication payload stand-in), length L >= 1,
 *                  symbols (+-1 +- j)/sqrt(2) drawn from isac_rng seeded by `seed`.
 *                  Cross-correlation with an unrelated unit-power sequence after the
 *                  matched filter is ~ CN(0, 1) per lag (i.e. 1/L of the MF peak power).
 *
 * Sizes: L <= ISAC_WAVEFORM_MAX_LENGTH (2^24) for every kind.
 */
#ifndef ISACTB_WAVEFORM_WAVEFORM_H
#define ISACTB_WAVEFORM_WAVEFORM_H

#include <complex.h>
#include <stddef.h>
#include <stdint.h>

#define ISAC_WAVEFORM_MAX_LENGTH (1u << 24)

enum isac_waveform_kind {
    ISAC_WAVEFORM_ZC = 0,
    ISAC_WAVEFORM_LFM = 1,
    ISAC_WAVEFORM_MSEQ = 2,
    ISAC_WAVEFORM_QPSK = 3,
};

struct isac_waveform_params {
    enum isac_waveform_kind kind;
    unsigned length;  /* L in samples (see the kinds above; MSEQ: 0 or 2^degree - 1) */
    unsigned root;    /* ZC root u: 1..L-1, gcd(u, L) = 1 (other kinds: ignored) */
    unsigned degree;  /* MSEQ degree m: 2..15 (other kinds: ignored) */
    double bandwidth; /* LFM swept bandwidth as a fraction of fs: (0, 1] (others: ignored) */
    uint64_t seed;    /* QPSK symbol seed (others: ignored) */
};

/* Canonical lower-case name ("zc", "lfm", "mseq", "qpsk"); "?" for an unknown kind. */
const char *isac_waveform_kind_name(enum isac_waveform_kind kind);
/* Parse a kind name (as above); ISAC_EINVAL when unknown. */
int isac_waveform_kind_parse(const char *name, enum isac_waveform_kind *kind);

/* ISAC_OK when p describes a valid waveform, ISAC_EINVAL otherwise. When why is not
 * NULL (why_len > 0) it receives a one-line reason naming the field and value at
 * fault, e.g. "zc root 4 is not coprime with length 1024" (empty string when valid). */
int isac_waveform_validate(const struct isac_waveform_params *p, char *why, size_t why_len);

/* Number of samples generated for p (2^degree - 1 for MSEQ); 0 when p is invalid. */
size_t isac_waveform_length(const struct isac_waveform_params *p);

/* One-line description for metadata and error messages, e.g.
 * "zc L=1021 u=1", "lfm L=4096 B=0.8fs", "mseq m=10 L=1023", "qpsk L=512 seed=7".
 * Writes at most buf_len bytes (always NUL-terminated when buf_len > 0); returns the
 * snprintf-style length that the full text needs. Invalid p is described too. */
int isac_waveform_describe(const struct isac_waveform_params *p, char *buf, size_t buf_len);

/* Generate isac_waveform_length(p) samples into out (unit average power).
 * ISAC_EINVAL when p is invalid or out is NULL; ISAC_ENOMEM if liquid-dsp fails. */
int isac_waveform_generate(const struct isac_waveform_params *p, float complex *out);

/* The ISAC transmit signal of seed 004 eq. (1), sampled, per TX channel:
 *
 *     x_m[n] = sum_{k=0}^{K-1} f[k*M + m] s_k[n] + w[m] s_r[n],   m = 0..M-1, n = 0..L-1.
 *
 *   comm    : K streams s_k (K in 0..1024; comm may be NULL when K = 0), L samples each;
 *   f       : K x M communication beamformers, row k = f_k (NULL when K = 0);
 *   sensing : the sensing stream s_r (L samples), or NULL for none (w then ignored);
 *   w       : M sensing-beam weights;
 *   M       : TX channels, 1..4096;  L >= 1;
 *   x       : M output buffers of L samples (overwritten; must not alias inputs).
 * The transmitted power per sample is sum_m E|x_m|^2 = sum_k ||f_k||^2 + ||w||^2 for
 * unit-power, mutually uncorrelated streams. The paper's eq. (4) assumes exact
 * orthogonality (1/T int s_ck s_r^* = 0); finite sequences only approximate it: after
 * the sensing matched filter a comm stream k leaks with per-lag magnitude exactly
 * |f_km| (ZC roots with gcd(u_k - u_r, L) = 1, periodic correlation) or ~ CN(0,
 * |f_km|^2) (QPSK), against a sensing peak of |w_m| sqrt(L) (tests/test_waveform.c).
 * Returns ISAC_EINVAL on bad sizes or NULL pointers. */
int isac_waveform_compose(const float complex *const *comm, const float complex *f, unsigned K,
                          const float complex *sensing, const float complex *w, unsigned M,
                          size_t L, float complex *const *x);

#endif
