/* Communication users of the sim radio (isac_sim_user_capture): a plan of two OFDM streams and
 * the probe goes out through isac_radio_tx_burst like any CPI; each user's receiver works on the
 * window the emulator renders for it. Noiseless: every block decodes. With noise: the
 * pooled pilot SINR agrees with the model SINR of the scene (docs/comm.md) within a 99.9 %
 * delta-method interval. Bad user fields are refused in one line. */
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

#include "array/array.h"
#include "comm/ofdm.h"
#include "comm/ofdm_rx.h"
#include "common/err.h"
#include "dsp/waveform.h"
#include "plan/plan.h"
#include "radio/radio.h"
#include "radio/sim/sim.h"
#include "radio/sim/sim_user.h"

#define M 8
#define LEAD 40
#define SEARCH 96
#define Z999 3.2905

static const struct isac_sim_user U[2] = {
    {300.0, 330.0, 10.0, 0.0, 9.0, 200.0, INFINITY, 0, 0.0},
    {180.0, 320.0, 0.0, -5.0, 9.0, -300.0, INFINITY, 0, 0.0},
};

struct fx {
    isac_radio r;
    isac_sim s;
    isac_ofdm tx;
    struct isac_ofdm_params op;
    size_t L, ny;
    isac_tx_plan plan;
    float complex *u[3], *x[M], *y;
    uint8_t *pay[2], *dec;
};

static void fx_open(struct fx *f, const char *spec)
{
    char err[256];
    memset(f, 0, sizeof *f);
    f->r = isac_radio_open(spec, err, sizeof err);
    assert_non_null(f->r);
    f->s = isac_radio_get_state(f->r);
    isac_ofdm_params_default(&f->op);
    f->tx = isac_ofdm_create(&f->op, err, sizeof err);
    f->L = isac_ofdm_burst_length(f->tx);
    f->ny = f->L + SEARCH + LEAD;
    struct isac_sim_user_link ln;
    isac_sim_user_link_of(f->s, &ln);
    f->plan = isac_tx_plan_create(M, 2, 1);
    float complex *W = isac_tx_plan_precoder(f->plan, 0);
    for (unsigned k = 0; k < 2; k++) {
        isac_array_tx_weights(ln.tx, isac_geom_phi(&ln.ap, U[k].x, U[k].y), W + k * M);
        isac_tx_plan_powers(f->plan)[k] = 0.4;
    }
    isac_array_tx_weights(ln.tx, 0.0, W + 2 * M);
    isac_tx_plan_powers(f->plan)[2] = 0.2;
    for (unsigned s = 0; s < 3; s++)
        f->u[s] = calloc(f->L, sizeof(float complex));
    for (unsigned m = 0; m < M; m++)
        f->x[m] = calloc(f->L, sizeof(float complex));
    f->y = calloc(f->ny, sizeof(float complex));
    size_t pl = (size_t)f->op.num_symbols * isac_ofdm_payload_bytes(f->tx);
    f->pay[0] = malloc(pl);
    f->pay[1] = malloc(pl);
    f->dec = malloc(pl);
}

static void fx_close(struct fx *f)
{
    for (unsigned s = 0; s < 3; s++)
        free(f->u[s]);
    for (unsigned m = 0; m < M; m++)
        free(f->x[m]);
    free(f->y);
    free(f->pay[0]);
    free(f->pay[1]);
    free(f->dec);
    isac_tx_plan_destroy(f->plan);
    isac_ofdm_destroy(f->tx);
    isac_radio_close(f->r);
}

/* Burst b through the radio; returns its tick. */
static int64_t fx_send(struct fx *f, unsigned b)
{
    int64_t t0 = 1000 + (int64_t)b * 4000;
    for (unsigned k = 0; k < 2; k++) {
        isac_ofdm_payload_random(f->tx, 77 + b, k, f->pay[k]);
        isac_ofdm_modulate(f->tx, k, f->pay[k], f->u[k]);
    }
    struct isac_waveform_params wp = {
        .kind = ISAC_WAVEFORM_QPSK, .length = (unsigned)f->L, .seed = b};
    assert_int_equal(isac_waveform_generate(&wp, f->u[2]), ISAC_OK);
    const float complex *uu[3] = {f->u[0], f->u[1], f->u[2]};
    assert_int_equal(isac_tx_plan_compose(f->plan, uu, f->L, f->x), ISAC_OK);
    const float complex *xx[M];
    for (unsigned m = 0; m < M; m++)
        xx[m] = f->x[m];
    assert_int_equal(isac_radio_tx_burst(f->r, t0, xx, f->L), ISAC_OK);
    return t0;
}

static void test_noiseless(void **st)
{
    (void)st;
    struct fx f;
    fx_open(&f, "sim:seed=5,targets=0,leak=0,elements=8,noise=0,power=20");
    char err[256];
    int64_t t0 = fx_send(&f, 0);
    for (unsigned k = 0; k < 2; k++) {
        isac_ofdm_rx rx = isac_ofdm_rx_create(&f.op, k, SEARCH, err, sizeof err);
        assert_int_equal(isac_sim_user_capture(f.s, &U[k], k, t0 - LEAD, f.y, f.ny), ISAC_OK);
        struct isac_ofdm_rx_result r;
        assert_int_equal(isac_ofdm_rx_process(rx, f.y, f.ny, f.dec, NULL, &r), ISAC_OK);
        printf("user %u: blocks %u/%u, SINR pilot %.1f dB (interference-limited)\n", k, r.blocks_ok,
               r.blocks, 10 * log10(r.sinr_pilot));
        assert_int_equal(r.blocks_ok, r.blocks);
        isac_ofdm_rx_destroy(rx);
    }
    fx_close(&f);
}

static void check_sinr(const char *spec)
{
    struct fx f;
    fx_open(&f, spec);
    char err[256];
    const unsigned B = 24;
    int ks[512];
    for (unsigned i = 0; i < f.op.occupied; i++)
        ks[i] = isac_ofdm_subcarrier(f.tx, i);
    isac_ofdm_rx rx[2] = {isac_ofdm_rx_create(&f.op, 0, SEARCH, err, sizeof err),
                          isac_ofdm_rx_create(&f.op, 1, SEARCH, err, sizeof err)};
    double sS[2] = {0}, sN[2] = {0}, sSS[2] = {0}, sNN[2] = {0}, sSN[2] = {0};
    double msig[2] = {0}, mden[2] = {0};
    struct isac_sim_user_link ln;
    isac_sim_user_link_of(f.s, &ln);
    const float complex *W = isac_tx_plan_precoder_const(f.plan, 0);
    float complex vb[3][M];
    const float complex *v[3];
    for (unsigned s = 0; s < 3; s++) {
        for (unsigned m = 0; m < M; m++)
            vb[s][m] = W[s * M + m] * (float)sqrt(isac_tx_plan_powers_const(f.plan)[s]);
        v[s] = vb[s];
    }
    double psd[3] = {isac_ofdm_psd_factor(f.tx), isac_ofdm_psd_factor(f.tx), 1.0};
    for (unsigned b = 0; b < B; b++) {
        int64_t t0 = fx_send(&f, b);
        for (unsigned k = 0; k < 2; k++) {
            assert_int_equal(isac_sim_user_capture(f.s, &U[k], k, t0 - LEAD, f.y, f.ny), ISAC_OK);
            struct isac_ofdm_rx_result r;
            assert_int_equal(isac_ofdm_rx_process(rx[k], f.y, f.ny, NULL, NULL, &r), ISAC_OK);
            sS[k] += r.signal_power;
            sN[k] += r.noise_power;
            sSS[k] += r.signal_power * r.signal_power;
            sNN[k] += r.noise_power * r.noise_power;
            sSN[k] += r.signal_power * r.noise_power;
            double sg, in;
            isac_sim_user_model_sinr(&ln, &U[k], k, t0, v, psd, 3, k, ks, f.op.occupied, f.op.nfft,
                                     &sg, &in);
            msig[k] += sg;
            mden[k] += in + 1.0;
        }
    }
    for (unsigned k = 0; k < 2; k++) {
        double n = B, mS = sS[k] / n, mN = sN[k] / n;
        double vS = (sSS[k] / n - mS * mS) * n / (n - 1), vN = (sNN[k] / n - mN * mN) * n / (n - 1);
        double c = (sSN[k] / n - mS * mN) * n / (n - 1);
        double R = mS / mN, model = msig[k] / mden[k];
        double sd =
            sqrt((vS / (mN * mN) + mS * mS * vN / pow(mN, 4) - 2 * mS * c / pow(mN, 3)) / n);
        printf("user %u: SINR pilot %.2f dB  99.9%% [%.2f, %.2f] dB  model %.2f dB\n", k,
               10 * log10(R), 10 * log10(R - Z999 * sd), 10 * log10(R + Z999 * sd),
               10 * log10(model));
        assert_true(fabs(model - R) <= Z999 * sd);
        isac_ofdm_rx_destroy(rx[k]);
    }
    fx_close(&f);
}

/* noise-limited (10 dBm) and interference-limited (30 dBm) */
static void test_sinr_vs_model(void **st)
{
    (void)st;
    check_sinr("sim:seed=6,targets=0,leak=0,elements=8,power=10");
    check_sinr("sim:seed=6,targets=0,leak=0,elements=8,power=30");
}

static void test_bad_user(void **st)
{
    (void)st;
    char err[256];
    isac_radio r = isac_radio_open("sim:seed=1,targets=0", err, sizeof err);
    assert_non_null(r);
    isac_sim s = isac_radio_get_state(r);
    struct isac_sim_user u = U[0];
    u.cfo_hz = 5e5;
    float complex y[16];
    assert_int_equal(isac_sim_user_capture(s, &u, 4, 0, y, 16), ISAC_EINVAL);
    assert_non_null(strstr(isac_sim_last_error(s), "user 4: cfo_hz 500000"));
    isac_radio_close(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_noiseless),
        cmocka_unit_test(test_sinr_vs_model),
        cmocka_unit_test(test_bad_user),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
