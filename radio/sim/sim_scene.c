/* The emulated scene: geometry, per-channel impairments, target tracks, RCS,
 * clutter, and the path parameters (delay, angles, Doppler, gain) derived from them. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "sim/sim_internal.h"

#define DEG (M_PI / 180.0)

void isac_sim_params_default(struct isac_sim_params *p)
{
    memset(p, 0, sizeof *p);
    p->seed = 1;
    p->targets = 1;
    p->elements = 16;
    p->tx_power_dbm = 20.0;
    p->fc = 28e9;
    p->fs = 20e6;
    p->center_freq = 2.45e9;
    p->nf_db = 9.0;
    p->cpi = 4096;
    p->pg_db = 8.0;
    p->rcs = ISAC_SIM_RCS_SWERLING1;
    p->rcs_db = 0.0;
    p->speed_max = 5.0;
    p->clutter = 0;
    p->clutter_db = 0.0;
    p->leak = 1;
    p->leak_db = 0.0;
    p->impairments = 0;
    p->lo_shared = 0;
    p->cfo_max_hz = 50.0;
    p->gain_max_db = 3.0;
    p->delay_max = 3.7;
    p->area = 400.0;
    p->noise = 1;
    p->prefetch = 1;
    p->cal = ISAC_SIM_CAL_OFF;
    p->cal_snr_db = 20.0;
    p->pilot_deg = 20.0;
    p->hang_after = 0;
    p->timeout_s = 1.0;
}

static int in(double v, double lo, double hi)
{
    return isfinite(v) && v >= lo && v <= hi;
}

static int params_valid(const struct isac_sim_params *p)
{
    return p->targets <= ISAC_SIM_MAX_TARGETS && p->elements >= 1 &&
           p->elements <= ISAC_SIM_MAX_ELEMENTS && in(p->tx_power_dbm, -40, 40) &&
           in(p->fc, 1e8, 3e11) && in(p->fs, 1e5, 1e9) &&
           in(p->center_freq, ISAC_SIM_FREQ_MIN, ISAC_SIM_FREQ_MAX) && in(p->nf_db, 0, 30) &&
           p->cpi >= 1 && p->cpi <= 1048576 && in(p->pg_db, 0, 10) && p->rcs >= 0 && p->rcs <= 2 &&
           in(p->rcs_db, -60, 60) && in(p->speed_max, 0, 100) &&
           p->clutter <= ISAC_SIM_MAX_CLUTTER && in(p->clutter_db, -60, 60) &&
           in(p->leak_db, -200, 40) && in(p->cfo_max_hz, 0, 1e4) && in(p->gain_max_db, 0, 10) &&
           in(p->delay_max, 0, 8) && in(p->drop_rate, 0, 1) && p->threads <= 256 &&
           in(p->overflow_rate, 0, 1) && in(p->late_rate, 0, 1) && in(p->area, 10, 1e4) &&
           in(p->timeout_s, 0, 60) && p->cal >= ISAC_SIM_CAL_OFF && p->cal <= ISAC_SIM_CAL_PILOT &&
           in(p->cal_snr_db, -20, 60) && in(p->pilot_deg, -80, 80) &&
           (p->npositions == 0 ||
            (p->npositions == p->elements &&
             !isac_radio_positions_check(p->positions, p->npositions, NULL, 0)));
}

/* Every array gets the `positions` (or the half-wavelength ULA). */
static int setup_arrays(isac_sim s)
{
    s->tx_arr = s->p.npositions ? isac_array_create(s->p.positions, s->M)
                                : isac_array_create_ula(s->M, 0.5);
    s->rx_arr = isac_array_copy(s->tx_arr);
    return s->tx_arr && s->rx_arr ? ISAC_OK : ISAC_ENOMEM;
}

int isac_sim_set_tx_positions(isac_sim s, const double *pos_wl, unsigned n)
{
    if (n != s->M || isac_radio_positions_check(pos_wl, n, s->err, sizeof s->err))
        return ISAC_EINVAL;
    isac_array a = isac_array_create(pos_wl, n);
    if (!a)
        return ISAC_ENOMEM;
    isac_array_destroy(s->tx_arr);
    s->tx_arr = a;
    return ISAC_OK;
}

double sim_beta(double range_m)
{
    /* seed 004 V-A, applied to the total bistatic path (docs/link-budget.md, reading B);
     * clamped at the 1 m reference distance */
    double d = range_m < 1.0 ? 1.0 : range_m;
    return pow(10.0, (-34.5 - 37.0 * log10(d)) / 10.0);
}

static void setup_geometry(isac_sim s)
{
    static const double rxpos[ISAC_SIM_NUM_RX_APS][2] = {
        {100, 100}, {100, 400}, {400, 100}, {400, 400}};
    s->tx_ap = (struct isac_geom_ap){250.0, 250.0, 0.0};
    for (unsigned n = 0; n < ISAC_SIM_NUM_RX_APS; n++) {
        double x = rxpos[n][0], y = rxpos[n][1];
        s->rx_ap[n] = (struct isac_geom_ap){x, y, atan2(s->tx_ap.y - y, s->tx_ap.x - x) + M_PI / 2};
    }
}

static void draw_impairments(isac_sim s)
{
    if (!s->p.impairments)
        return; /* all offsets stay zero */
    isac_rng r;
    isac_rng_seed_stream(&r, s->p.seed, SIM_STREAM(SIM_ST_IMPAIR, 0, 0));
    for (unsigned c = 0; c < s->num_rx; c++) {
        s->rx_phase[c] = 2 * M_PI * isac_rng_uniform(&r);
        s->rx_gain_db[c] = s->p.gain_max_db * (2 * isac_rng_uniform(&r) - 1);
        s->rx_delay[c] = s->p.delay_max * isac_rng_uniform(&r);
    }
    for (unsigned c = 0; c < s->M; c++) {
        s->tx_phase[c] = 2 * M_PI * isac_rng_uniform(&r);
        s->tx_gain_db[c] = s->p.gain_max_db * (2 * isac_rng_uniform(&r) - 1);
        s->tx_delay[c] = s->p.delay_max * isac_rng_uniform(&r);
    }
    s->cfo_tx = s->p.cfo_max_hz * (2 * isac_rng_uniform(&r) - 1);
    for (unsigned n = 0; n < ISAC_SIM_NUM_RX_APS; n++)
        s->cfo_rx[n] = s->p.cfo_max_hz * (2 * isac_rng_uniform(&r) - 1);
}

/* Independent LOs: every tune lands on a new, uniformly random phase per channel. */
static void draw_lo(isac_sim s)
{
    if (!s->p.impairments || s->p.lo_shared)
        return;
    isac_rng r;
    isac_rng_seed_stream(&r, s->p.seed, SIM_STREAM(SIM_ST_LO, 0, s->retunes));
    for (unsigned c = 0; c < s->num_rx; c++)
        s->rx_lo[c] = 2 * M_PI * isac_rng_uniform(&r);
    for (unsigned c = 0; c < s->M; c++)
        s->tx_lo[c] = 2 * M_PI * isac_rng_uniform(&r);
}

static double complex coef(double phase, double gain_db)
{
    return pow(10.0, gain_db / 20.0) * cexp(I * phase);
}
double complex sim_rx_coef(isac_sim s, unsigned ch)
{
    return coef(s->rx_phase[ch] + s->rx_lo[ch], s->rx_gain_db[ch]);
}
double complex sim_tx_coef(isac_sim s, unsigned ch)
{
    return coef(s->tx_phase[ch] + s->tx_lo[ch], s->tx_gain_db[ch]);
}

/* ---- targets ---- */

static void area_bounds(isac_sim s, double *lo, double *hi)
{
    *lo = s->tx_ap.x - s->p.area / 2; /* the square is centred on the TX AP (x == y) */
    *hi = s->tx_ap.x + s->p.area / 2;
}

static int push_leg(struct sim_target *t, struct sim_leg leg)
{
    if (t->nlegs == t->cap) {
        size_t nc = t->cap ? 2 * t->cap : 16;
        struct sim_leg *nl = realloc(t->legs, nc * sizeof *nl);
        if (!nl)
            return ISAC_ENOMEM;
        t->legs = nl;
        t->cap = nc;
    }
    t->legs[t->nlegs++] = leg;
    return ISAC_OK;
}

/* Random waypoint leg: heading uniform, speed uniform in [0, speed_max], duration
 * uniform in [1, 5] s; a velocity component that would leave the square is reversed. */
static struct sim_leg next_leg(isac_sim s, struct sim_target *t, double x, double y, int64_t t0,
                               int64_t *t1)
{
    double lo, hi;
    area_bounds(s, &lo, &hi);
    double hd = 2 * M_PI * isac_rng_uniform(&t->rng);
    double sp = s->p.speed_max * isac_rng_uniform(&t->rng);
    double dur = 1.0 + 4.0 * isac_rng_uniform(&t->rng);
    double vx = sp * cos(hd), vy = sp * sin(hd);
    if (x + vx * dur < lo || x + vx * dur > hi)
        vx = -vx;
    if (y + vy * dur < lo || y + vy * dur > hi)
        vy = -vy;
    *t1 = t0 + (int64_t)llround(dur * s->p.fs);
    return (struct sim_leg){t0, x, y, vx, vy};
}

static void clamp_area(isac_sim s, double *x, double *y)
{
    double lo, hi;
    area_bounds(s, &lo, &hi);
    *x = fmin(fmax(*x, lo), hi);
    *y = fmin(fmax(*y, lo), hi);
}

/* Legs are drawn lazily up to `tick`; the next leg's start is legs[n-1]'s end. */
static int extend_track(isac_sim s, struct sim_target *t, int64_t tick)
{
    while (1) {
        struct sim_leg *l = &t->legs[t->nlegs - 1];
        /* the end of the last leg is stored as a zero-length sentinel leg start */
        if (l->t0 > tick)
            return ISAC_OK;
        int64_t t1;
        struct sim_leg nl = next_leg(s, t, l->x, l->y, l->t0, &t1);
        double dt = (double)(t1 - l->t0) / s->p.fs;
        *l = nl;
        double x = nl.x + nl.vx * dt, y = nl.y + nl.vy * dt;
        clamp_area(s, &x, &y);
        int rc = push_leg(t, (struct sim_leg){t1, x, y, 0, 0});
        if (rc)
            return rc;
    }
}

void sim_target_state(isac_sim s, unsigned k, int64_t tick, double *x, double *y, double *vx,
                      double *vy)
{
    struct sim_target *t = &s->tgt[k];
    if (tick < t->legs[0].t0)
        tick = t->legs[0].t0; /* before the episode: parked at the start */
    if (extend_track(s, t, tick)) {
        tick = t->legs[t->nlegs - 1].t0;
    }
    size_t i = t->nlegs - 1;
    while (i > 0 && t->legs[i].t0 > tick)
        i--;
    const struct sim_leg *l = &t->legs[i];
    double dt = (double)(tick - l->t0) / s->p.fs;
    *x = l->x + l->vx * dt;
    *y = l->y + l->vy * dt;
    *vx = l->vx;
    *vy = l->vy;
}

static int draw_targets(isac_sim s)
{
    double lo, hi;
    area_bounds(s, &lo, &hi);
    for (unsigned k = 0; k < s->p.targets; k++) {
        struct sim_target *t = &s->tgt[k];
        t->nlegs = 0;
        isac_rng_seed_stream(&t->rng, s->p.seed, SIM_STREAM(SIM_ST_TRACK, s->episode, k));
        double x = lo + (hi - lo) * isac_rng_uniform(&t->rng);
        double y = lo + (hi - lo) * isac_rng_uniform(&t->rng);
        int rc = push_leg(t, (struct sim_leg){s->episode_t0, x, y, 0, 0});
        if (rc)
            return rc;
        isac_rng r;
        isac_rng_seed_stream(&r, s->p.seed, SIM_STREAM(SIM_ST_RCS, s->episode, k));
        double var = pow(10.0, s->p.rcs_db / 10.0);
        for (unsigned n = 0; n < ISAC_SIM_NUM_RX_APS; n++) {
            if (s->p.rcs == ISAC_SIM_RCS_FIXED)
                t->alpha[n] = sqrt(var) * cexp(I * 2 * M_PI * isac_rng_uniform(&r));
            else
                t->alpha[n] = isac_rng_cnormal(&r, var);
        }
    }
    return ISAC_OK;
}

double complex sim_rcs_at(isac_sim s, unsigned k, unsigned n, int64_t burst_tick)
{
    if (s->p.rcs != ISAC_SIM_RCS_SWERLING2)
        return s->tgt[k].alpha[n];
    isac_rng r;
    /* keyed by the burst tick: the draw does not depend on the call sequence */
    isac_rng_seed_stream(&r, s->p.seed ^ ((uint64_t)burst_tick * 0x9e3779b97f4a7c15ULL),
                         SIM_STREAM(SIM_ST_RCS2, s->episode, k * ISAC_SIM_NUM_RX_APS + n));
    return isac_rng_cnormal(&r, pow(10.0, s->p.rcs_db / 10.0));
}

static void draw_clutter(isac_sim s)
{
    double lo, hi;
    area_bounds(s, &lo, &hi);
    isac_rng r;
    isac_rng_seed_stream(&r, s->p.seed, SIM_STREAM(SIM_ST_CLUTTER, 0, 0));
    double var = pow(10.0, s->p.clutter_db / 10.0);
    for (unsigned c = 0; c < s->p.clutter; c++) {
        s->clut[c].x = lo + (hi - lo) * isac_rng_uniform(&r);
        s->clut[c].y = lo + (hi - lo) * isac_rng_uniform(&r);
        for (unsigned n = 0; n < ISAC_SIM_NUM_RX_APS; n++)
            s->clut[c].alpha[n] = isac_rng_cnormal(&r, var);
    }
}

/* ---- paths ---- */

static double cycles_frac(double v)
{
    return v - floor(v);
}

void sim_make_path(isac_sim s, double x, double y, double vx, double vy, unsigned n,
                   double complex alpha, int64_t tick, struct isac_sim_path *p)
{
    (void)tick;
    const struct isac_geom_ap *tx = &s->tx_ap, *rx = &s->rx_ap[n];
    double d0 = isac_geom_dist(tx->x, tx->y, x, y), dn = isac_geom_dist(rx->x, rx->y, x, y);
    double R = d0 + dn;
    p->x = x;
    p->y = y;
    p->vx = vx;
    p->vy = vy;
    p->range_m = R;
    p->delay_samples = R / ISAC_GEOM_C0 * s->p.fs;
    p->phi0 = isac_geom_phi(tx, x, y);
    p->phin = isac_geom_phi(rx, x, y);
    /* dR/dt = v . (u0 + un), u = unit vectors from the APs to the scatterer */
    double rdot = 0.0;
    if (d0 > 0)
        rdot += (vx * (x - tx->x) + vy * (y - tx->y)) / d0;
    if (dn > 0)
        rdot += (vx * (x - rx->x) + vy * (y - rx->y)) / dn;
    p->doppler_hz = -rdot / s->lambda;
    p->alpha = alpha;
    double ph = -2 * M_PI * cycles_frac(R / s->lambda);
    p->gain = alpha * s->amp_ref * sqrt(sim_beta(R)) * cexp(I * ph);
}

void sim_leak_path(isac_sim s, unsigned n, struct isac_sim_path *p)
{
    const struct isac_geom_ap *tx = &s->tx_ap, *rx = &s->rx_ap[n];
    sim_make_path(s, rx->x, rx->y, 0, 0, n, 1.0, 0, p);
    /* the direct path: one hop over |TX - RX| (make_path summed d0 = |TX-RX|, dn = 0) */
    p->phin = isac_geom_phi(rx, tx->x, tx->y);
    p->gain *= pow(10.0, s->p.leak_db / 20.0);
}

int isac_sim_target_path(isac_sim s, unsigned k, unsigned n, int64_t tick, struct isac_sim_path *p)
{
    if (!s || k >= s->p.targets || n >= ISAC_SIM_NUM_RX_APS || !p)
        return ISAC_EINVAL;
    double x, y, vx, vy;
    sim_target_state(s, k, tick, &x, &y, &vx, &vy);
    sim_make_path(s, x, y, vx, vy, n, sim_rcs_at(s, k, n, tick), tick, p);
    return ISAC_OK;
}

double isac_sim_target_snr(isac_sim s, unsigned k, unsigned n, int64_t tick, int mean)
{
    struct isac_sim_path p;
    if (isac_sim_target_path(s, k, n, tick, &p))
        return 0.0;
    double g2 = cabs(p.gain) * cabs(p.gain);
    if (mean) {
        double a2 = cabs(p.alpha) * cabs(p.alpha);
        g2 = a2 > 0 ? g2 / a2 * pow(10.0, s->p.rcs_db / 10.0)
                    : s->amp_ref * s->amp_ref * sim_beta(p.range_m) * pow(10.0, s->p.rcs_db / 10.0);
    }
    double M = s->M;
    return (double)s->p.cpi * M * M * g2;
}

/* ---- object ---- */

isac_sim isac_sim_create(const struct isac_sim_params *p)
{
    if (!p || !params_valid(p))
        return NULL;
    isac_sim s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->p = *p;
    s->M = p->elements;
    s->rx_aps = (1u << ISAC_SIM_NUM_RX_APS) - 1;
    s->num_rx = ISAC_SIM_NUM_RX_APS * s->M;
    s->lambda = ISAC_GEOM_C0 / p->fc;
    s->center_freq = p->center_freq;
    s->noise_dbm = -174.0 + p->nf_db + 10 * log10(p->fs) + 10 * log10((double)p->cpi) - p->pg_db;
    s->amp_ref = pow(10.0, (p->tx_power_dbm - s->noise_dbm) / 20.0);
    setup_geometry(s);
    draw_impairments(s);
    draw_lo(s);
    draw_clutter(s);
    isac_rng_seed_stream(&s->fault_rng, p->seed, SIM_STREAM(SIM_ST_FAULT, 0, 0));
    unsigned threads = p->threads ? p->threads : isac_pool_online_cores();
    if (threads > 1 && !(s->pool = isac_pool_create(threads))) {
        isac_sim_destroy(s);
        return NULL;
    }
    if (setup_arrays(s) || draw_targets(s)) {
        isac_sim_destroy(s);
        return NULL;
    }
    return s;
}

void isac_sim_destroy(isac_sim s)
{
    if (!s)
        return;
    for (unsigned k = 0; k < ISAC_SIM_MAX_TARGETS; k++)
        free(s->tgt[k].legs);
    sim_bursts_free(s);
    isac_array_destroy(s->tx_arr);
    isac_array_destroy(s->rx_arr);
    free(s->scratch);
    free(s->chan_tmp);
    sim_prefetch_destroy(s); /* its worker runs on the pool */
    isac_pool_destroy(s->pool);
    free(s);
}

int64_t isac_sim_now(isac_sim s)
{
    return s->now;
}
void isac_sim_get_counters(isac_sim s, struct isac_radio_counters *c)
{
    *c = s->cnt;
}
const char *isac_sim_last_error(isac_sim s)
{
    return s->err;
}

int isac_sim_new_episode(isac_sim s, uint64_t episode)
{
    if (!s)
        return ISAC_EINVAL;
    if (s->p.episode_span_s > 0) {
        double t0 = (double)episode * s->p.episode_span_s * s->p.fs;
        if (t0 > 9e18 || (int64_t)llround(t0) < s->now) {
            snprintf(s->err, sizeof s->err,
                     "episode %llu starts at %.6f s (episode_span) but the radio time is %.6f s",
                     (unsigned long long)episode, (double)episode * s->p.episode_span_s,
                     (double)s->now / s->p.fs);
            return ISAC_EINVAL;
        }
        s->now = (int64_t)llround(t0);
    }
    s->episode = episode;
    s->episode_t0 = s->now;
    return draw_targets(s);
}

int isac_sim_retune(isac_sim s, double hz)
{
    if (!s || !in(hz, ISAC_SIM_FREQ_MIN, ISAC_SIM_FREQ_MAX)) {
        if (s)
            snprintf(s->err, sizeof s->err, "center frequency %g Hz outside [%g, %g]", hz,
                     ISAC_SIM_FREQ_MIN, ISAC_SIM_FREQ_MAX);
        return ISAC_EINVAL;
    }
    s->center_freq = hz;
    s->retunes++;
    draw_lo(s);
    return ISAC_OK;
}

static struct isac_sim_chan_truth chan_truth(double ph, double lo, double g, double d)
{
    double p = fmod(ph + lo, 2 * M_PI);
    if (p > M_PI)
        p -= 2 * M_PI;
    return (struct isac_sim_chan_truth){p, g, d};
}
struct isac_sim_chan_truth isac_sim_rx_truth(isac_sim s, unsigned ch)
{
    return chan_truth(s->rx_phase[ch], s->rx_lo[ch], s->rx_gain_db[ch], s->rx_delay[ch]);
}
struct isac_sim_chan_truth isac_sim_tx_truth(isac_sim s, unsigned ch)
{
    return chan_truth(s->tx_phase[ch], s->tx_lo[ch], s->tx_gain_db[ch], s->tx_delay[ch]);
}
double isac_sim_cfo_hz(isac_sim s, int ap)
{
    return ap < 0 ? s->cfo_tx : s->cfo_rx[ap];
}

void isac_sim_get_info(isac_sim s, struct isac_radio_info *info)
{
    memset(info, 0, sizeof *info);
    snprintf(info->driver, sizeof info->driver, "sim");
    snprintf(info->serial, sizeof info->serial, "sim-%llu", (unsigned long long)s->p.seed);
    info->caps = ISAC_RADIO_CAP_TIMED_TX | ISAC_RADIO_CAP_TIMED_RX | ISAC_RADIO_CAP_HW_TIME |
                 ISAC_RADIO_CAP_TRUTH | ISAC_RADIO_CAP_SCENARIO |
                 (s->p.lo_shared ? ISAC_RADIO_CAP_LO_SHARED : 0) |
                 (s->p.impairments ? 0 : ISAC_RADIO_CAP_IDEAL) | ISAC_RADIO_CAP_MOVABLE;
    info->sample_rate = s->p.fs;
    info->center_freq = s->center_freq;
    info->emulated_freq = s->p.fc;
    info->bandwidth = s->p.fs;
    info->num_tx = s->M;
    info->num_rx = s->num_rx;
    info->num_rx_aps = ISAC_SIM_NUM_RX_APS;
    for (unsigned n = 0; n < ISAC_SIM_NUM_RX_APS; n++) {
        info->rx_ap_elements[n] = s->M;
        info->rx_ap[n] = s->rx_ap[n];
    }
    /* compatibility field: the default ULA's spacing, 0 for other positions */
    info->element_spacing_wl = s->p.npositions ? 0.0 : 0.5;
    memcpy(info->tx_pos_wl, isac_array_positions(s->tx_arr), s->M * sizeof(double));
    for (unsigned n = 0; n < ISAC_SIM_NUM_RX_APS; n++)
        memcpy(info->rx_pos_wl + n * s->M, isac_array_positions(s->rx_arr), s->M * sizeof(double));
    info->tx_ap = s->tx_ap;
    info->tx_power_dbm = s->p.tx_power_dbm;
    info->noise_dbm = s->noise_dbm;
    info->freq_min = ISAC_SIM_FREQ_MIN;
    info->freq_max = ISAC_SIM_FREQ_MAX;
    info->rx_gain_db = 0.0;
    info->tx_gain_db = 0.0;
    info->noise_var = s->p.noise ? 1.0 : 0.0;
    info->full_scale = 0.0;
}
