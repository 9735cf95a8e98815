/* One user's OFDM receiver: works on that user's own IQ only, as a hardware UE would.
 *
 * Chain (docs/comm.md):
 *   1. timing: correlate the capture with the stream's known preamble body over offsets
 *      0..search, take the peak;
 *   2. CFO: phase of the cyclic-prefix autocorrelation summed over all symbols
 *      (range |cfo| < 1/(2 nfft) cycles/sample; Doppler of a single path is included);
 *   3. FFT of each symbol, the window started `backoff` = cp/4 samples inside the prefix
 *      (so a path slightly earlier than the peak stays causal);
 *   4. channel estimate from the preamble: least-squares fit of an L = cp tap impulse
 *      response to the per-subcarrier ratios Y_k / X_k (LAPACK zposv on the L x L normal
 *      equations). The fit residual gives the noise-plus-interference power per
 *      subcarrier, sigma2 = ||z - H^||^2 / (occupied - L) (unbiased), and the signal
 *      power S = mean |H^_k|^2 - sigma2 L / occupied: SINR from pilots = S / sigma2;
 *   5. per data symbol, the common phase from the pilots (residual CFO / phase noise),
 *      zero-forcing equalisation, liquid-dsp demodulation (hard decisions);
 *   6. SINR from EVM: mean |ref|^2 / mean |z - ref|^2 over data subcarriers, ref the
 *      decided constellation point (decision-directed; biased high when symbol errors are
 *      frequent, i.e. below ~6 dB for QPSK). It includes the channel-estimation error,
 *      so at high SINR it sits about 10 log10(1 + L / occupied) dB below the pilot SINR;
 *   7. descrambling and CRC-32 per block.
 */
#ifndef ISACTB_COMM_OFDM_RX_H
#define ISACTB_COMM_OFDM_RX_H

#include <complex.h>
#include <stddef.h>
#include <stdint.h>

#include "comm/ofdm.h"

typedef struct isac_ofdm_rx_s *isac_ofdm_rx;

struct isac_ofdm_rx_result {
    size_t timing;       /* sample index of the preamble's cyclic prefix start */
    double cfo;          /* estimated CFO, cycles per sample */
    double signal_power; /* S per occupied subcarrier, in units of the capture's samples */
    double noise_power;  /* noise + interference per occupied subcarrier, same units */
    double sinr_pilot;   /* S / noise_power, linear (may be <= 0 at very low SINR) */
    double sinr_evm;     /* linear */
    unsigned blocks;     /* num_symbols */
    unsigned blocks_ok;  /* CRC passed */
};

/* Receiver for stream `stream` of bursts with parameters p; the preamble is searched at
 * offsets 0..search (samples, <= 1e6). NULL with one line in err on bad arguments. */
isac_ofdm_rx isac_ofdm_rx_create(const struct isac_ofdm_params *p, unsigned stream, unsigned search,
                                 char *err, size_t errlen);
void isac_ofdm_rx_destroy(isac_ofdm_rx q);

/* Receive one burst from y (ny >= search + burst length samples). payload (optional):
 * num_symbols * payload_bytes decoded bytes; block_ok (optional): num_symbols flags
 * (1 = CRC passed). ISAC_EINVAL on bad arguments or a capture too short. */
int isac_ofdm_rx_process(isac_ofdm_rx q, const float complex *y, size_t ny, uint8_t *payload,
                         uint8_t *block_ok, struct isac_ofdm_rx_result *res);

#endif
