/* MA beam codebooks (host/array/ma_codebook.h, issue 19 parts 1 and 2):
 *   - bad parameters (a region that cannot hold N elements at d_min, d_min off the grid)
 *     and bad files (a position outside the region, two elements closer than d_min, a
 *     wrong active count, positions in a grid codebook) are refused with one line naming
 *     the option or file, field and value; version-1 files load unchanged;
 *   - save/load keeps every beam's positions and mask; a plan made from an MA beam carries
 *     them and survives its JSON form;
 *   - every beam: unit total power, exactly N radiating elements, gain N (10 log10 N dB)
 *     toward its steering angle, a peak sidelobe no worse than the evenly spread start
 *     the descent began from (the descent never increases its objective);
 *   - quantisation loss of mode (c) (N active chains on a dense grid) against mode (a)
 *     (continuous positions), measured and printed; projecting onto a grid 500 times finer
 *     than d_min loses < 0.05 dB (the projection is the nearest feasible configuration);
 *   - communication measured from samples: a user of the emulator (off broadside, where
 *     positions matter) receives an MA beam
 *     (moved elements, mode a) and a grid beam (element selection on a dense array, mode
 *     c) with the SNR the beam's own pattern predicts, |g|^2 |a^T(x, phi_u) w|^2, within
 *     a 99.9 % interval of the sample estimate; which is only possible if the emulator
 *     radiated from the beam's positions / elements.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <complex.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "array/geom.h"
#include "array/ma_codebook.h"
#include "common/err.h"
#include "dsp/waveform.h"
#include "plan/plan.h"
#include "radio/radio.h"
#include "radio/sim/sim.h"
#include "radio/sim/sim_user.h"

#define Z999 3.2905

static void small_params(struct isac_ma_codebook_params *p)
{
    isac_ma_codebook_params_default(p);
    p->beams = 6;
    p->restarts = 2;
}

/* ---- parameters ---- */

static void refused_params(const struct isac_ma_codebook_params *p, const char *want)
{
    char err[256] = "";
    assert_int_equal(isac_ma_codebook_check(p, err, sizeof err), ISAC_EINVAL);
    assert_null(isac_ma_codebook_create(p, err, sizeof err));
    if (!strstr(err, want) || strchr(err, '\n')) {
        printf("got '%s', want '%s'\n", err, want);
        fail();
    }
}

static void test_params_refused(void **st)
{
    (void)st;
    struct isac_ma_codebook_params p;
    small_params(&p);
    p.d_min_wl = 1.0;
    p.region_wl = 5.0;
    refused_params(&p, "--elements 8: 8 elements at --dmin 1 need a region of 7 wavelengths, "
                       "--region is 5");
    small_params(&p);
    p.grid_step_wl = 0.3;
    refused_params(&p, "--dmin 0.5: not a multiple of --grid-step 0.3");
    small_params(&p);
    p.d_min_wl = 0.05;
    refused_params(&p, "--dmin 0.05: expected 0.1..8 wavelengths");
    small_params(&p);
    assert_int_equal(isac_ma_codebook_check(&p, NULL, 0), ISAC_OK);
}

/* ---- files ---- */

static char tmpdir[64];

static const char *write_text(const char *name, const char *text)
{
    static char path[128];
    snprintf(path, sizeof path, "%s/%s", tmpdir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    return path;
}

/* A 3-element continuous MA codebook with one beam, b0 the beam's extra members. */
static const char *ma_file(const char *name, const char *b0, const char *ma)
{
    static char text[1024];
    snprintf(text, sizeof text,
             "{\"format\":\"isactb-codebook\",\"version\":2,\"elements\":3,"
             "\"positions_wl\":[0,0.5,1],\"beams\":[{\"angle_deg\":0,\"weights\":"
             "[[0.5,0],[0.5,0],[0.5,0]]%s}],\"ma\":%s}",
             b0, ma);
    return write_text(name, text);
}

static void refused_file(const char *path, const char *want)
{
    char err[512] = "";
    isac_codebook cb = isac_codebook_load(path, err, sizeof err);
    if (cb || !strstr(err, path) || !strstr(err, want) || strchr(err, '\n')) {
        printf("got '%s', want '%s'\n", err, want);
        isac_codebook_destroy(cb);
        fail();
    }
}

static void test_file_refusals(void **st)
{
    (void)st;
    const char *ma = "{\"mode\":\"continuous\",\"region_wl\":4,\"d_min_wl\":0.5,\"active\":3}";
    refused_file(ma_file("out.json", ",\"positions_wl\":[0,1,4.5]", ma),
                 ": beams[0].positions_wl[2]: 4.5 outside the region [0, 4] wavelengths");
    refused_file(ma_file("close.json", ",\"positions_wl\":[0,2,2.25]", ma),
                 ": beams[0].positions_wl[2]: 2.25 is 0.25 wavelengths from element 1, below "
                 "d_min_wl 0.5");
    refused_file(ma_file("count.json", ",\"positions_wl\":[0,1,2],\"active\":[1,1,0]", ma),
                 ": beams[0].active: 2 active elements, the codebook states 3");
    refused_file(ma_file("act.json", ",\"active\":[1,2,0]", ma),
                 ": beams[0].active[1]: expected 0 or 1");
    refused_file(ma_file("grid.json", ",\"positions_wl\":[0,1,2]",
                         "{\"mode\":\"grid\",\"region_wl\":4,\"d_min_wl\":0.5,"
                         "\"grid_step_wl\":0.5,\"active\":3}"),
                 ": beams[0].positions_wl: a grid codebook selects elements");
    refused_file(ma_file("region.json", "",
                         "{\"mode\":\"continuous\",\"region_wl\":0.5,"
                         "\"d_min_wl\":0.5,\"active\":3}"),
                 ": beams[0].active[2]: 1 outside the region [0, 0.5] wavelengths");
    refused_file(ma_file("mode.json", "", "{\"mode\":\"wobble\"}"),
                 ": ma.mode: expected \"continuous\" or \"grid\"");
    /* a good one loads; a version-1 file ignores nothing it used to read */
    char err[512];
    isac_codebook cb = isac_codebook_load(ma_file("ok.json", ",\"positions_wl\":[0.25,1,3.5]", ma),
                                          err, sizeof err);
    assert_non_null(cb);
    assert_true(isac_codebook_beam_positions(cb, 0)[2] == 3.5);
    assert_null(isac_codebook_beam_active(cb, 0));
    assert_int_equal(isac_codebook_ma(cb)->mode, ISAC_CODEBOOK_MA_CONTINUOUS);
    isac_codebook_destroy(cb);
    cb = isac_codebook_load(write_text("v1.json",
                                       "{\"format\":\"isactb-codebook\",\"version\":1,"
                                       "\"elements\":2,\"positions_wl\":[0,0.5],\"beams\":"
                                       "[{\"angle_deg\":null,\"weights\":[[1,0],[0,1]]}]}"),
                            err, sizeof err);
    assert_non_null(cb);
    assert_null(isac_codebook_ma(cb));
    assert_null(isac_codebook_beam_positions(cb, 0));
    json_t *j = isac_codebook_to_json(cb);
    assert_int_equal(json_integer_value(json_object_get(j, "version")), 1);
    json_decref(j);
    isac_codebook_destroy(cb);
}

/* ---- generated codebooks ---- */

static double evenly_spread_psl(const struct isac_ma_codebook_params *p, double u)
{
    double x[ISAC_MA_MAX_ACTIVE];
    for (unsigned m = 0; m < p->active; m++)
        x[m] = p->active > 1 ? m * p->region_wl / (p->active - 1) : p->region_wl / 2;
    if (p->grid_step_wl > 0)
        assert_int_equal(
            isac_ma_grid_project(x, p->active, p->grid_step_wl, p->d_min_wl, p->region_wl, x),
            ISAC_OK);
    return isac_ma_psl_db(x, p->active, u, p->region_wl);
}

/* Every beam: unit power, N radiating elements, gain N toward its angle, PSL no worse
 * than the evenly spread start. Returns the mean PSL (dB). */
static double check_beams(isac_codebook cb, const struct isac_ma_codebook_params *p)
{
    unsigned M = isac_codebook_elements(cb);
    const double *home = isac_array_positions(isac_codebook_array(cb));
    double mean = 0;
    for (unsigned q = 0; q < isac_codebook_size(cb); q++) {
        const float complex *w = isac_codebook_weights(cb, q);
        const double *x = isac_codebook_beam_positions(cb, q);
        const unsigned char *a = isac_codebook_beam_active(cb, q);
        double pw = 0, xs[ISAC_MA_MAX_ACTIVE];
        unsigned on = 0;
        for (unsigned m = 0; m < M; m++) {
            pw += crealf(w[m] * conjf(w[m]));
            if (!a || a[m])
                xs[on++] = x ? x[m] : home[m];
            else
                assert_true(w[m] == 0);
        }
        assert_int_equal(on, p->active);
        assert_true(fabs(pw - 1.0) < 1e-5);
        double phi = isac_codebook_angle(cb, q), u = sin(phi);
        assert_true(fabs(10 * log10(isac_codebook_beam_gain(cb, q, phi)) - 10 * log10(p->active)) <
                    1e-4);
        double psl = isac_ma_psl_db(xs, on, u, p->region_wl);
        assert_true(psl <= evenly_spread_psl(p, u) + 1e-9);
        mean += psl / isac_codebook_size(cb);
    }
    return mean;
}

static void test_codebooks_and_quantisation(void **st)
{
    (void)st;
    char err[256];
    struct isac_ma_codebook_params p;
    small_params(&p);
    isac_codebook cc = isac_ma_codebook_create(&p, err, sizeof err);
    assert_non_null(cc);
    double pc = check_beams(cc, &p);
    p.grid_step_wl = 0.25;
    isac_codebook cg = isac_ma_codebook_create(&p, err, sizeof err);
    assert_non_null(cg);
    assert_int_equal(isac_codebook_elements(cg), 33); /* 8 / 0.25 + 1 */
    double pg = check_beams(cg, &p);
    struct isac_ma_quant_report qr;
    assert_int_equal(isac_ma_codebook_quantisation(&p, &qr, err, sizeof err), ISAC_OK);
    printf("N=8, D=8, d_min=0.5, %u beams over -60..60 deg: mean PSL continuous %.2f dB, "
           "grid 0.25 wl %.2f dB (loss %+.2f dB, worst beam %+.2f dB), rounded %.2f dB "
           "(loss %+.2f dB); aperture variance ratio %.3f\n",
           qr.beams, qr.psl_cont_db, qr.psl_grid_db, qr.loss_grid_db, qr.worst_grid_db,
           qr.psl_round_db, qr.loss_round_db, qr.aperture_ratio);
    /* the report and the codebooks are the same optimisations */
    assert_true(fabs(qr.psl_cont_db - pc) < 1e-6 && fabs(qr.psl_grid_db - pg) < 1e-6);
    assert_true(isfinite(qr.worst_grid_db) && isfinite(qr.loss_round_db));
    /* continuity of the measurement: a grid 500 times finer than d_min loses < 0.05 dB */
    for (unsigned q = 0; q < isac_codebook_size(cc); q++) {
        double y[8], u = sin(isac_codebook_angle(cc, q));
        const double *x = isac_codebook_beam_positions(cc, q);
        assert_int_equal(isac_ma_grid_project(x, 8, 1e-3, 0.5, 8.0, y), ISAC_OK);
        for (unsigned m = 0; m < 8; m++)
            assert_true(y[m] >= -1e-12 && y[m] <= 8 + 1e-12 &&
                        (!m || y[m] - y[m - 1] >= 0.5 - 1e-9));
        assert_true(fabs(isac_ma_psl_db(y, 8, u, 8.0) - isac_ma_psl_db(x, 8, u, 8.0)) < 0.05);
    }
    /* save/load keeps positions and masks bit for bit after one 9-digit rounding */
    char path[128];
    snprintf(path, sizeof path, "%s/g.json", tmpdir);
    assert_int_equal(isac_codebook_save(cg, path, err, sizeof err), ISAC_OK);
    isac_codebook back = isac_codebook_load(path, err, sizeof err);
    assert_non_null(back);
    for (unsigned q = 0; q < isac_codebook_size(cg); q++)
        assert_memory_equal(isac_codebook_beam_active(back, q), isac_codebook_beam_active(cg, q),
                            33);
    assert_int_equal(isac_codebook_ma(back)->mode, ISAC_CODEBOOK_MA_GRID);
    isac_codebook_destroy(back);
    isac_codebook_destroy(cc);
    isac_codebook_destroy(cg);
}

static void test_plan_from_ma_beam(void **st)
{
    (void)st;
    char err[256];
    struct isac_ma_codebook_params p;
    small_params(&p);
    p.beams = 2;
    isac_codebook cb = isac_ma_codebook_create(&p, err, sizeof err);
    assert_non_null(cb);
    isac_tx_plan pl = isac_tx_plan_from_beam(cb, 1);
    assert_non_null(pl);
    assert_int_equal(isac_tx_plan_beam(pl), 1);
    assert_memory_equal(isac_tx_plan_positions(pl), isac_codebook_beam_positions(cb, 1),
                        8 * sizeof(double));
    json_t *j = isac_tx_plan_to_json(pl);
    assert_non_null(json_object_get(j, "positions_wl")); /* recorded in full */
    isac_tx_plan back = isac_tx_plan_from_json(j, cb, "plan", err, sizeof err);
    assert_non_null(back);
    assert_true(isac_tx_plan_equal(pl, back));
    json_decref(j);
    isac_tx_plan_destroy(back);
    isac_tx_plan_destroy(pl);
    isac_codebook_destroy(cb);
}

/* ---- communication from samples ---- */

#define LB 4096
#define EDGE 80

/* SNR of beam q at a line-of-sight user, measured from B bursts of the user's samples
 * (mean |y|^2 - 1 over each burst's interior, noise in units of N_0) against the model
 * |g|^2 |a^T(x, phi_u) w|^2 from the beam's own positions and mask. */
static void comm_check(const char *spec, isac_codebook cb, const char *what)
{
    char err[256];
    isac_radio r = isac_radio_open(spec, err, sizeof err);
    assert_non_null(r);
    isac_sim s = isac_radio_get_state(r);
    unsigned M = isac_codebook_elements(cb);
    /* off broadside: at u = 0 every position gives the same |sum w| */
    const struct isac_sim_user u = {290.0, 335.0, 0.0, 0.0, 9.0, 0.0, INFINITY, 0, 0.0};
    struct isac_sim_user_link ln;
    isac_sim_user_link_of(s, &ln);
    double phi_u = isac_geom_phi(&ln.ap, u.x, u.y);
    unsigned q = isac_codebook_best_beam(cb, phi_u);
    isac_tx_plan pl = isac_tx_plan_from_beam(cb, q);
    if (isac_tx_plan_positions(pl))
        assert_int_equal(isac_radio_set_tx_positions(r, isac_tx_plan_positions(pl), M), ISAC_OK);
    float complex *probe = malloc(LB * sizeof *probe), *y = malloc(LB * sizeof *y);
    float complex **x = calloc(M, sizeof *x);
    struct isac_waveform_params wp = {.kind = ISAC_WAVEFORM_LFM, .length = LB, .bandwidth = 0.8};
    assert_int_equal(isac_waveform_generate(&wp, probe), ISAC_OK);
    for (unsigned m = 0; m < M; m++)
        x[m] = malloc(LB * sizeof **x);
    const float complex *uu[1] = {probe};
    assert_int_equal(isac_tx_plan_compose(pl, uu, LB, x), ISAC_OK);
    const unsigned B = 8;
    double sum = 0, model = NAN;
    size_t n = 0;
    for (unsigned b = 0; b < B; b++) {
        int64_t t0 = 2000 + (int64_t)b * 2 * LB;
        assert_int_equal(isac_radio_tx_burst(r, t0, (const float complex *const *)x, LB), ISAC_OK);
        struct isac_sim_user_path path;
        isac_sim_user_link_of(s, &ln);
        assert_int_equal(isac_sim_user_paths(&ln, &u, 0, t0, &path), 1);
        assert_int_equal(isac_sim_user_capture(s, &u, 0, t0, y, LB), ISAC_OK);
        size_t d = (size_t)ceil(path.delay) + EDGE;
        for (size_t k = d; k < LB - EDGE; k++, n++)
            sum += crealf(y[k] * conjf(y[k]));
        model = creal(path.gain * conj(path.gain)) * isac_codebook_beam_gain(cb, q, path.phi);
    }
    double snr = sum / n - 1.0, sd = sqrt((2 * model + 1) / n);
    printf("%s: beam %u (%.1f deg) to a user at %.1f deg: SNR from samples %.2f dB, "
           "99.9%% [%.2f, %.2f] dB, beam-pattern model %.2f dB (full-gain %u-element beam "
           "%.2f dB)\n",
           what, q, isac_codebook_angle(cb, q) * 180 / M_PI, phi_u * 180 / M_PI, 10 * log10(snr),
           10 * log10(snr - Z999 * sd), 10 * log10(snr + Z999 * sd), 10 * log10(model),
           isac_codebook_ma(cb)->active,
           10 *
               log10(model / isac_codebook_beam_gain(cb, q, phi_u) * isac_codebook_ma(cb)->active));
    assert_true(fabs(snr - model) <= Z999 * sd);
    for (unsigned m = 0; m < M; m++)
        free(x[m]);
    free(x);
    free(probe);
    free(y);
    isac_tx_plan_destroy(pl);
    isac_radio_close(r);
}

static void test_comm_from_samples(void **st)
{
    (void)st;
    char err[256];
    struct isac_ma_codebook_params p;
    small_params(&p);
    p.active = 4;
    p.region_wl = 4;
    p.beams = 8;
    isac_codebook cc = isac_ma_codebook_create(&p, err, sizeof err);
    assert_non_null(cc);
    comm_check("sim:seed=3,targets=0,leak=0,elements=4,power=20", cc, "mode (a) moved elements");
    p.grid_step_wl = 0.25;
    isac_codebook cg = isac_ma_codebook_create(&p, err, sizeof err);
    assert_non_null(cg);
    char spec[512];
    int o = snprintf(spec, sizeof spec,
                     "sim:seed=3,targets=0,leak=0,elements=17,power=20,"
                     "positions=0");
    for (unsigned k = 1; k <= 16; k++)
        o += snprintf(spec + o, sizeof spec - o, ":%g", k * 0.25);
    comm_check(spec, cg, "mode (c) 4 of 17 grid elements");
    isac_codebook_destroy(cc);
    isac_codebook_destroy(cg);
}

static int setup(void **st)
{
    (void)st;
    snprintf(tmpdir, sizeof tmpdir, "/tmp/test_ma_codebook.XXXXXX");
    return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **st)
{
    (void)st;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_params_refused),
        cmocka_unit_test(test_file_refusals),
        cmocka_unit_test(test_codebooks_and_quantisation),
        cmocka_unit_test(test_plan_from_ma_beam),
        cmocka_unit_test(test_comm_from_samples),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
