/* Seed 002 LPCRLB and sum rate (ma_lpcrlb.h).
 *
 * The echo derivatives with respect to (amplitude, theta, tau, fD) are linear combinations
 * of five separable functions phi_a(m, n, r) = mf_a(m) nf_a(n) rf_a(r) sqrt(p_n) e_mnr:
 *   phi1 = g_n, phi2 = x_r g_n, phi3 = gd_n, phi4 = n' g_n, phi5 = m' g_n
 * (g_n = a^H w_n, gd_n = (da/dtheta)^H w_n); the common phase e_mnr cancels in the Gram
 * matrix G_ab = sum_mnr conj(phi_a) phi_b, which factors into sums over m, n and r.
 * s = phi1, ds/dtheta = u phi2 + phi3 (u = -j 2 pi sin theta from db_r/dtheta),
 * ds/dtau = -j 2 pi df phi4, ds/dfD = j 2 pi Ts phi5.
 */
#include "ma/ma_lpcrlb.h"

#include <math.h>
#include <string.h>

#include "common/err.h"

void isac_ma_scene_default(struct isac_ma_scene *s)
{
    memset(s, 0, sizeof *s);
    s->fc = 28e9;
    s->df = 120e3;
    s->ts = (1.0 / 120e3) * (1.0 + 1.0 / 14.0);
    s->nsub = 32;
    s->nblk = 16;
    s->nt = 8;
    s->nr = 8;
    s->K = 2;
    s->tx = (struct isac_ma_region){0.0, 7.0, 0.5};
    s->rx = (struct isac_ma_region){8.0, 15.0, 0.5};
    s->pt = 1.0;
    s->known_beta = 0;
}

int isac_ma_scene_check(const struct isac_ma_scene *s, char *err, size_t errlen)
{
    if (!(s->fc > 0) || !(s->df > 0) || !(s->ts > 0) || !isfinite(s->fc) || !isfinite(s->df) ||
        !isfinite(s->ts)) {
        isac_seterr(err, errlen, "scene: fc %g, df %g, ts %g must be finite and > 0", s->fc, s->df,
                    s->ts);
        return ISAC_EINVAL;
    }
    if (s->K < 1 || s->K > ISAC_MA_MAX_VEH) {
        isac_seterr(err, errlen, "scene: vehicles %u outside 1..%u", s->K, ISAC_MA_MAX_VEH);
        return ISAC_EINVAL;
    }
    if (s->nsub < s->K || s->nsub > ISAC_MA_MAX_SUB || s->nsub % s->K) {
        isac_seterr(err, errlen, "scene: subcarriers %u must be a multiple of %u and <= %u",
                    s->nsub, s->K, ISAC_MA_MAX_SUB);
        return ISAC_EINVAL;
    }
    if (s->nblk < 1) {
        isac_seterr(err, errlen, "scene: blocks %u must be >= 1", s->nblk);
        return ISAC_EINVAL;
    }
    if (!(s->pt > 0) || !isfinite(s->pt)) {
        isac_seterr(err, errlen, "scene: power %g must be finite and > 0", s->pt);
        return ISAC_EINVAL;
    }
    char sub[200];
    if (isac_ma_region_check(&s->tx, s->nt, sub, sizeof sub) != ISAC_OK) {
        isac_seterr(err, errlen, "scene: tx %s", sub);
        return ISAC_EINVAL;
    }
    if (isac_ma_region_check(&s->rx, s->nr, sub, sizeof sub) != ISAC_OK) {
        isac_seterr(err, errlen, "scene: rx %s", sub);
        return ISAC_EINVAL;
    }
    return ISAC_OK;
}

/* g = a^H w and gd = (da/dtheta)^H w for Tx positions x. */
static void beam_gains(const double *x, unsigned nt, double theta, const double complex *w,
                       double complex *g, double complex *gd)
{
    double c = cos(theta), sn = sin(theta), k0 = 2.0 * M_PI;
    double complex sg = 0, sgd = 0;
    for (unsigned i = 0; i < nt; i++) {
        double ph = k0 * x[i] * c;
        double complex ca = cos(ph) - I * sin(ph); /* conj(a_i) */
        double complex t = ca * w[i];
        sg += t;
        sgd += (I * k0 * sn * x[i]) * t;
    }
    *g = sg;
    *gd = sgd;
}

/* Power moments of group gi: sum p, sum n' p, sum n'^2 p (n' centred). */
static void power_moments(const struct isac_ma_scene *s, const double *p, unsigned gi,
                          double mom[3])
{
    unsigned ng = s->nsub / s->K;
    double c0 = 0.5 * (double)(s->nsub - 1);
    mom[0] = mom[1] = mom[2] = 0.0;
    for (unsigned n = gi * ng; n < (gi + 1) * ng; n++) {
        double nu = (double)n - c0;
        mom[0] += p[n];
        mom[1] += nu * p[n];
        mom[2] += nu * nu * p[n];
    }
}

/* J_xi (3 x 3, theta/tau/fD) of vehicle k. */
static void fim_xi(const struct isac_ma_scene *s, const struct isac_ma_vehicle *v,
                   const struct isac_ma_design *d, double J[9])
{
    static const int mcount[5] = {0, 0, 0, 0, 1}, rcount[5] = {0, 1, 0, 0, 0},
                     ncount[5] = {0, 0, 0, 1, 0}, isgd[5] = {0, 0, 1, 0, 0};
    double M = (double)s->nblk, SM2 = M * (M * M - 1.0) / 12.0; /* centred m': sum m' = 0 */
    double S1 = 0, S2 = 0;
    for (unsigned r = 0; r < s->nr; r++) {
        S1 += d->xr[r];
        S2 += d->xr[r] * d->xr[r];
    }
    double isac_mf[3] = {M, 0.0, SM2}, rf[3] = {(double)s->nr, S1, S2};
    double complex G[5][5] = {{0}};
    for (unsigned gi = 0; gi < s->K; gi++) {
        double complex g, gd, base[2];
        double mom[3];
        beam_gains(d->xt, s->nt, v->theta, d->w[gi], &g, &gd);
        power_moments(s, d->p, gi, mom);
        base[0] = g;
        base[1] = gd;
        for (int a = 0; a < 5; a++)
            for (int b = 0; b < 5; b++)
                G[a][b] += isac_mf[mcount[a] + mcount[b]] * rf[rcount[a] + rcount[b]] *
                           mom[ncount[a] + ncount[b]] * conj(base[isgd[a]]) * base[isgd[b]];
    }
    double complex T[5][3] = {{0}};
    T[1][0] = -I * 2.0 * M_PI * sin(v->theta);
    T[2][0] = 1.0;
    T[3][1] = -I * 2.0 * M_PI * s->df;
    T[4][2] = I * 2.0 * M_PI * s->ts;
    double complex A[3][3] = {{0}}, bv[3] = {0};
    for (int i = 0; i < 3; i++) {
        for (int a = 0; a < 5; a++) {
            if (T[a][i] == 0)
                continue;
            bv[i] += conj(T[a][i]) * G[a][0];
            for (int j = 0; j < 3; j++)
                for (int b = 0; b < 5; b++)
                    A[i][j] += conj(T[a][i]) * G[a][b] * T[b][j];
        }
    }
    double g11 = creal(G[0][0]);
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++) {
            double complex e = A[i][j];
            if (!s->known_beta && g11 > 0)
                e -= bv[i] * conj(bv[j]) / g11;
            J[3 * i + j] = v->snr_r * creal(e);
        }
}

int isac_ma_fim_eta(const struct isac_ma_scene *s, const struct isac_ma_vehicle *veh, unsigned k,
                    const struct isac_ma_design *d, double Je[9])
{
    if (isac_ma_scene_check(s, NULL, 0) != ISAC_OK || k >= s->K)
        return ISAC_EINVAL;
    const struct isac_ma_vehicle *v = &veh[k];
    double Jx[9], T[9] = {0};
    fim_xi(s, v, d, Jx);
    double kf = 2.0 * s->fc / ISAC_MA_C0;
    T[0] = 1.0;
    T[4] = 2.0 / ISAC_MA_C0;
    T[6] = -kf * v->v * sin(v->theta);
    T[8] = kf * cos(v->theta);
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++) {
            double acc = 0;
            for (int a = 0; a < 3; a++)
                for (int b = 0; b < 3; b++)
                    acc += T[3 * a + i] * Jx[3 * a + b] * T[3 * b + j];
            Je[3 * i + j] = acc;
        }
    return ISAC_OK;
}

int isac_ma_evaluate(const struct isac_ma_scene *s, const struct isac_ma_vehicle *veh,
                     const struct isac_ma_design *d, struct isac_ma_eval *e)
{
    if (isac_ma_scene_check(s, NULL, 0) != ISAC_OK)
        return ISAC_EINVAL;
    unsigned ng = s->nsub / s->K;
    e->rate = 0.0;
    for (unsigned k = 0; k < s->K; k++) {
        double complex g, gd;
        beam_gains(d->xt, s->nt, veh[k].theta, d->w[k], &g, &gd);
        double h = veh[k].snr_c * creal(g * conj(g)), r = 0.0;
        for (unsigned n = k * ng; n < (k + 1) * ng; n++)
            r += log2(1.0 + h * d->p[n]);
        e->rate += r / (double)ng;
        double J[9];
        isac_ma_fim_eta(s, veh, k, d, J);
        for (int i = 0; i < 3; i++) {
            e->fim[k][i] = J[4 * i];
            double tot = J[4 * i] + veh[k].jp[i];
            e->lpcrlb[k][i] = tot > 0 ? 1.0 / tot : INFINITY;
        }
    }
    return ISAC_OK;
}

double isac_ma_comm_gain(const struct isac_ma_scene *s, const struct isac_ma_vehicle *veh,
                         unsigned k, const struct isac_ma_design *d)
{
    double complex g, gd;
    beam_gains(d->xt, s->nt, veh[k].theta, d->w[k], &g, &gd);
    return veh[k].snr_c * creal(g * conj(g));
}

void isac_ma_design_comm_beams(const struct isac_ma_scene *s, const struct isac_ma_vehicle *veh,
                               struct isac_ma_design *d)
{
    double k0 = 2.0 * M_PI, nrm = 1.0 / sqrt((double)s->nt);
    for (unsigned k = 0; k < s->K; k++) {
        double c = cos(veh[k].theta);
        for (unsigned i = 0; i < s->nt; i++)
            d->w[k][i] = nrm * (cos(k0 * d->xt[i] * c) + I * sin(k0 * d->xt[i] * c));
    }
    for (unsigned n = 0; n < s->nsub; n++)
        d->p[n] = s->pt / (double)s->nsub;
}
