/* sim link budget: the measured post-MF, post-beamforming SNR of an echo equals the
 * documented link budget (docs/link-budget.md: reading B + 8 dB allowance), computed
 * here independently from the geometry, and the per-sample noise variance is 1. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <complex.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "dsp/fdelay.h"
#include "radio/radio.h"
#include "radio/sim/sim.h"

#define L 4096 /* = the default cpi reference */
#define CAP (L + 128)
#define Z999 3.2905 /* two-sided 99.9 % normal quantile */

static float complex probe[L], ref[CAP];
static float complex xb[16][L], yb[64][CAP];

/* The documented budget, from the positions alone (docs/link-budget.md):
 * SNR_n = L M^2 P_t beta(d0+dn) sigma_alpha^2 / N_s,
 * N_s = -174 + 9 + 10 log10(20e6) + 10 log10(4096) - 8 dBm (the default pg). */
static double doc_snr(double tx_dbm, double x, double y, double rxx, double rxy, unsigned M)
{
    double d = hypot(x - 250, y - 250) + hypot(x - rxx, y - rxy);
    double ns = -174 + 9 + 10 * log10(20e6) + 10 * log10(4096.0) - 8;
    double beta_db = -34.5 - 37 * log10(d);
    return (double)L * M * M * pow(10, (tx_dbm + beta_db - ns) / 10);
}

static void test_echo_snr(void **st)
{
    (void)st;
    static const double rxp[4][2] = {{100, 100}, {100, 400}, {400, 100}, {400, 400}};
    char err[256];
    isac_radio r =
        isac_radio_open("sim:seed=21,rcs=fixed,impairments=0,leak=0,speed=0", err, sizeof err);
    assert_non_null(r);
    isac_sim s = isac_radio_get_state(r);
    const unsigned M = 16;
    for (size_t i = 0; i < L; i++)
        probe[i] = (float complex)cexp(I * 2 * M_PI * (-0.35 * i + 0.35 * (double)i * i / L));
    struct isac_sim_path p[4];
    for (unsigned n = 0; n < 4; n++)
        isac_sim_target_path(s, 0, n, 0, &p[n]);
    const float complex *x[16];
    float complex *y[64];
    for (unsigned c = 0; c < M; c++) {
        float complex w = (float complex)(cexp(-I * M_PI * c * sin(p[0].phi0)) / sqrt(M));
        for (size_t i = 0; i < L; i++)
            xb[c][i] = w * probe[i];
        x[c] = xb[c];
    }
    for (unsigned c = 0; c < 64; c++)
        y[c] = yb[c];
    const int R = 300;
    double sum[4] = {0};
    for (int k = 0; k < R; k++) {
        int64_t t = (int64_t)k * (CAP + 100);
        assert_int_equal(isac_radio_tx_burst(r, t, x, L), ISAC_OK);
        struct isac_radio_rx_md md;
        assert_int_equal(isac_radio_rx_capture(r, t, y, CAP, &md), ISAC_OK);
        for (unsigned n = 0; n < 4; n++) {
            memset(ref, 0, sizeof ref);
            isac_fdelay_add(ref, CAP, probe, L, p[n].delay_samples, 1.0, 0.0);
            /* MF normalised to keep the per-sample noise variance: / sqrt(L) */
            double complex bf = 0;
            for (unsigned m = 0; m < M; m++) {
                double complex v = 0;
                for (size_t i = 0; i < CAP; i++)
                    v += y[n * M + m][i] * conjf(ref[i]);
                bf += cexp(-I * M_PI * m * sin(p[n].phin)) * v / sqrt((double)L);
            }
            sum[n] += creal(bf * conj(bf)) / M; /* |a^H z|^2 / ||a||^2: SNR + 1 on average */
        }
    }
    for (unsigned n = 0; n < 4; n++) {
        double doc = doc_snr(20, p[n].x, p[n].y, rxp[n][0], rxp[n][1], M);
        double meas = sum[n] / R - 1.0;
        double sd = sqrt((2 * doc + 1) / R); /* |s + n|^2, n ~ CN(0,1): var 2 SNR + 1 */
        printf(
            "AP %u: post-MF post-BF SNR measured %.3f dB, documented %.3f dB (emulator %.3f dB), "
            "99.9%% bound +-%.3f dB\n",
            n, 10 * log10(meas), 10 * log10(doc), 10 * log10(isac_sim_target_snr(s, 0, n, 0, 0)),
            10 * log10(1 + Z999 * sd / doc));
        assert_true(fabs(meas - doc) < Z999 * sd + 0.01 * doc); /* +1 % for interpolation */
    }
    isac_radio_close(r);
}

static void test_noise_variance(void **st)
{
    (void)st;
    char err[256];
    isac_radio r = isac_radio_open("sim:impairments=0", err, sizeof err);
    float complex *y[64];
    for (unsigned c = 0; c < 64; c++)
        y[c] = yb[c];
    struct isac_radio_rx_md md;
    assert_int_equal(isac_radio_rx_capture(r, 0, y, CAP, &md), ISAC_OK); /* no burst: noise only */
    double e = 0, er = 0;
    for (unsigned c = 0; c < 64; c++)
        for (size_t i = 0; i < CAP; i++) {
            e += crealf(y[c][i] * conjf(y[c][i]));
            er += crealf(y[c][i]) * crealf(y[c][i]);
        }
    double n = 64.0 * CAP, v = e / n;
    printf("noise variance per sample %.5f (real part %.5f), 99.9%% bound +-%.5f\n", v, er / n,
           Z999 / sqrt(n));
    assert_true(fabs(v - 1) < Z999 / sqrt(n));                    /* |n|^2 ~ Exp(1): sd 1/sqrt(n) */
    assert_true(fabs(er / n - 0.5) < Z999 * sqrt(0.5) / sqrt(n)); /* circular */
    isac_radio_close(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_echo_snr),
        cmocka_unit_test(test_noise_variance),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
