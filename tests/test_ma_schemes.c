/* Seed 002's comparison on the reproduction's default scene (host/ma/ma_schemes.h), the
 * statistical claims of docs/ma.md "Results against Tables III and IV", with the budget of
 * `isactb bench ma --quick` over draws 1..12 (fixed seeds; 95 % Student-t intervals of the
 * paired per-draw changes against the half-wavelength ULA):
 *   - PRE-SC-PGA (which also moves the Rx array) and the fixed full-aperture array (fpa)
 *     lower the mean DoD bound, intervals below zero;
 *   - RPDPSO (Tx only) does not worsen it: upper end below +2 %, mean below zero;
 *   - the sum-rate gain of Table III (+1.34 %) does NOT reproduce: RPDPSO's paired gain has
 *     an interval inside (-0.5 %, +0.5 %), so the paper's value lies outside it;
 *   - ulah, ma_pga and ma_pso meet every sensing threshold in every draw.
 * Under AddressSanitizer 2 draws run and only the invariants are checked (the Release run
 * carries the statistics). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>

#include "common/err.h"
#include "ma/ma_schemes.h"
#include "asan_build.h"

static void show(const char *name, const struct isac_ma_summary *m)
{
    printf("%-8s rate %.4f gain %+.3f%% [%+.3f, %+.3f]  dod %.3e change %+.2f%% [%+.2f, %+.2f]"
           "  met %.2f\n",
           name, m->rate.mean, 100 * m->rate_gain.mean, 100 * m->rate_gain.lo,
           100 * m->rate_gain.hi, m->dod.mean, 100 * m->dod_change.mean, 100 * m->dod_change.lo,
           100 * m->dod_change.hi, m->met);
}

static void test_ma_vs_ulah(void **st)
{
    (void)st;
    unsigned n = asan_build() ? 2 : 12;
    struct isac_ma_scene s;
    isac_ma_scene_default(&s);
    struct isac_ma_run_opts o;
    isac_ma_run_opts_quick(&o);
    static struct isac_ma_draw_result res[12];
    char err[256];
    for (unsigned i = 0; i < n; i++) {
        int rc = isac_ma_run_draw(&s, &o, 1 + i, &res[i], err, sizeof err);
        if (rc != ISAC_OK)
            printf("draw %u: %s\n", i, err);
        assert_int_equal(rc, ISAC_OK);
        for (int k = 0; k < ISAC_MA_NSCHEMES; k++) {
            assert_true(isfinite(res[i].r[k].sum_rate) && res[i].r[k].sum_rate > 0);
            assert_true(isfinite(res[i].r[k].lpcrlb[0]) && res[i].r[k].lpcrlb[0] > 0);
        }
    }
    struct isac_ma_summary S[ISAC_MA_NSCHEMES];
    assert_int_equal(isac_ma_summarise(res, n, S), ISAC_OK);
    printf("%u draws:\n", n);
    for (int k = 0; k < ISAC_MA_NSCHEMES; k++)
        show(isac_ma_scheme_name((enum isac_ma_scheme)k), &S[k]);
    assert_true(S[ISAC_MA_ULAH].met == 1.0 && S[ISAC_MA_PGA].met == 1.0 &&
                S[ISAC_MA_PSO].met == 1.0);
    if (asan_build())
        return;
    assert_true(S[ISAC_MA_PGA].dod_change.hi < 0.0);
    assert_true(S[ISAC_MA_FPA].dod_change.hi < 0.0);
    assert_true(S[ISAC_MA_PSO].dod_change.hi < 0.02 && S[ISAC_MA_PSO].dod_change.mean < 0.0);
    assert_true(S[ISAC_MA_PSO].rate_gain.lo > -0.005 && S[ISAC_MA_PSO].rate_gain.hi < 0.005);
    assert_true(S[ISAC_MA_PSO].rate_gain.hi < 0.0134); /* Table III: 14.7093 / 14.5143 - 1 */
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_ma_vs_ulah)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
