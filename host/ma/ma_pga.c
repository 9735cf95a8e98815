/* PRE-SC-PGA (ma_pga.h). */
#include "ma/ma_pga.h"

#include <math.h>
#include <stdlib.h>

#include "common/err.h"
#include "ma/ma_blocks.h"

struct isac_ma_pga_s {
    struct isac_ma_scene s;
    struct isac_ma_pga_opts o;
    double *hist;
    unsigned nhist, cap;
};

struct obj_ctx {
    const struct isac_ma_scene *s;
    const struct isac_ma_vehicle *veh;
    double rho, r0, l0[ISAC_MA_MAX_VEH][3];
};

void isac_ma_pga_opts_default(struct isac_ma_pga_opts *o)
{
    o->rho = 0.5;
    o->max_iter = 50;
    o->tol = 1e-6;
    o->block_iters = 5;
    o->move_rx = 1;
}

isac_ma_pga isac_ma_pga_create(const struct isac_ma_scene *s, const struct isac_ma_pga_opts *o,
                               char *err, size_t errlen)
{
    if (isac_ma_scene_check(s, err, errlen) != ISAC_OK)
        return NULL;
    if (!(o->rho >= 0 && o->rho <= 1) || o->max_iter < 1 || !(o->tol >= 0) || o->block_iters < 1) {
        isac_seterr(err, errlen,
                    "pga: rho %g must be in [0, 1], max_iter %u and block_iters %u >= 1", o->rho,
                    o->max_iter, o->block_iters);
        return NULL;
    }
    struct isac_ma_pga_s *q = calloc(1, sizeof *q);
    if (!q)
        goto fail;
    q->s = *s;
    q->o = *o;
    q->cap = 1 + 4 * o->max_iter;
    q->hist = malloc(q->cap * sizeof *q->hist);
    if (!q->hist)
        goto fail;
    return q;
fail:
    isac_ma_pga_destroy(q);
    isac_seterr(err, errlen, "pga: out of memory");
    return NULL;
}

void isac_ma_pga_destroy(isac_ma_pga q)
{
    if (!q)
        return;
    free(q->hist);
    free(q);
}

static double objective(void *ctx, const struct isac_ma_design *d)
{
    struct obj_ctx *C = ctx;
    struct isac_ma_eval e;
    isac_ma_evaluate(C->s, C->veh, d, &e);
    double sens = 0;
    for (unsigned k = 0; k < C->s->K; k++)
        for (int i = 0; i < 3; i++)
            sens += e.lpcrlb[k][i] / C->l0[k][i];
    return C->rho * e.rate / C->r0 - (1.0 - C->rho) * sens / (3.0 * C->s->K);
}

int isac_ma_pga_execute(isac_ma_pga q, const struct isac_ma_vehicle *veh, struct isac_ma_design *d,
                        char *err, size_t errlen)
{
    const struct isac_ma_scene *s = &q->s;
    char sub[200];
    if (isac_ma_positions_check(&s->tx, d->xt, s->nt, sub, sizeof sub) != ISAC_OK ||
        isac_ma_positions_check(&s->rx, d->xr, s->nr, sub + 100, 100) != ISAC_OK) {
        isac_seterr(err, errlen, "pga: starting positions: %s", sub[0] ? sub : sub + 100);
        return ISAC_EINVAL;
    }
    isac_ma_design_comm_beams(s, veh, d);
    struct isac_ma_eval e0;
    isac_ma_evaluate(s, veh, d, &e0);
    struct obj_ctx C = {.s = s, .veh = veh, .rho = q->o.rho, .r0 = e0.rate > 0 ? e0.rate : 1.0};
    for (unsigned k = 0; k < s->K; k++)
        for (int i = 0; i < 3; i++)
            C.l0[k][i] = isfinite(e0.lpcrlb[k][i]) && e0.lpcrlb[k][i] > 0 ? e0.lpcrlb[k][i] : 1.0;
    q->nhist = 0;
    double f = objective(&C, d), step[4] = {0, 0, 0, 0};
    q->hist[q->nhist++] = f;
    static const enum isac_ma_block order[4] = {ISAC_MA_BLOCK_BEAMS, ISAC_MA_BLOCK_POWER,
                                                ISAC_MA_BLOCK_TX, ISAC_MA_BLOCK_RX};
    for (unsigned it = 0; it < q->o.max_iter; it++) {
        double f_start = f;
        for (int b = 0; b < 4; b++) {
            if (order[b] == ISAC_MA_BLOCK_RX && !q->o.move_rx)
                continue;
            f = isac_ma_block_step(s, order[b], objective, &C, d, q->o.block_iters, &step[b]);
            q->hist[q->nhist++] = f;
        }
        if (fabs(f - f_start) <= q->o.tol * fabs(f_start))
            break;
    }
    return ISAC_OK;
}

const double *isac_ma_pga_history(isac_ma_pga q, unsigned *n)
{
    *n = q->nhist;
    return q->hist;
}
