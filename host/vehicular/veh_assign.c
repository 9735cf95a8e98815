/* Assignment schemes of seed 000 (veh.h): distance-based, greedy (Algorithm 2),
 * heuristic (Algorithm 3) with per-RSU caps. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "vehicular/veh_internal.h"

struct key {
    double v;
    unsigned k;
};

static int key_asc(const void *a, const void *b)
{
    const struct key *x = a, *y = b;
    if (x->v != y->v)
        return x->v < y->v ? -1 : 1;
    return x->k < y->k ? -1 : (x->k > y->k);
}

static unsigned nearer(isac_veh_prob p, unsigned k)
{
    return p->pr[1][k].d < p->pr[0][k].d ? 1u : 0u;
}

int isac_veh_assign_distance(isac_veh_prob p, int fp)
{
    struct key ord[ISAC_VEH_MAX_K];
    unsigned cnt[ISAC_VEH_RSUS] = {0};
    for (unsigned k = 0; k < p->K; k++) {
        ord[k] = (struct key){fmin(p->pr[0][k].d, p->pr[1][k].d), k};
        p->xi[k] = ISAC_VEH_NONE;
    }
    qsort(ord, p->K, sizeof(*ord), key_asc);
    for (unsigned j = 0; j < p->K; j++) {
        unsigned k = ord[j].k, i = nearer(p, k);
        if (cnt[i] >= p->p.cap)
            i = 1 - i;
        if (cnt[i] >= p->p.cap)
            continue;
        p->xi[k] = (int)i;
        cnt[i]++;
        veh_matched(p, &p->pr[i][k], isac_veh_beam(p, i, k));
    }
    for (unsigned i = 0; fp && i < ISAC_VEH_RSUS; i++) {
        int rc = isac_veh_fp(p, i, NULL, NULL);
        if (rc)
            return rc;
    }
    return ISAC_OK;
}

/* Copy RSU i's beams of every vehicle out of / into buf (K x N). */
static void beams_save(isac_veh_prob p, unsigned i, double complex *buf)
{
    memcpy(buf, p->F[i], (size_t)p->K * p->p.n * sizeof(*buf));
}

static void beams_load(isac_veh_prob p, unsigned i, const double complex *buf)
{
    memcpy(p->F[i], buf, (size_t)p->K * p->p.n * sizeof(*buf));
}

int isac_veh_assign_greedy(isac_veh_prob p)
{
    size_t sz = (size_t)p->K * p->p.n;
    double complex *save = malloc((2 * sz + 1) * sizeof(*save));
    double complex *best = save + sz;
    if (!save)
        return ISAC_ENOMEM;
    struct key ord[ISAC_VEH_MAX_K];
    unsigned cnt[ISAC_VEH_RSUS] = {0};
    for (unsigned k = 0; k < p->K; k++) {
        double x = 1.0 / p->pr[0][k].d - 1.0 / p->pr[1][k].d;
        ord[k] = (struct key){-x * x, k}; /* descending |1/d1 - 1/d2|^2 */
        p->xi[k] = ISAC_VEH_NONE;
    }
    qsort(ord, p->K, sizeof(*ord), key_asc);
    int rc = ISAC_OK;
    for (unsigned j = 0; j < p->K && rc == ISAC_OK; j++) {
        unsigned k = ord[j].k;
        if (j == 0) { /* step 3: the first vehicle to its nearer RSU, matched beam */
            unsigned i = nearer(p, k);
            p->xi[k] = (int)i;
            cnt[i]++;
            continue;
        }
        double zbest = -INFINITY;
        int ibest = ISAC_VEH_NONE;
        for (unsigned i = 0; i < ISAC_VEH_RSUS && rc == ISAC_OK; i++) {
            if (cnt[i] >= p->p.cap)
                continue;
            beams_save(p, i, save);
            p->xi[k] = (int)i;
            veh_matched(p, &p->pr[i][k], isac_veh_beam(p, i, k));
            rc = isac_veh_fp(p, i, NULL, NULL);
            double z = log1p(isac_veh_sinr(p, i, k));
            if (z > zbest) {
                zbest = z;
                ibest = (int)i;
                beams_save(p, i, best);
            }
            beams_load(p, i, save);
            p->xi[k] = ISAC_VEH_NONE;
        }
        if (ibest != ISAC_VEH_NONE) {
            p->xi[k] = ibest;
            cnt[ibest]++;
            beams_load(p, (unsigned)ibest, best);
        }
    }
    free(save);
    return rc;
}

int isac_veh_assign_heuristic(isac_veh_prob p)
{
    int rc = isac_veh_assign_distance(p, 1);
    if (rc)
        return rc;
    size_t sz = (size_t)p->K * p->p.n;
    double complex *save = malloc((2 * sz + 1) * sizeof(*save));
    if (!save)
        return ISAC_ENOMEM;
    unsigned char tabu[ISAC_VEH_MAX_K] = {0};
    unsigned max_flips = p->p.max_flips ? p->p.max_flips : 2 * p->K;
    double total = isac_veh_rate_sum(p);
    while (p->st.flips < max_flips) {
        unsigned cnt[ISAC_VEH_RSUS] = {isac_veh_served(p, 0), isac_veh_served(p, 1)};
        double emax = 0;
        int kbest = -1;
        for (unsigned k = 0; k < p->K; k++) {
            int s = p->xi[k];
            if (s == ISAC_VEH_NONE || tabu[k] || cnt[1 - s] >= p->p.cap)
                continue;
            double e = log1p(isac_veh_sinr(p, 1 - (unsigned)s, k)) -
                       log1p(isac_veh_sinr(p, (unsigned)s, k));
            if (e > emax) {
                emax = e;
                kbest = (int)k;
            }
        }
        if (kbest < 0)
            break;
        unsigned k = (unsigned)kbest;
        int from = p->xi[k];
        beams_save(p, 0, save);
        beams_save(p, 1, save + sz);
        p->xi[k] = 1 - from;
        if ((rc = isac_veh_fp(p, 0, NULL, NULL)) || (rc = isac_veh_fp(p, 1, NULL, NULL)))
            break;
        double t = isac_veh_rate_sum(p);
        if (t > total) {
            total = t;
            p->st.flips++;
        } else { /* the flip lowered the sum rate: undo it, never try k again */
            p->xi[k] = from;
            beams_load(p, 0, save);
            beams_load(p, 1, save + sz);
            tabu[k] = 1;
            p->st.rejected++;
        }
    }
    free(save);
    return rc;
}
