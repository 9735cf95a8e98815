/* Bi-LSTM: configuration, parameters, forward, backpropagation through time, Adam
 * (lstm.h). Storage is in lstm_io.c.
 *
 * Work layout: a chunk of B sequences is processed together, time-major, row r = t B + b
 * for step t of sequence b, T = the chunk's longest sequence. Rows with t >= len_b are
 * padding: their inputs are zero, their outputs are zeroed, and their gradients are never
 * formed, so they cannot leak into the valid rows. Because padding is a suffix of every
 * sequence, the backward direction runs the same recurrence on a time-reversed copy of
 * each sequence (reversed step t = natural step len_b - 1 - t), and starts at each
 * sequence's own last step. */
#include "learn/lstm.h"

#include <cblas.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/rng.h"
#include "learn/lstm_impl.h"

void isac_bilstm_cfg_defaults(struct isac_bilstm_cfg *c, unsigned in, unsigned out)
{
    memset(c, 0, sizeof *c);
    c->in = in;
    c->out = out;
    c->hidden = 32;
    c->layers = 1;
    c->ndense = 1;
    c->dense[0] = 32;
    c->head = ISAC_BILSTM_HEAD_BCE;
    c->max_len = 256;
    c->max_batch = 64;
    c->chunk = 16;
    c->threads = 1;
}

#define FAIL(...)                                                                                  \
    do {                                                                                           \
        isac_seterr(err, errlen, __VA_ARGS__);                                                     \
        return -1;                                                                                 \
    } while (0)

int isac_bilstm_cfg_check(const struct isac_bilstm_cfg *c, char *err, size_t errlen)
{
    if (c->in < 1 || c->in > 4096)
        FAIL("in: %u outside 1..4096", c->in);
    if (c->out < 1 || c->out > 4096)
        FAIL("out: %u outside 1..4096", c->out);
    if (c->hidden < 1 || c->hidden > 1024)
        FAIL("hidden: %u outside 1..1024", c->hidden);
    if (c->layers < 1 || c->layers > ISAC_BILSTM_MAX_LAYERS)
        FAIL("layers: %u outside 1..%d", c->layers, ISAC_BILSTM_MAX_LAYERS);
    if (c->ndense > ISAC_BILSTM_MAX_DENSE)
        FAIL("dense: %u layers, at most %d", c->ndense, ISAC_BILSTM_MAX_DENSE);
    for (unsigned k = 0; k < c->ndense; k++)
        if (c->dense[k] < 1 || c->dense[k] > 4096)
            FAIL("dense[%u]: %u outside 1..4096", k, c->dense[k]);
    if (c->head != ISAC_BILSTM_HEAD_BCE && c->head != ISAC_BILSTM_HEAD_MSE)
        FAIL("head: %d is neither bce (0) nor mse (1)", (int)c->head);
    if (c->ball_groups && (c->head != ISAC_BILSTM_HEAD_MSE || c->out % c->ball_groups))
        FAIL("ball_groups: %u needs the mse head and must divide out (%u)", c->ball_groups, c->out);
    if (c->max_len < 1 || c->max_len > 65536)
        FAIL("max_len: %u outside 1..65536", c->max_len);
    if (c->max_batch < 1 || c->max_batch > 65536)
        FAIL("max_batch: %u outside 1..65536", c->max_batch);
    if (c->chunk > 65536)
        FAIL("chunk: %u outside 0..65536", c->chunk);
    if (c->threads > 256)
        FAIL("threads: %u outside 0..256", c->threads);
    /* the largest work matrix must stay addressable with int BLAS dimensions */
    unsigned ch = c->chunk ? c->chunk : 16;
    double rows = (double)(ch < c->max_batch ? ch : c->max_batch) * c->max_len;
    double wmax = fmax(fmax(4.0 * c->hidden, c->in), c->out);
    for (unsigned k = 0; k < c->ndense; k++)
        wmax = fmax(wmax, c->dense[k]);
    if (rows * wmax > 2147483647.0)
        FAIL("max_len: %u x chunk %u x width %.0f exceeds the work matrix limit", c->max_len, ch,
             wmax);
    return 0;
}

/* ---- parameter layout ---- */

static void layout(struct isac_bilstm_s *n)
{
    const struct isac_bilstm_cfg *c = &n->c;
    size_t o = 0, h = c->hidden;
    for (unsigned l = 0; l < c->layers; l++) {
        n->din[l] = l == 0 ? c->in : 2 * c->hidden;
        for (unsigned d = 0; d < 2; d++) {
            n->oW[l][d] = o;
            o += 4 * h * n->din[l];
            n->oU[l][d] = o;
            o += 4 * h * h;
            n->ob[l][d] = o;
            o += 4 * h;
        }
    }
    unsigned prev = 2 * c->hidden;
    for (unsigned k = 0; k <= c->ndense; k++) {
        unsigned w = k < c->ndense ? c->dense[k] : c->out;
        n->fin[k] = prev;
        n->fout[k] = w;
        n->oFW[k] = o;
        o += (size_t)w * prev;
        n->oFb[k] = o;
        o += w;
        prev = w;
    }
    n->np = o;
}

static void init_params(struct isac_bilstm_s *n, uint64_t seed)
{
    isac_rng r;
    isac_rng_seed(&r, seed);
    const struct isac_bilstm_cfg *c = &n->c;
    size_t h = c->hidden;
    for (unsigned l = 0; l < c->layers; l++)
        for (unsigned d = 0; d < 2; d++) {
            double lw = sqrt(6.0 / (n->din[l] + 4.0 * h)), lu = sqrt(6.0 / (5.0 * h));
            float *W = n->p + n->oW[l][d], *U = n->p + n->oU[l][d], *b = n->p + n->ob[l][d];
            for (size_t i = 0; i < 4 * h * n->din[l]; i++)
                W[i] = (float)((2.0 * isac_rng_uniform(&r) - 1.0) * lw);
            for (size_t i = 0; i < 4 * h * h; i++)
                U[i] = (float)((2.0 * isac_rng_uniform(&r) - 1.0) * lu);
            for (size_t i = 0; i < 4 * h; i++)
                b[i] = (i >= h && i < 2 * h) ? 1.0f : 0.0f; /* forget gate open at first */
        }
    for (unsigned k = 0; k <= c->ndense; k++) {
        double lim = k < c->ndense ? sqrt(6.0 / n->fin[k]) : sqrt(6.0 / (n->fin[k] + n->fout[k]));
        float *W = n->p + n->oFW[k];
        for (size_t i = 0; i < (size_t)n->fin[k] * n->fout[k]; i++)
            W[i] = (float)((2.0 * isac_rng_uniform(&r) - 1.0) * lim);
        memset(n->p + n->oFb[k], 0, n->fout[k] * sizeof(float));
    }
}

/* ---- work space ---- */

static void work_free(struct isac_bilstm_work *w)
{
    if (!w)
        return;
    for (unsigned l = 0; l < ISAC_BILSTM_MAX_LAYERS; l++) {
        free(w->Y[l]);
        for (unsigned d = 0; d < 2; d++) {
            free(w->G[l][d]);
            free(w->C[l][d]);
            free(w->H[l][d]);
        }
    }
    for (unsigned k = 0; k <= ISAC_BILSTM_MAX_DENSE; k++)
        free(w->A[k]);
    free(w->X0);
    free(w->Xr);
    free(w->dZ);
    free(w->dH);
    free(w->dX);
    free(w->dX2);
    free(w->dY);
    free(w->dA0);
    free(w->dA1);
    free(w->dh);
    free(w->dc);
    free(w->len);
}

static int work_alloc(struct isac_bilstm_s *n, struct isac_bilstm_work *w)
{
    const struct isac_bilstm_cfg *c = &n->c;
    size_t B = n->chunk, R = B * c->max_len, h = c->hidden;
    size_t dmax = c->in > 2 * h ? c->in : 2 * h, fmax = 2 * h;
    for (unsigned k = 0; k <= c->ndense; k++)
        fmax = n->fout[k] > fmax ? n->fout[k] : fmax;
    memset(w, 0, sizeof *w);
    int ok = 1;
#define ALLOC(p, cnt) ok = ok && ((p) = malloc((size_t)(cnt) * sizeof(float))) != NULL
    for (unsigned l = 0; l < c->layers; l++) {
        ALLOC(w->Y[l], R * 2 * h);
        for (unsigned d = 0; d < 2; d++) {
            ALLOC(w->G[l][d], R * 4 * h);
            ALLOC(w->C[l][d], R * h);
            ALLOC(w->H[l][d], R * h);
        }
    }
    for (unsigned k = 0; k <= c->ndense; k++)
        ALLOC(w->A[k], R * n->fout[k]);
    ALLOC(w->X0, R * c->in);
    ALLOC(w->Xr, R * dmax);
    ALLOC(w->dZ, R * 4 * h);
    ALLOC(w->dH, R * h);
    ALLOC(w->dX, R * dmax);
    ALLOC(w->dX2, R * dmax);
    ALLOC(w->dY, R * 2 * h);
    ALLOC(w->dA0, R * fmax);
    ALLOC(w->dA1, R * fmax);
    ALLOC(w->dh, B * h);
    ALLOC(w->dc, B * h);
#undef ALLOC
    ok = ok && (w->len = malloc(B * sizeof *w->len)) != NULL;
    return ok ? 0 : -1;
}

static void free_works(struct isac_bilstm_s *n)
{
    if (n->w)
        for (unsigned t = 0; t < n->nw; t++)
            work_free(&n->w[t]);
    free(n->w);
    n->w = NULL;
    n->nw = 0;
}

/* Workspaces for t threads (at least one). 0 or -1. */
static int ensure_works(struct isac_bilstm_s *n, unsigned t)
{
    if (t < 1)
        t = 1;
    if (n->nw >= t)
        return 0;
    struct isac_bilstm_work *w = realloc(n->w, t * sizeof *w);
    if (!w)
        return -1;
    n->w = w;
    while (n->nw < t) {
        if (work_alloc(n, &n->w[n->nw])) {
            work_free(&n->w[n->nw]);
            return -1;
        }
        n->nw++;
    }
    return 0;
}

void isac_bilstm_destroy(isac_bilstm n)
{
    if (!n)
        return;
    free_works(n);
    if (n->cg)
        for (unsigned i = 0; i < n->nchunks; i++)
            free(n->cg[i]);
    free(n->cg);
    free(n->closs);
    free(n->p);
    free(n->g);
    free(n->m);
    free(n->v);
    free(n);
}

isac_bilstm isac_bilstm_create_raw(const struct isac_bilstm_cfg *c, char *err, size_t errlen)
{
    if (isac_bilstm_cfg_check(c, err, errlen))
        return NULL;
    struct isac_bilstm_s *n = calloc(1, sizeof *n);
    if (!n) {
        isac_seterr(err, errlen, "out of memory");
        return NULL;
    }
    n->c = *c;
    n->chunk = c->chunk ? c->chunk : 16;
    if (n->chunk > c->max_batch)
        n->chunk = c->max_batch;
    n->nchunks = (c->max_batch + n->chunk - 1) / n->chunk;
    layout(n);
    int ok = (n->p = calloc(n->np, sizeof(float))) && (n->g = calloc(n->np, sizeof(float))) &&
             (n->m = calloc(n->np, sizeof(float))) && (n->v = calloc(n->np, sizeof(float))) &&
             (n->cg = calloc(n->nchunks, sizeof *n->cg)) &&
             (n->closs = calloc(n->nchunks, sizeof *n->closs));
    for (unsigned i = 0; ok && i < n->nchunks; i++)
        ok = (n->cg[i] = malloc(n->np * sizeof(float))) != NULL;
    ok = ok && !ensure_works(n, 1);
    if (!ok) {
        isac_seterr(err, errlen, "out of memory (%zu parameters)", n->np);
        isac_bilstm_destroy(n);
        return NULL;
    }
    return n;
}

isac_bilstm isac_bilstm_create(const struct isac_bilstm_cfg *c, uint64_t seed, char *err,
                               size_t errlen)
{
    isac_bilstm n = isac_bilstm_create_raw(c, err, errlen);
    if (n)
        init_params(n, seed);
    return n;
}

isac_bilstm isac_bilstm_clone(isac_bilstm n)
{
    isac_bilstm k = isac_bilstm_create_raw(&n->c, NULL, 0);
    if (k)
        memcpy(k->p, n->p, n->np * sizeof(float));
    return k;
}

const struct isac_bilstm_cfg *isac_bilstm_get_cfg(isac_bilstm n)
{
    return &n->c;
}

size_t isac_bilstm_num_params(isac_bilstm n)
{
    return n->np;
}

void isac_bilstm_get_params(isac_bilstm n, float *p)
{
    memcpy(p, n->p, n->np * sizeof(float));
}

void isac_bilstm_set_params(isac_bilstm n, const float *p)
{
    memcpy(n->p, p, n->np * sizeof(float));
}

void isac_bilstm_get_grads(isac_bilstm n, float *g)
{
    memcpy(g, n->g, n->np * sizeof(float));
}

void isac_bilstm_set_threads(isac_bilstm n, unsigned threads)
{
    n->c.threads = threads > 256 ? 256 : threads;
}

/* ---- forward ---- */

static float sigm(float z)
{
    return 1.0f / (1.0f + expf(-z));
}

/* One direction over T steps of B rows: X (T B x d, zero padding) -> gates G (activated),
 * cells C, outputs H (zero at padding). len: each row's valid steps. */
static void dir_forward(const float *W, const float *U, const float *b, unsigned d, unsigned h,
                        unsigned T, unsigned B, const unsigned *len, const float *X, float *G,
                        float *C, float *H)
{
    size_t R = (size_t)T * B, h4 = 4 * (size_t)h;
    for (size_t r = 0; r < R; r++)
        memcpy(G + r * h4, b, h4 * sizeof(float));
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)R, (int)h4, (int)d, 1.0f, X, (int)d,
                W, (int)d, 1.0f, G, (int)h4);
    for (unsigned t = 0; t < T; t++) {
        float *Gt = G + (size_t)t * B * h4;
        if (t > 0 && B == 1) /* one sequence (inference): a matrix-vector product */
            cblas_sgemv(CblasRowMajor, CblasNoTrans, (int)h4, (int)h, 1.0f, U, (int)h,
                        H + (size_t)(t - 1) * h, 1, 1.0f, Gt, 1);
        else if (t > 0)
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)B, (int)h4, (int)h, 1.0f,
                        H + (size_t)(t - 1) * B * h, (int)h, U, (int)h, 1.0f, Gt, (int)h4);
        for (unsigned bb = 0; bb < B; bb++) {
            float *g = Gt + bb * h4, *c = C + ((size_t)t * B + bb) * h,
                  *y = H + ((size_t)t * B + bb) * h;
            if (t >= len[bb]) {
                memset(c, 0, h * sizeof(float));
                memset(y, 0, h * sizeof(float));
                continue;
            }
            const float *cp = t > 0 ? C + ((size_t)(t - 1) * B + bb) * h : NULL;
            for (unsigned j = 0; j < h; j++) {
                float i = sigm(g[j]), f = sigm(g[h + j]), gg = tanhf(g[2 * h + j]),
                      o = sigm(g[3 * h + j]);
                g[j] = i;
                g[h + j] = f;
                g[2 * h + j] = gg;
                g[3 * h + j] = o;
                c[j] = (cp ? f * cp[j] : 0.0f) + i * gg;
                y[j] = o * tanhf(c[j]);
            }
        }
    }
}

/* Reverse each sequence of X (T B x d) in time into Xr (padding zero). */
static void reverse_seq(const float *X, float *Xr, unsigned d, unsigned T, unsigned B,
                        const unsigned *len)
{
    for (unsigned t = 0; t < T; t++)
        for (unsigned b = 0; b < B; b++) {
            float *dst = Xr + ((size_t)t * B + b) * d;
            if (t < len[b])
                memcpy(dst, X + ((size_t)(len[b] - 1 - t) * B + b) * d, d * sizeof(float));
            else
                memset(dst, 0, d * sizeof(float));
        }
}

static void chunk_forward(struct isac_bilstm_s *n, struct isac_bilstm_work *w, unsigned T,
                          unsigned B)
{
    const struct isac_bilstm_cfg *c = &n->c;
    unsigned h = c->hidden;
    const float *X = w->X0;
    size_t R = (size_t)T * B;
    for (unsigned l = 0; l < c->layers; l++) {
        unsigned d = n->din[l];
        const float *p = n->p;
        dir_forward(p + n->oW[l][0], p + n->oU[l][0], p + n->ob[l][0], d, h, T, B, w->len, X,
                    w->G[l][0], w->C[l][0], w->H[l][0]);
        reverse_seq(X, w->Xr, d, T, B, w->len);
        dir_forward(p + n->oW[l][1], p + n->oU[l][1], p + n->ob[l][1], d, h, T, B, w->len, w->Xr,
                    w->G[l][1], w->C[l][1], w->H[l][1]);
        /* Y = [H_fwd, H_bwd un-reversed] */
        for (unsigned t = 0; t < T; t++)
            for (unsigned b = 0; b < B; b++) {
                float *y = w->Y[l] + ((size_t)t * B + b) * 2 * h;
                if (t >= w->len[b]) {
                    memset(y, 0, 2 * h * sizeof(float));
                    continue;
                }
                memcpy(y, w->H[l][0] + ((size_t)t * B + b) * h, h * sizeof(float));
                memcpy(y + h, w->H[l][1] + ((size_t)(w->len[b] - 1 - t) * B + b) * h,
                       h * sizeof(float));
            }
        X = w->Y[l];
    }
    /* dense ReLU layers and the linear output (A[ndense] holds the logits) */
    for (unsigned k = 0; k <= c->ndense; k++) {
        unsigned fi = n->fin[k], fo = n->fout[k];
        float *A = w->A[k];
        for (size_t r = 0; r < R; r++)
            memcpy(A + r * fo, n->p + n->oFb[k], fo * sizeof(float));
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)R, (int)fo, (int)fi, 1.0f, X,
                    (int)fi, n->p + n->oFW[k], (int)fi, 1.0f, A, (int)fo);
        if (k < c->ndense)
            for (size_t i = 0; i < R * fo; i++)
                A[i] = A[i] > 0 ? A[i] : 0.0f;
        X = A;
    }
}

/* Final outputs of one row from its logits z (out values) into y. */
static void head_output(const struct isac_bilstm_cfg *c, const float *z, float *y)
{
    if (c->head == ISAC_BILSTM_HEAD_BCE) {
        for (unsigned j = 0; j < c->out; j++)
            y[j] = sigm(z[j]);
        return;
    }
    memcpy(y, z, c->out * sizeof(float));
    if (!c->ball_groups)
        return;
    unsigned gs = c->out / c->ball_groups;
    for (unsigned g = 0; g < c->ball_groups; g++) {
        double s = 0;
        for (unsigned j = 0; j < gs; j++)
            s += (double)z[g * gs + j] * z[g * gs + j];
        float nrm = (float)sqrt(s);
        if (nrm > 1.0f)
            for (unsigned j = 0; j < gs; j++)
                y[g * gs + j] = z[g * gs + j] / nrm;
    }
}

/* Copy the chunk's sequences into X0 (time-major, padding zero); returns T. */
static unsigned load_chunk(struct isac_bilstm_s *n, struct isac_bilstm_work *w,
                           const struct isac_bilstm_seq *s, unsigned B)
{
    unsigned T = 0, in = n->c.in;
    for (unsigned b = 0; b < B; b++) {
        w->len[b] = s[b].len;
        T = s[b].len > T ? s[b].len : T;
    }
    for (unsigned t = 0; t < T; t++)
        for (unsigned b = 0; b < B; b++) {
            float *dst = w->X0 + ((size_t)t * B + b) * in;
            if (t < s[b].len)
                memcpy(dst, s[b].x + (size_t)t * in, in * sizeof(float));
            else
                memset(dst, 0, in * sizeof(float));
        }
    return T;
}

int isac_bilstm_forward(isac_bilstm n, unsigned len, const float *x, float *y)
{
    if (len < 1 || len > n->c.max_len)
        return ISAC_EINVAL;
    struct isac_bilstm_work *w = &n->w[0];
    struct isac_bilstm_seq s = {len, x, NULL};
    unsigned T = load_chunk(n, w, &s, 1);
    chunk_forward(n, w, T, 1);
    const float *Z = w->A[n->c.ndense];
    for (unsigned t = 0; t < len; t++)
        head_output(&n->c, Z + (size_t)t * n->c.out, y + (size_t)t * n->c.out);
    return ISAC_OK;
}

/* ---- loss and backward ---- */

/* Loss of the chunk's valid rows into *acc; with dZ (not NULL) dLoss/dlogits (scaled by
 * inv_n) into dZ (zero at padding). */
static void chunk_loss(struct isac_bilstm_s *n, struct isac_bilstm_work *w,
                       const struct isac_bilstm_seq *s, unsigned T, unsigned B, double inv_n,
                       float *dZ, struct isac_chunk_acc *acc)
{
    const struct isac_bilstm_cfg *c = &n->c;
    unsigned out = c->out, gs = c->ball_groups ? out / c->ball_groups : out;
    const float *Z = w->A[c->ndense];
    float yv[4096];
    for (unsigned t = 0; t < T; t++)
        for (unsigned b = 0; b < B; b++) {
            size_t r = (size_t)t * B + b;
            float *dz = dZ ? dZ + r * out : NULL;
            if (t >= s[b].len) {
                if (dz)
                    memset(dz, 0, out * sizeof(float));
                continue;
            }
            const float *z = Z + r * out, *tg = s[b].y + (size_t)t * out;
            head_output(c, z, yv);
            acc->elements += out;
            for (unsigned j = 0; j < out; j++) {
                double e = (double)yv[j] - tg[j];
                acc->sq += e * e;
                if (c->head == ISAC_BILSTM_HEAD_BCE) {
                    double zz = z[j];
                    acc->loss += (zz > 0 ? zz : 0) - zz * tg[j] + log1p(exp(-fabs(zz)));
                    acc->correct += (yv[j] >= 0.5f) == (tg[j] >= 0.5f);
                    if (dz)
                        dz[j] = (float)(e * inv_n);
                } else {
                    acc->loss += e * e;
                    if (dz)
                        dz[j] = (float)(2.0 * e * inv_n);
                }
            }
            if (!dz || c->head != ISAC_BILSTM_HEAD_MSE || !c->ball_groups)
                continue;
            /* through p(z) = z / ||z|| where ||z|| > 1: dz = (dp - p (p . dp)) / ||z|| */
            for (unsigned g = 0; g < c->ball_groups; g++) {
                const float *zg = z + g * gs;
                double s2 = 0, pd = 0;
                for (unsigned j = 0; j < gs; j++)
                    s2 += (double)zg[j] * zg[j];
                double nrm = sqrt(s2);
                if (nrm <= 1.0)
                    continue;
                float *dg = dz + g * gs;
                const float *pg = yv + g * gs;
                for (unsigned j = 0; j < gs; j++)
                    pd += (double)pg[j] * dg[j];
                for (unsigned j = 0; j < gs; j++)
                    dg[j] = (float)((dg[j] - pg[j] * pd) / nrm);
            }
        }
}

/* Backward of one direction. dHd: gradient on the direction's outputs (T B x h, its own
 * time order); X its input. Accumulates gW, gU, gb into gr; dX (may be NULL) gets
 * dLoss/dX (overwritten). */
static void dir_backward(const float *W, const float *U, unsigned d, unsigned h, unsigned T,
                         unsigned B, const unsigned *len, const float *X, const float *G,
                         const float *C, const float *H, const float *dHd, float *gW, float *gU,
                         float *gb, float *dX, struct isac_bilstm_work *w)
{
    size_t h4 = 4 * (size_t)h, R = (size_t)T * B;
    float *dZ = w->dZ, *dh = w->dh, *dc = w->dc;
    memset(dh, 0, (size_t)B * h * sizeof(float));
    memset(dc, 0, (size_t)B * h * sizeof(float));
    for (unsigned t = T; t-- > 0;) {
        for (unsigned b = 0; b < B; b++) {
            size_t r = (size_t)t * B + b;
            float *dz = dZ + r * h4, *dhb = dh + (size_t)b * h, *dcb = dc + (size_t)b * h;
            if (t >= len[b]) {
                memset(dz, 0, h4 * sizeof(float));
                memset(dcb, 0, h * sizeof(float));
                continue;
            }
            const float *g = G + r * h4, *c = C + r * h, *dy = dHd + r * h;
            const float *cp = t > 0 ? C + (r - B) * h : NULL;
            for (unsigned j = 0; j < h; j++) {
                float i = g[j], f = g[h + j], gg = g[2 * h + j], o = g[3 * h + j];
                float tc = tanhf(c[j]), dhv = dy[j] + dhb[j];
                float dcv = dcb[j] + dhv * o * (1.0f - tc * tc);
                dz[j] = dcv * gg * i * (1.0f - i);
                dz[h + j] = cp ? dcv * cp[j] * f * (1.0f - f) : 0.0f;
                dz[2 * h + j] = dcv * i * (1.0f - gg * gg);
                dz[3 * h + j] = dhv * tc * o * (1.0f - o);
                dcb[j] = dcv * f;
            }
        }
        if (t > 0)
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)B, (int)h, (int)h4, 1.0f,
                        dZ + (size_t)t * B * h4, (int)h4, U, (int)h, 0.0f, dh, (int)h);
    }
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)h4, (int)d, (int)R, 1.0f, dZ, (int)h4,
                X, (int)d, 1.0f, gW, (int)d);
    if (T > 1)
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)h4, (int)h, (int)(R - B), 1.0f,
                    dZ + (size_t)B * h4, (int)h4, H, (int)h, 1.0f, gU, (int)h);
    for (size_t r = 0; r < R; r++)
        for (size_t j = 0; j < h4; j++)
            gb[j] += dZ[r * h4 + j];
    if (dX)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)R, (int)d, (int)h4, 1.0f, dZ,
                    (int)h4, W, (int)d, 0.0f, dX, (int)d);
}

/* Backward of the chunk from dZo (dLoss/dlogits, T B x out) into the gradient gr. */
static void chunk_backward(struct isac_bilstm_s *n, struct isac_bilstm_work *w, unsigned T,
                           unsigned B, float *gr)
{
    const struct isac_bilstm_cfg *c = &n->c;
    unsigned h = c->hidden, L = c->layers;
    size_t R = (size_t)T * B;
    float *cur = w->dA0, *nxt = w->dA1;
    /* dense part, from the output layer down; cur holds dLoss/d(pre-activation) */
    for (unsigned k = c->ndense + 1; k-- > 0;) {
        unsigned fi = n->fin[k], fo = n->fout[k];
        const float *Ain = k > 0 ? w->A[k - 1] : w->Y[L - 1];
        if (k < c->ndense)
            for (size_t i = 0; i < R * fo; i++)
                cur[i] = w->A[k][i] > 0 ? cur[i] : 0.0f;
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)fo, (int)fi, (int)R, 1.0f, cur,
                    (int)fo, Ain, (int)fi, 1.0f, gr + n->oFW[k], (int)fi);
        float *gb = gr + n->oFb[k];
        for (size_t r = 0; r < R; r++)
            for (unsigned j = 0; j < fo; j++)
                gb[j] += cur[r * fo + j];
        float *dst = k > 0 ? nxt : w->dY;
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)R, (int)fi, (int)fo, 1.0f, cur,
                    (int)fo, n->p + n->oFW[k], (int)fi, 0.0f, dst, (int)fi);
        float *t = cur;
        cur = nxt;
        nxt = t;
    }
    /* Bi-LSTM layers from the top; w->dY holds dLoss/dY[l] */
    for (unsigned l = L; l-- > 0;) {
        unsigned d = n->din[l];
        const float *X = l > 0 ? w->Y[l - 1] : w->X0;
        /* forward direction: its outputs' gradient is the first half of dY */
        for (size_t r = 0; r < R; r++)
            memcpy(w->dH + r * h, w->dY + r * 2 * h, h * sizeof(float));
        float *dXf = l > 0 ? w->dX : NULL;
        dir_backward(n->p + n->oW[l][0], n->p + n->oU[l][0], d, h, T, B, w->len, X, w->G[l][0],
                     w->C[l][0], w->H[l][0], w->dH, gr + n->oW[l][0], gr + n->oU[l][0],
                     gr + n->ob[l][0], dXf, w);
        /* backward direction: second half, reversed into its time order */
        for (unsigned t = 0; t < T; t++)
            for (unsigned b = 0; b < B; b++) {
                float *dst = w->dH + ((size_t)t * B + b) * h;
                if (t < w->len[b])
                    memcpy(dst, w->dY + ((size_t)(w->len[b] - 1 - t) * B + b) * 2 * h + h,
                           h * sizeof(float));
                else
                    memset(dst, 0, h * sizeof(float));
            }
        reverse_seq(X, w->Xr, d, T, B, w->len);
        dir_backward(n->p + n->oW[l][1], n->p + n->oU[l][1], d, h, T, B, w->len, w->Xr, w->G[l][1],
                     w->C[l][1], w->H[l][1], w->dH, gr + n->oW[l][1], gr + n->oU[l][1],
                     gr + n->ob[l][1], l > 0 ? w->dX2 : NULL, w);
        if (l == 0)
            break;
        /* dY[l-1] = dX_fwd + un-reversed dX_bwd (d = 2h here) */
        for (unsigned t = 0; t < T; t++)
            for (unsigned b = 0; b < B; b++) {
                float *dy = w->dY + ((size_t)t * B + b) * d;
                if (t >= w->len[b]) {
                    memset(dy, 0, d * sizeof(float));
                    continue;
                }
                const float *a = w->dX + ((size_t)t * B + b) * d,
                            *r2 = w->dX2 + ((size_t)(w->len[b] - 1 - t) * B + b) * d;
                for (unsigned j = 0; j < d; j++)
                    dy[j] = a[j] + r2[j];
            }
    }
}

/* ---- chunked batches, optionally in threads ---- */

struct job {
    struct isac_bilstm_s *n;
    const struct isac_bilstm_seq *seq;
    size_t ns;                  /* sequences */
    unsigned nchunk;            /* chunks */
    double inv_n;               /* 1 / elements (gradient scale) */
    int grad;                   /* compute the gradient into n->cg[chunk] */
    unsigned tid, nth;          /* this worker handles chunks tid, tid + nth, ... */
    struct isac_chunk_acc *acc; /* per chunk */
};

static void run_chunk(struct job *j, unsigned k, struct isac_bilstm_work *w)
{
    struct isac_bilstm_s *n = j->n;
    size_t first = (size_t)k * n->chunk;
    unsigned B = (unsigned)((j->ns - first) < n->chunk ? j->ns - first : n->chunk);
    const struct isac_bilstm_seq *s = j->seq + first;
    unsigned T = load_chunk(n, w, s, B);
    chunk_forward(n, w, T, B);
    memset(&j->acc[k], 0, sizeof j->acc[k]);
    if (!j->grad) {
        chunk_loss(n, w, s, T, B, 0, NULL, &j->acc[k]);
        return;
    }
    chunk_loss(n, w, s, T, B, j->inv_n, w->dA0, &j->acc[k]);
    memset(n->cg[k], 0, n->np * sizeof(float));
    chunk_backward(n, w, T, B, n->cg[k]);
}

static void *worker(void *arg)
{
    struct job *j = arg;
    for (unsigned k = j->tid; k < j->nchunk; k += j->nth)
        run_chunk(j, k, &j->n->w[j->tid]);
    return NULL;
}

/* Run the chunks of a job on up to c.threads threads. ISAC_OK or ISAC_ENOMEM. */
static int run_job(struct isac_bilstm_s *n, struct job *base)
{
    unsigned nth = n->c.threads > 1 ? n->c.threads : 1;
    if (nth > base->nchunk)
        nth = base->nchunk;
    if (ensure_works(n, nth))
        return ISAC_ENOMEM;
    struct job jobs[256];
    pthread_t th[256];
    unsigned started = 0;
    for (unsigned t = 0; t < nth; t++) {
        jobs[t] = *base;
        jobs[t].tid = t;
        jobs[t].nth = nth;
    }
    for (unsigned t = 1; t < nth; t++) {
        if (pthread_create(&th[t], NULL, worker, &jobs[t]))
            break;
        started++;
    }
    if (started + 1 < nth) { /* could not start them all: do their share here, same result */
        for (unsigned t = 1 + started; t < nth; t++)
            for (unsigned k = t; k < base->nchunk; k += nth)
                run_chunk(&jobs[t], k, &n->w[0]);
    }
    worker(&jobs[0]);
    for (unsigned t = 1; t <= started; t++)
        pthread_join(th[t], NULL);
    return ISAC_OK;
}

static void metrics_from(const struct isac_bilstm_cfg *c, const struct isac_chunk_acc *a,
                         unsigned nk, struct isac_bilstm_metrics *m)
{
    struct isac_chunk_acc s = {0};
    for (unsigned k = 0; k < nk; k++) { /* chunk order: the same sums every time */
        s.loss += a[k].loss;
        s.sq += a[k].sq;
        s.correct += a[k].correct;
        s.elements += a[k].elements;
    }
    double e = s.elements ? (double)s.elements : NAN;
    m->loss = s.loss / e;
    m->mse = s.sq / e;
    m->accuracy = c->head == ISAC_BILSTM_HEAD_BCE ? (double)s.correct / e : NAN;
    m->elements = s.elements;
}

static int check_seqs(const struct isac_bilstm_s *n, const struct isac_bilstm_seq *seq, size_t ns,
                      size_t *elements)
{
    size_t e = 0;
    for (size_t i = 0; i < ns; i++) {
        if (seq[i].len < 1 || seq[i].len > n->c.max_len || !seq[i].x || !seq[i].y)
            return ISAC_EINVAL;
        e += (size_t)seq[i].len * n->c.out;
    }
    *elements = e;
    return ISAC_OK;
}

int isac_bilstm_loss_grad(isac_bilstm n, const struct isac_bilstm_seq *seq, unsigned nb,
                          struct isac_bilstm_metrics *m)
{
    size_t elements;
    if (nb < 1 || nb > n->c.max_batch || check_seqs(n, seq, nb, &elements))
        return ISAC_EINVAL;
    struct job j = {.n = n,
                    .seq = seq,
                    .ns = nb,
                    .nchunk = (nb + n->chunk - 1) / n->chunk,
                    .inv_n = 1.0 / (double)elements,
                    .grad = 1,
                    .acc = n->closs};
    int rc = run_job(n, &j);
    if (rc)
        return rc;
    /* gradient = sum of the chunks' gradients in chunk order */
    memcpy(n->g, n->cg[0], n->np * sizeof(float));
    for (unsigned k = 1; k < j.nchunk; k++) {
        const float *src = n->cg[k];
        for (size_t i = 0; i < n->np; i++)
            n->g[i] += src[i];
    }
    if (m)
        metrics_from(&n->c, n->closs, j.nchunk, m);
    return ISAC_OK;
}

int isac_bilstm_evaluate(isac_bilstm n, const struct isac_bilstm_seq *seq, size_t ns,
                         struct isac_bilstm_metrics *m)
{
    size_t elements;
    if (ns < 1 || check_seqs(n, seq, ns, &elements))
        return ISAC_EINVAL;
    struct isac_chunk_acc total = {0};
    /* in groups of max_batch sequences (the chunk accumulators' room) */
    for (size_t first = 0; first < ns; first += n->c.max_batch) {
        size_t cnt = ns - first < n->c.max_batch ? ns - first : n->c.max_batch;
        struct job j = {.n = n,
                        .seq = seq + first,
                        .ns = cnt,
                        .nchunk = (unsigned)((cnt + n->chunk - 1) / n->chunk),
                        .acc = n->closs};
        int rc = run_job(n, &j);
        if (rc)
            return rc;
        for (unsigned k = 0; k < j.nchunk; k++) {
            total.loss += n->closs[k].loss;
            total.sq += n->closs[k].sq;
            total.correct += n->closs[k].correct;
            total.elements += n->closs[k].elements;
        }
    }
    metrics_from(&n->c, &total, 1, m);
    return ISAC_OK;
}

/* ---- Adam ---- */

void isac_bilstm_adam_step(isac_bilstm n, const struct isac_adam_cfg *a, float lr)
{
    n->t++;
    double c1 = 1.0 - pow(a->beta1, (double)n->t), c2 = 1.0 - pow(a->beta2, (double)n->t);
    float lr_t = (float)(lr * sqrt(c2) / c1);
    for (size_t i = 0; i < n->np; i++) {
        float g = n->g[i];
        n->m[i] = a->beta1 * n->m[i] + (1.0f - a->beta1) * g;
        n->v[i] = a->beta2 * n->v[i] + (1.0f - a->beta2) * g * g;
        n->p[i] -= lr_t * n->m[i] / (sqrtf(n->v[i]) + a->eps);
    }
}
