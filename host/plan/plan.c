#include "plan/plan.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"

struct isac_tx_plan_s {
    unsigned N, K, F;  /* elements, comm streams, subcarriers */
    float complex *W;  /* F x (N x (K+1)) */
    double *power;     /* K + 1 */
    uint8_t *active;   /* N or NULL */
    double *positions; /* N or NULL */
    int beam;
};

static size_t plan_weights(const struct isac_tx_plan_s *p)
{
    return (size_t)p->F * p->N * (p->K + 1);
}

isac_tx_plan isac_tx_plan_create(unsigned num_tx, unsigned num_comm, unsigned num_subcarriers)
{
    if (num_tx < 1 || num_tx > ISAC_PLAN_MAX_TX || num_comm > ISAC_PLAN_MAX_COMM ||
        num_subcarriers < 1 || num_subcarriers > ISAC_PLAN_MAX_SUBCARRIERS)
        return NULL;
    isac_tx_plan p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    *p = (struct isac_tx_plan_s){.N = num_tx, .K = num_comm, .F = num_subcarriers, .beam = -1};
    p->W = calloc(plan_weights(p), sizeof *p->W);
    p->power = malloc((num_comm + 1) * sizeof *p->power);
    if (!p->W || !p->power) {
        isac_tx_plan_destroy(p);
        return NULL;
    }
    for (unsigned s = 0; s <= num_comm; s++)
        p->power[s] = 1.0;
    return p;
}

isac_tx_plan isac_tx_plan_from_beam(isac_codebook cb, unsigned q)
{
    if (!cb || q >= isac_codebook_size(cb))
        return NULL;
    isac_tx_plan p = isac_tx_plan_create(isac_codebook_elements(cb), 0, 1);
    if (!p)
        return NULL;
    memcpy(p->W, isac_codebook_weights(cb, q), p->N * sizeof *p->W);
    p->beam = (int)q;
    /* an MA beam (array/ma_codebook.h) is radiated from its own positions / elements */
    const double *pos = isac_codebook_beam_positions(cb, q);
    const unsigned char *act = isac_codebook_beam_active(cb, q);
    if ((pos && isac_tx_plan_set_positions(p, pos)) ||
        (act && isac_tx_plan_set_active(p, (const uint8_t *)act))) {
        isac_tx_plan_destroy(p);
        return NULL;
    }
    return p;
}

static void *dup_mem(const void *src, size_t n)
{
    void *d = src ? malloc(n) : NULL;
    if (d)
        memcpy(d, src, n);
    return d;
}

isac_tx_plan isac_tx_plan_copy(const struct isac_tx_plan_s *p)
{
    if (!p)
        return NULL;
    isac_tx_plan c = isac_tx_plan_create(p->N, p->K, p->F);
    if (!c)
        return NULL;
    memcpy(c->W, p->W, plan_weights(p) * sizeof *p->W);
    memcpy(c->power, p->power, (p->K + 1) * sizeof *p->power);
    c->beam = p->beam;
    c->active = dup_mem(p->active, p->N);
    c->positions = dup_mem(p->positions, p->N * sizeof *p->positions);
    if ((p->active && !c->active) || (p->positions && !c->positions)) {
        isac_tx_plan_destroy(c);
        return NULL;
    }
    return c;
}

void isac_tx_plan_destroy(isac_tx_plan p)
{
    if (!p)
        return;
    free(p->W);
    free(p->power);
    free(p->active);
    free(p->positions);
    free(p);
}

unsigned isac_tx_plan_num_tx(const struct isac_tx_plan_s *p)
{
    return p->N;
}
unsigned isac_tx_plan_num_comm(const struct isac_tx_plan_s *p)
{
    return p->K;
}
unsigned isac_tx_plan_num_streams(const struct isac_tx_plan_s *p)
{
    return p->K + 1;
}
unsigned isac_tx_plan_num_subcarriers(const struct isac_tx_plan_s *p)
{
    return p->F;
}

float complex *isac_tx_plan_precoder(isac_tx_plan p, unsigned sc)
{
    if (sc >= p->F)
        return NULL;
    p->beam = -1;
    return p->W + (size_t)sc * p->N * (p->K + 1);
}

const float complex *isac_tx_plan_precoder_const(const struct isac_tx_plan_s *p, unsigned sc)
{
    return sc < p->F ? p->W + (size_t)sc * p->N * (p->K + 1) : NULL;
}

const float complex *isac_tx_plan_stream_weights(const struct isac_tx_plan_s *p, unsigned sc,
                                                 unsigned s)
{
    const float complex *w = isac_tx_plan_precoder_const(p, sc);
    return w && s <= p->K ? w + (size_t)s * p->N : NULL;
}

double *isac_tx_plan_powers(isac_tx_plan p)
{
    return p->power;
}
const double *isac_tx_plan_powers_const(const struct isac_tx_plan_s *p)
{
    return p->power;
}
int isac_tx_plan_beam(const struct isac_tx_plan_s *p)
{
    return p->beam;
}
void isac_tx_plan_set_beam(isac_tx_plan p, int q)
{
    p->beam = q < 0 ? -1 : q;
}
const uint8_t *isac_tx_plan_active(const struct isac_tx_plan_s *p)
{
    return p->active;
}
const double *isac_tx_plan_positions(const struct isac_tx_plan_s *p)
{
    return p->positions;
}

int isac_tx_plan_set_active(isac_tx_plan p, const uint8_t *active)
{
    unsigned on = 0;
    for (unsigned m = 0; active && m < p->N; m++)
        on += active[m] != 0;
    if (active && on == 0)
        return ISAC_EINVAL;
    uint8_t *a = NULL;
    if (active && !(a = malloc(p->N)))
        return ISAC_ENOMEM;
    for (unsigned m = 0; a && m < p->N; m++)
        a[m] = active[m] != 0;
    free(p->active);
    p->active = a;
    return ISAC_OK;
}

int isac_tx_plan_set_positions(isac_tx_plan p, const double *pos_wl)
{
    for (unsigned m = 0; pos_wl && m < p->N; m++)
        if (!isfinite(pos_wl[m]) || fabs(pos_wl[m]) > 1e4)
            return ISAC_EINVAL;
    double *c = NULL;
    if (pos_wl && !(c = dup_mem(pos_wl, p->N * sizeof *c)))
        return ISAC_ENOMEM;
    free(p->positions);
    p->positions = c;
    return ISAC_OK;
}

static int is_active(const struct isac_tx_plan_s *p, unsigned m)
{
    return !p->active || p->active[m];
}

double isac_tx_plan_total_power(const struct isac_tx_plan_s *p)
{
    double total = 0;
    for (unsigned f = 0; f < p->F; f++)
        for (unsigned s = 0; s <= p->K; s++) {
            const float complex *w = isac_tx_plan_stream_weights(p, f, s);
            double e = 0;
            for (unsigned m = 0; m < p->N; m++)
                e += is_active(p, m) ? crealf(w[m] * conjf(w[m])) : 0.0;
            total += p->power[s] * e;
        }
    return total / p->F;
}

int isac_tx_plan_validate(const struct isac_tx_plan_s *p, char *err, size_t errlen)
{
    for (unsigned s = 0; s <= p->K; s++)
        if (!isfinite(p->power[s]) || p->power[s] < 0) {
            isac_seterr(err, errlen, "plan: powers[%u]: %g is not a finite power >= 0", s,
                        p->power[s]);
            return ISAC_EINVAL;
        }
    for (size_t i = 0; i < plan_weights(p); i++)
        if (!isfinite(crealf(p->W[i])) || !isfinite(cimagf(p->W[i]))) {
            isac_seterr(err, errlen, "plan: W[%zu]: not finite", i);
            return ISAC_EINVAL;
        }
    return ISAC_OK;
}

static int same_mem(const void *a, const void *b, size_t n)
{
    return (!a && !b) || (a && b && memcmp(a, b, n) == 0);
}

int isac_tx_plan_equal(const struct isac_tx_plan_s *a, const struct isac_tx_plan_s *b)
{
    if (!a || !b || a->N != b->N || a->K != b->K || a->F != b->F || a->beam != b->beam)
        return 0;
    return memcmp(a->W, b->W, plan_weights(a) * sizeof *a->W) == 0 &&
           memcmp(a->power, b->power, (a->K + 1) * sizeof *a->power) == 0 &&
           same_mem(a->active, b->active, a->N) &&
           same_mem(a->positions, b->positions, a->N * sizeof *a->positions);
}

int isac_tx_plan_compose(const struct isac_tx_plan_s *p, const float complex *const *u, size_t L,
                         float complex *const *x)
{
    if (!p || !u || !x || L < 1 || p->F != 1 || !u[p->K])
        return ISAC_EINVAL;
    for (unsigned m = 0; m < p->N; m++) {
        if (!x[m])
            return ISAC_EINVAL;
        if (!is_active(p, m)) {
            memset(x[m], 0, L * sizeof *x[m]);
            continue;
        }
        /* the sensing stream is written, then the comm streams are added: the arithmetic
         * of isac_waveform_compose, so a codebook plan gives the same bits */
        const float complex gs = p->W[m + (size_t)p->K * p->N] * (float)sqrt(p->power[p->K]);
        for (size_t n = 0; n < L; n++)
            x[m][n] = gs * u[p->K][n];
        for (unsigned s = 0; s < p->K; s++) {
            const float complex g = p->W[m + (size_t)s * p->N] * (float)sqrt(p->power[s]);
            if (g == 0)
                continue;
            if (!u[s])
                return ISAC_EINVAL;
            for (size_t n = 0; n < L; n++)
                x[m][n] += g * u[s][n];
        }
    }
    return ISAC_OK;
}
