/* Writer: appending one CPI (capture/sigmf.h isac_sigmf_writer_append_cpi). The CPI and its
 * segment fields are validated and its metadata built before any file is touched; then
 * its samples stream to the .sigmf-data.tmp files (lost samples are not stored) and the
 * captures segments and the CPI record are queued for finish(). */
#include <errno.h>
#include <math.h>
#include <string.h>
#include <unistd.h>

#include "common/err.h"
#include "sigmf_internal.h"

static const char *const writer_annotation_keys[] = {
    "isactb:cpi",      "isactb:tick",       "isactb:num_samples",
    "isactb:tx_tick",  "isactb:tx_samples", "isactb:drop",
    "isactb:overflow", "isactb:plan",       NULL};

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
        isac_seterr(err, errlen, "sigmf writer: spatial:calibration.bearing is not an object");
        return ISAC_EINVAL;
    }
    json_object_foreach((json_t *)b, key, v) if (!cap_key_in(key, keys) || !is_number(v))
    {
        isac_seterr(err, errlen,
                    "sigmf writer: spatial:calibration.bearing.%s unknown or not a number", key);
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
    static const char *const calkeys[] = {"caltype", "bearing", "cal_geometry", NULL};
    const json_t *cal = json_object_get(seg, "spatial:calibration");
    if (!json_is_object(seg) || json_object_size(seg) != 1 || !json_is_object(cal)) {
        isac_seterr(err, errlen,
                    "sigmf writer: CPI segment must hold exactly spatial:calibration (an object)");
        return ISAC_EINVAL;
    }
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)cal, key, v) if (!cap_key_in(key, calkeys))
    {
        isac_seterr(err, errlen, "sigmf writer: spatial:calibration.%s is not a calibration field",
                    key);
        return ISAC_EINVAL;
    }
    const char *ct = json_string_value(json_object_get(cal, "caltype"));
    if (!cap_caltype_ok(ct)) {
        isac_seterr(err, errlen,
                    "sigmf writer: spatial:calibration.caltype '%s' not tone, xcorr, ref or other",
                    ct ? ct : "(missing)");
        return ISAC_EINVAL;
    }
    if (json_object_get(cal, "bearing") &&
        check_bearing(json_object_get(cal, "bearing"), err, errlen))
        return ISAC_EINVAL;
    if (json_object_get(cal, "cal_geometry") && check_point(json_object_get(cal, "cal_geometry"))) {
        isac_seterr(err, errlen,
                    "sigmf writer: spatial:calibration.cal_geometry is not a cartesian_point");
        return ISAC_EINVAL;
    }
    return ISAC_OK;
}

static int check_cpi(isac_sigmf_writer w, const struct isac_sigmf_cpi *c)
{
    const size_t maxlen = (size_t)1 << 30;
    if (!c || !c->rx || c->len < 1 || c->len > maxlen || c->txlen > maxlen ||
        (c->txlen && !c->txref)) {
        isac_seterr(w->err, sizeof w->err, "sigmf writer: CPI needs rx, 1 <= len <= 2^30, txref");
        return ISAC_EINVAL;
    }
    for (unsigned ch = 0; ch < w->num_rx; ch++)
        if (!c->rx[ch]) {
            isac_seterr(w->err, sizeof w->err, "sigmf writer: rx[%u] is NULL", ch);
            return ISAC_EINVAL;
        }
    if (c->tick < 0 || c->tx_tick < 0 || (w->have_prev && c->tick < w->next_tick) ||
        (w->have_prev && c->tx_tick < w->next_tx_tick)) {
        isac_seterr(w->err, sizeof w->err,
                    "sigmf writer: CPI %zu tick %lld / tx_tick %lld negative or overlapping the "
                    "previous CPI (next allowed %lld / %lld)",
                    w->ncpi, (long long)c->tick, (long long)c->tx_tick, (long long)w->next_tick,
                    (long long)w->next_tx_tick);
        return ISAC_EINVAL;
    }
    const struct isac_radio_rx_md *md = c->md;
    if (md && (md->start_tick != c->tick || md->num_samples != c->len)) {
        isac_seterr(w->err, sizeof w->err,
                    "sigmf writer: md start_tick %lld / num_samples %zu differ from CPI tick %lld "
                    "/ len %zu",
                    (long long)md->start_tick, md->num_samples, (long long)c->tick, c->len);
        return ISAC_EINVAL;
    }
    if (md && md->dropped_samples &&
        (md->drop_start_tick < c->tick || md->dropped_samples > c->len ||
         md->drop_start_tick - c->tick > (int64_t)(c->len - md->dropped_samples))) {
        isac_seterr(
            w->err, sizeof w->err,
            "sigmf writer: drop of %llu samples at tick %lld outside the window [%lld, +%zu)",
            (unsigned long long)md->dropped_samples, (long long)md->drop_start_tick,
            (long long)c->tick, c->len);
        return ISAC_EINVAL;
    }
    if (c->segment && check_segment(c->segment, w->err, sizeof w->err))
        return ISAC_EINVAL;
    if (c->annotation)
        return cap_check_isactb_keys(c->annotation, writer_annotation_keys, "CPI annotation",
                                     w->err, sizeof w->err);
    return ISAC_OK;
}

int cap_write_all(int fd, const void *buf, size_t n, uint64_t off)
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

static struct rx_layout rx_layout(const struct isac_sigmf_cpi *c)
{
    struct rx_layout l = {c->len, 0, 0};
    if (c->md && c->md->dropped_samples) {
        l.head = (size_t)(c->md->drop_start_tick - c->tick);
        l.tail_tick = c->md->drop_start_tick + (int64_t)c->md->dropped_samples;
        l.tail = c->len - l.head - (size_t)c->md->dropped_samples;
    }
    return l;
}

static int write_cpi_data(isac_sigmf_writer w, const struct isac_sigmf_cpi *c, struct rx_layout l)
{
    for (unsigned ch = 0; ch < w->num_rx; ch++) {
        struct wstream *s = &w->s[ch];
        const float complex *x = c->rx[ch];
        if (cap_write_all(s->fd, x, l.head * sizeof *x, s->committed * sizeof *x) ||
            cap_write_all(s->fd, x + c->len - l.tail, l.tail * sizeof *x,
                          (s->committed + l.head) * sizeof *x)) {
            isac_seterr(w->err, sizeof w->err, "%s: write failed: %s", s->data_tmp,
                        strerror(errno));
            return ISAC_EIO;
        }
    }
    struct wstream *t = &w->s[w->num_rx];
    if (cap_write_all(t->fd, c->txref, c->txlen * sizeof *c->txref,
                      t->committed * sizeof *c->txref)) {
        isac_seterr(w->err, sizeof w->err, "%s: write failed: %s", t->data_tmp, strerror(errno));
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

/* Build this CPI's metadata before touching the files, so that a failure leaves the
 * writer exactly as it was. */
static int cpi_metadata(isac_sigmf_writer w, const struct isac_sigmf_cpi *c, struct rx_layout l,
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
    out[3] = cap_cpi_record(w, c, caller);
    out[4] = json_null();
    json_decref(caller);
    for (int i = 0; i < 5; i++)
        if (!out[i]) {
            for (int j = 0; j < 5; j++)
                json_decref(out[j]);
            isac_seterr(w->err, sizeof w->err, "sigmf writer: out of memory");
            return ISAC_ENOMEM;
        }
    return ISAC_OK;
}

int isac_sigmf_writer_append_cpi(isac_sigmf_writer w, const struct isac_sigmf_cpi *c)
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
        isac_cap_hash_update(&s->sha, c->rx[ch], l.head * sizeof(float complex));
        isac_cap_hash_update(&s->sha, c->rx[ch] + c->len - l.tail, l.tail * sizeof(float complex));
        s->committed += l.head + l.tail;
    }
    struct wstream *t = &w->s[w->num_rx];
    isac_cap_hash_update(&t->sha, c->txref, c->txlen * sizeof(float complex));
    t->committed += c->txlen;
    w->have_prev = 1;
    w->next_tick = c->tick + (int64_t)c->len;
    w->next_tx_tick = c->tx_tick + (int64_t)c->txlen;
    w->ncpi++;
    return ISAC_OK;
}
