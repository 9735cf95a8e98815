/* OFDM communication waveform: one user's data stream inside the ISAC burst.
 *
 * Layout of one burst (all streams of a plan use the same parameters and are sent
 * time-aligned, so every stream is one column of the plan's precoder, host/plan/plan.h):
 *
 *   symbol 0        preamble: every occupied subcarrier carries a known QPSK value drawn
 *                   from the stream's own sequence (sync and channel estimate);
 *   symbols 1..S    data: every `pilot_spacing`-th occupied subcarrier (counted from the
 *                   lowest) is a known pilot (phase tracking), the others carry data
 *                   symbols (QPSK or 16-QAM, liquid-dsp's Gray-coded modems).
 *
 * Each OFDM symbol is nfft samples (FFTW inverse transform) preceded by a cyclic prefix of
 * `cp` samples. Occupied subcarriers are k = -occupied/2..-1, 1..occupied/2 (DC and the
 * band edges are empty; occupied <= 0.8 nfft keeps the emulator's fractional-delay
 * interpolator, host/dsp/fdelay.h, in its accurate band). The time-domain signal has unit
 * average power (E|x[n]|^2 = 1, the waveform convention of host/dsp/waveform.h), so every
 * occupied subcarrier carries power nfft / occupied (its "PSD factor").
 *
 * Blocks: each data symbol is one block: `block_bytes` = floor(data_subcarriers * bps / 8)
 * bytes, the last 4 of which are a CRC-32 (liquid-dsp crc, LIQUID_CRC_32) over the first
 * `payload_bytes` = block_bytes - 4; leftover bits are zero padding. Before mapping, the
 * bits are XORed with a scrambling sequence unique to the stream id, and the preamble and
 * pilot values are stream-specific too, so two streams with the same payload still differ
 * and each user's receiver sees the other streams as noise-like interference.
 */
#ifndef ISACTB_COMM_OFDM_H
#define ISACTB_COMM_OFDM_H

#include <complex.h>
#include <stddef.h>
#include <stdint.h>

enum isac_comm_mod {
    ISAC_COMM_QPSK = 0,  /* 2 bits per symbol */
    ISAC_COMM_QAM16 = 1, /* 4 bits per symbol */
};

/* "qpsk" / "16qam"; ISAC_EINVAL (and why, when not NULL) for any other name. */
int isac_comm_mod_parse(const char *name, enum isac_comm_mod *mod);
const char *isac_comm_mod_name(enum isac_comm_mod mod);
unsigned isac_comm_mod_bits(enum isac_comm_mod mod);

struct isac_ofdm_params {
    unsigned nfft;          /* FFT size, 16..4096 */
    unsigned cp;            /* cyclic prefix, 4..nfft/2 samples */
    unsigned occupied;      /* occupied subcarriers, even, 8..0.8*nfft */
    unsigned pilot_spacing; /* one pilot every this many occupied subcarriers, 2..16 */
    enum isac_comm_mod mod;
    unsigned num_symbols; /* data symbols (= blocks) per burst, 1..4096 */
};

/* Defaults: nfft 128, cp 16, occupied 96, pilot_spacing 8, QPSK, 16 data symbols
 * (84 data subcarriers, 21-byte blocks of 17 payload bytes; 2448 samples per burst). */
void isac_ofdm_params_default(struct isac_ofdm_params *p);

/* ISAC_OK or ISAC_EINVAL with one line naming the field and value in err. */
int isac_ofdm_params_validate(const struct isac_ofdm_params *p, char *err, size_t errlen);

typedef struct isac_ofdm_s *isac_ofdm;

/* A modulator for p (copied). NULL with one line in err on bad parameters. */
isac_ofdm isac_ofdm_create(const struct isac_ofdm_params *p, char *err, size_t errlen);
void isac_ofdm_destroy(isac_ofdm q);

const struct isac_ofdm_params *isac_ofdm_get_params(isac_ofdm q);
size_t isac_ofdm_burst_length(isac_ofdm q);       /* (num_symbols + 1) * (nfft + cp) samples */
unsigned isac_ofdm_data_subcarriers(isac_ofdm q); /* occupied minus pilots */
unsigned isac_ofdm_pilot_subcarriers(isac_ofdm q);
unsigned isac_ofdm_block_bytes(isac_ofdm q);   /* CRC included */
unsigned isac_ofdm_payload_bytes(isac_ofdm q); /* per block, >= 1 */
/* nfft / occupied: power of one occupied subcarrier relative to a unit-power sample. */
double isac_ofdm_psd_factor(isac_ofdm q);

/* Signed subcarrier index of occupied slot i (0..occupied-1), and whether it is a pilot
 * in data symbols. */
int isac_ofdm_subcarrier(isac_ofdm q, unsigned i);
int isac_ofdm_is_pilot(isac_ofdm q, unsigned i);

/* Known per-stream values (unit modulus) of occupied slot i: the preamble, and the pilot
 * of data symbol s (1..num_symbols). stream in 0..2^32-1. */
float complex isac_ofdm_preamble_value(unsigned stream, unsigned i);
float complex isac_ofdm_pilot_value(unsigned stream, unsigned s, unsigned i);

/* One burst of stream `stream` carrying payload (num_symbols * payload_bytes bytes, block
 * after block) into out (isac_ofdm_burst_length samples). ISAC_EINVAL on NULL buffers. */
int isac_ofdm_modulate(isac_ofdm q, unsigned stream, const uint8_t *payload, float complex *out);

/* Frequency-domain symbols of data symbol s (1..num_symbols) as modulated: the unit-power
 * constellation points of every occupied slot (pilots included), for data-aided checks.
 * out: occupied values. */
int isac_ofdm_symbol_values(isac_ofdm q, unsigned stream, const uint8_t *payload, unsigned s,
                            float complex *out);

/* The scrambled, CRC-protected bits of block b (block_bytes bytes) as sent; used by the
 * receiver (descrambling) and tests. */
void isac_ofdm_scramble(unsigned stream, unsigned block, uint8_t *bytes, size_t n);

/* Deterministic test payload: num_symbols * payload_bytes bytes drawn from (seed, stream). */
void isac_ofdm_payload_random(isac_ofdm q, uint64_t seed, unsigned stream, uint8_t *payload);

#endif
