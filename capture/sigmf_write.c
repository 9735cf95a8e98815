/* SigMF writer (capture/sigmf.h): data streams to temporaries while the run goes on;
 * metadata and the collection are written and renamed into place at finish(). Also
 * the * struct radio_info -> "isactb:radio" encoding. */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/err.h"
#include "hash.h"
#include "sigmf.h"

#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "cf32_le captures are written by memory copy: little-endian hosts only"
#endif

/* ------------------------------------------------- isactb:radio encoding */

static const char *const cap_names[] = {"timed_tx", "timed_rx", "hw_time", "lo_shared",
                                        "truth",    "scenario", "replay"};

static json_t *ap_json(const struct geom_ap *ap)
{
    return json_pack("{s:f,s:f,s:f}", "x", ap->x, "y", ap->y, "axis_rad", ap->axis_rad);
}

/* json_real() refuses NaN/inf: unknown powers are omitted instead. */
static int set_real_if_finite(json_t *o, const char *key, double v)
{
    if (!isfinite(v))
        return 0;
    return json_object_set_new(o, key, json_real(v));
}

/* Element positions (wavelengths) the capture was made with: replay processes with them. */
static json_t *positions_json(const double *pos, unsigned n)
{
    json_t *a = json_array();
    for (unsigned i = 0; a && i < n && i < RADIO_MAX_CHANNELS; i++)
        json_array_append_new(a, json_real(pos[i]));
    return a;
}

/* Positions a caller never filled (all zero: invalid) are left out: a reader then
 * assumes the ULA of element_spacing_wl, as for captures older than the positions. */
static int set_positions(json_t *o, const struct radio_info *info)
{
    if (radio_info_check_positions(info, NULL, 0))
        return 0;
    return json_object_set_new(o, "tx_positions_wl", positions_json(info->tx_pos_wl, info->num_tx)) ||
           json_object_set_new(o, "rx_positions_wl", positions_json(info->rx_pos_wl, info->num_rx));
}

json_t *sigmf_radio_info_to_json(const struct radio_info *info)
{
    json_t *caps = json_array(), *elems = json_array(), *aps = json_array();
    json_t *o = NULL;
    if (!caps || !elems || !aps)
        goto fail;
    for (unsigned i = 0; i < sizeof cap_names / sizeof cap_names[0]; i++)
        if (info->caps & (1u << i))
            json_array_append_new(caps, json_string(cap_names[i]));
    for (unsigned a = 0; a < info->num_rx_aps && a < RADIO_MAX_APS; a++) {
        json_array_append_new(elems, json_integer(info->rx_ap_elements[a]));
        json_array_append_new(aps, ap_json(&info->rx_ap[a]));
    }
    o = json_pack("{s:s%,s:s%,s:o,s:f,s:f,s:f,s:f,s:I,s:I,s:o,s:f,s:o,s:o}", "driver", info->driver,
                  strnlen(info->driver, sizeof info->driver), "serial", info->serial,
                  strnlen(info->serial, sizeof info->serial), "caps", caps, "sample_rate",
                  info->sample_rate, "center_freq", info->center_freq, "emulated_freq",
                  info->emulated_freq, "bandwidth", info->bandwidth, "num_tx",
                  (json_int_t)info->num_tx, "num_rx", (json_int_t)info->num_rx, "rx_ap_elements",
                  elems, "element_spacing_wl", info->element_spacing_wl, "tx_ap",
                  ap_json(&info->tx_ap), "rx_aps", aps);
    if (!o)
        return NULL; /* json_pack releases the "o" arguments on failure */
    if (set_real_if_finite(o, "tx_power_dbm", info->tx_power_dbm) ||
        set_real_if_finite(o, "noise_dbm", info->noise_dbm) ||
        set_real_if_finite(o, "freq_min", info->freq_min) ||
        set_real_if_finite(o, "freq_max", info->freq_max) ||
        set_real_if_finite(o, "rx_gain_db", info->rx_gain_db) ||
        set_real_if_finite(o, "tx_gain_db", info->tx_gain_db) ||
        set_real_if_finite(o, "noise_var", info->noise_var) ||
        set_real_if_finite(o, "full_scale", info->full_scale) ||
        set_positions(o, info)) {
        json_decref(o);
        return NULL;
    }
    return o;
fail:
    json_decref(caps);
    json_decref(elems);
    json_decref(aps);
    return NULL;
}

/* --------------------------------------------------------------- writer */

struct wstream {
    char *data_tmp, *data_final, *meta_tmp, *meta_final, *base;
    int fd;
    uint64_t committed; /* samples durably handed to the kernel */
    struct cap_hash sha; /* of the data file as written so far */
};

struct sigmf_writer_s {
    char *dir;
    char name[SIGMF_NAME_MAX + 1];
    struct radio_info info;
    json_t *radio_json, *global_extra;
    double *phase_deg; /* NULL or num_rx */
    char *description, *author, *hw;
    unsigned num_rx;
    struct wstream *s; /* num_rx receive streams then the TX reference */
    json_t *rx_caps, *tx_caps;
    json_t *cpis;          /* the collection's isactb:cpis: one record per CPI */
    json_t *positions_wl;  /* positions of the last recorded plan that had any, or NULL */
    size_t ncpi;
    int have_prev;
    int64_t next_tick, next_tx_tick; /* earliest allowed tick of the next CPI */
    char err[512];
};

static const char *const writer_annotation_keys[] = {
    "isactb:cpi",        "isactb:tick", "isactb:num_samples", "isactb:tx_tick",
    "isactb:tx_samples", "isactb:drop", "isactb:overflow",    "isactb:plan", NULL};
static const char *const writer_global_keys[] = {"isactb:radio", "isactb:stream", "isactb:rx_ap",
                                                 "isactb:ap_element", "isactb:cpis", NULL};

static void seterr(char *buf, size_t len, const char *fmt, ...)
{
    if (!buf || !len)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, len, fmt, ap);
    va_end(ap);
}

static char *xstrdup(const char *s)
{
    return s ? strdup(s) : NULL;
}

static char *path_join(const char *dir, const char *base, const char *suffix)
{
    size_t n = strlen(dir) + strlen(base) + strlen(suffix) + 2;
    char *p = malloc(n);
    if (p)
        snprintf(p, n, "%s/%s%s", dir, base, suffix);
    return p;
}

static int name_ok(const char *name)
{
    size_t n = strlen(name);
    if (n == 0 || n > SIGMF_NAME_MAX || name[0] == '.')
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = name[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-'))
            return 0;
    }
    return 1;
}

static int key_in(const char *key, const char *const *list)
{
    for (; *list; list++)
        if (!strcmp(key, *list))
            return 1;
    return 0;
}

/* Caller-supplied objects: every key "isactb:..." and none of the writer's own. */
static int check_isactb_keys(const json_t *o, const char *const *reserved, const char *what,
                             char *err, size_t errlen)
{
    if (!json_is_object(o)) {
        seterr(err, errlen, "%s is not a JSON object", what);
        return ISAC_EINVAL;
    }
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)o, key, v)
    {
        (void)v;
        if (strncmp(key, "isactb:", 7) || !key[7]) {
            seterr(err, errlen, "%s key '%s' is not in the isactb: namespace", what, key);
            return ISAC_EINVAL;
        }
        if (key_in(key, reserved)) {
            seterr(err, errlen, "%s key '%s' is set by the writer itself", what, key);
            return ISAC_EINVAL;
        }
    }
    return ISAC_OK;
}

static int check_info(const struct radio_info *in, char *err, size_t errlen)
{
    if (!in) {
        seterr(err, errlen, "sigmf writer: desc->info is required");
        return ISAC_EINVAL;
    }
    if (in->num_rx < 1 || in->num_rx > RADIO_MAX_CHANNELS || in->num_tx > RADIO_MAX_CHANNELS) {
        seterr(err, errlen, "sigmf writer: num_rx %u / num_tx %u out of range (1..%d)", in->num_rx,
               in->num_tx, RADIO_MAX_CHANNELS);
        return ISAC_EINVAL;
    }
    if (in->num_rx_aps < 1 || in->num_rx_aps > RADIO_MAX_APS) {
        seterr(err, errlen, "sigmf writer: num_rx_aps %u out of range (1..%d)", in->num_rx_aps,
               RADIO_MAX_APS);
        return ISAC_EINVAL;
    }
    unsigned sum = 0;
    for (unsigned a = 0; a < in->num_rx_aps; a++) {
        if (in->rx_ap_elements[a] < 1) {
            seterr(err, errlen, "sigmf writer: rx_ap_elements[%u] is 0", a);
            return ISAC_EINVAL;
        }
        sum += in->rx_ap_elements[a];
    }
    if (sum != in->num_rx) {
        seterr(err, errlen, "sigmf writer: rx_ap_elements sum to %u, num_rx is %u", sum,
               in->num_rx);
        return ISAC_EINVAL;
    }
    if (!(in->sample_rate >= 1 && in->sample_rate <= 1e12) || !(fabs(in->center_freq) <= 1e12) ||
        !isfinite(in->emulated_freq) || !isfinite(in->bandwidth) ||
        !isfinite(in->element_spacing_wl)) {
        seterr(err, errlen, "sigmf writer: sample_rate %g / frequencies out of range",
               in->sample_rate);
        return ISAC_EINVAL;
    }
    return ISAC_OK;
}

static int check_desc(const char *dir, const char *name, const struct sigmf_writer_desc *d,
                      char *err, size_t errlen)
{
    if (!dir || !*dir || !name || !d) {
        seterr(err, errlen, "sigmf writer: dir, name and desc are required");
        return ISAC_EINVAL;
    }
    if (!name_ok(name)) {
        seterr(err, errlen,
               "sigmf writer: name '%s' invalid (1..%d of [A-Za-z0-9._-], not starting with '.')",
               name, SIGMF_NAME_MAX);
        return ISAC_EINVAL;
    }
    int rc = check_info(d->info, err, errlen);
    if (rc)
        return rc;
    if (d->global &&
        (rc = check_isactb_keys(d->global, writer_global_keys, "desc->global", err, errlen)))
        return rc;
    for (unsigned k = 0; d->rx_phase_offset_deg && k < d->info->num_rx; k++)
        if (!(fabs(d->rx_phase_offset_deg[k]) <= 360.0)) {
            seterr(err, errlen, "sigmf writer: rx_phase_offset_deg[%u] %g out of range", k,
                   d->rx_phase_offset_deg[k]);
            return ISAC_EINVAL;
        }
    return ISAC_OK;
}

static void stream_free(struct wstream *s)
{
    free(s->data_tmp);
    free(s->data_final);
    free(s->meta_tmp);
    free(s->meta_final);
    free(s->base);
    cap_hash_free(&s->sha);
}

static void writer_free(sigmf_writer w)
{
    if (!w)
        return;
    for (unsigned i = 0; w->s && i <= w->num_rx; i++) {
        if (w->s[i].fd >= 0)
            close(w->s[i].fd);
        stream_free(&w->s[i]);
    }
    free(w->s);
    json_decref(w->radio_json);
    json_decref(w->global_extra);
    json_decref(w->rx_caps);
    json_decref(w->cpis);
    json_decref(w->positions_wl);
    json_decref(w->tx_caps);
    free(w->phase_deg);
    free(w->description);
    free(w->author);
    free(w->hw);
    free(w->dir);
    free(w);
}

static int stream_init(sigmf_writer w, unsigned i, char *err, size_t errlen)
{
    struct wstream *s = &w->s[i];
    char base[SIGMF_NAME_MAX + 32];
    if (i < w->num_rx)
        snprintf(base, sizeof base, "%s-rx%u", w->name, i);
    else
        snprintf(base, sizeof base, "%s-txref", w->name);
    s->base = strdup(base);
    s->data_tmp = path_join(w->dir, base, ".sigmf-data.tmp");
    s->data_final = path_join(w->dir, base, ".sigmf-data");
    s->meta_tmp = path_join(w->dir, base, ".sigmf-meta.tmp");
    s->meta_final = path_join(w->dir, base, ".sigmf-meta");
    if (!s->base || !s->data_tmp || !s->data_final || !s->meta_tmp || !s->meta_final) {
        seterr(err, errlen, "sigmf writer: out of memory");
        return ISAC_ENOMEM;
    }
    s->fd = open(s->data_tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (s->fd < 0) {
        seterr(err, errlen, "%s: cannot create: %s", s->data_tmp, strerror(errno));
        return ISAC_EIO;
    }
    return cap_hash_init(&s->sha, CAP_SHA512);
}

static char *default_hw(const struct radio_info *in)
{
    char buf[256];
    snprintf(buf, sizeof buf, "%.*s %.*s: %u RX channels in %u arrays, %u TX channels",
             (int)sizeof in->driver, in->driver[0] ? in->driver : "radio", (int)sizeof in->serial,
             in->serial, in->num_rx, in->num_rx_aps, in->num_tx);
    return strdup(buf);
}

static int prepare_dir(const char *dir, const char *name, char *err, size_t errlen)
{
    if (mkdir(dir, 0755) && errno != EEXIST) {
        seterr(err, errlen, "%s: cannot create directory: %s", dir, strerror(errno));
        return ISAC_EIO;
    }
    char *coll = path_join(dir, name, ".sigmf-collection");
    if (!coll) {
        seterr(err, errlen, "sigmf writer: out of memory");
        return ISAC_ENOMEM;
    }
    int exists = access(coll, F_OK) == 0;
    if (exists)
        seterr(err, errlen, "%s: exists: refusing to overwrite a finished capture", coll);
    free(coll);
    return exists ? ISAC_EIO : ISAC_OK;
}

sigmf_writer sigmf_writer_create(const char *dir, const char *name,
                                 const struct sigmf_writer_desc *desc, char *err, size_t errlen)
{
    if (check_desc(dir, name, desc, err, errlen) || prepare_dir(dir, name, err, errlen))
        return NULL;
    sigmf_writer w = calloc(1, sizeof *w);
    if (!w)
        goto nomem;
    snprintf(w->name, sizeof w->name, "%s", name);
    w->info = *desc->info;
    if (radio_info_check_positions(&w->info, NULL, 0))
        radio_info_fill_ula(&w->info); /* a caller that filled only the spacing */
    w->num_rx = desc->info->num_rx;
    w->dir = strdup(dir);
    w->s = calloc(w->num_rx + 1, sizeof *w->s);
    w->radio_json = sigmf_radio_info_to_json(&w->info);
    w->global_extra = desc->global ? json_deep_copy(desc->global) : json_object();
    w->description = xstrdup(desc->description);
    w->author = xstrdup(desc->author);
    w->hw = desc->hw ? strdup(desc->hw) : default_hw(desc->info);
    w->rx_caps = json_array();
    w->cpis = json_array();
    w->tx_caps = json_array();
    if (!w->dir || !w->s || !w->radio_json || !w->global_extra || !w->hw || !w->rx_caps ||
        !w->cpis || !w->tx_caps || (desc->description && !w->description) ||
        (desc->author && !w->author))
        goto nomem;
    if (desc->rx_phase_offset_deg) {
        w->phase_deg = malloc(w->num_rx * sizeof *w->phase_deg);
        if (!w->phase_deg)
            goto nomem;
        memcpy(w->phase_deg, desc->rx_phase_offset_deg, w->num_rx * sizeof *w->phase_deg);
    }
    for (unsigned i = 0; i <= w->num_rx; i++)
        w->s[i].fd = -1;
    for (unsigned i = 0; i <= w->num_rx; i++)
        if (stream_init(w, i, err, errlen)) {
            sigmf_writer_abort(w);
            return NULL;
        }
    return w;
nomem:
    seterr(err, errlen, "sigmf writer: out of memory");
    writer_free(w);
    return NULL;
}

/* ------------------------------------------------------- append a CPI */

static int is_number(const json_t *v)
{
    return json_is_number(v) && isfinite(json_number_value(v));
}

static int check_bearing(const json_t *b, char *err, size_t errlen)
{
    static const char *const keys[] = {"azimuth",     "elevation",        "range",
                                       "range_rate",  "az_error",         "el_error",
                                       "range_error", "range_rate_error", NULL};
    const char *key;
    json_t *v;
    if (!json_is_object(b)) {
        seterr(err, errlen, "sigmf writer: spatial:calibration.bearing is not an object");
        return ISAC_EINVAL;
    }
    json_object_foreach((json_t *)b, key, v) if (!key_in(key, keys) || !is_number(v))
    {
        seterr(err, errlen, "sigmf writer: spatial:calibration.bearing.%s unknown or not a number",
               key);
        return ISAC_EINVAL;
    }
    return ISAC_OK;
}

static int check_point(const json_t *p)
{
    const json_t *pt = json_object_get(p, "point"), *u = json_object_get(p, "unknown");
    if (!json_is_object(p) || json_object_size(p) != 1)
        return -1;
    if (pt)
        return json_array_size(pt) == 3 && is_number(json_array_get(pt, 0)) &&
                       is_number(json_array_get(pt, 1)) && is_number(json_array_get(pt, 2))
                   ? 0
                   : -1;
    return json_is_true(u) ? 0 : -1;
}

/* A CPI's segment fields: exactly one spatial calibration object (spatial extension 2.1). */
static int check_segment(const json_t *seg, char *err, size_t errlen)
{
    static const char *const caltypes[] = {"tone", "xcorr", "ref", "other", NULL};
    static const char *const calkeys[] = {"caltype", "bearing", "cal_geometry", NULL};
    const json_t *cal = json_object_get(seg, "spatial:calibration");
    if (!json_is_object(seg) || json_object_size(seg) != 1 || !json_is_object(cal)) {
        seterr(err, errlen,
               "sigmf writer: CPI segment must hold exactly spatial:calibration (an object)");
        return ISAC_EINVAL;
    }
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)cal, key, v) if (!key_in(key, calkeys))
    {
        seterr(err, errlen, "sigmf writer: spatial:calibration.%s is not a calibration field", key);
        return ISAC_EINVAL;
    }
    const char *ct = json_string_value(json_object_get(cal, "caltype"));
    if (!ct || !key_in(ct, caltypes)) {
        seterr(err, errlen,
               "sigmf writer: spatial:calibration.caltype '%s' not tone, xcorr, ref or other",
               ct ? ct : "(missing)");
        return ISAC_EINVAL;
    }
    if (json_object_get(cal, "bearing") &&
        check_bearing(json_object_get(cal, "bearing"), err, errlen))
        return ISAC_EINVAL;
    if (json_object_get(cal, "cal_geometry") && check_point(json_object_get(cal, "cal_geometry"))) {
        seterr(err, errlen,
               "sigmf writer: spatial:calibration.cal_geometry is not a cartesian_point");
        return ISAC_EINVAL;
    }
    return ISAC_OK;
}

static int check_cpi(sigmf_writer w, const struct sigmf_cpi *c)
{
    const size_t maxlen = (size_t)1 << 30;
    if (!c || !c->rx || c->len < 1 || c->len > maxlen || c->txlen > maxlen ||
        (c->txlen && !c->txref)) {
        seterr(w->err, sizeof w->err, "sigmf writer: CPI needs rx, 1 <= len <= 2^30, txref");
        return ISAC_EINVAL;
    }
    for (unsigned ch = 0; ch < w->num_rx; ch++)
        if (!c->rx[ch]) {
            seterr(w->err, sizeof w->err, "sigmf writer: rx[%u] is NULL", ch);
            return ISAC_EINVAL;
        }
    if (c->tick < 0 || c->tx_tick < 0 || (w->have_prev && c->tick < w->next_tick) ||
        (w->have_prev && c->tx_tick < w->next_tx_tick)) {
        seterr(w->err, sizeof w->err,
               "sigmf writer: CPI %zu tick %lld / tx_tick %lld negative or overlapping the "
               "previous CPI (next allowed %lld / %lld)",
               w->ncpi, (long long)c->tick, (long long)c->tx_tick, (long long)w->next_tick,
               (long long)w->next_tx_tick);
        return ISAC_EINVAL;
    }
    const struct radio_rx_md *md = c->md;
    if (md && (md->start_tick != c->tick || md->num_samples != c->len)) {
        seterr(w->err, sizeof w->err,
               "sigmf writer: md start_tick %lld / num_samples %zu differ from CPI tick %lld "
               "/ len %zu",
               (long long)md->start_tick, md->num_samples, (long long)c->tick, c->len);
        return ISAC_EINVAL;
    }
    if (md && md->dropped_samples &&
        (md->drop_start_tick < c->tick || md->dropped_samples > c->len ||
         md->drop_start_tick - c->tick > (int64_t)(c->len - md->dropped_samples))) {
        seterr(w->err, sizeof w->err,
               "sigmf writer: drop of %llu samples at tick %lld outside the window [%lld, +%zu)",
               (unsigned long long)md->dropped_samples, (long long)md->drop_start_tick,
               (long long)c->tick, c->len);
        return ISAC_EINVAL;
    }
    if (c->segment && check_segment(c->segment, w->err, sizeof w->err))
        return ISAC_EINVAL;
    if (c->annotation)
        return check_isactb_keys(c->annotation, writer_annotation_keys, "CPI annotation", w->err,
                                 sizeof w->err);
    return ISAC_OK;
}

static int write_all(int fd, const void *buf, size_t n, uint64_t off)
{
    const char *p = buf;
    while (n) {
        ssize_t k = pwrite(fd, p, n, (off_t)off);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            return -1;
        p += k;
        n -= (size_t)k;
        off += (uint64_t)k;
    }
    return 0;
}

/* Layout of one RX window in the data files: a head before the gap, a tail after. */
struct rx_layout {
    size_t head, tail; /* samples stored before / after the gap */
    int64_t tail_tick; /* tick of the first tail sample */
};

static struct rx_layout rx_layout(const struct sigmf_cpi *c)
{
    struct rx_layout l = {c->len, 0, 0};
    if (c->md && c->md->dropped_samples) {
        l.head = (size_t)(c->md->drop_start_tick - c->tick);
        l.tail_tick = c->md->drop_start_tick + (int64_t)c->md->dropped_samples;
        l.tail = c->len - l.head - (size_t)c->md->dropped_samples;
    }
    return l;
}

static int write_cpi_data(sigmf_writer w, const struct sigmf_cpi *c, struct rx_layout l)
{
    for (unsigned ch = 0; ch < w->num_rx; ch++) {
        struct wstream *s = &w->s[ch];
        const float complex *x = c->rx[ch];
        if (write_all(s->fd, x, l.head * sizeof *x, s->committed * sizeof *x) ||
            write_all(s->fd, x + c->len - l.tail, l.tail * sizeof *x,
                      (s->committed + l.head) * sizeof *x)) {
            seterr(w->err, sizeof w->err, "%s: write failed: %s", s->data_tmp, strerror(errno));
            return ISAC_EIO;
        }
    }
    struct wstream *t = &w->s[w->num_rx];
    if (write_all(t->fd, c->txref, c->txlen * sizeof *c->txref, t->committed * sizeof *c->txref)) {
        seterr(w->err, sizeof w->err, "%s: write failed: %s", t->data_tmp, strerror(errno));
        return ISAC_EIO;
    }
    return ISAC_OK;
}

static json_t *segment(uint64_t start, int64_t tick, double freq, const json_t *extra)
{
    json_t *o = json_pack("{s:I,s:I,s:f}", "core:sample_start", (json_int_t)start,
                          "core:global_index", (json_int_t)tick, "core:frequency", freq);
    if (o && extra && json_object_update(o, (json_t *)extra)) {
        json_decref(o);
        return NULL;
    }
    return o;
}

/* A plan's element positions are recorded when they change: the same array as the
 * previous CPI's becomes the string "unchanged" (the reader puts the array back). */
static int plan_record(sigmf_writer w, const struct isac_tx_plan_s *plan, json_t *rec)
{
    json_t *pj = isac_tx_plan_to_json(plan);
    if (!pj)
        return ISAC_ENOMEM;
    json_t *pos = json_object_get(pj, "positions_wl");
    if (pos && w->positions_wl && json_equal(pos, w->positions_wl))
        json_object_set_new(pj, "positions_wl", json_string("unchanged"));
    else if (pos) {
        json_decref(w->positions_wl);
        w->positions_wl = json_incref(pos);
    }
    return json_object_set_new(rec, "isactb:plan", pj) ? ISAC_ENOMEM : ISAC_OK;
}

/* The collection's record of this CPI: the writer's keys (window, probe, losses), the
 * plan and the caller's keys. Written once for all streams. */
static json_t *cpi_record(sigmf_writer w, const struct sigmf_cpi *c, const json_t *caller)
{
    json_t *a = json_pack("{s:I,s:I,s:I,s:I,s:I}", "isactb:cpi", (json_int_t)w->ncpi,
                          "isactb:tick", (json_int_t)c->tick, "isactb:num_samples",
                          (json_int_t)c->len, "isactb:tx_tick", (json_int_t)c->tx_tick,
                          "isactb:tx_samples", (json_int_t)c->txlen);
    int bad = !a;
    if (a && c->md && c->md->overflow)
        bad |= json_object_set_new(a, "isactb:overflow", json_true());
    if (a && c->md && c->md->dropped_samples)
        bad |= json_object_set_new(
            a, "isactb:drop",
            json_pack("{s:I,s:I}", "start_tick", (json_int_t)c->md->drop_start_tick, "count",
                      (json_int_t)c->md->dropped_samples));
    if (a && caller)
        bad |= json_object_update((json_t *)a, (json_t *)caller);
    if (a && c->plan)
        bad |= plan_record(w, c->plan, a) != ISAC_OK;
    if (bad) {
        json_decref(a);
        return NULL;
    }
    return a;
}

/* Build this CPI's metadata before touching the files, so that a failure leaves the
 * writer exactly as it was. */
static int cpi_metadata(sigmf_writer w, const struct sigmf_cpi *c, struct rx_layout l,
                        json_t *out[5])
{
    uint64_t rx0 = w->s[0].committed, tx0 = w->s[w->num_rx].committed;
    json_t *caller = c->annotation ? json_deep_copy(c->annotation) : NULL;
    json_t *seg = c->segment ? json_deep_copy(c->segment) : NULL;
    double fc = w->info.center_freq;
    memset(out, 0, 5 * sizeof *out);
    out[0] = l.head ? segment(rx0, c->tick, fc, seg) : json_null();
    out[1] = l.tail ? segment(rx0 + l.head, l.tail_tick, fc, seg) : json_null();
    out[2] = c->txlen ? segment(tx0, c->tx_tick, fc, NULL) : json_null();
    json_decref(seg);
    out[3] = cpi_record(w, c, caller);
    out[4] = json_null();
    json_decref(caller);
    for (int i = 0; i < 5; i++)
        if (!out[i]) {
            for (int j = 0; j < 5; j++)
                json_decref(out[j]);
            seterr(w->err, sizeof w->err, "sigmf writer: out of memory");
            return ISAC_ENOMEM;
        }
    return ISAC_OK;
}

int sigmf_writer_append_cpi(sigmf_writer w, const struct sigmf_cpi *c)
{
    if (!w)
        return ISAC_EINVAL;
    int rc = check_cpi(w, c);
    if (rc)
        return rc;
    struct rx_layout l = rx_layout(c);
    json_t *m[5];
    if ((rc = cpi_metadata(w, c, l, m)))
        return rc;
    if ((rc = write_cpi_data(w, c, l))) {
        for (int j = 0; j < 5; j++)
            json_decref(m[j]);
        return rc; /* committed offsets unchanged: finish() truncates the partial write */
    }
    if (!json_is_null(m[0]))
        json_array_append(w->rx_caps, m[0]);
    if (!json_is_null(m[1]))
        json_array_append(w->rx_caps, m[1]);
    if (!json_is_null(m[2]))
        json_array_append(w->tx_caps, m[2]);
    json_array_append(w->cpis, m[3]);
    for (int j = 0; j < 5; j++)
        json_decref(m[j]);
    for (unsigned ch = 0; ch < w->num_rx; ch++) {
        struct wstream *s = &w->s[ch];
        cap_hash_update(&s->sha, c->rx[ch], l.head * sizeof(float complex));
        cap_hash_update(&s->sha, c->rx[ch] + c->len - l.tail, l.tail * sizeof(float complex));
        s->committed += l.head + l.tail;
    }
    struct wstream *t = &w->s[w->num_rx];
    cap_hash_update(&t->sha, c->txref, c->txlen * sizeof(float complex));
    t->committed += c->txlen;
    w->have_prev = 1;
    w->next_tick = c->tick + (int64_t)c->len;
    w->next_tx_tick = c->tx_tick + (int64_t)c->txlen;
    w->ncpi++;
    return ISAC_OK;
}

size_t sigmf_writer_num_cpis(sigmf_writer w)
{
    return w ? w->ncpi : 0;
}

int sigmf_writer_set_rx_phase_offset(sigmf_writer w, const double *deg)
{
    if (!w)
        return ISAC_EINVAL;
    for (unsigned k = 0; deg && k < w->num_rx; k++)
        if (!(fabs(deg[k]) <= 360.0)) {
            seterr(w->err, sizeof w->err, "sigmf writer: rx_phase_offset_deg[%u] %g out of range",
                   k, deg[k]);
            return ISAC_EINVAL;
        }
    if (!deg) {
        free(w->phase_deg);
        w->phase_deg = NULL;
        return ISAC_OK;
    }
    if (!w->phase_deg && !(w->phase_deg = malloc(w->num_rx * sizeof *w->phase_deg))) {
        seterr(w->err, sizeof w->err, "sigmf writer: out of memory");
        return ISAC_ENOMEM;
    }
    memcpy(w->phase_deg, deg, w->num_rx * sizeof *w->phase_deg);
    return ISAC_OK;
}

const char *sigmf_writer_last_error(sigmf_writer w)
{
    return w ? w->err : "no writer";
}

/* ------------------------------------------------------------- finish */

static json_t *extensions(int spatial)
{
    json_t *a = json_array();
    if (spatial)
        json_array_append_new(a, json_pack("{s:s,s:s,s:b}", "name", "spatial", "version",
                                           SIGMF_SPATIAL_VERSION, "optional", 1));
    json_array_append_new(a, json_pack("{s:s,s:s,s:b}", "name", "isactb", "version",
                                       SIGMF_ISACTB_VERSION, "optional", 1));
    return a;
}

static json_t *meta_global(sigmf_writer w, unsigned i, const struct wstream *s, const char *hash)
{
    int rx = i < w->num_rx;
    json_t *g = json_pack("{s:s,s:s,s:f,s:i,s:s,s:s,s:s,s:s,s:o}", "core:datatype", "cf32_le",
                          "core:version", SIGMF_VERSION, "core:sample_rate", w->info.sample_rate,
                          "core:num_channels", 1, "core:recorder", "isactb", "core:hw", w->hw,
                          "core:collection", w->name, "core:sha512", hash, "core:extensions",
                          extensions(rx));
    if (!g)
        return NULL;
    int bad = 0;
    if (w->description)
        bad |= json_object_set_new(g, "core:description", json_string(w->description));
    if (w->author)
        bad |= json_object_set_new(g, "core:author", json_string(w->author));
    if (rx) {
        unsigned ap = 0, first = 0;
        while (i >= first + w->info.rx_ap_elements[ap])
            first += w->info.rx_ap_elements[ap++];
        bad |= json_object_set_new(g, "spatial:num_elements", json_integer(w->num_rx));
        bad |= json_object_set_new(g, "spatial:channel_index", json_integer(i));
        bad |= json_object_set_new(g, "isactb:stream", json_string("rx"));
        bad |= json_object_set_new(g, "isactb:rx_ap", json_integer(ap));
        bad |= json_object_set_new(g, "isactb:ap_element", json_integer(i - first));
    } else {
        bad |= json_object_set_new(g, "isactb:stream", json_string("txref"));
    }
    (void)s; /* the shared records (isactb:radio, the caller's) are the collection's */
    if (bad) {
        json_decref(g);
        return NULL;
    }
    return g;
}

/* RX captures segments with this channel's spatial:phase_offset (shallow copies). */
static json_t *rx_captures(sigmf_writer w, unsigned ch)
{
    if (!w->phase_deg)
        return json_incref(w->rx_caps);
    json_t *out = json_array();
    size_t i;
    json_t *seg;
    json_array_foreach(w->rx_caps, i, seg)
    {
        json_t *c = json_copy(seg);
        if (!c || json_object_set_new(c, "spatial:phase_offset", json_real(w->phase_deg[ch])) ||
            json_array_append_new(out, c)) {
            json_decref(out);
            return NULL;
        }
    }
    return out;
}

static int write_file(const char *path, const char *text, char *err, size_t errlen)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0 || write_all(fd, text, strlen(text), 0) || write_all(fd, "\n", 1, strlen(text)) ||
        fsync(fd)) {
        seterr(err, errlen, "%s: write failed: %s", path, strerror(errno));
        if (fd >= 0)
            close(fd);
        return ISAC_EIO;
    }
    if (close(fd)) {
        seterr(err, errlen, "%s: close failed: %s", path, strerror(errno));
        return ISAC_EIO;
    }
    return ISAC_OK;
}

static int dump_to(const char *path, json_t *doc, char *hash_out, char *err, size_t errlen)
{
    char *text = doc ? json_dumps(doc, JSON_COMPACT) : NULL;
    json_decref(doc);
    if (!text) {
        seterr(err, errlen, "%s: out of memory building metadata", path);
        return ISAC_ENOMEM;
    }
    if (hash_out) {
        /* the hash covers the file exactly as written, trailing newline included */
        struct cap_hash h;
        int rc = cap_hash_init(&h, CAP_SHA512);
        cap_hash_update(&h, text, strlen(text));
        cap_hash_update(&h, "\n", 1);
        if (!rc)
            rc = cap_hash_peek(&h, hash_out);
        cap_hash_free(&h);
        if (rc) {
            free(text);
            seterr(err, errlen, "%s: out of memory hashing metadata", path);
            return rc;
        }
    }
    int rc = write_file(path, text, err, errlen);
    free(text);
    return rc;
}

static int write_meta(sigmf_writer w, unsigned i, char hash[129], char *err, size_t errlen)
{
    struct wstream *s = &w->s[i];
    char data_hash[129];
    if (cap_hash_peek(&s->sha, data_hash)) {
        seterr(err, errlen, "%s: out of memory hashing data", s->data_tmp);
        return ISAC_ENOMEM;
    }
    int rx = i < w->num_rx;
    json_t *g = meta_global(w, i, s, data_hash);
    json_t *caps = rx ? rx_captures(w, i) : json_incref(w->tx_caps);
    /* no annotations: every CPI is described once, in the collection's isactb:cpis */
    json_t *doc = (g && caps) ? json_pack("{s:o,s:o,s:[]}", "global", g, "captures", caps,
                                          "annotations")
                              : NULL;
    if (!doc) {
        json_decref(g);
        json_decref(caps);
    }
    return dump_to(s->meta_tmp, doc, hash, err, errlen);
}

static json_t *element_geometry(const struct radio_info *in)
{
    double f = in->emulated_freq > 0 ? in->emulated_freq : in->center_freq;
    double lambda = f > 0 ? GEOM_C0 / f : 0;
    json_t *a = json_array();
    for (unsigned ap = 0, ch = 0; a && ap < in->num_rx_aps; ap++)
        for (unsigned m = 0; m < in->rx_ap_elements[ap]; m++, ch++) {
            const struct geom_ap *g = &in->rx_ap[ap];
            double p = in->rx_pos_wl[ch] * lambda;
            json_t *pt = lambda > 0 ? json_pack("{s:[f,f,f]}", "point", g->x + p * cos(g->axis_rad),
                                                g->y + p * sin(g->axis_rad), 0.0)
                                    : json_pack("{s:b}", "unknown", 1);
            if (json_array_append_new(a, pt)) {
                json_decref(a);
                return NULL;
            }
        }
    return a;
}

static int write_collection(sigmf_writer w, char (*hashes)[129], const char *path, char *err,
                            size_t errlen)
{
    json_t *streams = json_array();
    for (unsigned i = 0; streams && i <= w->num_rx; i++)
        if (json_array_append_new(streams, json_pack("[s,s]", w->s[i].base, hashes[i]))) {
            json_decref(streams);
            streams = NULL;
        }
    json_t *c = streams ? json_pack("{s:s,s:o,s:o,s:o}", "core:version", SIGMF_VERSION,
                                    "core:extensions", extensions(1), "core:streams", streams,
                                    "spatial:element_geometry", element_geometry(&w->info))
                        : NULL;
    if (c && w->description)
        json_object_set_new(c, "core:description", json_string(w->description));
    if (c && w->author)
        json_object_set_new(c, "core:author", json_string(w->author));
    /* The records every stream shares, written once (the schema lets the collection
     * carry extension keys): radio, the caller's (experiment, codebook, calibration,
     * inputs, ...) and one record per CPI. */
    if (c && (json_object_set(c, "isactb:radio", w->radio_json) ||
              json_object_update(c, w->global_extra) || json_object_set(c, "isactb:cpis", w->cpis))) {
        json_decref(c);
        c = NULL;
    }
    return dump_to(path, c ? json_pack("{s:o}", "collection", c) : NULL, NULL, err, errlen);
}

static int sync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    int rc = fsync(fd);
    close(fd);
    return rc;
}

static int close_data(sigmf_writer w, char *err, size_t errlen)
{
    for (unsigned i = 0; i <= w->num_rx; i++) {
        struct wstream *s = &w->s[i];
        /* drop whatever a failed append left past the last complete CPI */
        if (ftruncate(s->fd, (off_t)(s->committed * sizeof(float complex))) || fsync(s->fd) ||
            close(s->fd)) {
            seterr(err, errlen, "%s: %s", s->data_tmp, strerror(errno));
            s->fd = -1;
            return ISAC_EIO;
        }
        s->fd = -1;
    }
    return ISAC_OK;
}

/* Undo a failed finish: every temporary and every file already renamed. */
static void finish_cleanup(sigmf_writer w, const char *coll_tmp, unsigned renamed)
{
    for (unsigned i = 0; i <= w->num_rx; i++) {
        unlink(w->s[i].data_tmp);
        unlink(w->s[i].meta_tmp);
        if (i < renamed) {
            unlink(w->s[i].data_final);
            unlink(w->s[i].meta_final);
        }
    }
    if (coll_tmp)
        unlink(coll_tmp);
}

static int rename_streams(sigmf_writer w, unsigned *renamed, char *err, size_t errlen)
{
    for (unsigned i = 0; i <= w->num_rx; i++) {
        struct wstream *s = &w->s[i];
        *renamed = i + 1;
        if (rename(s->data_tmp, s->data_final) || rename(s->meta_tmp, s->meta_final)) {
            seterr(err, errlen, "%s: rename failed: %s", s->base, strerror(errno));
            return ISAC_EIO;
        }
    }
    return ISAC_OK;
}

int sigmf_writer_finish(sigmf_writer w, char *err, size_t errlen)
{
    if (!w) {
        seterr(err, errlen, "sigmf writer: NULL writer");
        return ISAC_EINVAL;
    }
    char(*hashes)[129] = calloc(w->num_rx + 1, sizeof *hashes);
    char *coll = path_join(w->dir, w->name, ".sigmf-collection");
    char *coll_tmp = path_join(w->dir, w->name, ".sigmf-collection.tmp");
    unsigned renamed = 0;
    int rc = (!hashes || !coll || !coll_tmp) ? ISAC_ENOMEM : close_data(w, err, errlen);
    if (rc == ISAC_ENOMEM)
        seterr(err, errlen, "sigmf writer: out of memory");
    for (unsigned i = 0; !rc && i <= w->num_rx; i++)
        rc = write_meta(w, i, hashes[i], err, errlen);
    if (!rc)
        rc = write_collection(w, hashes, coll_tmp, err, errlen);
    if (!rc)
        rc = rename_streams(w, &renamed, err, errlen);
    if (!rc && (sync_dir(w->dir) || rename(coll_tmp, coll) || sync_dir(w->dir))) {
        seterr(err, errlen, "%s: rename failed: %s", coll, strerror(errno));
        rc = ISAC_EIO;
    }
    if (rc)
        finish_cleanup(w, coll_tmp, renamed);
    free(hashes);
    free(coll);
    free(coll_tmp);
    writer_free(w);
    return rc;
}

void sigmf_writer_abort(sigmf_writer w)
{
    if (!w)
        return;
    for (unsigned i = 0; w->s && i <= w->num_rx; i++) {
        if (w->s[i].fd >= 0) {
            close(w->s[i].fd);
            w->s[i].fd = -1;
        }
        if (w->s[i].data_tmp)
            unlink(w->s[i].data_tmp);
        if (w->s[i].meta_tmp)
            unlink(w->s[i].meta_tmp);
    }
    writer_free(w);
}
