/* The `sim` channel emulator: a deterministic, sample-clocked model of the seed-004
 * cell-free ISAC scene (docs/emulator.md is the user-facing description).
 *
 * Scene (defaults): transmit AP at (250, 250) m, receive APs n = 0..3 at (100, 100),
 * (100, 400), (400, 100), (400, 400) m; every AP carries an M-element linear array
 * (M = `elements`, default 16): a half-wavelength ULA, or the element positions of
 * `positions` (the same for every AP; the TX elements can be moved later with
 * isac_sim_set_tx_positions). Array axes (geom/geom.h convention, phi from
 * broadside, positive toward the +axis):
 *   - TX AP: axis along +x (axis_rad = 0), broadside along +-y;
 *   - RX AP n: axis perpendicular to the direction from the AP to the TX AP, i.e.
 *     axis_rad = atan2(yc - y, xc - x) + pi/2, so the broadside faces the centre of
 *     the coverage square and the whole square is within about +-60 deg of broadside.
 * Targets move inside the `area` x `area` square centred on the TX AP
 * ([50, 450] m x [50, 450] m by default).
 *
 * Signal model at RX AP n, element m, absolute tick t (seconds t/fs):
 *   y_nm(t) = sum_paths g_p a_m(phi_n) [a^T(phi_0) x~](t - tau) e^{j 2 pi nu (t - t_b)}
 *             (then per-channel RX impairments) + noise,
 * where x~ is the transmitted burst after per-channel TX impairments, tau the bistatic
 * delay (d0 + dn)/c in samples (fractional), nu the bistatic Doppler f_D/fs at the
 * EMULATED carrier fc (f_D = -(fc/c) d(d0+dn)/dt), plus the CFO difference between the
 * RX AP's and the TX AP's LO, and g_p = alpha sqrt(P_t beta(d0+dn)) e^{-j 2 pi (d0+dn) fc/c}
 * / sigma_ref. The carrier phase is evaluated at the burst's start tick t_b, so the
 * phase progression across bursts is the Doppler at fc.
 *
 * Link budget (docs/link-budget.md): beta[dB] = -34.5 - 37 log10((d0+dn)/1 m) on the
 * total path (reading B); per-sample noise power
 *   N_s[dBm] = -174 + nf + 10 log10(fs) + 10 log10(cpi) - pg_db,
 * so that an echo matched-filtered over cpi samples has the post-MF SNR of reading B
 * plus pg_db (8 dB) of processing-gain allowance. Samples are expressed in units of
 * sqrt(N_s): the reference noise variance per receive sample is exactly 1.
 *
 * Everything is a pure function of (seed, episode, tick, call sequence): no wall time.
 */
#ifndef ISACTB_RADIO_SIM_SIM_H
#define ISACTB_RADIO_SIM_SIM_H

#include <complex.h>

#include "common/rng.h"
#include <stddef.h>
#include <stdint.h>

#include "radio.h"

#define ISAC_SIM_NUM_RX_APS 4
#define ISAC_SIM_MAX_ELEMENTS 64
#define ISAC_SIM_MAX_TARGETS 16
#define ISAC_SIM_MAX_CLUTTER 64

enum isac_sim_rcs_model {
    ISAC_SIM_RCS_SWERLING1 = 0, /* alpha_kn ~ CN(0, sigma_alpha^2), drawn once per episode */
    ISAC_SIM_RCS_SWERLING2 = 1, /* re-drawn for every TX burst */
    ISAC_SIM_RCS_FIXED = 2,     /* |alpha_kn| = sigma_alpha, phase uniform per episode */
};

/* Emulator parameters; the spec key is given for each (docs/emulator.md). */
struct isac_sim_params {
    uint64_t seed;       /* seed: any 64-bit value, default 1 */
    unsigned targets;    /* targets: 0..16, default 1 */
    unsigned elements;   /* elements: per AP (TX and each RX), 1..64, default 16 */
    double tx_power_dbm; /* power: -40..40 dBm, default 20 */
    double fc;           /* fc: emulated carrier, 1e8..3e11 Hz, default 28e9 */
    double fs;           /* fs: sample rate = bandwidth, 1e5..1e9 Hz, default 20e6 */
    double
        center_freq; /* center: initial IF carrier, within [freq_min, freq_max], default 2.45e9 */
    double nf_db;    /* nf: noise figure 0..30 dB, default 9 */
    unsigned cpi;    /* cpi: reference CPI length for the noise scaling, 1..1048576, default 4096 */
    double pg_db;    /* pg: processing-gain allowance 0..10 dB, default 8 */
    int rcs;         /* rcs: swerling1|swerling2|fixed, default swerling1 */
    double rcs_db;   /* rcs_db: sigma_alpha^2, -60..60 dB, default 0 */
    double speed_max;     /* speed: maximum target speed 0..100 m/s, default 5 */
    unsigned clutter;     /* clutter: static scatterers 0..64, default 0 */
    double clutter_db;    /* clutter_db: mean clutter RCS, -60..60 dB, default 0 */
    int leak;             /* leak: TX-to-RX direct path 0|1, default 1 */
    double leak_db;       /* leak_db: direct-path level relative to the free-space law, -200..40 dB,
                             default 0 */
    int impairments;      /* impairments: 0|1, default 0 (an ideal array until calibration) */
    int lo_shared;        /* lo_shared: 0|1, default 0 */
    double cfo_max_hz;    /* cfo: max |CFO| per AP, 0..10000 Hz, default 50 */
    double gain_max_db;   /* gain_err: max |gain offset| per channel, 0..10 dB, default 3 */
    double delay_max;     /* delay_err: max delay offset per channel, 0..8 samples, default 3.7 */
    double drop_rate;     /* drop_rate: P(gap) per capture, 0..1, default 0 */
    unsigned threads;     /* threads: render threads (per-channel delay filters and noise),
                             0..256, 0 = every online core, default 0; samples never depend on it */
    int prefetch;         /* prefetch: 0|1, default 1: isac_sim_prepare_rx draws the noise of the
                             announced next window on a worker thread (samples never depend
                             on it) */
    double overflow_rate; /* overflow_rate: P(overflow + gap) per capture, 0..1, default 0 */
    double late_rate;     /* late_rate: P(late command) per capture, 0..1, default 0 */
    double area;          /* area: side of the coverage square, 10..10000 m, default 400 */
    int noise;            /* noise: 0|1 (0: noiseless samples, for tests), default 1 */
    /* Episode-aligned time (common random numbers for comparisons): with span > 0,
     * episode e of a scenario starts at tick round(e * span * fs) (the radio idles up to
     * it), so the noise, the Swerling II draws and the target's motion of every CPI are a
     * function of (episode, time since its start) only, not of how long the earlier
     * episodes took; two policies run on fresh radios see the same draws at the same
     * step. An episode that would start before the radio's time is refused. */
    double episode_span_s; /* episode_span: 0..3600 s, default 0 (episodes start when called) */
    /* A device that stops answering (docs/reliability.md): after hang_after RX captures
     * (0 = never) every TX/RX call waits `timeout` seconds of wall time, as a real
     * driver waiting for a dead device would, then fails with ISAC_ETIMEOUT and counts
     * a timeout. Samples never depend on wall time. */
    uint64_t hang_after; /* hang_after: 0..2^64-1 captures, default 0 (never) */
    double timeout_s;    /* timeout: per-call timeout, 0..60 s, default 1 */
    /* Calibration paths (radio/sim/sim_calpath.c, docs/calibration.md). In any mode but
     * off the antennas are disconnected: no targets, clutter or leakage, only the bench
     * path (and noise). */
    int cal;           /* cal: off|rx_splitter|tx_coupler|pilot, default off */
    double cal_snr_db; /* cal_snr: per-sample SNR at a receiver of the calibration signal
                          of ONE unit-power TX channel, -20..60 dB, default 20 */
    double pilot_deg;  /* pilot_deg: pilot transponder angle from every array's
                          broadside, -80..80 deg, default 20 */
    /* positions: element positions of every array (TX and each RX AP), wavelengths
     * along the axis, colon-separated, exactly `elements` values at least
     * ISAC_RADIO_MIN_SPACING_WL apart, any order; npositions = 0 (default): ULA m/2. */
    unsigned npositions;
    double positions[ISAC_SIM_MAX_ELEMENTS];
};

/* Calibration paths of the emulator (spec key cal=):
 *   ISAC_SIM_CAL_RX_SPLITTER: TX channel 0's output (after its TX impairments) is split,
 *     equal cables, into every RX channel of every receive AP;
 *   ISAC_SIM_CAL_TX_COUPLER: every TX channel's output is coupled (equal paths) into one
 *     reference receiver, RX channel 0 (AP 0, element 0); other RX channels see noise;
 *   ISAC_SIM_CAL_PILOT: a far-field transponder at pilot_deg from every array's broadside
 *     re-radiates the TX array's field toward it, a^T(theta) x~, to every receive AP,
 *     arriving at pilot_deg: y_n = a(theta) [a^T(theta) x~] (plane waves, no delay).
 * The cables join different LOs: the CFO cfo_rx[n] - cfo_tx applies. */
enum isac_sim_cal {
    ISAC_SIM_CAL_OFF = 0,
    ISAC_SIM_CAL_RX_SPLITTER = 1,
    ISAC_SIM_CAL_TX_COUPLER = 2,
    ISAC_SIM_CAL_PILOT = 3
};

#define ISAC_SIM_FREQ_MIN 10e6 /* tunable IF range (a typical wide-band SDR front end) */
#define ISAC_SIM_FREQ_MAX 6e9

typedef struct isac_sim_s *isac_sim;

void isac_sim_params_default(struct isac_sim_params *p);
/* NULL on out-of-range parameters or allocation failure. */
isac_sim isac_sim_create(const struct isac_sim_params *p);
void isac_sim_destroy(isac_sim s);

/* Timed TX burst: len samples per TX channel starting at tick t0 >= now, not
 * overlapping an earlier burst (ISAC_EINVAL). t0 < now: late command (counted,
 * ISAC_ERADIO). The burst is kept until every echo of it has been captured. */
int isac_sim_tx_burst(isac_sim s, int64_t t0, const float complex *const *x, size_t len);
/* Timed RX window [t0, t0 + len) on every RX channel (y[ch], ch < 4 M). t0 < now:
 * late (ISAC_ERADIO). Injected faults: see docs/emulator.md. Advances now to t0 + len. */
int isac_sim_rx_capture(isac_sim s, int64_t t0, float complex *const *y, size_t len,
                        struct isac_radio_rx_md *md);
/* The caller's next RX window will probably be [t0, t0 + len): with prefetch=1 (and
 * noise) a worker thread draws its receiver noise now, on the emulator's pool, while the
 * caller does other work (processes the window it has); the capture of exactly that
 * window then adds the drawn noise, any other capture discards it. Samples are bit for
 * bit those without the call. ISAC_OK (also when nothing is drawn), ISAC_EINVAL. */
int isac_sim_prepare_rx(isac_sim s, int64_t t0, size_t len);
/* The same capture rendering only the channels asked for: y[ch] == NULL skips channel ch
 * (at least nothing is computed for it). Every row asked for, the fault draws, the gap and
 * the radio's time are bit for bit those of isac_sim_rx_capture with every row given: a
 * channel's samples depend on (seed, episode, channel, tick, bursts) only. */
int isac_sim_rx_capture_some(isac_sim s, int64_t t0, float complex *const *y, size_t len,
                             struct isac_radio_rx_md *md);
/* Communication users (radio/sim/sim_user.h, docs/comm.md) of this emulator: the user's
 * receive window [t0, t0 + len) of every TX burst still stored (call it before the next TX
 * burst, which may prune the ones whose echoes were captured), rendered from the TX AP
 * with the scene's carrier, rate, power and the docs/link-budget.md path-loss law, plus
 * the user's own thermal noise (-174 dBm/Hz + nf over fs: samples in units of it, unlike
 * the AP channels' N_s) unless noise=0. TX impairments and moved elements are those each
 * burst was sent with. Does not advance the radio's time. ISAC_EINVAL on bad arguments
 * (one line in isac_sim_last_error naming the user field). */
struct isac_sim_user;
struct isac_sim_user_link;
int isac_sim_user_capture(isac_sim s, const struct isac_sim_user *u, unsigned uid, int64_t t0,
                          float complex *y, size_t len);
/* The link description of the TX AP (array as now, position, power, fc, fs, seed, path
 * loss -34.5 dB / 3.7), for isac_sim_user_model_sinr. */
void isac_sim_user_link_of(isac_sim s, struct isac_sim_user_link *l);
int64_t isac_sim_now(isac_sim s);
/* The device idles until tick t: now = max(now, t), and the bursts whose echoes can no
 * longer reach a window at or after the new now are freed. A continuous transmitter with
 * no receive window running (the isacsim Soapy device's untimed TX) moves the clock this
 * way, as a DAC consuming samples does; windows before the new now are then late.
 * Draws nothing: later samples are those the same calls would give without it. */
void isac_sim_advance(isac_sim s, int64_t t);
/* The receiver-noise generator alone (the floor of `isactb bench sim`): n samples of
 * CN(0, 1) from r, the very generator (Marsaglia polar, single precision) captures use. */
void isac_sim_normal_fill(isac_rng *r, float complex *y, size_t n);
void isac_sim_get_counters(isac_sim s, struct isac_radio_counters *c);
void isac_sim_get_info(isac_sim s, struct isac_radio_info *info);
/* Re-draw targets (tracks, RCS) from (seed, episode); track time origin = now. */
int isac_sim_new_episode(isac_sim s, uint64_t episode);
/* Retune the IF carrier (ISAC_SIM_FREQ_MIN..SIM_FREQ_MAX); re-draws the LO phases unless
 * lo_shared or impairments=0. */
int isac_sim_retune(isac_sim s, double hz);
const char *isac_sim_last_error(isac_sim s);
/* Move the TX elements (movable antennas) for bursts transmitted from now on; bursts
 * already stored keep the positions they were sent with. n must be the element count;
 * positions as for `positions` (ISAC_EINVAL otherwise). */
int isac_sim_set_tx_positions(isac_sim s, const double *pos_wl, unsigned n);

/* Render only the receive APs in ap_mask (bit n: AP n; others' channels stay zero): a
 * node of a distributed run renders its own AP's channels from the same scene. Noise is a
 * function of (seed, channel, tick) and every path of an AP is rendered as before, so the
 * rendered channels are bit for bit those of a full render. */
void isac_sim_set_rx_aps(isac_sim s, uint32_t ap_mask);

/* ---- ground truth ---- */

struct isac_sim_chan_truth {
    double phase_rad;     /* total phase offset (static + current LO phase) */
    double gain_db;       /* amplitude offset, dB (|g|^2) */
    double delay_samples; /* delay offset, samples (>= 0) */
};
/* RX channel ch < 4M, TX channel ch < M. */
struct isac_sim_chan_truth isac_sim_rx_truth(isac_sim s, unsigned ch);
struct isac_sim_chan_truth isac_sim_tx_truth(isac_sim s, unsigned ch);
/* CFO of an AP's LO (Hz at the radio, ap = -1 for the TX AP, 0..3 RX APs). */
double isac_sim_cfo_hz(isac_sim s, int ap);

/* One propagation path from the TX AP to RX AP n at a given tick. */
struct isac_sim_path {
    double x, y;          /* scatterer position, m */
    double vx, vy;        /* velocity, m/s */
    double range_m;       /* d0 + dn */
    double delay_samples; /* (d0 + dn) / c * fs */
    double phi0, phin;    /* rad: departure angle at the TX AP, arrival angle at AP n */
    double doppler_hz;    /* bistatic Doppler at the emulated carrier (no CFO) */
    double complex gain;  /* g: per-element amplitude for a unit-power TX sample with
                             a^T(phi0) x = 1, in units of sqrt(reference noise),
                             including alpha and the carrier phase at `tick` */
    double complex alpha; /* RCS coefficient (Swerling II: of the burst at `tick`) */
};
/* Target k < targets seen by RX AP n < 4 at tick. */
int isac_sim_target_path(isac_sim s, unsigned k, unsigned n, int64_t tick, struct isac_sim_path *p);
/* Expected post-MF (cpi samples), post-RX-beamforming SNR (linear) of target k at AP n
 * for a unit-power TX beam w aligned with phi0 (|a^T w|^2 = M): cpi M^2 |gain|^2 / 1;
 * with mean = 1 the RCS is replaced by its mean power sigma_alpha^2. */
double isac_sim_target_snr(isac_sim s, unsigned k, unsigned n, int64_t tick, int mean);

/* Malloc'd JSON text of the ground truth (docs/emulator.md), NULL on failure. */
char *isac_sim_truth_json(isac_sim s);

#endif
