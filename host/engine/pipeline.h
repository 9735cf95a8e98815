/* One sensing step of the closed loop, identical live and in replay:
 *
 *   transmit plan (plan/plan.h; a codebook beam q is the plan W[:, K] = w_q) -> composed
 *   per-element signal x_m = sum_s W[m, s] sqrt(p_s) u_s (u_K = the probe s, u_0..u_{K-1}
 *   the QPSK comm streams) -> timed TX
 *   burst -> timed RX window (L + window_guard samples on every receive channel)
 *   -> per receive AP, one unit (host/detect/ap_unit.h): matched filter per channel,
 *   direct-path cancellation, noise variance from the last noise_bins lags, the AP's
 *   terms of the position-grid GLRT -> fusion (host/detect/fusion.h): Lambda per cell
 *   summed over the APs, each cell at its own CFAR threshold -> best cell, detection
 *   flag and the P_D estimate of seed 004 eq. (24) at the bias-corrected non-centrality.
 *
 * isac_pipeline_process() is the pure part (samples in, decision out): `replay` and
 * `detect` run it on recorded windows, so a replay reproduces the live decisions bit
 * for bit.
 */
#ifndef ISACTB_EXP_PIPELINE_H
#define ISACTB_EXP_PIPELINE_H

#include <complex.h>
#include <stddef.h>
#include <stdint.h>

#include "array/codebook.h"
#include "dsp/correction.h"
#include "detect/ap_unit.h"
#include "detect/fusion.h"
#include "engine/config.h"
#include "plan/plan.h"
#include "radio.h"

typedef struct isac_pipeline_s *isac_pipeline;

/* A confirmation dwell looks only near a declared position (see isac_pipeline_step). */
struct isac_pipeline_focus {
    double x, y;     /* declared position, m */
    double radius_m; /* cells within this distance are tested, m */
};

struct isac_pipeline_result {
    int beam;            /* codebook beam of the plan transmitted, -1 for another plan
                            (the caller of isac_pipeline_process sets it) */
    int confirm;         /* this CPI was a confirmation dwell (focus given) */
    int64_t tick;        /* tick of the RX window */
    int detected;        /* target declared: the best cell's H0 tail probability is below
                            pfa / (cells tested): a false-alarm rate <= pfa per CPI over the
                            whole grid (search) or over the focus neighbourhood (confirm) */
    double lambda;       /* GLRT statistic of the best cell (2*lambda ~ chi2(2N) under H0) */
    double threshold;    /* that cell's per-cell CFAR threshold at pfa */
    unsigned num_aps;    /* receive APs that see the best cell */
    double x, y;         /* best cell position, m */
    double pd;           /* P_D estimate at the best cell (0 when not detected) */
    unsigned cells_over; /* cells above their own per-cell threshold (about pfa * cells
                            under H0) */
    uint64_t dropped;    /* samples lost in this window */
    uint32_t missing;    /* bit n: AP n's block did not come from its node in time (isactb
                            fuse): the CPI was fused from the others, or skipped (all bits:
                            nothing tested, lambda and threshold 0, num_aps 0) */
    double noise_var[ISAC_RADIO_MAX_APS]; /* estimated per-element noise variance per AP */
};

/* Build the processing chain for a radio (its info: channels, APs, geometry, rate)
 * and a codebook over its transmit array. Validates that the codebook matches the
 * radio's TX channel count. NULL with one line in err on failure. */
/* The element positions the processing uses: the radio's (info), with the config's
 * `array:` section applied. A radio that knows its positions (!positions_nominal) is the
 * truth and the section must match it (within 1e-9 wavelengths); a radio that only
 * assumed a ULA gets the section's positions. rx_positions_wl applies to every receive AP.
 * ISAC_EINVAL with one line naming the field and both values on a mismatch or a
 * count that does not fit the radio. isac_pipeline_create and isac_exp_codebook call it. */
int isac_exp_array_apply(const struct isac_exp_config *cfg, struct isac_radio_info *info, char *err,
                         size_t errlen);

/* The probe of cfg->waveform (dsp/waveform.h; an m-sequence's degree from its length):
 * *L samples in *probe (malloc'd, the caller frees). ISAC_EINVAL with one line in err for
 * an invalid waveform, ISAC_ENOMEM. The pipeline correlates with exactly these samples. */
int isac_exp_probe_generate(const struct isac_exp_config *cfg, float complex **probe, size_t *L,
                            char *err, size_t errlen);

isac_pipeline isac_pipeline_create(const struct isac_exp_config *cfg,
                                   const struct isac_radio_info *info, isac_codebook cb, double pfa,
                                   char *err, size_t errlen);
void isac_pipeline_destroy(isac_pipeline p);

/* Threads that process one CPI (the per-AP units run in parallel, common/pool.h): 1 (the
 * default of isac_pipeline_create) runs them one after the other in the caller; 0 means every
 * online core. Results are bit for bit the same for any count: each unit writes its own
 * output block and fusion adds them in AP order. ISAC_EINVAL above
 * ISAC_POOL_MAX_THREADS, ISAC_ENOMEM when a thread cannot be started. */
int isac_pipeline_set_threads(isac_pipeline p, unsigned threads);
unsigned isac_pipeline_threads(isac_pipeline p);

size_t isac_pipeline_window_length(isac_pipeline p);       /* W = L + window_guard */
size_t isac_pipeline_probe_length(isac_pipeline p);        /* L */
const float complex *isac_pipeline_probe(isac_pipeline p); /* the unweighted probe (L samples) */

/* Live step: transmit plan at tick t0 and capture the window starting at t0.
 * The plan is composed (isac_tx_plan_compose) over the probe as sensing stream and K
 * QPSK comm streams (isac_pipeline_comm_stream); it must have the radio's TX element count
 * and one precoder for the band (ISAC_EINVAL / ISAC_ENOTSUP otherwise, one line in
 * isac_pipeline_last_error). A plan with element positions needs a radio that moves its
 * elements (ISAC_RADIO_CAP_MOVABLE: they are moved before the burst) or a replay radio (the
 * recording's positions); any other radio refuses it with ISAC_ENOTSUP (docs/ma.md: phases
 * on a fixed array are no movable-antenna emulation).
 * focus == NULL: search the whole grid; otherwise a confirmation dwell that tests only
 * the cells near focus (a declared position), so its P_D estimate is that of the
 * paper's known-position detector, free of the search's maximum-selection bias.
 * On a radio fault returns a negative isac_err (isac_radio_last_error() has the text). */
int isac_pipeline_step(isac_pipeline p, isac_radio r, const struct isac_tx_plan_s *plan, int64_t t0,
                       const struct isac_pipeline_focus *focus, struct isac_pipeline_result *res);
/* The window after the next isac_pipeline_step's will probably start at tick t0: that step
 * announces it to the radio (isac_radio_prepare_rx) right after its capture, so the radio's
 * plan-independent work for it (the emulator's noise) overlaps this step's processing.
 * One step only; results never depend on it. */
void isac_pipeline_set_next_window(isac_pipeline p, int64_t t0);
/* Why the last isac_pipeline_step refused its plan ("" when it did not). */
const char *isac_pipeline_last_error(isac_pipeline p);

/* Communication stream k (k < ISAC_PLAN_MAX_COMM) of this pipeline: L unit-power QPSK
 * symbols (waveform.h ISAC_WAVEFORM_QPSK) seeded from the experiment's seed and k, generated
 * on first use and kept. NULL on allocation failure. */
const float complex *isac_pipeline_comm_stream(isac_pipeline p, unsigned k);
/* The TX burst of the last isac_pipeline_step: num_tx rows of *len samples (what the radio
 * was given; tests compare it with isac_tx_plan_compose). */
const float complex *const *isac_pipeline_tx(isac_pipeline p, size_t *len);

/* Pure processing of one window: rx[ch] (W samples each, ch < num_rx). ISAC_EFORMAT
 * when a sample is not finite (NaN/Inf: nothing is computed). res->beam is left -1 for
 * the caller to record. The RX buffers the last isac_pipeline_step() captured are available
 * via isac_pipeline_rx(). */
int isac_pipeline_process(isac_pipeline p, const float complex *const *rx,
                          const struct isac_pipeline_focus *focus,
                          struct isac_pipeline_result *res);
float complex *const *isac_pipeline_rx(isac_pipeline p);
/* Metadata of the window the last isac_pipeline_step() captured (drops, overflow). */
const struct isac_radio_rx_md *isac_pipeline_rx_md(isac_pipeline p);

/* Per-channel array calibration applied by the pipeline: struct isac_chan_correction
 * (dsp/correction.h; calib/record.h builds it from a calibration record). */
_Static_assert(ISAC_CHAN_CORRECTION_MAX == ISAC_RADIO_MAX_CHANNELS,
               "one correction per radio channel");

/* Apply cal from now on (copied); NULL removes it (back to the raw chain). ISAC_EINVAL
 * with one line in err when cal does not fit this pipeline's radio or window. */
int isac_pipeline_set_calibration(isac_pipeline p, const struct isac_chan_correction *cal,
                                  char *err, size_t errlen);

/* Grid of the last processed window (row-major, ny rows of nx cells): statistic and
 * per-cell threshold. */
void isac_pipeline_grid(isac_pipeline p, unsigned *nx, unsigned *ny, const float **lambda,
                        const float **threshold);

/* The seam between per-AP processing and fusion (detect/ap_unit.h, detect/fusion.h):
 * AP n's output block of the last processed window (NULL for n >= num_rx_aps), and the
 * configuration a fusion over those blocks needs to decide as isac_pipeline_process does. */
const struct isac_ap_unit_out *isac_pipeline_ap_output(isac_pipeline p, unsigned n);
const struct isac_fusion_config *isac_pipeline_fusion_config(isac_pipeline p);

/* ---- distributed operation (isactb node / isactb fuse, host/net/, docs/distributed.md) ----
 * The seam is the per-AP block: a node runs isac_pipeline_step_node for its APs and ships
 * isac_pipeline_ap_output(p, n); the fuse's pipeline gets the blocks from a source instead of
 * its own radio and runs the same fusion, so the decisions are those of isac_pipeline_step. */

/* The fuse side: gather fills out[n] (n < num_rx_aps, shaped as isac_pipeline_ap_output; its
 * labels must be cpi and the plan's beam label) for the step's plan, RX window tick t0 and
 * CPI label cpi, and may fill the raw windows (the rows of isac_pipeline_rx(p), for a recording).
 * missing[n] = 1 marks AP n's block as absent: the pipeline empties it (no cell seen, terms
 * 0, noise 0, window zeros), so fusion decides from the other APs, and sets the bit in
 * isac_pipeline_result.missing. A negative isac_err fails the step. */
struct isac_pipeline_source {
    void *ctx;
    int (*gather)(void *ctx, struct isac_pipeline_s *p, const struct isac_tx_plan_s *plan,
                  int64_t t0, uint64_t cpi, uint32_t beam, struct isac_ap_unit_out *const *out,
                  uint8_t *missing);
};
/* From now on isac_pipeline_step takes its blocks from src (copied; NULL: the radio again). The
 * radio argument of isac_pipeline_step is then not used for TX or RX. */
void isac_pipeline_set_source(isac_pipeline p, const struct isac_pipeline_source *src);

/* Replay of a fuse's capture: after each live capture isac_pipeline_step asks absent(ctx) which
 * APs (bit n: AP n) the recording marks missing for this CPI, and empties their blocks
 * before fusion as the fuse did, so a partial CPI replays bit for bit. NULL: none. */
void isac_pipeline_set_absent(isac_pipeline p, uint32_t (*absent)(void *ctx), void *ctx);

/* The node side: transmit plan at t0 (nothing when tx is 0), capture the window, and run
 * the units of the APs in ap_mask (bit n: AP n) with CPI label cpi; their blocks are then
 * isac_pipeline_ap_output(p, n). Errors as isac_pipeline_step. */
int isac_pipeline_step_node(isac_pipeline p, isac_radio r, const struct isac_tx_plan_s *plan,
                            int64_t t0, uint64_t cpi, uint32_t ap_mask, int tx);
/* The label units give a plan's blocks: its codebook index, else UINT32_MAX. */
uint32_t isac_pipeline_plan_label(const struct isac_tx_plan_s *plan);
/* Compose plan into the TX burst (as isac_pipeline_step does) and return it: num_tx rows of *len
 * samples; NULL when the plan is refused (isac_pipeline_last_error). */
const float complex *const *
isac_pipeline_compose_tx(isac_pipeline p, const struct isac_tx_plan_s *plan, size_t *len);

#endif
