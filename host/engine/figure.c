/* PLplot figures through an exclusive temporary (host/engine/figure.h). */
#include "engine/figure.h"

#include <plplot/plplot.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/child.h"
#include "common/err.h"
#include "common/out_dir.h"

/* pngcairo when the driver is installed, else svg (always built into libplplot). */
static const char *pick_device(void)
{
    /* plgFileDevs fills caller-provided arrays of *n entries. */
    const char *menu_buf[128], *name_buf[128];
    const char **menu = menu_buf, **names = name_buf;
    int n = 128;
    plgFileDevs(&menu, &names, &n);
    for (int i = 0; i < n; i++)
        if (!strcmp(names[i], "pngcairo"))
            return "pngcairo";
    return "svg";
}

int figure_begin(struct figure *f, const char *dir, const char *base, int height, int nsub,
                 char *err, size_t errlen)
{
    const char *dev = pick_device();
    const char *ext = strcmp(dev, "pngcairo") ? "svg" : "png";
    snprintf(f->path, sizeof f->path, "%s/%s.%s", dir, base, ext);
    snprintf(f->tmp, sizeof f->tmp, "%s/.%s.tmp.%s", dir, base, ext);
    /* the temporary is created here, exclusively: PLplot then writes into this run's file */
    int fd = isac_create_excl(f->tmp, err, errlen);
    if (fd < 0)
        return ISAC_EIO;
    close(fd);
    isac_child_owns(f->tmp);
    plsdev(dev);
    plsfnam(f->tmp);
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
    return ISAC_OK;
}

int figure_end(struct figure *f, char *err, size_t errlen)
{
    plend();
    struct stat st;
    isac_child_owns(NULL);
    if (stat(f->tmp, &st) || st.st_size == 0 || rename(f->tmp, f->path)) {
        remove(f->tmp); /* created by figure_begin */
        isac_seterr(err, errlen, "%s: cannot write figure", f->path);
        return ISAC_EIO;
    }
    return ISAC_OK;
}
