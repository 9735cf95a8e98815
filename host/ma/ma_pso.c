/* RPDPSO (ma_pso.h). */
#include "ma/ma_pso.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/rng.h"

#define PSO_MAX 64u

struct particle {
    double x[ISAC_MA_MAX_ELEMENTS], v[ISAC_MA_MAX_ELEMENTS], pbest[ISAC_MA_MAX_ELEMENTS];
    double fit, pfit;
};

struct isac_ma_pso_s {
    struct isac_ma_scene s;
    struct isac_ma_pso_opts o;
    struct particle *pt;
    double *hist;
    unsigned nhist;
};

void isac_ma_pso_opts_default(struct isac_ma_pso_opts *o)
{
    o->particles = 10;
    o->iters = 20;
    o->min_particles = 4;
    o->w_max = 0.9;
    o->w_min = 0.4;
    o->c1 = 1.49;
    o->c2 = 1.49;
    o->kappa = 0.2;
    o->gamma = 0.5;
    o->delta = 0.0;
    o->pen = 10.0;
    o->seed = 1;
    isac_ma_fixed_opts_default(&o->inner);
}

isac_ma_pso isac_ma_pso_create(const struct isac_ma_scene *s, const struct isac_ma_pso_opts *o,
                               char *err, size_t errlen)
{
    if (isac_ma_scene_check(s, err, errlen) != ISAC_OK)
        return NULL;
    if (o->particles < 1 || o->particles > PSO_MAX || o->iters < 1 || o->min_particles < 1 ||
        o->min_particles > o->particles || !(o->gamma >= 0 && o->gamma <= 1) || !(o->kappa > 0) ||
        o->inner.rounds < 1) {
        isac_seterr(err, errlen,
                    "pso: particles %u (1..%u), iters %u, min_particles %u, gamma %g, kappa %g "
                    "out of range",
                    o->particles, PSO_MAX, o->iters, o->min_particles, o->gamma, o->kappa);
        return NULL;
    }
    struct isac_ma_pso_s *q = calloc(1, sizeof *q);
    if (!q)
        goto fail;
    q->s = *s;
    q->o = *o;
    q->pt = calloc(o->particles, sizeof *q->pt);
    q->hist = calloc(o->iters, sizeof *q->hist);
    if (!q->pt || !q->hist)
        goto fail;
    return q;
fail:
    isac_ma_pso_destroy(q);
    isac_seterr(err, errlen, "pso: out of memory");
    return NULL;
}

void isac_ma_pso_destroy(isac_ma_pso q)
{
    if (!q)
        return;
    free(q->pt);
    free(q->hist);
    free(q);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Fitness of Tx positions x (feasible); the inner design goes to *d. */
static double fitness(isac_ma_pso q, const struct isac_ma_vehicle *veh,
                      const struct isac_ma_constraints *c, const double *x,
                      struct isac_ma_design *d, struct isac_ma_eval *e, int *met)
{
    const struct isac_ma_scene *s = &q->s;
    memcpy(d->xt, x, s->nt * sizeof *x);
    if (isac_ma_fixed_solve(s, veh, c, &q->o.inner, d, e, met, NULL, 0) != ISAC_OK)
        return INFINITY;
    double f = -e->rate + q->o.pen * isac_ma_spacing_violations(x, s->nt, s->tx.dmin);
    if (!*met)
        f += 100.0 + isac_ma_constraints_violation(s, c, e);
    return f;
}

static void reflect_project(const struct isac_ma_scene *s, double gamma, double *x, double *v)
{
    const struct isac_ma_region *r = &s->tx;
    for (unsigned i = 0; i < s->nt; i++) {
        if (x[i] > r->xmax) {
            x[i] = r->xmax - gamma * (x[i] - r->xmax);
            v[i] = -gamma * v[i];
        } else if (x[i] < r->xmin) {
            x[i] = r->xmin + gamma * (r->xmin - x[i]);
            v[i] = -gamma * v[i];
        }
        x[i] = x[i] < r->xmin ? r->xmin : x[i] > r->xmax ? r->xmax : x[i];
    }
    qsort(x, s->nt, sizeof *x, cmp_double);
    isac_ma_project(r, x, s->nt);
}

/* The swarm's global best: positions, fitness, and the design, evaluation and constraint
 * flag that fitness came with. */
struct swarm_best {
    double x[ISAC_MA_MAX_ELEMENTS], fit;
    struct isac_ma_design d;
    struct isac_ma_eval e;
    int met;
};

/* Particle P just evaluated to (d, e, met): the new global best when it is better. */
static void offer_best(struct swarm_best *g, const struct particle *P,
                       const struct isac_ma_design *d, const struct isac_ma_eval *e, int met)
{
    if (!(P->fit < g->fit))
        return;
    g->fit = P->fit;
    memcpy(g->x, P->x, sizeof g->x);
    g->d = *d;
    g->e = *e;
    g->met = met;
}

int isac_ma_pso_execute(isac_ma_pso q, const struct isac_ma_vehicle *veh,
                        const struct isac_ma_constraints *c, const double *const *warm,
                        unsigned nwarm, struct isac_ma_design *d, struct isac_ma_eval *e, int *met,
                        char *err, size_t errlen)
{
    const struct isac_ma_scene *s = &q->s;
    const struct isac_ma_pso_opts *o = &q->o;
    char sub[200];
    if (isac_ma_positions_check(&s->rx, d->xr, s->nr, sub, sizeof sub) != ISAC_OK) {
        isac_seterr(err, errlen, "pso: rx %s", sub);
        return ISAC_EINVAL;
    }
    for (unsigned w = 0; w < nwarm; w++)
        if (isac_ma_positions_check(&s->tx, warm[w], s->nt, sub, sizeof sub) != ISAC_OK) {
            isac_seterr(err, errlen, "pso: warm start %u: %s", w, sub);
            return ISAC_EINVAL;
        }
    isac_rng rng;
    isac_rng_seed(&rng, o->seed);
    double L = s->tx.xmax - s->tx.xmin, vmax = o->kappa * L;
    double delta = o->delta > 0 ? o->delta : 0.4 * L * sqrt((double)s->nt);
    struct isac_ma_design trial = *d;
    struct isac_ma_eval etrial;
    int mtrial;
    struct swarm_best g = {.fit = INFINITY, .d = *d};
    unsigned np = o->particles;
    for (unsigned p = 0; p < np; p++) {
        struct particle *P = &q->pt[p];
        if (p < nwarm)
            memcpy(P->x, warm[p], s->nt * sizeof *P->x);
        else
            isac_ma_random(&s->tx, s->nt, &rng, P->x);
        for (unsigned i = 0; i < s->nt; i++)
            P->v[i] = (2 * isac_rng_uniform(&rng) - 1) * vmax;
        P->fit = P->pfit = fitness(q, veh, c, P->x, &trial, &etrial, &mtrial);
        memcpy(P->pbest, P->x, sizeof P->x);
        offer_best(&g, P, &trial, &etrial, mtrial);
    }
    q->nhist = 0;
    for (unsigned it = 0; it < o->iters; it++) {
        double om = o->w_max - (o->w_max - o->w_min) * (double)it / (double)o->iters;
        for (unsigned p = 0; p < np; p++) {
            struct particle *P = &q->pt[p];
            for (unsigned i = 0; i < s->nt; i++) {
                double r1 = isac_rng_uniform(&rng), r2 = isac_rng_uniform(&rng);
                double v = om * P->v[i] + o->c1 * r1 * (P->pbest[i] - P->x[i]) +
                           o->c2 * r2 * (g.x[i] - P->x[i]);
                P->v[i] = v > vmax ? vmax : v < -vmax ? -vmax : v;
                P->x[i] += P->v[i];
            }
            reflect_project(s, o->gamma, P->x, P->v);
            P->fit = fitness(q, veh, c, P->x, &trial, &etrial, &mtrial);
            if (P->fit < P->pfit) {
                P->pfit = P->fit;
                memcpy(P->pbest, P->x, sizeof P->x);
            }
            offer_best(&g, P, &trial, &etrial, mtrial);
        }
        /* spatial-aware pruning, then retention */
        for (unsigned p = 0; p < np && np > o->min_particles;) {
            double dist = 0;
            for (unsigned i = 0; i < s->nt; i++)
                dist += (q->pt[p].x[i] - g.x[i]) * (q->pt[p].x[i] - g.x[i]);
            if (sqrt(dist) > delta) {
                q->pt[p] = q->pt[np - 1];
                np--;
            } else {
                p++;
            }
        }
        while (np < o->min_particles) {
            struct particle *P = &q->pt[np++];
            for (unsigned i = 0; i < s->nt; i++) {
                P->x[i] = g.x[i] + (2 * isac_rng_uniform(&rng) - 1) * vmax;
                P->v[i] = 0;
            }
            reflect_project(s, o->gamma, P->x, P->v);
            P->fit = P->pfit = fitness(q, veh, c, P->x, &trial, &etrial, &mtrial);
            memcpy(P->pbest, P->x, sizeof P->x);
            offer_best(&g, P, &trial, &etrial, mtrial);
        }
        q->hist[q->nhist++] = g.fit;
    }
    *d = g.d;
    *e = g.e;
    *met = g.met;
    return ISAC_OK;
}

const double *isac_ma_pso_history(isac_ma_pso q, unsigned *n)
{
    *n = q->nhist;
    return q->hist;
}
