/* PLplot figure of `isactb calib verify`: theoretical and measured beam patterns. */
#include "calib/figure.h"

#include <math.h>
#include <plplot/plplot.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/err.h"
#include "common/child.h"
#include "common/out_dir.h"

static void curve(const double *x, const double *y, unsigned n, int col, int style)
{
    PLFLT xx[4096], yy[4096];
    unsigned m = n < 4096 ? n : 4096;
    for (unsigned i = 0; i < m; i++) {
        xx[i] = x[i];
        yy[i] = fmax(y[i], -60.0);
    }
    plcol0(col);
    pllsty(style);
    plline((PLINT)m, xx, yy);
    pllsty(1);
}

struct pattern_job {
    const char *path, *title;
    const double *phi_deg, *theory_db, *cal_db, *raw_db;
    unsigned n;
};

static int pattern_draw(void *ctx, char *err, size_t errlen)
{
    const struct pattern_job *j = ctx;
    const char *path = j->path, *title = j->title;
    const double *phi_deg = j->phi_deg, *theory_db = j->theory_db, *cal_db = j->cal_db,
                 *raw_db = j->raw_db;
    unsigned n = j->n;
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    int fd = isac_create_excl(tmp, err, errlen); /* never another run's file */
    if (fd < 0)
        return ISAC_EIO;
    close(fd);
    isac_child_owns(tmp);
    plsdev("svg");
    plsfnam(tmp);
    plspage(0, 0, 1000, 700, 0, 0);
    plscolbg(255, 255, 255);
    plscol0(1, 0, 0, 0);
    plscol0(2, 31, 119, 180);
    plscol0(3, 214, 39, 40);
    plscol0(4, 120, 120, 120);
    plinit();
    plcol0(1);
    pladv(0);
    /* the right quarter holds the legend (host/engine/figure.h conventions) */
    plvpor(0.11, 0.70, 0.14, 0.88);
    plwind(phi_deg[0], phi_deg[n - 1], -50, 3);
    plbox("bcnst", 0, 0, "bcnstv", 0, 0);
    if (raw_db)
        curve(phi_deg, raw_db, n, 4, 2);
    curve(phi_deg, theory_db, n, 2, 1);
    if (cal_db)
        curve(phi_deg, cal_db, n, 3, 1);
    plcol0(1); /* a plain title, whatever colour the curves were drawn in */
    pllab("beam steering angle (deg)", "normalised power (dB)", title);
    const char *text[3] = {"theory", "measured, calibrated", "measured, uncalibrated"};
    PLINT opt[3] = {PL_LEGEND_LINE, PL_LEGEND_LINE, PL_LEGEND_LINE}, tcol[3] = {1, 1, 1},
          lcol[3] = {2, 3, 4}, lsty[3] = {1, 1, 2};
    PLFLT lwid[3] = {1, 1, 1}, w, h;
    int nl = cal_db ? 2 : 1;
    if (raw_db) { /* the uncalibrated entry is the third whatever comes before it */
        text[nl] = text[2];
        lcol[nl] = 4;
        lsty[nl] = 2;
        nl++;
    }
    pllegend(&w, &h, PL_LEGEND_BACKGROUND | PL_LEGEND_BOUNDING_BOX,
             PL_POSITION_OUTSIDE | PL_POSITION_RIGHT, 0.02, 0, 0.05, 0, 1, 1, 0, 0, nl, opt, 0.6,
             0.75, 2.0, 0.0, tcol, text, NULL, NULL, NULL, NULL, lcol, lsty, lwid, NULL, NULL, NULL,
             NULL);
    plend();
    isac_child_owns(NULL);
    struct stat st;
    if (stat(tmp, &st) || st.st_size == 0 || rename(tmp, path)) {
        remove(tmp);
        isac_seterr(err, errlen, "%s: cannot write figure", path);
        return ISAC_EIO;
    }
    return ISAC_OK;
}

int isac_calib_pattern_figure(const char *path, const char *title, const double *phi_deg,
                              const double *theory_db, const double *cal_db, const double *raw_db,
                              unsigned n, char *err, size_t errlen)
{
    struct pattern_job j = {path, title, phi_deg, theory_db, cal_db, raw_db, n};
    return isac_run_isolated(pattern_draw, &j, err, errlen); /* host/common/child.h */
}
