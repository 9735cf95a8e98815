/* Block steps (ma_blocks.h): pack one block into a real vector, ascend, unpack. */
#include "ma/ma_blocks.h"

#include <math.h>

#include "ma/ma_ascent.h"

struct blk {
    const struct isac_ma_scene *s;
    enum isac_ma_block b;
    isac_ma_design_fn f;
    void *ctx;
    struct isac_ma_design d; /* working copy: every block but b is read from here */
};

static unsigned blk_size(const struct blk *B)
{
    switch (B->b) {
    case ISAC_MA_BLOCK_BEAMS: return 2 * B->s->K * B->s->nt;
    case ISAC_MA_BLOCK_POWER: return B->s->nsub;
    case ISAC_MA_BLOCK_TX: return B->s->nt;
    default: return B->s->nr;
    }
}

static void pack(const struct blk *B, const struct isac_ma_design *d, double *v)
{
    const struct isac_ma_scene *s = B->s;
    switch (B->b) {
    case ISAC_MA_BLOCK_BEAMS:
        for (unsigned k = 0; k < s->K; k++)
            for (unsigned i = 0; i < s->nt; i++) {
                v[2 * (k * s->nt + i)] = creal(d->w[k][i]);
                v[2 * (k * s->nt + i) + 1] = cimag(d->w[k][i]);
            }
        break;
    case ISAC_MA_BLOCK_POWER:
        for (unsigned n = 0; n < s->nsub; n++)
            v[n] = d->p[n];
        break;
    case ISAC_MA_BLOCK_TX:
        for (unsigned i = 0; i < s->nt; i++)
            v[i] = d->xt[i];
        break;
    default:
        for (unsigned i = 0; i < s->nr; i++)
            v[i] = d->xr[i];
    }
}

static void unpack(const struct blk *B, const double *v, struct isac_ma_design *d)
{
    const struct isac_ma_scene *s = B->s;
    switch (B->b) {
    case ISAC_MA_BLOCK_BEAMS:
        for (unsigned k = 0; k < s->K; k++)
            for (unsigned i = 0; i < s->nt; i++)
                d->w[k][i] = v[2 * (k * s->nt + i)] + I * v[2 * (k * s->nt + i) + 1];
        break;
    case ISAC_MA_BLOCK_POWER:
        for (unsigned n = 0; n < s->nsub; n++)
            d->p[n] = v[n];
        break;
    case ISAC_MA_BLOCK_TX:
        for (unsigned i = 0; i < s->nt; i++)
            d->xt[i] = v[i];
        break;
    default:
        for (unsigned i = 0; i < s->nr; i++)
            d->xr[i] = v[i];
    }
}

static double blk_obj(void *ctx, const double *v)
{
    struct blk *B = ctx;
    unpack(B, v, &B->d);
    return B->f(B->ctx, &B->d);
}

static void blk_proj(void *ctx, double *v)
{
    struct blk *B = ctx;
    const struct isac_ma_scene *s = B->s;
    switch (B->b) {
    case ISAC_MA_BLOCK_BEAMS:
        for (unsigned k = 0; k < s->K; k++) {
            double *w = v + 2 * k * s->nt, nrm = 0;
            for (unsigned i = 0; i < 2 * s->nt; i++)
                nrm += w[i] * w[i];
            nrm = nrm > 0 ? 1.0 / sqrt(nrm) : 0;
            for (unsigned i = 0; i < 2 * s->nt; i++)
                w[i] = nrm > 0 ? w[i] * nrm : (i == 0);
        }
        break;
    case ISAC_MA_BLOCK_POWER: isac_ma_project_simplex(v, s->nsub, s->pt); break;
    case ISAC_MA_BLOCK_TX: isac_ma_project(&s->tx, v, s->nt); break;
    default: isac_ma_project(&s->rx, v, s->nr);
    }
}

double isac_ma_block_step(const struct isac_ma_scene *s, enum isac_ma_block b, isac_ma_design_fn f,
                          void *ctx, struct isac_ma_design *d, unsigned iters, double *step)
{
    struct blk B = {.s = s, .b = b, .f = f, .ctx = ctx, .d = *d};
    double v[ISAC_MA_ASCENT_MAXN];
    unsigned n = blk_size(&B);
    pack(&B, d, v);
    /* no projection of the entry point: it must be feasible already (callers start from
     * feasible designs and every accepted step is projected), so the value returned by the
     * previous step is exactly the starting value of this one */
    /* finite-difference step: beams are unit vectors and positions O(1) wavelengths; powers
     * are O(P_T / N) */
    double h = b == ISAC_MA_BLOCK_POWER ? 1e-6 * s->pt / s->nsub : 1e-6;
    if (!(*step > 0))
        *step = b == ISAC_MA_BLOCK_POWER ? 1e-3 * s->pt : 1e-2;
    double fv = isac_ma_ascent(blk_obj, blk_proj, &B, v, n, h, iters, step);
    unpack(&B, v, d);
    return fv;
}
