/* Highway traffic of seed 000 (the `highway` scene): a straight road segment with Poisson
 * arrivals in each direction and Gaussian speeds.
 *
 * Road: x in [-length/2, length/2] (60 m by default) along the x axis, width `width`
 * (10 m) centred on y = 0. Direction 0 drives toward +x in the lane at y = -width/4,
 * direction 1 toward -x at y = +width/4 (the paper gives no lane layout; digest section 5).
 * Arrivals: Poisson of rate rate[d] vehicles/s per direction (5 or 12.5 in the paper),
 * simulated exactly (exponential gaps, the entry time inside the slot kept); speed
 * N(speed_mean, speed_std^2) m/s drawn per vehicle (the paper gives no std), clipped to
 * at least 1 m/s; constant velocity (no congestion, as in the paper). A vehicle leaves when
 * it passes the far end. The system starts empty. By Little's law the stationary mean
 * number of vehicles is sum_d rate[d] E[length / speed]: 20 at 5 veh/s and 50 at 12.5
 * veh/s per direction with 30 m/s (tests).
 *
 * Deterministic: the arrivals of each direction come from their own stream of `seed`.
 */
#ifndef ISACTB_TRACK_TRAFFIC_H
#define ISACTB_TRACK_TRAFFIC_H

#include <stddef.h>
#include <stdint.h>

#define ISAC_HW_MAX_VEHICLES 1024

struct isac_hw_traffic_params {
    double length_m;   /* road length, 1..10000 m (60) */
    double width_m;    /* road width, 1..100 m (10) */
    double rate[2];    /* arrivals per second per direction, 0..1000 (5, 5) */
    double speed_mean; /* m/s, 1..100 (30) */
    double speed_std;  /* m/s, 0..30 (3) */
    double slot_s;     /* slot duration, 1e-4..10 s (0.02) */
    uint64_t seed;
};

struct isac_hw_vehicle {
    unsigned id;   /* 0, 1, 2, ... in order of arrival */
    int dir;       /* 0: +x, 1: -x */
    double x, y;   /* position, m */
    double vx, vy; /* velocity, m/s (vy = 0) */
    double t_in;   /* arrival time, s */
};

void isac_hw_traffic_params_default(struct isac_hw_traffic_params *p);

typedef struct isac_hw_traffic_s *isac_hw_traffic;

/* NULL with one line naming the field and value in err on bad parameters. */
isac_hw_traffic isac_hw_traffic_create(const struct isac_hw_traffic_params *p, char *err,
                                       size_t errlen);
void isac_hw_traffic_destroy(isac_hw_traffic q);

/* Advance one slot: time goes from t to t + slot_s; vehicles that arrived in the slot are
 * added, those past the far end removed. ISAC_ENOMEM when more than ISAC_HW_MAX_VEHICLES
 * would be on the road. */
int isac_hw_traffic_step(isac_hw_traffic q);
double isac_hw_traffic_time(isac_hw_traffic q); /* s since the start */
/* Vehicles on the road now (valid until the next step). */
const struct isac_hw_vehicle *isac_hw_traffic_vehicles(isac_hw_traffic q, unsigned *n);
unsigned isac_hw_traffic_arrivals(isac_hw_traffic q); /* total so far */

#endif
