/* Bi-LSTM features and labels (veh_features.h). */
#include "vehicular/veh_features.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "vehicular/veh_internal.h"

struct okey {
    double x;
    unsigned id, k;
};

static int okey_cmp(const void *a, const void *b)
{
    const struct okey *p = a, *q = b;
    if (p->x != q->x)
        return p->x < q->x ? -1 : 1;
    return p->id < q->id ? -1 : (p->id > q->id);
}

void isac_veh_order(isac_veh_prob p, unsigned *order)
{
    struct okey o[ISAC_VEH_MAX_K];
    for (unsigned k = 0; k < p->K; k++)
        o[k] = (struct okey){p->v[k].x[0], p->v[k].id, k};
    qsort(o, p->K, sizeof(*o), okey_cmp);
    for (unsigned k = 0; k < p->K; k++)
        order[k] = o[k].k;
}

void isac_veh_beam_to_frame(isac_veh_prob p, unsigned i, unsigned k, const double complex *f,
                            float *b)
{
    unsigned N = p->p.n;
    const struct veh_pair *pr = &p->pr[i][k];
    double s = sqrt((double)N);
    for (unsigned m = 0; m < N; m++) {
        double complex v = f[m] * pr->a[m] * s;
        b[m] = (float)creal(v);
        b[N + m] = (float)cimag(v);
    }
}

void isac_veh_beam_from_frame(isac_veh_prob p, unsigned i, unsigned k, const float *b,
                              double complex *f)
{
    unsigned N = p->p.n;
    const struct veh_pair *pr = &p->pr[i][k];
    double s = sqrt((double)N);
    for (unsigned m = 0; m < N; m++)
        f[m] = (b[m] + I * (double)b[N + m]) * conj(pr->a[m]) * s;
}

void isac_veh_features(isac_veh_prob p, const unsigned *order, int beam_net, float *x)
{
    unsigned N = p->p.n, F = beam_net ? ISAC_VEH_FEAT_BEAM(N) : ISAC_VEH_FEAT_ASSIGN(N);
    for (unsigned t = 0; t < p->K; t++) {
        unsigned k = order[t];
        const struct isac_veh_vehicle *v = &p->v[k];
        float *o = x + (size_t)t * F;
        memset(o, 0, F * sizeof(*o));
        unsigned j = 0;
        for (unsigned i = 0; i < ISAC_VEH_RSUS; i++) {
            o[j++] = (float)p->pr[i][k].u;
            o[j++] = (float)(p->pr[i][k].d / 30.0);
            if (v->has_meas[i]) {
                o[j] = (float)v->meas[i][0];
                o[j + 1] = (float)(v->meas[i][1] / 30.0);
                o[j + 2] = (float)(v->meas[i][2] / 30.0);
                o[j + 3] = 1.0f;
            }
            j += 4;
        }
        if (v->prev_rsu == 0 || v->prev_rsu == 1) {
            unsigned i = (unsigned)v->prev_rsu;
            o[j + i] = 1.0f;
            double complex f[ISAC_VEH_MAX_N];
            for (unsigned m = 0; m < N; m++)
                f[m] = v->prev_f[m];
            isac_veh_beam_to_frame(p, i, k, f, o + j + 2);
        }
        j += 2 + 2 * N;
        o[j++] = (float)(p->K / 50.0);
        if (beam_net)
            o[j++] = p->xi[k] == 0 ? 1.0f : p->xi[k] == 1 ? 0.0f : 0.5f;
    }
}

int isac_veh_labels(isac_veh_prob p, const unsigned *order, float *assign, float *beam)
{
    unsigned N = p->p.n;
    for (unsigned t = 0; t < p->K; t++) {
        unsigned k = order[t];
        int i = p->xi[k];
        if (i == ISAC_VEH_NONE)
            return -1;
        assign[t] = i == 0 ? 1.0f : 0.0f;
        float *b = beam + (size_t)t * 2 * N;
        isac_veh_beam_to_frame(p, (unsigned)i, k, isac_veh_beam(p, (unsigned)i, k), b);
        double complex s = 0;
        for (unsigned m = 0; m < N; m++)
            s += b[m] + I * (double)b[N + m];
        double complex rot = cabs(s) > 0 ? conj(s) / cabs(s) : 1.0;
        for (unsigned m = 0; m < N; m++) {
            double complex v = (b[m] + I * (double)b[N + m]) * rot;
            b[m] = (float)creal(v);
            b[N + m] = (float)cimag(v);
        }
    }
    return 0;
}
