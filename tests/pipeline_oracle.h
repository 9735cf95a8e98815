/* The monolithic CPI processing that isac_pipeline_process() was before per-AP units and fusion
 * (host/engine/pipeline.c at commit c566c5e, processing part, copied with only the struct
 * renamed): one MF object over all channels, direct-path cancellation, noise per AP and
 * one isac_grid_execute() summing every AP. test_fusion.c uses it as the oracle that the
 * unit + fusion path must reproduce bit for bit. Test-only, header-only. */
#ifndef ISACTB_TESTS_PIPELINE_ORACLE_H
#define ISACTB_TESTS_PIPELINE_ORACLE_H

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_sf_gamma.h>

#include "array/array.h"
#include "common/err.h"
#include "detect/glrt.h"
#include "detect/grid.h"
#include "dsp/fdelay.h"
#include "engine/pipeline.h"
#include "array/geom.h"
#include "dsp/mf.h"

struct oracle {
    struct isac_radio_info info;
    double pfa;
    unsigned noise_bins;
    size_t L, W, K;
    const float complex *probe;
    float complex **z, **rxc;
    const float complex **zap[ISAC_RADIO_MAX_APS];
    unsigned ap_first[ISAC_RADIO_MAX_APS];
    isac_mf mf;
    isac_grid grid;
    unsigned nx, ny;
    size_t cells_seen;
    float *stat, *thr;
    uint8_t *det;
    int dp_cancel;
    float complex *dp_ref[ISAC_RADIO_MAX_APS], *dp_mf[ISAC_RADIO_MAX_APS];
    double dp_energy[ISAC_RADIO_MAX_APS];
    const struct isac_chan_correction *cal;
};

static float complex **oracle_rows(unsigned rows, size_t n)
{
    float complex **p = calloc(rows, sizeof *p);
    for (unsigned i = 0; i < rows; i++)
        p[i] = calloc(n, sizeof **p);
    return p;
}

static double oracle_rho1(const float complex *s, size_t L)
{
    double complex acc = 0;
    double e = 0;
    for (size_t n = 0; n < L; n++) {
        e += crealf(s[n] * conjf(s[n]));
        if (n + 1 < L)
            acc += (double complex)s[n + 1] * conj((double complex)s[n]);
    }
    double rho = creal(acc) / e;
    return rho < 0 ? 0 : rho > 0.99 ? 0.99 : rho;
}

static void oracle_grid(struct oracle *p, const struct isac_exp_config *cfg, double lag0)
{
    const struct isac_radio_info *in = &p->info;
    isac_array arr[ISAC_RADIO_MAX_APS] = {0};
    for (unsigned n = 0; n < in->num_rx_aps; n++)
        arr[n] = isac_array_create_ula(in->rx_ap_elements[n], in->element_spacing_wl);
    p->nx = (unsigned)floor((cfg->grid.x_max - cfg->grid.x_min) / cfg->grid.spacing_m) + 1;
    p->ny = (unsigned)floor((cfg->grid.y_max - cfg->grid.y_min) / cfg->grid.spacing_m) + 1;
    struct isac_grid_spec gs = {cfg->grid.x_min,     cfg->grid.y_min, cfg->grid.spacing_m,
                                cfg->grid.spacing_m, p->nx,           p->ny};
    struct isac_grid_config gc = {.tx = in->tx_ap,
                                  .N = in->num_rx_aps,
                                  .rx = in->rx_ap,
                                  .arr = (const isac_array *)arr,
                                  .K = p->K,
                                  .fs = in->sample_rate,
                                  .lag0_delay = lag0,
                                  .max_angle = 80.0 * M_PI / 180.0,
                                  .pfa = p->pfa,
                                  .interp = ISAC_GRID_INTERP_LINEAR,
                                  .rho1 = oracle_rho1(p->probe, p->L),
                                  .baseline_guard_m = cfg->grid.baseline_guard_m};
    p->grid = isac_grid_create(&gc, &gs);
    for (unsigned n = 0; n < in->num_rx_aps; n++)
        isac_array_destroy(arr[n]);
    size_t cells = (size_t)p->nx * p->ny;
    p->stat = malloc(cells * sizeof *p->stat);
    p->thr = malloc(cells * sizeof *p->thr);
    p->det = malloc(cells);
    for (size_t c = 0; c < cells; c++) {
        p->thr[c] = (float)isac_grid_thresholds(p->grid)[c];
        p->cells_seen += isac_grid_cell_num_aps(p->grid, c) > 0;
    }
}

static void oracle_direct_path(struct oracle *p, double lag0)
{
    for (unsigned n = 0; p->dp_cancel && n < p->info.num_rx_aps; n++) {
        const struct isac_geom_ap *tx = &p->info.tx_ap, *rx = &p->info.rx_ap[n];
        double d =
            isac_geom_dist(tx->x, tx->y, rx->x, rx->y) / ISAC_GEOM_C0 * p->info.sample_rate + lag0;
        p->dp_ref[n] = calloc(p->W, sizeof *p->dp_ref[n]);
        p->dp_mf[n] = calloc(p->K, sizeof *p->dp_mf[n]);
        isac_fdelay_add(p->dp_ref[n], p->W, p->probe, p->L, d, 1.0, 0.0);
        double e = 0;
        for (size_t t = 0; t < p->W; t++)
            e += crealf(p->dp_ref[n][t] * conjf(p->dp_ref[n][t]));
        p->dp_energy[n] = e;
        isac_mf_execute(p->mf, p->dp_ref[n], p->dp_mf[n]);
    }
}

/* cal (borrowed, may be NULL) as isac_pipeline_set_calibration would apply it. */
static struct oracle *oracle_create(const struct isac_exp_config *cfg,
                                    const struct isac_radio_info *info, const float complex *probe,
                                    size_t L, double pfa, const struct isac_chan_correction *cal)
{
    struct oracle *p = calloc(1, sizeof *p);
    p->info = *info;
    p->pfa = pfa;
    p->noise_bins = cfg->noise_bins;
    p->probe = probe;
    p->L = L;
    p->W = L + cfg->window_guard;
    p->K = p->W - p->L + 1;
    p->z = oracle_rows(info->num_rx, p->K);
    p->rxc = oracle_rows(info->num_rx, p->W);
    p->mf = isac_mf_create(probe, L, p->W, ISAC_MF_PLAN_ESTIMATE);
    for (unsigned n = 0, ch = 0; n < info->num_rx_aps; ch += info->rx_ap_elements[n++]) {
        p->ap_first[n] = ch;
        p->zap[n] = (const float complex **)(p->z + ch);
    }
    p->dp_cancel = cfg->direct_path_cancel;
    p->cal = cal;
    double lag0 = cal ? cal->lag0_delay : 0.0;
    oracle_grid(p, cfg, lag0 != 0.0 ? -lag0 : 0.0);
    oracle_direct_path(p, lag0);
    return p;
}

static void oracle_destroy(struct oracle *p)
{
    for (unsigned i = 0; i < p->info.num_rx; i++) {
        free(p->z[i]);
        free(p->rxc[i]);
    }
    free(p->z);
    free(p->rxc);
    isac_mf_destroy(p->mf);
    isac_grid_destroy(p->grid);
    free(p->stat);
    free(p->thr);
    free(p->det);
    for (unsigned n = 0; n < ISAC_RADIO_MAX_APS; n++) {
        free(p->dp_ref[n]);
        free(p->dp_mf[n]);
    }
    free(p);
}

static double oracle_noise_variance(struct oracle *p, unsigned n)
{
    unsigned M = p->info.rx_ap_elements[n];
    size_t k0 = p->K - p->noise_bins;
    double acc = 0;
    for (unsigned m = 0; m < M; m++) {
        const float complex *z = p->z[p->ap_first[n] + m];
        for (size_t k = k0; k < p->K; k++)
            acc += crealf(z[k]) * crealf(z[k]) + cimagf(z[k]) * cimagf(z[k]);
    }
    double v = acc / ((double)M * p->noise_bins);
    return v > 1e-30 ? v : 1e-30;
}

static void oracle_cancel(struct oracle *p, const float complex *const *rx, unsigned n)
{
    const float complex *ref = p->dp_ref[n], *c = p->dp_mf[n];
    if (!(p->dp_energy[n] > 0))
        return;
    for (unsigned m = 0; m < p->info.rx_ap_elements[n]; m++) {
        unsigned ch = p->ap_first[n] + m;
        double complex acc = 0;
        for (size_t t = 0; t < p->W; t++)
            acc += (double complex)rx[ch][t] * conj((double complex)ref[t]);
        float complex g = (float complex)(acc / p->dp_energy[n]);
        float complex *z = p->z[ch];
        for (size_t k = 0; k < p->K; k++)
            z[k] -= g * c[k];
    }
}

static double oracle_tail(double lambda, unsigned n_aps)
{
    return n_aps ? gsl_sf_gamma_inc_Q((double)n_aps, lambda > 0 ? lambda : 0.0) : 1.0;
}

static void oracle_local(struct oracle *p, const struct isac_pipeline_focus *f,
                         struct isac_pipeline_result *res)
{
    size_t best = SIZE_MAX, nlocal = 0;
    double best_tail = 2.0;
    for (size_t c = 0; c < (size_t)p->nx * p->ny; c++) {
        double x, y;
        isac_grid_cell_center(p->grid, c, &x, &y);
        unsigned n = isac_grid_cell_num_aps(p->grid, c);
        if (!n || hypot(x - f->x, y - f->y) > f->radius_m)
            continue;
        nlocal++;
        double t = oracle_tail(p->stat[c], n);
        if (t < best_tail) {
            best_tail = t;
            best = c;
        }
    }
    if (best == SIZE_MAX)
        return;
    res->num_aps = isac_grid_cell_num_aps(p->grid, best);
    res->lambda = p->stat[best];
    res->threshold = p->thr[best];
    isac_grid_cell_center(p->grid, best, &res->x, &res->y);
    res->detected = best_tail < p->pfa / (double)nlocal;
}

static const float complex *const *oracle_correct(struct oracle *p, const float complex *const *rx)
{
    for (unsigned ch = 0; ch < p->info.num_rx; ch++) {
        memset(p->rxc[ch], 0, p->W * sizeof *p->rxc[ch]);
        isac_fdelay_add(p->rxc[ch], p->W, rx[ch], p->W, p->cal->rx_delay[ch],
                        (double complex)p->cal->rx_weight[ch], 0.0);
    }
    return (const float complex *const *)p->rxc;
}

static int oracle_process(struct oracle *p, const float complex *const *rx, unsigned beam,
                          const struct isac_pipeline_focus *focus, struct isac_pipeline_result *res)
{
    memset(res, 0, sizeof *res);
    res->beam = beam;
    res->confirm = focus != NULL;
    if (p->cal)
        rx = oracle_correct(p, rx);
    int rc = isac_mf_execute_multi(p->mf, p->info.num_rx, rx, p->z);
    if (rc)
        return rc;
    for (unsigned n = 0; n < p->info.num_rx_aps; n++) {
        if (p->dp_cancel)
            oracle_cancel(p, rx, n);
        res->noise_var[n] = oracle_noise_variance(p, n);
    }
    struct isac_grid_best best;
    rc = isac_grid_execute(p->grid, (const float complex *const *const *)p->zap, res->noise_var,
                           p->stat, p->det, &best);
    if (rc)
        return rc;
    size_t cells = (size_t)p->nx * p->ny;
    for (size_t c = 0; c < cells; c++)
        res->cells_over += p->det[c];
    if (focus) {
        oracle_local(p, focus, res);
    } else {
        res->detected =
            best.n_aps > 0 && best.log10_p < log10(p->pfa) - log10((double)p->cells_seen);
        res->lambda = best.stat;
        res->threshold = best.threshold;
        res->num_aps = best.n_aps;
        res->x = best.x;
        res->y = best.y;
    }
    double delta = 2.0 * res->lambda - 2.0 * res->num_aps;
    res->pd = res->detected ? isac_glrt_pd(res->num_aps, p->pfa, delta > 0 ? delta : 0.0) : 0.0;
    return ISAC_OK;
}

#endif
