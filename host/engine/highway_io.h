/* Recording and replay of highway runs: private interface between the runner
 * (highway.c) and the capture code (highway_capture.c). The format is in docs/tracking.md
 * ("Captures"). */
#ifndef ISACTB_ENGINE_HIGHWAY_IO_H
#define ISACTB_ENGINE_HIGHWAY_IO_H

#include <complex.h>
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>

#include "engine/highway.h"
#include "track/ekf.h"

enum { ISAC_HWY_IO_RECORD = 1, ISAC_HWY_IO_REPLAY = 2 };

/* One vehicle as the runner sees it in a slot: id, state, user parameters. */
struct isac_hwy_truth {
    unsigned id;
    double s[4]; /* px, py, vx, vy */
    double nf_db, cfo_hz, k_db;
};

struct isac_hwy_io_s {
    int mode;
    int meta_created; /* recording: meta_tmp is this run's (isac_hwy_io_close removes it) */
    char data_path[1100], data_tmp[1100], meta_path[1100], meta_tmp[1100];
    FILE *data;
    uint64_t offset; /* samples written / position of the next reception */
    json_t *slots, *captures, *annotations, *meta;
    char *yaml;
    uint64_t seed;
    size_t next_rx; /* replay: next reception record */
};

/* Record: the slot's vehicles, one user reception (ny samples starting at tick t0), the
 * slot's measurements. ISAC_EIO when the data file cannot be written. */
int isac_hwy_io_put_truth(isac_hwy_io io, unsigned n, const struct isac_hwy_truth *t, unsigned nt);
int isac_hwy_io_put_rx(isac_hwy_io io, unsigned n, unsigned rsu, unsigned user, int64_t t0,
                       const float complex *y, size_t ny);
int isac_hwy_io_put_meas(isac_hwy_io io, unsigned n, const struct isac_trk_meas *m, unsigned nm);

/* Replay: the same, read back; ISAC_EFORMAT with one line in err when the capture does
 * not hold what the replayed run asks for at this point. t has room for ISAC_HW_MAX_VEHICLES,
 * *m is malloc'd by the call. */
int isac_hwy_io_get_truth(isac_hwy_io io, unsigned n, struct isac_hwy_truth *t, unsigned *nt,
                          char *err, size_t errlen);
int isac_hwy_io_get_rx(isac_hwy_io io, unsigned n, unsigned rsu, unsigned user, float complex *y,
                       size_t ny, char *err, size_t errlen);
int isac_hwy_io_get_meas(isac_hwy_io io, unsigned n, struct isac_trk_meas **m, unsigned *nm,
                         char *err, size_t errlen);

#endif
