/* SigMF reader (capture/sigmf.h): strict validation of a whole recording at open, then
 * random access to CPIs. Every check failure is one line "FILE: FIELD VALUE problem". */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/err.h"
#include "hash.h"
#include "sigmf.h"

#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "cf32_le captures are read by memory copy: little-endian hosts only"
#endif

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

struct sigmf_reader_s {
    char *coll_path, *dir;
    json_t *coll;
    size_t nstreams;
    struct rstream *st;  /* as listed in core:streams */
    struct rstream **rx; /* by channel index */
    struct rstream *tx;
    unsigned num_rx;
    double fs;
    struct radio_info info;
    struct cpi *cpi; /* ncpi records of the collection */
    size_t ncpi;
    char err[512];
};

/* ------------------------------------------------------------ errors */

struct ectx {
    char *buf;
    size_t len;
    const char *file; /* NULL: no file prefix */
};

static int efail(const struct ectx *e, int code, const char *fmt, ...)
{
    if (!e->buf || !e->len)
        return code;
    size_t n = 0;
    if (e->file) {
        isac_seterr(e->buf, e->len, "%s: ", e->file);
        n = strlen(e->buf);
    }
    va_list ap;
    va_start(ap, fmt);
    isac_vseterr(e->buf + n, e->len - n, fmt, ap);
    va_end(ap);
    return code;
}

/* Short rendering of a JSON value for messages: strings in quotes, others as JSON. */
static const char *show(const json_t *v, char *buf, size_t len)
{
    if (!v)
        snprintf(buf, len, "(missing)");
    else if (json_is_string(v))
        snprintf(buf, len, "'%.60s'", json_string_value(v));
    else {
        char *t = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
        snprintf(buf, len, "%.60s%s", t ? t : "?", t && strlen(t) > 60 ? "..." : "");
        free(t);
    }
    return buf;
}

/* Integer field in [min, max]; absent -> ISAC_EFORMAT unless def is given. */
static int get_int(const struct ectx *e, const json_t *o, const char *pfx, const char *key,
                   const int64_t *def, int64_t min, int64_t max, int64_t *out)
{
    json_t *v = json_object_get(o, key);
    char b[80];
    if (!v && def) {
        *out = *def;
        return ISAC_OK;
    }
    if (!v)
        return efail(e, ISAC_EFORMAT, "%s%s missing", pfx, key);
    if (!json_is_integer(v))
        return efail(e, ISAC_EFORMAT, "%s%s %s is not an integer", pfx, key, show(v, b, sizeof b));
    json_int_t x = json_integer_value(v);
    if (x < min || x > max)
        return efail(e, ISAC_EFORMAT, "%s%s %lld out of range [%lld, %lld]", pfx, key, (long long)x,
                     (long long)min, (long long)max);
    *out = x;
    return ISAC_OK;
}

static int get_num(const struct ectx *e, const json_t *o, const char *pfx, const char *key,
                   const double *def, double min, double max, double *out)
{
    json_t *v = json_object_get(o, key);
    char b[80];
    if (!v && def) {
        *out = *def;
        return ISAC_OK;
    }
    if (!v)
        return efail(e, ISAC_EFORMAT, "%s%s missing", pfx, key);
    if (!json_is_number(v))
        return efail(e, ISAC_EFORMAT, "%s%s %s is not a number", pfx, key, show(v, b, sizeof b));
    double x = json_number_value(v);
    if (!(x >= min && x <= max))
        return efail(e, ISAC_EFORMAT, "%s%s %g out of range [%g, %g]", pfx, key, x, min, max);
    *out = x;
    return ISAC_OK;
}

static int get_str(const struct ectx *e, const json_t *o, const char *pfx, const char *key,
                   const char **out)
{
    json_t *v = json_object_get(o, key);
    char b[80];
    *out = "";
    if (!v)
        return efail(e, ISAC_EFORMAT, "%s%s missing", pfx, key);
    if (!json_is_string(v))
        return efail(e, ISAC_EFORMAT, "%s%s %s is not a string", pfx, key, show(v, b, sizeof b));
    *out = json_string_value(v);
    return ISAC_OK;
}

/* ------------------------------------------------- isactb:radio decoding */

static const char *const cap_names[] = {"timed_tx", "timed_rx", "hw_time", "lo_shared",
                                        "truth",    "scenario", "replay"};

static int get_ap(const struct ectx *e, const json_t *o, const char *pfx, struct geom_ap *ap)
{
    char b[80];
    if (!json_is_object(o))
        return efail(e, ISAC_EFORMAT, "%s %s is not an object", pfx, show(o, b, sizeof b));
    char p[64];
    snprintf(p, sizeof p, "%s.", pfx);
    int rc;
    if ((rc = get_num(e, o, p, "x", NULL, -1e9, 1e9, &ap->x)) ||
        (rc = get_num(e, o, p, "y", NULL, -1e9, 1e9, &ap->y)) ||
        (rc = get_num(e, o, p, "axis_rad", NULL, -1e3, 1e3, &ap->axis_rad)))
        return rc;
    return ISAC_OK;
}

static int radio_strings(const struct ectx *e, const json_t *o, struct radio_info *in)
{
    const char *pfx = "isactb:radio.";
    const char *s;
    int rc;
    if (json_object_get(o, "driver")) {
        if ((rc = get_str(e, o, pfx, "driver", &s)))
            return rc;
        snprintf(in->driver, sizeof in->driver, "%s", s);
    }
    if (json_object_get(o, "serial")) {
        if ((rc = get_str(e, o, pfx, "serial", &s)))
            return rc;
        snprintf(in->serial, sizeof in->serial, "%s", s);
    }
    json_t *caps = json_object_get(o, "caps"), *c;
    size_t i;
    char b[80];
    if (caps && !json_is_array(caps))
        return efail(e, ISAC_EFORMAT, "%scaps %s is not an array", pfx, show(caps, b, sizeof b));
    json_array_foreach(caps, i, c)
    {
        unsigned k = 0, n = sizeof cap_names / sizeof cap_names[0];
        while (k < n && !(json_is_string(c) && !strcmp(json_string_value(c), cap_names[k])))
            k++;
        if (k == n)
            return efail(e, ISAC_EFORMAT, "%scaps[%zu] %s is not a known capability", pfx, i,
                         show(c, b, sizeof b));
        in->caps |= 1u << k;
    }
    return ISAC_OK;
}

static int radio_aps(const struct ectx *e, const json_t *o, struct radio_info *in)
{
    json_t *el = json_object_get(o, "rx_ap_elements"), *aps = json_object_get(o, "rx_aps");
    char b[80];
    if (!json_is_array(el) || json_array_size(el) < 1 || json_array_size(el) > RADIO_MAX_APS)
        return efail(e, ISAC_EFORMAT, "isactb:radio.rx_ap_elements %s is not an array of 1..%d",
                     show(el, b, sizeof b), RADIO_MAX_APS);
    if (!json_is_array(aps) || json_array_size(aps) != json_array_size(el))
        return efail(e, ISAC_EFORMAT,
                     "isactb:radio.rx_aps %s is not an array as long as rx_ap_elements (%zu)",
                     show(aps, b, sizeof b), json_array_size(el));
    in->num_rx_aps = (unsigned)json_array_size(el);
    unsigned sum = 0;
    for (unsigned a = 0; a < in->num_rx_aps; a++) {
        json_t *v = json_array_get(el, a);
        if (!json_is_integer(v) || json_integer_value(v) < 1 ||
            json_integer_value(v) > RADIO_MAX_CHANNELS)
            return efail(e, ISAC_EFORMAT, "isactb:radio.rx_ap_elements[%u] %s is not in 1..%d", a,
                         show(v, b, sizeof b), RADIO_MAX_CHANNELS);
        in->rx_ap_elements[a] = (unsigned)json_integer_value(v);
        sum += in->rx_ap_elements[a];
        char p[48];
        snprintf(p, sizeof p, "isactb:radio.rx_aps[%u]", a);
        int rc = get_ap(e, json_array_get(aps, a), p, &in->rx_ap[a]);
        if (rc)
            return rc;
    }
    if (sum != in->num_rx)
        return efail(e, ISAC_EFORMAT, "isactb:radio.rx_ap_elements sum to %u but num_rx is %u", sum,
                     in->num_rx);
    return get_ap(e, json_object_get(o, "tx_ap"), "isactb:radio.tx_ap", &in->tx_ap);
}

/* Optional isactb:radio.KEY: n element positions in wavelengths (replay processes with
 * the positions the capture was made with). */
static int get_positions(const struct ectx *e, const json_t *o, const char *key, unsigned n,
                         double *pos)
{
    const json_t *a = json_object_get(o, key);
    char b[80];
    if (!a)
        return ISAC_OK;
    if (!json_is_array(a) || json_array_size(a) != n)
        return efail(e, ISAC_EFORMAT, "isactb:radio.%s %s is not an array of %u numbers", key,
                     show(a, b, sizeof b), n);
    for (unsigned i = 0; i < n; i++) {
        if (!json_is_number(json_array_get(a, i)))
            return efail(e, ISAC_EFORMAT, "isactb:radio.%s[%u] %s is not a number", key, i,
                         show(json_array_get(a, i), b, sizeof b));
        pos[i] = json_number_value(json_array_get(a, i));
    }
    return ISAC_OK;
}

static int radio_from(const struct ectx *e, const json_t *o, struct radio_info *in)
{
    char b[80];
    if (!json_is_object(o))
        return efail(e, ISAC_EFORMAT, "isactb:radio %s is not an object", show(o, b, sizeof b));
    memset(in, 0, sizeof *in);
    const char *p = "isactb:radio.";
    int64_t ntx, nrx;
    double nan = NAN, zero = 0;
    int rc;
    if ((rc = get_num(e, o, p, "sample_rate", NULL, 1, 1e12, &in->sample_rate)) ||
        (rc = get_num(e, o, p, "center_freq", NULL, -1e12, 1e12, &in->center_freq)) ||
        (rc = get_num(e, o, p, "emulated_freq", &in->center_freq, -1e13, 1e13,
                      &in->emulated_freq)) ||
        (rc = get_num(e, o, p, "bandwidth", &in->sample_rate, 0, 1e12, &in->bandwidth)) ||
        (rc = get_int(e, o, p, "num_tx", NULL, 0, RADIO_MAX_CHANNELS, &ntx)) ||
        (rc = get_int(e, o, p, "num_rx", NULL, 1, RADIO_MAX_CHANNELS, &nrx)) ||
        (rc = get_num(e, o, p, "element_spacing_wl", &zero, 0, 1e4, &in->element_spacing_wl)) ||
        (rc = get_num(e, o, p, "tx_power_dbm", &nan, -400, 400, &in->tx_power_dbm)) ||
        (rc = get_num(e, o, p, "noise_dbm", &nan, -400, 400, &in->noise_dbm)) ||
        (rc = get_num(e, o, p, "freq_min", &zero, -1e13, 1e13, &in->freq_min)) ||
        (rc = get_num(e, o, p, "freq_max", &zero, -1e13, 1e13, &in->freq_max)) ||
        (rc = get_num(e, o, p, "rx_gain_db", &zero, -400, 400, &in->rx_gain_db)) ||
        (rc = get_num(e, o, p, "tx_gain_db", &zero, -400, 400, &in->tx_gain_db)) ||
        (rc = get_num(e, o, p, "noise_var", &zero, 0, 1e30, &in->noise_var)) ||
        (rc = get_num(e, o, p, "full_scale", &zero, 0, 1e30, &in->full_scale)))
        return rc;
    in->num_tx = (unsigned)ntx;
    in->num_rx = (unsigned)nrx;
    if ((rc = radio_strings(e, o, in)) || (rc = radio_aps(e, o, in)))
        return rc;
    radio_info_fill_ula(in); /* captures made before positions were recorded */
    char why[200];
    if ((rc = get_positions(e, o, "tx_positions_wl", in->num_tx, in->tx_pos_wl)) ||
        (rc = get_positions(e, o, "rx_positions_wl", in->num_rx, in->rx_pos_wl)))
        return rc;
    if ((json_object_get(o, "tx_positions_wl") || json_object_get(o, "rx_positions_wl")) &&
        radio_info_check_positions(in, why, sizeof why))
        return efail(e, ISAC_EFORMAT, "isactb:radio positions: %s", why);
    return ISAC_OK;
}

int sigmf_radio_info_from_json(const json_t *obj, struct radio_info *info, char *err, size_t errlen)
{
    struct ectx e = {err, errlen, NULL};
    return radio_from(&e, obj, info);
}

/* ------------------------------------------------------------- paths */

static char *join(const char *dir, const char *name, const char *suffix)
{
    size_t n = strlen(dir) + strlen(name) + strlen(suffix) + 2;
    char *p = malloc(n);
    if (!p)
        return NULL;
    if (!strcmp(dir, "."))
        snprintf(p, n, "%s%s", name, suffix);
    else
        snprintf(p, n, "%s/%s%s", dir, name, suffix);
    return p;
}

static int ends_with(const char *s, const char *suf)
{
    size_t n = strlen(s), m = strlen(suf);
    return n >= m && !strcmp(s + n - m, suf);
}

static char *dirname_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (!slash)
        return strdup(".");
    if (slash == path)
        return strdup("/");
    return strndup(path, (size_t)(slash - path));
}

/* Whole file into memory (NUL-terminated). */
static char *slurp(const struct ectx *e, const char *path, size_t *len, int *rc)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        *rc = efail(e, ISAC_EIO, "cannot open: %s", strerror(errno));
        return NULL;
    }
    char *buf = NULL;
    size_t n = 0, cap = 0;
    for (;;) {
        if (n + 65536 + 1 > cap) {
            cap = 2 * cap + 65536 + 1;
            char *nb = realloc(buf, cap);
            if (!nb) {
                free(buf);
                fclose(f);
                *rc = efail(e, ISAC_ENOMEM, "out of memory");
                return NULL;
            }
            buf = nb;
        }
        size_t k = fread(buf + n, 1, 65536, f);
        n += k;
        if (k < 65536)
            break;
    }
    int bad = ferror(f);
    fclose(f);
    if (bad) {
        free(buf);
        *rc = efail(e, ISAC_EIO, "read failed");
        return NULL;
    }
    buf[n] = 0;
    *len = n;
    return buf;
}

static json_t *parse(const struct ectx *e, const char *text, size_t len, int *rc)
{
    json_error_t je;
    json_t *doc = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
    if (!doc)
        *rc = efail(e, ISAC_EFORMAT, "malformed JSON at line %d column %d: %s", je.line, je.column,
                    je.text);
    else if (!json_is_object(doc)) {
        json_decref(doc);
        doc = NULL;
        *rc = efail(e, ISAC_EFORMAT, "top level is not a JSON object");
    }
    return doc;
}

static json_t *load_json(const struct ectx *e, const char *path, int *rc)
{
    size_t len;
    char *text = slurp(e, path, &len, rc);
    if (!text)
        return NULL;
    json_t *doc = parse(e, text, len, rc);
    free(text);
    return doc;
}

/* The one finished collection in a directory (temporaries never count). */
static char *find_collection(const char *dir, char *err, size_t errlen)
{
    struct ectx e = {err, errlen, dir};
    DIR *d = opendir(dir);
    if (!d) {
        efail(&e, ISAC_EIO, "cannot open directory: %s", strerror(errno));
        return NULL;
    }
    char *found = NULL;
    int n = 0;
    struct dirent *de;
    while ((de = readdir(d)))
        if (ends_with(de->d_name, ".sigmf-collection") && n++ == 0)
            found = join(dir, de->d_name, "");
    closedir(d);
    if (n == 1)
        return found;
    free(found);
    if (n == 0)
        efail(&e, ISAC_EFORMAT, "no .sigmf-collection file: not a finished capture");
    else
        efail(&e, ISAC_EFORMAT, "%d .sigmf-collection files: name the one to open", n);
    return NULL;
}

static char *collection_from_meta(const char *path, char *err, size_t errlen)
{
    struct ectx e = {err, errlen, path};
    int rc;
    json_t *doc = load_json(&e, path, &rc);
    if (!doc)
        return NULL;
    const char *name;
    char *out = NULL, *dir = NULL;
    json_t *g = json_object_get(doc, "global");
    if (!json_is_object(g))
        efail(&e, ISAC_EFORMAT, "global missing or not an object");
    else if (!get_str(&e, g, "global ", "core:collection", &name)) {
        if (!*name || strchr(name, '/'))
            efail(&e, ISAC_EFORMAT, "core:collection '%s' is not a base name", name);
        else if ((dir = dirname_of(path)))
            out = join(dir, name, ".sigmf-collection");
    }
    free(dir);
    json_decref(doc);
    return out;
}

static char *resolve(const char *path, char *err, size_t errlen)
{
    struct ectx e = {err, errlen, path};
    struct stat st;
    if (stat(path, &st)) {
        efail(&e, ISAC_EIO, "cannot open: %s", strerror(errno));
        return NULL;
    }
    if (S_ISDIR(st.st_mode))
        return find_collection(path, err, errlen);
    if (ends_with(path, ".sigmf-collection"))
        return strdup(path);
    if (ends_with(path, ".sigmf-meta"))
        return collection_from_meta(path, err, errlen);
    efail(&e, ISAC_EINVAL, "not a capture directory, .sigmf-collection or .sigmf-meta");
    return NULL;
}

/* --------------------------------------------------- one meta file */

static const char *const top_keys[] = {"global", "captures", "annotations", NULL};

static int check_global(const struct ectx *e, struct rstream *s, const json_t *g, double *fs)
{
    const char *str;
    char b[80];
    int64_t v, zero = 0, one = 1;
    int rc;
    if ((rc = get_str(e, g, "", "core:version", &str)))
        return rc;
    if (strncmp(str, "1.", 2))
        return efail(e, ISAC_EFORMAT, "core:version '%s' not supported (expected %s)", str,
                     SIGMF_VERSION);
    if ((rc = get_str(e, g, "", "core:datatype", &str)))
        return rc;
    if (strcmp(str, "cf32_le"))
        return efail(e, ISAC_EFORMAT, "core:datatype '%s' not supported (expected cf32_le)", str);
    if ((rc = get_num(e, g, "", "core:sample_rate", NULL, 1, 1e12, fs)) ||
        (rc = get_int(e, g, "", "core:num_channels", &one, 1, 1, &v)) ||
        (rc = get_int(e, g, "", "core:offset", &zero, 0, 0, &v)) ||
        (rc = get_int(e, g, "", "core:trailing_bytes", &zero, 0, 0, &v)))
        return rc;
    json_t *mo = json_object_get(g, "core:metadata_only");
    if (mo && !json_is_false(mo))
        return efail(e, ISAC_EFORMAT, "core:metadata_only %s not supported (samples needed)",
                     show(mo, b, sizeof b));
    json_t *sha = json_object_get(g, "core:sha512");
    if (sha && (rc = get_str(e, g, "", "core:sha512", &s->sha512)))
        return rc;
    if ((rc = get_str(e, g, "", "isactb:stream", &str)))
        return rc;
    if (strcmp(str, "rx") && strcmp(str, "txref"))
        return efail(e, ISAC_EFORMAT, "isactb:stream '%s' is neither 'rx' nor 'txref'", str);
    s->is_rx = !strcmp(str, "rx");
    if (!s->is_rx)
        return ISAC_OK;
    int64_t n;
    if ((rc = get_int(e, g, "", "spatial:num_elements", NULL, 1, RADIO_MAX_CHANNELS, &n)) ||
        (rc = get_int(e, g, "", "spatial:channel_index", NULL, 0, n - 1, &v)))
        return rc;
    s->channel = (int)v;
    return ISAC_OK;
}

/* spatial captures fields isactb writes (spatial extension 2, 2.1): phase_offset in
 * degrees, calibration objects with a known caltype. */
static int check_spatial_segment(const struct ectx *e, const json_t *c, const char *p)
{
    char b[80];
    const json_t *po = json_object_get(c, "spatial:phase_offset");
    if (po && !(json_is_number(po) && fabs(json_number_value(po)) <= 360.0))
        return efail(e, ISAC_EFORMAT,
                     "%sspatial:phase_offset %s is not a number of degrees in "
                     "[-360, 360]",
                     p, show(po, b, sizeof b));
    const json_t *cal = json_object_get(c, "spatial:calibration");
    if (!cal)
        return ISAC_OK;
    const char *ct = json_string_value(json_object_get(cal, "caltype"));
    if (!ct ||
        (strcmp(ct, "tone") && strcmp(ct, "xcorr") && strcmp(ct, "ref") && strcmp(ct, "other")))
        return efail(e, ISAC_EFORMAT,
                     "%sspatial:calibration.caltype %s is not tone, xcorr, ref "
                     "or other",
                     p, show(json_object_get(cal, "caltype"), b, sizeof b));
    return ISAC_OK;
}

static int check_captures(const struct ectx *e, struct rstream *s, const json_t *caps)
{
    char b[80];
    if (!json_is_array(caps))
        return efail(e, ISAC_EFORMAT, "captures %s is not an array", show(caps, b, sizeof b));
    s->nseg = json_array_size(caps);
    s->seg = calloc(s->nseg ? s->nseg : 1, sizeof *s->seg);
    if (!s->seg)
        return efail(e, ISAC_ENOMEM, "out of memory");
    for (size_t i = 0; i < s->nseg; i++) {
        json_t *c = json_array_get(caps, i);
        char p[40];
        int64_t ss, gi, zero = 0, hb;
        snprintf(p, sizeof p, "captures[%zu] ", i);
        if (!json_is_object(c))
            return efail(e, ISAC_EFORMAT, "%sis not an object", p);
        int rc;
        if ((rc = get_int(e, c, p, "core:sample_start", NULL, 0, INT64_MAX / 16, &ss)) ||
            (rc = get_int(e, c, p, "core:global_index", NULL, 0, INT64_MAX / 4, &gi)) ||
            (rc = get_int(e, c, p, "core:header_bytes", &zero, 0, 0, &hb)) ||
            (rc = check_spatial_segment(e, c, p)))
            return rc;
        if (i && (uint64_t)ss <= s->seg[i - 1].ss)
            return efail(e, ISAC_EFORMAT, "%score:sample_start %lld not after captures[%zu] (%llu)",
                         p, (long long)ss, i - 1, (unsigned long long)s->seg[i - 1].ss);
        if (i && gi < s->seg[i - 1].gi + (int64_t)((uint64_t)ss - s->seg[i - 1].ss))
            return efail(
                e, ISAC_EFORMAT,
                "%score:global_index %lld overlaps captures[%zu] (ends at tick %lld)", p,
                (long long)gi, i - 1,
                (long long)(s->seg[i - 1].gi + (int64_t)((uint64_t)ss - s->seg[i - 1].ss)));
        s->seg[i] = (struct seg){(uint64_t)ss, gi};
    }
    return ISAC_OK;
}

/* Visit the stored chunks of annotation a: file offset, tick of its first sample, count. */
typedef int (*chunk_fn)(void *ctx, uint64_t off, int64_t tick, uint64_t n);

static int for_chunks(const struct rstream *s, const struct ann *a, chunk_fn fn, void *ctx)
{
    size_t lo = 0, hi = s->nseg;
    while (hi - lo > 1) { /* last segment with ss <= a->ss */
        size_t mid = (lo + hi) / 2;
        if (s->seg[mid].ss <= a->ss)
            lo = mid;
        else
            hi = mid;
    }
    uint64_t off = a->ss, end = a->ss + a->cnt;
    for (size_t i = lo; off < end; i++) {
        if (i >= s->nseg || s->seg[i].ss > off)
            return fn(ctx, off, INT64_MIN, end - off); /* not covered by any segment */
        uint64_t seg_end = i + 1 < s->nseg ? s->seg[i + 1].ss : UINT64_MAX;
        if (seg_end <= off)
            continue;
        uint64_t n = (seg_end < end ? seg_end : end) - off;
        int rc = fn(ctx, off, s->seg[i].gi + (int64_t)(off - s->seg[i].ss), n);
        if (rc)
            return rc;
        off += n;
    }
    return ISAC_OK;
}

struct gapscan {
    const struct ectx *e;
    const char *pfx;
    struct ann *a;
    int64_t next; /* next expected tick */
};

static int gap_chunk(void *ctx, uint64_t off, int64_t tick, uint64_t n)
{
    struct gapscan *g = ctx;
    struct ann *a = g->a;
    if (tick == INT64_MIN)
        return efail(g->e, ISAC_EFORMAT, "%ssample %llu is not inside any captures segment", g->pfx,
                     (unsigned long long)off);
    if (tick < g->next || tick + (int64_t)n > a->tick + (int64_t)a->len)
        return efail(g->e, ISAC_EFORMAT,
                     "%ssamples at file offset %llu map to ticks [%lld, %lld) outside the window "
                     "[%lld, %lld)",
                     g->pfx, (unsigned long long)off, (long long)tick,
                     (long long)(tick + (int64_t)n), (long long)a->tick,
                     (long long)(a->tick + (int64_t)a->len));
    if (tick > g->next) {
        if (!a->ngaps++)
            a->first_gap = g->next;
        a->missing += (uint64_t)(tick - g->next);
    }
    g->next = tick + (int64_t)n;
    return ISAC_OK;
}

/* Gaps derived from the captures must be exactly what isactb:drop says. */
static int check_drop(const struct ectx *e, const char *p, struct ann *a, const json_t *o)
{
    json_t *d = json_object_get(o, "isactb:drop");
    if (!d && !a->missing)
        return ISAC_OK;
    if (!d)
        return efail(e, ISAC_EFORMAT,
                     "%sisactb:drop missing but the captures leave %llu samples of the window "
                     "unstored from tick %lld",
                     p, (unsigned long long)a->missing, (long long)a->first_gap);
    char q[64];
    int64_t st, cnt;
    int rc;
    snprintf(q, sizeof q, "%sisactb:drop.", p);
    if (!json_is_object(d))
        return efail(e, ISAC_EFORMAT, "%sisactb:drop is not an object", p);
    if ((rc = get_int(e, d, q, "start_tick", NULL, 0, INT64_MAX, &st)) ||
        (rc = get_int(e, d, q, "count", NULL, 1, INT64_MAX, &cnt)))
        return rc;
    if ((uint64_t)cnt != a->missing || (a->missing && st != a->first_gap))
        return efail(e, ISAC_EFORMAT,
                     "%sisactb:drop {start_tick %lld, count %lld} disagrees with the captures "
                     "(%llu samples missing from tick %lld)",
                     p, (long long)st, (long long)cnt, (unsigned long long)a->missing,
                     (long long)(a->missing ? a->first_gap : -1));
    return ISAC_OK;
}

/* Where CPI i sits in stream s (stored from file offset ss) and whether s's captures
 * map those samples into the CPI's window with exactly the recorded losses. */
static int stream_cpi(const struct ectx *e, struct rstream *s, size_t i, const struct cpi *c,
                      uint64_t ss)
{
    struct ann *a = &s->ann[i];
    char p[40];
    snprintf(p, sizeof p, "isactb:cpis[%zu] ", i);
    uint64_t cnt = s->is_rx ? c->len - c->dropped : c->txlen;
    *a = (struct ann){ss, cnt, c->tick, c->len, c->tx_tick, 0, 0, 0, c->overflow};
    if (!s->is_rx) {
        /* the probe is stored whole: its window is [tx_tick, tx_tick + count) */
        struct ann w = *a;
        w.tick = c->tx_tick;
        w.len = cnt;
        struct gapscan g = {e, p, &w, c->tx_tick};
        return for_chunks(s, &w, gap_chunk, &g);
    }
    struct gapscan g = {e, p, a, c->tick};
    int rc = for_chunks(s, a, gap_chunk, &g);
    if (rc)
        return rc;
    if (g.next < a->tick + (int64_t)a->len) { /* trailing gap */
        if (!a->ngaps++)
            a->first_gap = g.next;
        a->missing += (uint64_t)(a->tick + (int64_t)a->len - g.next);
    }
    return check_drop(e, p, a, c->obj);
}

/* The stream's layout: CPIs are stored back to back in collection order. */
static int stream_layout(const struct ectx *e, struct rstream *s, const struct cpi *cpi,
                         size_t ncpi)
{
    s->nann = ncpi;
    s->ann = calloc(ncpi ? ncpi : 1, sizeof *s->ann);
    if (!s->ann)
        return efail(e, ISAC_ENOMEM, "out of memory");
    uint64_t ss = 0;
    for (size_t i = 0; i < ncpi; i++) {
        int rc = stream_cpi(e, s, i, &cpi[i], ss);
        if (rc)
            return rc;
        ss += s->ann[i].cnt;
    }
    return ISAC_OK;
}

static int check_data(char *err, size_t errlen, struct rstream *s)
{
    struct ectx e = {err, errlen, s->data_path};
    struct stat st;
    s->fd = open(s->data_path, O_RDONLY | O_CLOEXEC);
    if (s->fd < 0 || fstat(s->fd, &st))
        return efail(&e, ISAC_EIO, "cannot open: %s", strerror(errno));
    uint64_t size = (uint64_t)st.st_size;
    if (size % CF32)
        return efail(&e, ISAC_EFORMAT, "size %llu bytes is not a whole number of cf32_le samples",
                     (unsigned long long)size);
    s->nsamples = size / CF32;
    uint64_t need = 0;
    for (size_t i = 0; i < s->nann; i++)
        if (s->ann[i].ss + s->ann[i].cnt > need)
            need = s->ann[i].ss + s->ann[i].cnt;
    if (need > s->nsamples)
        return efail(&e, ISAC_EFORMAT, "truncated: %llu bytes, the CPIs need %llu",
                     (unsigned long long)size, (unsigned long long)(need * CF32));
    for (size_t i = 0; i < s->nseg; i++)
        if (s->seg[i].ss > s->nsamples)
            return efail(&e, ISAC_EFORMAT,
                         "truncated: %llu bytes, captures[%zu] starts at sample %llu",
                         (unsigned long long)size, i, (unsigned long long)s->seg[i].ss);
    return ISAC_OK;
}

static int check_meta(sigmf_reader r, struct rstream *s, double *fs)
{
    char *err = r->err;
    size_t errlen = sizeof r->err;
    struct ectx e = {err, errlen, s->meta_path};
    const char *key;
    json_t *v;
    json_object_foreach(s->doc, key, v)
    {
        int known = 0;
        for (const char *const *k = top_keys; *k; k++)
            known |= !strcmp(*k, key);
        if (!known)
            return efail(&e, ISAC_EFORMAT, "unexpected top-level key '%s'", key);
    }
    json_t *g = json_object_get(s->doc, "global");
    if (!json_is_object(g))
        return efail(&e, ISAC_EFORMAT, "global missing or not an object");
    int rc;
    if ((rc = check_global(&e, s, g, fs)) ||
        (rc = check_captures(&e, s, json_object_get(s->doc, "captures"))) ||
        (rc = stream_layout(&e, s, r->cpi, r->ncpi)))
        return rc;
    return check_data(err, errlen, s);
}

/* ------------------------------------------------------- collection */

static int stream_entry(const struct ectx *e, const json_t *item, size_t i, const char **name,
                        const char **hash)
{
    char b[80];
    if (json_is_array(item) && json_array_size(item) == 2) { /* the schema's tuple form */
        *name = json_string_value(json_array_get(item, 0));
        *hash = json_string_value(json_array_get(item, 1));
    } else if (json_is_object(item)) { /* the form the spec text describes */
        *name = json_string_value(json_object_get(item, "name"));
        *hash = json_string_value(json_object_get(item, "hash"));
    } else
        *name = *hash = NULL;
    if (!*name || !*hash)
        return efail(e, ISAC_EFORMAT, "core:streams[%zu] %s is not [name, hash]", i,
                     show(item, b, sizeof b));
    if (!**name || strchr(*name, '/'))
        return efail(e, ISAC_EFORMAT, "core:streams[%zu] name '%s' is not a base name", i, *name);
    return ISAC_OK;
}

/* Load one listed recording: its meta must hash to the listed SHA-512. */
static int load_stream(sigmf_reader r, const struct ectx *ce, size_t i, const json_t *item)
{
    struct rstream *s = &r->st[i];
    const char *name, *hash;
    int rc = stream_entry(ce, item, i, &name, &hash);
    if (rc)
        return rc;
    s->meta_path = join(r->dir, name, ".sigmf-meta");
    s->data_path = join(r->dir, name, ".sigmf-data");
    if (!s->meta_path || !s->data_path)
        return efail(ce, ISAC_ENOMEM, "out of memory");
    struct ectx e = {r->err, sizeof r->err, s->meta_path};
    size_t len;
    char *text = slurp(&e, s->meta_path, &len, &rc), hex[129];
    if (!text)
        return rc;
    if (cap_hash_hex(CAP_SHA512, text, len, hex)) {
        free(text);
        return efail(ce, ISAC_ENOMEM, "out of memory");
    }
    if (strcasecmp(hex, hash)) {
        free(text);
        return efail(ce, ISAC_EFORMAT,
                     "core:streams[%zu] hash does not match %s (SHA-512 %.16s...)", i, s->meta_path,
                     hex);
    }
    s->doc = parse(&e, text, len, &rc);
    free(text);
    if (!s->doc)
        return rc;
    double fs;
    if ((rc = check_meta(r, s, &fs)))
        return rc;
    if (i && fs != r->fs)
        return efail(&e, ISAC_EFORMAT, "core:sample_rate %.17g differs from %s (%.17g)", fs,
                     r->st[0].meta_path, r->fs);
    r->fs = fs;
    return ISAC_OK;
}

/* Assign streams to RX channels and the TX reference. */
static int classify(sigmf_reader r, const struct ectx *ce)
{
    for (size_t i = 0; i < r->nstreams; i++)
        r->num_rx += (unsigned)r->st[i].is_rx;
    if (r->num_rx == 0 || r->num_rx > RADIO_MAX_CHANNELS)
        return efail(ce, ISAC_EFORMAT, "core:streams hold %u rx recordings (expected 1..%d)",
                     r->num_rx, RADIO_MAX_CHANNELS);
    if (r->nstreams - r->num_rx != 1)
        return efail(ce, ISAC_EFORMAT, "core:streams hold %zu txref recordings (expected 1)",
                     r->nstreams - r->num_rx);
    r->rx = calloc(r->num_rx, sizeof *r->rx);
    if (!r->rx)
        return efail(ce, ISAC_ENOMEM, "out of memory");
    for (size_t i = 0; i < r->nstreams; i++) {
        struct rstream *s = &r->st[i];
        struct ectx e = {r->err, sizeof r->err, s->meta_path};
        if (!s->is_rx) {
            r->tx = s;
            continue;
        }
        int64_t n = json_integer_value(
            json_object_get(json_object_get(s->doc, "global"), "spatial:num_elements"));
        if (n != r->num_rx)
            return efail(&e, ISAC_EFORMAT,
                         "spatial:num_elements %lld but the collection lists %u rx recordings",
                         (long long)n, r->num_rx);
        if (r->rx[s->channel])
            return efail(&e, ISAC_EFORMAT, "spatial:channel_index %d repeats %s", s->channel,
                         r->rx[s->channel]->meta_path);
        r->rx[s->channel] = s;
    }
    return ISAC_OK;
}

/* A plan whose element positions did not change since the last CPI that had any
 * records "unchanged": put the array back so that every record is complete. */
static int resolve_positions(const struct ectx *e, const char *p, json_t *rec, json_t **last)
{
    json_t *plan = json_object_get(rec, "isactb:plan");
    json_t *pos = json_object_get(plan, "positions_wl");
    if (plan && !json_is_object(plan))
        return efail(e, ISAC_EFORMAT, "%sisactb:plan is not an object", p);
    if (!pos)
        return ISAC_OK;
    if (!json_is_string(pos)) {
        *last = pos;
        return ISAC_OK;
    }
    if (strcmp(json_string_value(pos), "unchanged") || !*last)
        return efail(e, ISAC_EFORMAT,
                     "%sisactb:plan.positions_wl '%.20s' (only \"unchanged\" after a CPI with "
                     "positions)",
                     p, json_string_value(pos));
    return json_object_set(plan, "positions_wl", *last) ? efail(e, ISAC_ENOMEM, "out of memory")
                                                         : ISAC_OK;
}

/* One record of isactb:cpis: window, probe and losses; windows and probes in order. */
static int parse_cpi(const struct ectx *e, sigmf_reader r, size_t k, json_t *o, json_t **last)
{
    char p[40], b[80];
    int64_t tick, len, txt, txn, zero = 0, cnt = 0;
    int rc;
    snprintf(p, sizeof p, "isactb:cpis[%zu] ", k);
    if (!json_is_object(o))
        return efail(e, ISAC_EFORMAT, "%sis not an object", p);
    if ((rc = get_int(e, o, p, "isactb:tick", NULL, 0, INT64_MAX / 4, &tick)) ||
        (rc = get_int(e, o, p, "isactb:num_samples", NULL, 1, (int64_t)1 << 40, &len)) ||
        (rc = get_int(e, o, p, "isactb:tx_tick", &tick, 0, INT64_MAX / 4, &txt)) ||
        (rc = get_int(e, o, p, "isactb:tx_samples", &zero, 0, (int64_t)1 << 40, &txn)))
        return rc;
    json_t *ov = json_object_get(o, "isactb:overflow"), *d = json_object_get(o, "isactb:drop");
    if (ov && !json_is_boolean(ov))
        return efail(e, ISAC_EFORMAT, "%sisactb:overflow %s is not a boolean", p,
                     show(ov, b, sizeof b));
    if (d && (!json_is_object(d) ||
              (rc = get_int(e, d, p, "count", NULL, 1, len, &cnt))))
        return rc ? rc : efail(e, ISAC_EFORMAT, "%sisactb:drop is not an object", p);
    const struct cpi *pv = k ? &r->cpi[k - 1] : NULL;
    if (pv && tick < pv->tick + (int64_t)pv->len)
        return efail(e, ISAC_EFORMAT, "%sisactb:tick %lld overlaps the window of CPI %zu (ends at %lld)",
                     p, (long long)tick, k - 1, (long long)(pv->tick + (int64_t)pv->len));
    if (pv && txt < pv->tx_tick + (int64_t)pv->txlen)
        return efail(e, ISAC_EFORMAT, "%sisactb:tx_tick %lld overlaps the probe of CPI %zu (ends at %lld)",
                     p, (long long)txt, k - 1, (long long)(pv->tx_tick + (int64_t)pv->txlen));
    r->cpi[k] = (struct cpi){tick, txt, (uint64_t)len, (uint64_t)txn, (uint64_t)cnt,
                             json_is_true(ov), o};
    return resolve_positions(e, p, o, last);
}

static int parse_cpis(sigmf_reader r, const struct ectx *e, json_t *c)
{
    char b[80];
    json_t *a = json_object_get(c, "isactb:cpis"), *last = NULL;
    if (!json_is_array(a))
        return efail(e, ISAC_EFORMAT, "isactb:cpis %s is not an array", show(a, b, sizeof b));
    r->ncpi = json_array_size(a);
    r->cpi = calloc(r->ncpi ? r->ncpi : 1, sizeof *r->cpi);
    if (!r->cpi)
        return efail(e, ISAC_ENOMEM, "out of memory");
    for (size_t k = 0; k < r->ncpi; k++) {
        int rc = parse_cpi(e, r, k, json_array_get(a, k), &last);
        if (rc)
            return rc;
    }
    return ISAC_OK;
}

/* The layout version is the isactb extension's: 1.x captures repeated every shared
 * and per-CPI record in every .sigmf-meta; this reader reads 2.x only. */
static int check_format(const struct ectx *e, const json_t *c)
{
    const json_t *ext = json_object_get(c, "core:extensions"), *x;
    size_t i;
    json_array_foreach(ext, i, x)
    {
        const char *name = json_string_value(json_object_get(x, "name"));
        const char *ver = json_string_value(json_object_get(x, "version"));
        if (!name || strcmp(name, "isactb"))
            continue;
        if (ver && !strncmp(ver, "2.", 2))
            return ISAC_OK;
        return efail(e, ISAC_EFORMAT,
                     "isactb capture format %s not supported (this isactb reads %s; "
                     "re-record it)",
                     ver ? ver : "(no version)", SIGMF_ISACTB_VERSION);
    }
    return efail(e, ISAC_EFORMAT,
                 "core:extensions does not declare isactb: not an isactb capture (format %s)",
                 SIGMF_ISACTB_VERSION);
}

static int check_radio(sigmf_reader r, const struct ectx *e, const json_t *c)
{
    json_t *radio = json_object_get(c, "isactb:radio");
    if (!radio)
        return efail(e, ISAC_EFORMAT, "isactb:radio missing");
    int rc = radio_from(e, radio, &r->info);
    if (rc)
        return rc;
    if (r->info.num_rx != r->num_rx)
        return efail(e, ISAC_EFORMAT,
                     "isactb:radio.num_rx %u but the collection lists %u rx recordings",
                     r->info.num_rx, r->num_rx);
    if (r->info.sample_rate != r->fs)
        return efail(e, ISAC_EFORMAT,
                     "isactb:radio.sample_rate %.17g differs from core:sample_rate %.17g",
                     r->info.sample_rate, r->fs);
    return ISAC_OK;
}

static int check_collection(sigmf_reader r)
{
    struct ectx e = {r->err, sizeof r->err, r->coll_path};
    json_t *c = json_object_get(r->coll, "collection");
    const char *ver;
    char b[80];
    int rc;
    if (!json_is_object(c))
        return efail(&e, ISAC_EFORMAT, "collection missing or not an object");
    if ((rc = get_str(&e, c, "", "core:version", &ver)))
        return rc;
    if (strncmp(ver, "1.", 2))
        return efail(&e, ISAC_EFORMAT, "core:version '%s' not supported (expected %s)", ver,
                     SIGMF_VERSION);
    if ((rc = check_format(&e, c)) || (rc = parse_cpis(r, &e, c)))
        return rc;
    json_t *streams = json_object_get(c, "core:streams");
    if (!json_is_array(streams) || json_array_size(streams) < 2)
        return efail(&e, ISAC_EFORMAT, "core:streams %s is not an array of >= 2 recordings",
                     show(streams, b, sizeof b));
    r->nstreams = json_array_size(streams);
    r->st = calloc(r->nstreams, sizeof *r->st);
    if (!r->st)
        return efail(&e, ISAC_ENOMEM, "out of memory");
    for (size_t i = 0; i < r->nstreams; i++)
        r->st[i].fd = -1;
    for (size_t i = 0; i < r->nstreams; i++)
        if ((rc = load_stream(r, &e, i, json_array_get(streams, i))))
            return rc;
    if ((rc = classify(r, &e)))
        return rc;
    json_t *geom = json_object_get(c, "spatial:element_geometry");
    if (!json_is_array(geom) || json_array_size(geom) != r->num_rx)
        return efail(&e, ISAC_EFORMAT, "spatial:element_geometry %s is not an array of %u points",
                     show(geom, b, sizeof b), r->num_rx);
    return check_radio(r, &e, c);
}

/* ------------------------------------------------------------- API */

sigmf_reader sigmf_reader_open(const char *path, char *err, size_t errlen)
{
    if (!path || !*path) {
        if (err && errlen)
            snprintf(err, errlen, "sigmf reader: empty path");
        return NULL;
    }
    char *coll = resolve(path, err, errlen);
    if (!coll)
        return NULL;
    sigmf_reader r = calloc(1, sizeof *r);
    if (!r) {
        free(coll);
        if (err && errlen)
            snprintf(err, errlen, "sigmf reader: out of memory");
        return NULL;
    }
    r->coll_path = coll;
    r->dir = dirname_of(coll);
    struct ectx e = {r->err, sizeof r->err, coll};
    int rc = ISAC_ENOMEM;
    if (r->dir && (r->coll = load_json(&e, coll, &rc)))
        rc = check_collection(r);
    else if (!r->dir)
        efail(&e, rc, "out of memory");
    if (rc) {
        if (err && errlen)
            snprintf(err, errlen, "%s", r->err);
        sigmf_reader_close(r);
        return NULL;
    }
    return r;
}

void sigmf_reader_close(sigmf_reader r)
{
    if (!r)
        return;
    for (size_t i = 0; r->st && i < r->nstreams; i++) {
        struct rstream *s = &r->st[i];
        if (s->fd >= 0)
            close(s->fd);
        free(s->meta_path);
        free(s->data_path);
        free(s->seg);
        free(s->ann);
        json_decref(s->doc);
    }
    free(r->st);
    free(r->rx);
    free(r->cpi);
    json_decref(r->coll);
    free(r->coll_path);
    free(r->dir);
    free(r);
}

const json_t *sigmf_reader_global(sigmf_reader r)
{
    return json_object_get(r->coll, "collection");
}

void sigmf_reader_radio_info(sigmf_reader r, struct radio_info *info)
{
    *info = r->info;
}
size_t sigmf_reader_num_cpis(sigmf_reader r)
{
    return r->ncpi;
}
unsigned sigmf_reader_num_rx(sigmf_reader r)
{
    return r->num_rx;
}
double sigmf_reader_sample_rate(sigmf_reader r)
{
    return r->fs;
}
const char *sigmf_reader_path(sigmf_reader r)
{
    return r->coll_path;
}
const char *sigmf_reader_last_error(sigmf_reader r)
{
    return r ? r->err : "no reader";
}

int sigmf_reader_cpi_info(sigmf_reader r, size_t k, struct sigmf_cpi_info *ci)
{
    if (!r || !ci || k >= r->ncpi)
        return ISAC_EINVAL;
    const struct ann *a = &r->rx[0]->ann[k];
    *ci = (struct sigmf_cpi_info){a->tick,    (size_t)a->len,
                                  a->tx_tick, (size_t)r->tx->ann[k].cnt,
                                  a->missing, a->missing ? a->first_gap : 0,
                                  a->ngaps,   a->overflow};
    return ISAC_OK;
}

const json_t *sigmf_reader_cpi_annotation(sigmf_reader r, size_t k)
{
    return r && k < r->ncpi ? r->cpi[k].obj : NULL;
}

isac_tx_plan sigmf_reader_cpi_plan(sigmf_reader r, size_t k, codebook cb, char *err,
                                   size_t errlen)
{
    const json_t *j = json_object_get(sigmf_reader_cpi_annotation(r, k), "isactb:plan");
    char what[64];
    snprintf(what, sizeof what, "isactb:cpis[%zu] isactb:plan", k);
    if (!j) {
        isac_seterr(err, errlen, "%s: %s missing", r ? r->coll_path : "sigmf reader", what);
        return NULL;
    }
    return isac_tx_plan_from_json(j, cb, what, err, errlen);
}

struct readctx {
    const struct rstream *s;
    float complex *out;
    int64_t tick0;
    char *err;
    size_t errlen;
};

static int read_chunk(void *ctx, uint64_t off, int64_t tick, uint64_t n)
{
    struct readctx *c = ctx;
    char *p = (char *)(c->out + (tick - c->tick0));
    size_t want = (size_t)(n * CF32);
    off_t pos = (off_t)(off * CF32);
    while (want) {
        ssize_t k = pread(c->s->fd, p, want, pos);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0) {
            struct ectx e = {c->err, c->errlen, c->s->data_path};
            return efail(&e, ISAC_EIO, "read at byte %lld failed: %s", (long long)pos,
                         k < 0 ? strerror(errno) : "file shrank");
        }
        p += k;
        want -= (size_t)k;
        pos += k;
    }
    return ISAC_OK;
}

int sigmf_reader_read_cpi(sigmf_reader r, size_t k, float complex *const *rx, size_t len,
                          struct radio_rx_md *md)
{
    if (!r || !rx || k >= r->ncpi) {
        if (r)
            snprintf(r->err, sizeof r->err, "sigmf reader: CPI %zu out of range (%zu CPIs)", k,
                     r->ncpi);
        return ISAC_EINVAL;
    }
    const struct ann *a0 = &r->rx[0]->ann[k];
    if (len != a0->len) {
        snprintf(r->err, sizeof r->err, "sigmf reader: CPI %zu holds %llu samples, asked %zu", k,
                 (unsigned long long)a0->len, len);
        return ISAC_EINVAL;
    }
    for (unsigned ch = 0; ch < r->num_rx; ch++) {
        const struct rstream *s = r->rx[ch];
        struct readctx c = {s, rx[ch], s->ann[k].tick, r->err, sizeof r->err};
        memset(rx[ch], 0, len * sizeof *rx[ch]); /* lost samples read as zeros */
        int rc = for_chunks(s, &s->ann[k], read_chunk, &c);
        if (rc)
            return rc;
    }
    if (md)
        *md = (struct radio_rx_md){a0->tick, len, a0->missing, a0->missing ? a0->first_gap : 0,
                                   a0->overflow};
    return ISAC_OK;
}

int sigmf_reader_read_txref(sigmf_reader r, size_t k, float complex *tx, size_t txlen)
{
    if (!r || (!tx && txlen) || k >= r->ncpi || txlen != r->tx->ann[k].cnt) {
        if (r)
            snprintf(r->err, sizeof r->err, "sigmf reader: CPI %zu txref: bad index or length %zu",
                     k, txlen);
        return ISAC_EINVAL;
    }
    const struct ann *a = &r->tx->ann[k];
    struct readctx c = {r->tx, tx, a->tx_tick, r->err, sizeof r->err};
    return for_chunks(r->tx, a, read_chunk, &c);
}

static int verify_stream(sigmf_reader r, const struct rstream *s)
{
    struct ectx e = {r->err, sizeof r->err, s->data_path};
    if (!s->sha512)
        return ISAC_OK;
    struct cap_hash h;
    if (cap_hash_init(&h, CAP_SHA512))
        return efail(&e, ISAC_ENOMEM, "out of memory");
    char buf[65536], hex[129];
    uint64_t total = s->nsamples * CF32, pos = 0;
    while (pos < total) {
        ssize_t k = pread(s->fd, buf, sizeof buf, (off_t)pos);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0) {
            cap_hash_free(&h);
            return efail(&e, ISAC_EIO, "read failed at byte %llu", (unsigned long long)pos);
        }
        cap_hash_update(&h, buf, (size_t)k);
        pos += (uint64_t)k;
    }
    int rc = cap_hash_peek(&h, hex);
    cap_hash_free(&h);
    if (rc)
        return efail(&e, rc, "out of memory");
    if (strcasecmp(hex, s->sha512))
        return efail(&e, ISAC_EFORMAT, "SHA-512 %.16s... does not match core:sha512 %.16s...", hex,
                     s->sha512);
    return ISAC_OK;
}

int sigmf_reader_verify_data(sigmf_reader r)
{
    for (size_t i = 0; r && i < r->nstreams; i++) {
        int rc = verify_stream(r, &r->st[i]);
        if (rc)
            return rc;
    }
    return r ? ISAC_OK : ISAC_EINVAL;
}
