/* SigMF 1.2.0 captures: the writer used by `isactb run --record`, the reader used by
 * `replay`/`detect`, and the `file` radio back end built on the reader.
 *
 * A recording is a directory holding one SigMF Collection (docs/capture-format.md is
 * the full specification; this header is the API):
 *
 *   NAME.sigmf-collection               core:streams lists every recording below (with
 *                                       the SHA-512 of its .sigmf-meta) and carries the
 *                                       `spatial:element_geometry` of all RX elements
 *   NAME-rxK.sigmf-meta / -data         receive channel K (0..num_rx-1), cf32_le
 *   NAME-txref.sigmf-meta / -data       the unweighted probe waveform of each CPI, cf32_le
 *
 * Every CPI (one RX window per channel + its TX probe) is one annotation in every meta
 * file and starts a new captures segment whose core:global_index is the tick (sample
 * clock, radio/radio.h) of its first sample. Samples the radio lost are not stored: a
 * second segment after the gap carries the jumped core:global_index, and the
 * annotation's "isactb:drop" object records the gap. Project fields live in the
 * "isactb:" namespace (declared in core:extensions next to `spatial`).
 *
 * Crash safety: data streams to NAME-*.sigmf-data.tmp; metadata is written at finish()
 * to .tmp files and renamed; the .sigmf-collection is renamed into place last, so a
 * directory without NAME.sigmf-collection is never a complete capture and the reader
 * refuses it.
 *
 * Errors: functions return ISAC_OK or a negative isac_err (common/err.h) and keep a
 * one-line message "FILE: FIELD VALUE what is wrong" (sigmf_*_last_error or err).
 * Samples are IEEE-754 float32 little-endian (the only supported host byte order).
 */
#ifndef ISACTB_RADIO_SIGMF_H
#define ISACTB_RADIO_SIGMF_H

#include <complex.h>
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "plan/plan.h"
#include "frontend/radio_info.h"

#define ISAC_SIGMF_VERSION "1.2.0"
#define ISAC_SIGMF_SPATIAL_VERSION "1.1.0" /* spatial.sigmf-ext.md, v1.1.0 */
/* Version of the isactb: namespace and capture layout (docs/capture-format.md). 2.0.0:
 * shared records and per-CPI records in the collection, none in the .sigmf-meta files;
 * 1.0.0 (refused): every meta repeated them. */
#define ISAC_SIGMF_ISACTB_VERSION "2.0.0"
#define ISAC_SIGMF_NAME_MAX 128 /* longest recording NAME, characters */

/* ------------------------------------------------------------------ writer */

typedef struct isac_sigmf_writer_s *isac_sigmf_writer;

struct isac_sigmf_writer_desc {
    /* Required. The radio that produced the samples: num_rx channels (1..256) grouped
     * in num_rx_aps arrays, sample_rate (Hz, > 0, core:sample_rate), center_freq (Hz,
     * core:frequency), geometry (spatial:element_geometry). Stored verbatim as the
     * global "isactb:radio" object (isac_sigmf_radio_info_to_json). */
    const struct isac_radio_info *info;
    /* Optional (NULL): a JSON object whose keys all start with "isactb:" (for example
     * "isactb:experiment", the experiment configuration, and "isactb:codebook"); written
     * once, into the collection object (docs/capture-format.md section 3). "isactb:radio",
     * "isactb:stream", "isactb:rx_ap" and "isactb:ap_element" are the writer's own and are refused.
     * Deep-copied. */
    const json_t *global;
    /* Optional (NULL = field omitted): num_rx phase offsets in degrees, written as
     * spatial:phase_offset of every captures segment of channel K. Meaning (spatial
     * extension 2): phase of the stored data relative to the common reference plane,
     * removed by exp(-j*radians(phase_offset)). Pass the offsets the calibration
     * measured when recording raw samples, zeros when the samples are already
     * calibrated. Finite, |value| <= 360. */
    const double *rx_phase_offset_deg;
    const char *description; /* optional core:description (UTF-8) */
    const char *author;      /* optional core:author */
    const char *hw;          /* optional core:hw; default "DRIVER SERIAL: n RX in m arrays, k TX" */
};

/* One CPI handed to the writer. */
struct isac_sigmf_cpi {
    /* Tick of rx[ch][0] (>= 0). Windows must not overlap: tick >= previous tick +
     * previous len. */
    int64_t tick;
    const float complex *const *rx; /* rx[ch][0..len-1], ch < num_rx */
    size_t len;                     /* window length, samples per channel, 1..2^30 */
    /* Optional (NULL = nothing lost). md->dropped_samples > 0 marks the zero-filled
     * gap [drop_start_tick, drop_start_tick + dropped_samples) inside the window:
     * those samples are not stored. md->start_tick must equal tick and
     * md->num_samples must equal len. md->overflow is recorded. */
    const struct isac_radio_rx_md *md;
    /* The unweighted probe waveform of this CPI and the tick of its first sample
     * (>= 0, >= previous tx_tick + previous txlen). txlen 0..2^30 (0: no probe). */
    int64_t tx_tick;
    const float complex *txref;
    size_t txlen;
    /* Optional (NULL): object of "isactb:*" keys decided by the caller (beam index,
     * TX weights, waveform parameters, live detections: docs/capture-format.md).
     * Keys the writer sets itself (isactb:cpi, isactb:tick, isactb:num_samples,
     * isactb:tx_tick, isactb:tx_samples, isactb:drop, isactb:overflow) are refused.
     * Deep-copied into the CPI's annotation of every meta file. */
    const json_t *annotation;
    /* Optional (NULL): object of spatial captures-segment fields for this CPI, copied
     * into every captures segment of the CPI in every RX recording (the txref recording
     * does not use `spatial`). Only "spatial:calibration" is accepted: the spatial
     * extension's calibration object (2.1) marking the CPI as a calibration segment:
     * {"caltype": "tone"|"xcorr"|"ref"|"other", optional "bearing" (bearing object:
     * azimuth, elevation, range, range_rate, az_error, el_error, range_error,
     * range_rate_error, numbers), optional "cal_geometry" (cartesian_point: {"point":
     * [x, y, z]} metres or {"unknown": true})}, nothing else. Deep-copied. */
    const json_t *segment;
    /* Optional (NULL): the transmit plan of this CPI, recorded as "isactb:plan"
     * (isac_tx_plan_to_json: {"beam": q} for a codebook plan, else the full plan;
     * element positions only when they changed since the last CPI that had any). */
    const struct isac_tx_plan_s *plan;
};

/* Start a recording NAME ([A-Za-z0-9._-], 1..SIGMF_NAME_MAX chars, not starting with
 * '.') in directory dir (created if missing; its parent must exist). Refuses to
 * overwrite an existing dir/NAME.sigmf-collection. Opens one .sigmf-data.tmp per
 * stream. NULL on failure with one line in err. */
isac_sigmf_writer isac_sigmf_writer_create(const char *dir, const char *name,
                                           const struct isac_sigmf_writer_desc *desc, char *err,
                                           size_t errlen);

/* Append one CPI: streams its samples to the data files and queues its captures
 * segments and annotations. ISAC_EINVAL on a bad argument (nothing written),
 * ISAC_EIO when a data write fails (the CPI is rolled back at finish()). On error the
 * writer stays usable: finish() keeps every CPI appended before. */
int isac_sigmf_writer_append_cpi(isac_sigmf_writer w, const struct isac_sigmf_cpi *cpi);

/* Replace the per-channel spatial:phase_offset (num_rx degrees, finite, |value| <= 360;
 * NULL = omit the field) written at finish(): a calibration session learns the
 * offsets only after its captures (spatial extension 2.1: "the resulting value ... can
 * then be stored in the captures object phase_offset field"). ISAC_EINVAL on a bad
 * value (nothing changed). */
int isac_sigmf_writer_set_rx_phase_offset(isac_sigmf_writer w, const double *deg);

/* Number of CPIs appended successfully so far. */
size_t isac_sigmf_writer_num_cpis(isac_sigmf_writer w);

/* Finalise what was captured (callable at any CPI boundary, including after zero
 * CPIs or a failed append): writes the meta files and the collection, renames every
 * temporary into place (collection last) and frees w. On failure removes the
 * temporaries and any file it already renamed, writes one line into err, and frees w. */
int isac_sigmf_writer_finish(isac_sigmf_writer w, char *err, size_t errlen);

/* Drop the recording: removes every temporary file and frees w (NULL allowed). */
void isac_sigmf_writer_abort(isac_sigmf_writer w);

/* One-line description of the last failure of w ("" if none). */
const char *isac_sigmf_writer_last_error(isac_sigmf_writer w);

/* ------------------------------------------------------------------ reader */

typedef struct isac_sigmf_reader_s *isac_sigmf_reader;

/* Per-CPI facts derived from the metadata. */
struct isac_sigmf_cpi_info {
    int64_t tick;             /* tick of the window's first sample (isactb:tick) */
    size_t len;               /* window length in samples (isactb:num_samples) */
    int64_t tx_tick;          /* tick of the first probe sample (isactb:tx_tick) */
    size_t txlen;             /* probe samples (txref annotation core:sample_count) */
    uint64_t dropped_samples; /* samples missing from the window (zero-filled by read) */
    int64_t drop_start_tick;  /* first missing tick when dropped_samples > 0 */
    unsigned num_gaps;        /* contiguous runs of missing samples */
    int overflow;             /* isactb:overflow */
};

/* Open a recording from the path of its directory, its .sigmf-collection or any one
 * of its .sigmf-meta files (the meta's core:collection names the collection). The
 * whole recording is validated (see docs/capture-format.md, "Reader checks"); the
 * data files stay open for reading. NULL on failure with one line naming the file,
 * the field and the value at fault in err. */
isac_sigmf_reader isac_sigmf_reader_open(const char *path, char *err, size_t errlen);
void isac_sigmf_reader_close(isac_sigmf_reader r);

/* The global object of RX channel 0's meta file (borrowed; valid until close). The
 * "isactb:*" keys hold the experiment configuration and "isactb:radio". */
const json_t *isac_sigmf_reader_global(isac_sigmf_reader r);
/* The radio description recorded in "isactb:radio". */
void isac_sigmf_reader_radio_info(isac_sigmf_reader r, struct isac_radio_info *info);
size_t isac_sigmf_reader_num_cpis(isac_sigmf_reader r);
unsigned isac_sigmf_reader_num_rx(isac_sigmf_reader r);
double isac_sigmf_reader_sample_rate(isac_sigmf_reader r);
/* Path of the .sigmf-collection file (borrowed). */
const char *isac_sigmf_reader_path(isac_sigmf_reader r);

/* Facts of CPI k (k < num_cpis). ISAC_EINVAL for k out of range. */
int isac_sigmf_reader_cpi_info(isac_sigmf_reader r, size_t k, struct isac_sigmf_cpi_info *ci);
/* The annotation of CPI k in RX channel 0's meta (borrowed): core: fields, the writer's
 * isactb: fields and the caller's per-CPI isactb: fields. NULL for k out of range. */
const json_t *isac_sigmf_reader_cpi_annotation(isac_sigmf_reader r, size_t k);
/* The transmit plan recorded for CPI k ("isactb:plan", element positions restored when
 * the writer recorded them as unchanged), parsed and validated against cb
 * (isac_tx_plan_from_json). NULL with one line in err when CPI k has no plan or it is
 * invalid. */
isac_tx_plan isac_sigmf_reader_cpi_plan(isac_sigmf_reader r, size_t k, isac_codebook cb, char *err,
                                        size_t errlen);
/* Read the RX window of CPI k into rx[ch][0..len-1] for every ch < num_rx; len must
 * equal the recorded window length. Lost samples read as 0; md (optional) reports
 * start_tick, num_samples, the total dropped samples and the first lost tick.
 * ISAC_EINVAL on bad arguments, ISAC_EIO if a data file cannot be read. */
int isac_sigmf_reader_read_cpi(isac_sigmf_reader r, size_t k, float complex *const *rx, size_t len,
                               struct isac_radio_rx_md *md);
/* Read the probe waveform of CPI k into tx[0..txlen-1]; txlen must equal the recorded
 * length (isac_sigmf_cpi_info.txlen). */
int isac_sigmf_reader_read_txref(isac_sigmf_reader r, size_t k, float complex *tx, size_t txlen);
/* The stored TX reference must be the probe (or calibration reference) that the processing
 * correlates with, regenerated from the recorded parameters: every sample within
 * ISAC_SIGMF_TXREF_TOL (absolute, of a unit-amplitude sequence; float32 rounding of an
 * independent implementation is ~1e-7, a sign, index or amplitude error is >= 1e-2).
 * Returns the index of the first sample of stored[0..n-1] farther than that from
 * expected[], or n when all agree; *diff (optional) = that distance. */
#define ISAC_SIGMF_TXREF_TOL 1e-3
size_t isac_sigmf_txref_mismatch(const float complex *stored, const float complex *expected,
                                 size_t n, double *diff);
/* Check every .sigmf-data against its core:sha512 (reads all data once). ISAC_EFORMAT
 * with the file named in last_error on a mismatch. */
int isac_sigmf_reader_verify_data(isac_sigmf_reader r);
const char *isac_sigmf_reader_last_error(isac_sigmf_reader r);

/* ------------------------------------------------------------------ helpers */

/* struct radio_info <-> the "isactb:radio" JSON object (field list in
 * docs/capture-format.md). to_json returns a new reference or NULL (ENOMEM). from_json
 * returns ISAC_EFORMAT with "FIELD VALUE problem" (no file name) in err. */
json_t *isac_sigmf_radio_info_to_json(const struct isac_radio_info *info);
int isac_sigmf_radio_info_from_json(const json_t *obj, struct isac_radio_info *info, char *err,
                                    size_t errlen);
#endif
