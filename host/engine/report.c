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

static void plot_episodes(const json_t *episodes, const char *key, double ymax, double line_y)
{
    size_t total = 0, ne = json_array_size(episodes);
    for (size_t e = 0; e < ne; e++)
        total += json_array_size(json_object_get(json_array_get(episodes, e), key));
    plcol0(1);
    plenv(0, total > 1 ? (double)total : 1.0, 0, ymax, 0, 0);
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
            plpoin((PLINT)n, x, y, 17);
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

int report_timeline(const json_t *result, const char *dir, char *err, size_t errlen)
{
    const json_t *episodes = json_object_get(result, "episodes");
    if (!json_is_array(episodes)) {
        isac_seterr(err, errlen, "timeline: no episodes in the result");
        return ISAC_EINVAL;
    }
    struct figure f;
    double qmax = 1;
    for (size_t e = 0; e < json_array_size(episodes); e++) {
        const json_t *b = json_object_get(json_array_get(episodes, e), "beams");
        for (size_t i = 0; i < json_array_size(b); i++)
            qmax = fmax(qmax, (double)json_integer_value(json_array_get(b, i)) + 1);
    }
    if (figure_begin(&f, dir, "timeline", 800, 2, err, errlen))
        return ISAC_EIO;
    plot_episodes(episodes, "beams", qmax, -1);
    pllab("step (all episodes, colour = episode)", "beam index", "Beam chosen at each step");
    plot_episodes(episodes, "pd", 1.05, 0.9);
    pllab("step (all episodes)", "P#dD#u estimate",
          "Detection probability estimate (dashed: zeta)");
    return figure_end(&f, err, errlen);
}

int report_grid_map(const struct report_map *m, const char *dir, char *err, size_t errlen)
{
    char title[160];
    struct figure f;
    PLFLT **z = NULL;
    plAlloc2dGrid(&z, (PLINT)m->nx, (PLINT)m->ny);
    double zmax = 0;
    for (unsigned j = 0; j < m->ny; j++)
        for (unsigned i = 0; i < m->nx; i++) {
            double l = m->lambda[(size_t)j * m->nx + i], t = m->threshold[(size_t)j * m->nx + i];
            double v = (t > 0 && isfinite(t) && l > 0) ? 10 * log10(l / t) : -10;
            z[i][j] = v < -10 ? -10 : v;
            zmax = fmax(zmax, z[i][j]);
        }
    double x1 = m->x0 + m->dx * (m->nx - 1), y1 = m->y0 + m->dy * (m->ny - 1);
    if (figure_begin(&f, dir, "grid_map", 900, 1, err, errlen))
        return ISAC_EIO;
    /* white (noise) -> orange -> dark red (far above threshold) */
    PLFLT pos[3] = {0, 0.5, 1}, r[3] = {1, 1, 0.5}, gr[3] = {1, 0.6, 0}, b[3] = {1, 0.2, 0};
    plscmap1l(1, 3, pos, r, gr, b, NULL);
    pladv(0);
    plvpor(0.1, 0.9, 0.16, 0.9);
    plwind(m->x0, x1, m->y0, y1);
    plimage((PLFLT_MATRIX)z, (PLINT)m->nx, (PLINT)m->ny, m->x0, x1, m->y0, y1, -10, zmax + 1e-6,
            m->x0, x1, m->y0, y1);
    plcol0(1);
    plbox("bcnst", 0, 0, "bcnstv", 0, 0);
    snprintf(title, sizeof title,
             "Lambda / threshold (dB, white <= -10), episode %u step %u beam %u", m->episode,
             m->step, m->beam);
    pllab("x (m)", "y (m)", title);
    PLFLT ax = m->info.tx_ap.x, ay = m->info.tx_ap.y;
    plcol0(1);
    plpoin(1, &ax, &ay, 5);
    for (unsigned n = 0; n < m->info.num_rx_aps; n++) {
        PLFLT rx = m->info.rx_ap[n].x, ry = m->info.rx_ap[n].y;
        plpoin(1, &rx, &ry, 6);
    }
    PLFLT dx = m->det_x, dy = m->det_y;
    plcol0(2);
    plpoin(1, &dx, &dy, 4);
    if (isfinite(m->truth_x)) {
        PLFLT tx = m->truth_x, ty = m->truth_y;
        plcol0(4);
        plpoin(1, &tx, &ty, 2);
    }
    plcol0(1);
    plmtex("b", 5.0, 0.0, 0.0, "x: TX AP    squares: RX APs    o: detected cell    +: truth");
    plFree2dGrid(z, (PLINT)m->nx, (PLINT)m->ny);
    return figure_end(&f, err, errlen);
}

struct figures_job {
    const json_t *result;
    const struct report_map *m;
    const char *dir;
};

static int figures_draw(void *ctx, char *err, size_t errlen)
{
    const struct figures_job *j = ctx;
    int rc = report_timeline(j->result, j->dir, err, errlen);
    if (rc == ISAC_OK && j->m && j->m->lambda)
        rc = report_grid_map(j->m, j->dir, err, errlen);
    return rc;
}

int report_write_figures(const json_t *result, const struct report_map *m, const char *dir,
                         char *err, size_t errlen)
{
    /* PLplot in a child process: its failures become one line here (host/common/child.h) */
    struct figures_job j = {result, m, dir};
    return isac_run_isolated(figures_draw, &j, err, errlen);
}

void report_map_free(struct report_map *m)
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

static int training_draw(void *ctx, char *err, size_t errlen)
{
    const struct training_job *j = ctx;
    const char *csv_path = j->csv_path;
    char png_path[4200];
    snprintf(png_path, sizeof png_path, "%s.tmp", j->png_path);
    FILE *f = isac_fopen_input(csv_path, NULL, err, errlen);
    if (!f)
        return ISAC_EIO;
    int pfd = isac_create_excl(png_path, err, errlen); /* never another run's file */
    if (pfd < 0) {
        fclose(f);
        return ISAC_EIO;
    }
    close(pfd);
    isac_child_owns(png_path);
    enum { S = 5, NMAX = 200000 };
    static const char *series[S] = {"twin", "dt_cql", "dt_nocql", "online", "offline"};
    double *y[S] = {0}, *y2 = calloc(NMAX, sizeof *y2);
    unsigned n[S] = {0};
    for (int s = 0; s < S; s++)
        y[s] = calloc(NMAX, sizeof(double));
    char line[512];
    while (fgets(line, sizeof line, f)) {
        char name[32];
        unsigned x;
        double a, b, c, d;
        if (sscanf(line, "%31[^,],%u,%lf,%lf,%lf,%lf", name, &x, &a, &b, &c, &d) != 6)
            continue;
        for (int s = 0; s < S; s++)
            if (!strcmp(name, series[s]) && n[s] < NMAX && y[s] && y2) {
                y[s][n[s]] = s == 0 ? a : s == 4 ? c : b;
                if (s == 0)
                    y2[n[s]] = b;
                n[s]++;
            }
    }
    fclose(f);
    plsdev("pngcairo");
    plsfnam(png_path);
    plspage(0, 0, 1000, 800, 0, 0);
    plscolbg(255, 255, 255);
    plscol0(1, 0, 0, 0);
    plscol0(2, 31, 119, 180);
    plscol0(3, 214, 39, 40);
    plscol0(4, 44, 160, 44);
    plscol0(5, 148, 103, 189);
    plssub(1, 2);
    plinit();
    double ymax = 1;
    unsigned xmax = 1;
    for (int s = 1; s < 4; s++) {
        xmax = n[s] > xmax ? n[s] : xmax;
        for (unsigned i = 0; i < n[s]; i++)
            ymax = y[s][i] > ymax ? y[s][i] : ymax;
    }
    plcol0(1);
    plenv(0, xmax, 0, ymax, 0, 0);
    pllab("episode", "steps (moving mean of 20)",
          "dueling DDQN: blue DT+CQL, red DT w/o CQL, green online");
    for (int s = 1; s < 4; s++) {
        if (n[s] < 2)
            continue;
        PLFLT *px = malloc(n[s] * sizeof *px), *py = malloc(n[s] * sizeof *py);
        double acc = 0;
        for (unsigned i = 0; px && py && i < n[s]; i++) {
            acc += y[s][i] - (i >= 20 ? y[s][i - 20] : 0);
            px[i] = i;
            py[i] = acc / (i + 1 < 20 ? i + 1 : 20);
        }
        plcol0(1 + s);
        if (px && py)
            plline((PLINT)n[s], px, py);
        free(px);
        free(py);
    }
    plcol0(1);
    plenv(0, n[0] > 1 ? n[0] : 1, 0, 2.5, 0, 0);
    pllab("epoch", "loss", "cGAN twin: blue D (-> 1.386), red G (-> 0.693)");
    if (n[0] > 1) {
        PLFLT *px = malloc(n[0] * sizeof *px), *pa = malloc(n[0] * sizeof *pa),
              *pb = malloc(n[0] * sizeof *pb);
        for (unsigned i = 0; px && pa && pb && i < n[0]; i++) {
            px[i] = i;
            pa[i] = y[0][i];
            pb[i] = y2[i];
        }
        if (px && pa && pb) {
            plcol0(2);
            plline((PLINT)n[0], px, pa);
            plcol0(3);
            plline((PLINT)n[0], px, pb);
        }
        free(px);
        free(pa);
        free(pb);
    }
    plend();
    for (int s = 0; s < S; s++)
        free(y[s]);
    free(y2);
    struct stat st;
    isac_child_owns(NULL);
    if (stat(png_path, &st) || st.st_size == 0 || rename(png_path, j->png_path)) {
        unlink(png_path); /* created above by this call */
        isac_seterr(err, errlen, "%s: cannot write figure", j->png_path);
        return ISAC_EIO;
    }
    return ISAC_OK;
}

int report_training_figure(const char *csv_path, const char *png_path, char *err, size_t errlen)
{
    struct training_job j = {csv_path, png_path};
    return isac_run_isolated(training_draw, &j, err, errlen);
}
