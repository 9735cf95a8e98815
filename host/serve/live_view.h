/* The live view of an experiment (docs/live-view.md): an embedded HTTP server
 * (libmicrohttpd, thread per connection) serving one static page (web/, embedded at build
 * time) and a server-sent-events stream of view frames (GET /events), the latest frame as
 * JSON (GET /api/state) and token-guarded controls (POST /api/pause|resume|stop, and
 * POST /api/policy?name=NAME when the command offers policies).
 *
 * Data flow, and why the loop never waits for a browser:
 *
 *   loop thread --(live_view_due: at most max_rate_hz frames/s, the rest counted as
 *   decimated)--> a free slot of a bounded single-producer ring (VIEW_QUEUE_LEN slots;
 *   none free: the frame is dropped and counted) --> the publisher thread encodes it to
 *   JSON (view_frame.h) and makes it the latest frame --> every viewer's connection
 *   thread sends the latest frame it has not sent yet (a slow viewer skips frames; it
 *   never holds up the publisher or the loop).
 *
 * The loop side (live_view_due, live_view_slot, live_view_commit, live_view_counters,
 * live_view_paused_wait) takes no lock that a server thread holds: ring indices are C11
 * atomics, the only waiting is live_view_paused_wait while a viewer with the token paused.
 *
 * Security: bound to 127.0.0.1 unless an address is given; everything is read-only
 * except POST /api/{pause,resume,stop,policy}, which need the header "X-Isactb-Token: TOKEN"
 * (or "Authorization: Bearer TOKEN"): TOKEN is 128 random bits (getrandom) printed at
 * start, compared in constant time. Requests: header memory per connection is bounded
 * (oversized headers: 431 from libmicrohttpd), bodies over 4 kB: 413, unknown paths: 404,
 * other methods: 405 with Allow, missing token: 401, wrong token: 403; /api/policy with a
 * missing or unknown name: 400, on a view that offers no policies (replay, calib): 409.
 */
#ifndef ISACTB_SERVE_LIVE_VIEW_H
#define ISACTB_SERVE_LIVE_VIEW_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "serve/view_frame.h"

typedef struct live_view_s *live_view;

#define VIEW_QUEUE_LEN 4        /* frames between the loop and the publisher */
#define VIEW_MAX_RATE_HZ 20.0   /* what a browser can draw */
#define VIEW_MAX_CONNECTIONS 64 /* concurrent HTTP connections (viewers + requests) */

struct live_view_opts {
    const char *addr;   /* numeric IPv4 or IPv6 address to bind; NULL: "127.0.0.1" */
    unsigned port;      /* 0: an ephemeral port (live_view_port tells which) */
    const char *kind;   /* "run", "replay", "calib": shown on the page */
    double max_rate_hz; /* frames per second, (0, VIEW_MAX_RATE_HZ]; 0: VIEW_MAX_RATE_HZ */
};

/* Start the server. NULL with one line in err (address in use, bad address, ...). */
live_view live_view_create(const struct live_view_opts *o, char *err, size_t errlen);
/* Stop serving (viewers' streams end), join every thread, free. NULL is fine. */
void live_view_destroy(live_view v);

unsigned live_view_port(live_view v);       /* the bound port */
const char *live_view_token(live_view v);   /* 32 hex digits */
const char *live_view_address(live_view v); /* the bound address, as given */

/* ---- loop side ---- */
/* 1 when a frame may be published now (at most max_rate_hz per second); 0 counts one
 * decimated frame. force: always 1 (the final frame). */
int live_view_due(live_view v, int force);
/* The free slot to fill (its buffers are kept between uses), or NULL when the publisher
 * has not drained the ring: that frame is dropped and counted. */
struct view_frame *live_view_slot(live_view v);
/* Hand the filled slot to the publisher. */
void live_view_commit(live_view v);
/* Publish one frame now, waiting up to 2 s for a free slot (start and end of a command,
 * never per CPI): fill is called with the slot. ISAC_OK, or ISAC_EIO when the ring stayed
 * full (counted as dropped). */
int live_view_publish_now(live_view v, void (*fill)(void *ctx, struct view_frame *f), void *ctx);

struct live_view_counters {
    uint64_t published; /* frames encoded and offered to viewers */
    uint64_t decimated; /* CPIs not turned into a frame (rate limit) */
    uint64_t dropped;   /* frames lost because the ring was full */
    uint64_t viewers;   /* viewers connected now */
    uint64_t viewers_max;
    uint64_t viewer_skipped; /* frames slow viewers skipped (a newer one was ready) */
};
void live_view_counters(live_view v, struct live_view_counters *c);
/* The counters for a command's --json "view": {"cpis" (what the command counted), "published",
 * "decimated", "dropped", "viewers_max", "viewer_skipped"}. New reference. */
json_t *live_view_stats_json(live_view v, uint64_t cpis);

/* ---- controls (set by a viewer with the token) ---- */
int live_view_stop_requested(live_view v);
int live_view_paused(live_view v);
/* While paused: wait (in 100 ms slices) until resumed, stopped, or should_stop(ctx) is
 * non-zero (SIGINT). Returns at once when not paused. */
void live_view_paused_wait(live_view v, int (*should_stop)(void *ctx), void *ctx);

/* Offer the policies a viewer with the token may switch to (POST /api/policy?name=NAME):
 * n names (1..LIVE_VIEW_MAX_POLICIES, each 1..31 characters), copied. Call before the
 * first frame; without it the control answers 409. ISAC_EINVAL on bad arguments. */
#define LIVE_VIEW_MAX_POLICIES 16
int live_view_offer_policies(live_view v, const char *const *names, unsigned n);
/* The policy a viewer asked for since the last call (the request is consumed), or NULL.
 * Lock-free: the loop asks once per episode. */
const char *live_view_take_policy(live_view v);
/* The offered policies as a JSON array text for frames ("[]" when none): valid while v. */
unsigned live_view_policies(live_view v, const char *const **names);

/* Constant-time comparison of a presented token with the expected one: 1 when equal. */
int live_view_token_equal(const char *expected, const char *given);

#endif
