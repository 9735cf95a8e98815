/* PLplot figures through exclusive temporaries, PNG and SVG (host/engine/figure.h). */
#include "engine/figure.h"

#include <plplot/plplot.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/child.h"
#include "common/err.h"
#include "common/out_dir.h"

/* 1 when PLplot has the file driver name (pngcairo needs the cairo driver package). */
static int have_device(const char *name)
{
    /* plgFileDevs fills caller-provided arrays of *n entries. */
    const char *menu_buf[128], *name_buf[128];
    const char **menu = menu_buf, **names = name_buf;
    int n = 128;
    plgFileDevs(&menu, &names, &n);
    for (int i = 0; i < n; i++)
        if (!strcmp(names[i], name))
            return 1;
    return 0;
}

static void setup(const char *dev, const char *tmp, int height, int nsub)
{
    plsdev(dev);
    plsfnam(tmp);
    plspage(0, 0, 1000, height, 0, 0);
    /* Print-friendly colours on white: index 1 = axes/text, 2..9 = series. */
    static const int pal[9][3] = {{0, 0, 0},      {31, 119, 180},  {214, 39, 40},
                                  {44, 160, 44},  {148, 103, 189}, {255, 127, 14},
                                  {23, 190, 207}, {140, 86, 75},   {227, 119, 194}};
    plscolbg(255, 255, 255);
    for (int i = 0; i < 9; i++)
        plscol0(i + 1, pal[i][0], pal[i][1], pal[i][2]);
    plssub(1, nsub > 1 ? nsub : 1);
    plinit();
    plcol0(1);
}

/* One format: draw into DIR/.BASE.tmp.EXT, then rename to DIR/BASE.EXT. */
static int write_one(const char *dev, const char *ext, const char *dir, const char *base,
                     int height, int nsub, isac_figure_draw_fn draw, void *ctx, char *err,
                     size_t errlen)
{
    char path[1100], tmp[1100];
    snprintf(path, sizeof path, "%s/%s.%s", dir, base, ext);
    snprintf(tmp, sizeof tmp, "%s/.%s.tmp.%s", dir, base, ext);
    /* the temporary is created here, exclusively: PLplot then writes into this run's file */
    int fd = isac_create_excl(tmp, err, errlen);
    if (fd < 0)
        return ISAC_EIO;
    close(fd);
    isac_child_owns(tmp);
    setup(dev, tmp, height, nsub);
    draw(ctx);
    plend();
    struct stat st;
    isac_child_owns(NULL);
    if (stat(tmp, &st) || st.st_size == 0 || rename(tmp, path)) {
        remove(tmp); /* created above */
        isac_seterr(err, errlen, "%s: cannot write figure", path);
        return ISAC_EIO;
    }
    return ISAC_OK;
}

int isac_figure_write(const char *dir, const char *base, int height, int nsub,
                      isac_figure_draw_fn draw, void *ctx, char *err, size_t errlen)
{
    int rc = ISAC_OK;
    if (have_device("pngcairo"))
        rc = write_one("pngcairo", "png", dir, base, height, nsub, draw, ctx, err, errlen);
    if (rc == ISAC_OK)
        rc = write_one("svg", "svg", dir, base, height, nsub, draw, ctx, err, errlen);
    return rc;
}

int isac_figure_write_path(const char *path, int height, int nsub, isac_figure_draw_fn draw,
                           void *ctx, char *err, size_t errlen)
{
    char dir[1024], base[256];
    const char *slash = strrchr(path, '/');
    if (slash)
        snprintf(dir, sizeof dir, "%.*s", (int)(slash - path), path);
    else
        snprintf(dir, sizeof dir, ".");
    snprintf(base, sizeof base, "%s", slash ? slash + 1 : path);
    char *dot = strrchr(base, '.');
    if (dot && (!strcmp(dot, ".png") || !strcmp(dot, ".svg")))
        *dot = '\0';
    return isac_figure_write(dir[0] ? dir : "/", base, height, nsub, draw, ctx, err, errlen);
}

void isac_figure_labels(const char *xlabel, const char *ylabel, const char *title)
{
    plcol0(1);
    pllsty(1);
    pllab(xlabel, ylabel, title);
}

void isac_figure_axes(double xmin, double xmax, double ymin, double ymax, int logx)
{
    pladv(0);
    /* the right quarter holds the legend; margins keep the axis labels on the page */
    plvpor(0.11, 0.70, 0.14, 0.88);
    plwind(xmin, xmax, ymin, ymax);
    plcol0(1);
    plbox(logx ? "bclnst" : "bcnst", 0, 0, "bcnstv", 0, 0);
}

void isac_figure_legend(int n, const char *const *text, const int *colour, const int *kind,
                        const char *const *symbol, enum isac_figure_where where)
{
    enum { NMAX = 16 };
    PLINT opt[NMAX], tcol[NMAX], lcol[NMAX], lsty[NMAX], scol[NMAX], snum[NMAX];
    PLFLT lwid[NMAX], sscale[NMAX];
    const char *sym[NMAX];
    n = n < NMAX ? n : NMAX;
    for (int i = 0; i < n; i++) {
        opt[i] = (kind[i] & (ISAC_FIGURE_LINE | ISAC_FIGURE_DASHED) ? PL_LEGEND_LINE : 0) |
                 (kind[i] & ISAC_FIGURE_POINTS ? PL_LEGEND_SYMBOL : 0);
        tcol[i] = 1;
        lcol[i] = scol[i] = colour[i];
        lsty[i] = kind[i] & ISAC_FIGURE_DASHED ? 2 : 1;
        lwid[i] = 1.0;
        sscale[i] = 1.0;
        snum[i] = 1;
        sym[i] = symbol && symbol[i] ? symbol[i] : ISAC_FIGURE_DOT;
    }
    PLFLT w, h;
    plcol0(1);
    pllsty(1);
    int below = where == ISAC_FIGURE_BELOW;
    pllegend(
        &w, &h, PL_LEGEND_BACKGROUND | PL_LEGEND_BOUNDING_BOX | (below ? PL_LEGEND_ROW_MAJOR : 0),
        PL_POSITION_OUTSIDE | (below ? PL_POSITION_BOTTOM : PL_POSITION_RIGHT), below ? 0 : 0.02,
        below ? 0.14 : 0, 0.05, 0, 1, 1, below ? 1 : 0, below ? n : 0, n, opt, 0.6, 0.75, 2.0, 0.0,
        tcol, text, NULL, NULL, NULL, NULL, lcol, lsty, lwid, scol, sscale, snum, sym);
}

void isac_figure_colorbar(const char *label, double zmin, double zmax)
{
    PLFLT w, h, values[2] = {zmin, zmax};
    const PLFLT *vals[1] = {values};
    PLINT nvals[1] = {2}, lopt[1] = {PL_COLORBAR_LABEL_RIGHT}, nsub[1] = {0};
    PLFLT ticks[1] = {0};
    const char *labels[1] = {label}, *axis[1] = {"bcvtm"};
    plcol0(1);
    plcolorbar(&w, &h, PL_COLORBAR_IMAGE, PL_POSITION_OUTSIDE | PL_POSITION_RIGHT, 0.02, 0, 0.03,
               0.8, 0, 1, 1, 0, 0, 0, 0, 1, lopt, labels, 1, axis, ticks, nsub, nvals, vals);
}
