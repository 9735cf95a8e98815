/* Figures of a run (PLplot): the beam / P_D timeline of every episode and the
 * position-grid GLRT map of a detection. Each is written as .svg and, when the cairo
 * driver is installed (Debian plplot-driver-cairo, installed by scripts/setup), .png
 * (host/engine/figure.h: legends, colour bars with units, plain titles).
 */
#ifndef ISACTB_EXP_REPORT_H
#define ISACTB_EXP_REPORT_H

#include <jansson.h>
#include <stddef.h>

#include "engine/config.h"
#include "radio.h"

/* A snapshot of one position-grid map (owned copies). */
struct isac_report_map {
    unsigned nx, ny;
    float *lambda;    /* ny rows of nx cells: the GLRT statistic */
    float *threshold; /* per-cell threshold */
    double x0, y0, dx, dy;
    double det_x, det_y;     /* the detected cell */
    double truth_x, truth_y; /* NAN when unknown */
    unsigned episode, step, beam;
    struct isac_radio_info info; /* AP positions for the overlay */
};

/* Write DIR/timeline.png and .svg from a run result (docs/cli.md); returns ISAC_OK or a
 * negative isac_err with one line in err. */
int isac_report_timeline(const json_t *result, const char *dir, char *err, size_t errlen);

/* Write DIR/grid_map.png and .svg: Lambda/threshold in dB over the grid (colour bar),
 * APs, the detected cell and the truth marked (legend). */
int isac_report_grid_map(const struct isac_report_map *m, const char *dir, char *err,
                         size_t errlen);

/* Both figures: the map only when m is not NULL. Drawn in a child process
 * (host/common/child.h): ISAC_OK, or ISAC_EIO with one line in err. */
int isac_report_write_figures(const json_t *result, const struct isac_report_map *m,
                              const char *dir, char *err, size_t errlen);

void isac_report_map_free(struct isac_report_map *m);

/* The training figure of `isactb train --out-dir` at png_path and the same path with .svg:
 * the moving mean
 * (20 episodes) of the twin-episode steps of dt_cql, dt_nocql and online, and the cGAN's
 * D and G losses per epoch, from the curves file csv_path ("series,x,a,b,c,d" lines as
 * the trainer's curve hook writes them), drawn in a child process (host/common/child.h):
 * ISAC_OK, or ISAC_EIO with one line in err and no file (nor temporary) left. */
int isac_report_training_figure(const char *csv_path, const char *png_path, char *err,
                                size_t errlen);

#endif
