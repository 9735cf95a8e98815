/* Highway slots -> live view frames (hwy_view.h). */
#include "serve/hwy_view.h"

#include <stdlib.h>
#include <string.h>

#include "serve/run_view.h"
#include "track/tracker.h"

struct hwy_view_s {
    live_view v;
    int (*should_stop)(void *ctx);
    void *stop_ctx;
    struct isac_hwy_observer obs;
    uint64_t slots, detections;
    /* the last slot, for the final frame */
    json_t *last; /* meta of the last slot (tracks, users) */
    float pattern[VIEW_PATTERN_POINTS];
    int have_pattern;
};

static json_t *tracks_json(const struct isac_hwy_slot_view *s)
{
    json_t *a = json_array();
    for (unsigned i = 0; a && i < s->ntracks; i++) {
        const struct isac_trk_track *t = &s->tracks[i];
        json_array_append_new(a, json_pack("{s:i,s:f,s:f,s:f,s:f,s:b}", "id", (json_int_t)t->id,
                                           "x", t->f.x[0], "y", t->f.x[1], "vx", t->f.x[2], "vy",
                                           t->f.x[3], "confirmed", t->confirmed));
    }
    return a;
}

static json_t *users_json(const struct isac_hwy_slot_view *s)
{
    json_t *a = json_array();
    for (unsigned i = 0; a && i < s->nusers; i++) {
        const struct isac_hwy_user_slot *u = &s->users[i];
        json_array_append_new(a, json_pack("{s:i,s:i,s:f,s:f}", "id", (json_int_t)u->id, "rsu",
                                           (json_int_t)u->rsu, "sinr_db", u->sinr_db,
                                           "model_sinr_db", u->model_sinr_db));
    }
    return a;
}

/* The frame's fields of slot s (the live-view "Frame" table, highway kind). */
static json_t *slot_json(const struct hwy_view_s *hv, const struct isac_hwy_slot_view *s)
{
    return json_pack("{s:s,s:i,s:i,s:f,s:i,s:i,s:o,s:o,s:{s:I,s:I},s:n,s:n,s:b}", "kind", "highway",
                     "episode", 0, "step", (json_int_t)s->slot, "time_s", s->t_s, "cpi",
                     (json_int_t)hv->slots, "vehicles", (json_int_t)s->vehicles, "tracks",
                     tracks_json(s), "users", users_json(s), "totals", "cpis",
                     (json_int_t)hv->slots, "detections", (json_int_t)hv->detections, "radio",
                     "calibration", "paused", live_view_paused(hv->v));
}

static void fill(struct hwy_view_s *hv, struct view_frame *f, const char *state)
{
    f->meta = json_deep_copy(hv->last);
    if (f->meta)
        json_object_set_new(f->meta, "state", json_string(state));
    memcpy(f->pattern_db, hv->pattern, sizeof hv->pattern);
    f->have_pattern = hv->have_pattern;
}

static int on_slot(void *ctx, const struct isac_hwy_slot_view *s)
{
    struct hwy_view_s *hv = ctx;
    hv->slots++;
    hv->detections += s->detections;
    int paused = live_view_paused(hv->v);
    if (live_view_due(hv->v, paused)) {
        struct view_frame *f = live_view_slot(hv->v);
        json_decref(hv->last);
        hv->last = slot_json(hv, s);
        hv->have_pattern = s->plan0 && s->arr;
        if (hv->have_pattern)
            run_view_plan_pattern((isac_array)s->arr, s->plan0, hv->pattern);
        if (f) {
            fill(hv, f, paused ? "paused" : "running");
            live_view_commit(hv->v);
        }
    } else if (s->slot + 1 == s->slots) { /* the final frame shows the last slot */
        json_decref(hv->last);
        hv->last = slot_json(hv, s);
    }
    live_view_paused_wait(hv->v, hv->should_stop, hv->stop_ctx);
    return live_view_stop_requested(hv->v) || (hv->should_stop && hv->should_stop(hv->stop_ctx));
}

hwy_view hwy_view_create(live_view v, int (*should_stop)(void *ctx), void *stop_ctx)
{
    struct hwy_view_s *hv = calloc(1, sizeof *hv);
    if (!hv)
        return NULL;
    hv->v = v;
    hv->should_stop = should_stop;
    hv->stop_ctx = stop_ctx;
    hv->obs = (struct isac_hwy_observer){hv, on_slot};
    hv->last = json_pack("{s:s,s:i,s:i}", "kind", "highway", "episode", 0, "cpi", 0);
    return hv;
}

const struct isac_hwy_observer *hwy_view_observer(hwy_view hv)
{
    return &hv->obs;
}

struct final_ctx {
    struct hwy_view_s *hv;
    const json_t *result;
    const char *state;
};

static void fill_final(void *ctx, struct view_frame *f)
{
    const struct final_ctx *x = ctx;
    fill(x->hv, f, x->state);
    if (f->meta && x->result)
        json_object_set_new(f->meta, "summary",
                            json_pack("{s:O*,s:O*}", "slots", json_object_get(x->result, "slots"),
                                      "tracking", json_object_get(x->result, "tracking")));
}

void hwy_view_finish(hwy_view hv, const json_t *result, const char *state)
{
    struct final_ctx x = {hv, result, state};
    live_view_publish_now(hv->v, fill_final, &x);
}

json_t *hwy_view_stats(hwy_view hv)
{
    return live_view_stats_json(hv->v, hv->slots);
}

void hwy_view_destroy(hwy_view hv)
{
    if (!hv)
        return;
    json_decref(hv->last);
    free(hv);
}
