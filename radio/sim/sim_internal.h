/* Private state of the sim emulator, shared by the radio/sim sources only. */
#ifndef ISACTB_RADIO_SIM_SIM_INTERNAL_H
#define ISACTB_RADIO_SIM_SIM_INTERNAL_H

#include "array/array.h"
#include "common/pool.h"
#include "common/rng.h"
#include "array/geom.h"
#include "sim/sim.h"

/* Random streams, one per subsystem (isac_rng_seed_stream ids: tag in the top byte),
 * so that adding draws in one subsystem never shifts another. */
enum sim_stream {
    SIM_ST_IMPAIR = 1,  /* static per-channel offsets, CFO (from the seed only) */
    SIM_ST_LO = 2,      /* LO phases, keyed by the retune count */
    SIM_ST_TRACK = 3,   /* target tracks, keyed by (episode, target) */
    SIM_ST_RCS = 4,     /* Swerling I / fixed RCS, keyed by episode */
    SIM_ST_CLUTTER = 5, /* static scatterers (from the seed only) */
    SIM_ST_NOISE = 6,   /* receiver noise, keyed by (channel, block of ticks) */
    SIM_ST_FAULT = 7,   /* injected faults, sequential per capture */
    SIM_ST_RCS2 = 8,    /* Swerling II, keyed by (episode, target, burst tick) */
};
#define SIM_STREAM(tag, hi, lo) (((uint64_t)(tag) << 56) ^ ((uint64_t)(hi) << 24) ^ (uint64_t)(lo))

#define SIM_NOISE_BLOCK 1024 /* noise is a function of (channel, tick): generated per block */

struct sim_leg { /* piecewise-linear motion: p(t) = p + v (t - t0)/fs for t in leg */
    int64_t t0;
    double x, y, vx, vy;
};

struct sim_target {
    struct sim_leg *legs;
    size_t nlegs, cap;
    isac_rng rng; /* continues the track draws lazily */
    double complex alpha[ISAC_SIM_NUM_RX_APS];
};

struct sim_scatterer {
    double x, y;
    double complex alpha[ISAC_SIM_NUM_RX_APS];
};

struct sim_burst {
    int64_t t;        /* tick of x[.][0] (burst start minus the TX filter pad) */
    size_t n;         /* stored samples per channel */
    size_t len;       /* caller's burst length */
    int64_t t_user;   /* caller's t0 */
    float complex *x; /* num_tx * n, after TX impairments */
    isac_array tx;    /* TX element positions at transmission (movable elements) */
};

struct isac_sim_s {
    struct isac_sim_params p;
    unsigned M, num_rx;
    uint32_t rx_aps; /* receive APs rendered (isac_sim_set_rx_aps), bit n: AP n */
    struct isac_geom_ap tx_ap, rx_ap[ISAC_SIM_NUM_RX_APS];
    isac_array tx_arr, rx_arr; /* element positions: TX (movable) and every RX AP's */
    double lambda;             /* emulated wavelength, m */
    double amp_ref;            /* sqrt(P_t[mW] / N_s[mW]) */
    double noise_dbm;          /* N_s */
    double center_freq;
    uint64_t episode, retunes;
    int64_t now, episode_t0;
    /* per-channel impairments */
    double rx_phase[ISAC_SIM_MAX_ELEMENTS * ISAC_SIM_NUM_RX_APS],
        rx_gain_db[ISAC_SIM_MAX_ELEMENTS * ISAC_SIM_NUM_RX_APS],
        rx_delay[ISAC_SIM_MAX_ELEMENTS * ISAC_SIM_NUM_RX_APS],
        rx_lo[ISAC_SIM_MAX_ELEMENTS * ISAC_SIM_NUM_RX_APS];
    double tx_phase[ISAC_SIM_MAX_ELEMENTS], tx_gain_db[ISAC_SIM_MAX_ELEMENTS],
        tx_delay[ISAC_SIM_MAX_ELEMENTS], tx_lo[ISAC_SIM_MAX_ELEMENTS];
    double cfo_tx, cfo_rx[ISAC_SIM_NUM_RX_APS];
    struct sim_target tgt[ISAC_SIM_MAX_TARGETS];
    struct sim_scatterer clut[ISAC_SIM_MAX_CLUTTER];
    struct sim_burst *bursts;
    size_t nbursts, cap_bursts;
    isac_rng fault_rng;
    uint64_t captures; /* RX captures answered (for hang_after) */
    struct isac_radio_counters cnt;
    char err[256];
    /* scratch for rendering */
    float complex *scratch;
    size_t scratch_len;
    float *chan_tmp; /* num_rx rows of 2 chan_tmp_len floats: per-channel filter scratch */
    size_t chan_tmp_len;
    isac_pool pool;                /* per-channel work of a capture (NULL: in the caller) */
    struct sim_prefetch *prefetch; /* noise drawn ahead (sim_prefetch.c), NULL until asked */
};

/* sim_scene.c */
double sim_beta(double range_m);
void sim_target_state(isac_sim s, unsigned k, int64_t tick, double *x, double *y, double *vx,
                      double *vy);
double complex sim_rcs_at(isac_sim s, unsigned k, unsigned n, int64_t burst_tick);
void sim_make_path(isac_sim s, double x, double y, double vx, double vy, unsigned n,
                   double complex alpha, int64_t tick, struct isac_sim_path *p);
void sim_leak_path(isac_sim s, unsigned n, struct isac_sim_path *p);
double complex sim_rx_coef(isac_sim s, unsigned ch);
double complex sim_tx_coef(isac_sim s, unsigned ch);
/* Accumulators of one RX window render (sim_render.c), before RX impairments. */
struct render_ctx {
    int64_t T0;         /* tick of acc[.][0] */
    size_t Lx;          /* samples per accumulator row */
    float complex *acc; /* num_rx rows */
    float complex *u;   /* Lx */
    float complex *sb;  /* beamformed burst (max burst n) */
    /* Rows asked for: want[ch] != NULL (the caller's output rows); NULL = every row.
     * A row's value never depends on which other rows are rendered. */
    float complex *const *want;
};

/* sim_render.c */
void sim_bursts_free(isac_sim s);
/* The CN(0, 1) noise samples channel ch's window [t0, t0 + len) adds (unscaled). */
void sim_noise_draw(isac_sim s, unsigned ch, int64_t t0, float complex *w, size_t len);
/* sim_prefetch.c: the drawn noise of window [t0, t0 + len) (num_rx rows of len) if the
 * last isac_sim_prepare_rx asked for exactly it, else NULL; waits for a draw under way. The
 * rows stay valid until the next isac_sim_prepare_rx. */
const float complex *sim_prefetch_take(isac_sim s, int64_t t0, size_t len);
void sim_prefetch_destroy(isac_sim s);
/* sim_calpath.c: add burst b through the calibration path of s->p.cal. */
void sim_cal_render_burst(isac_sim s, struct render_ctx *c, const struct sim_burst *b);

#endif
