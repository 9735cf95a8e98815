/* Highway run history and figures (PLplot): trajectories with tracks, range RMSE against
 * the PCRB over time, SINR per user over time. */
#include <math.h>
#include <plplot/plplot.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/err.h"
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

struct hwy_series {
    struct vec pos, sinr, rmse;
};

struct hwy_series *hwy_series_create(void)
{
    return calloc(1, sizeof(struct hwy_series));
}

void hwy_series_free(struct hwy_series *s)
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

int hwy_series_point(struct hwy_series *s, double t, int kind, unsigned id, double x, double y)
{
    return s ? push(&s->pos, (struct pt){t, x, y, id, kind}) : ISAC_OK;
}
int hwy_series_sinr(struct hwy_series *s, double t, unsigned id, double meas_db, double model_db)
{
    return s ? push(&s->sinr, (struct pt){t, meas_db, model_db, id, 0}) : ISAC_OK;
}
int hwy_series_rmse(struct hwy_series *s, double t, double rmse_m, double pcrb_m)
{
    return s ? push(&s->rmse, (struct pt){t, rmse_m, pcrb_m, 0, 0}) : ISAC_OK;
}

static const char *pick_device(void)
{
    const char *menu_buf[128], *name_buf[128];
    const char **menu = menu_buf, **names = name_buf;
    int n = 128;
    plgFileDevs(&menu, &names, &n);
    for (int i = 0; i < n; i++)
        if (!strcmp(names[i], "pngcairo"))
            return "pngcairo";
    return "svg";
}

static void begin(const char *dir, const char *base, char *path, size_t plen, char *tmp,
                  size_t tlen)
{
    const char *dev = pick_device();
    const char *ext = strcmp(dev, "pngcairo") ? "svg" : "png";
    snprintf(path, plen, "%s/%s.%s", dir, base, ext);
    snprintf(tmp, tlen, "%s/.%s.tmp.%s", dir, base, ext);
    plsdev(dev);
    plsfnam(tmp);
    plspage(0, 0, 1000, 700, 0, 0);
    static const int pal[9][3] = {{0, 0, 0},      {31, 119, 180},  {214, 39, 40},
                                  {44, 160, 44},  {148, 103, 189}, {255, 127, 14},
                                  {23, 190, 207}, {140, 86, 75},   {227, 119, 194}};
    plscolbg(255, 255, 255);
    for (int i = 0; i < 9; i++)
        plscol0(i + 1, pal[i][0], pal[i][1], pal[i][2]);
    plinit();
    plcol0(1);
}

static int end(const char *path, const char *tmp, char *err, size_t errlen)
{
    plend();
    struct stat st;
    if (stat(tmp, &st) || st.st_size == 0 || rename(tmp, path)) {
        remove(tmp);
        isac_seterr(err, errlen, "%s: cannot write figure", path);
        return ISAC_EIO;
    }
    return ISAC_OK;
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

int hwy_report_figures(const struct hwy_series *s, const struct hwy_config *c, const char *dir,
                       char *err, size_t errlen)
{
    char path[1100], tmp[1100];
    size_t nmax = s->pos.n + s->sinr.n + s->rmse.n + 2;
    double *xs = malloc(nmax * sizeof(*xs)), *ys = malloc(nmax * sizeof(*ys));
    if (!xs || !ys) {
        free(xs);
        free(ys);
        isac_seterr(err, errlen, "%s: figures: out of memory", dir);
        return ISAC_ENOMEM;
    }
    /* 1. trajectories (thin, colour by vehicle) with tracks (black) */
    begin(dir, "highway_tracks", path, sizeof path, tmp, sizeof tmp);
    double hx = 0.5 * c->road_length_m, hy = 0.5 * c->road_width_m;
    plenv(-hx - 5, hx + 5, -hy - 3, hy + 3, 0, 0);
    pllab("x (m)", "y (m)", "Vehicles (colour) and confirmed/tentative tracks (black)");
    unsigned mid = max_id(&s->pos);
    for (unsigned id = 0; id <= mid; id++) {
        plcol0(2 + (int)(id % 8));
        draw_id(&s->pos, id, 0, 1, xs, ys);
        plcol0(1);
        draw_id(&s->pos, id, 1, 1, xs, ys);
    }
    int rc = end(path, tmp, err, errlen);
    /* 2. RMSE against the PCRB over time */
    if (rc == ISAC_OK) {
        begin(dir, "highway_rmse", path, sizeof path, tmp, sizeof tmp);
        double ymax = 1e-3;
        for (size_t i = 0; i < s->rmse.n; i++)
            ymax = fmax(ymax, fmax(s->rmse.p[i].a, s->rmse.p[i].b));
        plenv(0, c->duration_s, 0, 1.1 * ymax, 0, 0);
        pllab("time (s)", "range error (m)", "Track range RMSE (blue) and PCRB (red), per slot");
        for (int k = 0; k < 2; k++) {
            for (size_t i = 0; i < s->rmse.n; i++) {
                xs[i] = s->rmse.p[i].t;
                ys[i] = k ? s->rmse.p[i].b : s->rmse.p[i].a;
            }
            plcol0(2 + k);
            if (s->rmse.n > 1)
                plline((PLINT)s->rmse.n, xs, ys);
        }
        rc = end(path, tmp, err, errlen);
    }
    /* 3. SINR per user over time */
    if (rc == ISAC_OK) {
        begin(dir, "highway_sinr", path, sizeof path, tmp, sizeof tmp);
        double lo = 0, hi = 10;
        for (size_t i = 0; i < s->sinr.n; i++) {
            lo = fmin(lo, s->sinr.p[i].a);
            hi = fmax(hi, s->sinr.p[i].a);
        }
        plenv(0, c->duration_s, lo - 2, hi + 2, 0, 0);
        pllab("time (s)", "SINR (dB)", "Measured SINR from pilots, per user (colour)");
        unsigned ms = max_id(&s->sinr);
        for (unsigned id = 0; id <= ms; id++) {
            plcol0(2 + (int)(id % 8));
            draw_id(&s->sinr, id, 0, 0, xs, ys);
        }
        rc = end(path, tmp, err, errlen);
    }
    free(xs);
    free(ys);
    return rc;
}
