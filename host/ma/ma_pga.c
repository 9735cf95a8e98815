/* PRE-SC-PGA (ma_pga.h). */
#include "ma/ma_pga.h"

#include <math.h>
#include <stdlib.h>

#include "common/err.h"
#include "ma/ma_blocks.h"

struct ma_pga_s {
    struct ma_scene s;
    struct ma_pga_opts o;
    double *hist;
    unsigned nhist, cap;
};

struct obj_ctx {
    const struct ma_scene *s;
    const struct ma_vehicle *veh;
    double rho, r0, l0[MA_MAX_VEH][3];
};

void ma_pga_opts_default(struct ma_pga_opts *o)
{
    o->rho = 0.5;
    o->max_iter = 50;
    o->tol = 1e-6;
    o->block_iters = 5;
    o->move_rx = 1;
}

ma_pga ma_pga_create(const struct ma_scene *s, const struct ma_pga_opts *o, char *err,
                     size_t errlen)
{
    if (ma_scene_check(s, err, errlen) != ISAC_OK)
        return NULL;
    if (!(o->rho >= 0 && o->rho <= 1) || o->max_iter < 1 || !(o->tol >= 0) || o->block_iters < 1) {
        isac_seterr(err, errlen,
                    "pga: rho %g must be in [0, 1], max_iter %u and block_iters %u >= 1", o->rho,
                    o->max_iter, o->block_iters);
        return NULL;
    }
    struct ma_pga_s *q = calloc(1, sizeof *q);
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
    ma_pga_destroy(q);
    isac_seterr(err, errlen, "pga: out of memory");
    return NULL;
}

void ma_pga_destroy(ma_pga q)
{
    if (!q)
        return;
    free(q->hist);
    free(q);
}

static double objective(void *ctx, const struct ma_design *d)
{
    struct obj_ctx *C = ctx;
    struct ma_eval e;
    ma_evaluate(C->s, C->veh, d, &e);
    double sens = 0;
    for (unsigned k = 0; k < C->s->K; k++)
        for (int i = 0; i < 3; i++)
            sens += e.lpcrlb[k][i] / C->l0[k][i];
    return C->rho * e.rate / C->r0 - (1.0 - C->rho) * sens / (3.0 * C->s->K);
}

int ma_pga_execute(ma_pga q, const struct ma_vehicle *veh, struct ma_design *d, char *err,
                   size_t errlen)
{
    const struct ma_scene *s = &q->s;
    char sub[200];
    if (ma_positions_check(&s->tx, d->xt, s->nt, sub, sizeof sub) != ISAC_OK ||
        ma_positions_check(&s->rx, d->xr, s->nr, sub + 100, 100) != ISAC_OK) {
        isac_seterr(err, errlen, "pga: starting positions: %s", sub[0] ? sub : sub + 100);
        return ISAC_EINVAL;
    }
    ma_design_comm_beams(s, veh, d);
    struct ma_eval e0;
    ma_evaluate(s, veh, d, &e0);
    struct obj_ctx C = {.s = s, .veh = veh, .rho = q->o.rho, .r0 = e0.rate > 0 ? e0.rate : 1.0};
    for (unsigned k = 0; k < s->K; k++)
        for (int i = 0; i < 3; i++)
            C.l0[k][i] = isfinite(e0.lpcrlb[k][i]) && e0.lpcrlb[k][i] > 0 ? e0.lpcrlb[k][i] : 1.0;
    q->nhist = 0;
    double f = objective(&C, d), step[4] = {0, 0, 0, 0};
    q->hist[q->nhist++] = f;
    static const enum ma_block order[4] = {MA_BLOCK_BEAMS, MA_BLOCK_POWER, MA_BLOCK_TX,
                                           MA_BLOCK_RX};
    for (unsigned it = 0; it < q->o.max_iter; it++) {
        double f_start = f;
        for (int b = 0; b < 4; b++) {
            if (order[b] == MA_BLOCK_RX && !q->o.move_rx)
                continue;
            f = ma_block_step(s, order[b], objective, &C, d, q->o.block_iters, &step[b]);
            q->hist[q->nhist++] = f;
        }
        if (fabs(f - f_start) <= q->o.tol * fabs(f_start))
            break;
    }
    return ISAC_OK;
}

const double *ma_pga_history(ma_pga q, unsigned *n)
{
    *n = q->nhist;
    return q->hist;
}
