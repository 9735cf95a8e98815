/* The per-slot design problem of seed 000 (see veh.h): geometry, channel, Lambda, SINR. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "track/ekf.h"
#include "vehicular/veh_internal.h"

#define VEH_DREF 30.0 /* reference range of comm_snr_db, m (the highway scene's) */

void isac_veh_params_default(struct isac_veh_params *p)
{
    memset(p, 0, sizeof(*p));
    p->n = 32;
    p->cap = 32;
    p->rsu[0][0] = 0.0;
    p->rsu[0][1] = 30.0;
    p->rsu[1][0] = 0.0;
    p->rsu[1][1] = -30.0;
    p->comm_snr_db = 0.5;
    p->beam_power = 0.8 / 32.0;
    p->probe_power = 0.2;
    p->psd = 128.0 / 96.0;
    p->sm = (struct isac_sense_model){30.0, VEH_DREF, 32, 200e6, 2448.0 / 20e6, 30e9};
    p->slot_s = 0.02;
    p->qx = 4.0;
    p->qy = 0.25;
    p->sensing = 1;
    p->fp_iter = 30;
    p->fp_tol = 1e-4;
    p->max_flips = 0;
}

int isac_veh_params_check(const struct isac_veh_params *p, char *err, size_t errlen)
{
    const char *f = NULL;
    double v = 0;
    if (p->n < 2 || p->n > ISAC_VEH_MAX_N)
        f = "elements", v = p->n;
    else if (p->cap < 1 || p->cap > ISAC_VEH_MAX_CAP)
        f = "cap", v = p->cap;
    else if (!isfinite(p->comm_snr_db) || fabs(p->comm_snr_db) > 200)
        f = "comm_snr_db", v = p->comm_snr_db;
    else if (!(p->beam_power > 0 && p->beam_power <= 1))
        f = "beam_power", v = p->beam_power;
    else if (!(p->probe_power >= 0 && p->probe_power <= 1))
        f = "probe_power", v = p->probe_power;
    else if (!(p->psd >= 1 && p->psd < 100))
        f = "psd", v = p->psd;
    else if (p->sm.nr != p->n)
        f = "sm.nr", v = p->sm.nr;
    else if (!(p->slot_s > 0 && p->slot_s <= 10))
        f = "slot_s", v = p->slot_s;
    else if (p->fp_iter < 1 || p->fp_iter > 1000)
        f = "fp_iter", v = p->fp_iter;
    else if (!(p->fp_tol >= 0 && p->fp_tol < 1))
        f = "fp_tol", v = p->fp_tol;
    for (unsigned i = 0; !f && i < ISAC_VEH_RSUS; i++)
        if (!isfinite(p->rsu[i][0]) || !isfinite(p->rsu[i][1]))
            f = "rsu", v = i;
    if (!f)
        return ISAC_OK;
    isac_seterr(err, errlen, "vehicular: %s: %g out of range", f, v);
    return ISAC_EINVAL;
}

isac_veh_prob isac_veh_prob_create(const struct isac_veh_params *pa, char *err, size_t errlen)
{
    if (isac_veh_params_check(pa, err, errlen))
        return NULL;
    isac_veh_prob p = calloc(1, sizeof(*p));
    if (!p)
        goto nomem;
    p->p = *pa;
    unsigned N = pa->n;
    for (unsigned m = 0; m < N; m++) {
        p->pos[m] = 0.5 * m;
        p->pc[m] = 0.5 * m - 0.25 * (N - 1.0);
    }
    p->v = calloc(ISAC_VEH_MAX_K, sizeof(*p->v));
    for (unsigned i = 0; i < ISAC_VEH_RSUS; i++) {
        p->pr[i] = calloc(ISAC_VEH_MAX_K, sizeof(*p->pr[i]));
        p->F[i] = calloc((size_t)ISAC_VEH_MAX_K * N, sizeof(double complex));
    }
    p->A = calloc((size_t)N * N, sizeof(double complex));
    p->h = calloc((size_t)ISAC_VEH_MAX_K * ISAC_VEH_MAX_K, sizeof(double complex));
    p->tmp = calloc((size_t)8 * N, sizeof(double complex));
    p->eig = calloc(N, sizeof(double));
    p->set = calloc(ISAC_VEH_MAX_K, sizeof(unsigned));
    if (!p->v || !p->pr[0] || !p->pr[1] || !p->F[0] || !p->F[1] || !p->A || !p->h || !p->tmp ||
        !p->eig || !p->set) {
        isac_veh_prob_destroy(p);
        goto nomem;
    }
    return p;
nomem:
    isac_seterr(err, errlen, "vehicular: out of memory");
    return NULL;
}

void isac_veh_prob_destroy(isac_veh_prob p)
{
    if (!p)
        return;
    free(p->v);
    for (unsigned i = 0; i < ISAC_VEH_RSUS; i++) {
        free(p->pr[i]);
        free(p->F[i]);
    }
    free(p->A);
    free(p->h);
    free(p->tmp);
    free(p->eig);
    free(p->set);
    free(p);
}

const struct isac_veh_params *isac_veh_prob_params(isac_veh_prob p)
{
    return &p->p;
}

void veh_pi_apply(const struct isac_veh_prob_s *p, const struct veh_pair *pr,
                  const double complex *f, double complex *out)
{
    /* Pi = d(a a^T)/du = j 2 pi (D a a^T + a a^T D), D = diag(centred positions): the
     * derivative about the phase centre (a common phase of a carries no angle
     * information when the echo's complex gain is unknown), so the matched beam attains
     * the maximum pi^2 (N^2 - 1) / 12 (digest 1.2). O(N). */
    unsigned N = p->p.n;
    double complex t1 = 0, t2 = 0;
    for (unsigned m = 0; m < N; m++) {
        t1 += pr->a[m] * f[m];
        t2 += pr->a[m] * p->pc[m] * f[m];
    }
    for (unsigned m = 0; m < N; m++)
        out[m] = I * 2.0 * M_PI * pr->a[m] * (p->pc[m] * t1 + t2);
}

void veh_pi_adj_apply(const struct isac_veh_prob_s *p, const struct veh_pair *pr,
                      const double complex *x, double complex *out)
{
    /* Pi^H = -j 2 pi (conj(a) a^H D + D conj(a) a^H) */
    unsigned N = p->p.n;
    double complex s1 = 0, s2 = 0;
    for (unsigned m = 0; m < N; m++) {
        s1 += conj(pr->a[m]) * p->pc[m] * x[m];
        s2 += conj(pr->a[m]) * x[m];
    }
    for (unsigned m = 0; m < N; m++)
        out[m] = -I * 2.0 * M_PI * conj(pr->a[m]) * (s1 + p->pc[m] * s2);
}

void veh_matched(const struct isac_veh_prob_s *p, const struct veh_pair *pr, double complex *f)
{
    for (unsigned m = 0; m < p->p.n; m++)
        f[m] = conj(pr->a[m]);
}

double complex veh_gain(const struct isac_veh_prob_s *p, const struct veh_pair *pr,
                        const double complex *f)
{
    double complex acc = 0;
    for (unsigned m = 0; m < p->p.n; m++)
        acc += pr->a[m] * f[m];
    return sqrt(pr->alpha * p->p.n) * acc;
}

double isac_veh_pi_max(isac_veh_prob p)
{
    double N = p->p.n;
    return M_PI * M_PI * (N * N - 1.0) / 12.0;
}

double isac_veh_pi_norm2(isac_veh_prob p, unsigned i, unsigned k, const double complex *f)
{
    double complex *t = p->tmp;
    veh_pi_apply(p, &p->pr[i][k], f, t);
    double s = 0;
    for (unsigned m = 0; m < p->p.n; m++)
        s += creal(t[m] * conj(t[m]));
    return s;
}

/* Lambda of pair (i, k) (veh.h "Sensing constraint"). */
static double pair_lambda(isac_veh_prob p, const struct isac_veh_vehicle *v, unsigned i, double d)
{
    const struct isac_veh_params *pa = &p->p;
    struct isac_trk_rsu r = {pa->rsu[i][0], pa->rsu[i][1]};
    double z[3], H[12], J0[16], C[16];
    isac_trk_h(v->x, &r, z, H);
    if (isac_trk_inv(v->P, J0, 4))
        return 0.0;
    double su, sd, sr;
    isac_sense_model_sd(&pa->sm, d, pa->beam_power, &su, &sd, &sr);
    for (unsigned a = 0; a < 4; a++)
        for (unsigned b = 0; b < 4; b++)
            J0[4 * a + b] += H[4 + a] * H[4 + b] / (sd * sd) + H[8 + a] * H[8 + b] / (sr * sr);
    if (isac_trk_inv(J0, C, 4))
        return 0.0;
    double v0 = 0, mp = 0;
    for (unsigned a = 0; a < 4; a++)
        for (unsigned b = 0; b < 4; b++) {
            v0 += H[a] * C[4 * a + b] * H[b];
            mp += H[a] * v->Pprev[4 * a + b] * H[b];
        }
    if (!(v0 > 0) || !(mp > 0))
        return 0.0;
    double snr_s = pow(10.0, pa->sm.snr_ref_db / 10.0) * pow(pa->sm.d_ref_m / fmax(d, 1.0), 4.0) *
                   pa->beam_power;
    double need = 1.0 / mp - 1.0 / v0;
    if (!(need > 0))
        return 0.0;
    return need / (2.0 * snr_s * pa->n);
}

int isac_veh_prob_set(isac_veh_prob p, const struct isac_veh_vehicle *v, unsigned K)
{
    if (K > ISAC_VEH_MAX_K)
        return ISAC_EINVAL;
    for (unsigned k = 0; k < K; k++)
        for (unsigned j = 0; j < 4; j++)
            if (!isfinite(v[k].x[j]))
                return ISAC_EINVAL;
    const struct isac_veh_params *pa = &p->p;
    unsigned N = pa->n;
    memcpy(p->v, v, K * sizeof(*v));
    p->K = K;
    memset(&p->st, 0, sizeof(p->st));
    p->st.monotone = 1;
    p->st.min_slack = INFINITY;
    double snr1 = pow(10.0, pa->comm_snr_db / 10.0), pmax = isac_veh_pi_max(p);
    for (unsigned k = 0; k < K; k++) {
        p->xi[k] = ISAC_VEH_NONE;
        for (unsigned i = 0; i < ISAC_VEH_RSUS; i++) {
            struct veh_pair *pr = &p->pr[i][k];
            double dx = v[k].x[0] - pa->rsu[i][0], dy = v[k].x[1] - pa->rsu[i][1];
            pr->d = fmax(hypot(dx, dy), 1e-3);
            pr->u = dx / pr->d;
            double g = snr1 * pow(VEH_DREF / pr->d, 2.0);
            pr->alpha = pa->psd * pa->beam_power * g;
            pr->s2 = 1.0 + pa->probe_power * g;
            double sc = 1.0 / sqrt((double)N);
            for (unsigned m = 0; m < N; m++) {
                double arg = 2.0 * M_PI * p->pos[m] * pr->u;
                pr->a[m] = sc * (cos(arg) + I * sin(arg));
            }
            pr->lambda = pa->sensing ? pair_lambda(p, &v[k], i, pr->d) : 0.0;
            if (pr->lambda > 0.999 * pmax) {
                pr->lambda = 0.999 * pmax;
                p->st.clamped++;
            }
            veh_matched(p, pr, p->F[i] + (size_t)k * N);
        }
    }
    return ISAC_OK;
}

unsigned isac_veh_prob_count(isac_veh_prob p)
{
    return p->K;
}

const struct isac_veh_vehicle *isac_veh_prob_vehicle(isac_veh_prob p, unsigned k)
{
    return &p->v[k];
}

double isac_veh_u(isac_veh_prob p, unsigned i, unsigned k)
{
    return p->pr[i][k].u;
}

double isac_veh_d(isac_veh_prob p, unsigned i, unsigned k)
{
    return p->pr[i][k].d;
}

double isac_veh_lambda(isac_veh_prob p, unsigned i, unsigned k)
{
    return p->pr[i][k].lambda;
}

int isac_veh_xi(isac_veh_prob p, unsigned k)
{
    return p->xi[k];
}

void isac_veh_set_xi(isac_veh_prob p, unsigned k, int i)
{
    p->xi[k] = i;
}

double complex *isac_veh_beam(isac_veh_prob p, unsigned i, unsigned k)
{
    return p->F[i] + (size_t)k * p->p.n;
}

unsigned isac_veh_served(isac_veh_prob p, unsigned i)
{
    unsigned n = 0;
    for (unsigned k = 0; k < p->K; k++)
        n += p->xi[k] == (int)i;
    return n;
}

double isac_veh_sinr(isac_veh_prob p, unsigned i, unsigned k)
{
    const struct veh_pair *pr = &p->pr[i][k];
    double complex s = veh_gain(p, pr, isac_veh_beam(p, i, k));
    double intf = 0;
    for (unsigned m = 0; m < p->K; m++) {
        if (m == k || p->xi[m] != (int)i)
            continue;
        double complex g = veh_gain(p, pr, isac_veh_beam(p, i, m));
        intf += creal(g * conj(g));
    }
    return creal(s * conj(s)) / (intf + pr->s2);
}

double isac_veh_rate_sum(isac_veh_prob p)
{
    double r = 0;
    for (unsigned k = 0; k < p->K; k++)
        if (p->xi[k] != ISAC_VEH_NONE)
            r += log2(1.0 + isac_veh_sinr(p, (unsigned)p->xi[k], k));
    return r;
}

const struct isac_veh_stats *isac_veh_prob_stats(isac_veh_prob p)
{
    return &p->st;
}
