/* PLplot figures written safely and twice: DIR/BASE.png (pngcairo, when the driver is
 * installed) and DIR/BASE.svg (svg, built into libplplot), each drawn into an exclusive
 * temporary (host/common/out_dir.h) that is renamed into place when complete, or removed
 * when drawing fails. Callers run isac_figure_write inside isac_run_isolated
 * (host/common/child.h), so a PLplot failure is one line.
 *
 * Conventions every figure follows (docs/pipeline.md, "Figures"): axis labels with units,
 * a plain (black) title, a legend on every plot with more than one line or marker kind,
 * a colour bar with its quantity and unit next to every map, nothing drawn outside the
 * page (labels kept within the viewport's margins). */
#ifndef ISACTB_ENGINE_FIGURE_H
#define ISACTB_ENGINE_FIGURE_H

#include <stddef.h>

/* Draws one figure: the PLplot calls between plinit and plend (sub-pages, axes, data,
 * isac_figure_labels, isac_figure_legend, isac_figure_colorbar). Called once per output format. */
typedef void (*isac_figure_draw_fn)(void *ctx);

/* Write DIR/BASE.png and DIR/BASE.svg, height pixels high (width 1000) with nsub
 * stacked sub-pages (>= 1), the project palette (colour 1 black for axes and text, 2..9
 * the series) on white. ISAC_OK, or ISAC_EIO with one line in err. */
int isac_figure_write(const char *dir, const char *base, int height, int nsub,
                      isac_figure_draw_fn draw, void *ctx, char *err, size_t errlen);

/* The same for a path DIR/BASE.png (or .svg, or no extension): both files are written. */
int isac_figure_write_path(const char *path, int height, int nsub, isac_figure_draw_fn draw,
                           void *ctx, char *err, size_t errlen);

/* Axis labels and the title, in black whatever colour the data was drawn in. */
void isac_figure_labels(const char *xlabel, const char *ylabel, const char *title);

/* Kinds of legend entries. */
enum isac_figure_key { ISAC_FIGURE_LINE = 1, ISAC_FIGURE_DASHED = 2, ISAC_FIGURE_POINTS = 4 };

/* Marker strings, drawn with plstring in plots and in legends alike. */
#define ISAC_FIGURE_DOT "\xe2\x97\x8f"    /* U+25CF black circle */
#define ISAC_FIGURE_SQUARE "\xe2\x96\xa0" /* U+25A0 black square */
#define ISAC_FIGURE_CROSS "x"
#define ISAC_FIGURE_PLUS "+"
#define ISAC_FIGURE_RING "o"

/* Axes of a line plot on a new (sub-)page: the viewport leaves the right quarter for the
 * legend (isac_figure_legend ISAC_FIGURE_RIGHT); logx: x is log10 of the value. */
void isac_figure_axes(double xmin, double xmax, double ymin, double ymax, int logx);

/* Where a legend goes: right of the viewport (after isac_figure_axes), or below the x-axis
 * label in one row (maps, whose right side holds the colour bar). */
enum isac_figure_where { ISAC_FIGURE_RIGHT, ISAC_FIGURE_BELOW };

/* A legend of at most 16 entries outside the data: each a text, a colour index, a kind
 * (ISAC_FIGURE_LINE | ISAC_FIGURE_POINTS ...) and, for points, the marker string (NULL:
 * ISAC_FIGURE_DOT). */
void isac_figure_legend(int n, const char *const *text, const int *colour, const int *kind,
                        const char *const *symbol, enum isac_figure_where where);

/* A vertical colour bar right of the current viewport for a map drawn with plimage over
 * [zmin, zmax] in colour map 1, labelled with label (quantity and unit). */
void isac_figure_colorbar(const char *label, double zmin, double zmax);

#endif
