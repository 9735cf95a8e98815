/* The live view of the highway scene (`isactb run --config highway.yaml --serve`,
 * docs/live-view.md): an observer of the highway engine (engine/highway.h) that turns its
 * slots into view frames (serve/view_frame.h) on a live view (serve/live_view.h).
 *
 * Per slot, in the run's thread, it updates totals; at most 20 times a second it builds a
 * frame: kind "highway", state, step (slot), cpi (slots so far), time_s, vehicles, the
 * tracks [{id, x, y, vx, vy, confirmed}] and the users served this slot [{id, rsu, sinr_db,
 * model_sinr_db}], totals {cpis, detections} (sensing measurements), and the transmit
 * pattern of RSU 0's plan. There is no GLRT map (the scene senses per vehicle). A paused
 * view holds the run between slots; the stop control ends it.
 */
#ifndef ISACTB_SERVE_HWY_VIEW_H
#define ISACTB_SERVE_HWY_VIEW_H

#include <jansson.h>

#include "engine/highway.h"
#include "serve/live_view.h"

typedef struct hwy_view_s *hwy_view;

/* A view on v (borrowed). should_stop (may be NULL) ends a pause early and stops the run
 * (SIGINT). NULL when out of memory. */
hwy_view hwy_view_create(live_view v, int (*should_stop)(void *ctx), void *stop_ctx);
void hwy_view_destroy(hwy_view hv);

/* The observer to pass to isac_hwy_run_watch (valid while hv lives). */
const struct isac_hwy_observer *hwy_view_observer(hwy_view hv);

/* The last frame (state "finished", "stopped" or "failed") with the run's result fields
 * "slots" and "tracking" (result may be NULL); published even when not due. */
void hwy_view_finish(hwy_view hv, const json_t *result, const char *state);

/* {"cpis" (slots), "published", "decimated", "dropped", "viewers_max", "viewer_skipped"}
 * for the run's --json "view". New reference. */
json_t *hwy_view_stats(hwy_view hv);

#endif
