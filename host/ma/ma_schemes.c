/* One draw of the seed 002 comparison (ma_schemes.h). */
#include "ma/ma_schemes.h"

#include <gsl/gsl_cdf.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/err.h"
#include "common/rng.h"

static const char *const NAMES[ISAC_MA_NSCHEMES] = {"ulah",    "ma_pga", "ma_pso",
                                                    "ma_grid", "fpa",    "random"};

const char *isac_ma_scheme_name(enum isac_ma_scheme s)
{
    return (unsigned)s < ISAC_MA_NSCHEMES ? NAMES[s] : "?";
}

void isac_ma_run_opts_default(struct isac_ma_run_opts *o)
{
    isac_ma_v2i_opts_default(&o->v2i);
    isac_ma_pga_opts_default(&o->pga);
    isac_ma_pso_opts_default(&o->pso);
    o->eps_theta_rel = 1.02;
    o->eps_dv_rel = 1.02;
    o->grid_pitch = 0.25;
}

void isac_ma_run_opts_quick(struct isac_ma_run_opts *o)
{
    isac_ma_run_opts_default(o);
    o->pso.particles = 6;
    o->pso.iters = 8;
    o->pso.min_particles = 3;
    o->pga.max_iter = 15;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void score(const struct isac_ma_scene *s, const struct isac_ma_eval *e, int met, double t0,
                  struct isac_ma_scheme_result *r)
{
    r->sum_rate = e->rate;
    for (int i = 0; i < 3; i++) {
        r->lpcrlb[i] = 0;
        for (unsigned k = 0; k < s->K; k++)
            r->lpcrlb[i] += e->lpcrlb[k][i] / s->K;
    }
    r->met = met;
    r->seconds = now_s() - t0;
}

/* Inner (P2) problem at the positions in r->d; scores r. */
static int fixed(const struct isac_ma_scene *s, const struct isac_ma_vehicle *veh,
                 const struct isac_ma_constraints *c, const struct isac_ma_run_opts *o, double t0,
                 struct isac_ma_scheme_result *r, char *err, size_t errlen)
{
    struct isac_ma_eval e;
    int met = 0;
    int rc = isac_ma_fixed_solve(s, veh, c, &o->pso.inner, &r->d, &e, &met, err, errlen);
    if (rc == ISAC_OK)
        score(s, &e, met, t0, r);
    return rc;
}

int isac_ma_run_draw(const struct isac_ma_scene *s, const struct isac_ma_run_opts *o, uint64_t seed,
                     struct isac_ma_draw_result *out, char *err, size_t errlen)
{
    if (isac_ma_scene_check(s, err, errlen) != ISAC_OK)
        return ISAC_EINVAL;
    if (!(o->eps_theta_rel > 0) || !(o->eps_dv_rel > 0)) {
        isac_seterr(err, errlen, "thresholds: eps_theta_rel %g and eps_dv_rel %g must be > 0",
                    o->eps_theta_rel, o->eps_dv_rel);
        return ISAC_EINVAL;
    }
    memset(out, 0, sizeof *out);
    if (isac_ma_v2i_draw(s, &o->v2i, seed, out->veh, NULL) != ISAC_OK) {
        isac_seterr(err, errlen, "v2i: bad scene options or tracker failure (seed %llu)",
                    (unsigned long long)seed);
        return ISAC_EINVAL;
    }
    const struct isac_ma_vehicle *veh = out->veh;
    struct isac_ma_scheme_result *R = out->r;
    int rc = ISAC_OK;
    isac_ma_pga pga = NULL;
    isac_ma_pso pso = NULL;

    /* thresholds from the ULA with communication-only beams */
    struct isac_ma_design ula;
    memset(&ula, 0, sizeof ula);
    if (isac_ma_uniform(&s->tx, s->nt, 0.5, ula.xt) != ISAC_OK ||
        isac_ma_uniform(&s->rx, s->nr, 0.5, ula.xr) != ISAC_OK) {
        isac_seterr(err, errlen, "ulah: a half-wavelength ULA of %u/%u elements does not fit",
                    s->nt, s->nr);
        return ISAC_EINVAL;
    }
    isac_ma_design_comm_beams(s, veh, &ula);
    struct isac_ma_eval e0;
    isac_ma_evaluate(s, veh, &ula, &e0);
    struct isac_ma_constraints c;
    for (unsigned k = 0; k < ISAC_MA_MAX_VEH; k++)
        for (int i = 0; i < 3; i++)
            c.eps[k][i] = INFINITY;
    for (unsigned k = 0; k < s->K; k++)
        for (int i = 0; i < 3; i++) {
            double rel = i == 0 ? o->eps_theta_rel : o->eps_dv_rel;
            c.eps[k][i] = 1.0 / (veh[k].jp[i] + e0.fim[k][i] / rel);
        }

    double t0 = now_s();
    R[ISAC_MA_ULAH].d = ula;
    if ((rc = fixed(s, veh, &c, o, t0, &R[ISAC_MA_ULAH], err, errlen)) != ISAC_OK)
        goto done;

    t0 = now_s();
    R[ISAC_MA_FPA].d = ula;
    double Lt = s->tx.xmax - s->tx.xmin, Lr = s->rx.xmax - s->rx.xmin;
    if (s->nt > 1)
        isac_ma_uniform(&s->tx, s->nt, Lt / (s->nt - 1), R[ISAC_MA_FPA].d.xt);
    if (s->nr > 1)
        isac_ma_uniform(&s->rx, s->nr, Lr / (s->nr - 1), R[ISAC_MA_FPA].d.xr);
    if ((rc = fixed(s, veh, &c, o, t0, &R[ISAC_MA_FPA], err, errlen)) != ISAC_OK)
        goto done;

    t0 = now_s();
    isac_rng rng;
    isac_rng_seed_stream(&rng, seed, 2);
    isac_ma_random(&s->tx, s->nt, &rng, R[ISAC_MA_RANDOM].d.xt);
    isac_ma_random(&s->rx, s->nr, &rng, R[ISAC_MA_RANDOM].d.xr);
    if ((rc = fixed(s, veh, &c, o, t0, &R[ISAC_MA_RANDOM], err, errlen)) != ISAC_OK)
        goto done;

    t0 = now_s();
    rc = ISAC_ENOMEM;
    if (!(pga = isac_ma_pga_create(s, &o->pga, err, errlen)))
        goto done;
    R[ISAC_MA_PGA].d = ula;
    if ((rc = isac_ma_pga_execute(pga, veh, &R[ISAC_MA_PGA].d, err, errlen)) != ISAC_OK)
        goto done;
    double pga_seconds = now_s() - t0;
    if ((rc = fixed(s, veh, &c, o, t0, &R[ISAC_MA_PGA], err, errlen)) != ISAC_OK)
        goto done;

    t0 = now_s() - pga_seconds; /* RPDPSO's warm start includes the PRE-SC-PGA run */
    struct isac_ma_pso_opts po = o->pso;
    po.seed = seed * 0x9E3779B97F4A7C15ull + 3;
    if (!(pso = isac_ma_pso_create(s, &po, err, errlen))) {
        rc = ISAC_EINVAL;
        goto done;
    }
    const double *warm[2] = {R[ISAC_MA_PGA].d.xt, ula.xt};
    struct isac_ma_eval e;
    int met = 0;
    R[ISAC_MA_PSO].d = ula;
    if ((rc = isac_ma_pso_execute(pso, veh, &c, warm, 2, &R[ISAC_MA_PSO].d, &e, &met, err,
                                  errlen)) != ISAC_OK)
        goto done;
    score(s, &e, met, t0, &R[ISAC_MA_PSO]);

    t0 = now_s();
    R[ISAC_MA_GRID].d = R[ISAC_MA_PSO].d;
    if (isac_ma_quantise(&s->tx, o->grid_pitch, R[ISAC_MA_GRID].d.xt, s->nt) != ISAC_OK) {
        isac_seterr(err, errlen, "ma_grid: pitch %g does not divide dmin %g", o->grid_pitch,
                    s->tx.dmin);
        rc = ISAC_EINVAL;
        goto done;
    }
    if ((rc = fixed(s, veh, &c, o, t0, &R[ISAC_MA_GRID], err, errlen)) != ISAC_OK)
        goto done;
    R[ISAC_MA_GRID].seconds += R[ISAC_MA_PSO].seconds;
done:
    isac_ma_pga_destroy(pga);
    isac_ma_pso_destroy(pso);
    return rc;
}

void isac_ma_stat_of(const double *x, unsigned n, struct isac_ma_stat *out)
{
    double m = 0, v = 0;
    for (unsigned i = 0; i < n; i++)
        m += x[i] / n;
    for (unsigned i = 0; i < n; i++)
        v += (x[i] - m) * (x[i] - m);
    out->mean = m;
    if (n < 2) {
        out->lo = -INFINITY;
        out->hi = INFINITY;
        return;
    }
    double half = gsl_cdf_tdist_Pinv(0.975, (double)(n - 1)) * sqrt(v / (n - 1) / n);
    out->lo = m - half;
    out->hi = m + half;
}

int isac_ma_summarise(const struct isac_ma_draw_result *d, unsigned n,
                      struct isac_ma_summary out[ISAC_MA_NSCHEMES])
{
    double *x = malloc((n ? n : 1) * sizeof *x);
    if (!x)
        return ISAC_ENOMEM;
    for (int s = 0; s < ISAC_MA_NSCHEMES; s++) {
        struct isac_ma_summary *o = &out[s];
#define STAT(field, expr)                                                                          \
    do {                                                                                           \
        for (unsigned i = 0; i < n; i++)                                                           \
            x[i] = (expr);                                                                         \
        isac_ma_stat_of(x, n, &o->field);                                                          \
    } while (0)
        STAT(rate, d[i].r[s].sum_rate);
        STAT(rate_gain, d[i].r[s].sum_rate / d[i].r[ISAC_MA_ULAH].sum_rate - 1.0);
        STAT(dod, d[i].r[s].lpcrlb[0]);
        STAT(dod_change, d[i].r[s].lpcrlb[0] / d[i].r[ISAC_MA_ULAH].lpcrlb[0] - 1.0);
        STAT(dist, d[i].r[s].lpcrlb[1]);
        STAT(vel, d[i].r[s].lpcrlb[2]);
        STAT(seconds, d[i].r[s].seconds);
#undef STAT
        o->met = 0;
        for (unsigned i = 0; i < n; i++)
            o->met += (double)d[i].r[s].met / n;
    }
    free(x);
    return ISAC_OK;
}
