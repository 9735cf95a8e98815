/* sim channel emulator: the echo lands at the truth's fractional delay and angle,
 * its phase advances across CPIs at the Doppler of the EMULATED carrier, per-channel
 * RX/TX impairments measured from a strong echo match the truth, and LO phases are
 * re-drawn at retune unless shared. */
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

#define L 4096    /* probe length */
#define EXTRA 256 /* capture beyond the probe: room for the longest echo */
#define DEG (M_PI / 180.0)

struct rig {
    isac_radio r;
    isac_sim s;
    unsigned M, nrx;
    float complex *probe;
    float complex *xbuf, *ybuf;
    float complex *x[ISAC_SIM_MAX_ELEMENTS];
    float complex *y[ISAC_SIM_NUM_RX_APS * ISAC_SIM_MAX_ELEMENTS];
};

/* Linear chirp over +-0.35 cycles/sample (inside fdelay's accurate band), unit power. */
static void make_probe(float complex *s)
{
    for (size_t i = 0; i < L; i++) {
        double t = (double)i;
        s[i] = (float complex)cexp(I * 2 * M_PI * (-0.35 * t + 0.35 * t * t / L));
    }
}

static void rig_open(struct rig *g, const char *spec)
{
    char err[256];
    g->r = isac_radio_open(spec, err, sizeof err);
    if (!g->r)
        printf("%s\n", err);
    assert_non_null(g->r);
    g->s = isac_radio_get_state(g->r);
    struct isac_radio_info info;
    isac_radio_get_info(g->r, &info);
    g->M = info.num_tx;
    g->nrx = info.num_rx;
    g->probe = malloc(L * sizeof *g->probe);
    make_probe(g->probe);
    g->xbuf = calloc((size_t)g->M * L, sizeof *g->xbuf);
    g->ybuf = calloc((size_t)g->nrx * (L + EXTRA), sizeof *g->ybuf);
    for (unsigned c = 0; c < g->M; c++)
        g->x[c] = g->xbuf + (size_t)c * L;
    for (unsigned c = 0; c < g->nrx; c++)
        g->y[c] = g->ybuf + (size_t)c * (L + EXTRA);
}

static void rig_close(struct rig *g)
{
    isac_radio_close(g->r);
    free(g->probe);
    free(g->xbuf);
    free(g->ybuf);
}

/* x_c = w_c s with w = conj(a(phi0))/sqrt(M); phi0 NAN: only TX channel `only`. */
static void set_tx(struct rig *g, double phi0, int only)
{
    for (unsigned c = 0; c < g->M; c++) {
        float complex w = isnan(phi0)
                              ? (c == (unsigned)only ? 1.0f : 0.0f)
                              : (float complex)(cexp(-I * M_PI * c * sin(phi0)) / sqrt(g->M));
        for (size_t i = 0; i < L; i++)
            g->x[c][i] = w * g->probe[i];
    }
}

/* One CPI: burst at t, capture [t, t + L + EXTRA). */
static void cpi(struct rig *g, int64_t t)
{
    assert_int_equal(isac_radio_tx_burst(g->r, t, (const float complex *const *)g->x, L), ISAC_OK);
    struct isac_radio_rx_md md;
    assert_int_equal(isac_radio_rx_capture(g->r, t, g->y, L + EXTRA, &md), ISAC_OK);
    assert_int_equal(md.dropped_samples, 0);
}

/* Normalised matched filter of z (L + EXTRA samples) at fractional delay tau:
 * sum_i z[i] conj(s(i - tau)) / sqrt(L). */
static double complex mf_at(const struct rig *g, const float complex *z, double tau)
{
    static float complex ref[L + EXTRA];
    memset(ref, 0, sizeof ref);
    isac_fdelay_add(ref, L + EXTRA, g->probe, L, tau, 1.0, 0.0);
    double complex acc = 0;
    for (size_t i = 0; i < L + EXTRA; i++)
        acc += z[i] * conjf(ref[i]);
    return acc / sqrt((double)L);
}

/* Delay of the MF peak: integer search over [0, EXTRA - 64], then golden section. */
static double mf_peak(const struct rig *g, const float complex *z)
{
    double best = -1;
    int kb = 0;
    for (int k = 0; k < EXTRA - 64; k++) {
        double complex acc = 0;
        for (size_t i = 0; i < L; i++)
            acc += z[i + k] * conjf(g->probe[i]);
        if (cabs(acc) > best) {
            best = cabs(acc);
            kb = k;
        }
    }
    double a = kb - 1.0, b = kb + 1.0, r = (sqrt(5.0) - 1) / 2;
    double c = b - r * (b - a), d = a + r * (b - a);
    double fc = cabs(mf_at(g, z, c)), fd = cabs(mf_at(g, z, d));
    for (int it = 0; it < 40; it++) {
        if (fc > fd) {
            b = d;
            d = c;
            fd = fc;
            c = b - r * (b - a);
            fc = cabs(mf_at(g, z, c));
        } else {
            a = c;
            c = d;
            fc = fd;
            d = a + r * (b - a);
            fd = cabs(mf_at(g, z, d));
        }
    }
    return 0.5 * (a + b);
}

/* Receive beamformer a^H(phi) y over AP n's channels into z. */
static void rx_bf(const struct rig *g, unsigned n, double phi, float complex *z)
{
    memset(z, 0, (L + EXTRA) * sizeof *z);
    for (unsigned m = 0; m < g->M; m++) {
        float complex a = (float complex)cexp(-I * M_PI * m * sin(phi));
        const float complex *ym = g->y[n * g->M + m];
        for (size_t i = 0; i < L + EXTRA; i++)
            z[i] += a * ym[i];
    }
}

static void test_echo_delay_angle(void **st)
{
    (void)st;
    static float complex z[L + EXTRA];
    for (uint64_t seed = 1; seed <= 3; seed++) {
        char spec[160];
        snprintf(spec, sizeof spec, "sim:seed=%llu,noise=0,impairments=0,leak=0,rcs=fixed,speed=0",
                 (unsigned long long)seed);
        struct rig g;
        rig_open(&g, spec);
        struct isac_sim_path p0;
        assert_int_equal(isac_sim_target_path(g.s, 0, 0, 1000, &p0), ISAC_OK);
        set_tx(&g, p0.phi0, 0);
        cpi(&g, 1000);
        for (unsigned n = 0; n < ISAC_SIM_NUM_RX_APS; n++) {
            struct isac_sim_path p;
            isac_sim_target_path(g.s, 0, n, 1000, &p);
            rx_bf(&g, n, p.phin, z);
            double tau = mf_peak(&g, z);
            /* angle: scan the per-element MF outputs at the delay */
            double complex v[ISAC_SIM_MAX_ELEMENTS];
            for (unsigned m = 0; m < g.M; m++)
                v[m] = mf_at(&g, g.y[n * g.M + m], tau);
            double bestp = 0, best = -1;
            for (double ph = -89.99; ph <= 89.99; ph += 0.01) {
                double complex acc = 0;
                for (unsigned m = 0; m < g.M; m++)
                    acc += cexp(-I * M_PI * m * sin(ph * DEG)) * v[m];
                if (cabs(acc) > best) {
                    best = cabs(acc);
                    bestp = ph;
                }
            }
            /* amplitude: |a^H v| = M sqrt(M) sqrt(L) |gain| (|a^T w| = sqrt(M)) */
            double expect = g.M * sqrt(g.M) * sqrt((double)L) * cabs(p.gain);
            printf("seed %llu AP %u: delay %.4f (truth %.4f)  phi %.2f (truth %.3f) deg  amp ratio "
                   "%.5f\n",
                   (unsigned long long)seed, n, tau, p.delay_samples, bestp, p.phin / DEG,
                   best / expect);
            assert_true(fabs(tau - p.delay_samples) < 0.02);
            assert_true(fabs(bestp - p.phin / DEG) < 0.05);
            assert_true(fabs(best / expect - 1) < 0.01);
        }
        rig_close(&g);
    }
}

/* Phase of the beamformed MF output at the truth delay, across CPIs spaced by T. */
static void test_doppler_progression(void **st)
{
    (void)st;
    static float complex z[L + EXTRA];
    struct rig g;
    rig_open(&g, "sim:seed=11,noise=0,impairments=0,leak=0,rcs=fixed,speed=5");
    /* an episode whose target has a clear Doppler at AP 0 */
    struct isac_sim_path p;
    uint64_t ep = 0;
    for (;; ep++) {
        assert_true(ep < 200);
        isac_sim_new_episode(g.s, ep);
        isac_sim_target_path(g.s, 0, 0, 0, &p);
        struct isac_sim_path q;
        isac_sim_target_path(g.s, 0, 0, 8 * 20000, &q);
        if (fabs(p.doppler_hz) > 300 && q.vx == p.vx && q.vy == p.vy)
            break;
    }
    const int64_t T = 20000; /* 1 ms between CPIs */
    double complex prev = 0;
    double maxerr = 0;
    for (int k = 0; k < 6; k++) {
        int64_t t = k * T;
        isac_sim_target_path(g.s, 0, 0, t, &p);
        set_tx(&g, p.phi0, 0);
        cpi(&g, t);
        rx_bf(&g, 0, p.phin, z);
        double complex c = mf_at(&g, z, p.delay_samples);
        if (k > 0) {
            double meas = carg(c * conj(prev));
            double expect = 2 * M_PI * p.doppler_hz * (double)T / 20e6;
            double e = remainder(meas - expect, 2 * M_PI);
            printf("CPI %d: phase step %.4f rad, Doppler %.1f Hz at 28 GHz -> %.4f rad (IF would "
                   "give %.4f)\n",
                   k, meas, p.doppler_hz, remainder(expect, 2 * M_PI), expect * 2.45 / 28);
            maxerr = fmax(maxerr, fabs(e));
            /* the emulated carrier, not the IF, sets the step */
            assert_true(fabs(remainder(meas - expect * 2.45 / 28, 2 * M_PI)) > 0.2);
        }
        prev = c;
    }
    printf("max phase-step error %.2e rad\n", maxerr);
    assert_true(maxerr < 0.01);
    rig_close(&g);
}

static double wrap_deg(double d)
{
    return remainder(d, 360.0);
}

/* Per-channel RX offsets relative to the first channel of each AP, from a strong echo. */
static void measure_rx(struct rig *g, int64_t t, double *ph, double *gdb, double *dl)
{
    struct isac_sim_path p0;
    isac_sim_target_path(g->s, 0, 0, t, &p0);
    set_tx(g, p0.phi0, 0);
    cpi(g, t);
    for (unsigned n = 0; n < ISAC_SIM_NUM_RX_APS; n++) {
        struct isac_sim_path p;
        isac_sim_target_path(g->s, 0, n, t, &p);
        double complex ref = 0;
        double tref = 0;
        for (unsigned m = 0; m < g->M; m++) {
            unsigned ch = n * g->M + m;
            double tau = mf_peak(g, g->y[ch]);
            double complex c = mf_at(g, g->y[ch], tau) * cexp(-I * M_PI * m * sin(p.phin));
            if (m == 0) {
                ref = c;
                tref = tau;
            }
            ph[ch] = carg(c / ref) / DEG;
            gdb[ch] = 20 * log10(cabs(c) / cabs(ref));
            dl[ch] = tau - tref;
        }
    }
}

static void test_rx_impairments(void **st)
{
    (void)st;
    struct rig g;
    rig_open(&g, "sim:seed=5,power=40,rcs_db=50,rcs=fixed,leak=0,speed=0,impairments=1");
    static double ph[256], gdb[256], dl[256];
    measure_rx(&g, 0, ph, gdb, dl);
    double eph = 0, eg = 0, ed = 0, spread = 0;
    for (unsigned n = 0; n < ISAC_SIM_NUM_RX_APS; n++)
        for (unsigned m = 1; m < g.M; m++) {
            unsigned ch = n * g.M + m, c0 = n * g.M;
            struct isac_sim_chan_truth t = isac_sim_rx_truth(g.s, ch),
                                       t0 = isac_sim_rx_truth(g.s, c0);
            eph = fmax(eph, fabs(wrap_deg(ph[ch] - (t.phase_rad - t0.phase_rad) / DEG)));
            eg = fmax(eg, fabs(gdb[ch] - (t.gain_db - t0.gain_db)));
            ed = fmax(ed, fabs(dl[ch] - (t.delay_samples - t0.delay_samples)));
            spread = fmax(spread, fabs(t.delay_samples - t0.delay_samples));
        }
    printf("RX offsets vs truth: max error phase %.3f deg, gain %.4f dB, delay %.4f samples "
           "(delay offsets up to %.2f samples)\n",
           eph, eg, ed, spread);
    assert_true(spread > 1.0); /* the offsets are real */
    assert_true(eph < 1.0);
    assert_true(eg < 0.1);
    assert_true(ed < 0.02);
    rig_close(&g);
}

static void test_tx_impairments(void **st)
{
    (void)st;
    struct rig g;
    rig_open(&g, "sim:seed=5,power=40,rcs_db=50,rcs=fixed,leak=0,speed=0,impairments=1");
    struct isac_sim_path p;
    isac_sim_target_path(g.s, 0, 0, 0, &p);
    double complex ref = 0;
    double tref = 0, eph = 0, eg = 0, ed = 0;
    for (unsigned c = 0; c < g.M; c++) {
        int64_t t = (int64_t)c * (L + EXTRA + 64);
        set_tx(&g, NAN, (int)c);
        cpi(&g, t);
        /* RX channel 0 of AP 0 only: its own offsets are common to every TX channel */
        double tau = mf_peak(&g, g.y[0]);
        double complex v = mf_at(&g, g.y[0], tau) * cexp(-I * M_PI * c * sin(p.phi0));
        /* the CPIs are at different ticks: remove the (truth) CFO rotation between the
         * TX AP's and RX AP 0's free-running LOs, which this also checks */
        v *= cexp(-I * 2 * M_PI * (isac_sim_cfo_hz(g.s, 0) - isac_sim_cfo_hz(g.s, -1)) * (double)t /
                  20e6);
        if (c == 0) {
            ref = v;
            tref = tau;
            continue;
        }
        struct isac_sim_chan_truth tt = isac_sim_tx_truth(g.s, c), t0 = isac_sim_tx_truth(g.s, 0);
        eph = fmax(eph, fabs(wrap_deg(carg(v / ref) / DEG - (tt.phase_rad - t0.phase_rad) / DEG)));
        eg = fmax(eg, fabs(20 * log10(cabs(v) / cabs(ref)) - (tt.gain_db - t0.gain_db)));
        ed = fmax(ed, fabs(tau - tref - (tt.delay_samples - t0.delay_samples)));
    }
    printf("TX offsets vs truth: max error phase %.3f deg, gain %.4f dB, delay %.4f samples\n", eph,
           eg, ed);
    assert_true(eph < 2.0);
    assert_true(eg < 0.2);
    assert_true(ed < 0.03);
    rig_close(&g);
}

static void retune_case(const char *spec, int shared)
{
    struct rig g;
    rig_open(&g, spec);
    struct isac_radio_info info;
    isac_radio_get_info(g.r, &info);
    assert_int_equal(!!(info.caps & ISAC_RADIO_CAP_LO_SHARED), shared);
    static double ph0[256], ph1[256], gd[256], dl[256];
    measure_rx(&g, 0, ph0, gd, dl);
    double tr0[256];
    for (unsigned ch = 0; ch < g.nrx; ch++)
        tr0[ch] = isac_sim_rx_truth(g.s, ch).phase_rad / DEG;
    assert_int_equal(isac_radio_set_center_freq(g.r, 915e6), ISAC_OK);
    assert_int_equal(isac_radio_set_center_freq(g.r, 1e12), ISAC_EINVAL);
    isac_radio_get_info(g.r, &info);
    assert_true(info.center_freq == 915e6);
    measure_rx(&g, 20000, ph1, gd, dl);
    double maxchg = 0, err = 0;
    for (unsigned n = 0; n < ISAC_SIM_NUM_RX_APS; n++)
        for (unsigned m = 1; m < g.M; m++) {
            unsigned ch = n * g.M + m, c0 = n * g.M;
            double t_rel0 = tr0[ch] - tr0[c0];
            double t_rel1 =
                (isac_sim_rx_truth(g.s, ch).phase_rad - isac_sim_rx_truth(g.s, c0).phase_rad) / DEG;
            double meas_chg = wrap_deg(ph1[ch] - ph0[ch]), truth_chg = wrap_deg(t_rel1 - t_rel0);
            maxchg = fmax(maxchg, fabs(meas_chg));
            err = fmax(err, fabs(wrap_deg(meas_chg - truth_chg)));
        }
    printf("retune (lo_shared=%d): largest measured relative-phase change %.2f deg, "
           "max error vs truth %.3f deg\n",
           shared, maxchg, err);
    assert_true(err < 1.0);
    if (shared)
        assert_true(maxchg < 1.0);
    else
        assert_true(maxchg > 30.0);
    rig_close(&g);
}

static void test_retune_lo(void **st)
{
    (void)st;
    retune_case("sim:seed=9,power=40,rcs_db=50,rcs=fixed,leak=0,speed=0,impairments=1", 0);
    retune_case("sim:seed=9,power=40,rcs_db=50,rcs=fixed,leak=0,speed=0,impairments=1,lo_shared=1",
                1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_echo_delay_angle), cmocka_unit_test(test_doppler_progression),
        cmocka_unit_test(test_rx_impairments),   cmocka_unit_test(test_tx_impairments),
        cmocka_unit_test(test_retune_lo),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
