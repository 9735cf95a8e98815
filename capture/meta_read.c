/* Reader: one recording of the collection (capture/sigmf_internal.h). Its .sigmf-meta
 * (global fields, captures segments) is checked against the collection's CPI records:
 * every CPI must map onto the stored samples with exactly the recorded losses. Then its
 * .sigmf-data is opened and its size checked. */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/err.h"
#include "common/file_open.h"
#include "sigmf_internal.h"

static const char *const top_keys[] = {"global", "captures", "annotations", NULL};

static int check_global(const struct ectx *e, struct rstream *s, const json_t *g, double *fs)
{
    const char *str;
    char b[80];
    int64_t v, zero = 0, one = 1;
    int rc;
    if ((rc = cap_get_str(e, g, "", "core:version", &str)))
        return rc;
    if (strncmp(str, "1.", 2))
        return cap_efail(e, ISAC_EFORMAT, "core:version '%s' not supported (expected %s)", str,
                         ISAC_SIGMF_VERSION);
    if ((rc = cap_check_extensions(e, g)))
        return rc;
    if ((rc = cap_get_str(e, g, "", "core:datatype", &str)))
        return rc;
    if (strcmp(str, "cf32_le"))
        return cap_efail(e, ISAC_EFORMAT, "core:datatype '%s' not supported (expected cf32_le)",
                         str);
    if ((rc = cap_get_num(e, g, "", "core:sample_rate", NULL, 1, 1e12, fs)) ||
        (rc = cap_get_int(e, g, "", "core:num_channels", &one, 1, 1, &v)) ||
        (rc = cap_get_int(e, g, "", "core:offset", &zero, 0, 0, &v)) ||
        (rc = cap_get_int(e, g, "", "core:trailing_bytes", &zero, 0, 0, &v)))
        return rc;
    json_t *mo = json_object_get(g, "core:metadata_only");
    if (mo && !json_is_false(mo))
        return cap_efail(e, ISAC_EFORMAT, "core:metadata_only %s not supported (samples needed)",
                         cap_show(mo, b, sizeof b));
    json_t *sha = json_object_get(g, "core:sha512");
    if (sha && (rc = cap_get_str(e, g, "", "core:sha512", &s->sha512)))
        return rc;
    if ((rc = cap_get_str(e, g, "", "isactb:stream", &str)))
        return rc;
    if (strcmp(str, "rx") && strcmp(str, "txref"))
        return cap_efail(e, ISAC_EFORMAT, "isactb:stream '%s' is neither 'rx' nor 'txref'", str);
    s->is_rx = !strcmp(str, "rx");
    if (!s->is_rx)
        return ISAC_OK;
    int64_t n;
    if ((rc =
             cap_get_int(e, g, "", "spatial:num_elements", NULL, 1, ISAC_RADIO_MAX_CHANNELS, &n)) ||
        (rc = cap_get_int(e, g, "", "spatial:channel_index", NULL, 0, n - 1, &v)))
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
        return cap_efail(e, ISAC_EFORMAT,
                         "%sspatial:phase_offset %s is not a number of degrees in "
                         "[-360, 360]",
                         p, cap_show(po, b, sizeof b));
    const json_t *cal = json_object_get(c, "spatial:calibration");
    if (!cal)
        return ISAC_OK;
    const char *ct = json_string_value(json_object_get(cal, "caltype"));
    if (!cap_caltype_ok(ct))
        return cap_efail(e, ISAC_EFORMAT,
                         "%sspatial:calibration.caltype %s is not tone, xcorr, ref "
                         "or other",
                         p, cap_show(json_object_get(cal, "caltype"), b, sizeof b));
    return ISAC_OK;
}

static int check_captures(const struct ectx *e, struct rstream *s, const json_t *caps)
{
    char b[80];
    if (!json_is_array(caps))
        return cap_efail(e, ISAC_EFORMAT, "captures %s is not an array",
                         cap_show(caps, b, sizeof b));
    s->nseg = json_array_size(caps);
    s->seg = calloc(s->nseg ? s->nseg : 1, sizeof *s->seg);
    if (!s->seg)
        return cap_efail(e, ISAC_ENOMEM, "out of memory");
    for (size_t i = 0; i < s->nseg; i++) {
        json_t *c = json_array_get(caps, i);
        char p[40];
        int64_t ss, gi, zero = 0, hb;
        snprintf(p, sizeof p, "captures[%zu] ", i);
        if (!json_is_object(c))
            return cap_efail(e, ISAC_EFORMAT, "%sis not an object", p);
        int rc;
        if ((rc = cap_get_int(e, c, p, "core:sample_start", NULL, 0, INT64_MAX / 16, &ss)) ||
            (rc = cap_get_int(e, c, p, "core:global_index", NULL, 0, INT64_MAX / 4, &gi)) ||
            (rc = cap_get_int(e, c, p, "core:header_bytes", &zero, 0, 0, &hb)) ||
            (rc = check_spatial_segment(e, c, p)))
            return rc;
        if (i && (uint64_t)ss <= s->seg[i - 1].ss)
            return cap_efail(e, ISAC_EFORMAT,
                             "%score:sample_start %lld not after captures[%zu] (%llu)", p,
                             (long long)ss, i - 1, (unsigned long long)s->seg[i - 1].ss);
        if (i && gi < s->seg[i - 1].gi + (int64_t)((uint64_t)ss - s->seg[i - 1].ss))
            return cap_efail(
                e, ISAC_EFORMAT,
                "%score:global_index %lld overlaps captures[%zu] (ends at tick %lld)", p,
                (long long)gi, i - 1,
                (long long)(s->seg[i - 1].gi + (int64_t)((uint64_t)ss - s->seg[i - 1].ss)));
        s->seg[i] = (struct seg){(uint64_t)ss, gi};
    }
    return ISAC_OK;
}

int cap_for_chunks(const struct rstream *s, const struct ann *a, chunk_fn fn, void *ctx)
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
        return cap_efail(g->e, ISAC_EFORMAT, "%ssample %llu is not inside any captures segment",
                         g->pfx, (unsigned long long)off);
    if (tick < g->next || tick + (int64_t)n > a->tick + (int64_t)a->len)
        return cap_efail(
            g->e, ISAC_EFORMAT,
            "%ssamples at file offset %llu map to ticks [%lld, %lld) outside the window "
            "[%lld, %lld)",
            g->pfx, (unsigned long long)off, (long long)tick, (long long)(tick + (int64_t)n),
            (long long)a->tick, (long long)(a->tick + (int64_t)a->len));
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
        return cap_efail(e, ISAC_EFORMAT,
                         "%sisactb:drop missing but the captures leave %llu samples of the window "
                         "unstored from tick %lld",
                         p, (unsigned long long)a->missing, (long long)a->first_gap);
    char q[64];
    int64_t st, cnt;
    int rc;
    snprintf(q, sizeof q, "%sisactb:drop.", p);
    if (!json_is_object(d))
        return cap_efail(e, ISAC_EFORMAT, "%sisactb:drop is not an object", p);
    if ((rc = cap_get_int(e, d, q, "start_tick", NULL, 0, INT64_MAX, &st)) ||
        (rc = cap_get_int(e, d, q, "count", NULL, 1, INT64_MAX, &cnt)))
        return rc;
    if ((uint64_t)cnt != a->missing || (a->missing && st != a->first_gap))
        return cap_efail(e, ISAC_EFORMAT,
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
        return cap_for_chunks(s, &w, gap_chunk, &g);
    }
    struct gapscan g = {e, p, a, c->tick};
    int rc = cap_for_chunks(s, a, gap_chunk, &g);
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
        return cap_efail(e, ISAC_ENOMEM, "out of memory");
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
    char why[320];
    s->fd = isac_open_input(s->data_path, why, sizeof why); /* regular files only */
    if (s->fd < 0) {
        int frc = s->fd;
        s->fd = -1;
        const char *w = why;
        size_t pl = strlen(s->data_path);
        if (!strncmp(why, s->data_path, pl) && why[pl] == ':')
            w = why + pl + 2;
        return cap_efail(&e, frc == ISAC_EFORMAT ? ISAC_EFORMAT : ISAC_EIO, "%s", w);
    }
    if (fstat(s->fd, &st))
        return cap_efail(&e, ISAC_EIO, "cannot stat: %s", strerror(errno));
    uint64_t size = (uint64_t)st.st_size;
    if (size % CF32)
        return cap_efail(&e, ISAC_EFORMAT,
                         "size %llu bytes is not a whole number of cf32_le samples",
                         (unsigned long long)size);
    s->nsamples = size / CF32;
    uint64_t need = 0;
    for (size_t i = 0; i < s->nann; i++)
        if (s->ann[i].ss + s->ann[i].cnt > need)
            need = s->ann[i].ss + s->ann[i].cnt;
    if (need > s->nsamples)
        return cap_efail(&e, ISAC_EFORMAT, "truncated: %llu bytes, the CPIs need %llu",
                         (unsigned long long)size, (unsigned long long)(need * CF32));
    for (size_t i = 0; i < s->nseg; i++)
        if (s->seg[i].ss > s->nsamples)
            return cap_efail(&e, ISAC_EFORMAT,
                             "truncated: %llu bytes, captures[%zu] starts at sample %llu",
                             (unsigned long long)size, i, (unsigned long long)s->seg[i].ss);
    return ISAC_OK;
}

int cap_check_meta(isac_sigmf_reader r, struct rstream *s, double *fs)
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
            return cap_efail(&e, ISAC_EFORMAT, "unexpected top-level key '%s'", key);
    }
    json_t *g = json_object_get(s->doc, "global");
    if (!json_is_object(g))
        return cap_efail(&e, ISAC_EFORMAT, "global missing or not an object");
    int rc;
    if ((rc = check_global(&e, s, g, fs)) ||
        (rc = check_captures(&e, s, json_object_get(s->doc, "captures"))) ||
        (rc = stream_layout(&e, s, r->cpi, r->ncpi)))
        return rc;
    return check_data(err, errlen, s);
}
