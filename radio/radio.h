/* The front-end layer: one interface for every radio (sim, file, soapy, uhd).
 *
 * A radio is opened from a spec string "BACKEND[:key=value,key=value...]":
 *   sim                      the built-in channel emulator (default scenario)
 *   sim:seed=7,targets=2     emulator with arguments
 *   file:PATH.sigmf-meta     replay a recording (or its .sigmf-collection)
 *   soapy:driver=isacsim     SoapySDR device arguments passed through
 *   uhd:type=x300,addr=...   UHD device arguments passed through
 *   set:[SPEC]+[SPEC]+...    several radios with one time base acting as one (below)
 *
 * A set (radio/radio_set.c; a cell-free lab with one device per AP): each member is a full
 * spec in brackets (brackets may nest inside it; a member cannot be a set), at most
 * ISAC_RADIO_MAX_APS members. Its RX channels and receive APs are the members' concatenated in
 * order; TX channels, the TX AP, power, gains and the carrier are member 0's, and only
 * member 0 transmits. Every timed command goes to the members with the same tick (RX: all;
 * TX: member 0), drops and counters add up. Open refuses members whose sample rate, carrier
 * (center or emulated), element spacing or time base (device vs host clock, or clocks more
 * than 10 ms apart at open) differ from member 0's, and members without timed RX. With more
 * than one member the set has no shared LO, scenario or ground truth.
 *
 * Time is counted in samples of the (common) sample rate since the radio's time
 * origin ("ticks"); every TX burst and RX window is timed. Channels are numbered
 * 0..n-1 per direction; receive channels are grouped into arrays (receive APs) of
 * consecutive channels, transmit channels form the transmit AP's array.
 *
 * Back ends differ by capability flags, never by name checks in callers.
 */
#ifndef ISACTB_RADIO_RADIO_H
#define ISACTB_RADIO_RADIO_H

#include <complex.h>
#include <stddef.h>
#include <stdint.h>

#include "frontend/radio_info.h"

/* What a radio is set to for transmitting, queried before every burst so that the transmit
 * guard (radio/safety.h) checks what is actually sent rather than what the radio was
 * opened with: per TX channel (index < radio_info.num_tx) its centre frequency, analog
 * bandwidth and gain setting, plus the TX sample rate and DAC full scale. */
struct isac_radio_tx_state {
    double rate;                             /* TX sample rate, Hz */
    double full_scale;                       /* |x| of a full-scale sample, 0 unknown */
    double freq_hz[ISAC_RADIO_MAX_CHANNELS]; /* TX centre frequency per channel, Hz */
    double bw_hz[ISAC_RADIO_MAX_CHANNELS];   /* analog TX bandwidth per channel, Hz (0 unknown) */
    double gain_db[ISAC_RADIO_MAX_CHANNELS]; /* TX gain setting per channel, dB */
};

struct isac_radio_ops {
    const char *name; /* back-end name as used in spec strings */
    /* Open from the argument part of the spec ("seed=7,targets=2"; "" for none).
     * On failure returns a negative isac_err and writes one line into err. */
    int (*open)(const char *args, void **state, char *err, size_t errlen);
    void (*close)(void *state);
    int (*get_info)(void *state, struct isac_radio_info *info);
    int (*get_time)(void *state, int64_t *tick);
    /* Transmit len samples per TX channel (x[ch], ch < num_tx), starting at tick t0. */
    int (*tx_burst)(void *state, int64_t t0, const float complex *const *x, size_t len);
    /* Capture len samples per RX channel into y[ch] (ch < num_rx) starting at t0. */
    int (*rx_capture)(void *state, int64_t t0, float complex *const *y, size_t len,
                      struct isac_radio_rx_md *md);
    int (*get_counters)(void *state, struct isac_radio_counters *c);
    /* Optional (NULL when absent; see caps). */
    int (*new_episode)(void *state, uint64_t episode); /* ISAC_RADIO_CAP_SCENARIO */
    int (*truth_json)(void *state, char **json_out); /* ISAC_RADIO_CAP_TRUTH: malloc'd JSON text */
    const char *(*last_error)(void *state);          /* detail of the last failure */
    /* Retune the (IF) carrier of every channel to hz (within freq_min..freq_max).
     * Without ISAC_RADIO_CAP_LO_SHARED each channel's LO phase is re-drawn. Optional. */
    int (*set_center_freq)(void *state, double hz);
    /* ISAC_RADIO_CAP_MOVABLE: move the TX elements to pos_wl[0..num_tx-1] (validated by the
     * caller) for bursts transmitted after the call. Optional. */
    int (*set_tx_positions)(void *state, const double *pos_wl, unsigned n);
    /* The device's current TX settings (struct isac_radio_tx_state), read from the device
     * itself. Optional: without it the radio layer uses isac_radio_tx_state_from_info(). */
    int (*tx_state)(void *state, struct isac_radio_tx_state *ts);
    /* Optional: the caller reads only the receive APs in ap_mask (bit n: AP n) from now on;
     * an emulator may skip rendering the others (their channels are then zeros). The
     * channels that are read are bit for bit what they were without the call. */
    int (*set_rx_aps)(void *state, uint32_t ap_mask);
    /* The next rx_capture will probably be [t0, t0 + len): prepare what does not depend on
     * later TX bursts (the emulator draws the window's noise on a worker thread). Must
     * never change samples. Optional. */
    int (*prepare_rx)(void *state, int64_t t0, size_t len);
};

typedef struct isac_radio_s *isac_radio;

/* Open a radio from a spec string. On failure returns NULL and writes one line
 * naming the back end or argument at fault into err. */
isac_radio isac_radio_open(const char *spec, char *err, size_t errlen);
/* Same, with the failure class: ISAC_EINVAL for a malformed spec (unknown back end,
 * unknown/duplicated/malformed argument, value out of range: a usage error),
 * another negative isac_err when the device cannot be opened (ISAC_EIO, ISAC_ERADIO,
 * ISAC_ENOMEM...). *out is NULL on failure. */
int isac_radio_open_ex(const char *spec, isac_radio *out, char *err, size_t errlen);
void isac_radio_close(isac_radio r);

int isac_radio_get_info(isac_radio r, struct isac_radio_info *info);
int isac_radio_get_time(isac_radio r, int64_t *tick);
int isac_radio_tx_burst(isac_radio r, int64_t t0, const float complex *const *x, size_t len);
int isac_radio_rx_capture(isac_radio r, int64_t t0, float complex *const *y, size_t len,
                          struct isac_radio_rx_md *md);
int isac_radio_get_counters(isac_radio r, struct isac_radio_counters *c);
/* Announce the probable next RX window (isac_radio_ops.prepare_rx); ISAC_OK when the back
 * end has nothing to prepare. The live loop calls it before processing a window, so the
 * next capture's plan-independent work overlaps the processing. */
int isac_radio_prepare_rx(isac_radio r, int64_t t0, size_t len);
int isac_radio_new_episode(isac_radio r, uint64_t episode);
/* isac_radio_new_episode, then *tick = max(*tick, the radio's time): a scenario radio may
 * move its clock forward to the episode's start (sim:episode_span), and the caller's
 * next command must not be late. */
int isac_radio_start_episode(isac_radio r, uint64_t episode, int64_t *tick);
/* Ground truth as JSON text (caller frees); ISAC_ENOTSUP without ISAC_RADIO_CAP_TRUTH. */
int isac_radio_truth_json(isac_radio r, char **json_out);
const char *isac_radio_last_error(isac_radio r);
/* Retune (see isac_radio_ops.set_center_freq); ISAC_ENOTSUP when the back end cannot. */
int isac_radio_set_center_freq(isac_radio r, double hz);
/* Move the TX elements (ISAC_RADIO_CAP_MOVABLE; ISAC_ENOTSUP without it) for every later
 * burst. n must be num_tx and the positions finite, |p| <= 1e4 and at least
 * ISAC_RADIO_MIN_SPACING_WL apart (ISAC_EINVAL, one line in isac_radio_last_error()). */
int isac_radio_set_tx_positions(isac_radio r, const double *pos_wl, unsigned n);
/* The TX settings the guard checks the next burst against: the back end's tx_state op
 * (queried from the device), else isac_radio_tx_state_from_info() of the radio's description. */
int isac_radio_get_tx_state(isac_radio r, struct isac_radio_tx_state *ts);
/* Every TX channel at info's carrier, bandwidth (sample rate when 0), gain, full scale. */
void isac_radio_tx_state_from_info(const struct isac_radio_info *info,
                                   struct isac_radio_tx_state *ts);
/* Only the receive APs of ap_mask will be read (isac_radio_ops.set_rx_aps; isactb node renders
 * its own APs' channels). ISAC_ENOTSUP when the back end captures every channel anyway. */
int isac_radio_set_rx_aps(isac_radio r, uint32_t ap_mask);
/* The back end's ops and state (for back-end specific helpers and tests). */
const struct isac_radio_ops *isac_radio_get_ops(isac_radio r);
void *isac_radio_get_state(isac_radio r);

/* ---- spec-string helpers shared by back ends ---- */

/* Find key in "k=v,k=v" args; copies the value into out. 1 found, 0 absent,
 * negative on malformed args (writes err). */
int isac_radio_arg_get(const char *args, const char *key, char *out, size_t outlen);
/* Check that every key in args is one of the NULL-terminated list allowed;
 * otherwise write "unknown argument 'key' for back end 'name'" into err. */
int isac_radio_args_check(const char *backend, const char *args, const char *const *allowed,
                          char *err, size_t errlen);
/* Typed getters for back ends: absent key -> *out = def and 0; present and valid ->
 * 1; malformed or outside [lo, hi] -> ISAC_EINVAL with
 * "argument 'key=value' of back end 'name': expected ..." in err. */
int isac_radio_arg_double(const char *backend, const char *args, const char *key, double def,
                          double lo, double hi, double *out, char *err, size_t errlen);
int isac_radio_arg_u64(const char *backend, const char *args, const char *key, uint64_t def,
                       uint64_t lo, uint64_t hi, uint64_t *out, char *err, size_t errlen);
/* One of a NULL-terminated list of words; *out = index (def when absent). */
int isac_radio_arg_choice(const char *backend, const char *args, const char *key,
                          const char *const *words, int def, int *out, char *err, size_t errlen);

#endif
