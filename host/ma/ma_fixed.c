/* Beams and power at fixed positions (ma_fixed.h). */
#include "ma/ma_fixed.h"

#include <complex.h>
#include <math.h>

#include "common/err.h"
#include "ma/ma_ascent.h"

void isac_ma_fixed_opts_default(struct isac_ma_fixed_opts *o)
{
    o->rounds = 3;
    o->beam_iters = 25;
    o->pen = 1e4;
}

struct pen_ctx {
    const struct isac_ma_scene *s;
    const struct isac_ma_vehicle *veh;
    const struct isac_ma_constraints *c;
    double pen;
    struct isac_ma_design *d;                                 /* beams written by set_beams */
    double complex an[ISAC_MA_MAX_VEH][ISAC_MA_MAX_ELEMENTS]; /* a(theta_k) / |a| */
    double complex
        dn[ISAC_MA_MAX_VEH][ISAC_MA_MAX_ELEMENTS]; /* (da/dtheta, orthogonal to a) / norm */
};

/* Unit vectors a_k/|a_k| and the part of da_k/dtheta orthogonal to a_k, normalised. */
static void beam_basis(struct pen_ctx *P)
{
    const struct isac_ma_scene *s = P->s;
    for (unsigned k = 0; k < s->K; k++) {
        double c = cos(P->veh[k].theta), sn = sin(P->veh[k].theta), nrm = 1.0 / sqrt(s->nt);
        double complex proj = 0;
        for (unsigned i = 0; i < s->nt; i++) {
            double complex a = cexp(I * 2.0 * M_PI * P->d->xt[i] * c);
            P->an[k][i] = nrm * a;
            P->dn[k][i] = -I * 2.0 * M_PI * sn * P->d->xt[i] * a;
            proj += conj(P->an[k][i]) * P->dn[k][i];
        }
        double dd = 0;
        for (unsigned i = 0; i < s->nt; i++) {
            P->dn[k][i] -= proj * P->an[k][i];
            dd += creal(P->dn[k][i] * conj(P->dn[k][i]));
        }
        dd = dd > 0 ? 1.0 / sqrt(dd) : 0.0;
        for (unsigned i = 0; i < s->nt; i++)
            P->dn[k][i] *= dd;
    }
}

/* v = (phi_k, psi_k) per vehicle: w_k = cos(phi) a_k + sin(phi) e^{j psi} d_k (unit norm). */
static void set_beams(struct pen_ctx *P, const double *v)
{
    for (unsigned k = 0; k < P->s->K; k++) {
        double complex cd = sin(v[2 * k]) * cexp(I * v[2 * k + 1]);
        for (unsigned i = 0; i < P->s->nt; i++)
            P->d->w[k][i] = cos(v[2 * k]) * P->an[k][i] + cd * P->dn[k][i];
    }
}

static double penalised_rate(void *ctx, const struct isac_ma_design *d)
{
    struct pen_ctx *P = ctx;
    struct isac_ma_eval e;
    isac_ma_evaluate(P->s, P->veh, d, &e);
    double acc = 0;
    for (unsigned k = 0; k < P->s->K; k++)
        for (int i = 0; i < 3; i++)
            if (isfinite(P->c->eps[k][i])) {
                /* aim 3 % inside the threshold: the squared hinge leaves a residual
                 * violation of order 1/pen, which the margin absorbs */
                double v = e.lpcrlb[k][i] / (0.97 * P->c->eps[k][i]) - 1.0;
                acc += v > 0 ? v * v : 0;
            }
    return e.rate - P->pen * acc;
}

static double beam_obj(void *ctx, const double *v)
{
    struct pen_ctx *P = ctx;
    set_beams(P, v);
    return penalised_rate(P, P->d);
}

int isac_ma_fixed_solve(const struct isac_ma_scene *s, const struct isac_ma_vehicle *veh,
                        const struct isac_ma_constraints *c, const struct isac_ma_fixed_opts *o,
                        struct isac_ma_design *d, struct isac_ma_eval *e, int *met, char *err,
                        size_t errlen)
{
    char sub[200];
    if (isac_ma_scene_check(s, err, errlen) != ISAC_OK)
        return ISAC_EINVAL;
    if (isac_ma_positions_check(&s->tx, d->xt, s->nt, sub, sizeof sub) != ISAC_OK) {
        isac_seterr(err, errlen, "tx %s", sub);
        return ISAC_EINVAL;
    }
    if (isac_ma_positions_check(&s->rx, d->xr, s->nr, sub, sizeof sub) != ISAC_OK) {
        isac_seterr(err, errlen, "rx %s", sub);
        return ISAC_EINVAL;
    }
    isac_ma_design_comm_beams(s, veh, d);
    struct pen_ctx P = {.s = s, .veh = veh, .c = c, .pen = o->pen, .d = d};
    beam_basis(&P);
    double v[2 * ISAC_MA_MAX_VEH] = {0}, step = 0.05;
    for (unsigned k = 0; k < s->K; k++) { /* start: the best of 8 phases at a small tilt */
        double best = -INFINITY, bpsi = 0;
        v[2 * k] = 0.1;
        for (int q = 0; q < 8; q++) {
            v[2 * k + 1] = q * M_PI / 4;
            double f = beam_obj(&P, v);
            if (f > best) {
                best = f;
                bpsi = v[2 * k + 1];
            }
        }
        v[2 * k + 1] = bpsi;
    }
    for (unsigned r = 0; r < o->rounds; r++) {
        isac_ma_ascent(beam_obj, NULL, &P, v, 2 * s->K, 1e-6, o->beam_iters, &step);
        set_beams(&P, v);
        isac_ma_power_design(s, veh, c, d, NULL);
    }
    isac_ma_evaluate(s, veh, d, e);
    if (met)
        *met = isac_ma_constraints_met(s, c, e);
    return ISAC_OK;
}
