/* View frames and their JSON (view_frame.h). */
#include "common/strbuf.h"
#include "serve/view_frame.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "serve/live_view.h"

#define MARGIN_NONE INT_MIN /* a cell no AP sees (threshold not finite/positive) */

int view_frame_reserve(struct view_frame *f, unsigned nx, unsigned ny)
{
    size_t n = (size_t)nx * ny;
    if (n > f->cap) {
        float *l = realloc(f->lambda, n * sizeof *l);
        if (l)
            f->lambda = l;
        float *t = l ? realloc(f->threshold, n * sizeof *t) : NULL;
        if (!t)
            return ISAC_ENOMEM;
        f->threshold = t;
        f->cap = n;
    }
    f->nx = nx;
    f->ny = ny;
    return ISAC_OK;
}

void view_frame_clear(struct view_frame *f)
{
    json_decref(f->meta);
    f->meta = NULL;
    f->have_map = f->have_pattern = 0;
}

void view_frame_free(struct view_frame *f)
{
    view_frame_clear(f);
    free(f->lambda);
    free(f->threshold);
    f->lambda = f->threshold = NULL;
    f->cap = 0;
}

/* Margin of one cell in tenths of a dB (clipped), or MARGIN_NONE. */
static int cell_margin(float lambda, float threshold)
{
    if (!(threshold > 0) || !isfinite(threshold) || !isfinite(lambda))
        return MARGIN_NONE;
    double db = lambda > 0 ? 10 * log10((double)lambda / threshold) : -VIEW_MARGIN_CLIP_DB;
    db = fmax(-VIEW_MARGIN_CLIP_DB, fmin(VIEW_MARGIN_CLIP_DB, db));
    return (int)lround(db * 10);
}

unsigned view_map_reduce(const float *lambda, const float *threshold, unsigned nx, unsigned ny,
                         int *margins, unsigned *mx, unsigned *my)
{
    unsigned big = nx > ny ? nx : ny;
    unsigned b = big > VIEW_MAP_MAX ? (big + VIEW_MAP_MAX - 1) / VIEW_MAP_MAX : 1;
    *mx = (nx + b - 1) / b;
    *my = (ny + b - 1) / b;
    for (unsigned J = 0; J < *my; J++)
        for (unsigned I = 0; I < *mx; I++) {
            int best = MARGIN_NONE;
            for (unsigned j = J * b; j < ny && j < (J + 1) * b; j++)
                for (unsigned i = I * b; i < nx && i < (I + 1) * b; i++) {
                    int m = cell_margin(lambda[(size_t)j * nx + i], threshold[(size_t)j * nx + i]);
                    best = m > best ? m : best;
                }
            margins[(size_t)J * *mx + I] = best;
        }
    return b;
}

/* The map and the pattern are written as text directly into a strbuf (thousands
 * of numbers: building a jansson value per number costs the publisher more than the rest). */
static void map_text(struct isac_strbuf *b, const struct view_frame *f)
{
    unsigned mx, my;
    size_t n = (size_t)f->nx * f->ny;
    int *m = malloc((n ? n : 1) * sizeof *m);
    if (!m) {
        b->bad = 1;
        return;
    }
    unsigned blk = view_map_reduce(f->lambda, f->threshold, f->nx, f->ny, m, &mx, &my);
    float lmax = 0, tmin = INFINITY, tmax = 0;
    for (size_t k = 0; k < n; k++) {
        if (isfinite(f->lambda[k]) && f->lambda[k] > lmax)
            lmax = f->lambda[k];
        if (f->threshold[k] > 0 && isfinite(f->threshold[k])) {
            tmin = f->threshold[k] < tmin ? f->threshold[k] : tmin;
            tmax = f->threshold[k] > tmax ? f->threshold[k] : tmax;
        }
    }
    isac_strbuf_printf(b,
                       ",\"map\":{\"nx\":%u,\"ny\":%u,\"block\":%u,\"cells_x\":%u,\"cells_y\":%u,"
                       "\"x0\":%.9g,\"y0\":%.9g,\"dx\":%.9g,\"dy\":%.9g,\"lambda_max\":%.6g,"
                       "\"threshold_min\":%.6g,\"threshold_max\":%.6g,\"episode\":%llu,\"step\":%u,"
                       "\"margin_db_x10\":[",
                       mx, my, blk, f->nx, f->ny, f->x0, f->y0, f->dx * blk, f->dy * blk,
                       (double)lmax, isfinite(tmin) ? (double)tmin : 0.0, (double)tmax,
                       (unsigned long long)f->map_episode, f->map_step);
    for (size_t k = 0; k < (size_t)mx * my; k++) {
        if (m[k] == MARGIN_NONE)
            isac_strbuf_printf(b, k ? ",null" : "null");
        else
            isac_strbuf_printf(b, k ? ",%d" : "%d", m[k]);
    }
    isac_strbuf_printf(b, "]}");
    free(m);
}

static void pattern_text(struct isac_strbuf *b, const struct view_frame *f)
{
    isac_strbuf_printf(b, ",\"pattern\":{\"angle_deg0\":-90,\"step_deg\":1,\"gain_db\":[");
    for (unsigned k = 0; k < VIEW_PATTERN_POINTS; k++)
        isac_strbuf_printf(b, k ? ",%.2f" : "%.2f",
                           isfinite(f->pattern_db[k]) ? f->pattern_db[k] : -100.0);
    isac_strbuf_printf(b, "]}");
}

char *view_frame_encode(const struct view_frame *f, uint64_t seq,
                        const struct live_view_counters *c)
{
    json_t *o = f->meta ? json_deep_copy(f->meta) : json_object();
    if (!o)
        return NULL;
    json_object_set_new(o, "seq", json_integer((json_int_t)seq));
    if (c)
        json_object_set_new(
            o, "view",
            json_pack("{s:I,s:I,s:I,s:I,s:I,s:I}", "published", (json_int_t)c->published,
                      "decimated", (json_int_t)c->decimated, "dropped", (json_int_t)c->dropped,
                      "viewers", (json_int_t)c->viewers, "viewers_max", (json_int_t)c->viewers_max,
                      "viewer_skipped", (json_int_t)c->viewer_skipped));
    char *head = json_dumps(o, JSON_COMPACT | JSON_REAL_PRECISION(6));
    json_decref(o);
    size_t hl = head ? strlen(head) : 0;
    if (hl < 2 || head[hl - 1] != '}') {
        free(head);
        return NULL;
    }
    /* the object's text without its closing brace, then the map and the pattern */
    struct isac_strbuf b = {head, hl - 1, hl + 1, 0};
    head[hl - 1] = '\0';
    if (f->have_map)
        map_text(&b, f);
    if (f->have_pattern)
        pattern_text(&b, f);
    isac_strbuf_printf(&b, "}");
    if (b.bad) {
        free(b.s);
        return NULL;
    }
    return b.s;
}
