/* Power design with sensing constraints (ma_power.h). */
#include "ma/ma_power.h"

#include <math.h>
#include <string.h>

#include "common/err.h"
#include "ma/ma_ascent.h"

#define NCON (ISAC_MA_MAX_VEH * 3u)

int isac_ma_constraints_met(const struct isac_ma_scene *s, const struct isac_ma_constraints *c,
                            const struct isac_ma_eval *e)
{
    return isac_ma_constraints_violation(s, c, e) <= 1e-6;
}

double isac_ma_constraints_violation(const struct isac_ma_scene *s,
                                     const struct isac_ma_constraints *c,
                                     const struct isac_ma_eval *e)
{
    double worst = -INFINITY;
    for (unsigned k = 0; k < s->K; k++)
        for (int i = 0; i < 3; i++)
            if (isfinite(c->eps[k][i])) {
                double v = e->lpcrlb[k][i] / c->eps[k][i] - 1.0;
                worst = v > worst ? v : worst;
            }
    return worst;
}

/* Linearised constraints at d->p: rows chat_j with chat_j . p >= 1 (normalised). */
struct lin {
    unsigned n;
    double c[NCON][ISAC_MA_MAX_SUB];
};

static int linearise(const struct isac_ma_scene *s, const struct isac_ma_vehicle *veh,
                     const struct isac_ma_constraints *c, const struct isac_ma_design *d,
                     struct lin *L)
{
    L->n = 0;
    for (unsigned k = 0; k < s->K; k++) {
        double J0[9];
        isac_ma_fim_eta(s, veh, k, d, J0);
        int need[3];
        double b[3];
        for (int i = 0; i < 3; i++) {
            b[i] = isfinite(c->eps[k][i]) ? 1.0 / c->eps[k][i] - veh[k].jp[i] : -1.0;
            need[i] = b[i] > 0;
        }
        if (!need[0] && !need[1] && !need[2])
            continue;
        struct isac_ma_design dp = *d;
        double grad[3][ISAC_MA_MAX_SUB];
        for (unsigned n = 0; n < s->nsub; n++) {
            double h = 1e-6 * s->pt, J1[9];
            dp.p[n] = d->p[n] + h;
            isac_ma_fim_eta(s, veh, k, &dp, J1);
            dp.p[n] = d->p[n];
            for (int i = 0; i < 3; i++)
                grad[i][n] = (J1[4 * i] - J0[4 * i]) / h;
        }
        for (int i = 0; i < 3; i++) {
            if (!need[i])
                continue;
            /* F(p) ~ F(p0) + g.(p - p0) >= b  <=>  g.p >= b - F(p0) + g.p0 =: rhs */
            double gp0 = 0;
            for (unsigned n = 0; n < s->nsub; n++)
                gp0 += grad[i][n] * d->p[n];
            /* 0.1 % margin: the tangent of the concave F over-estimates it by the
             * (second-order) curvature gap */
            double rhs = (1.0 + 1e-3) * b[i] - J0[4 * i] + gp0;
            if (rhs <= 0)
                continue; /* met by every p >= 0 */
            for (unsigned n = 0; n < s->nsub; n++)
                L->c[L->n][n] = grad[i][n] / rhs;
            L->n++;
        }
    }
    return ISAC_OK;
}

static double lin_margin(const struct lin *L, const double *p, unsigned N)
{
    double m = INFINITY;
    for (unsigned j = 0; j < L->n; j++) {
        double v = 0;
        for (unsigned n = 0; n < N; n++)
            v += L->c[j][n] * p[n];
        m = v - 1.0 < m ? v - 1.0 : m;
    }
    return m;
}

static double rate_of(const double *w, const double *h, const double *p, unsigned N)
{
    double r = 0;
    for (unsigned n = 0; n < N; n++)
        r += w[n] * log2(1.0 + h[n] * p[n]);
    return r;
}

/* argmax_p sum w log2(1 + h p) + sum sn p over sum p = P (water-filling with slopes sn). */
static void waterfill(const double *w, const double *h, const double *sn, unsigned N, double P,
                      double *p)
{
    double lo = -INFINITY, hi = -INFINITY;
    for (unsigned n = 0; n < N; n++) {
        lo = sn[n] > lo ? sn[n] : lo;
        double top = sn[n] + w[n] * h[n] / M_LN2;
        hi = top > hi ? top : hi;
    }
    for (int it = 0; it < 40; it++) {
        double mu = 0.5 * (lo + hi), sum = 0;
        for (unsigned n = 0; n < N && sum <= P; n++) {
            double q = w[n] / (M_LN2 * (mu - sn[n])) - 1.0 / h[n];
            sum += q > 0 ? q : 0;
        }
        if (sum > P)
            lo = mu;
        else
            hi = mu;
    }
    double sum = 0;
    for (unsigned n = 0; n < N; n++) {
        double q = w[n] / (M_LN2 * (hi - sn[n])) - 1.0 / h[n];
        p[n] = q > 0 ? q : 0;
        sum += p[n];
    }
    if (sum > 0)
        for (unsigned n = 0; n < N; n++)
            p[n] *= P / sum;
}

/* Point of the simplex with the largest smallest margin (projected subgradient). */
static void max_margin(const struct lin *L, unsigned N, double P, double *p)
{
    double best[ISAC_MA_MAX_SUB], bm = lin_margin(L, p, N);
    memcpy(best, p, N * sizeof *p);
    for (int it = 0; it < 100; it++) {
        unsigned jw = 0;
        double m = INFINITY;
        for (unsigned j = 0; j < L->n; j++) {
            double v = 0;
            for (unsigned n = 0; n < N; n++)
                v += L->c[j][n] * p[n];
            if (v < m) {
                m = v;
                jw = j;
            }
        }
        double nrm = 0;
        for (unsigned n = 0; n < N; n++)
            nrm += L->c[jw][n] * L->c[jw][n];
        double t = P / sqrt(nrm + 1e-300) / sqrt(1.0 + it);
        for (unsigned n = 0; n < N; n++)
            p[n] += t * L->c[jw][n];
        isac_ma_project_simplex(p, N, P);
        double mm = lin_margin(L, p, N);
        if (mm > bm) {
            bm = mm;
            memcpy(best, p, N * sizeof *p);
        }
    }
    memcpy(p, best, N * sizeof *p);
}

/* One SCA step: the linearised problem at d->p, result in d->p (never worse in rate among
 * the points feasible for the linearisation). */
static void sca_step(const struct isac_ma_scene *s, const struct isac_ma_vehicle *veh,
                     const struct isac_ma_constraints *c, struct isac_ma_design *d)
{
    unsigned N = s->nsub, ng = N / s->K;
    double w[ISAC_MA_MAX_SUB], h[ISAC_MA_MAX_SUB], sn[ISAC_MA_MAX_SUB], p[ISAC_MA_MAX_SUB];
    for (unsigned k = 0; k < s->K; k++) {
        double hk = isac_ma_comm_gain(s, veh, k, d);
        for (unsigned n = k * ng; n < (k + 1) * ng; n++) {
            w[n] = 1.0 / ng;
            h[n] = hk > 1e-300 ? hk : 1e-300;
        }
    }
    struct lin Lloc, *L = &Lloc;
    linearise(s, veh, c, d, L);
    double lambda[NCON] = {0}, bestp[ISAC_MA_MAX_SUB], bestr = -INFINITY, ps[ISAC_MA_MAX_SUB];
    memcpy(bestp, d->p, N * sizeof *bestp);
    if (lin_margin(L, d->p, N) >= -1e-12)
        bestr = rate_of(w, h, d->p, N);
    /* a strictly feasible anchor: the largest-margin point of the linearised set */
    memcpy(ps, d->p, N * sizeof *ps);
    if (L->n)
        max_margin(L, N, s->pt, ps);
    if (L->n && lin_margin(L, ps, N) < 0) { /* the linearised constraints cannot be met */
        if (!isfinite(bestr))
            memcpy(d->p, ps, N * sizeof *ps);
        return;
    }
    for (int it = 0; it < 150; it++) {
        for (unsigned n = 0; n < N; n++) {
            sn[n] = 0;
            for (unsigned j = 0; j < L->n; j++)
                sn[n] += lambda[j] * L->c[j][n];
        }
        waterfill(w, h, sn, N, s->pt, p);
        /* the dual iterate is rarely exactly feasible: move it towards the anchor just far
         * enough (the constraints are linear, so the blend is feasible in closed form) */
        double t = 0;
        for (unsigned j = 0; j < L->n; j++) {
            double vp = 0, vs = 0;
            for (unsigned n = 0; n < N; n++) {
                vp += L->c[j][n] * p[n];
                vs += L->c[j][n] * ps[n];
            }
            if (vp < 1.0 && vs > vp) {
                double tj = (1.0 - vp) / (vs - vp) + 1e-12;
                t = tj > t ? tj : t;
            }
        }
        t = t > 1 ? 1 : t;
        double q[ISAC_MA_MAX_SUB];
        for (unsigned n = 0; n < N; n++)
            q[n] = (1 - t) * p[n] + t * ps[n];
        if (lin_margin(L, q, N) >= -1e-12) {
            double r = rate_of(w, h, q, N);
            if (r > bestr) {
                bestr = r;
                memcpy(bestp, q, N * sizeof *q);
            }
        }
        if (L->n == 0)
            break;
        double eta = 2.0 / sqrt(1.0 + it);
        for (unsigned j = 0; j < L->n; j++) {
            double v = 0;
            for (unsigned n = 0; n < N; n++)
                v += L->c[j][n] * p[n];
            lambda[j] -= eta * (v - 1.0);
            lambda[j] = lambda[j] > 0 ? lambda[j] : 0;
        }
    }
    memcpy(d->p, bestp, N * sizeof *bestp);
}

int isac_ma_power_design(const struct isac_ma_scene *s, const struct isac_ma_vehicle *veh,
                         const struct isac_ma_constraints *c, struct isac_ma_design *d, int *met)
{
    if (isac_ma_scene_check(s, NULL, 0) != ISAC_OK)
        return ISAC_EINVAL;
    struct isac_ma_eval e;
    for (int it = 0; it < 3; it++)
        sca_step(s, veh, c, d);
    isac_ma_evaluate(s, veh, d, &e);
    if (met)
        *met = isac_ma_constraints_met(s, c, &e);
    return ISAC_OK;
}
