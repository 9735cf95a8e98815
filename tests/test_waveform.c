/* Probe waveforms: power, correlation properties, LFM sweep, validation, and the
 * multi-stream ISAC composition of seed 004 eq. (1). */
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
#include "dsp/waveform.h"

/* Periodic cross-correlation r[k] = sum_n a[(n+k) mod L] conj(b[n]) in double. */
static double complex pcorr(const float complex *a, const float complex *b, size_t L, size_t k)
{
    double complex s = 0;
    for (size_t n = 0; n < L; n++)
        s += (double complex)a[(n + k) % L] * conj((double complex)b[n]);
    return s;
}

static float complex *gen(struct isac_waveform_params p)
{
    size_t L = isac_waveform_length(&p);
    assert_true(L > 0);
    float complex *s = malloc(L * sizeof *s);
    assert_int_equal(isac_waveform_generate(&p, s), ISAC_OK);
    return s;
}

static double power(const float complex *s, size_t L)
{
    double e = 0;
    for (size_t n = 0; n < L; n++)
        e += (double)crealf(s[n] * conjf(s[n]));
    return e / (double)L;
}

static void test_zc(void **state)
{
    (void)state;
    const unsigned Ls[] = {1021, 1024, 839};
    const unsigned us[] = {7, 25, 129};
    for (int c = 0; c < 3; c++) {
        unsigned L = Ls[c];
        float complex *s = gen(
            (struct isac_waveform_params){.kind = ISAC_WAVEFORM_ZC, .length = L, .root = us[c]});
        for (unsigned n = 0; n < L; n++)
            assert_true(fabsf(cabsf(s[n]) - 1.0f) < 1e-6f); /* constant modulus */
        double worst = 0;
        for (unsigned k = 1; k < L; k++) {
            double m = cabs(pcorr(s, s, L, k));
            worst = m > worst ? m : worst;
        }
        double peak = cabs(pcorr(s, s, L, 0));
        printf("zc L=%u u=%u: peak %.3f, worst off-peak periodic autocorrelation %.2e\n", L, us[c],
               peak, worst);
        assert_true(fabs(peak - L) < 1e-3 * L);
        assert_true(worst < 1e-3 * L); /* float rounding only: ideal is 0 */
        free(s);
    }
}

/* |cross(u1, u2)| = sqrt(L) at every lag when gcd(u1 - u2, L) = 1. */
static void test_zc_cross(void **state)
{
    (void)state;
    const unsigned pairs[][3] = {
        {1021, 1, 2}, {1021, 5, 600}, {1023, 1, 2}}; /* even L: no valid pair */
    for (int c = 0; c < 3; c++) {
        unsigned L = pairs[c][0];
        float complex *a =
            gen((struct isac_waveform_params){ISAC_WAVEFORM_ZC, L, pairs[c][1], 0, 0, 0});
        float complex *b =
            gen((struct isac_waveform_params){ISAC_WAVEFORM_ZC, L, pairs[c][2], 0, 0, 0});
        double lo = 1e9, hi = 0;
        for (unsigned k = 0; k < L; k++) {
            double m = cabs(pcorr(a, b, L, k));
            lo = m < lo ? m : lo;
            hi = m > hi ? m : hi;
        }
        printf("zc L=%u roots %u,%u: |cross| in [%.4f, %.4f], sqrt(L) = %.4f\n", L, pairs[c][1],
               pairs[c][2], lo, hi, sqrt(L));
        assert_true(fabs(lo - sqrt(L)) < 1e-3 * sqrt(L));
        assert_true(fabs(hi - sqrt(L)) < 1e-3 * sqrt(L));
        free(a);
        free(b);
    }
    /* the condition matters: roots 3 and 5 of L = 1024 (gcd 2) are not flat */
    float complex *a = gen((struct isac_waveform_params){ISAC_WAVEFORM_ZC, 1024, 3, 0, 0, 0});
    float complex *b = gen((struct isac_waveform_params){ISAC_WAVEFORM_ZC, 1024, 5, 0, 0, 0});
    double hi = 0;
    for (unsigned k = 0; k < 1024; k++) {
        double m = cabs(pcorr(a, b, 1024, k));
        hi = m > hi ? m : hi;
    }
    assert_true(hi > 1.3 * sqrt(1024.0));
    free(a);
    free(b);
}

static void test_mseq(void **state)
{
    (void)state;
    for (unsigned m = 2; m <= 12; m++) {
        struct isac_waveform_params p = {.kind = ISAC_WAVEFORM_MSEQ, .degree = m};
        size_t L = isac_waveform_length(&p);
        assert_int_equal(L, (1u << m) - 1);
        float complex *s = gen(p);
        assert_true(fabs(power(s, L) - 1.0) < 1e-12);
        assert_true(fabs(creal(pcorr(s, s, L, 0)) - (double)L) < 1e-9);
        for (size_t k = 1; k < L; k++) {
            double complex r = pcorr(s, s, L, k);
            assert_true(fabs(creal(r) + 1.0) < 1e-9 && fabs(cimag(r)) < 1e-9);
        }
        free(s);
    }
    /* a matching explicit length is accepted, a wrong one rejected */
    struct isac_waveform_params p = {.kind = ISAC_WAVEFORM_MSEQ, .degree = 10, .length = 1023};
    assert_int_equal(isac_waveform_validate(&p, NULL, 0), ISAC_OK);
    p.length = 1024;
    assert_int_equal(isac_waveform_validate(&p, NULL, 0), ISAC_EINVAL);
}

/* Instantaneous frequency (phase increment / 2 pi) sweeps -B/2 .. +B/2 linearly. */
/* docs/capture-format.md section 8 gives the m-sequence as a recurrence (taps and initial
 * bits per degree) so that other tools can write the probe without liquid-dsp: the table
 * must be what isac_waveform_generate (liquid-dsp msequence_create_default) produces. */
static void test_mseq_doc_table(void **state)
{
    (void)state;
    static const struct {
        unsigned m, taps[4], ntaps;
        const char *init;
    } doc[] = {{6, {1, 6}, 2, "111111"},
               {7, {3, 7}, 2, "1001001"},
               {8, {2, 3, 4, 8}, 4, "10110001"},
               {9, {4, 9}, 2, "100010001"},
               {10, {3, 10}, 2, "1001001001"},
               {11, {2, 11}, 2, "10101010101"},
               {12, {1, 4, 6, 12}, 4, "111101110011"},
               {13, {1, 3, 4, 13}, 4, "1110001110001"},
               {14, {1, 3, 5, 14}, 4, "11101100101000"},
               {15, {1, 15}, 2, "111111111111111"}};
    for (size_t i = 0; i < sizeof doc / sizeof doc[0]; i++) {
        unsigned m = doc[i].m, L = (1u << m) - 1;
        struct isac_waveform_params p = {.kind = ISAC_WAVEFORM_MSEQ, .degree = m};
        float complex *s = malloc(L * sizeof *s);
        unsigned char *b = malloc(L);
        assert_non_null(s);
        assert_non_null(b);
        assert_int_equal(isac_waveform_generate(&p, s), ISAC_OK);
        for (unsigned n = 0; n < L; n++) {
            if (n < m)
                b[n] = (unsigned char)(doc[i].init[n] - '0');
            else {
                b[n] = 0;
                for (unsigned t = 0; t < doc[i].ntaps; t++)
                    b[n] ^= b[n - doc[i].taps[t]];
            }
            if (s[n] != (b[n] ? -1.0f : 1.0f))
                fail_msg("mseq m=%u: chip %u is %g, the documented recurrence gives %d", m, n,
                         (double)crealf(s[n]), b[n] ? -1 : 1);
        }
        free(s);
        free(b);
    }
}

static void test_lfm(void **state)
{
    (void)state;
    const double bws[] = {0.8, 0.25, 1.0};
    for (int c = 0; c < 3; c++) {
        const unsigned L = 4096;
        float complex *s = gen((struct isac_waveform_params){
            .kind = ISAC_WAVEFORM_LFM, .length = L, .bandwidth = bws[c]});
        assert_true(fabs(power(s, L) - 1.0) < 1e-5);
        double worst = 0;
        for (unsigned n = 0; n + 1 < L; n++) {
            double fi = carg((double complex)s[n + 1] * conj((double complex)s[n])) / (2 * M_PI);
            double want = bws[c] * ((n + 0.5) / L - 0.5);
            /* compare modulo 1 cycle (B = fs wraps at the ends) */
            double e = fi - want;
            e -= round(e);
            worst = fabs(e) > worst ? fabs(e) : worst;
        }
        printf("lfm B=%.2f: worst instantaneous-frequency error %.2e cycles/sample\n", bws[c],
               worst);
        assert_true(worst < 1e-5);
        free(s);
    }
}

static void test_qpsk_and_power(void **state)
{
    (void)state;
    struct isac_waveform_params p = {.kind = ISAC_WAVEFORM_QPSK, .length = 5000, .seed = 42};
    float complex *a = gen(p), *b = gen(p);
    assert_memory_equal(a, b, 5000 * sizeof *a); /* deterministic from the seed */
    assert_true(fabs(power(a, 5000) - 1.0) < 1e-6);
    for (int n = 0; n < 5000; n++)
        assert_true(fabsf(fabsf(crealf(a[n])) - (float)M_SQRT1_2) < 1e-7f &&
                    fabsf(fabsf(cimagf(a[n])) - (float)M_SQRT1_2) < 1e-7f);
    p.seed = 43;
    float complex *c = gen(p);
    assert_memory_not_equal(a, c, 5000 * sizeof *a);
    free(a);
    free(b);
    free(c);
    float complex *z =
        gen((struct isac_waveform_params){.kind = ISAC_WAVEFORM_ZC, .length = 1021, .root = 3});
    assert_true(fabs(power(z, 1021) - 1.0) < 1e-6);
    free(z);
}

static void test_validate_describe(void **state)
{
    (void)state;
    char why[128], d[128];
    struct isac_waveform_params p = {.kind = ISAC_WAVEFORM_ZC, .length = 1024, .root = 4};
    assert_int_equal(isac_waveform_validate(&p, why, sizeof why), ISAC_EINVAL);
    assert_non_null(strstr(why, "coprime"));
    assert_int_equal(isac_waveform_length(&p), 0);
    float complex dummy[4];
    assert_int_equal(isac_waveform_generate(&p, dummy), ISAC_EINVAL);
    p.root = 0;
    assert_int_equal(isac_waveform_validate(&p, why, sizeof why), ISAC_EINVAL);
    p = (struct isac_waveform_params){.kind = ISAC_WAVEFORM_ZC, .length = 1, .root = 1};
    assert_int_equal(isac_waveform_validate(&p, why, sizeof why), ISAC_EINVAL);
    p = (struct isac_waveform_params){.kind = ISAC_WAVEFORM_LFM, .length = 64, .bandwidth = 0.0};
    assert_int_equal(isac_waveform_validate(&p, why, sizeof why), ISAC_EINVAL);
    assert_non_null(strstr(why, "bandwidth"));
    p.bandwidth = 1.5;
    assert_int_equal(isac_waveform_validate(&p, NULL, 0), ISAC_EINVAL);
    p.bandwidth = NAN;
    assert_int_equal(isac_waveform_validate(&p, NULL, 0), ISAC_EINVAL);
    p = (struct isac_waveform_params){.kind = ISAC_WAVEFORM_MSEQ, .degree = 16};
    assert_int_equal(isac_waveform_validate(&p, why, sizeof why), ISAC_EINVAL);
    assert_non_null(strstr(why, "degree"));
    p = (struct isac_waveform_params){.kind = ISAC_WAVEFORM_QPSK,
                                      .length = ISAC_WAVEFORM_MAX_LENGTH + 1};
    assert_int_equal(isac_waveform_validate(&p, NULL, 0), ISAC_EINVAL);
    p = (struct isac_waveform_params){.kind = (enum isac_waveform_kind)9, .length = 8};
    assert_int_equal(isac_waveform_validate(&p, why, sizeof why), ISAC_EINVAL);
    assert_int_equal(isac_waveform_validate(NULL, why, sizeof why), ISAC_EINVAL);
    p = (struct isac_waveform_params){.kind = ISAC_WAVEFORM_ZC, .length = 1021, .root = 1};
    assert_int_equal(isac_waveform_validate(&p, why, sizeof why), ISAC_OK);
    assert_string_equal(why, "");
    isac_waveform_describe(&p, d, sizeof d);
    assert_string_equal(d, "zc L=1021 u=1");
    p = (struct isac_waveform_params){.kind = ISAC_WAVEFORM_MSEQ, .degree = 10};
    isac_waveform_describe(&p, d, sizeof d);
    assert_string_equal(d, "mseq m=10 L=1023");
    p = (struct isac_waveform_params){.kind = ISAC_WAVEFORM_LFM, .length = 4096, .bandwidth = 0.8};
    isac_waveform_describe(&p, d, sizeof d);
    assert_string_equal(d, "lfm L=4096 B=0.8fs");
    enum isac_waveform_kind k;
    assert_int_equal(isac_waveform_kind_parse("mseq", &k), ISAC_OK);
    assert_int_equal(k, ISAC_WAVEFORM_MSEQ);
    assert_int_equal(isac_waveform_kind_parse("ofdm", &k), ISAC_EINVAL);
    assert_string_equal(isac_waveform_kind_name(ISAC_WAVEFORM_LFM), "lfm");
}

/* Seed 004 eq. (1) with M = 4 TX channels, K = 2 comm streams and one sensing stream.
 * (a) ZC comm roots 2, 3 and sensing root 1 (L = 1021 prime): after the periodic
 *     sensing matched filter z_m[k] = r(x_m, s_r)[k] / sqrt(L), every channel obeys
 *     |z_m[0] - w_m sqrt(L)| <= sum_k |f_km| and |z_m[k != 0]| <= sum_k |f_km| exactly
 *     (each ZC cross-correlation has magnitude sqrt(L)).
 * (b) QPSK comm streams: z_m[k != 0] ~ CN(0, sum_k |f_km|^2) approximately (CLT over L
 *     chips), so max over the L-1 lags of |z|^2 / sum|f|^2 exceeds ln(L) + ln(1000) with
 *     probability <= 1e-3 (union bound on Exp(1) tails); fixed seeds. */
static void test_compose(void **state)
{
    (void)state;
    enum { M = 4, K = 2 };
    const unsigned L = 1021;
    float complex f[K * M] = {0.5f, 0.5f * I, -0.5f, 0.3f - 0.4f * I, 0.2f * I, 0.7f, 0.1f, -0.6f};
    float complex w[M] = {0.5f, 0.5f * cexpf(0.3f * I), 0.5f * cexpf(0.6f * I), -0.5f};
    float complex *sr = gen((struct isac_waveform_params){ISAC_WAVEFORM_ZC, L, 1, 0, 0, 0});
    float complex *x[M];
    for (int m = 0; m < M; m++)
        x[m] = malloc(L * sizeof *x[m]);
    for (int pass = 0; pass < 2; pass++) {
        float complex *sc[K];
        for (int k = 0; k < K; k++)
            sc[k] = pass == 0
                        ? gen((struct isac_waveform_params){ISAC_WAVEFORM_ZC, L, 2 + k, 0, 0, 0})
                        : gen((struct isac_waveform_params){
                              .kind = ISAC_WAVEFORM_QPSK, .length = L, .seed = 100 + k});
        assert_int_equal(
            isac_waveform_compose((const float complex *const *)sc, f, K, sr, w, M, L, x), ISAC_OK);
        /* composition itself: x_m[n] = sum_k f_km s_k[n] + w_m s_r[n] */
        for (int m = 0; m < M; m++)
            for (unsigned n = 0; n < L; n += 97) {
                float complex want = w[m] * sr[n];
                for (int k = 0; k < K; k++)
                    want += f[k * M + m] * sc[k][n];
                assert_true(cabsf(x[m][n] - want) < 1e-6f);
            }
        double worst_ratio = 0;
        for (int m = 0; m < M; m++) {
            double fsum = 0, f2 = 0;
            for (int k = 0; k < K; k++) {
                fsum += cabsf(f[k * M + m]);
                f2 += pow(cabsf(f[k * M + m]), 2);
            }
            double complex z0 = pcorr(x[m], sr, L, 0) / sqrt(L);
            double worst = 0;
            for (unsigned k = 1; k < L; k++) {
                double a = cabs(pcorr(x[m], sr, L, k)) / sqrt(L);
                worst = a > worst ? a : worst;
            }
            if (pass == 0) {
                assert_true(cabs(z0 - w[m] * sqrt(L)) <= fsum * (1 + 1e-4));
                assert_true(worst <= fsum * (1 + 1e-4));
            } else {
                assert_true(worst * worst / f2 < log(L) + log(1000.0));
            }
            double ratio = worst / (cabsf(w[m]) * sqrt(L));
            worst_ratio = ratio > worst_ratio ? ratio : worst_ratio;
        }
        printf("compose (%s comm): worst leak / sensing peak = %.1f dB\n",
               pass == 0 ? "zc" : "qpsk", 20 * log10(worst_ratio));
        for (int k = 0; k < K; k++)
            free(sc[k]);
    }
    /* bad arguments */
    assert_int_equal(isac_waveform_compose(NULL, NULL, 0, sr, w, 0, L, x), ISAC_EINVAL);
    assert_int_equal(isac_waveform_compose(NULL, NULL, 1, sr, w, M, L, x), ISAC_EINVAL);
    assert_int_equal(isac_waveform_compose(NULL, NULL, 0, sr, NULL, M, L, x), ISAC_EINVAL);
    /* no streams at all: silence */
    assert_int_equal(isac_waveform_compose(NULL, NULL, 0, NULL, NULL, M, L, x), ISAC_OK);
    assert_true(x[2][5] == 0.0f);
    for (int m = 0; m < M; m++)
        free(x[m]);
    free(sr);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_zc),
        cmocka_unit_test(test_zc_cross),
        cmocka_unit_test(test_mseq),
        cmocka_unit_test(test_mseq_doc_table),
        cmocka_unit_test(test_lfm),
        cmocka_unit_test(test_qpsk_and_power),
        cmocka_unit_test(test_validate_describe),
        cmocka_unit_test(test_compose),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
