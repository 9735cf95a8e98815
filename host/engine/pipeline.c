#include "engine/pipeline.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/pool.h"
#include "common/rows.h"
#include "detect/ap_unit.h"
#include "detect/fusion.h"
#include "dsp/fdelay.h"
#include "dsp/waveform.h"

/* Cells beyond this angle from an AP's broadside are not searched by that AP: a ULA
 * has no resolution (and a mirror-image ambiguity) near endfire. */
#define PIPELINE_MAX_ANGLE (80.0 * M_PI / 180.0)
/* grid.h's limit on cells x elements over all APs, kept although each unit checks its own */
#define PIPELINE_MAX_GRID_WORK (1ull << 28)

struct isac_pipeline_s {
    struct isac_radio_info info;
    isac_codebook cb; /* borrowed */
    double pfa;
    size_t L, W;
    float complex *probe; /* L */
    float complex **tx;   /* num_tx x L */
    float complex **rx;   /* num_rx x W */
    unsigned ap_first[ISAC_RADIO_MAX_APS];
    /* One unit per receive AP (its channels, calibration slice, geometry) and one fusion:
     * the seam along which processing can move to threads or hosts (DESIGN.md). */
    isac_ap_unit unit[ISAC_RADIO_MAX_APS];
    struct isac_ap_unit_out *out[ISAC_RADIO_MAX_APS];
    isac_fusion fusion;
    struct isac_fusion_config fcfg;
    uint64_t cpi;        /* label of the next processed window */
    uint32_t plan_label; /* the units' beam label: the plan's codebook index, else UINT32_MAX */
    unsigned nx, ny;
    struct isac_radio_rx_md md;
    int64_t next_t0; /* isac_pipeline_set_next_window: announced after the next capture */
    int have_next;
    /* Calibration (NULL: the raw chain, bit for bit as before calibration existed). */
    struct isac_exp_config cfg; /* kept to rebuild the units for a new calibration */
    struct isac_chan_correction *cal;
    size_t Ltx; /* TX burst length: L, or L + the TX delay margin */
    /* Transmit plans: the comm streams (made on first use), the stream table handed to
     * isac_tx_plan_compose, and the per-element composition before calibration. */
    float complex *comm[ISAC_PLAN_MAX_COMM];
    const float complex *u[ISAC_PLAN_MAX_COMM + 1];
    float complex **xs; /* num_tx x L, calibrated plans with comm streams only */
    char errmsg[256];
    isac_pool pool;                  /* NULL: units run in the caller */
    int unit_rc[ISAC_RADIO_MAX_APS]; /* per-unit status of the CPI being processed */
    const float complex *const *prx; /* the windows of the CPI being processed */
    int moved; /* the last plan moved the TX elements away from info.tx_pos_wl */
    /* isactb fuse: the blocks of a live step come from the nodes (isac_pipeline_set_source) */
    struct isac_pipeline_source src;
    int have_src;
    /* replay of a fuse's capture: APs the recording marks missing (isac_pipeline_set_absent) */
    uint32_t (*absent)(void *ctx);
    void *absent_ctx;
    uint32_t absent_next;
};

int isac_exp_probe_generate(const struct isac_exp_config *cfg, float complex **probe, size_t *L,
                            char *err, size_t errlen)
{
    struct isac_waveform_params wp = {.length = cfg->waveform.length,
                                      .root = cfg->waveform.root,
                                      .bandwidth = cfg->waveform.bandwidth};
    char why[256] = "unknown kind";
    *probe = NULL;
    int rc = isac_waveform_kind_parse(cfg->waveform.kind, &wp.kind);
    if (rc == ISAC_OK && wp.kind == ISAC_WAVEFORM_MSEQ)
        wp.degree = (unsigned)lround(log2(cfg->waveform.length + 1.0));
    if (rc || isac_waveform_validate(&wp, why, sizeof why)) {
        isac_seterr(err, errlen, "waveform: %s", why);
        return ISAC_EINVAL;
    }
    *L = isac_waveform_length(&wp);
    *probe = malloc(*L * sizeof **probe);
    if (*probe && isac_waveform_generate(&wp, *probe) == ISAC_OK)
        return ISAC_OK;
    free(*probe);
    *probe = NULL;
    isac_seterr(err, errlen, "waveform: out of memory");
    return ISAC_ENOMEM;
}

static int make_probe(isac_pipeline p, const struct isac_exp_config *cfg, char *err, size_t errlen)
{
    return isac_exp_probe_generate(cfg, &p->probe, &p->L, err, errlen);
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

static void destroy_units(isac_pipeline p)
{
    for (unsigned n = 0; n < ISAC_RADIO_MAX_APS; n++) {
        isac_ap_unit_destroy(p->unit[n]);
        isac_ap_unit_out_destroy(p->out[n]);
        p->unit[n] = NULL;
        p->out[n] = NULL;
    }
    isac_fusion_destroy(p->fusion);
    p->fusion = NULL;
}

/* AP n's unit: its array, poses, the probe, and its slice of the calibration. */
static isac_ap_unit make_unit(isac_pipeline p, unsigned n, const struct isac_grid_spec *gs,
                              double rho1)
{
    const struct isac_radio_info *in = &p->info;
    const struct isac_exp_config *cfg = &p->cfg;
    unsigned ch = p->ap_first[n];
    struct isac_ap_unit_calibration cal = {0};
    if (p->cal)
        cal = (struct isac_ap_unit_calibration){p->cal->rx_weight + ch, p->cal->rx_delay + ch};
    isac_array arr = isac_radio_rx_array(in, n);
    struct isac_ap_unit_config uc = {.ap = n,
                                     .arr = arr,
                                     .tx = in->tx_ap,
                                     .rx = in->rx_ap[n],
                                     .fs = in->sample_rate,
                                     .probe = p->probe,
                                     .L = p->L,
                                     .W = p->W,
                                     .noise_bins = cfg->noise_bins,
                                     .direct_path_cancel = cfg->direct_path_cancel,
                                     .cal = p->cal ? &cal : NULL,
                                     .lag0_delay = p->cal ? p->cal->lag0_delay : 0.0,
                                     .spec = *gs,
                                     .max_angle = PIPELINE_MAX_ANGLE,
                                     .interp = ISAC_GRID_INTERP_LINEAR,
                                     .rho1 = rho1,
                                     .baseline_guard_m = cfg->grid.baseline_guard_m};
    isac_ap_unit u = arr ? isac_ap_unit_create(&uc) : NULL;
    isac_array_destroy(arr);
    return u;
}

static size_t cells_seen(isac_pipeline p)
{
    size_t cells = (size_t)p->nx * p->ny, seen = 0;
    for (size_t c = 0; c < cells; c++) {
        int any = 0;
        for (unsigned n = 0; n < p->info.num_rx_aps; n++)
            any |= isac_ap_unit_visibility(p->unit[n])[c];
        seen += any;
    }
    return seen;
}

/* Units for every receive AP and the fusion over them, for the current calibration
 * (units are created one after the other: FFTW planning is not thread-safe). */
static int make_units(isac_pipeline p, char *err, size_t errlen)
{
    const struct isac_exp_config *cfg = &p->cfg;
    const struct isac_radio_info *in = &p->info;
    p->nx = (unsigned)floor((cfg->grid.x_max - cfg->grid.x_min) / cfg->grid.spacing_m) + 1;
    p->ny = (unsigned)floor((cfg->grid.y_max - cfg->grid.y_min) / cfg->grid.spacing_m) + 1;
    struct isac_grid_spec gs = {cfg->grid.x_min,     cfg->grid.y_min, cfg->grid.spacing_m,
                                cfg->grid.spacing_m, p->nx,           p->ny};
    p->fcfg = (struct isac_fusion_config){.N = in->num_rx_aps, .spec = gs, .pfa = p->pfa};
    double rho1 = adjacent_bin_correlation(p->probe, p->L);
    int ok = (unsigned long long)p->nx * p->ny * in->num_rx <= PIPELINE_MAX_GRID_WORK;
    for (unsigned n = 0; ok && n < in->num_rx_aps; n++)
        ok = (p->unit[n] = make_unit(p, n, &gs, rho1)) != NULL;
    if (!ok) {
        isac_seterr(err, errlen, "grid: cannot build a %ux%u position grid for this radio", p->nx,
                    p->ny);
        return ISAC_EINVAL;
    }
    for (unsigned n = 0; n < in->num_rx_aps; n++)
        if (!(p->out[n] = isac_ap_unit_out_create(p->unit[n])))
            return ISAC_ENOMEM;
    if (!(p->fusion = isac_fusion_create(&p->fcfg)))
        return ISAC_ENOMEM;
    if (cells_seen(p) == 0) {
        isac_seterr(err, errlen, "grid: no cell is seen by any receive AP");
        return ISAC_EINVAL;
    }
    return ISAC_OK;
}

static int check_radio(const struct isac_radio_info *in, isac_codebook cb, char *err, size_t errlen)
{
    unsigned sum = 0;
    for (unsigned n = 0; n < in->num_rx_aps && n < ISAC_RADIO_MAX_APS; n++)
        sum += in->rx_ap_elements[n];
    if (in->num_rx_aps < 1 || in->num_rx_aps > ISAC_RADIO_MAX_APS || sum != in->num_rx ||
        in->num_tx < 1 || !(in->sample_rate > 0)) {
        isac_seterr(err, errlen,
                    "radio: %u RX channels in %u arrays, %u TX: not a usable array layout",
                    in->num_rx, in->num_rx_aps, in->num_tx);
        return ISAC_EINVAL;
    }
    if (isac_codebook_elements(cb) != in->num_tx) {
        isac_seterr(err, errlen, "codebook: %u elements but the radio has %u TX channels",
                    isac_codebook_elements(cb), in->num_tx);
        return ISAC_EINVAL;
    }
    return ISAC_OK;
}

/* Apply n config positions want[] to the radio's have[] (see isac_exp_array_apply). */
static int apply_positions(const double *want, unsigned n, double *have, unsigned size, int nominal,
                           const char *key, int ap, char *err, size_t errlen)
{
    char where[24];
    snprintf(where, sizeof where, ap < 0 ? "TX array" : "RX AP %d", ap);
    if (n != size) {
        isac_seterr(err, errlen, "array.%s: %u positions for the %s of %u elements", key, n, where,
                    size);
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

int isac_exp_array_apply(const struct isac_exp_config *cfg, struct isac_radio_info *info, char *err,
                         size_t errlen)
{
    const struct isac_exp_array_cfg *a = &cfg->array;
    int nom = info->positions_nominal, rc = ISAC_OK;
    if (a->n_tx)
        rc = apply_positions(a->tx_positions_wl, a->n_tx, info->tx_pos_wl, info->num_tx, nom,
                             "tx_positions_wl", -1, err, errlen);
    for (unsigned n = 0; rc == ISAC_OK && a->n_rx && n < info->num_rx_aps; n++)
        rc = apply_positions(a->rx_positions_wl, a->n_rx,
                             info->rx_pos_wl + isac_radio_rx_first_channel(info, n),
                             info->rx_ap_elements[n], nom, "rx_positions_wl", (int)n, err, errlen);
    return rc;
}

isac_pipeline isac_pipeline_create(const struct isac_exp_config *cfg,
                                   const struct isac_radio_info *info, isac_codebook cb, double pfa,
                                   char *err, size_t errlen)
{
    if (check_radio(info, cb, err, errlen))
        return NULL;
    isac_pipeline p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    p->plan_label = UINT32_MAX;
    p->info = *info;
    if (isac_exp_array_apply(cfg, &p->info, err, errlen)) {
        free(p);
        return NULL;
    }
    p->cb = cb;
    p->pfa = pfa;
    int rc = make_probe(p, cfg, err, errlen);
    if (rc)
        goto fail;
    p->W = p->L + cfg->window_guard;
    p->tx = isac_rows_alloc(info->num_tx, p->L);
    p->rx = isac_rows_alloc(info->num_rx, p->W);
    if (!p->tx || !p->rx) {
        isac_seterr(err, errlen, "pipeline: out of memory");
        goto fail;
    }
    for (unsigned n = 0, ch = 0; n < info->num_rx_aps; ch += info->rx_ap_elements[n++])
        p->ap_first[n] = ch;
    p->cfg = *cfg;
    p->Ltx = p->L;
    if (make_units(p, err, errlen) == ISAC_OK)
        return p;
fail:
    isac_pipeline_destroy(p);
    return NULL;
}

void isac_pipeline_destroy(isac_pipeline p)
{
    if (!p)
        return;
    free(p->probe);
    isac_rows_free(p->tx, p->info.num_tx);
    isac_rows_free(p->rx, p->info.num_rx);
    isac_rows_free(p->xs, p->info.num_tx);
    for (unsigned k = 0; k < ISAC_PLAN_MAX_COMM; k++)
        free(p->comm[k]);
    free(p->cal);
    destroy_units(p);
    isac_pool_destroy(p->pool);
    free(p);
}

int isac_pipeline_set_threads(isac_pipeline p, unsigned threads)
{
    if (!p || threads > ISAC_POOL_MAX_THREADS)
        return ISAC_EINVAL;
    if (threads == 0)
        threads = isac_pool_online_cores();
    if (threads == isac_pipeline_threads(p))
        return ISAC_OK;
    isac_pool_destroy(p->pool);
    p->pool = NULL;
    if (threads > 1 && !(p->pool = isac_pool_create(threads)))
        return ISAC_ENOMEM;
    return ISAC_OK;
}

unsigned isac_pipeline_threads(isac_pipeline p)
{
    return isac_pool_threads(p->pool);
}

size_t isac_pipeline_window_length(isac_pipeline p)
{
    return p->W;
}
size_t isac_pipeline_probe_length(isac_pipeline p)
{
    return p->L;
}
const float complex *isac_pipeline_probe(isac_pipeline p)
{
    return p->probe;
}
float complex *const *isac_pipeline_rx(isac_pipeline p)
{
    return p->rx;
}
const struct isac_radio_rx_md *isac_pipeline_rx_md(isac_pipeline p)
{
    return &p->md;
}

void isac_pipeline_grid(isac_pipeline p, unsigned *nx, unsigned *ny, const float **lambda,
                        const float **threshold)
{
    *nx = p->nx;
    *ny = p->ny;
    *lambda = isac_fusion_stat(p->fusion);
    *threshold = isac_fusion_threshold(p->fusion);
}

const char *isac_pipeline_last_error(isac_pipeline p)
{
    return p->errmsg;
}

const float complex *const *isac_pipeline_tx(isac_pipeline p, size_t *len)
{
    *len = p->Ltx;
    return (const float complex *const *)p->tx;
}

const float complex *isac_pipeline_comm_stream(isac_pipeline p, unsigned k)
{
    if (k >= ISAC_PLAN_MAX_COMM)
        return NULL;
    if (!p->comm[k]) {
        /* one stream per index, fixed by the experiment seed: a replay transmits the same
         * symbols, and stream k does not depend on how many streams earlier plans used */
        struct isac_waveform_params wp = {.kind = ISAC_WAVEFORM_QPSK,
                                          .length = (unsigned)p->L,
                                          .seed = p->cfg.seed ^ (0x636f6d6d00000000ULL + k)};
        float complex *u = malloc(p->L * sizeof *u);
        if (u && isac_waveform_generate(&wp, u) != ISAC_OK) {
            free(u);
            u = NULL;
        }
        p->comm[k] = u;
    }
    return p->comm[k];
}

static int plan_refuse(isac_pipeline p, int rc, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(p->errmsg, sizeof p->errmsg, fmt, ap);
    va_end(ap);
    return rc;
}

/* What this pipeline can transmit: the radio's element count, one precoder for the band,
 * element positions only on a radio that can move its elements (ISAC_RADIO_CAP_MOVABLE; the
 * radio checks the spacing when isac_pipeline_step moves them), finite weights. */
static int plan_check(isac_pipeline p, const struct isac_tx_plan_s *plan)
{
    p->errmsg[0] = '\0';
    if (!plan)
        return plan_refuse(p, ISAC_EINVAL, "plan: none given");
    if (isac_tx_plan_num_tx(plan) != p->info.num_tx)
        return plan_refuse(p, ISAC_EINVAL, "plan: %u elements but the radio has %u TX channels",
                           isac_tx_plan_num_tx(plan), p->info.num_tx);
    if (isac_tx_plan_num_subcarriers(plan) != 1)
        return plan_refuse(p, ISAC_ENOTSUP,
                           "plan: %u per-subcarrier precoders, but the pipeline transmits one "
                           "precoder for the band",
                           isac_tx_plan_num_subcarriers(plan));
    /* Per-channel phases on a fixed array are not moved elements (docs/ma.md): without
     * ISAC_RADIO_CAP_MOVABLE the plan is refused, never approximated. A replay radiates
     * nothing; its plans' positions are checked against the recording instead. */
    if (isac_tx_plan_positions(plan) &&
        !(p->info.caps & (ISAC_RADIO_CAP_MOVABLE | ISAC_RADIO_CAP_REPLAY)))
        return plan_refuse(
            p, ISAC_ENOTSUP,
            "plan: element positions given, but the radio cannot move its "
            "elements (no ISAC_RADIO_CAP_MOVABLE; on a fixed dense array use element "
            "selection: isactb codebook ma --mode grid)");
    int b = isac_tx_plan_beam(plan);
    if (b >= 0 && (unsigned)b >= isac_codebook_size(p->cb))
        return plan_refuse(p, ISAC_EINVAL, "plan: beam %d outside the %u-beam codebook", b,
                           isac_codebook_size(p->cb));
    return isac_tx_plan_validate(plan, p->errmsg, sizeof p->errmsg);
}

/* The stream table of a plan: u[0..K-1] the comm streams, u[K] the probe. */
static int plan_streams(isac_pipeline p, const struct isac_tx_plan_s *plan)
{
    unsigned K = isac_tx_plan_num_comm(plan);
    for (unsigned k = 0; k < K; k++)
        if (!(p->u[k] = isac_pipeline_comm_stream(p, k)))
            return plan_refuse(p, ISAC_ENOMEM, "plan: out of memory for comm stream %u", k);
    p->u[K] = p->probe;
    return ISAC_OK;
}

/* Sensing stream only: element k radiates g_k s with g_k = W[k, K] sqrt(p_K), and the
 * calibration weight joins g_k in one product before the delay, which is the arithmetic
 * of the codebook chain (tx_weight[k] w_q[k]) bit for bit. */
static void compose_calibrated_sensing(isac_pipeline p, const struct isac_tx_plan_s *plan)
{
    const float complex *w = isac_tx_plan_stream_weights(plan, 0, 0);
    const uint8_t *act = isac_tx_plan_active(plan);
    const float sp = (float)sqrt(isac_tx_plan_powers_const(plan)[0]);
    for (unsigned k = 0; k < p->info.num_tx; k++) {
        const float complex g = act && !act[k] ? 0 : w[k] * sp;
        memset(p->tx[k], 0, p->Ltx * sizeof *p->tx[k]);
        isac_fdelay_add(p->tx[k], p->Ltx, p->probe, p->L, p->cal->tx_delay[k],
                        (double complex)(p->cal->tx_weight[k] * g), 0.0);
    }
}

/* TX channel k: tx_weight[k] x_k(t - tx_delay[k]) over Ltx samples, x_k the element's
 * composed plan signal. */
static int compose_calibrated(isac_pipeline p, const struct isac_tx_plan_s *plan)
{
    if (isac_tx_plan_num_comm(plan) == 0) {
        compose_calibrated_sensing(p, plan);
        return ISAC_OK;
    }
    if (!p->xs && !(p->xs = isac_rows_alloc(p->info.num_tx, p->L)))
        return plan_refuse(p, ISAC_ENOMEM, "plan: out of memory");
    int rc = isac_tx_plan_compose(plan, p->u, p->L, p->xs);
    for (unsigned k = 0; rc == ISAC_OK && k < p->info.num_tx; k++) {
        memset(p->tx[k], 0, p->Ltx * sizeof *p->tx[k]);
        isac_fdelay_add(p->tx[k], p->Ltx, p->xs[k], p->L, p->cal->tx_delay[k],
                        (double complex)p->cal->tx_weight[k], 0.0);
    }
    return rc;
}

/* A replay radio (ISAC_RADIO_CAP_REPLAY) radiates nothing: its plans are checked but not
 * composed into samples (7% of a replayed CPI's work went into bursts nobody read). */
static int compose(isac_pipeline p, const struct isac_tx_plan_s *plan)
{
    int rc = plan_check(p, plan);
    if (p->info.caps & ISAC_RADIO_CAP_REPLAY)
        return rc;
    if (rc == ISAC_OK)
        rc = plan_streams(p, plan);
    if (rc == ISAC_OK)
        rc = p->cal ? compose_calibrated(p, plan) : isac_tx_plan_compose(plan, p->u, p->L, p->tx);
    return rc;
}

/* Put the TX elements where the plan wants them; a plan without positions gets the
 * array's own back after a moved one. */
static int place_elements(isac_pipeline p, isac_radio r, const struct isac_tx_plan_s *plan)
{
    const double *pos = isac_tx_plan_positions(plan);
    if ((!pos && !p->moved) || (p->info.caps & ISAC_RADIO_CAP_REPLAY))
        return ISAC_OK;
    int rc = isac_radio_set_tx_positions(r, pos ? pos : p->info.tx_pos_wl, p->info.num_tx);
    if (rc)
        return plan_refuse(p, rc, "plan: element positions refused by the radio: %s",
                           isac_radio_last_error(r));
    p->moved = pos != NULL;
    return ISAC_OK;
}

static int step_from_source(isac_pipeline p, const struct isac_tx_plan_s *plan, int64_t t0,
                            const struct isac_pipeline_focus *focus,
                            struct isac_pipeline_result *res);

void isac_pipeline_set_next_window(isac_pipeline p, int64_t t0)
{
    p->next_t0 = t0;
    p->have_next = 1;
}

int isac_pipeline_step(isac_pipeline p, isac_radio r, const struct isac_tx_plan_s *plan, int64_t t0,
                       const struct isac_pipeline_focus *focus, struct isac_pipeline_result *res)
{
    if (p->have_src)
        return step_from_source(p, plan, t0, focus, res);
    int rc = compose(p, plan);
    if (rc == ISAC_OK)
        rc = place_elements(p, r, plan);
    if (rc == ISAC_OK && !(p->info.caps & ISAC_RADIO_CAP_REPLAY))
        rc = isac_radio_tx_burst(r, t0, (const float complex *const *)p->tx, p->Ltx);
    memset(&p->md, 0, sizeof p->md);
    if (rc == ISAC_OK)
        rc = isac_radio_rx_capture(r, t0, p->rx, p->W, &p->md);
    /* Double buffering: while this window (p->rx) is processed, the radio prepares the
     * next one (the emulator draws its noise). Never changes samples. */
    if (rc == ISAC_OK && p->have_next)
        isac_radio_prepare_rx(r, p->next_t0, p->W);
    p->have_next = 0;
    if (rc != ISAC_OK)
        return rc;
    p->absent_next = p->absent ? p->absent(p->absent_ctx) : 0;
    int b = isac_tx_plan_beam(plan);
    p->plan_label = b >= 0 ? (uint32_t)b : UINT32_MAX;
    rc = isac_pipeline_process(p, (const float complex *const *)p->rx, focus, res);
    res->beam = b;
    res->tick = t0;
    res->dropped = p->md.dropped_samples;
    return rc;
}

static int cal_check(isac_pipeline p, const struct isac_chan_correction *c, char *err,
                     size_t errlen)
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

int isac_pipeline_set_calibration(isac_pipeline p, const struct isac_chan_correction *cal,
                                  char *err, size_t errlen)
{
    if (!p)
        return ISAC_EINVAL;
    if (cal && cal_check(p, cal, err, errlen))
        return ISAC_EINVAL;
    double maxd = 0;
    for (unsigned k = 0; cal && k < cal->num_tx; k++)
        maxd = fmax(maxd, cal->tx_delay[k]);
    size_t Ltx = cal ? p->L + (size_t)ceil(maxd) + ISAC_FDELAY_HALF : p->L;
    float complex **tx = isac_rows_alloc(p->info.num_tx, Ltx);
    struct isac_chan_correction *copy = cal ? malloc(sizeof *copy) : NULL;
    if (!tx || (cal && !copy)) {
        isac_rows_free(tx, p->info.num_tx);
        free(copy);
        isac_seterr(err, errlen, "pipeline: out of memory");
        return ISAC_ENOMEM;
    }
    isac_rows_free(p->tx, p->info.num_tx);
    p->tx = tx;
    p->Ltx = Ltx;
    if (copy)
        *copy = *cal;
    free(p->cal);
    p->cal = copy;
    /* every unit holds its slice of the RX correction and the system delay */
    destroy_units(p);
    return make_units(p, err, errlen);
}

const struct isac_ap_unit_out *isac_pipeline_ap_output(isac_pipeline p, unsigned n)
{
    return n < p->info.num_rx_aps ? p->out[n] : NULL;
}

const struct isac_fusion_config *isac_pipeline_fusion_config(isac_pipeline p)
{
    return &p->fcfg;
}

/* Unit n of the current CPI (a pool task): it touches only its own unit and block. */
static void run_unit(void *ctx, unsigned n)
{
    isac_pipeline p = ctx;
    p->unit_rc[n] =
        isac_ap_unit_execute(p->unit[n], p->prx + p->ap_first[n], p->cpi, p->plan_label, p->out[n]);
}

/* Every AP's unit (in parallel on the pool), then fusion. A non-finite sample in any
 * window wins over other errors (ISAC_EFORMAT), as when one function checked every window
 * first; otherwise the first failing AP's status. */
static int run_units(isac_pipeline p, const float complex *const *rx)
{
    p->prx = rx;
    isac_pool_run(p->pool, p->info.num_rx_aps, run_unit, p);
    p->prx = NULL;
    int rc = ISAC_OK;
    for (unsigned n = 0; n < p->info.num_rx_aps; n++) {
        if (p->unit_rc[n] == ISAC_EFORMAT)
            return ISAC_EFORMAT;
        rc = rc ? rc : p->unit_rc[n];
    }
    return rc;
}

static int fuse_blocks(isac_pipeline p, const struct isac_pipeline_focus *focus,
                       struct isac_pipeline_result *res);
static void empty_block(isac_pipeline p, unsigned n, uint32_t label);

int isac_pipeline_process(isac_pipeline p, const float complex *const *rx,
                          const struct isac_pipeline_focus *focus, struct isac_pipeline_result *res)
{
    memset(res, 0, sizeof *res);
    res->beam = -1;
    res->confirm = focus != NULL;
    int rc = run_units(p, rx);
    for (unsigned n = 0; rc == ISAC_OK && n < p->info.num_rx_aps; n++)
        if (p->absent_next >> n & 1u) {
            empty_block(p, n, p->plan_label);
            res->missing |= 1u << n;
        }
    p->absent_next = 0;
    p->cpi++;
    p->plan_label = UINT32_MAX;
    return rc ? rc : fuse_blocks(p, focus, res);
}

/* Fusion of the blocks in p->out into res (steps 6-8). */
static int fuse_blocks(isac_pipeline p, const struct isac_pipeline_focus *focus,
                       struct isac_pipeline_result *res)
{
    struct isac_fusion_focus ff =
        focus ? (struct isac_fusion_focus){focus->x, focus->y, focus->radius_m}
              : (struct isac_fusion_focus){0};
    struct isac_fusion_result fr;
    int rc = isac_fusion_execute(p->fusion, (const struct isac_ap_unit_out *const *)p->out,
                                 focus ? &ff : NULL, &fr);
    if (rc)
        return rc;
    res->detected = fr.detected;
    res->lambda = fr.lambda;
    /* +inf only when no AP delivered (isactb fuse): nothing was tested; logs and captures
     * need a finite number */
    res->threshold = isfinite(fr.threshold) ? fr.threshold : 0.0;
    res->num_aps = fr.num_aps;
    res->x = fr.x;
    res->y = fr.y;
    res->pd = fr.pd;
    res->cells_over = fr.cells_over;
    for (unsigned n = 0; n < p->info.num_rx_aps; n++)
        res->noise_var[n] = fr.noise_var[n];
    return ISAC_OK;
}

/* ---- distributed operation ---- */

uint32_t isac_pipeline_plan_label(const struct isac_tx_plan_s *plan)
{
    int b = isac_tx_plan_beam(plan);
    return b >= 0 ? (uint32_t)b : UINT32_MAX;
}

void isac_pipeline_set_absent(isac_pipeline p, uint32_t (*absent)(void *ctx), void *ctx)
{
    p->absent = absent;
    p->absent_ctx = ctx;
}

void isac_pipeline_set_source(isac_pipeline p, const struct isac_pipeline_source *src)
{
    p->have_src = src != NULL;
    if (src)
        p->src = *src;
}

const float complex *const *isac_pipeline_compose_tx(isac_pipeline p,
                                                     const struct isac_tx_plan_s *plan, size_t *len)
{
    *len = p->Ltx;
    return compose(p, plan) == ISAC_OK ? (const float complex *const *)p->tx : NULL;
}

/* AP n's block and window when its node did not deliver: no cell seen, so fusion decides
 * from the other APs (N_P and the Bonferroni count drop with it). */
static void empty_block(isac_pipeline p, unsigned n, uint32_t label)
{
    struct isac_ap_unit_out *o = p->out[n];
    size_t M = o->h.M;
    memset(o->term, 0, o->h.ncells * sizeof *o->term);
    memset(o->visible, 0, o->h.ncells);
    memset(o->dp_gain, 0, M * sizeof *o->dp_gain);
    if (o->z)
        memset(o->z, 0, M * o->h.K * sizeof *o->z);
    o->h.ap = n;
    o->h.cpi = p->cpi;
    o->h.beam = label;
    o->h.noise_var = 0;
    for (unsigned m = 0; m < p->info.rx_ap_elements[n]; m++)
        memset(p->rx[p->ap_first[n] + m], 0, p->W * sizeof **p->rx);
}

static int step_from_source(isac_pipeline p, const struct isac_tx_plan_s *plan, int64_t t0,
                            const struct isac_pipeline_focus *focus,
                            struct isac_pipeline_result *res)
{
    memset(res, 0, sizeof *res);
    res->beam = -1;
    res->confirm = focus != NULL;
    memset(&p->md, 0, sizeof p->md);
    int rc = compose(p, plan);
    if (rc)
        return rc;
    uint32_t label = isac_pipeline_plan_label(plan);
    uint8_t missing[ISAC_RADIO_MAX_APS] = {0};
    rc = p->src.gather(p->src.ctx, p, plan, t0, p->cpi, label, p->out, missing);
    if (rc == ISAC_OK)
        for (unsigned n = 0; n < p->info.num_rx_aps; n++)
            if (missing[n]) {
                empty_block(p, n, label);
                res->missing |= 1u << n;
            }
    p->cpi++;
    if (rc == ISAC_OK)
        rc = fuse_blocks(p, focus, res);
    res->beam = isac_tx_plan_beam(plan);
    res->tick = t0;
    return rc;
}

int isac_pipeline_step_node(isac_pipeline p, isac_radio r, const struct isac_tx_plan_s *plan,
                            int64_t t0, uint64_t cpi, uint32_t ap_mask, int tx)
{
    int rc = compose(p, plan);
    if (rc == ISAC_OK && tx)
        rc = place_elements(p, r, plan);
    if (rc == ISAC_OK && tx)
        rc = isac_radio_tx_burst(r, t0, (const float complex *const *)p->tx, p->Ltx);
    memset(&p->md, 0, sizeof p->md);
    if (rc == ISAC_OK)
        rc = isac_radio_rx_capture(r, t0, p->rx, p->W, &p->md);
    uint32_t label = isac_pipeline_plan_label(plan);
    for (unsigned n = 0; rc == ISAC_OK && n < p->info.num_rx_aps; n++)
        if (ap_mask >> n & 1u)
            rc = isac_ap_unit_execute(p->unit[n],
                                      (const float complex *const *)p->rx + p->ap_first[n], cpi,
                                      label, p->out[n]);
    return rc;
}
