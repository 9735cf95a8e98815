/* Highway traffic (see traffic.h). */
#include "track/traffic.h"

#include <math.h>
#include <stdlib.h>

#include "common/err.h"
#include "common/rng.h"

struct isac_hw_traffic_s {
    struct isac_hw_traffic_params p;
    isac_rng rng[2];
    double next[2]; /* next arrival time per direction, s */
    double t;
    unsigned n, arrivals;
    struct isac_hw_vehicle v[ISAC_HW_MAX_VEHICLES];
};

void isac_hw_traffic_params_default(struct isac_hw_traffic_params *p)
{
    p->length_m = 60.0;
    p->width_m = 10.0;
    p->rate[0] = p->rate[1] = 5.0;
    p->speed_mean = 30.0;
    p->speed_std = 3.0;
    p->slot_s = 0.02;
    p->seed = 1;
}

static int check(const char *what, double v, double lo, double hi, char *err, size_t errlen)
{
    if (v >= lo && v <= hi)
        return 0;
    isac_seterr(err, errlen, "highway: %s %g outside %g..%g", what, v, lo, hi);
    return 1;
}

static double next_gap(isac_rng *r, double rate)
{
    return rate > 0 ? -log(1.0 - isac_rng_uniform(r)) / rate : INFINITY;
}

isac_hw_traffic isac_hw_traffic_create(const struct isac_hw_traffic_params *p, char *err,
                                       size_t errlen)
{
    if (check("length_m", p->length_m, 1, 1e4, err, errlen) ||
        check("width_m", p->width_m, 1, 100, err, errlen) ||
        check("rate", p->rate[0], 0, 1000, err, errlen) ||
        check("rate", p->rate[1], 0, 1000, err, errlen) ||
        check("speed_mean", p->speed_mean, 1, 100, err, errlen) ||
        check("speed_std", p->speed_std, 0, 30, err, errlen) ||
        check("slot_s", p->slot_s, 1e-4, 10, err, errlen))
        return NULL;
    isac_hw_traffic q = calloc(1, sizeof(*q));
    if (!q) {
        isac_seterr(err, errlen, "highway: out of memory");
        return NULL;
    }
    q->p = *p;
    for (int d = 0; d < 2; d++) {
        isac_rng_seed_stream(&q->rng[d], p->seed ^ 0x4857a11full, (uint64_t)d);
        q->next[d] = next_gap(&q->rng[d], p->rate[d]);
    }
    return q;
}

void isac_hw_traffic_destroy(isac_hw_traffic q)
{
    free(q);
}

int isac_hw_traffic_step(isac_hw_traffic q)
{
    double t1 = q->t + q->p.slot_s, half = 0.5 * q->p.length_m;
    /* move and drop the vehicles that left */
    unsigned k = 0;
    for (unsigned i = 0; i < q->n; i++) {
        struct isac_hw_vehicle v = q->v[i];
        v.x += v.vx * q->p.slot_s;
        if (fabs(v.x) <= half)
            q->v[k++] = v;
    }
    q->n = k;
    for (int d = 0; d < 2; d++)
        while (q->next[d] <= t1) {
            if (q->n >= ISAC_HW_MAX_VEHICLES)
                return ISAC_ENOMEM;
            double s = q->p.speed_mean + q->p.speed_std * isac_rng_normal(&q->rng[d]);
            s = s < 1.0 ? 1.0 : s;
            struct isac_hw_vehicle *v = &q->v[q->n];
            v->id = q->arrivals++;
            v->dir = d;
            v->vx = d == 0 ? s : -s;
            v->vy = 0;
            v->x = (d == 0 ? -half : half) + v->vx * (t1 - q->next[d]);
            v->y = (d == 0 ? -0.25 : 0.25) * q->p.width_m;
            v->t_in = q->next[d];
            if (fabs(v->x) <= half)
                q->n++;
            q->next[d] += next_gap(&q->rng[d], q->p.rate[d]);
        }
    q->t = t1;
    return ISAC_OK;
}

double isac_hw_traffic_time(isac_hw_traffic q)
{
    return q->t;
}

const struct isac_hw_vehicle *isac_hw_traffic_vehicles(isac_hw_traffic q, unsigned *n)
{
    *n = q->n;
    return q->v;
}

unsigned isac_hw_traffic_arrivals(isac_hw_traffic q)
{
    return q->arrivals;
}
