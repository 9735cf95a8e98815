/* Highway run history and figures (PLplot): trajectories with tracks, range RMSE against
 * the PCRB over time, SINR per user over time. */
#include <math.h>
#include <plplot/plplot.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/child.h"
#include "common/err.h"
#include "engine/figure.h"
#include "engine/highway.h"
#include "engine/highway_series.h"

struct pt {
    double t, a, b;
    unsigned id;
    int kind;
};

struct vec {
    struct pt *p;
    size_t n, cap;
};

struct isac_hwy_series {
    struct vec pos, sinr, rmse;
};

struct isac_hwy_series *isac_hwy_series_create(void)
{
    return calloc(1, sizeof(struct isac_hwy_series));
}

void isac_hwy_series_free(struct isac_hwy_series *s)
{
    if (!s)
        return;
    free(s->pos.p);
    free(s->sinr.p);
    free(s->rmse.p);
    free(s);
}

static int push(struct vec *v, struct pt p)
{
    if (v->n == v->cap) {
        size_t cap = v->cap ? 2 * v->cap : 256;
        struct pt *q = realloc(v->p, cap * sizeof(*q));
        if (!q)
            return ISAC_ENOMEM;
        v->p = q;
        v->cap = cap;
    }
    v->p[v->n++] = p;
    return ISAC_OK;
}

int isac_hwy_series_point(struct isac_hwy_series *s, double t, int kind, unsigned id, double x,
                          double y)
{
    return s ? push(&s->pos, (struct pt){t, x, y, id, kind}) : ISAC_OK;
}
int isac_hwy_series_sinr(struct isac_hwy_series *s, double t, unsigned id, double meas_db,
                         double model_db)
{
    return s ? push(&s->sinr, (struct pt){t, meas_db, model_db, id, 0}) : ISAC_OK;
}
int isac_hwy_series_rmse(struct isac_hwy_series *s, double t, double rmse_m, double pcrb_m)
{
    return s ? push(&s->rmse, (struct pt){t, rmse_m, pcrb_m, 0, 0}) : ISAC_OK;
}

/* Points of one id and kind, in time order, as a polyline. */
static void draw_id(const struct vec *v, unsigned id, int kind, int xy, double *xs, double *ys)
{
    PLINT n = 0;
    for (size_t i = 0; i < v->n; i++)
        if (v->p[i].id == id && v->p[i].kind == kind) {
            xs[n] = xy ? v->p[i].a : v->p[i].t;
            ys[n] = xy ? v->p[i].b : v->p[i].a;
            n++;
        }
    if (n > 1)
        plline(n, xs, ys);
    else if (n == 1)
        plpoin(1, xs, ys, 2);
}

static unsigned max_id(const struct vec *v)
{
    unsigned m = 0;
    for (size_t i = 0; i < v->n; i++)
        m = v->p[i].id > m ? v->p[i].id : m;
    return m;
}

struct figures_job {
    const struct isac_hwy_series *s;
    const struct isac_hwy_config *c;
    const char *dir;
    double *xs, *ys;
};

/* 1. trajectories (thin, colour by vehicle) with tracks (black) */
static void tracks_draw(void *ctx)
{
    const struct figures_job *j = ctx;
    const struct isac_hwy_series *s = j->s;
    double hx = 0.5 * j->c->road_length_m, hy = 0.5 * j->c->road_width_m;
    isac_figure_axes(-hx - 5, hx + 5, -hy - 3, hy + 3, 0);
    isac_figure_labels("x (m)", "y (m)", "Vehicle trajectories and tracks");
    unsigned mid = max_id(&s->pos);
    for (unsigned id = 0; id <= mid; id++) {
        plcol0(2 + (int)(id % 8));
        draw_id(&s->pos, id, 0, 1, j->xs, j->ys);
        plcol0(1);
        draw_id(&s->pos, id, 1, 1, j->xs, j->ys);
    }
    static const char *const text[] = {"vehicles (colour each)", "tracks"};
    static const int col[] = {2, 1}, kind[] = {ISAC_FIGURE_LINE, ISAC_FIGURE_LINE};
    isac_figure_legend(2, text, col, kind, NULL, ISAC_FIGURE_RIGHT);
}

/* 2. RMSE against the PCRB over time */
static void rmse_draw(void *ctx)
{
    const struct figures_job *j = ctx;
    const struct isac_hwy_series *s = j->s;
    double ymax = 1e-3;
    for (size_t i = 0; i < s->rmse.n; i++)
        ymax = fmax(ymax, fmax(s->rmse.p[i].a, s->rmse.p[i].b));
    isac_figure_axes(0, j->c->duration_s, 0, 1.1 * ymax, 0);
    isac_figure_labels("time (s)", "range error (m)", "Track range RMSE and its PCRB, per slot");
    for (int k = 0; k < 2; k++) {
        for (size_t i = 0; i < s->rmse.n; i++) {
            j->xs[i] = s->rmse.p[i].t;
            j->ys[i] = k ? s->rmse.p[i].b : s->rmse.p[i].a;
        }
        plcol0(2 + k);
        if (s->rmse.n > 1)
            plline((PLINT)s->rmse.n, j->xs, j->ys);
    }
    static const char *const text[] = {"track range RMSE", "PCRB (bound)"};
    static const int col[] = {2, 3}, kind[] = {ISAC_FIGURE_LINE, ISAC_FIGURE_LINE};
    isac_figure_legend(2, text, col, kind, NULL, ISAC_FIGURE_RIGHT);
}

/* 3. SINR per user over time */
static void sinr_draw(void *ctx)
{
    const struct figures_job *j = ctx;
    const struct isac_hwy_series *s = j->s;
    double lo = 0, hi = 10;
    for (size_t i = 0; i < s->sinr.n; i++) {
        lo = fmin(lo, s->sinr.p[i].a);
        hi = fmax(hi, s->sinr.p[i].a);
    }
    isac_figure_axes(0, j->c->duration_s, lo - 2, hi + 2, 0);
    isac_figure_labels("time (s)", "SINR (dB)", "Measured SINR from pilots, per user");
    unsigned ms = max_id(&s->sinr);
    char text[8][32];
    const char *tp[8];
    int col[8], kind[8], n = 0;
    for (unsigned id = 0; id <= ms; id++) {
        plcol0(2 + (int)(id % 8));
        draw_id(&s->sinr, id, 0, 0, j->xs, j->ys);
        if (id < 8) {
            snprintf(text[n], sizeof text[n], ms < 8 ? "user %u" : "users %u, %u, ...", id, id + 8);
            tp[n] = text[n];
            col[n] = 2 + (int)id;
            kind[n++] = ISAC_FIGURE_LINE;
        }
    }
    if (s->sinr.n)
        isac_figure_legend(n, tp, col, kind, NULL, ISAC_FIGURE_RIGHT);
}

static int figures_draw(void *ctx, char *err, size_t errlen)
{
    struct figures_job *j = ctx;
    const struct isac_hwy_series *s = j->s;
    size_t nmax = s->pos.n + s->sinr.n + s->rmse.n + 2;
    j->xs = malloc(nmax * sizeof(*j->xs));
    j->ys = malloc(nmax * sizeof(*j->ys));
    int rc = ISAC_ENOMEM;
    if (!j->xs || !j->ys)
        isac_seterr(err, errlen, "%s: figures: out of memory", j->dir);
    else if (!(rc = isac_figure_write(j->dir, "highway_tracks", 700, 1, tracks_draw, j, err,
                                      errlen)) &&
             !(rc = isac_figure_write(j->dir, "highway_rmse", 700, 1, rmse_draw, j, err, errlen)))
        rc = isac_figure_write(j->dir, "highway_sinr", 700, 1, sinr_draw, j, err, errlen);
    free(j->xs);
    free(j->ys);
    return rc;
}

int isac_hwy_report_figures(const struct isac_hwy_series *s, const struct isac_hwy_config *c,
                            const char *dir, char *err, size_t errlen)
{
    /* PLplot in a child process: its failures become one line here (host/common/child.h) */
    struct figures_job j = {s, c, dir, NULL, NULL};
    return isac_run_isolated(figures_draw, &j, err, errlen);
}
