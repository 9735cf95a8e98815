/* Run/replay CPIs -> live view frames (run_view.h). */
#include "serve/run_view.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "engine/episode.h"
#include "engine/pipeline.h"
#include "plan/plan.h"

struct run_view_s {
    live_view v;
    char kind[16];
    const struct isac_exp_config *cfg;
    isac_radio r;
    isac_array tx;
    unsigned ntx;
    float complex *w;    /* ntx: masked weights of one stream */
    float *beam_pattern; /* codebook beam q's pattern at q * VIEW_PATTERN_POINTS */
    unsigned char *beam_have;
    unsigned nbeams;
    json_t *calibration;
    int (*should_stop)(void *ctx);
    void *stop_ctx;
    struct isac_run_observer obs;
    char policy[32]; /* the policy deciding the current episode (loop thread) */
    /* running totals (loop thread) */
    uint64_t cpis, detections, episodes, episodes_detected;
    double *pd; /* P_D of every step of the current episode */
    unsigned max_steps;
    /* the last CPI (for the final frame) */
    int have_last;
    uint64_t episode;
    unsigned step;
    int64_t tick;
    struct isac_pipeline_result res;
    int have_focus;
    struct isac_pipeline_focus focus;
    float pattern[VIEW_PATTERN_POINTS];
    /* the last map published (a final frame shows it with its own episode/step) */
    struct view_frame map;
    isac_pipeline last_p; /* the last CPI's pipeline: valid until the episode's end */
    int map_is_last;      /* map holds the last CPI's grid */
};

void run_view_plan_pattern(isac_array a, const struct isac_tx_plan_s *plan, float *gain_db)
{
    unsigned n = isac_tx_plan_num_tx(plan), S = isac_tx_plan_num_streams(plan);
    const double *pw = isac_tx_plan_powers_const(plan);
    const uint8_t *act = isac_tx_plan_active(plan);
    float complex *w = malloc(n * sizeof *w);
    /* an MA beam radiates from its own positions (docs/ma.md) */
    isac_array moved =
        isac_tx_plan_positions(plan) ? isac_array_create(isac_tx_plan_positions(plan), n) : NULL;
    if (moved)
        a = moved;
    for (unsigned k = 0; k < VIEW_PATTERN_POINTS; k++) {
        double phi = (-90.0 + k) * M_PI / 180, g = 0;
        for (unsigned s = 0; w && n == isac_array_size(a) && s < S; s++) {
            const float complex *ws = isac_tx_plan_stream_weights(plan, 0, s);
            for (unsigned m = 0; m < n; m++)
                w[m] = act && !act[m] ? 0 : ws[m];
            g += pw[s] * isac_array_tx_gain(a, w, phi);
        }
        gain_db[k] = (float)(g > 1e-10 ? 10 * log10(g) : -100);
    }
    isac_array_destroy(moved);
    free(w);
}

static json_t *counters_json(isac_radio r)
{
    struct isac_radio_counters c = {0};
    if (r)
        isac_radio_get_counters(r, &c);
    return json_pack("{s:I,s:I,s:I,s:I,s:I}", "overflows", (json_int_t)c.overflows, "underflows",
                     (json_int_t)c.underflows, "late_commands", (json_int_t)c.late_commands,
                     "dropped_samples", (json_int_t)c.dropped_samples, "timeouts",
                     (json_int_t)c.timeouts);
}

/* The frame's scalar fields: the last CPI, the totals, the radio and calibration. */
static json_t *meta_json(const struct run_view_s *rv, const char *state)
{
    const struct isac_pipeline_result *res = &rv->res;
    json_t *pd = json_array();
    for (unsigned s = 0; rv->have_last && s <= rv->step && s < rv->max_steps; s++)
        json_array_append_new(pd, json_real(rv->pd[s]));
    json_t *m = json_pack(
        "{s:s,s:s,s:I,s:i,s:I,s:I,s:i,s:b,s:o,s:o,s:o,s:o,s:o}", "kind", rv->kind, "state", state,
        "episode", (json_int_t)rv->episode, "step", (json_int_t)rv->step, "cpi",
        (json_int_t)rv->cpis, "tick", (json_int_t)rv->tick, "beam", (json_int_t)res->beam,
        "confirm", res->confirm, "detection",
        json_pack("{s:b,s:f,s:f,s:f,s:f,s:f,s:i,s:i}", "detected", res->detected, "lambda",
                  res->lambda, "threshold", res->threshold, "x", res->x, "y", res->y, "pd", res->pd,
                  "cells_over", (json_int_t)res->cells_over, "num_aps", (json_int_t)res->num_aps),
        "pd_per_step", pd, "totals",
        json_pack("{s:I,s:I,s:I,s:I}", "cpis", (json_int_t)rv->cpis, "detections",
                  (json_int_t)rv->detections, "episodes", (json_int_t)rv->episodes,
                  "episodes_detected", (json_int_t)rv->episodes_detected),
        "radio", counters_json(rv->r), "calibration",
        rv->calibration ? json_deep_copy(rv->calibration) : json_null());
    if (!m)
        return NULL;
    json_object_set_new(m, "focus",
                        rv->have_focus ? json_pack("{s:f,s:f,s:f}", "x", rv->focus.x, "y",
                                                   rv->focus.y, "radius_m", rv->focus.radius_m)
                                       : json_null());
    json_object_set_new(m, "zeta", json_real(rv->cfg->zeta));
    json_object_set_new(m, "policy", json_string(rv->policy[0] ? rv->policy : rv->cfg->policy));
    const char *const *names;
    unsigned n = live_view_policies(rv->v, &names);
    json_t *offered = json_array();
    for (unsigned i = 0; i < n; i++)
        json_array_append_new(offered, json_string(names[i]));
    json_object_set_new(m, "policies", offered);
    json_object_set_new(m, "paused", json_boolean(live_view_paused(rv->v)));
    json_object_set_new(m, "tracks", json_null()); /* no tracker in the loop yet */
    json_object_set_new(m, "users", json_null());  /* [{id, sinr_db}] once runs have users */
    return m;
}

static void copy_map(struct view_frame *dst, const struct view_frame *src)
{
    if (!src->have_map || view_frame_reserve(dst, src->nx, src->ny))
        return;
    size_t n = (size_t)src->nx * src->ny;
    memcpy(dst->lambda, src->lambda, n * sizeof *dst->lambda);
    memcpy(dst->threshold, src->threshold, n * sizeof *dst->threshold);
    dst->x0 = src->x0;
    dst->y0 = src->y0;
    dst->dx = src->dx;
    dst->dy = src->dy;
    dst->map_episode = src->map_episode;
    dst->map_step = src->map_step;
    dst->have_map = 1;
}

/* Copy the grid of the CPI just processed (still in the pipeline) into f. */
static void grid_to_frame(struct run_view_s *rv, struct view_frame *f, isac_pipeline p)
{
    unsigned nx, ny;
    const float *lam, *thr;
    isac_pipeline_grid(p, &nx, &ny, &lam, &thr);
    if (nx && ny && view_frame_reserve(f, nx, ny) == ISAC_OK) {
        memcpy(f->lambda, lam, (size_t)nx * ny * sizeof *lam);
        memcpy(f->threshold, thr, (size_t)nx * ny * sizeof *thr);
        f->x0 = rv->cfg->grid.x_min;
        f->y0 = rv->cfg->grid.y_min;
        f->dx = f->dy = rv->cfg->grid.spacing_m;
        f->map_episode = rv->episode;
        f->map_step = rv->step;
        f->have_map = 1;
    }
}

/* A frame of the CPI just processed. */
static void fill_cpi_frame(struct run_view_s *rv, struct view_frame *f, isac_pipeline p)
{
    f->meta = meta_json(rv, live_view_paused(rv->v) ? "paused" : "running");
    grid_to_frame(rv, f, p);
    copy_map(&rv->map, f);
    rv->map_is_last = f->have_map;
    memcpy(f->pattern_db, rv->pattern, sizeof rv->pattern);
    f->have_pattern = 1;
}

static void update_pattern(struct run_view_s *rv, const struct isac_tx_plan_s *plan)
{
    int q = isac_tx_plan_beam(plan);
    if (q < 0 || (unsigned)q >= rv->nbeams) {
        run_view_plan_pattern(rv->tx, plan, rv->pattern);
        return;
    }
    float *g = rv->beam_pattern + (size_t)q * VIEW_PATTERN_POINTS;
    if (!rv->beam_have[q]) {
        run_view_plan_pattern(rv->tx, plan, g);
        rv->beam_have[q] = 1;
    }
    memcpy(rv->pattern, g, sizeof rv->pattern);
}

static void on_cpi(void *ctx, const struct isac_episode_cpi *c)
{
    struct run_view_s *rv = ctx;
    if (!rv->have_last || c->episode != rv->episode)
        memset(rv->pd, 0, rv->max_steps * sizeof *rv->pd);
    rv->have_last = 1;
    rv->episode = c->episode;
    rv->step = c->step;
    rv->tick = c->tick;
    rv->res = *c->res;
    rv->have_focus = c->focus != NULL;
    if (c->focus)
        rv->focus = *c->focus;
    if (c->step < rv->max_steps)
        rv->pd[c->step] = c->res->pd;
    rv->cpis++;
    rv->detections += c->res->detected != 0;
    update_pattern(rv, c->plan);
    rv->last_p = c->p;
    rv->map_is_last = 0;
    /* a paused run shows its state at once (the loop waits below) */
    int paused = live_view_paused(rv->v);
    struct view_frame *f = live_view_due(rv->v, paused) ? live_view_slot(rv->v) : NULL;
    if (f) {
        fill_cpi_frame(rv, f, c->p);
        live_view_commit(rv->v);
    }
    live_view_paused_wait(rv->v, rv->should_stop, rv->stop_ctx);
}

static void on_policy(void *ctx, const char *name, uint64_t episode)
{
    (void)episode;
    struct run_view_s *rv = ctx;
    snprintf(rv->policy, sizeof rv->policy, "%s", name);
}

static void on_episode(void *ctx, const struct isac_episode_status *s)
{
    struct run_view_s *rv = ctx;
    rv->episodes++;
    rv->episodes_detected += s->terminal != 0;
    /* the episode's last CPI may not have been published: keep its map for the final frame
     * (its pipeline still holds it; once per episode) */
    if (rv->last_p && !rv->map_is_last) {
        grid_to_frame(rv, &rv->map, rv->last_p);
        rv->map_is_last = 1;
    }
}

run_view run_view_create(live_view v, const char *kind, const struct isac_exp_config *cfg,
                         const struct isac_radio_info *info, isac_codebook cb, isac_radio r,
                         json_t *calibration, int (*should_stop)(void *ctx), void *stop_ctx,
                         char *err, size_t errlen)
{
    struct run_view_s *rv = calloc(1, sizeof *rv);
    struct isac_radio_info *in = malloc(sizeof *in);
    if (!rv || !in) {
        free(rv);
        free(in);
        json_decref(calibration);
        isac_seterr(err, errlen, "serve: out of memory");
        return NULL;
    }
    rv->v = v;
    snprintf(rv->kind, sizeof rv->kind, "%s", kind);
    rv->cfg = cfg;
    rv->r = r;
    rv->calibration = calibration;
    rv->should_stop = should_stop;
    rv->stop_ctx = stop_ctx;
    rv->max_steps = cfg->max_steps ? cfg->max_steps : 1;
    rv->nbeams = isac_codebook_size(cb);
    *in = *info;
    if (!isac_exp_array_apply(cfg, in, err, errlen))
        rv->tx = isac_radio_tx_array(in);
    free(in);
    rv->pd = calloc(rv->max_steps, sizeof *rv->pd);
    rv->beam_pattern = calloc((size_t)rv->nbeams * VIEW_PATTERN_POINTS + 1, sizeof(float));
    rv->beam_have = calloc(rv->nbeams + 1, 1);
    if (!rv->tx || !rv->pd || !rv->beam_pattern || !rv->beam_have) {
        if (rv->tx || !err[0])
            isac_seterr(err, errlen, "serve: cannot set up the run view");
        run_view_destroy(rv);
        return NULL;
    }
    rv->obs = (struct isac_run_observer){rv, on_cpi, on_episode, on_policy};
    return rv;
}

const struct isac_run_observer *run_view_observer(run_view rv)
{
    return &rv->obs;
}

struct final_ctx {
    struct run_view_s *rv;
    const json_t *result;
    const char *state;
};

static void fill_final(void *ctx, struct view_frame *f)
{
    const struct final_ctx *x = ctx;
    f->meta = meta_json(x->rv, x->state);
    if (f->meta && x->result)
        json_object_set_new(f->meta, "summary",
                            json_deep_copy(json_object_get(x->result, "summary")));
    copy_map(f, &x->rv->map);
    memcpy(f->pattern_db, x->rv->pattern, sizeof x->rv->pattern);
    f->have_pattern = x->rv->have_last;
}

void run_view_finish(run_view rv, const json_t *result, const char *state)
{
    struct final_ctx x = {rv, result, state};
    live_view_publish_now(rv->v, fill_final, &x);
}

json_t *run_view_stats(run_view rv)
{
    return live_view_stats_json(rv->v, rv->cpis);
}

void run_view_destroy(run_view rv)
{
    if (!rv)
        return;
    isac_array_destroy(rv->tx);
    free(rv->pd);
    free(rv->beam_pattern);
    free(rv->beam_have);
    json_decref(rv->calibration);
    view_frame_free(&rv->map);
    free(rv);
}
