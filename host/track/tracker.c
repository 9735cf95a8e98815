/* Multi-vehicle tracker (see tracker.h). */
#include "track/tracker.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"

struct isac_tracker_s {
    struct isac_trk_params p;
    struct isac_trk_rsu rsu[ISAC_TRK_MAX_RSUS];
    unsigned nrsu, n, next_id, births, ends;
    struct isac_trk_track t[ISAC_TRK_MAX_TRACKS];
    unsigned char hit[ISAC_TRK_MAX_TRACKS];
};

void isac_trk_params_default(struct isac_trk_params *p)
{
    p->slot_s = 0.02;
    p->qx = 4.0;
    p->qy = 0.25;
    p->gate = 16.27;
    p->confirm_hits = 3;
    p->max_misses = 3;
    p->x_min = -30;
    p->x_max = 30;
    p->y_min = -5;
    p->y_max = 5;
    p->margin_m = 3;
    p->init_speed_sd = 40;
}

isac_tracker isac_tracker_create(const struct isac_trk_params *p, const struct isac_trk_rsu *rsu,
                                 unsigned nrsu)
{
    if (!p || !rsu || nrsu == 0 || nrsu > ISAC_TRK_MAX_RSUS)
        return NULL;
    isac_tracker t = calloc(1, sizeof(*t));
    if (!t)
        return NULL;
    t->p = *p;
    memcpy(t->rsu, rsu, nrsu * sizeof(*rsu));
    t->nrsu = nrsu;
    return t;
}

void isac_tracker_destroy(isac_tracker t)
{
    free(t);
}

const struct isac_trk_track *isac_tracker_tracks(isac_tracker t, unsigned *n)
{
    *n = t->n;
    return t->t;
}
unsigned isac_tracker_births(isac_tracker t)
{
    return t->births;
}
unsigned isac_tracker_ends(isac_tracker t)
{
    return t->ends;
}

static int birth(isac_tracker t, const struct isac_trk_meas *m)
{
    if (t->n >= ISAC_TRK_MAX_TRACKS)
        return ISAC_ENOMEM;
    const struct isac_trk_rsu *r = &t->rsu[m->rsu];
    struct isac_trk_track *k = &t->t[t->n];
    memset(k, 0, sizeof(*k));
    k->id = t->next_id++;
    k->truth_id = m->truth_id;
    double u = fmax(-0.999, fmin(0.999, m->u)), c = sqrt(1.0 - u * u);
    double side = r->y > 0.5 * (t->p.y_min + t->p.y_max) ? -1.0 : 1.0;
    double dx = m->d * u, dy = side * m->d * c;
    k->f.x[0] = r->x + dx;
    k->f.x[1] = r->y + dy;
    double vsd = t->p.init_speed_sd;
    if (fabs(u) > 0.3) {
        k->f.x[2] = m->r / u; /* r = u vx when vy = 0 */
        double s = fabs(m->sr / u) + 0.1 * fabs(k->f.x[2]);
        vsd = fmin(vsd, s + 2.0);
    }
    /* position spread: range along the line of sight, d su across it (and the width) */
    double sp = hypot(m->sd, m->d * m->su / fmax(c, 0.1)) + 1.0;
    k->f.P[0] = sp * sp;
    k->f.P[5] = sp * sp;
    k->f.P[10] = vsd * vsd;
    k->f.P[15] = 1.0;
    k->hits = 1;
    t->hit[t->n] = 1;
    t->n++;
    return ISAC_OK;
}

struct pair {
    double d2;
    unsigned tr, me;
};

static int cmp_pair(const void *a, const void *b)
{
    double x = ((const struct pair *)a)->d2, y = ((const struct pair *)b)->d2;
    return x < y ? -1 : x > y;
}

/* Associate and update the detections of RSU r; births for the rest. */
static int rsu_pass(isac_tracker t, unsigned r, const struct isac_trk_meas *m, unsigned n)
{
    unsigned idx[ISAC_TRK_MAX_TRACKS], nm = 0;
    for (unsigned j = 0; j < n && nm < ISAC_TRK_MAX_TRACKS; j++)
        if (m[j].rsu == r)
            idx[nm++] = j;
    if (nm == 0)
        return ISAC_OK;
    size_t cap = (size_t)t->n * nm;
    struct pair *pr = cap ? malloc(cap * sizeof(*pr)) : NULL;
    unsigned char *used_t = calloc(t->n + 1, 1), *used_m = calloc(nm, 1);
    if ((cap && !pr) || !used_t || !used_m) {
        free(pr);
        free(used_t);
        free(used_m);
        return ISAC_ENOMEM;
    }
    size_t np = 0;
    for (unsigned i = 0; i < t->n; i++)
        for (unsigned j = 0; j < nm; j++) {
            double d2 = isac_trk_ekf_distance(&t->t[i].f, &t->rsu[r], &m[idx[j]]);
            if (d2 <= t->p.gate)
                pr[np++] = (struct pair){d2, i, j};
        }
    if (np > 1)
        qsort(pr, np, sizeof(*pr), cmp_pair);
    for (size_t q = 0; q < np; q++) {
        if (used_t[pr[q].tr] || used_m[pr[q].me])
            continue;
        used_t[pr[q].tr] = used_m[pr[q].me] = 1;
        struct isac_trk_track *k = &t->t[pr[q].tr];
        if (isac_trk_ekf_update(&k->f, &t->rsu[r], &m[idx[pr[q].me]], NULL) == ISAC_OK) {
            t->hit[pr[q].tr] = 1;
            k->truth_id = m[idx[pr[q].me]].truth_id;
        }
    }
    int rc = ISAC_OK;
    for (unsigned j = 0; j < nm && rc == ISAC_OK; j++)
        if (!used_m[j])
            rc = birth(t, &m[idx[j]]);
    free(pr);
    free(used_t);
    free(used_m);
    return rc;
}

static int outside(const isac_tracker t, const struct isac_trk_track *k)
{
    double g = t->p.margin_m;
    return k->f.x[0] < t->p.x_min - g || k->f.x[0] > t->p.x_max + g || k->f.x[1] < t->p.y_min - g ||
           k->f.x[1] > t->p.y_max + g;
}

int isac_tracker_step(isac_tracker t, const struct isac_trk_meas *m, unsigned n)
{
    for (unsigned j = 0; j < n; j++)
        if (m[j].rsu >= t->nrsu)
            return ISAC_EINVAL;
    for (unsigned i = 0; i < t->n; i++) {
        isac_trk_ekf_predict(&t->t[i].f, t->p.slot_s, t->p.qx, t->p.qy);
        t->hit[i] = 0;
    }
    unsigned n_before = t->n;
    for (unsigned r = 0; r < t->nrsu; r++) {
        int rc = rsu_pass(t, r, m, n);
        if (rc != ISAC_OK)
            return rc;
    }
    unsigned k = 0;
    for (unsigned i = 0; i < t->n; i++) {
        struct isac_trk_track tr = t->t[i];
        if (i < n_before) {
            tr.age++;
            if (t->hit[i]) {
                tr.hits++;
                tr.misses = 0;
            } else {
                tr.misses++;
            }
        }
        if (!tr.confirmed && tr.hits >= t->p.confirm_hits) {
            tr.confirmed = 1;
            t->births++;
        }
        if (tr.misses >= t->p.max_misses || outside(t, &tr)) {
            t->ends += (unsigned)tr.confirmed;
            continue;
        }
        t->hit[k] = t->hit[i];
        t->t[k++] = tr;
    }
    t->n = k;
    return ISAC_OK;
}
