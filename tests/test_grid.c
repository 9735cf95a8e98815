/* Multistatic grid search (detect/grid.h): localisation, per-cell CFAR, per-cell N.
 *
 * Scene: TX AP at the origin, 4 receive APs (ULAs, various axes), fs = 100 MHz
 * (3 m per MF bin). The synthetic MF output of a point target is a sinc pulse at its
 * exact fractional bistatic delay times the steering vector at its exact angle, so
 * Nyquist-sampled noise bins are white (rho1 = 0).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "array/array.h"
#include "common/err.h"
#include "common/rng.h"
#include "detect/glrt.h"
#include "detect/grid.h"
#include "stat_bounds.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#define NAP 4
#define FS 100e6
#define ALPHA 1e-3

static const struct isac_geom_ap TX = {0.0, 0.0, 0.0};
static const struct isac_geom_ap RX[NAP] = {
    {200.0, 0.0, M_PI / 2},    /* axis along +y: broadside looks along -x */
    {0.0, 200.0, 0.0},         /* axis along +x: broadside looks along -y */
    {200.0, 200.0, -M_PI / 4}, /* broadside looks back toward the origin */
    {-50.0, 100.0, M_PI / 2},
};
static const unsigned MS[NAP] = {8, 8, 6, 4};

struct scene {
    isac_array arr[NAP];
    size_t K;
    float complex *buf[NAP], *row[NAP][8];
    const float complex *const *zp[NAP];
};

static void scene_init(struct scene *s, size_t K)
{
    s->K = K;
    for (unsigned n = 0; n < NAP; n++) {
        s->arr[n] = isac_array_create_ula(MS[n], 0.5);
        s->buf[n] = malloc((size_t)MS[n] * K * sizeof *s->buf[n]);
        for (unsigned m = 0; m < MS[n]; m++)
            s->row[n][m] = s->buf[n] + (size_t)m * K;
        s->zp[n] = (const float complex *const *)s->row[n];
    }
}

static void scene_free(struct scene *s)
{
    for (unsigned n = 0; n < NAP; n++) {
        isac_array_destroy(s->arr[n]);
        free(s->buf[n]);
    }
}

static void scene_noise(struct scene *s, isac_rng *r, const double *s2)
{
    for (unsigned n = 0; n < NAP; n++)
        for (size_t i = 0; i < (size_t)MS[n] * s->K; i++)
            s->buf[n][i] = (float complex)isac_rng_cnormal(r, s2[n]);
}

static double sinc(double x)
{
    return fabs(x) < 1e-12 ? 1.0 : sin(M_PI * x) / (M_PI * x);
}

/* Add the MF response of a point target at (px, py) with amplitude amp at every AP. */
static void scene_target(struct scene *s, double px, double py, double lag0, double amp)
{
    for (unsigned n = 0; n < NAP; n++) {
        double d = isac_geom_bistatic_delay_samples(&TX, &RX[n], px, py, FS) - lag0;
        double phi = isac_geom_phi(&RX[n], px, py);
        double complex a[8];
        isac_array_steering_d(s->arr[n], phi, a);
        double complex g = amp * cexp(I * (0.7 + n)); /* arbitrary per-AP phase */
        for (unsigned m = 0; m < MS[n]; m++)
            for (size_t k = 0; k < s->K; k++)
                s->row[n][m][k] += (float complex)(g * a[m] * sinc((double)k - d));
    }
}

static struct isac_grid_config base_config(struct scene *s, double lag0, double max_angle,
                                           enum isac_grid_interp interp, double pfa)
{
    struct isac_grid_config c = {
        .tx = TX,
        .N = NAP,
        .rx = RX,
        .arr = s->arr,
        .K = s->K,
        .fs = FS,
        .lag0_delay = lag0,
        .max_angle = max_angle,
        .pfa = pfa,
        .interp = interp,
        .rho1 = 0.0,
    };
    return c;
}

/* ---- a target is found in the right cell ---- */

static void run_locate(enum isac_grid_interp interp, double px, double py, uint64_t seed)
{
    isac_rng r;
    isac_rng_seed(&r, seed);
    struct scene s;
    scene_init(&s, 256);
    const double lag0 = 20.0, s2[NAP] = {1.0, 2.0, 0.5, 1.0};
    struct isac_grid_config cfg = base_config(&s, lag0, M_PI / 2, interp, 1e-6);
    struct isac_grid_spec sp = {.x0 = 100.0, .y0 = 60.0, .dx = 1.0, .dy = 1.0, .nx = 41, .ny = 41};
    isac_grid g = isac_grid_create(&cfg, &sp);
    assert_non_null(g);
    scene_noise(&s, &r, s2);
    scene_target(&s, px, py, lag0, 3.0); /* per-element SNR >= 9.5 dB, x M after beamforming */
    float *stat = malloc(isac_grid_num_cells(g) * sizeof *stat);
    uint8_t *det = malloc(isac_grid_num_cells(g));
    struct isac_grid_best b;
    assert_int_equal(isac_grid_execute(g, s.zp, s2, stat, det, &b), ISAC_OK);
    long tx = lround((px - sp.x0) / sp.dx), ty = lround((py - sp.y0) / sp.dy);
    printf("interp %d: target (%.2f, %.2f) cell (%ld, %ld); best (%u, %u) Lambda %.1f N_P %u "
           "log10 p %.1f\n",
           (int)interp, px, py, tx, ty, b.ix, b.iy, b.stat, b.n_aps, b.log10_p);
    assert_true(labs((long)b.ix - tx) <= 1 && labs((long)b.iy - ty) <= 1);
    assert_true(b.detected);
    assert_int_equal(det[b.cell], 1);
    assert_int_equal(b.n_aps, NAP);
    free(stat);
    free(det);
    isac_grid_destroy(g);
    scene_free(&s);
}

static void test_locate_nearest(void **state)
{
    (void)state;
    run_locate(ISAC_GRID_INTERP_NEAREST, 121.3, 77.8, 11);
}

static void test_locate_linear(void **state)
{
    (void)state;
    run_locate(ISAC_GRID_INTERP_LINEAR, 121.3, 77.8, 12);
    run_locate(ISAC_GRID_INTERP_LINEAR, 109.6, 93.4, 13);
}

/* ---- per-cell visibility and thresholds ---- */

/* Field of view +-50 deg and a short MF window: N_P varies over this grid. */
#define FOV (50.0 * M_PI / 180.0)
#define KS 96
#define LAG0S 40.0

static isac_grid make_partial_grid(struct scene *s, enum isac_grid_interp interp, double pfa)
{
    struct isac_grid_config cfg = base_config(s, LAG0S, FOV, interp, pfa);
    struct isac_grid_spec sp = {
        .x0 = -40.0, .y0 = -40.0, .dx = 16.0, .dy = 16.0, .nx = 18, .ny = 18};
    return isac_grid_create(&cfg, &sp);
}

/* Independent visibility rule, from geom/ only. */
static unsigned expected_naps(isac_grid g, size_t c, enum isac_grid_interp interp)
{
    double x, y;
    isac_grid_cell_center(g, c, &x, &y);
    unsigned cnt = 0;
    for (unsigned n = 0; n < NAP; n++) {
        double d = isac_geom_bistatic_delay_samples(&TX, &RX[n], x, y, FS) - LAG0S;
        double phi = isac_geom_phi(&RX[n], x, y);
        int in = interp == ISAC_GRID_INTERP_NEAREST
                     ? (floor(d + 0.5) >= 0 && floor(d + 0.5) <= KS - 1)
                     : (d >= 0 && d <= KS - 1);
        cnt += in && fabs(phi) <= FOV;
    }
    return cnt;
}

static void test_cell_thresholds(void **state)
{
    (void)state;
    struct scene s;
    scene_init(&s, KS);
    for (int interp = 0; interp < 2; interp++) {
        isac_grid g = make_partial_grid(&s, (enum isac_grid_interp)interp, 1e-3);
        assert_non_null(g);
        const double *thr = isac_grid_thresholds(g);
        unsigned seen[NAP + 1] = {0};
        for (size_t c = 0; c < isac_grid_num_cells(g); c++) {
            unsigned np = isac_grid_cell_num_aps(g, c);
            assert_int_equal(np, expected_naps(g, c, (enum isac_grid_interp)interp));
            seen[np]++;
            if (np == 0)
                assert_true(isinf(thr[c]));
            else
                assert_true(thr[c] == isac_glrt_threshold_n(np, 1e-3));
        }
        printf("interp %d: cells with N_P = 0..4: %u %u %u %u %u\n", interp, seen[0], seen[1],
               seen[2], seen[3], seen[4]);
        for (unsigned n = 0; n <= NAP; n++)
            assert_true(seen[n] > 0); /* every N_P occurs, so the test means something */
        isac_grid_destroy(g);
    }
    scene_free(&s);
}

/* The grid statistic of a cell is the GLRT of glrt.h on that cell's MF samples. */
static void test_matches_glrt(void **state)
{
    (void)state;
    isac_rng r;
    isac_rng_seed(&r, 21);
    struct scene s;
    scene_init(&s, KS);
    const double s2[NAP] = {1.0, 0.3, 2.0, 1.5};
    scene_noise(&s, &r, s2);
    isac_grid g = make_partial_grid(&s, ISAC_GRID_INTERP_NEAREST, 1e-3);
    float *stat = malloc(isac_grid_num_cells(g) * sizeof *stat);
    assert_int_equal(isac_grid_execute(g, s.zp, s2, stat, NULL, NULL), ISAC_OK);
    unsigned checked = 0;
    for (size_t c = 0; c < isac_grid_num_cells(g); c += 7) {
        unsigned np = isac_grid_cell_num_aps(g, c), j = 0, Mv[NAP];
        if (np == 0) {
            assert_true(stat[c] == 0.0f);
            continue;
        }
        float complex yb[NAP][8], ab[NAP][8];
        const float complex *y[NAP], *a[NAP];
        double sv[NAP];
        for (unsigned n = 0; n < NAP; n++) {
            double d, phi;
            if (!isac_grid_cell_geometry(g, c, n, &d, &phi))
                continue;
            long k = lround(d);
            isac_array_steering(s.arr[n], phi, ab[j]);
            for (unsigned m = 0; m < MS[n]; m++)
                yb[j][m] = s.row[n][m][k];
            y[j] = yb[j];
            a[j] = ab[j];
            sv[j] = s2[n];
            Mv[j++] = MS[n];
        }
        assert_int_equal(j, np);
        isac_glrt gl = isac_glrt_create(np, Mv, 1e-3);
        struct isac_glrt_result res;
        assert_int_equal(isac_glrt_execute(gl, y, a, sv, NULL, &res), ISAC_OK);
        assert_true(fabs(res.lambda - stat[c]) <= 1e-4 * (1.0 + res.lambda));
        isac_glrt_destroy(gl);
        checked++;
    }
    assert_true(checked > 10);
    free(stat);
    isac_grid_destroy(g);
    scene_free(&s);
}

/* ---- noise only: per-cell false-alarm rate ---- */

#define TRIALS 6000
#define PFA_GRID 0.05

static void run_pfa(enum isac_grid_interp interp, uint64_t seed)
{
    isac_rng r;
    isac_rng_seed(&r, seed);
    struct scene s;
    scene_init(&s, KS);
    isac_grid g = make_partial_grid(&s, interp, PFA_GRID);
    size_t nc = isac_grid_num_cells(g);
    /* one probe cell per N_P = 1..4 (the first in scan order), plus a second N_P = 4 cell */
    size_t probe[NAP + 1];
    unsigned np_of[NAP + 1], nprobe = 0;
    for (unsigned want = 1; want <= NAP; want++)
        for (size_t c = 0; c < nc; c++)
            if (isac_grid_cell_num_aps(g, c) == want) {
                probe[nprobe] = c;
                np_of[nprobe++] = want;
                break;
            }
    for (size_t c = nc; c-- > 0;)
        if (isac_grid_cell_num_aps(g, c) == NAP) {
            probe[nprobe] = c;
            np_of[nprobe++] = NAP;
            break;
        }
    assert_int_equal(nprobe, NAP + 1);
    float *stat = malloc(nc * sizeof *stat);
    uint8_t *det = malloc(nc);
    uint64_t hits[NAP + 1] = {0}, all = 0, all_n = 0;
    double s2[NAP];
    for (int t = 0; t < TRIALS; t++) {
        for (unsigned n = 0; n < NAP; n++)
            s2[n] = 0.5 + isac_rng_uniform(&r);
        scene_noise(&s, &r, s2);
        assert_int_equal(isac_grid_execute(g, s.zp, s2, stat, det, NULL), ISAC_OK);
        for (unsigned i = 0; i < nprobe; i++)
            hits[i] += det[probe[i]];
        for (size_t c = 0; c < nc; c++)
            if (isac_grid_cell_num_aps(g, c)) {
                all += det[c];
                all_n++;
            }
    }
    for (unsigned i = 0; i < nprobe; i++) {
        char what[96];
        double d = 0.0;
        for (unsigned n = 0; n < NAP; n++)
            if (isac_grid_cell_geometry(g, probe[i], n, &d, NULL))
                break;
        snprintf(what, sizeof what, "interp %d cell %zu N_P=%u (d=%.2f)", (int)interp, probe[i],
                 np_of[i], d);
        assert_true(stat_check_rate(what, hits[i], TRIALS, PFA_GRID, ALPHA));
    }
    /* Cells share MF bins, so the grid-wide count is not binomial; its mean is still
     * P_FA, reported (not asserted with a binomial interval). */
    printf("interp %d: grid-wide false-alarm rate %.5f over %llu cell-trials (nominal %g)\n",
           (int)interp, (double)all / (double)all_n, (unsigned long long)all_n, PFA_GRID);
    free(stat);
    free(det);
    isac_grid_destroy(g);
    scene_free(&s);
}

static void test_pfa_nearest(void **state)
{
    (void)state;
    run_pfa(ISAC_GRID_INTERP_NEAREST, 31);
}

static void test_pfa_linear(void **state)
{
    (void)state;
    run_pfa(ISAC_GRID_INTERP_LINEAR, 32);
}

static void test_args(void **state)
{
    (void)state;
    struct scene s;
    scene_init(&s, KS);
    struct isac_grid_config cfg = base_config(&s, 0.0, FOV, ISAC_GRID_INTERP_LINEAR, 1e-3);
    struct isac_grid_spec sp = {.x0 = 0, .y0 = 0, .dx = 1, .dy = 1, .nx = 4, .ny = 4};
    struct isac_grid_config bad = cfg;
    bad.rho1 = 1.0;
    assert_null(isac_grid_create(&bad, &sp));
    bad = cfg;
    bad.max_angle = 2.0;
    assert_null(isac_grid_create(&bad, &sp));
    bad = cfg;
    bad.N = 0;
    assert_null(isac_grid_create(&bad, &sp));
    struct isac_grid_spec bsp = sp;
    bsp.dx = 0;
    assert_null(isac_grid_create(&cfg, &bsp));
    isac_grid g = isac_grid_create(&cfg, &sp);
    assert_non_null(g);
    float stat[16];
    double s2[NAP] = {1, 1, 0, 1};
    assert_int_equal(isac_grid_execute(g, s.zp, s2, stat, NULL, NULL), ISAC_EINVAL);
    isac_grid_destroy(g);
    isac_grid_destroy(NULL);
    scene_free(&s);
}

/* ---- the baseline guard blinds exactly the cells near each TX-RX baseline ---- */

static void test_baseline_guard(void **state)
{
    (void)state;
    struct scene s;
    scene_init(&s, KS);
    struct isac_grid_config cfg = base_config(&s, 0.0, M_PI / 2, ISAC_GRID_INTERP_NEAREST, 1e-3);
    struct isac_grid_spec sp = {.x0 = -50, .y0 = -50, .dx = 5, .dy = 5, .nx = 41, .ny = 41};
    isac_grid open = isac_grid_create(&cfg, &sp);
    cfg.baseline_guard_m = 30.0;
    isac_grid guarded = isac_grid_create(&cfg, &sp);
    assert_non_null(open);
    assert_non_null(guarded);
    size_t blinded = 0;
    for (size_t c = 0; c < isac_grid_num_cells(guarded); c++) {
        double x, y;
        isac_grid_cell_center(guarded, c, &x, &y);
        for (unsigned n = 0; n < NAP; n++) {
            double excess = isac_geom_bistatic_range(&TX, &RX[n], x, y) -
                            isac_geom_dist(TX.x, TX.y, RX[n].x, RX[n].y);
            int seen_open = isac_grid_cell_geometry(open, c, n, NULL, NULL);
            int seen_guarded = isac_grid_cell_geometry(guarded, c, n, NULL, NULL);
            assert_int_equal(seen_guarded, seen_open && excess >= 30.0);
            blinded += seen_open && !seen_guarded;
        }
    }
    assert_true(blinded > 0); /* the grid does cross some baselines */
    isac_grid_destroy(open);
    isac_grid_destroy(guarded);
    scene_free(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_args),
        cmocka_unit_test(test_baseline_guard),
        cmocka_unit_test(test_cell_thresholds),
        cmocka_unit_test(test_matches_glrt),
        cmocka_unit_test(test_locate_nearest),
        cmocka_unit_test(test_locate_linear),
        cmocka_unit_test(test_pfa_nearest),
        cmocka_unit_test(test_pfa_linear),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
