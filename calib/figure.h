/* Figure of `isactb calib verify` (PLplot, SVG). */
#ifndef ISACTB_CALIB_FIGURE_H
#define ISACTB_CALIB_FIGURE_H

#include <stddef.h>

/* Patterns in dB (normalised to their peaks) over n steering angles (degrees,
 * increasing): theory, measured with calibration (may be NULL) and without (may be
 * NULL). Written to path (SVG) via a temporary file. */
int isac_calib_pattern_figure(const char *path, const char *title, const double *phi_deg,
                              const double *theory_db, const double *cal_db, const double *raw_db,
                              unsigned n, char *err, size_t errlen);

#endif
