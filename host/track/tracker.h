/* Multi-vehicle tracker: one EKF (track/ekf.h) per vehicle, detections from several RSUs,
 * association, track birth and end.
 *
 * Per slot (isac_tracker_step):
 *   1. every track is predicted one slot ahead;
 *   2. for each RSU in turn, its detections are associated to tracks by global nearest
 *      neighbour (greedy on the Mahalanobis distance of the innovation, within the gate,
 *      at most one detection per track and RSU) and each pair updates its track;
 *   3. a detection no track takes starts a tentative track: position from (u, d) on the
 *      road side of the RSU (a ULA along the road cannot tell the two sides apart, the road
 *      lies between the RSUs), along-road speed from the range rate where the geometry
 *      allows (|u| > 0.3), else a wide prior; later RSUs in the same slot can already
 *      update it;
 *   4. a track is confirmed after `confirm_hits` updated slots; a track ends after
 *      `max_misses` consecutive slots without a detection, or when its position leaves the
 *      road box grown by `margin_m`. Tentative tracks that end are not counted as births.
 */
#ifndef ISACTB_TRACK_TRACKER_H
#define ISACTB_TRACK_TRACKER_H

#include <stddef.h>

#include "track/ekf.h"

#define ISAC_TRK_MAX_TRACKS 1024
#define ISAC_TRK_MAX_RSUS 8

struct isac_trk_params {
    double slot_s; /* T, s */
    double qx, qy; /* process noise PSD, m^2/s^3 */
    double gate;   /* association gate on the distance^2 (chi-square 3 dof) */
    unsigned confirm_hits;
    unsigned max_misses;
    double x_min, x_max, y_min, y_max; /* road box, m */
    double margin_m;
    double init_speed_sd; /* along-road speed prior when the range rate cannot give it */
};

/* T 0.02 s, qx 4, qy 0.25, gate 16.27 (99.9 % of chi2(3)), confirm 3, misses 3,
 * the default highway box (+-30 m x +-5 m), margin 3 m, speed prior sd 40 m/s. */
void isac_trk_params_default(struct isac_trk_params *p);

struct isac_trk_track {
    unsigned id;
    int confirmed;
    unsigned hits, misses, age;
    int truth_id; /* truth id of the last detection used (evaluation only) */
    struct isac_trk_ekf f;
};

typedef struct isac_tracker_s *isac_tracker;

isac_tracker isac_tracker_create(const struct isac_trk_params *p, const struct isac_trk_rsu *rsu,
                                 unsigned nrsu);
void isac_tracker_destroy(isac_tracker t);

/* One slot with n detections (any order, any RSU). ISAC_EINVAL on a bad RSU index,
 * ISAC_ENOMEM when ISAC_TRK_MAX_TRACKS would be exceeded. */
int isac_tracker_step(isac_tracker t, const struct isac_trk_meas *m, unsigned n);

const struct isac_trk_track *isac_tracker_tracks(isac_tracker t, unsigned *n);
unsigned isac_tracker_births(isac_tracker t); /* tracks confirmed so far */
unsigned isac_tracker_ends(isac_tracker t);   /* confirmed tracks ended so far */

#endif
