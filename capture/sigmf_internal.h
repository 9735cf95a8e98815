/* Private to the capture module (capture/sigmf.h is the API): the reader's and the
 * writer's state, the one set of JSON field helpers with "FILE: FIELD VALUE problem"
 * messages, and the functions the module's files share. Not installed, not for callers.
 *
 * Files: sigmf_json.c (error context, typed JSON fields, names shared by reader and
 * writer), radio_json.c (struct radio_info <-> "isactb:radio"), cpi_records.c (the
 * collection's isactb:cpis records, read and written), collection_read.c (locating,
 * opening and validating a collection; reader lifetime), meta_read.c (one .sigmf-meta and
 * its data file against the CPI records), data_read.c (per-CPI facts, sample reads, data
 * hashes), writer_setup.c (writer creation, settings, abort), cpi_append.c (CPI
 * validation and sample streaming), meta_write.c (finish: metas, collection, renames). */
#ifndef ISACTB_CAPTURE_SIGMF_INTERNAL_H
#define ISACTB_CAPTURE_SIGMF_INTERNAL_H

#include <complex.h>
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "hash.h"
#include "sigmf.h"

#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "cf32_le captures are read and written by memory copy: little-endian hosts only"
#endif

/* ------------------------------------------------------------ reader state */
#define CF32 ((uint64_t)sizeof(float complex))

struct seg {
    uint64_t ss; /* core:sample_start */
    int64_t gi;  /* core:global_index */
};

struct ann {
    uint64_t ss, cnt;  /* core:sample_start, core:sample_count */
    int64_t tick;      /* isactb:tick */
    uint64_t len;      /* isactb:num_samples */
    int64_t tx_tick;   /* isactb:tx_tick (default tick) */
    uint64_t missing;  /* window samples not covered by stored data */
    int64_t first_gap; /* first missing tick */
    unsigned ngaps;
    int overflow;
};

/* One CPI as the collection's isactb:cpis records it (shared by every stream). */
struct cpi {
    int64_t tick, tx_tick;
    uint64_t len, txlen;
    uint64_t dropped; /* isactb:drop.count, 0 without drop */
    int overflow;
    json_t *obj; /* the record, borrowed from the collection */
};

struct rstream {
    char *meta_path, *data_path;
    json_t *doc;
    int fd;
    int is_rx, channel;
    struct seg *seg;
    size_t nseg;
    struct ann *ann;
    size_t nann;
    uint64_t nsamples; /* data file size / 8 */
    const char *sha512;
};

struct isac_sigmf_reader_s {
    char *coll_path, *dir;
    json_t *coll;
    size_t nstreams;
    struct rstream *st;  /* as listed in core:streams */
    struct rstream **rx; /* by channel index */
    struct rstream *tx;
    unsigned num_rx;
    double fs;
    struct isac_radio_info info;
    struct cpi *cpi; /* ncpi records of the collection */
    size_t ncpi;
    char err[512];
};

/* ------------------------------------------------------------ writer state */

struct wstream {
    char *data_tmp, *data_final, *meta_tmp, *meta_final, *base;
    int fd;
    int data_created, meta_created; /* the temporaries this run created (and may delete) */
    uint64_t committed;             /* samples durably handed to the kernel */
    struct isac_cap_hash sha;       /* of the data file as written so far */
};

struct isac_sigmf_writer_s {
    char *dir;
    char name[ISAC_SIGMF_NAME_MAX + 1];
    struct isac_radio_info info;
    json_t *radio_json, *global_extra;
    double *phase_deg; /* NULL or num_rx */
    char *description, *author, *hw;
    unsigned num_rx;
    struct wstream *s; /* num_rx receive streams then the TX reference */
    json_t *rx_caps, *tx_caps;
    json_t *cpis;         /* the collection's isactb:cpis: one record per CPI */
    json_t *positions_wl; /* positions of the last recorded plan that had any, or NULL */
    size_t ncpi;
    int have_prev;
    int64_t next_tick, next_tx_tick; /* earliest allowed tick of the next CPI */
    char err[512];
};

/* ------------------------------------------- errors and JSON fields (sigmf_json.c) */

/* Where a message goes and which file it names (file NULL: no "FILE: " prefix). */
struct ectx {
    char *buf;
    size_t len;
    const char *file;
};

/* Write "FILE: message" into e's buffer and return code. */
int cap_efail(const struct ectx *e, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Short rendering of a JSON value for messages: strings in quotes, others as JSON. */
const char *cap_show(const json_t *v, char *buf, size_t len);
/* Field KEY of o (messages name it PFX KEY). Absent: *def when def is given, else
 * ISAC_EFORMAT. Integers and numbers must lie in [min, max]. */
int cap_get_int(const struct ectx *e, const json_t *o, const char *pfx, const char *key,
                const int64_t *def, int64_t min, int64_t max, int64_t *out);
int cap_get_num(const struct ectx *e, const json_t *o, const char *pfx, const char *key,
                const double *def, double min, double max, double *out);
int cap_get_str(const struct ectx *e, const json_t *o, const char *pfx, const char *key,
                const char **out);

/* The radio_info caps bits by name, bit k = cap_capability_names[k]. */
extern const char *const cap_capability_names[];
extern const unsigned cap_num_capabilities;
/* key is one of the NULL-terminated list. */
int cap_key_in(const char *key, const char *const *list);
/* A spatial:calibration caltype (spatial extension 2.1): tone, xcorr, ref or other. */
int cap_caltype_ok(const char *caltype);
/* annotations.c: the viewer annotations of an rx (rx = 1) or the txref recording: per CPI
 * its stored samples, occupied band, label and comment. NULL when out of memory. */
json_t *cap_annotations(const struct isac_sigmf_writer_s *w, int rx);
/* core:extensions of a global or collection object: well formed, and no extension marked
 * required ("optional": false) that this reader does not implement. */
int cap_check_extensions(const struct ectx *e, const json_t *o);
/* DIR/NAMESUFFIX (NAMESUFFIX alone when dir is "."), malloc'd; NULL on ENOMEM. */
char *cap_join(const char *dir, const char *name, const char *suffix);

/* ------------------------------------------------------- shared across files */

/* radio_json.c: decode "isactb:radio" with messages through e. */
int cap_radio_from_json(const struct ectx *e, const json_t *o, struct isac_radio_info *in);

/* cpi_records.c: the collection's isactb:cpis into r->cpi (windows and probes in order,
 * plan positions "unchanged" restored). */
int cap_parse_cpis(isac_sigmf_reader r, const struct ectx *e, json_t *c);
/* cpi_records.c: the collection's record of CPI c (new reference, NULL on ENOMEM). */
json_t *cap_cpi_record(isac_sigmf_writer w, const struct isac_sigmf_cpi *c, const json_t *caller);

/* meta_read.c: check stream s's meta (global, captures, layout of every CPI) and open
 * and size-check its data file; *fs gets its core:sample_rate. */
int cap_check_meta(isac_sigmf_reader r, struct rstream *s, double *fs);
/* meta_read.c: visit the stored chunks of annotation a: file offset, tick of its first
 * sample (INT64_MIN: not inside any captures segment), count. */
typedef int (*chunk_fn)(void *ctx, uint64_t off, int64_t tick, uint64_t n);
int cap_for_chunks(const struct rstream *s, const struct ann *a, chunk_fn fn, void *ctx);

/* writer_setup.c: every key "isactb:..." and none of reserved. */
int cap_check_isactb_keys(const json_t *o, const char *const *reserved, const char *what, char *err,
                          size_t errlen);
/* writer_setup.c: free w and everything it owns (files are left as they are). */
void cap_writer_free(isac_sigmf_writer w);
/* cpi_append.c: pwrite all n bytes at off (retries EINTR); -1 on failure. */
int cap_write_all(int fd, const void *buf, size_t n, uint64_t off);

#endif
