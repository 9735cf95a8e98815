/* Seed 002 LPCRLB (host/ma/ma_lpcrlb.h) against the likelihood itself: the echo of
 * digest eq. (5) is synthesised here element by element (block m, subcarrier n, Rx element
 * r), the log-likelihood l(eta, beta) = -||y0 - mu(eta, beta)||^2 / sigma^2 is evaluated at
 * noise-free data y0 = mu(eta0, beta0), and its numerical Hessian (central differences) is
 * the Fisher information (exact for a Gaussian mean model at zero residual). The unknown-
 * amplitude FIM is its Schur complement over (Re beta, Im beta); the known-amplitude FIM is
 * its (eta, eta) block. Both are compared with isac_ma_fim_eta() on random designs. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <complex.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "common/err.h"
#include "common/rng.h"
#include "ma/ma_geom.h"
#include "ma/ma_lpcrlb.h"

/* ||y0 - mu(q)||^2 with q = (theta, d, v, Re beta, Im beta), vehicle k alone. */
static double residual(const struct isac_ma_scene *s, const struct isac_ma_design *dz,
                       const double *q0, const double *q)
{
    double acc = 0.0, c0 = 0.5 * (s->nsub - 1), m0 = 0.5 * (s->nblk - 1);
    unsigned ng = s->nsub / s->K;
    for (unsigned n = 0; n < s->nsub; n++) {
        const double complex *w = dz->w[n / ng];
        for (unsigned m = 0; m < s->nblk; m++)
            for (unsigned r = 0; r < s->nr; r++) {
                double complex mu[2];
                for (int z = 0; z < 2; z++) {
                    const double *e = z ? q : q0;
                    double th = e[0], tau = 2.0 * e[1] / ISAC_MA_C0,
                           fd = 2.0 * e[2] * cos(th) * s->fc / ISAC_MA_C0;
                    double complex ah_w = 0;
                    for (unsigned i = 0; i < s->nt; i++)
                        ah_w += cexp(-I * 2.0 * M_PI * dz->xt[i] * cos(th)) * w[i];
                    double complex b = cexp(I * 2.0 * M_PI * dz->xr[r] * cos(th));
                    mu[z] = (e[3] + I * e[4]) * cexp(I * 2.0 * M_PI * (m - m0) * s->ts * fd) *
                            cexp(-I * 2.0 * M_PI * (n - c0) * s->df * tau) * b * ah_w *
                            sqrt(dz->p[n]);
                }
                double complex dd = mu[0] - mu[1];
                acc += creal(dd * conj(dd));
            }
    }
    return acc;
}

/* Numerical FIM (5 x 5) = Hessian of ||y0 - mu||^2 / sigma^2, sigma^2 = 2 |beta|^2 / snr_r. */
static void numerical_fim(const struct isac_ma_scene *s, const struct isac_ma_design *dz,
                          const double *q0, double snr_r, double F[25])
{
    const double h[5] = {2e-6, 2e-4, 2e-3, 2e-6, 2e-6};
    double sig2 = 2.0 * (q0[3] * q0[3] + q0[4] * q0[4]) / snr_r;
    for (int i = 0; i < 5; i++)
        for (int j = i; j < 5; j++) {
            double f[4];
            for (int c = 0; c < 4; c++) {
                double q[5];
                memcpy(q, q0, sizeof q);
                q[i] += (c & 1 ? -1 : 1) * h[i];
                q[j] += (c & 2 ? -1 : 1) * h[j];
                f[c] = residual(s, dz, q0, q);
            }
            F[5 * i + j] = F[5 * j + i] = (f[0] - f[1] - f[2] + f[3]) / (4 * h[i] * h[j]) / sig2;
        }
}

static void random_design(const struct isac_ma_scene *s, isac_rng *rng, struct isac_ma_design *d)
{
    assert_int_equal(isac_ma_random(&s->tx, s->nt, rng, d->xt), ISAC_OK);
    assert_int_equal(isac_ma_random(&s->rx, s->nr, rng, d->xr), ISAC_OK);
    for (unsigned k = 0; k < s->K; k++) {
        double nrm = 0;
        for (unsigned i = 0; i < s->nt; i++) {
            d->w[k][i] = isac_rng_normal(rng) + I * isac_rng_normal(rng);
            nrm += creal(d->w[k][i] * conj(d->w[k][i]));
        }
        for (unsigned i = 0; i < s->nt; i++)
            d->w[k][i] /= sqrt(nrm);
    }
    double sum = 0;
    for (unsigned n = 0; n < s->nsub; n++)
        sum += d->p[n] = 0.1 + isac_rng_uniform(rng);
    for (unsigned n = 0; n < s->nsub; n++)
        d->p[n] *= s->pt / sum;
}

static void compare(const double *Jnum, const double *J, const char *what)
{
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++) {
            double scale = sqrt(fabs(J[4 * i] * J[4 * j])),
                   err = fabs(Jnum[3 * i + j] - J[3 * i + j]);
            if (err > 1e-4 * scale) {
                printf("%s: J[%d][%d] numerical %.9g formula %.9g\n", what, i, j, Jnum[3 * i + j],
                       J[3 * i + j]);
                fail();
            }
        }
}

static void check_case(int known_beta, uint64_t seed)
{
    struct isac_ma_scene s;
    isac_ma_scene_default(&s);
    s.nsub = 8; /* small echo: the numerical Hessian loops over every (m, n, r) */
    s.nblk = 4;
    s.nt = 4;
    s.nr = 4;
    s.tx = (struct isac_ma_region){0.0, 3.0, 0.5};
    s.rx = (struct isac_ma_region){4.0, 7.0, 0.5};
    s.known_beta = known_beta;
    isac_rng rng;
    isac_rng_seed(&rng, seed);
    struct isac_ma_design d;
    memset(&d, 0, sizeof d);
    random_design(&s, &rng, &d);
    struct isac_ma_vehicle veh[ISAC_MA_MAX_VEH];
    memset(veh, 0, sizeof veh);
    for (unsigned k = 0; k < s.K; k++) {
        veh[k].theta = 0.4 + 2.3 * isac_rng_uniform(&rng);
        veh[k].d = 20.0 + 40.0 * isac_rng_uniform(&rng);
        veh[k].v = 10.0 + 20.0 * isac_rng_uniform(&rng);
        veh[k].snr_r = 3.0;
    }
    for (unsigned k = 0; k < s.K; k++) {
        double q0[5] = {veh[k].theta, veh[k].d, veh[k].v, 0.8, -0.6}, F[25], Jn[9], J[9];
        numerical_fim(&s, &d, q0, veh[k].snr_r, F);
        if (known_beta) {
            for (int i = 0; i < 3; i++)
                for (int j = 0; j < 3; j++)
                    Jn[3 * i + j] = F[5 * i + j];
        } else { /* Schur complement over (Re beta, Im beta) */
            double a = F[18], b = F[19], c = F[24], det = a * c - b * b;
            double inv[4] = {c / det, -b / det, -b / det, a / det};
            for (int i = 0; i < 3; i++)
                for (int j = 0; j < 3; j++) {
                    double u[2] = {F[5 * i + 3], F[5 * i + 4]}, w[2] = {F[15 + j], F[20 + j]};
                    Jn[3 * i + j] = F[5 * i + j] - (u[0] * (inv[0] * w[0] + inv[1] * w[1]) +
                                                    u[1] * (inv[2] * w[0] + inv[3] * w[1]));
                }
        }
        assert_int_equal(isac_ma_fim_eta(&s, veh, k, &d, J), ISAC_OK);
        printf("seed %llu known_beta %d veh %u: J_thth %.6g (num %.6g), J_dd %.6g (num %.6g), "
               "J_vv %.6g (num %.6g)\n",
               (unsigned long long)seed, known_beta, k, J[0], Jn[0], J[4], Jn[4], J[8], Jn[8]);
        compare(Jn, J, known_beta ? "known beta" : "unknown beta");
    }
}

static void test_fim_known_beta(void **st)
{
    (void)st;
    for (uint64_t seed = 1; seed <= 4; seed++)
        check_case(1, seed);
}

static void test_fim_unknown_beta(void **st)
{
    (void)st;
    for (uint64_t seed = 11; seed <= 14; seed++)
        check_case(0, seed);
}

/* The unknown-amplitude bound does not depend on where the position origin lies (shifting
 * all Rx positions, or all Tx positions, changes only the echo phase); the known-amplitude
 * one does (the S1 terms of the digest's closed forms). */
static void test_origin_invariance(void **st)
{
    (void)st;
    struct isac_ma_scene s;
    isac_ma_scene_default(&s);
    isac_rng rng;
    isac_rng_seed(&rng, 7);
    struct isac_ma_design d;
    memset(&d, 0, sizeof d);
    random_design(&s, &rng, &d);
    struct isac_ma_vehicle veh[ISAC_MA_MAX_VEH] = {{.theta = 1.1, .d = 30, .v = 20, .snr_r = 2},
                                                   {.theta = 2.0, .d = 40, .v = 25, .snr_r = 2}};
    for (int kb = 0; kb < 2; kb++) {
        s.known_beta = kb;
        double J0[9], J1[9];
        isac_ma_fim_eta(&s, veh, 0, &d, J0);
        struct isac_ma_design d2 = d;
        for (unsigned r = 0; r < s.nr; r++)
            d2.xr[r] += 3.0;
        isac_ma_fim_eta(&s, veh, 0, &d2, J1);
        double rel = fabs(J1[0] - J0[0]) / J0[0];
        printf("known_beta %d: J_thth after a 3-lambda Rx shift changes by %.3g (relative)\n", kb,
               rel);
        if (kb)
            assert_true(rel > 1e-3);
        else
            assert_true(rel < 1e-9);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fim_known_beta),
        cmocka_unit_test(test_fim_unknown_beta),
        cmocka_unit_test(test_origin_invariance),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
