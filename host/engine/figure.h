/* One PLplot figure written safely: DIR/BASE.png (pngcairo when the driver is installed,
 * else .svg) drawn into an exclusive temporary (host/common/out_dir.h) that is renamed
 * into place by figure_end, or removed when drawing fails. Callers draw between the two
 * inside isac_run_isolated (host/common/child.h), so a PLplot failure is one line. */
#ifndef ISACTB_ENGINE_FIGURE_H
#define ISACTB_ENGINE_FIGURE_H

#include <stddef.h>

struct figure {
    char path[1100], tmp[1100];
};

/* Start a figure of height pixels (width 1000) with nsub stacked sub-pages (>= 1), the
 * project palette (colour 1 black for axes and text, 2..9 the series) on white.
 * ISAC_OK, or ISAC_EIO with one line in err (the temporary cannot be created). */
int figure_begin(struct figure *f, const char *dir, const char *base, int height, int nsub,
                 char *err, size_t errlen);

/* Finish: ISAC_OK when the file was written and renamed, else ISAC_EIO and one line. */
int figure_end(struct figure *f, char *err, size_t errlen);

#endif
