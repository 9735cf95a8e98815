#include "engine/report.h"

#include <math.h>
#include <plplot/plplot.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/err.h"
#include "common/child.h"
#include "common/out_dir.h"
#include "common/file_open.h"
#include "engine/figure.h"

/* Every episode's series `key` end to end, one colour per episode (cycling over 8). */
static void plot_episodes(const json_t *episodes, const char *key, double ymax, double line_y)
{
    size_t total = 0, ne = json_array_size(episodes);
    for (size_t e = 0; e < ne; e++)
        total += json_array_size(json_object_get(json_array_get(episodes, e), key));
    isac_figure_axes(0, total > 1 ? (double)total : 1.0, 0, ymax, 0);
    size_t off = 0;
    for (size_t e = 0; e < ne; e++) {
        const json_t *v = json_object_get(json_array_get(episodes, e), key);
        size_t n = json_array_size(v);
        PLFLT *x = malloc(n * sizeof *x), *y = malloc(n * sizeof *y);
        for (size_t i = 0; x && y && i < n; i++) {
            x[i] = (PLFLT)(off + i);
            y[i] = json_number_value(json_array_get(v, i));
        }
        plcol0(2 + (int)(e % 8));
        if (x && y && n) {
            plline((PLINT)n, x, y);
            plstring((PLINT)n, x, y, ISAC_FIGURE_DOT);
        }
        free(x);
        free(y);
        off += n;
    }
    if (line_y >= 0) {
        PLFLT lx[2] = {0, (PLFLT)(total > 1 ? total : 1)}, ly[2] = {line_y, line_y};
        plcol0(1);
        pllsty(2);
        plline(2, lx, ly);
        pllsty(1);
    }
}

/* The episodes' legend: one entry per colour (episodes e, e + 8, ... share it). */
static void episode_legend(size_t ne, const char *extra, int extra_kind)
{
    char text[9][48];
    const char *tp[9];
    int col[9], kind[9], n = 0;
    for (size_t c = 0; c < ne && c < 8; c++, n++) {
        if (ne <= 8)
            snprintf(text[n], sizeof text[n], "episode %zu", c);
        else
            snprintf(text[n], sizeof text[n], "episodes %zu, %zu, ...", c, c + 8);
        tp[n] = text[n];
        col[n] = 2 + (int)c;
        kind[n] = ISAC_FIGURE_LINE | ISAC_FIGURE_POINTS;
    }
    if (extra) {
        snprintf(text[n], sizeof text[n], "%s", extra);
        tp[n] = text[n];
        col[n] = 1;
        kind[n++] = extra_kind;
    }
    isac_figure_legend(n, tp, col, kind, NULL, ISAC_FIGURE_RIGHT);
}

static void timeline_draw(void *ctx)
{
    const json_t *episodes = ctx;
    double qmax = 1;
    for (size_t e = 0; e < json_array_size(episodes); e++) {
        const json_t *b = json_object_get(json_array_get(episodes, e), "beams");
        for (size_t i = 0; i < json_array_size(b); i++)
            qmax = fmax(qmax, (double)json_integer_value(json_array_get(b, i)) + 1);
    }
    plot_episodes(episodes, "beams", qmax * 1.05, -1);
    isac_figure_labels("step (all episodes end to end)", "beam index", "Beam chosen at each step");
    episode_legend(json_array_size(episodes), NULL, 0);
    plot_episodes(episodes, "pd", 1.05, 0.9);
    isac_figure_labels("step (all episodes end to end)", "P#dD#u estimate",
                       "Detection probability estimate at each step");
    episode_legend(json_array_size(episodes), "zeta (declaration threshold)", ISAC_FIGURE_DASHED);
}

int isac_report_timeline(const json_t *result, const char *dir, char *err, size_t errlen)
{
    const json_t *episodes = json_object_get(result, "episodes");
    if (!json_is_array(episodes)) {
        isac_seterr(err, errlen, "timeline: no episodes in the result");
        return ISAC_EINVAL;
    }
    return isac_figure_write(dir, "timeline", 900, 2, timeline_draw, (void *)episodes, err, errlen);
}

struct map_job {
    const struct isac_report_map *m;
    PLFLT **z;
    double zmax;
};

static void grid_map_draw(void *ctx)
{
    const struct map_job *j = ctx;
    const struct isac_report_map *m = j->m;
    char title[160];
    double x1 = m->x0 + m->dx * (m->nx - 1), y1 = m->y0 + m->dy * (m->ny - 1);
    /* white (noise) -> orange -> dark red (far above threshold) */
    PLFLT pos[3] = {0, 0.5, 1}, r[3] = {1, 1, 0.5}, gr[3] = {1, 0.6, 0}, b[3] = {1, 0.2, 0};
    plscmap1l(1, 3, pos, r, gr, b, NULL);
    pladv(0);
    /* room on the right for the colour bar and its label, below for the axis label */
    plvpor(0.12, 0.76, 0.20, 0.92);
    plwind(m->x0, x1, m->y0, y1);
    plimage((PLFLT_MATRIX)j->z, (PLINT)m->nx, (PLINT)m->ny, m->x0, x1, m->y0, y1, -10, j->zmax,
            m->x0, x1, m->y0, y1);
    plcol0(1);
    plbox("bcnst", 0, 0, "bcnstv", 0, 0);
    snprintf(title, sizeof title, "Grid GLRT map, episode %u step %u beam %u", m->episode, m->step,
             m->beam);
    isac_figure_labels("x (m)", "y (m)", title);
    PLFLT ax = m->info.tx_ap.x, ay = m->info.tx_ap.y;
    plcol0(1);
    plstring(1, &ax, &ay, ISAC_FIGURE_CROSS);
    for (unsigned n = 0; n < m->info.num_rx_aps; n++) {
        PLFLT rx = m->info.rx_ap[n].x, ry = m->info.rx_ap[n].y;
        plstring(1, &rx, &ry, ISAC_FIGURE_SQUARE);
    }
    PLFLT dx = m->det_x, dy = m->det_y;
    plcol0(2);
    plstring(1, &dx, &dy, ISAC_FIGURE_RING);
    int have_truth = isfinite(m->truth_x);
    if (have_truth) {
        PLFLT tx = m->truth_x, ty = m->truth_y;
        plcol0(4);
        plstring(1, &tx, &ty, ISAC_FIGURE_PLUS);
    }
    static const char *const text[] = {"TX AP", "RX APs", "detected cell", "truth"};
    static const char *const sym[] = {ISAC_FIGURE_CROSS, ISAC_FIGURE_SQUARE, ISAC_FIGURE_RING,
                                      ISAC_FIGURE_PLUS};
    static const int col[] = {1, 1, 2, 4}, kind[] = {ISAC_FIGURE_POINTS, ISAC_FIGURE_POINTS,
                                                     ISAC_FIGURE_POINTS, ISAC_FIGURE_POINTS};
    isac_figure_legend(have_truth ? 4 : 3, text, col, kind, sym, ISAC_FIGURE_BELOW);
    isac_figure_colorbar("Lambda / threshold (dB), white: <= -10 dB", -10, j->zmax);
}

int isac_report_grid_map(const struct isac_report_map *m, const char *dir, char *err, size_t errlen)
{
    struct map_job j = {m, NULL, 0};
    plAlloc2dGrid(&j.z, (PLINT)m->nx, (PLINT)m->ny);
    for (unsigned y = 0; y < m->ny; y++)
        for (unsigned x = 0; x < m->nx; x++) {
            double l = m->lambda[(size_t)y * m->nx + x], t = m->threshold[(size_t)y * m->nx + x];
            double v = (t > 0 && isfinite(t) && l > 0) ? 10 * log10(l / t) : -10;
            j.z[x][y] = v < -10 ? -10 : v;
            j.zmax = fmax(j.zmax, j.z[x][y]);
        }
    j.zmax += 1e-6;
    int rc = isac_figure_write(dir, "grid_map", 900, 1, grid_map_draw, &j, err, errlen);
    plFree2dGrid(j.z, (PLINT)m->nx, (PLINT)m->ny);
    return rc;
}

struct figures_job {
    const json_t *result;
    const struct isac_report_map *m;
    const char *dir;
};

static int figures_draw(void *ctx, char *err, size_t errlen)
{
    const struct figures_job *j = ctx;
    int rc = isac_report_timeline(j->result, j->dir, err, errlen);
    if (rc == ISAC_OK && j->m && j->m->lambda)
        rc = isac_report_grid_map(j->m, j->dir, err, errlen);
    return rc;
}

int isac_report_write_figures(const json_t *result, const struct isac_report_map *m,
                              const char *dir, char *err, size_t errlen)
{
    /* PLplot in a child process: its failures become one line here (host/common/child.h) */
    struct figures_job j = {result, m, dir};
    return isac_run_isolated(figures_draw, &j, err, errlen);
}

void isac_report_map_free(struct isac_report_map *m)
{
    if (!m)
        return;
    free(m->lambda);
    free(m->threshold);
    m->lambda = m->threshold = NULL;
}

/* ---- training curves (isactb train --out-dir) ---- */

struct training_job {
    const char *csv_path, *png_path;
};

enum { TRAIN_S = 5, TRAIN_NMAX = 200000 };

struct training_data {
    double *y[TRAIN_S], *y2;
    unsigned n[TRAIN_S];
};

/* The series of the curves file: twin (D, G losses), dt_cql, dt_nocql, online, offline. */
static int training_read(const char *csv_path, struct training_data *d, char *err, size_t errlen)
{
    static const char *series[TRAIN_S] = {"twin", "dt_cql", "dt_nocql", "online", "offline"};
    FILE *f = isac_fopen_input(csv_path, NULL, err, errlen);
    if (!f)
        return ISAC_EIO;
    d->y2 = calloc(TRAIN_NMAX, sizeof *d->y2);
    for (int s = 0; s < TRAIN_S; s++)
        d->y[s] = calloc(TRAIN_NMAX, sizeof(double));
    char line[512];
    while (fgets(line, sizeof line, f)) {
        char name[32];
        unsigned x;
        double a, b, c, e;
        if (sscanf(line, "%31[^,],%u,%lf,%lf,%lf,%lf", name, &x, &a, &b, &c, &e) != 6)
            continue;
        for (int s = 0; s < TRAIN_S; s++)
            if (!strcmp(name, series[s]) && d->n[s] < TRAIN_NMAX && d->y[s] && d->y2) {
                d->y[s][d->n[s]] = s == 0 ? a : s == 4 ? c : b;
                if (s == 0)
                    d->y2[d->n[s]] = b;
                d->n[s]++;
            }
    }
    fclose(f);
    return ISAC_OK;
}

static void training_plot(void *ctx)
{
    const struct training_data *d = ctx;
    double ymax = 1;
    unsigned xmax = 1;
    for (int s = 1; s < 4; s++) {
        xmax = d->n[s] > xmax ? d->n[s] : xmax;
        for (unsigned i = 0; i < d->n[s]; i++)
            ymax = d->y[s][i] > ymax ? d->y[s][i] : ymax;
    }
    isac_figure_axes(0, xmax, 0, ymax * 1.05, 0);
    isac_figure_labels("episode", "steps to detection (moving mean of 20)",
                       "Dueling DDQN training: steps per episode");
    for (int s = 1; s < 4; s++) {
        if (d->n[s] < 2)
            continue;
        PLFLT *px = malloc(d->n[s] * sizeof *px), *py = malloc(d->n[s] * sizeof *py);
        double acc = 0;
        for (unsigned i = 0; px && py && i < d->n[s]; i++) {
            acc += d->y[s][i] - (i >= 20 ? d->y[s][i - 20] : 0);
            px[i] = i;
            py[i] = acc / (i + 1 < 20 ? i + 1 : 20);
        }
        plcol0(1 + s);
        if (px && py)
            plline((PLINT)d->n[s], px, py);
        free(px);
        free(py);
    }
    static const char *const t1[] = {"DT + CQL (in the twin)", "DT without CQL", "online"};
    static const int c1[] = {2, 3, 4},
                     k1[] = {ISAC_FIGURE_LINE, ISAC_FIGURE_LINE, ISAC_FIGURE_LINE};
    isac_figure_legend(3, t1, c1, k1, NULL, ISAC_FIGURE_RIGHT);
    isac_figure_axes(0, d->n[0] > 1 ? d->n[0] : 1, 0, 2.5, 0);
    isac_figure_labels("epoch", "loss", "cGAN digital twin: training losses");
    if (d->n[0] > 1) {
        unsigned n = d->n[0];
        PLFLT *px = malloc(n * sizeof *px), *pa = malloc(n * sizeof *pa),
              *pb = malloc(n * sizeof *pb);
        for (unsigned i = 0; px && pa && pb && i < n; i++) {
            px[i] = i;
            pa[i] = d->y[0][i];
            pb[i] = d->y2[i];
        }
        if (px && pa && pb) {
            plcol0(2);
            plline((PLINT)n, px, pa);
            plcol0(3);
            plline((PLINT)n, px, pb);
        }
        free(px);
        free(pa);
        free(pb);
    }
    static const char *const t2[] = {"discriminator D (ideal 1.386)", "generator G (ideal 0.693)"};
    static const int c2[] = {2, 3}, k2[] = {ISAC_FIGURE_LINE, ISAC_FIGURE_LINE};
    isac_figure_legend(2, t2, c2, k2, NULL, ISAC_FIGURE_RIGHT);
}

static int training_draw(void *ctx, char *err, size_t errlen)
{
    const struct training_job *j = ctx;
    struct training_data d = {0};
    int rc = training_read(j->csv_path, &d, err, errlen);
    if (rc == ISAC_OK)
        rc = isac_figure_write_path(j->png_path, 900, 2, training_plot, &d, err, errlen);
    for (int s = 0; s < TRAIN_S; s++)
        free(d.y[s]);
    free(d.y2);
    return rc;
}

int isac_report_training_figure(const char *csv_path, const char *png_path, char *err,
                                size_t errlen)
{
    struct training_job j = {csv_path, png_path};
    return isac_run_isolated(training_draw, &j, err, errlen);
}
