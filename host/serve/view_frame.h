/* One frame of the live view (docs/live-view.md, "Frame"): what the page shows of one
 * CPI (or of a calibration step), and its JSON encoding.
 *
 * The loop fills a frame cheaply (a small JSON object `meta` of scalars and short arrays,
 * plus raw copies of the GLRT grid and the transmit pattern); the publisher thread encodes
 * it: the grid is reduced to at most VIEW_MAP_MAX x VIEW_MAP_MAX blocks (each block shows
 * its cell with the largest margin lambda/threshold, so no cell over its threshold is ever
 * hidden by the reduction) and sent as the margin 10 log10(lambda / threshold) in
 * tenths of a dB, clipped to +-VIEW_MARGIN_CLIP_DB.
 */
#ifndef ISACTB_SERVE_VIEW_FRAME_H
#define ISACTB_SERVE_VIEW_FRAME_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#define VIEW_MAP_MAX 64          /* blocks per side of the encoded map */
#define VIEW_MARGIN_CLIP_DB 30.0 /* encoded margins are clipped to +- this, dB */
#define VIEW_PATTERN_POINTS 181  /* transmit pattern: -90..90 deg in 1 deg steps */

struct view_frame {
    json_t *meta; /* owned: the frame's fields (episode, step, beam, detection, ...);
                     NULL: an empty frame */
    /* GLRT map (have_map = 0: none): ny rows of nx cells, row-major, cell (i, j) centred at
     * (x0 + i dx, y0 + j dy) m. Buffers grow as needed and are kept between uses. */
    int have_map;
    unsigned nx, ny;
    double x0, y0, dx, dy;
    float *lambda, *threshold;
    size_t cap;
    /* where the map comes from (the map of a decimated frame is the last published one) */
    uint64_t map_episode;
    unsigned map_step;
    /* transmit pattern (have_pattern = 0: none): gain in dB (relative to one isotropic
     * element) at -90 + k deg, k < VIEW_PATTERN_POINTS */
    int have_pattern;
    float pattern_db[VIEW_PATTERN_POINTS];
};

/* Make room for an nx x ny map (keeps the buffers when they are large enough). ISAC_OK or
 * ISAC_ENOMEM. */
int view_frame_reserve(struct view_frame *f, unsigned nx, unsigned ny);
/* Forget the frame's content (meta released, flags cleared; buffers kept). */
void view_frame_clear(struct view_frame *f);
/* Free the buffers too. */
void view_frame_free(struct view_frame *f);

/* The JSON text of a frame: meta's fields plus "seq", "map" (when have_map) and
 * "pattern" (when have_pattern), and "view" (the counters given, may be NULL).
 * Caller frees. NULL on allocation failure. */
struct live_view_counters;
char *view_frame_encode(const struct view_frame *f, uint64_t seq,
                        const struct live_view_counters *c);

/* The map reduction alone (tests): block size b = ceil(max(nx, ny) / VIEW_MAP_MAX), the
 * reduced size (*mx, *my) and margins[my][mx] in tenths of a dB. Returns b. */
unsigned view_map_reduce(const float *lambda, const float *threshold, unsigned nx, unsigned ny,
                         int *margins, unsigned *mx, unsigned *my);

#endif
