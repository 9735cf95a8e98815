/* Per-AP processing unit (see ap_unit.h). */
#include "detect/ap_unit.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/rows.h"
#include "dsp/fdelay.h"
#include "dsp/mf.h"

/* The unit's one-AP grid only produces terms; its own thresholds are never read (fusion
 * owns the thresholds), so any valid pfa will do. */
#define AP_UNIT_GRID_PFA 0.01

struct isac_ap_unit_s {
    unsigned ap, M, noise_bins;
    size_t L, W, K, ncells;
    double lag0;
    isac_mf mf;
    isac_grid grid; /* this AP only: its delays, weights and steering vectors per cell */
    uint8_t *visible;
    /* direct path: probe at the direct delay (W samples), its energy and MF output (K) */
    int dp_cancel;
    float complex *dp_ref, *dp_mf;
    double *dp_ref_re, *dp_ref_im; /* dp_ref in double, split (the per-CPI correlation) */
    double dp_energy;
    /* calibration slice (NULL rows: raw chain) */
    float complex *rx_weight;
    double *rx_delay;
    float complex **rxc;  /* M x W corrected windows */
    float complex **zrow; /* M pointers into the output block being filled */
};

static int valid_config(const struct isac_ap_unit_config *c)
{
    if (!c || !c->arr || !c->probe || c->ap >= ISAC_GRID_MAX_APS || !(c->fs > 0) ||
        !isfinite(c->fs))
        return 0;
    unsigned M = isac_array_size(c->arr);
    if (M < 1 || M > ISAC_AP_UNIT_MAX_M || c->L < 1 || c->W <= c->L)
        return 0;
    size_t K = c->W - c->L + 1;
    if (c->noise_bins < 1 || c->noise_bins > K)
        return 0;
    if (!(c->lag0_delay >= 0 && c->lag0_delay <= (double)(c->W - c->L) / 2))
        return 0;
    for (unsigned m = 0; c->cal && m < M; m++)
        if (!(cabsf(c->cal->rx_weight[m]) <= 1e3f) ||
            !(c->cal->rx_delay[m] >= 0 && c->cal->rx_delay[m] <= 64))
            return 0;
    return 1;
}

static int make_grid(isac_ap_unit u, const struct isac_ap_unit_config *c)
{
    /* the echoes arrive lag0 samples late: MF lag 0 holds bistatic delay -lag0 (grid.h) */
    struct isac_grid_config gc = {.tx = c->tx,
                                  .N = 1,
                                  .rx = &c->rx,
                                  .arr = &c->arr,
                                  .K = u->K,
                                  .fs = c->fs,
                                  .lag0_delay = 0.0 - u->lag0,
                                  .max_angle = c->max_angle,
                                  .pfa = AP_UNIT_GRID_PFA,
                                  .interp = c->interp,
                                  .rho1 = c->rho1,
                                  .baseline_guard_m = c->baseline_guard_m};
    if (!(u->grid = isac_grid_create(&gc, &c->spec)))
        return ISAC_EINVAL;
    u->ncells = isac_grid_num_cells(u->grid);
    if (!(u->visible = malloc(u->ncells)))
        return ISAC_ENOMEM;
    for (size_t k = 0; k < u->ncells; k++)
        u->visible[k] = (uint8_t)isac_grid_cell_num_aps(u->grid, k);
    return ISAC_OK;
}

/* The leakage is the probe at the direct TX -> RX delay with an unknown complex gain per
 * element: keep that reference and its MF output so execute() can project it out. */
static int make_direct_path(isac_ap_unit u, const struct isac_ap_unit_config *c)
{
    if (!u->dp_cancel)
        return ISAC_OK;
    double d = isac_geom_dist(c->tx.x, c->tx.y, c->rx.x, c->rx.y) / ISAC_GEOM_C0 * c->fs + u->lag0;
    u->dp_ref = calloc(u->W, sizeof *u->dp_ref);
    u->dp_mf = calloc(u->K, sizeof *u->dp_mf);
    if (!u->dp_ref || !u->dp_mf)
        return ISAC_ENOMEM;
    isac_fdelay_add(u->dp_ref, u->W, c->probe, c->L, d, 1.0, 0.0);
    double e = 0;
    for (size_t t = 0; t < u->W; t++)
        e += crealf(u->dp_ref[t] * conjf(u->dp_ref[t]));
    u->dp_energy = e;
    u->dp_ref_re = malloc(u->W * sizeof *u->dp_ref_re);
    u->dp_ref_im = malloc(u->W * sizeof *u->dp_ref_im);
    if (!u->dp_ref_re || !u->dp_ref_im)
        return ISAC_ENOMEM;
    for (size_t t = 0; t < u->W; t++) {
        u->dp_ref_re[t] = crealf(u->dp_ref[t]);
        u->dp_ref_im[t] = cimagf(u->dp_ref[t]);
    }
    return isac_mf_execute(u->mf, u->dp_ref, u->dp_mf);
}

static int copy_calibration(isac_ap_unit u, const struct isac_ap_unit_calibration *cal)
{
    if (!cal)
        return ISAC_OK;
    u->rx_weight = malloc(u->M * sizeof *u->rx_weight);
    u->rx_delay = malloc(u->M * sizeof *u->rx_delay);
    u->rxc = isac_rows_alloc(u->M, u->W);
    if (!u->rx_weight || !u->rx_delay || !u->rxc)
        return ISAC_ENOMEM;
    memcpy(u->rx_weight, cal->rx_weight, u->M * sizeof *u->rx_weight);
    memcpy(u->rx_delay, cal->rx_delay, u->M * sizeof *u->rx_delay);
    return ISAC_OK;
}

isac_ap_unit isac_ap_unit_create(const struct isac_ap_unit_config *cfg)
{
    if (!valid_config(cfg))
        return NULL;
    isac_ap_unit u = calloc(1, sizeof *u);
    if (!u)
        return NULL;
    u->ap = cfg->ap;
    u->M = isac_array_size(cfg->arr);
    u->L = cfg->L;
    u->W = cfg->W;
    u->K = cfg->W - cfg->L + 1;
    u->noise_bins = cfg->noise_bins;
    u->lag0 = cfg->cal ? cfg->lag0_delay : 0.0;
    u->dp_cancel = cfg->direct_path_cancel;
    u->mf = isac_mf_create(cfg->probe, cfg->L, cfg->W, ISAC_MF_PLAN_ESTIMATE);
    u->zrow = calloc(u->M, sizeof *u->zrow);
    if (u->mf && u->zrow && make_grid(u, cfg) == ISAC_OK && make_direct_path(u, cfg) == ISAC_OK &&
        copy_calibration(u, cfg->cal) == ISAC_OK)
        return u;
    isac_ap_unit_destroy(u);
    return NULL;
}

void isac_ap_unit_destroy(isac_ap_unit u)
{
    if (!u)
        return;
    isac_mf_destroy(u->mf);
    isac_grid_destroy(u->grid);
    free(u->visible);
    free(u->dp_ref);
    free(u->dp_mf);
    free(u->dp_ref_re);
    free(u->dp_ref_im);
    free(u->rx_weight);
    free(u->rx_delay);
    isac_rows_free(u->rxc, u->M);
    free(u->zrow);
    free(u);
}

const uint8_t *isac_ap_unit_visibility(isac_ap_unit u)
{
    return u->visible;
}

struct isac_ap_unit_out *isac_ap_unit_out_create(isac_ap_unit u)
{
    return u ? isac_ap_unit_out_alloc(u->M, u->K, u->ncells, 1) : NULL;
}

/* ---- per CPI ---- */

/* A NaN or Inf anywhere in a window would spread through the FFTs into every cell.
 * Tested on the exponent bits (all ones: Inf or NaN) with an OR over the whole row, a
 * branch-free loop the compiler vectorises (isfinite() per sample was 30% of a unit). */
static int row_is_finite(const float *v, size_t n)
{
    uint32_t bad = 0;
    for (size_t i = 0; i < n; i++) {
        uint32_t u;
        memcpy(&u, v + i, sizeof u);
        bad |= (uint32_t)((u & 0x7f800000u) == 0x7f800000u);
    }
    return !bad;
}

static int window_is_finite(isac_ap_unit u, const float complex *const *rx)
{
    for (unsigned m = 0; m < u->M; m++)
        if (!row_is_finite((const float *)rx[m], 2 * u->W))
            return 0;
    return 1;
}

/* y'_m(t) = rx_weight[m] y_m(t - rx_delay[m]) into the unit's own rows. */
static const float complex *const *correct_rx(isac_ap_unit u, const float complex *const *rx)
{
    for (unsigned m = 0; m < u->M; m++) {
        memset(u->rxc[m], 0, u->W * sizeof *u->rxc[m]);
        isac_fdelay_add(u->rxc[m], u->W, rx[m], u->W, u->rx_delay[m],
                        (double complex)u->rx_weight[m], 0.0);
    }
    return (const float complex *const *)u->rxc;
}

/* acc[j] = sum_t x_j[t] conj(r[t]) for DP_LANES elements at once, in double, each
 * lane summing in t order: the arithmetic of the one-element complex loop it replaces
 * (re = xr rr + xi ri, im = xi rr - xr ri are its products bit for bit), written in
 * real arithmetic over independent lanes so that it vectorises. */
#define DP_LANES 4
static void dp_correlate(const float complex *const *x, unsigned lanes, const double *rr,
                         const double *ri, size_t W, double complex *acc)
{
    double are[DP_LANES] = {0}, aim[DP_LANES] = {0};
    const float *xs[DP_LANES];
    for (unsigned j = 0; j < DP_LANES; j++)
        xs[j] = (const float *)x[j < lanes ? j : 0];
    for (size_t t = 0; t < W; t++) {
        const double cr = rr[t], ci = ri[t];
        for (unsigned j = 0; j < DP_LANES; j++) {
            const double xr = xs[j][2 * t], xi = xs[j][2 * t + 1];
            are[j] += xr * cr + xi * ci;
            aim[j] += xi * cr - xr * ci;
        }
    }
    for (unsigned j = 0; j < lanes; j++)
        acc[j] = CMPLX(are[j], aim[j]);
}

/* g = <x, r> / <r, r>, z -= g MF(r), per element. */
static void cancel_direct_path(isac_ap_unit u, const float complex *const *rx, float complex *gain)
{
    const float complex *c = u->dp_mf;
    for (unsigned m = 0; m < u->M; m++)
        gain[m] = 0;
    if (!u->dp_cancel || !(u->dp_energy > 0))
        return;
    for (unsigned m0 = 0; m0 < u->M; m0 += DP_LANES) {
        unsigned lanes = u->M - m0 < DP_LANES ? u->M - m0 : DP_LANES;
        double complex acc[DP_LANES];
        dp_correlate(rx + m0, lanes, u->dp_ref_re, u->dp_ref_im, u->W, acc);
        for (unsigned j = 0; j < lanes; j++) {
            float complex g = (float complex)(acc[j] / u->dp_energy);
            float complex *z = u->zrow[m0 + j];
            for (size_t k = 0; k < u->K; k++)
                z[k] -= g * c[k];
            gain[m0 + j] = g;
        }
    }
}

/* Per-element noise variance from the last noise_bins MF lags, which lie beyond every
 * echo of the scene (window_guard is chosen so). */
static double noise_variance(isac_ap_unit u)
{
    size_t k0 = u->K - u->noise_bins;
    double acc = 0;
    for (unsigned m = 0; m < u->M; m++) {
        const float complex *z = u->zrow[m];
        for (size_t k = k0; k < u->K; k++)
            acc += crealf(z[k]) * crealf(z[k]) + cimagf(z[k]) * cimagf(z[k]);
    }
    double v = acc / ((double)u->M * u->noise_bins);
    return v > 1e-30 ? v : 1e-30;
}

static int out_fits(isac_ap_unit u, const struct isac_ap_unit_out *o)
{
    return o && o->z && o->term && o->visible && o->dp_gain && o->h.M == u->M && o->h.K == u->K &&
           o->h.ncells == u->ncells;
}

int isac_ap_unit_execute(isac_ap_unit u, const float complex *const *rx, uint64_t cpi,
                         uint32_t beam, struct isac_ap_unit_out *out)
{
    if (!u || !rx || !out_fits(u, out))
        return ISAC_EINVAL;
    for (unsigned m = 0; m < u->M; m++)
        if (!rx[m])
            return ISAC_EINVAL;
    if (!window_is_finite(u, rx))
        return ISAC_EFORMAT;
    if (u->rxc)
        rx = correct_rx(u, rx);
    for (unsigned m = 0; m < u->M; m++)
        u->zrow[m] = out->z + (size_t)m * u->K;
    int rc = isac_mf_execute_multi(u->mf, u->M, rx, u->zrow);
    if (rc)
        return rc;
    cancel_direct_path(u, rx, out->dp_gain);
    out->h.ap = u->ap;
    out->h.beam = beam;
    out->h.cpi = cpi;
    out->h.has_mf = 1;
    out->h.noise_var = noise_variance(u);
    out->h.lag0_delay = u->lag0;
    memcpy(out->visible, u->visible, u->ncells);
    /* a one-AP grid sums exactly one term per visible cell: 0 + t == t, bit for bit */
    const float complex *const *zs = (const float complex *const *)u->zrow;
    return isac_grid_execute(u->grid, &zs, &out->h.noise_var, out->term, NULL, NULL);
}
