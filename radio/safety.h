/* Transmit safety: the site limits every TX burst is checked against before a single
 * sample is handed to a back end (docs/reliability.md, "Transmit safety").
 *
 * A site limits file (JSON, one object; docs/reliability.md has the full format):
 *
 *   { "format": "isactb-site-limits", "version": 1,
 *     "site": "bench 3, room 214",                    optional label (<= 127 chars)
 *     "tx_freq_ranges_hz": [[2.4e9, 2.4835e9]],         1..16 ranges [lo, hi], Hz
 *     "max_tx_power_dbm": 10,                          -100..60 dBm
 *     "max_tx_gain_db": 20,                            -100..100 dB
 *     "max_duty_cycle": 0.25,                          (0, 1]
 *     "duty_window_s": 1.0,                            optional, 1e-3..60 s (default 1)
 *     "tx_full_scale": {"soapy:fake-1": 1.0} }         optional, per device (below)
 *
 * Every key except "site" and "duty_window_s" is required; unknown keys are refused
 * (a misspelt limit must never silently fall back to a default). Without a file the
 * conservative defaults of isac_radio_limits_default() apply to every radio that can radiate
 * (isac_radio_limits_for()); a file, once installed (isac_radio_set_limits()), applies to every
 * radio, the emulator included.
 *
 * A burst is refused (ISAC_ESAFETY, nothing transmitted) when, for what the device is
 * set to at the time of the burst (struct isac_radio_tx_state, radio/radio.h), any of these holds:
 *   - the occupied band of any TX channel [f_c - B/2, f_c + B/2] (its TX centre frequency,
 *     B = the larger of the TX sample rate and its analog bandwidth) is not inside one
 *     allowed range;
 *   - the burst's power tx_power_dbm + 10 log10(sum_c mean |x_c|^2 10^((g_c - g0)/10))
 *     exceeds max_tx_power_dbm (tx_power_dbm: a unit-power burst at the gain g0 the radio
 *     described at open; g_c: channel c's gain now);
 *   - any TX channel's gain setting g_c exceeds max_tx_gain_db;
 *   - the fraction of the last duty_window_s (in ticks of the TX sample clock, ending at
 *     the burst's end) spent transmitting, this burst included, exceeds max_duty_cycle;
 *   - a sample is not finite, or |x| exceeds the full scale (the device's, else the
 *     site file's tx_full_scale entry for it); a radiating front end whose full scale is
 *     known neither way is refused outright.
 * The refusal is one line naming the limit, its value and its source (file or
 * "default limits"), e.g.
 *   "TX refused: carrier band 5.000-5.020 GHz outside the allowed ranges (tx_freq_ranges_hz,
 * default limits)".
 */
#ifndef ISACTB_RADIO_SAFETY_H
#define ISACTB_RADIO_SAFETY_H

#include <complex.h>
#include <stddef.h>
#include <stdint.h>

#include "radio.h"

#define ISAC_RADIO_LIMITS_MAX_RANGES 16
#define ISAC_RADIO_LIMITS_MAX_DEVICES 16

struct isac_radio_limits {
    unsigned num_ranges;                               /* 1..RADIO_LIMITS_MAX_RANGES */
    double ranges_hz[ISAC_RADIO_LIMITS_MAX_RANGES][2]; /* allowed [lo, hi] carrier bands, Hz */
    double max_tx_power_dbm;                           /* total TX power of a burst, dBm */
    double max_tx_gain_db;                             /* TX gain setting of the front end, dB */
    double max_duty_cycle;                             /* fraction of time transmitting, (0, 1] */
    double duty_window_s;                              /* averaging window of the duty cycle, s */
    unsigned num_full_scale;                           /* entries of tx_full_scale */
    struct {
        char device[96]; /* "DRIVER:SERIAL" (radio_info.driver, .serial) or "DRIVER" */
        double value;    /* |x| of a full-scale sample of that front end */
    } full_scale[ISAC_RADIO_LIMITS_MAX_DEVICES];
    char site[128];   /* label of the site ("" none) */
    char source[256]; /* file the limits came from, or "default limits" */
};

/* The conservative defaults used when no site file is given: the 2.4 GHz ISM band
 * (2.400-2.4835 GHz) and the 5.8 GHz ISM band (5.725-5.875 GHz) only, 20 dBm total TX
 * power (the ETSI EN 300 328 EIRP ceiling at 2.4 GHz), 10 dB TX gain, 25 % duty cycle
 * over 1 s. */
void isac_radio_limits_default(struct isac_radio_limits *l);

/* The limits of a radio that radiates nothing (the in-process emulator, a replayed
 * recording): any band, power, gain and duty cycle; samples must still be finite. */
void isac_radio_limits_none(struct isac_radio_limits *l);
/* What a radio gets when no site limits file is given: isac_radio_limits_default() when it
 * radiates, isac_radio_limits_none() otherwise. Whether a radio radiates is decided by the
 * radio layer from the back end's code (radio/radio.c: only the in-process `sim` and
 * `file` back ends radiate nothing), never from what a device reports about itself: a
 * SoapySDR device offering the emulator's isactb_truth setting is still a transmitter. */
void isac_radio_limits_for(int radiates, struct isac_radio_limits *l);

/* Parse the JSON text of a site limits file (len bytes, need not be NUL-terminated).
 * name is used in messages (the file path). On error: ISAC_EFORMAT (or ISAC_ENOMEM)
 * and one line "NAME: FIELD: problem (value)" in err; *l is untouched. */
int isac_radio_limits_parse(const char *text, size_t len, const char *name,
                            struct isac_radio_limits *l, char *err, size_t errlen);
/* Read and parse PATH: ISAC_EIO when it cannot be read, otherwise as radio_limits_parse. */
int isac_radio_limits_load(const char *path, struct isac_radio_limits *l, char *err, size_t errlen);

/* ---- the guard: per-radio state of the checks (duty-cycle history) ---- */

typedef struct isac_radio_guard_s *isac_radio_guard;

/* NULL on allocation failure. l is copied. */
isac_radio_guard isac_radio_guard_create(const struct isac_radio_limits *l);
void isac_radio_guard_destroy(isac_radio_guard g);
const struct isac_radio_limits *isac_radio_guard_limits(isac_radio_guard g);

/* Check a burst of len samples per TX channel (x[ch], ch < info->num_tx) starting at
 * tick t0 (of the TX sample clock) on a radio described by info whose TX settings are ts
 * (isac_radio_get_tx_state(): read from the device before the burst). Every TX channel is
 * checked: its band ts->freq_hz[c] +- max(ts->rate, ts->bw_hz[c])/2, its gain
 * ts->gain_db[c]; the power is info->tx_power_dbm + 10 log10(sum_c mean|x_c|^2 10^((gain_c
 * - info->tx_gain_db)/10)); the duty cycle is counted in ticks of ts->rate. The clipping
 * limit is ts->full_scale, else the site file's tx_full_scale entry for the device; when
 * neither exists the burst is refused unless emulated (the in-process emulator, decided
 * by the radio layer's code). ISAC_OK: the burst is allowed and counted in the duty-cycle
 * history; ISAC_ESAFETY: refused, one line in err (the history is unchanged);
 * ISAC_EINVAL: bad arguments. */
int isac_radio_guard_check_tx(isac_radio_guard g, const struct isac_radio_info *info,
                              const struct isac_radio_tx_state *ts, int emulated, int64_t t0,
                              const float complex *const *x, size_t len, char *err, size_t errlen);
/* isac_radio_guard_check_tx with the TX settings of info (isac_radio_tx_state_from_info), not
 * emulated. */
int isac_radio_guard_check_burst(isac_radio_guard g, const struct isac_radio_info *info, int64_t t0,
                                 const float complex *const *x, size_t len, char *err,
                                 size_t errlen);

/* Install lim on an opened radio (replacing its current limits: every radio starts
 * with isac_radio_limits_for() its description). Implemented by the radio layer (radio/radio.c).
 * ISAC_EINVAL / ISAC_ENOMEM. */
int isac_radio_set_limits(isac_radio r, const struct isac_radio_limits *lim);
/* The limits in force on r (borrowed; NULL for NULL r). */
const struct isac_radio_limits *isac_radio_get_limits(isac_radio r);

#endif
