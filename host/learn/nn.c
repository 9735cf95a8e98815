#include "learn/nn.h"

#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

struct layer {
    unsigned in, out;
    enum isac_nn_act act;
    float *W, *b, *gW, *gb, *mW, *vW, *mb, *vb;
};

struct isac_mlp_s {
    unsigned L, max_batch;
    struct layer l[ISAC_NN_MAX_LAYERS];
    float *a[ISAC_NN_MAX_LAYERS + 1]; /* a[0] = input copy, a[l+1] = output of layer l */
    float *d0, *d1;                   /* backward scratch, max_batch x max width */
    unsigned B;                       /* batch of the last forward */
    long t;                           /* Adam step count */
};

static void layer_free(struct layer *y)
{
    free(y->W);
    free(y->b);
    free(y->gW);
    free(y->gb);
    free(y->mW);
    free(y->vW);
    free(y->mb);
    free(y->vb);
}

void isac_mlp_destroy(isac_mlp m)
{
    if (!m)
        return;
    for (unsigned l = 0; l < m->L; l++)
        layer_free(&m->l[l]);
    for (unsigned l = 0; l <= m->L; l++)
        free(m->a[l]);
    free(m->d0);
    free(m->d1);
    free(m);
}

isac_mlp isac_mlp_create(unsigned layers, const unsigned *sizes, const enum isac_nn_act *acts,
                         unsigned max_batch, isac_rng *rng)
{
    if (layers < 1 || layers > ISAC_NN_MAX_LAYERS || max_batch < 1 || max_batch > 65536 || !rng)
        return NULL;
    unsigned wmax = 0;
    for (unsigned i = 0; i <= layers; i++) {
        if (sizes[i] < 1 || sizes[i] > 4096)
            return NULL;
        wmax = sizes[i] > wmax ? sizes[i] : wmax;
    }
    isac_mlp m = calloc(1, sizeof *m);
    if (!m)
        return NULL;
    m->L = layers;
    m->max_batch = max_batch;
    int ok = 1;
    for (unsigned l = 0; l < layers; l++) {
        struct layer *y = &m->l[l];
        size_t nw = (size_t)sizes[l] * sizes[l + 1];
        y->in = sizes[l];
        y->out = sizes[l + 1];
        y->act = acts[l];
        y->W = calloc(nw, sizeof *y->W);
        y->gW = calloc(nw, sizeof *y->W);
        y->mW = calloc(nw, sizeof *y->W);
        y->vW = calloc(nw, sizeof *y->W);
        y->b = calloc(y->out, sizeof *y->b);
        y->gb = calloc(y->out, sizeof *y->b);
        y->mb = calloc(y->out, sizeof *y->b);
        y->vb = calloc(y->out, sizeof *y->b);
        ok = ok && y->W && y->gW && y->mW && y->vW && y->b && y->gb && y->mb && y->vb;
        if (!ok)
            break;
        /* He-uniform for ReLU layers, Xavier-uniform otherwise. */
        double lim = (acts[l] == ISAC_NN_RELU || acts[l] == ISAC_NN_LEAKY)
                         ? sqrt(6.0 / y->in)
                         : sqrt(6.0 / (y->in + y->out));
        for (size_t i = 0; i < nw; i++)
            y->W[i] = (float)((2.0 * isac_rng_uniform(rng) - 1.0) * lim);
    }
    for (unsigned l = 0; ok && l <= layers; l++)
        ok = (m->a[l] = malloc((size_t)max_batch * sizes[l] * sizeof(float))) != NULL;
    if (ok) {
        m->d0 = malloc((size_t)max_batch * wmax * sizeof(float));
        m->d1 = malloc((size_t)max_batch * wmax * sizeof(float));
        ok = m->d0 && m->d1;
    }
    if (!ok) {
        isac_mlp_destroy(m);
        return NULL;
    }
    return m;
}

unsigned isac_mlp_width(isac_mlp m, unsigned i)
{
    return i == 0 ? m->l[0].in : m->l[i - 1].out;
}

size_t isac_mlp_num_params(isac_mlp m)
{
    size_t n = 0;
    for (unsigned l = 0; l < m->L; l++)
        n += (size_t)m->l[l].out * (m->l[l].in + 1);
    return n;
}

static float activate(enum isac_nn_act a, float z)
{
    switch (a) {
    case ISAC_NN_RELU: return z > 0 ? z : 0.0f;
    case ISAC_NN_LEAKY: return z > 0 ? z : 0.2f * z;
    case ISAC_NN_SIGMOID: return 1.0f / (1.0f + expf(-z));
    case ISAC_NN_LINEAR:
    default: return z;
    }
}

/* Derivative from the activation's output (all four are monotone, so y determines z's
 * side of 0). */
static float dactivate(enum isac_nn_act a, float y)
{
    switch (a) {
    case ISAC_NN_RELU: return y > 0 ? 1.0f : 0.0f;
    case ISAC_NN_LEAKY: return y > 0 ? 1.0f : 0.2f;
    case ISAC_NN_SIGMOID: return y * (1.0f - y);
    case ISAC_NN_LINEAR:
    default: return 1.0f;
    }
}

const float *isac_mlp_forward(isac_mlp m, const float *x, unsigned B)
{
    if (B < 1 || B > m->max_batch)
        return NULL;
    m->B = B;
    memcpy(m->a[0], x, (size_t)B * m->l[0].in * sizeof(float));
    for (unsigned l = 0; l < m->L; l++) {
        struct layer *y = &m->l[l];
        float *out = m->a[l + 1];
        for (unsigned r = 0; r < B; r++)
            memcpy(out + (size_t)r * y->out, y->b, y->out * sizeof(float));
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)B, (int)y->out, (int)y->in, 1.0f,
                    m->a[l], (int)y->in, y->W, (int)y->in, 1.0f, out, (int)y->out);
        if (y->act != ISAC_NN_LINEAR)
            for (size_t i = 0; i < (size_t)B * y->out; i++)
                out[i] = activate(y->act, out[i]);
    }
    return m->a[m->L];
}

void isac_mlp_backward(isac_mlp m, const float *dy, float *dx)
{
    unsigned B = m->B;
    float *cur = m->d0, *nxt = m->d1;
    memcpy(cur, dy, (size_t)B * m->l[m->L - 1].out * sizeof(float));
    for (unsigned l = m->L; l-- > 0;) {
        struct layer *y = &m->l[l];
        const float *out = m->a[l + 1];
        for (size_t i = 0; i < (size_t)B * y->out; i++)
            cur[i] *= dactivate(y->act, out[i]);
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)y->out, (int)y->in, (int)B, 1.0f,
                    cur, (int)y->out, m->a[l], (int)y->in, 1.0f, y->gW, (int)y->in);
        for (unsigned r = 0; r < B; r++)
            for (unsigned o = 0; o < y->out; o++)
                y->gb[o] += cur[(size_t)r * y->out + o];
        if (l == 0 && !dx)
            break;
        float *dst = l == 0 ? dx : nxt;
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)B, (int)y->in, (int)y->out,
                    1.0f, cur, (int)y->out, y->W, (int)y->in, 0.0f, dst, (int)y->in);
        float *t = cur;
        cur = nxt;
        nxt = t;
    }
}

void isac_mlp_zero_grad(isac_mlp m)
{
    for (unsigned l = 0; l < m->L; l++) {
        memset(m->l[l].gW, 0, (size_t)m->l[l].in * m->l[l].out * sizeof(float));
        memset(m->l[l].gb, 0, m->l[l].out * sizeof(float));
    }
}

static void adam_vec(float *p, const float *g, float *mo, float *v, size_t n,
                     const struct isac_adam_cfg *a, float lr_t)
{
    for (size_t i = 0; i < n; i++) {
        mo[i] = a->beta1 * mo[i] + (1.0f - a->beta1) * g[i];
        v[i] = a->beta2 * v[i] + (1.0f - a->beta2) * g[i] * g[i];
        p[i] -= lr_t * mo[i] / (sqrtf(v[i]) + a->eps);
    }
}

void isac_mlp_adam_step(isac_mlp m, const struct isac_adam_cfg *a, float lr)
{
    m->t++;
    /* Bias correction folded into the step size (Kingma & Ba, section 2). */
    double c1 = 1.0 - pow(a->beta1, (double)m->t), c2 = 1.0 - pow(a->beta2, (double)m->t);
    float lr_t = (float)(lr * sqrt(c2) / c1);
    for (unsigned l = 0; l < m->L; l++) {
        struct layer *y = &m->l[l];
        adam_vec(y->W, y->gW, y->mW, y->vW, (size_t)y->in * y->out, a, lr_t);
        adam_vec(y->b, y->gb, y->mb, y->vb, y->out, a, lr_t);
    }
}

void isac_mlp_get_params(isac_mlp m, float *p)
{
    for (unsigned l = 0; l < m->L; l++) {
        size_t nw = (size_t)m->l[l].in * m->l[l].out;
        memcpy(p, m->l[l].W, nw * sizeof *p);
        memcpy(p + nw, m->l[l].b, m->l[l].out * sizeof *p);
        p += nw + m->l[l].out;
    }
}

void isac_mlp_set_params(isac_mlp m, const float *p)
{
    for (unsigned l = 0; l < m->L; l++) {
        size_t nw = (size_t)m->l[l].in * m->l[l].out;
        memcpy(m->l[l].W, p, nw * sizeof *p);
        memcpy(m->l[l].b, p + nw, m->l[l].out * sizeof *p);
        p += nw + m->l[l].out;
    }
}

void isac_mlp_get_grads(isac_mlp m, float *g)
{
    for (unsigned l = 0; l < m->L; l++) {
        size_t nw = (size_t)m->l[l].in * m->l[l].out;
        memcpy(g, m->l[l].gW, nw * sizeof *g);
        memcpy(g + nw, m->l[l].gb, m->l[l].out * sizeof *g);
        g += nw + m->l[l].out;
    }
}
