/* Fractional-programming beam update with the sensing constraint (veh.h "FP"). */
#include <lapacke.h>
#include <math.h>
#include <string.h>

#include "common/err.h"
#include "vehicular/veh_internal.h"

#define BISECT 50

/* The beam sub-problem in A's eigenbasis: maximise 2 Re{cb^H z} - sum_j lam_j |z_j|^2
 * over ||z|| <= 1 (and 2 Re{qb^H z} >= b). */
struct sub {
    unsigned N;
    const double *lam;
    const double complex *cb, *qb;
    double b;
    double complex *z, *bb;
};

static double sub_obj(const struct sub *s, const double complex *z)
{
    double o = 0;
    for (unsigned j = 0; j < s->N; j++)
        o += 2.0 * creal(conj(s->cb[j]) * z[j]) - s->lam[j] * creal(z[j] * conj(z[j]));
    return o;
}

/* z = argmax over the ball of 2 Re{bb^H z} - z^H Lam z: (Lam + mu I)^-1 bb with the
 * smallest mu >= 0 that gives ||z|| <= 1. mu solves the secular equation
 * 1 / ||z(mu)|| = 1 by Newton's method, which approaches the root from below without
 * overshooting (1 / ||z(mu)|| is concave and increasing, More & Sorensen 1983); the result
 * may exceed the ball by rounding only (1e-12), which the caller's checks absorb.
 * lam must be >= 0. */
static void ball_solve(const struct sub *s, const double complex *bb, double complex *z)
{
    unsigned N = s->N;
    double lmax = 0, W = 0, w[ISAC_VEH_MAX_N];
    for (unsigned j = 0; j < N; j++) {
        lmax = lmax > s->lam[j] ? lmax : s->lam[j];
        w[j] = creal(bb[j] * conj(bb[j]));
        W += w[j];
    }
    double mu = 0, n = 0;
    int singular = 0;
    for (unsigned j = 0; j < N && !singular; j++) {
        if (s->lam[j] <= 1e-13 * lmax)
            singular = 1;
        else
            n += w[j] / (s->lam[j] * s->lam[j]);
    }
    if (W > 0 && (singular || n > 1.0)) {
        mu = sqrt(W) - lmax; /* n(mu) >= W / (lmax + mu)^2: the root is above this */
        if (mu < 1e-12 * (sqrt(W) + lmax))
            mu = 1e-12 * (sqrt(W) + lmax);
        for (int it = 0; it < 100; it++) {
            double n0 = 0, n1 = 0;
            for (unsigned j = 0; j < N; j++) {
                double den = s->lam[j] + mu, t = w[j] / (den * den);
                n0 += t;
                n1 += t / den;
            }
            double phi = 1.0 / sqrt(n0) - 1.0;
            if (phi >= -1e-14)
                break;
            double dphi = n1 / (n0 * sqrt(n0)); /* d(n^-1/2)/dmu = n^-3/2 sum w / den^3 */
            mu -= phi / dphi;
        }
    }
    for (unsigned j = 0; j < N; j++) {
        double den = s->lam[j] + mu;
        z[j] = den > 0 ? bb[j] / den : 0;
    }
}

/* 2 Re{qb^H z} - b at multiplier nu (z left in s->z). */
static double half_gap(struct sub *s, double nu)
{
    for (unsigned j = 0; j < s->N; j++)
        s->bb[j] = s->cb[j] + nu * s->qb[j];
    ball_solve(s, s->bb, s->z);
    double v = 0;
    for (unsigned j = 0; j < s->N; j++)
        v += 2.0 * creal(conj(s->qb[j]) * s->z[j]);
    return v - s->b;
}

/* Solve for z; 0 when a feasible point was found (in s->z), -1 otherwise. The gap is
 * nondecreasing in nu (the half-space's multiplier); its root is bracketed by doubling and
 * found by regula falsi with the Illinois modification, always keeping the feasible end. */
static int sub_solve(struct sub *s, int constrained)
{
    double g0 = half_gap(s, 0.0);
    if (!constrained || g0 >= 0)
        return 0;
    double lo = 0, glo = g0, hi = 1.0, ghi;
    while ((ghi = half_gap(s, hi)) < 0) {
        lo = hi;
        glo = ghi;
        hi *= 4.0;
        if (hi > 1e15)
            return -1;
    }
    int side = 0;
    for (int it = 0; it < BISECT && hi - lo > 1e-12 * hi; it++) {
        double mid = hi - ghi * (hi - lo) / (ghi - glo);
        if (!(mid > lo && mid < hi))
            mid = 0.5 * (lo + hi);
        double g = half_gap(s, mid);
        if (g < 0) {
            lo = mid;
            glo = g;
            if (side == -1)
                ghi *= 0.5;
            side = -1;
        } else {
            hi = mid;
            ghi = g;
            if (side == 1)
                glo *= 0.5;
            side = 1;
            if (g <= 1e-9 * (fabs(s->b) + 1e-300))
                break;
        }
    }
    return half_gap(s, hi) >= 0 ? 0 : -1;
}

/* Project x onto the eigenbasis U (column-major N x N): out = U^H x. */
static void to_eig(const double complex *U, unsigned N, const double complex *x,
                   double complex *out)
{
    for (unsigned j = 0; j < N; j++) {
        double complex acc = 0;
        for (unsigned m = 0; m < N; m++)
            acc += conj(U[(size_t)j * N + m]) * x[m];
        out[j] = acc;
    }
}

static void from_eig(const double complex *U, unsigned N, const double complex *z,
                     double complex *out)
{
    for (unsigned m = 0; m < N; m++) {
        double complex acc = 0;
        for (unsigned j = 0; j < N; j++)
            acc += U[(size_t)j * N + m] * z[j];
        out[m] = acc;
    }
}

/* One beam's update (veh.h): accepted when feasible and not worse than f0. */
static void beam_update(isac_veh_prob p, unsigned i, unsigned k, double complex c_scale)
{
    unsigned N = p->p.n;
    const struct veh_pair *pr = &p->pr[i][k];
    double complex *f0 = isac_veh_beam(p, i, k);
    double complex *c = p->tmp, *q = p->tmp + N, *cb = p->tmp + 2 * N, *qb = p->tmp + 3 * N;
    double complex *z = p->tmp + 4 * N, *bb = p->tmp + 5 * N, *z0 = p->tmp + 6 * N;
    double complex *f = p->tmp + 7 * N;
    double sg = sqrt(pr->alpha * N);
    for (unsigned m = 0; m < N; m++)
        c[m] = c_scale * sg * conj(pr->a[m]); /* c = sqrt(1+gamma) y g */
    to_eig(p->A, N, c, cb);
    to_eig(p->A, N, f0, z0);
    struct sub s = {N, p->eig, cb, qb, 0.0, z, bb};
    int constrained = pr->lambda > 0;
    if (constrained) {
        double complex *t = f; /* scratch: Pi f0 */
        veh_pi_apply(p, pr, f0, t);
        double n0 = 0;
        for (unsigned m = 0; m < N; m++)
            n0 += creal(t[m] * conj(t[m]));
        veh_pi_adj_apply(p, pr, t, q);
        to_eig(p->A, N, q, qb);
        s.b = pr->lambda + n0;
    } else {
        memset(qb, 0, N * sizeof(*qb));
    }
    if (sub_solve(&s, constrained))
        return;
    double nz = 0;
    for (unsigned j = 0; j < N; j++)
        nz += creal(z[j] * conj(z[j]));
    if (nz > 1.0 + 1e-10)
        return;
    for (unsigned j = 0; nz > 1.0 && j < N; j++)
        z[j] /= sqrt(nz); /* Newton's rounding (ball_solve) */
    if (sub_obj(&s, z) < sub_obj(&s, z0))
        return;
    from_eig(p->A, N, z, f);
    if (constrained && isac_veh_pi_norm2(p, i, k, f) < pr->lambda)
        return;
    memcpy(f0, f, N * sizeof(*f));
}

/* gamma, y and fq (nats) of RSU i's set with the current beams; h[a][b] = g_a^H f_b. */
static double fq_eval(isac_veh_prob p, unsigned i, unsigned n, double *gam, double complex *y)
{
    unsigned N = p->p.n;
    double fq = 0;
    for (unsigned a = 0; a < n; a++) {
        unsigned k = p->set[a];
        const struct veh_pair *pr = &p->pr[i][k];
        double D = pr->s2;
        double complex s = 0;
        for (unsigned b = 0; b < n; b++) {
            double complex g = veh_gain(p, pr, p->F[i] + (size_t)p->set[b] * N);
            D += creal(g * conj(g));
            if (b == a)
                s = g;
        }
        double S = creal(s * conj(s));
        gam[a] = S / fmax(D - S, 1e-300);
        y[a] = sqrt(1.0 + gam[a]) * s / D;
        fq += log1p(gam[a]);
    }
    return fq;
}

int isac_veh_fp(isac_veh_prob p, unsigned i, double *trace, unsigned *ntrace)
{
    unsigned N = p->p.n, n = 0;
    if (ntrace)
        *ntrace = 0;
    for (unsigned k = 0; k < p->K; k++)
        if (p->xi[k] == (int)i) {
            p->set[n++] = k;
            /* a beam that does not meet this slot's constraint restarts from the matched
             * beam, which does (Lambda is clamped below its maximum) */
            if (p->pr[i][k].lambda > 0 &&
                isac_veh_pi_norm2(p, i, k, isac_veh_beam(p, i, k)) < p->pr[i][k].lambda)
                veh_matched(p, &p->pr[i][k], isac_veh_beam(p, i, k));
        }
    p->st.fp_runs++;
    if (n == 0)
        return ISAC_OK;
    double gam[ISAC_VEH_MAX_K];
    double complex y[ISAC_VEH_MAX_K];
    double prev = -INFINITY;
    for (unsigned it = 0;; it++) {
        double fq = fq_eval(p, i, n, gam, y);
        if (trace)
            trace[it] = fq;
        if (ntrace)
            *ntrace = it + 1;
        if (it == 0)
            p->st.fq_first = fq;
        p->st.fq_last = fq;
        if (fq < prev - 1e-9 * fabs(prev))
            p->st.monotone = 0;
        if (it >= p->p.fp_iter || (it > 0 && fq - prev <= p->p.fp_tol * fabs(fq)))
            break;
        prev = fq;
        p->st.fp_iters++;
        /* A = sum_k |y_k|^2 g_k g_k^H (column-major, upper triangle used) */
        memset(p->A, 0, (size_t)N * N * sizeof(*p->A));
        for (unsigned a = 0; a < n; a++) {
            const struct veh_pair *pr = &p->pr[i][p->set[a]];
            double w = creal(y[a] * conj(y[a])) * pr->alpha * N;
            for (unsigned col = 0; col < N; col++)
                for (unsigned row = 0; row <= col; row++)
                    p->A[(size_t)col * N + row] += w * conj(pr->a[row]) * pr->a[col];
        }
        lapack_int info = LAPACKE_zheev(LAPACK_COL_MAJOR, 'V', 'U', (lapack_int)N,
                                        (lapack_complex_double *)p->A, (lapack_int)N, p->eig);
        if (info != 0)
            return ISAC_EINVAL;
        for (unsigned j = 0; j < N; j++)
            p->eig[j] = p->eig[j] > 0 ? p->eig[j] : 0.0; /* PSD: rounding only */
        for (unsigned a = 0; a < n; a++)
            beam_update(p, i, p->set[a], sqrt(1.0 + gam[a]) * y[a]);
    }
    for (unsigned a = 0; a < n; a++) {
        unsigned k = p->set[a];
        if (p->pr[i][k].lambda > 0)
            p->st.min_slack =
                fmin(p->st.min_slack,
                     isac_veh_pi_norm2(p, i, k, isac_veh_beam(p, i, k)) - p->pr[i][k].lambda);
    }
    return ISAC_OK;
}
