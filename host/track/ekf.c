/* Cartesian constant-velocity EKF and PCRB (see ekf.h). */
#include "track/ekf.h"

#include <math.h>
#include <string.h>

#include "common/err.h"

int isac_trk_inv(const double *A, double *Ainv, unsigned n)
{
    double a[4][8];
    if (n == 0 || n > 4)
        return ISAC_EINVAL;
    for (unsigned i = 0; i < n; i++)
        for (unsigned j = 0; j < 2 * n; j++)
            a[i][j] = j < n ? A[i * n + j] : (j - n == i ? 1.0 : 0.0);
    for (unsigned c = 0; c < n; c++) {
        unsigned piv = c;
        for (unsigned i = c + 1; i < n; i++)
            if (fabs(a[i][c]) > fabs(a[piv][c]))
                piv = i;
        if (!(fabs(a[piv][c]) > 1e-300))
            return ISAC_EINVAL;
        if (piv != c)
            for (unsigned j = 0; j < 2 * n; j++) {
                double t = a[c][j];
                a[c][j] = a[piv][j];
                a[piv][j] = t;
            }
        double d = a[c][c];
        for (unsigned j = 0; j < 2 * n; j++)
            a[c][j] /= d;
        for (unsigned i = 0; i < n; i++)
            if (i != c && a[i][c] != 0.0) {
                double f = a[i][c];
                for (unsigned j = 0; j < 2 * n; j++)
                    a[i][j] -= f * a[c][j];
            }
    }
    for (unsigned i = 0; i < n; i++)
        for (unsigned j = 0; j < n; j++)
            Ainv[i * n + j] = a[i][n + j];
    return ISAC_OK;
}

/* C (n x m) = A (n x k) B (k x m) */
static void mul(const double *A, const double *B, double *C, unsigned n, unsigned k, unsigned m)
{
    for (unsigned i = 0; i < n; i++)
        for (unsigned j = 0; j < m; j++) {
            double s = 0;
            for (unsigned t = 0; t < k; t++)
                s += A[i * k + t] * B[t * m + j];
            C[i * m + j] = s;
        }
}

static void transpose(const double *A, double *At, unsigned n, unsigned m)
{
    for (unsigned i = 0; i < n; i++)
        for (unsigned j = 0; j < m; j++)
            At[j * n + i] = A[i * m + j];
}

static void symmetrize(double *P, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        for (unsigned j = i + 1; j < n; j++) {
            double s = 0.5 * (P[i * n + j] + P[j * n + i]);
            P[i * n + j] = P[j * n + i] = s;
        }
}

void isac_trk_h(const double *x, const struct isac_trk_rsu *r, double *z, double *H)
{
    double dx = x[0] - r->x, dy = x[1] - r->y;
    double d = hypot(dx, dy);
    if (d < 1e-6)
        d = 1e-6;
    double rr = (dx * x[2] + dy * x[3]) / d;
    z[0] = dx / d;
    z[1] = d;
    z[2] = rr;
    if (!H)
        return;
    double d3 = d * d * d;
    /* u = dx/d */
    H[0] = dy * dy / d3;
    H[1] = -dx * dy / d3;
    H[2] = 0;
    H[3] = 0;
    /* d */
    H[4] = dx / d;
    H[5] = dy / d;
    H[6] = 0;
    H[7] = 0;
    /* r = (dx vx + dy vy)/d: dr/dpx = vx/d - rr dx/d^2 */
    H[8] = x[2] / d - rr * dx / (d * d);
    H[9] = x[3] / d - rr * dy / (d * d);
    H[10] = dx / d;
    H[11] = dy / d;
}

void isac_trk_cv_model(double T, double qx, double qy, double *F, double *Q)
{
    memset(F, 0, 16 * sizeof(*F));
    memset(Q, 0, 16 * sizeof(*Q));
    for (unsigned i = 0; i < 4; i++)
        F[i * 4 + i] = 1.0;
    F[0 * 4 + 2] = T;
    F[1 * 4 + 3] = T;
    double q[2] = {qx, qy};
    for (unsigned a = 0; a < 2; a++) {
        Q[a * 4 + a] = q[a] * T * T * T / 3.0;
        Q[a * 4 + a + 2] = Q[(a + 2) * 4 + a] = q[a] * T * T / 2.0;
        Q[(a + 2) * 4 + a + 2] = q[a] * T;
    }
}

void isac_trk_ekf_predict(struct isac_trk_ekf *f, double T, double qx, double qy)
{
    double F[16], Q[16], Ft[16], FP[16], x[4];
    isac_trk_cv_model(T, qx, qy, F, Q);
    mul(F, f->x, x, 4, 4, 1);
    memcpy(f->x, x, sizeof x);
    transpose(F, Ft, 4, 4);
    mul(F, f->P, FP, 4, 4, 4);
    mul(FP, Ft, f->P, 4, 4, 4);
    for (unsigned i = 0; i < 16; i++)
        f->P[i] += Q[i];
    symmetrize(f->P, 4);
}

/* Innovation e (with u and r wrapped by nothing: all components are unbounded reals), its
 * covariance S = H P H^T + R and H. */
static int innovation(const struct isac_trk_ekf *f, const struct isac_trk_rsu *r,
                      const struct isac_trk_meas *m, double *e, double *S, double *H)
{
    if (!(m->su > 0 && m->sd > 0 && m->sr > 0))
        return ISAC_EINVAL;
    double z[3], Ht[12], HP[12];
    isac_trk_h(f->x, r, z, H);
    e[0] = m->u - z[0];
    e[1] = m->d - z[1];
    e[2] = m->r - z[2];
    transpose(H, Ht, 3, 4);
    mul(H, f->P, HP, 3, 4, 4);
    mul(HP, Ht, S, 3, 4, 3);
    S[0] += m->su * m->su;
    S[4] += m->sd * m->sd;
    S[8] += m->sr * m->sr;
    return ISAC_OK;
}

double isac_trk_ekf_distance(const struct isac_trk_ekf *f, const struct isac_trk_rsu *r,
                             const struct isac_trk_meas *m)
{
    double e[3], S[9], H[12], Si[9], Se[3];
    if (innovation(f, r, m, e, S, H) != ISAC_OK || isac_trk_inv(S, Si, 3) != ISAC_OK)
        return INFINITY;
    mul(Si, e, Se, 3, 3, 1);
    return e[0] * Se[0] + e[1] * Se[1] + e[2] * Se[2];
}

int isac_trk_ekf_update(struct isac_trk_ekf *f, const struct isac_trk_rsu *r,
                        const struct isac_trk_meas *m, double *nis)
{
    double e[3], S[9], H[12], Si[9], Ht[12], PHt[12], K[12], Se[3];
    if (innovation(f, r, m, e, S, H) != ISAC_OK || isac_trk_inv(S, Si, 3) != ISAC_OK)
        return ISAC_EINVAL;
    transpose(H, Ht, 3, 4);
    mul(f->P, Ht, PHt, 4, 4, 3);
    mul(PHt, Si, K, 4, 3, 3);
    double dx[4];
    mul(K, e, dx, 4, 3, 1);
    for (unsigned i = 0; i < 4; i++)
        f->x[i] += dx[i];
    /* Joseph form: (I - K H) P (I - K H)^T + K R K^T */
    double IKH[16], IKHt[16], T1[16], P[16], KR[12], Kt[12], KRK[16];
    mul(K, H, IKH, 4, 3, 4);
    for (unsigned i = 0; i < 16; i++)
        IKH[i] = (i % 5 == 0 ? 1.0 : 0.0) - IKH[i];
    transpose(IKH, IKHt, 4, 4);
    mul(IKH, f->P, T1, 4, 4, 4);
    mul(T1, IKHt, P, 4, 4, 4);
    double Rd[3] = {m->su * m->su, m->sd * m->sd, m->sr * m->sr};
    for (unsigned i = 0; i < 4; i++)
        for (unsigned j = 0; j < 3; j++)
            KR[i * 3 + j] = K[i * 3 + j] * Rd[j];
    transpose(K, Kt, 4, 3);
    mul(KR, Kt, KRK, 4, 3, 4);
    for (unsigned i = 0; i < 16; i++)
        f->P[i] = P[i] + KRK[i];
    symmetrize(f->P, 4);
    if (nis) {
        mul(Si, e, Se, 3, 3, 1);
        *nis = e[0] * Se[0] + e[1] * Se[1] + e[2] * Se[2];
    }
    return ISAC_OK;
}

/* H^T R^-1 H for deviations (su, sd, sr) added into J */
static void add_info(double *J, const double *H, double su, double sd, double sr)
{
    double w[3] = {1.0 / (su * su), 1.0 / (sd * sd), 1.0 / (sr * sr)};
    for (unsigned i = 0; i < 4; i++)
        for (unsigned j = 0; j < 4; j++) {
            double s = 0;
            for (unsigned k = 0; k < 3; k++)
                s += H[k * 4 + i] * w[k] * H[k * 4 + j];
            J[i * 4 + j] += s;
        }
}

int isac_trk_ekf_update_info(struct isac_trk_ekf *f, const struct isac_trk_rsu *r,
                             const struct isac_trk_meas *m)
{
    double e[3], S[9], H[12], J[16], P[16];
    if (innovation(f, r, m, e, S, H) != ISAC_OK || isac_trk_inv(f->P, J, 4) != ISAC_OK)
        return ISAC_EINVAL;
    add_info(J, H, m->su, m->sd, m->sr);
    if (isac_trk_inv(J, P, 4) != ISAC_OK)
        return ISAC_EINVAL;
    /* K = P+ H^T R^-1 */
    double w[3] = {1.0 / (m->su * m->su), 1.0 / (m->sd * m->sd), 1.0 / (m->sr * m->sr)};
    double HtRe[4] = {0, 0, 0, 0}, dx[4];
    for (unsigned i = 0; i < 4; i++)
        for (unsigned k = 0; k < 3; k++)
            HtRe[i] += H[k * 4 + i] * w[k] * e[k];
    mul(P, HtRe, dx, 4, 4, 1);
    for (unsigned i = 0; i < 4; i++)
        f->x[i] += dx[i];
    memcpy(f->P, P, sizeof P);
    symmetrize(f->P, 4);
    return ISAC_OK;
}

double isac_trk_nees(const struct isac_trk_ekf *f, const double *truth)
{
    double Pi[16], e[4], Pe[4];
    if (isac_trk_inv(f->P, Pi, 4) != ISAC_OK)
        return INFINITY;
    for (unsigned i = 0; i < 4; i++)
        e[i] = f->x[i] - truth[i];
    mul(Pi, e, Pe, 4, 4, 1);
    return e[0] * Pe[0] + e[1] * Pe[1] + e[2] * Pe[2] + e[3] * Pe[3];
}

int isac_trk_pcrb_init(struct isac_trk_pcrb *b, const double *P0)
{
    return isac_trk_inv(P0, b->J, 4);
}

int isac_trk_pcrb_predict(struct isac_trk_pcrb *b, double T, double qx, double qy)
{
    struct isac_trk_ekf f;
    memset(f.x, 0, sizeof f.x);
    if (isac_trk_inv(b->J, f.P, 4) != ISAC_OK)
        return ISAC_EINVAL;
    isac_trk_ekf_predict(&f, T, qx, qy); /* F J^-1 F^T + Q */
    return isac_trk_inv(f.P, b->J, 4);
}

void isac_trk_pcrb_measure(struct isac_trk_pcrb *b, const double *truth,
                           const struct isac_trk_rsu *r, double su, double sd, double sr)
{
    double z[3], H[12];
    isac_trk_h(truth, r, z, H);
    add_info(b->J, H, su, sd, sr);
}

int isac_trk_pcrb_cov(const struct isac_trk_pcrb *b, double *C)
{
    return isac_trk_inv(b->J, C, 4);
}

void isac_trk_bound_range_angle(const double *C, const double *truth, const struct isac_trk_rsu *r,
                                double *s_range, double *s_angle)
{
    double z[3], H[12];
    isac_trk_h(truth, r, z, H);
    double c = sqrt(fmax(1e-12, 1.0 - z[0] * z[0]));
    double gu[4], gd[4];
    for (unsigned i = 0; i < 4; i++) {
        gu[i] = H[i] / c; /* d phi = d u / cos(phi) */
        gd[i] = H[4 + i];
    }
    double vr = 0, va = 0;
    for (unsigned i = 0; i < 4; i++)
        for (unsigned j = 0; j < 4; j++) {
            vr += gd[i] * C[i * 4 + j] * gd[j];
            va += gu[i] * C[i * 4 + j] * gu[j];
        }
    if (s_range)
        *s_range = sqrt(fmax(vr, 0));
    if (s_angle)
        *s_angle = sqrt(fmax(va, 0));
}
