/* DFT codebooks: unit norm, orthogonality, beam pointing, file round trip and validation. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "array/codebook.h"

static void test_unit_norm_and_pointing(void **state)
{
    (void)state;
    isac_array a = isac_array_create_ula(16, 0.5);
    isac_codebook cb = isac_codebook_create_dft(a, 64, -M_PI / 2, M_PI / 2);
    assert_non_null(cb);
    for (unsigned q = 0; q < 64; q++) {
        const float complex *w = isac_codebook_weights(cb, q);
        double n2 = 0;
        for (int m = 0; m < 16; m++)
            n2 += crealf(w[m] * conjf(w[m]));
        assert_true(fabs(n2 - 1.0) < 1e-5);
        /* beam q is the best beam toward its own angle, with full array gain */
        assert_int_equal(isac_codebook_best_beam(cb, isac_codebook_angle(cb, q)), q);
        assert_true(fabs(isac_array_tx_gain(a, w, isac_codebook_angle(cb, q)) - 16.0) < 1e-3);
    }
    isac_codebook_destroy(cb);
    isac_array_destroy(a);
}

static void test_dft_orthogonality(void **state)
{
    (void)state;
    for (unsigned M = 2; M <= 32; M *= 2) {
        isac_array a = isac_array_create_ula(M, 0.5);
        isac_codebook cb = isac_codebook_create_dft(a, M, -M_PI / 2, M_PI / 2);
        for (unsigned p = 0; p < M; p++)
            for (unsigned q = 0; q < M; q++) {
                double complex ip = 0;
                for (unsigned m = 0; m < M; m++)
                    ip += conj(isac_codebook_weights(cb, p)[m]) * isac_codebook_weights(cb, q)[m];
                assert_true(cabs(ip - (p == q ? 1.0 : 0.0)) < 1e-5);
            }
        isac_codebook_destroy(cb);
        isac_array_destroy(a);
    }
}

static void test_beam_stats_match_ula_theory(void **state)
{
    (void)state;
    /* Broadside beam of an M-element half-wavelength ULA: 3 dB width ~ 0.886*2/M rad,
     * first sidelobe -13.26 dB (uniform taper), gain M. Use M = 32 and the beam nearest
     * broadside (odd Q puts a beam exactly at 0). */
    isac_array a = isac_array_create_ula(32, 0.5);
    isac_codebook cb = isac_codebook_create_dft(a, 33, -M_PI / 2, M_PI / 2);
    struct isac_codebook_beam_stats st;
    assert_int_equal(isac_codebook_beam_stats(cb, 16, 36001, &st), 0);
    assert_true(fabs(st.peak_angle) < 1e-3);
    assert_true(fabs(st.peak_gain_db - 10 * log10(32.0)) < 1e-3);
    assert_true(fabs(st.beamwidth_3db - 0.8859 * 2.0 / 32) < 2e-3);
    assert_true(fabs(st.sidelobe_db - (-13.26)) < 0.1);
    isac_codebook_destroy(cb);
    isac_array_destroy(a);
}

static char *tmpname(const char *tag)
{
    static char buf[4][256];
    static int i;
    char *b = buf[i++ % 4];
    snprintf(b, 256, "/tmp/isactb_test_codebook_%d_%s.json", (int)getpid(), tag);
    return b;
}

static void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void test_file_round_trip(void **state)
{
    (void)state;
    isac_array a = isac_array_create_ula(8, 0.5);
    isac_codebook cb = isac_codebook_create_dft(a, 16, -1.0, 1.0);
    char err[256] = "";
    const char *path = tmpname("rt");
    assert_int_equal(isac_codebook_save(cb, path, err, sizeof err), 0);
    isac_codebook cb2 = isac_codebook_load(path, err, sizeof err);
    assert_non_null(cb2);
    assert_int_equal(isac_codebook_size(cb2), 16);
    assert_int_equal(isac_codebook_elements(cb2), 8);
    for (unsigned q = 0; q < 16; q++) {
        assert_true(fabs(isac_codebook_angle(cb, q) - isac_codebook_angle(cb2, q)) < 1e-7);
        for (unsigned m = 0; m < 8; m++)
            assert_true(cabsf(isac_codebook_weights(cb, q)[m] - isac_codebook_weights(cb2, q)[m]) <
                        1e-6);
    }
    remove(path);
    isac_codebook_destroy(cb);
    isac_codebook_destroy(cb2);
    isac_array_destroy(a);
}

static void expect_load_error(const char *text, const char *needle)
{
    const char *path = tmpname("bad");
    write_text(path, text);
    char err[256] = "";
    isac_codebook cb = isac_codebook_load(path, err, sizeof err);
    assert_null(cb);
    if (!strstr(err, needle) || !strstr(err, path))
        fail_msg("error '%s' lacks '%s' or the path", err, needle);
    remove(path);
}

static void test_bad_files(void **state)
{
    (void)state;
    expect_load_error("{", "1:");
    expect_load_error("[]", "format");
    expect_load_error("{\"format\":\"other\"}", "format");
    expect_load_error("{\"format\":\"isactb-codebook\",\"version\":3}", "version");
    expect_load_error("{\"format\":\"isactb-codebook\",\"version\":1,\"elements\":0,\"beams\":[]}",
                      "elements");
    expect_load_error("{\"format\":\"isactb-codebook\",\"version\":1,\"elements\":2,\"beams\":[]}",
                      "beams");
    expect_load_error(
        "{\"format\":\"isactb-codebook\",\"version\":1,\"elements\":2,\"positions_wl\":[0],"
        "\"beams\":[{\"weights\":[[1,0],[1,0]]}]}",
        "positions_wl");
    expect_load_error(
        "{\"format\":\"isactb-codebook\",\"version\":1,\"elements\":2,\"positions_wl\":[0,0.5],"
        "\"beams\":[{\"weights\":[[1,0]]}]}",
        "beams[0].weights");
    expect_load_error(
        "{\"format\":\"isactb-codebook\",\"version\":1,\"elements\":2,\"positions_wl\":[0,0.5],"
        "\"beams\":[{\"weights\":[[1,0],[1,\"x\"]]}]}",
        "beams[0].weights[1]");
    expect_load_error(
        "{\"format\":\"isactb-codebook\",\"version\":1,\"elements\":2,\"positions_wl\":[0,0.5],"
        "\"beams\":[{\"angle_deg\":120,\"weights\":[[1,0],[1,0]]}]}",
        "angle_deg");
    char err[256] = "";
    assert_null(isac_codebook_load("/nonexistent/dir/cb.json", err, sizeof err));
    assert_non_null(strstr(err, "/nonexistent/dir/cb.json"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_unit_norm_and_pointing),
        cmocka_unit_test(test_dft_orthogonality),
        cmocka_unit_test(test_beam_stats_match_ula_theory),
        cmocka_unit_test(test_file_round_trip),
        cmocka_unit_test(test_bad_files),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
