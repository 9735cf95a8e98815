#include "exp/pipeline.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_sf_gamma.h>

#include "common/err.h"
#include "detect/glrt.h"
#include "detect/grid.h"
#include "dsp/fdelay.h"
#include "geom/geom.h"
#include "mf/mf.h"
#include "waveform/waveform.h"

/* Cells beyond this angle from an AP's broadside are not searched by that AP: a ULA
 * has no resolution (and a mirror-image ambiguity) near endfire. */
#define PIPELINE_MAX_ANGLE (80.0 * M_PI / 180.0)

struct pipeline_s {
    struct radio_info info;
    codebook cb; /* borrowed */
    double pfa;
    unsigned noise_bins;
    size_t L, W, K;
    float complex *probe;                     /* L */
    float complex **tx;                       /* num_tx x L */
    float complex **rx;                       /* num_rx x W */
    float complex **z;                        /* num_rx x K */
    const float complex **zap[RADIO_MAX_APS]; /* per-AP views into z */
    unsigned ap_first[RADIO_MAX_APS];
    mf mf;
    grid grid;
    unsigned nx, ny;
    size_t cells_seen; /* cells seen by at least one AP */
    float *stat, *thr;
    uint8_t *det;
    /* Direct-path (TX -> RX AP leakage) cancellation: per AP, the probe delayed by the
     * geometric direct delay (W samples), its energy, and its matched-filter output. */
    int dp_cancel;
    float complex *dp_ref[RADIO_MAX_APS];
    float complex *dp_mf[RADIO_MAX_APS];
    double dp_energy[RADIO_MAX_APS];
    struct radio_rx_md md;
    /* Calibration (NULL: the raw chain, bit for bit as before calibration existed). */
    struct exp_config cfg; /* kept to rebuild the grid at a new lag0_delay */
    struct pipeline_calibration *cal;
    size_t Ltx;          /* TX burst length: L, or L + the TX delay margin */
    float complex **rxc; /* num_rx x W: corrected windows */
};

static float complex **alloc_rows(unsigned rows, size_t n)
{
    float complex **p = calloc(rows, sizeof *p);
    for (unsigned i = 0; p && i < rows; i++)
        if (!(p[i] = calloc(n, sizeof **p))) {
            for (unsigned j = 0; j < i; j++)
                free(p[j]);
            free(p);
            return NULL;
        }
    return p;
}

static void free_rows(float complex **p, unsigned rows)
{
    for (unsigned i = 0; p && i < rows; i++)
        free(p[i]);
    free(p);
}

static int make_probe(pipeline p, const struct exp_config *cfg, char *err, size_t errlen)
{
    struct waveform_params wp = {.length = cfg->waveform.length,
                                 .root = cfg->waveform.root,
                                 .bandwidth = cfg->waveform.bandwidth};
    char why[256] = "unknown kind";
    int rc = waveform_kind_parse(cfg->waveform.kind, &wp.kind);
    if (rc == ISAC_OK && wp.kind == WAVEFORM_MSEQ)
        wp.degree = (unsigned)lround(log2(cfg->waveform.length + 1.0));
    if (rc || waveform_validate(&wp, why, sizeof why)) {
        isac_seterr(err, errlen, "waveform: %s", why);
        return ISAC_EINVAL;
    }
    p->L = waveform_length(&wp);
    p->probe = malloc(p->L * sizeof *p->probe);
    return p->probe && waveform_generate(&wp, p->probe) == ISAC_OK ? ISAC_OK : ISAC_ENOMEM;
}

/* Real correlation coefficient of MF noise in adjacent bins: Re sum s[n+1] s*[n] / ||s||^2
 * (what the grid's linear delay interpolation needs to keep P_FA exact). */
static double adjacent_bin_correlation(const float complex *s, size_t L)
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

static int make_grid(pipeline p, const struct exp_config *cfg, double lag0, char *err,
                     size_t errlen)
{
    const struct radio_info *in = &p->info;
    array arr[RADIO_MAX_APS] = {0};
    int rc = ISAC_OK;
    for (unsigned n = 0; n < in->num_rx_aps; n++)
        if (!(arr[n] = radio_rx_array(in, n)))
            rc = ISAC_EINVAL;
    p->nx = (unsigned)floor((cfg->grid.x_max - cfg->grid.x_min) / cfg->grid.spacing_m) + 1;
    p->ny = (unsigned)floor((cfg->grid.y_max - cfg->grid.y_min) / cfg->grid.spacing_m) + 1;
    struct grid_spec gs = {cfg->grid.x_min,     cfg->grid.y_min, cfg->grid.spacing_m,
                           cfg->grid.spacing_m, p->nx,           p->ny};
    struct grid_config gc = {.tx = in->tx_ap,
                             .N = in->num_rx_aps,
                             .rx = in->rx_ap,
                             .arr = (const array *)arr,
                             .K = p->K,
                             .fs = in->sample_rate,
                             .lag0_delay = lag0,
                             .max_angle = PIPELINE_MAX_ANGLE,
                             .pfa = p->pfa,
                             .interp = GRID_INTERP_LINEAR,
                             .rho1 = adjacent_bin_correlation(p->probe, p->L),
                             .baseline_guard_m = cfg->grid.baseline_guard_m};
    if (rc == ISAC_OK && !(p->grid = grid_create(&gc, &gs))) {
        isac_seterr(err, errlen, "grid: cannot build a %ux%u position grid for this radio", p->nx,
                    p->ny);
        rc = ISAC_EINVAL;
    }
    for (unsigned n = 0; n < in->num_rx_aps; n++)
        array_destroy(arr[n]);
    size_t cells = (size_t)p->nx * p->ny;
    p->stat = malloc(cells * sizeof *p->stat);
    p->thr = malloc(cells * sizeof *p->thr);
    p->det = malloc(cells);
    if (rc == ISAC_OK && (!p->stat || !p->thr || !p->det))
        rc = ISAC_ENOMEM;
    for (size_t c = 0; rc == ISAC_OK && c < cells; c++) {
        p->thr[c] = (float)grid_thresholds(p->grid)[c];
        p->cells_seen += grid_cell_num_aps(p->grid, c) > 0;
    }
    if (rc == ISAC_OK && p->cells_seen == 0) {
        isac_seterr(err, errlen, "grid: no cell is seen by any receive AP");
        rc = ISAC_EINVAL;
    }
    return rc;
}

static int check_radio(const struct radio_info *in, codebook cb, char *err, size_t errlen)
{
    unsigned sum = 0;
    for (unsigned n = 0; n < in->num_rx_aps && n < RADIO_MAX_APS; n++)
        sum += in->rx_ap_elements[n];
    if (in->num_rx_aps < 1 || in->num_rx_aps > RADIO_MAX_APS || sum != in->num_rx ||
        in->num_tx < 1 || !(in->sample_rate > 0)) {
        isac_seterr(err, errlen,
                    "radio: %u RX channels in %u arrays, %u TX: not a usable array layout",
                    in->num_rx, in->num_rx_aps, in->num_tx);
        return ISAC_EINVAL;
    }
    if (codebook_elements(cb) != in->num_tx) {
        isac_seterr(err, errlen, "codebook: %u elements but the radio has %u TX channels",
                    codebook_elements(cb), in->num_tx);
        return ISAC_EINVAL;
    }
    return ISAC_OK;
}

/* The leakage of AP n is the probe at the direct TX -> RX_n delay with an unknown complex
 * gain per channel: keep that reference and its MF output so process() can project it
 * out (least squares, one complex gain per channel). */
static int make_direct_path(pipeline p, double lag0)
{
    for (unsigned n = 0; p->dp_cancel && n < p->info.num_rx_aps; n++) {
        const struct geom_ap *tx = &p->info.tx_ap, *rx = &p->info.rx_ap[n];
        double d = geom_dist(tx->x, tx->y, rx->x, rx->y) / GEOM_C0 * p->info.sample_rate + lag0;
        free(p->dp_ref[n]);
        free(p->dp_mf[n]);
        p->dp_ref[n] = calloc(p->W, sizeof *p->dp_ref[n]);
        p->dp_mf[n] = calloc(p->K, sizeof *p->dp_mf[n]);
        if (!p->dp_ref[n] || !p->dp_mf[n])
            return ISAC_ENOMEM;
        fdelay_add(p->dp_ref[n], p->W, p->probe, p->L, d, 1.0, 0.0);
        double e = 0;
        for (size_t t = 0; t < p->W; t++)
            e += crealf(p->dp_ref[n][t] * conjf(p->dp_ref[n][t]));
        p->dp_energy[n] = e;
        mf_execute(p->mf, p->dp_ref[n], p->dp_mf[n]);
    }
    return ISAC_OK;
}

/* Apply n config positions want[] to the radio's have[] (see exp_array_apply). */
static int apply_positions(const double *want, unsigned n, double *have, unsigned size,
                           int nominal, const char *key, int ap, char *err, size_t errlen)
{
    char where[24];
    snprintf(where, sizeof where, ap < 0 ? "TX array" : "RX AP %d", ap);
    if (n != size) {
        isac_seterr(err, errlen, "array.%s: %u positions for the %s of %u elements", key, n,
                    where, size);
        return ISAC_EINVAL;
    }
    for (unsigned m = 0; m < n && !nominal; m++)
        if (fabs(want[m] - have[m]) > 1e-9) {
            isac_seterr(err, errlen,
                        "array.%s[%u]: %g differs from the radio's element position %g "
                        "wavelengths (%s; the radio's geometry is the truth)",
                        key, m, want[m], have[m], where);
            return ISAC_EINVAL;
        }
    memcpy(have, want, n * sizeof *want);
    return ISAC_OK;
}

int exp_array_apply(const struct exp_config *cfg, struct radio_info *info, char *err,
                    size_t errlen)
{
    const struct exp_array_cfg *a = &cfg->array;
    int nom = info->positions_nominal, rc = ISAC_OK;
    if (a->n_tx)
        rc = apply_positions(a->tx_positions_wl, a->n_tx, info->tx_pos_wl, info->num_tx, nom,
                             "tx_positions_wl", -1, err, errlen);
    for (unsigned n = 0; rc == ISAC_OK && a->n_rx && n < info->num_rx_aps; n++)
        rc = apply_positions(a->rx_positions_wl, a->n_rx,
                             info->rx_pos_wl + radio_rx_first_channel(info, n),
                             info->rx_ap_elements[n], nom, "rx_positions_wl", (int)n, err, errlen);
    return rc;
}

pipeline pipeline_create(const struct exp_config *cfg, const struct radio_info *info, codebook cb,
                         double pfa, char *err, size_t errlen)
{
    if (check_radio(info, cb, err, errlen))
        return NULL;
    pipeline p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    p->info = *info;
    if (exp_array_apply(cfg, &p->info, err, errlen)) {
        free(p);
        return NULL;
    }
    p->cb = cb;
    p->pfa = pfa;
    p->noise_bins = cfg->noise_bins;
    int rc = make_probe(p, cfg, err, errlen);
    if (rc)
        goto fail;
    p->W = p->L + cfg->window_guard;
    p->K = p->W - p->L + 1;
    p->tx = alloc_rows(info->num_tx, p->L);
    p->rx = alloc_rows(info->num_rx, p->W);
    p->z = alloc_rows(info->num_rx, p->K);
    p->mf = mf_create(p->probe, p->L, p->W, MF_PLAN_ESTIMATE);
    if (!p->tx || !p->rx || !p->z || !p->mf) {
        isac_seterr(err, errlen, "pipeline: out of memory");
        goto fail;
    }
    for (unsigned n = 0, ch = 0; n < info->num_rx_aps; ch += info->rx_ap_elements[n++]) {
        p->ap_first[n] = ch;
        p->zap[n] = (const float complex **)(p->z + ch);
    }
    p->dp_cancel = cfg->direct_path_cancel;
    p->cfg = *cfg;
    p->Ltx = p->L;
    if (make_grid(p, cfg, 0.0, err, errlen) == ISAC_OK && make_direct_path(p, 0.0) == ISAC_OK)
        return p;
fail:
    pipeline_destroy(p);
    return NULL;
}

void pipeline_destroy(pipeline p)
{
    if (!p)
        return;
    free(p->probe);
    free_rows(p->tx, p->info.num_tx);
    free_rows(p->rx, p->info.num_rx);
    free_rows(p->rxc, p->info.num_rx);
    free(p->cal);
    free_rows(p->z, p->info.num_rx);
    mf_destroy(p->mf);
    grid_destroy(p->grid);
    free(p->stat);
    free(p->thr);
    free(p->det);
    for (unsigned n = 0; n < RADIO_MAX_APS; n++) {
        free(p->dp_ref[n]);
        free(p->dp_mf[n]);
    }
    free(p);
}

size_t pipeline_window_length(pipeline p)
{
    return p->W;
}
size_t pipeline_probe_length(pipeline p)
{
    return p->L;
}
const float complex *pipeline_probe(pipeline p)
{
    return p->probe;
}
unsigned pipeline_num_rx(pipeline p)
{
    return p->info.num_rx;
}
float complex *const *pipeline_rx(pipeline p)
{
    return p->rx;
}
const struct radio_rx_md *pipeline_rx_md(pipeline p)
{
    return &p->md;
}

void pipeline_grid(pipeline p, unsigned *nx, unsigned *ny, const float **lambda,
                   const float **threshold)
{
    *nx = p->nx;
    *ny = p->ny;
    *lambda = p->stat;
    *threshold = p->thr;
}

/* TX channel k: tx_weight[k] w_q[k] s(t - tx_delay[k]) over Ltx samples. */
static int compose_calibrated(pipeline p, unsigned beam)
{
    const float complex *w = codebook_weights(p->cb, beam);
    for (unsigned k = 0; k < p->info.num_tx; k++) {
        memset(p->tx[k], 0, p->Ltx * sizeof *p->tx[k]);
        fdelay_add(p->tx[k], p->Ltx, p->probe, p->L, p->cal->tx_delay[k],
                   (double complex)(p->cal->tx_weight[k] * w[k]), 0.0);
    }
    return ISAC_OK;
}

int pipeline_step(pipeline p, radio r, unsigned beam, int64_t t0,
                  const struct pipeline_focus *focus, struct pipeline_result *res)
{
    if (beam >= codebook_size(p->cb))
        return ISAC_EINVAL;
    int rc = p->cal ? compose_calibrated(p, beam)
                    : waveform_compose(NULL, NULL, 0, p->probe, codebook_weights(p->cb, beam),
                                       p->info.num_tx, p->L, p->tx);
    if (rc == ISAC_OK)
        rc = radio_tx_burst(r, t0, (const float complex *const *)p->tx, p->Ltx);
    memset(&p->md, 0, sizeof p->md);
    if (rc == ISAC_OK)
        rc = radio_rx_capture(r, t0, p->rx, p->W, &p->md);
    if (rc != ISAC_OK)
        return rc;
    rc = pipeline_process(p, (const float complex *const *)p->rx, beam, focus, res);
    res->tick = t0;
    res->dropped = p->md.dropped_samples;
    return rc;
}

/* Per-element noise variance of AP n from the last noise_bins MF lags, which lie
 * beyond every echo of the scene (window_guard is chosen so). */
static double noise_variance(pipeline p, unsigned n)
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

/* Project the direct path out of every channel of AP n: g = <x, r> / <r, r>, z -= g MF(r). */
static void cancel_direct_path(pipeline p, const float complex *const *rx, unsigned n)
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

/* H0 tail of a cell: P(Gamma(N, 1) > Lambda), 1 for a cell no AP sees. */
static double cell_tail(double lambda, unsigned n_aps)
{
    return n_aps ? gsl_sf_gamma_inc_Q((double)n_aps, lambda > 0 ? lambda : 0.0) : 1.0;
}

/* Confirmation: only the cells within focus->radius_m of the declared position, each at
 * the paper's per-cell P_FA, Bonferroni over that small neighbourhood. */
static void decide_local(pipeline p, const struct pipeline_focus *f, struct pipeline_result *res)
{
    size_t best = SIZE_MAX, nlocal = 0;
    double best_tail = 2.0;
    for (size_t c = 0; c < (size_t)p->nx * p->ny; c++) {
        double x, y;
        grid_cell_center(p->grid, c, &x, &y);
        unsigned n = grid_cell_num_aps(p->grid, c);
        if (!n || hypot(x - f->x, y - f->y) > f->radius_m)
            continue;
        nlocal++;
        double t = cell_tail(p->stat[c], n);
        if (t < best_tail) {
            best_tail = t;
            best = c;
        }
    }
    if (best == SIZE_MAX)
        return;
    res->num_aps = grid_cell_num_aps(p->grid, best);
    res->lambda = p->stat[best];
    res->threshold = p->thr[best];
    grid_cell_center(p->grid, best, &res->x, &res->y);
    res->detected = best_tail < p->pfa / (double)nlocal;
}

/* y'_ch(t) = rx_weight[ch] y_ch(t - rx_delay[ch]) into the pipeline's own rows. */
static const float complex *const *correct_rx(pipeline p, const float complex *const *rx)
{
    for (unsigned ch = 0; ch < p->info.num_rx; ch++) {
        memset(p->rxc[ch], 0, p->W * sizeof *p->rxc[ch]);
        fdelay_add(p->rxc[ch], p->W, rx[ch], p->W, p->cal->rx_delay[ch],
                   (double complex)p->cal->rx_weight[ch], 0.0);
    }
    return (const float complex *const *)p->rxc;
}

static int cal_check(pipeline p, const struct pipeline_calibration *c, char *err, size_t errlen)
{
    if (c->num_rx != p->info.num_rx || c->num_tx != p->info.num_tx) {
        isac_seterr(err, errlen, "calibration: %u RX / %u TX channels but the radio has %u / %u",
                    c->num_rx, c->num_tx, p->info.num_rx, p->info.num_tx);
        return ISAC_EINVAL;
    }
    for (unsigned ch = 0; ch < c->num_rx; ch++)
        if (!(cabsf(c->rx_weight[ch]) <= 1e3f) ||
            !(c->rx_delay[ch] >= 0 && c->rx_delay[ch] <= 64)) {
            isac_seterr(err, errlen, "calibration: RX channel %u: weight or delay %g out of range",
                        ch, c->rx_delay[ch]);
            return ISAC_EINVAL;
        }
    for (unsigned k = 0; k < c->num_tx; k++)
        if (!(cabsf(c->tx_weight[k]) <= 1e3f) || !(c->tx_delay[k] >= 0 && c->tx_delay[k] <= 64)) {
            isac_seterr(err, errlen, "calibration: TX channel %u: weight or delay %g out of range",
                        k, c->tx_delay[k]);
            return ISAC_EINVAL;
        }
    if (!(c->lag0_delay >= 0 && c->lag0_delay <= (double)(p->W - p->L) / 2)) {
        isac_seterr(err, errlen,
                    "calibration: system delay %g samples outside 0..%zu (window_guard / 2)",
                    c->lag0_delay, (p->W - p->L) / 2);
        return ISAC_EINVAL;
    }
    return ISAC_OK;
}

/* Rebuild the grid and the direct-path references for MF lag 0 at lag0 samples. */
static int rebuild_for_lag0(pipeline p, double lag0, char *err, size_t errlen)
{
    grid_destroy(p->grid);
    p->grid = NULL;
    free(p->stat);
    free(p->thr);
    free(p->det);
    p->stat = p->thr = NULL;
    p->det = NULL;
    p->cells_seen = 0;
    /* the echoes arrive lag0 samples late: MF lag 0 holds bistatic delay -lag0 (grid.h) */
    int rc = make_grid(p, &p->cfg, -lag0, err, errlen);
    return rc ? rc : make_direct_path(p, lag0);
}

int pipeline_set_calibration(pipeline p, const struct pipeline_calibration *cal, char *err,
                             size_t errlen)
{
    if (!p)
        return ISAC_EINVAL;
    if (cal && cal_check(p, cal, err, errlen))
        return ISAC_EINVAL;
    double maxd = 0;
    for (unsigned k = 0; cal && k < cal->num_tx; k++)
        maxd = fmax(maxd, cal->tx_delay[k]);
    size_t Ltx = cal ? p->L + (size_t)ceil(maxd) + FDELAY_HALF : p->L;
    float complex **tx = alloc_rows(p->info.num_tx, Ltx);
    float complex **rxc = cal && !p->rxc ? alloc_rows(p->info.num_rx, p->W) : NULL;
    struct pipeline_calibration *copy = cal ? malloc(sizeof *copy) : NULL;
    if (!tx || (cal && ((!rxc && !p->rxc) || !copy))) {
        free_rows(tx, p->info.num_tx);
        free_rows(rxc, p->info.num_rx);
        free(copy);
        isac_seterr(err, errlen, "pipeline: out of memory");
        return ISAC_ENOMEM;
    }
    free_rows(p->tx, p->info.num_tx);
    p->tx = tx;
    p->Ltx = Ltx;
    if (rxc)
        p->rxc = rxc;
    if (copy)
        *copy = *cal;
    double old = p->cal ? p->cal->lag0_delay : 0.0, lag0 = cal ? cal->lag0_delay : 0.0;
    free(p->cal);
    p->cal = copy;
    return lag0 != old ? rebuild_for_lag0(p, lag0, err, errlen) : ISAC_OK;
}

const struct pipeline_calibration *pipeline_get_calibration(pipeline p)
{
    return p->cal;
}

/* A NaN or Inf anywhere in a window would spread through the FFTs into every cell. */
static int window_is_finite(pipeline p, const float complex *const *rx)
{
    for (unsigned ch = 0; ch < p->info.num_rx; ch++) {
        const float *v = (const float *)rx[ch];
        for (size_t i = 0; i < 2 * p->W; i++)
            if (!isfinite(v[i]))
                return 0;
    }
    return 1;
}

int pipeline_process(pipeline p, const float complex *const *rx, unsigned beam,
                     const struct pipeline_focus *focus, struct pipeline_result *res)
{
    memset(res, 0, sizeof *res);
    res->beam = beam;
    res->confirm = focus != NULL;
    if (!window_is_finite(p, rx))
        return ISAC_EFORMAT;
    if (p->cal)
        rx = correct_rx(p, rx);
    int rc = mf_execute_multi(p->mf, p->info.num_rx, rx, p->z);
    if (rc)
        return rc;
    for (unsigned n = 0; n < p->info.num_rx_aps; n++) {
        if (p->dp_cancel)
            cancel_direct_path(p, rx, n);
        res->noise_var[n] = noise_variance(p, n);
    }
    struct grid_best best;
    rc = grid_execute(p->grid, (const float complex *const *const *)p->zap, res->noise_var, p->stat,
                      p->det, &best);
    if (rc)
        return rc;
    size_t cells = (size_t)p->nx * p->ny;
    for (size_t c = 0; c < cells; c++)
        res->cells_over += p->det[c];
    if (focus) {
        decide_local(p, focus, res);
    } else {
        /* The per-cell CFAR test (seed 004 eq. (18)) runs in every cell, so a noise-only
         * grid of C cells shows about C * pfa false cells per CPI. Declaring "a target is
         * here" needs a grid-wide false-alarm probability of pfa: Bonferroni over the
         * cells, i.e. the best cell's H0 tail below pfa / C. */
        res->detected =
            best.n_aps > 0 && best.log10_p < log10(p->pfa) - log10((double)p->cells_seen);
        res->lambda = best.stat;
        res->threshold = best.threshold;
        res->num_aps = best.n_aps;
        res->x = best.x;
        res->y = best.y;
    }
    /* P_D of the paper's per-cell detector (eq. (24)) at the bias-corrected plug-in
     * non-centrality of 2*Lambda (E[2 Lambda] = 2N + delta); 0 without a detection, since
     * the best cell of a noise-only grid would otherwise report a sizeable P_D. */
    double delta = 2.0 * res->lambda - 2.0 * res->num_aps;
    res->pd = res->detected ? glrt_pd(res->num_aps, p->pfa, delta > 0 ? delta : 0.0) : 0.0;
    return ISAC_OK;
}
