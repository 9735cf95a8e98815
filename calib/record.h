/* Calibration records: the versioned JSON file a calibration session writes and that
 * `run`/`replay` apply (format: docs/calibration.md, "Record format").
 *
 * A record is keyed by the device identity (driver, serial), the channel map (RX/TX
 * channel counts, elements per receive array), the centre frequency, sample rate,
 * gains and master clock; it carries a time stamp, the estimated accuracy and up to
 * three sections: rx (per-channel phase/gain/delay relative to each array's first
 * element), tx (relative to TX element 0) and system_delay (TX channel 0 -> first
 * element of each receive array, samples).
 *
 * Errors are one line "FILE: FIELD: problem" (ISAC_EFORMAT for a corrupt record,
 * ISAC_EINVAL for a record that does not match the radio, ISAC_EIO for I/O).
 */
#ifndef ISACTB_CALIB_RECORD_H
#define ISACTB_CALIB_RECORD_H

#include <jansson.h>

#include "calib/calib.h"
#include "dsp/correction.h"
#include "radio.h"

#define ISAC_CALIB_RECORD_FORMAT "isactb-calibration"
#define ISAC_CALIB_RECORD_VERSION 1
#define ISAC_CALIB_RECORD_MAX_AGE_S 86400.0 /* default staleness limit, s */

struct isac_calib_section {
    int present;
    double created_unix; /* s since 1970 (UTC) */
    char method[32];     /* "splitter-eigenvector", "coupler-comb", "coupler-sequential",
                            "pilot-eigenvector", "pilot-comb" */
    unsigned n;          /* channels (= num_rx or num_tx) */
    struct isac_calib_chan ch[ISAC_CALIB_MAX_CH];
    double phase_rms_deg; /* estimated accuracy: RMS of the channels' 1-sigma values */
    double gain_rms_db;
    double delay_rms;
};

struct isac_calib_record {
    int version;
    char driver[32], serial[64];
    unsigned num_rx, num_tx, num_rx_aps, rx_ap_elements[ISAC_RADIO_MAX_APS];
    double center_freq, sample_rate, rx_gain_db, tx_gain_db;
    double master_clock; /* Hz, 0 = unknown (not compared) */
    int lo_shared;       /* the radio shared LOs when measured */
    double created_unix; /* latest section's time */
    double max_age_s;    /* older records are stale (applied with a warning) */
    struct isac_calib_section rx, tx;
    int has_delay;
    double system_delay[ISAC_RADIO_MAX_APS], system_delay_std[ISAC_RADIO_MAX_APS];
};

/* Fresh record (no section) keyed by the radio's description. */
void isac_calib_record_init(struct isac_calib_record *rec, const struct isac_radio_info *info,
                            double now_unix);
/* Fill a section from estimates (n channels), computing the accuracy summary. */
void isac_calib_section_set(struct isac_calib_section *s, const char *method,
                            const struct isac_calib_chan *ch, unsigned n, double now_unix);

json_t *isac_calib_record_to_json(const struct isac_calib_record *rec);
/* Parse and validate; src names the file in err. */
int isac_calib_record_from_json(const json_t *o, const char *src, struct isac_calib_record *rec,
                                char *err, size_t errlen);
int isac_calib_record_load(const char *path, struct isac_calib_record *rec, char *err,
                           size_t errlen);
/* Atomic write (temporary file + rename). */
int isac_calib_record_save(const char *path, const struct isac_calib_record *rec, char *err,
                           size_t errlen);

/* ISAC_OK when rec was measured on this radio configuration; otherwise ISAC_EINVAL with
 * "SRC: FIELD: record has X, the radio Y" in err. */
int isac_calib_record_match(const struct isac_calib_record *rec, const struct isac_radio_info *info,
                            const char *src, char *err, size_t errlen);
/* 1 when now_unix - created_unix > max_age_s. */
int isac_calib_record_stale(const struct isac_calib_record *rec, double now_unix);

/* Pipeline correction from a record (sections absent -> identity for that part):
 * rx_weight = c_0/c_m, delays aligning every channel (and, with a system_delay section,
 * every array) to the latest one, TX weights scaled to the array's RMS gain, and
 * lag0_delay the system delay left after alignment. */
int isac_calib_record_to_pipeline(const struct isac_calib_record *rec,
                                  struct isac_chan_correction *pc, char *err, size_t errlen);

/* Find the newest record in directory dir matching info. Returns 1 found (rec, path
 * filled), 0 none; corrupt files are reported through warn (one line each) and skipped. */
int isac_calib_record_find(const char *dir, const struct isac_radio_info *info,
                           struct isac_calib_record *rec, char *path, size_t pathlen,
                           void (*warn)(void *ctx, const char *line), void *ctx);
/* File name a record would be stored under in a directory: DRIVER-SERIAL-FREQ.json. */
void isac_calib_record_filename(const struct isac_calib_record *rec, char *out, size_t outlen);

/* Tracking: a record is invalid after a retune unless the LOs are shared (HeIMDALL's
 * track mode drops back to full calibration). Returns 1 when rec must be re-measured. */
int isac_calib_record_invalidated_by_retune(const struct isac_calib_record *rec,
                                            uint32_t radio_caps);

#endif
