/* Per-channel corrections of a calibrated array, the data that flows from calibration
 * (calib/) to processing (engine/pipeline.h): a complex weight and a fractional delay per
 * RX and TX channel, and the system delay. It lives in the DSP core so that neither side
 * depends on the other. */
#ifndef ISACTB_DSP_CORRECTION_H
#define ISACTB_DSP_CORRECTION_H

#include <complex.h>

#define ISAC_CHAN_CORRECTION_MAX 256 /* channels per direction (= ISAC_RADIO_MAX_CHANNELS) */

/* Per-channel array calibration: what calib/ measures (calib/record.h builds it from a
 * calibration record; docs/calibration.md) and the pipeline applies (engine/pipeline.h). With a
 * calibration set:
 *   - TX: channel k transmits  tx_weight[k] x_k(t - tx_delay[k]), x_k its composed plan
 *     signal (a codebook beam: tx_weight[k] w_q[k] s(t - tx_delay[k])); the burst grows by
 *     ceil(max tx_delay) + ISAC_FDELAY_HALF samples;
 *   - RX: every window is corrected before matched filtering, y'_ch(t) =
 *     rx_weight[ch] y_ch(t - rx_delay[ch]) (windowed-sinc fractional delay, host/dsp/fdelay.h);
 *   - the position grid and the direct-path reference take MF lag 0 at the bistatic delay
 *     lag0_delay (the system delay left after alignment).
 * The recorded RX windows (isac_pipeline_rx) stay raw, so a replay applies the same correction. */
struct isac_chan_correction {
    unsigned num_rx, num_tx; /* must equal the radio's channel counts */
    float complex
        rx_weight[ISAC_CHAN_CORRECTION_MAX];   /* multiplies RX channel ch (finite, |w| <= 1e3) */
    double rx_delay[ISAC_CHAN_CORRECTION_MAX]; /* delays RX channel ch, samples, 0..64 */
    float complex tx_weight[ISAC_CHAN_CORRECTION_MAX]; /* multiplies TX channel k's beam weight */
    double tx_delay[ISAC_CHAN_CORRECTION_MAX]; /* delays TX channel k's probe, samples, 0..64 */
    double lag0_delay;                         /* samples, 0..window_guard/2 */
};

#endif
