/* The description of a front end: what a radio is (channels, arrays and their element
 * positions, rates, carrier, gains, capabilities) and what one RX window reports. It is
 * data only, shared by the radio layer (radio/radio.h, which opens and drives radios),
 * the capture module (which records and restores descriptions) and processing, so that
 * none of them depends on another to know what a radio is.
 */
#ifndef ISACTB_FRONTEND_RADIO_INFO_H
#define ISACTB_FRONTEND_RADIO_INFO_H

#include <stddef.h>
#include <stdint.h>

#include "array/array.h"
#include "array/geom.h"

enum isac_radio_cap {
    ISAC_RADIO_CAP_TIMED_TX = 1u << 0,  /* TX bursts start at a given tick */
    ISAC_RADIO_CAP_TIMED_RX = 1u << 1,  /* RX windows start at a given tick */
    ISAC_RADIO_CAP_HW_TIME = 1u << 2,   /* timestamps come from the device clock */
    ISAC_RADIO_CAP_LO_SHARED = 1u << 3, /* channels share one LO: phases survive retune */
    ISAC_RADIO_CAP_TRUTH = 1u << 4,     /* ground truth available (emulator) */
    ISAC_RADIO_CAP_SCENARIO = 1u << 5,  /* new_episode() re-draws the scene (emulator) */
    ISAC_RADIO_CAP_REPLAY = 1u << 6,    /* samples come from a recording */
    ISAC_RADIO_CAP_IDEAL = 1u << 7,     /* channels have no phase/gain/delay offsets (emulator with
                                      impairments=0): there is nothing to calibrate */
    ISAC_RADIO_CAP_MOVABLE = 1u << 8,   /* a plan may change element positions per CPI:
                                      isac_radio_set_tx_positions() moves the TX elements */
};

#define ISAC_RADIO_MAX_CHANNELS 256
#define ISAC_RADIO_MAX_APS 16
/* Closest two elements of one array may be, in wavelengths: below about 0.1 wl the
 * mutual coupling that every back end ignores dominates the element pattern, and a
 * movable-antenna plan that asks for it is a bug, not an experiment. */
#define ISAC_RADIO_MIN_SPACING_WL 0.1

/* Static description of an opened radio. */
struct isac_radio_info {
    char driver[32];      /* "sim", "file", "soapy", "uhd" */
    char serial[64];      /* device identity (emulator: "sim-<seed>") */
    uint32_t caps;        /* isac_radio_cap flags */
    double sample_rate;   /* Hz */
    double center_freq;   /* Hz, the radio's (IF) carrier */
    double emulated_freq; /* Hz, the mmWave carrier the IF proxies (phases, Doppler) */
    double bandwidth;     /* Hz */
    unsigned num_tx;      /* transmit channels (= transmit array elements) */
    unsigned num_rx;      /* receive channels, all arrays */
    unsigned num_rx_aps;  /* receive arrays */
    unsigned rx_ap_elements[ISAC_RADIO_MAX_APS]; /* elements per receive array; channels are
                                                    consecutive */
    /* Nominal ULA spacing in wavelengths. Compatibility only: captures carry it (older
     * captures carry nothing else) and back ends that only know a spacing (uhd, soapy)
     * expand it into the positions below. Processing never uses it. */
    double element_spacing_wl;
    struct isac_geom_ap tx_ap;                     /* geometry of the transmit AP */
    struct isac_geom_ap rx_ap[ISAC_RADIO_MAX_APS]; /* geometry of each receive AP */
    double tx_power_dbm;                           /* total transmit power of a unit-power burst */
    double noise_dbm; /* noise power per receive sample over the bandwidth */
    /* Added with the sim back end (zero when a back end does not know them). */
    double freq_min, freq_max; /* Hz, tunable range of center_freq */
    double rx_gain_db;         /* receive gain setting, dB */
    double tx_gain_db;         /* transmit gain setting, dB */
    double noise_var;          /* per-sample noise variance in sample units (|y|^2), 0 unknown */
    double full_scale;         /* |x| of a full-scale sample (TX clipping limit), 0 none */
    /* Element positions along each array's axis, wavelengths at emulated_freq (array/
     * array.h convention), filled by every back end: TX element m at tx_pos_wl[m]
     * (m < num_tx) along tx_ap's axis; RX channel ch at rx_pos_wl[ch] (ch < num_rx)
     * along the axis of the receive AP that holds it. */
    double tx_pos_wl[ISAC_RADIO_MAX_CHANNELS];
    double rx_pos_wl[ISAC_RADIO_MAX_CHANNELS];
    /* 1 when the back end does not know its geometry and assumed a ULA from
     * element_spacing_wl (uhd, soapy without an emulator layout): an experiment's
     * `array:` section then states the real positions (experiments/default.yaml). */
    int positions_nominal;
};

/* Fault and loss counters. A run never continues silently over lost samples. */
struct isac_radio_counters {
    uint64_t overflows;
    uint64_t underflows;
    uint64_t late_commands;
    uint64_t dropped_samples;
    uint64_t timeouts;
};

/* Per-capture metadata returned with an RX window. */
struct isac_radio_rx_md {
    int64_t start_tick;       /* tick of the first sample actually returned */
    size_t num_samples;       /* samples per channel returned */
    uint64_t dropped_samples; /* samples lost inside this window (gap filled with zeros) */
    int64_t drop_start_tick;  /* first lost tick when dropped_samples > 0 */
    int overflow;             /* an overflow was reported in this window */
};

/* ---- element positions ---- */

/* Check n positions (wavelengths): finite, |p| <= 1e4, every pair at least
 * ISAC_RADIO_MIN_SPACING_WL apart (any order: the order is the channel order). 0 when valid,
 * else ISAC_EINVAL and why ("elements 2 and 3 are 0.05 wavelengths apart ...") in why. */
int isac_radio_positions_check(const double *pos_wl, unsigned n, char *why, size_t whylen);
/* isac_radio_positions_check on the TX array and on every receive AP's array; why names it. */
int isac_radio_info_check_positions(const struct isac_radio_info *info, char *why, size_t whylen);
/* Fill tx_pos_wl and rx_pos_wl with ULAs of info->element_spacing_wl (back ends that only
 * know a spacing). num_tx, num_rx_aps and rx_ap_elements must be set. */
void isac_radio_info_fill_ula(struct isac_radio_info *info);
/* First RX channel of receive AP ap. */
unsigned isac_radio_rx_first_channel(const struct isac_radio_info *info, unsigned ap);
/* The TX array and receive AP ap's array from the positions in info (isac_array_destroy
 * them); NULL on bad positions or out of memory. Every processing stage builds its
 * arrays through these, never from a spacing. */
isac_array isac_radio_tx_array(const struct isac_radio_info *info);
isac_array isac_radio_rx_array(const struct isac_radio_info *info, unsigned ap);

#endif
