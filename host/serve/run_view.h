/* The live view of `isactb run` and `isactb replay` (docs/live-view.md): a isac_run_observer
 * (engine/run.h) that turns the loop's CPIs into view frames (serve/view_frame.h) on a
 * live_view (serve/live_view.h).
 *
 * Per CPI, in the loop's thread, it only updates running totals (CPIs, detections, P_D of
 * every step of the current episode); when live_view_due says a frame is wanted (at most
 * 20 per second) it also copies the GLRT grid and the transmit pattern into a free ring
 * slot. A run paused from the page waits here, between CPIs.
 *
 * Frame fields (the "Frame" table of docs/live-view.md): kind, state, episode, step, cpi,
 * tick, beam, confirm, focus, detection{detected, lambda, threshold, x, y, pd, cells_over,
 * num_aps}, pd_per_step[], totals{cpis, detections, episodes, episodes_detected},
 * radio{overflows, underflows, late_commands, dropped_samples, timeouts}, calibration,
 * tracks (null: no tracker yet), users (null, or [{id, sinr_db}] when the run has users),
 * map, pattern, view; the final frame adds summary (the run's JSON "summary").
 */
#ifndef ISACTB_SERVE_RUN_VIEW_H
#define ISACTB_SERVE_RUN_VIEW_H

#include <jansson.h>
#include <stddef.h>

#include "array/codebook.h"
#include "engine/config.h"
#include "engine/run.h"
#include "serve/live_view.h"

typedef struct run_view_s *run_view;

/* A view of a run of cfg on radio r (borrowed; its counters are read when a frame is
 * built) with codebook cb (borrowed) and the TX array of info (with cfg's array section
 * applied). calibration: the state shown on the page (stolen; may be NULL). should_stop
 * (may be NULL) ends a pause early (SIGINT). NULL with one line in err. */
run_view run_view_create(live_view v, const char *kind, const struct isac_exp_config *cfg,
                         const struct isac_radio_info *info, isac_codebook cb, isac_radio r,
                         json_t *calibration, int (*should_stop)(void *ctx), void *stop_ctx,
                         char *err, size_t errlen);
void run_view_destroy(run_view rv);

/* The observer to put into isac_run_hooks.observer (valid while rv lives). */
const struct isac_run_observer *run_view_observer(run_view rv);

/* The last frame: the last CPI with state ("finished", "stopped", "failed") and the run's
 * summary from result (may be NULL). Published even when the rate limit would skip it. */
void run_view_finish(run_view rv, const json_t *result, const char *state);

/* The view's counters for the run's --json ("view": published, decimated, dropped,
 * viewers_max, viewer_skipped, cpis). New reference. */
json_t *run_view_stats(run_view rv);

/* The transmit pattern of a plan (its sensing and communication streams of subcarrier 0,
 * each at its power, inactive elements silent) over array a: 10 log10 of the radiated
 * power gain at -90 + k deg, k < VIEW_PATTERN_POINTS (-100 dB floor). */
void run_view_plan_pattern(isac_array a, const struct isac_tx_plan_s *plan, float *gain_db);

#endif
