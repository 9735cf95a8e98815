/* isactb-owned spec keys and array layout of the hardware back ends (see the header). */
#include "radio_uhd_soapy_common.h"

#include <ctype.h>
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"

static int fail(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int fail(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    isac_vseterr(err, errlen, fmt, ap);
    va_end(ap);
    return ISAC_EINVAL;
}

static int key_allowed(const char *key, const char *const *allowed)
{
    for (size_t i = 0; allowed && allowed[i]; i++) {
        size_t n = strlen(allowed[i]);
        if (n && allowed[i][n - 1] == '*' ? !strncmp(key, allowed[i], n - 1)
                                          : !strcmp(key, allowed[i]))
            return 1;
    }
    return 0;
}

static int add_pass(struct fe_args *out, const char *s, size_t len)
{
    size_t used = strlen(out->pass);
    if (used + len + 2 > sizeof out->pass)
        return -1;
    if (used)
        out->pass[used++] = ',';
    memcpy(out->pass + used, s, len);
    out->pass[used + len] = '\0';
    return 0;
}

/* One entry s[0..len): own key -> out->own, otherwise appended to out->pass. */
static int split_entry(const char *backend, const char *s, size_t len, const char *const *allowed,
                       struct fe_args *out, char *err, size_t errlen)
{
    const char *eq = memchr(s, '=', len);
    size_t plen = strlen(FE_PREFIX);
    if (!eq || eq == s || eq == s + len - 1)
        return fail(err, errlen, "malformed argument '%.*s' for back end '%s' (expected key=value)",
                    (int)len, s, backend);
    if ((size_t)(eq - s) <= plen || strncmp(s, FE_PREFIX, plen)) {
        if (add_pass(out, s, len))
            return fail(err, errlen, "device arguments of back end '%s' too long", backend);
        return ISAC_OK;
    }
    size_t klen = (size_t)(eq - s) - plen, vlen = len - (size_t)(eq - s) - 1;
    if (out->num_own >= FE_MAX_KEYS || klen >= sizeof out->own[0].key ||
        vlen >= sizeof out->own[0].val)
        return fail(err, errlen, "argument '%.*s' of back end '%s' too long", (int)len, s, backend);
    struct fe_kv *kv = &out->own[out->num_own];
    memcpy(kv->key, s + plen, klen);
    kv->key[klen] = '\0';
    memcpy(kv->val, eq + 1, vlen);
    kv->val[vlen] = '\0';
    if (!key_allowed(kv->key, allowed))
        return fail(err, errlen, "unknown argument '" FE_PREFIX "%s' for back end '%s'", kv->key,
                    backend);
    for (unsigned i = 0; i < out->num_own; i++)
        if (!strcmp(out->own[i].key, kv->key))
            return fail(err, errlen, "duplicated argument '" FE_PREFIX "%s' for back end '%s'",
                        kv->key, backend);
    out->num_own++;
    return ISAC_OK;
}

int fe_args_split(const char *backend, const char *args, const char *const *allowed,
                  struct fe_args *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    if (!args || !*args)
        return ISAC_OK;
    for (const char *p = args;;) {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (len == 0)
            return fail(err, errlen, "empty argument (stray ',') for back end '%s'", backend);
        int rc = split_entry(backend, p, len, allowed, out, err, errlen);
        if (rc)
            return rc;
        if (!end)
            break;
        p = end + 1;
    }
    return ISAC_OK;
}

const char *fe_get(const struct fe_args *a, const char *key)
{
    for (unsigned i = 0; i < a->num_own; i++)
        if (!strcmp(a->own[i].key, key))
            return a->own[i].val;
    return NULL;
}

static int parse_double(const char *s, double *v)
{
    char *end = NULL;
    errno = 0;
    *v = strtod(s, &end);
    return !(errno || end == s || *end || !isfinite(*v));
}

int fe_get_double(const char *backend, const struct fe_args *a, const char *key, double def,
                  double lo, double hi, double *out, char *err, size_t errlen)
{
    const char *s = fe_get(a, key);
    double v;
    if (!s) {
        *out = def;
        return 0;
    }
    if (!parse_double(s, &v) || v < lo || v > hi)
        return fail(err, errlen,
                    "argument '" FE_PREFIX "%s=%s' of back end '%s': expected a number in [%g, %g]",
                    key, s, backend, lo, hi);
    *out = v;
    return 1;
}

int fe_get_choice(const char *backend, const struct fe_args *a, const char *key,
                  const char *const *words, int def, int *out, char *err, size_t errlen)
{
    const char *s = fe_get(a, key);
    if (!s) {
        *out = def;
        return 0;
    }
    char list[200] = "";
    for (int i = 0; words[i]; i++) {
        if (!strcmp(words[i], s)) {
            *out = i;
            return 1;
        }
        size_t l = strlen(list);
        snprintf(list + l, sizeof list - l, "%s%s", i ? "|" : "", words[i]);
    }
    return fail(err, errlen, "argument '" FE_PREFIX "%s=%s' of back end '%s': expected one of %s",
                key, s, backend, list);
}

/* Unsigned decimal at *p (advances); -1 when none. */
static long read_uint(const char **p)
{
    if (!isdigit((unsigned char)**p))
        return -1;
    long v = 0;
    while (isdigit((unsigned char)**p)) {
        v = v * 10 + (**p - '0');
        if (v > 1000000)
            return -1;
        (*p)++;
    }
    return v;
}

int fe_parse_channels(const char *s, unsigned limit, unsigned *out, unsigned maxn, unsigned *n,
                      char *err, size_t errlen)
{
    const char *p = s;
    *n = 0;
    while (1) {
        long a = read_uint(&p), b = a;
        if (a >= 0 && *p == '-') {
            p++;
            b = read_uint(&p);
        }
        if (a < 0 || b < a || (*p && *p != ':'))
            return fail(err, errlen, "channel list '%s': expected items N or N-M separated by ':'",
                        s);
        for (long c = a; c <= b; c++) {
            if ((unsigned long)c >= limit)
                return fail(err, errlen, "channel list '%s': channel %ld but the device has %u", s,
                            c, limit);
            for (unsigned i = 0; i < *n; i++)
                if (out[i] == (unsigned)c)
                    return fail(err, errlen, "channel list '%s': channel %ld repeated", s, c);
            if (*n >= maxn)
                return fail(err, errlen, "channel list '%s': more than %u channels", s, maxn);
            out[(*n)++] = (unsigned)c;
        }
        if (!*p)
            return ISAC_OK;
        p++;
    }
}

int fe_parse_aps(const char *s, unsigned num_rx, unsigned *counts, unsigned *naps, char *err,
                 size_t errlen)
{
    const char *p = s;
    long a = read_uint(&p);
    *naps = 0;
    if (a > 0 && *p == 'x') {
        p++;
        long m = read_uint(&p);
        if (m <= 0 || *p || a > ISAC_RADIO_MAX_APS)
            return fail(err, errlen, "AP layout '%s': expected NxM with 1 <= N <= %d, M >= 1", s,
                        ISAC_RADIO_MAX_APS);
        for (long i = 0; i < a; i++)
            counts[i] = (unsigned)m;
        *naps = (unsigned)a;
    } else {
        p = s;
        while (1) {
            long c = read_uint(&p);
            if (c <= 0 || (*p && *p != ':') || *naps >= ISAC_RADIO_MAX_APS)
                return fail(err, errlen,
                            "AP layout '%s': expected NxM or counts a:b:... (at most %d arrays)", s,
                            ISAC_RADIO_MAX_APS);
            counts[(*naps)++] = (unsigned)c;
            if (!*p)
                break;
            p++;
        }
    }
    unsigned sum = 0;
    for (unsigned i = 0; i < *naps; i++)
        sum += counts[i];
    if (sum != num_rx)
        return fail(err, errlen, "AP layout '%s': %u elements but %u RX channels", s, sum, num_rx);
    return ISAC_OK;
}

/* Split s at ':' into at most maxn fields (copied into buf). */
static unsigned split_colon(const char *s, char *buf, size_t buflen, char **fields, unsigned maxn)
{
    snprintf(buf, buflen, "%s", s);
    unsigned n = 0;
    for (char *p = buf; n < maxn;) {
        fields[n++] = p;
        char *c = strchr(p, ':');
        if (!c)
            return n;
        *c = '\0';
        p = c + 1;
    }
    return maxn + 1; /* too many */
}

int fe_parse_geom(const char *s, struct isac_geom_ap *ap, char *err, size_t errlen)
{
    char buf[256], *f[3];
    double v[3];
    if (split_colon(s, buf, sizeof buf, f, 3) != 3 || !parse_double(f[0], &v[0]) ||
        !parse_double(f[1], &v[1]) || !parse_double(f[2], &v[2]))
        return fail(err, errlen, "AP geometry '%s': expected X:Y:AXIS_DEG (m, m, deg)", s);
    ap->x = v[0];
    ap->y = v[1];
    ap->axis_rad = v[2] * M_PI / 180.0;
    return ISAC_OK;
}

int fe_parse_values(const char *s, unsigned n, double lo, double hi, double *out, char *err,
                    size_t errlen)
{
    char buf[256], *f[ISAC_RADIO_MAX_CHANNELS];
    unsigned k = split_colon(s, buf, sizeof buf, f, ISAC_RADIO_MAX_CHANNELS);
    if (k != 1 && k != n)
        return fail(err, errlen, "value list '%s': expected 1 or %u values separated by ':'", s, n);
    for (unsigned i = 0; i < k; i++)
        if (!parse_double(f[i], &out[i]) || out[i] < lo || out[i] > hi)
            return fail(err, errlen, "value list '%s': '%s' is not a number in [%g, %g]", s, f[i],
                        lo, hi);
    for (unsigned i = k; i < n; i++)
        out[i] = out[0];
    return ISAC_OK;
}

int fe_parse_words(const char *s, unsigned n, char (*out)[32], char *err, size_t errlen)
{
    char buf[256], *f[ISAC_RADIO_MAX_CHANNELS];
    unsigned k = split_colon(s, buf, sizeof buf, f, ISAC_RADIO_MAX_CHANNELS);
    if (k != 1 && k != n)
        return fail(err, errlen, "name list '%s': expected 1 or %u names separated by ':'", s, n);
    for (unsigned i = 0; i < n; i++) {
        const char *w = f[k == 1 ? 0 : i];
        if (!*w || strlen(w) >= 32)
            return fail(err, errlen, "name list '%s': empty or too long name", s);
        snprintf(out[i], 32, "%s", w);
    }
    return ISAC_OK;
}

/* The seed-004 cell-free geometry (radio/sim/sim.h). */
static void seed004_geometry(struct isac_radio_info *info)
{
    static const double pos[4][2] = {{100, 100}, {100, 400}, {400, 100}, {400, 400}};
    info->tx_ap = (struct isac_geom_ap){250, 250, 0};
    for (unsigned n = 0; n < 4; n++)
        info->rx_ap[n] = (struct isac_geom_ap){pos[n][0], pos[n][1],
                                               atan2(250 - pos[n][1], 250 - pos[n][0]) + M_PI / 2};
}

/* Positions the device layout described (an all-zero set is a one-element array). */
static int has_positions(const struct isac_radio_info *info)
{
    for (unsigned i = 0; i < info->num_tx && i < ISAC_RADIO_MAX_CHANNELS; i++)
        if (info->tx_pos_wl[i] != 0)
            return 1;
    for (unsigned i = 0; i < info->num_rx && i < ISAC_RADIO_MAX_CHANNELS; i++)
        if (info->rx_pos_wl[i] != 0)
            return 1;
    return 0;
}

int fe_layout(const char *backend, const struct fe_args *a, struct isac_radio_info *info, char *err,
              size_t errlen)
{
    int described = info->num_rx_aps > 0;
    if (!described) {
        seed004_geometry(info);
        info->num_rx_aps = 1;
        info->rx_ap_elements[0] = info->num_rx;
        info->element_spacing_wl = 0.5;
        info->emulated_freq = 28e9;
    }
    const char *s = fe_get(a, "aps");
    int rc;
    if (s &&
        (rc = fe_parse_aps(s, info->num_rx, info->rx_ap_elements, &info->num_rx_aps, err, errlen)))
        return rc;
    unsigned sum = 0;
    for (unsigned n = 0; n < info->num_rx_aps; n++)
        sum += info->rx_ap_elements[n];
    if (sum != info->num_rx)
        return fail(err, errlen,
                    "back end '%s': the layout holds %u elements but %u RX channels are used "
                    "(set " FE_PREFIX "aps)",
                    backend, sum, info->num_rx);
    if ((s = fe_get(a, "tx_ap")) && (rc = fe_parse_geom(s, &info->tx_ap, err, errlen)))
        return rc;
    for (unsigned n = 0; n < ISAC_RADIO_MAX_APS; n++) {
        char key[16];
        snprintf(key, sizeof key, "rx_ap%u", n);
        s = fe_get(a, key);
        if (s && n >= info->num_rx_aps)
            return fail(err, errlen,
                        "argument '" FE_PREFIX "%s' of back end '%s': only %u receive APs", key,
                        backend, info->num_rx_aps);
        if (s && (rc = fe_parse_geom(s, &info->rx_ap[n], err, errlen)))
            return rc;
        if (!s && !described && n >= 4 && n < info->num_rx_aps)
            return fail(err, errlen,
                        "back end '%s': receive AP %u needs " FE_PREFIX "%s=X:Y:AXIS_DEG", backend,
                        n, key);
    }
    if (fe_get_double(backend, a, "spacing", info->element_spacing_wl, 0.01, 100,
                      &info->element_spacing_wl, err, errlen) < 0 ||
        fe_get_double(backend, a, "emulated_freq", info->emulated_freq, 1e6, 3e12,
                      &info->emulated_freq, err, errlen) < 0)
        return ISAC_EINVAL;
    /* A device that described its element positions (the isacsim plug-in) keeps them
     * unless the user re-states the spacing or the AP split; anything else only knows a
     * spacing and assumes a ULA, which an experiment's array: section may correct. */
    if (!described || !has_positions(info) || fe_get(a, "spacing") || fe_get(a, "aps"))
        isac_radio_info_fill_ula(info);
    info->positions_nominal = !described;
    return ISAC_OK;
}

static json_t *ap_to_json(const struct isac_geom_ap *ap)
{
    return json_pack("[f,f,f]", ap->x, ap->y, ap->axis_rad);
}

char *fe_layout_to_json(const struct isac_radio_info *info, int sample_clocked)
{
    json_t *el = json_array(), *rx = json_array();
    for (unsigned n = 0; n < info->num_rx_aps && n < ISAC_RADIO_MAX_APS; n++) {
        json_array_append_new(el, json_integer(info->rx_ap_elements[n]));
        json_array_append_new(rx, ap_to_json(&info->rx_ap[n]));
    }
    json_t *o = json_pack(
        "{s:o,s:o,s:o,s:f,s:f,s:f,s:f,s:f,s:f,s:b,s:b}", "rx_ap_elements", el, "rx_ap", rx, "tx_ap",
        ap_to_json(&info->tx_ap), "element_spacing_wl", info->element_spacing_wl, "emulated_freq",
        info->emulated_freq, "tx_power_dbm", info->tx_power_dbm, "noise_dbm", info->noise_dbm,
        "noise_var", info->noise_var, "full_scale", info->full_scale, "lo_shared",
        (info->caps & ISAC_RADIO_CAP_LO_SHARED) != 0, "sample_clocked", sample_clocked);
    json_t *tp = json_array(), *rp = json_array();
    for (unsigned i = 0; i < info->num_tx && i < ISAC_RADIO_MAX_CHANNELS; i++)
        json_array_append_new(tp, json_real(info->tx_pos_wl[i]));
    for (unsigned i = 0; i < info->num_rx && i < ISAC_RADIO_MAX_CHANNELS; i++)
        json_array_append_new(rp, json_real(info->rx_pos_wl[i]));
    if (o) {
        json_object_set_new(o, "tx_positions_wl", tp);
        json_object_set_new(o, "rx_positions_wl", rp);
    } else {
        json_decref(tp);
        json_decref(rp);
    }
    char *txt = o ? json_dumps(o, JSON_COMPACT | JSON_REAL_PRECISION(17)) : NULL;
    json_decref(o);
    return txt;
}

static int ap_from_json(json_t *a, struct isac_geom_ap *ap)
{
    if (!json_is_array(a) || json_array_size(a) != 3)
        return -1;
    ap->x = json_number_value(json_array_get(a, 0));
    ap->y = json_number_value(json_array_get(a, 1));
    ap->axis_rad = json_number_value(json_array_get(a, 2));
    return 0;
}

/* Optional positions of a described layout (channel counts known from the device):
 * 1 read, 2 present for other channel counts (a subset is streamed: fe_layout_select
 * picks them), 0 absent, -1 malformed. */
static int layout_positions(json_t *o, struct isac_radio_info *info)
{
    json_t *tp = json_object_get(o, "tx_positions_wl"), *rp = json_object_get(o, "rx_positions_wl");
    if (!tp && !rp)
        return 0;
    if (json_array_size(tp) != info->num_tx || json_array_size(rp) != info->num_rx ||
        info->num_rx > ISAC_RADIO_MAX_CHANNELS || info->num_tx > ISAC_RADIO_MAX_CHANNELS)
        return json_is_array(tp) && json_is_array(rp) ? 2 : 0; /* a subset */
    for (unsigned i = 0; i < info->num_tx; i++)
        info->tx_pos_wl[i] = json_number_value(json_array_get(tp, i));
    for (unsigned i = 0; i < info->num_rx; i++)
        info->rx_pos_wl[i] = json_number_value(json_array_get(rp, i));
    return isac_radio_info_check_positions(info, NULL, 0) ? -1 : 1;
}

/* Device AP of device RX channel c under the device's per-AP counts; -1 beyond them. */
static int ap_of(const json_t *el, size_t c)
{
    size_t end = 0;
    for (size_t n = 0; n < json_array_size(el); n++)
        if (c < (end += (size_t)json_integer_value(json_array_get(el, n))))
            return (int)n;
    return -1;
}

int fe_layout_select(const char *txt, struct isac_radio_info *info, const size_t *rx_map,
                     const size_t *tx_map, char *err, size_t errlen)
{
    json_t *o = json_loads(txt, 0, NULL);
    json_t *el = json_object_get(o, "rx_ap_elements"), *aps = json_object_get(o, "rx_ap");
    json_t *tp = json_object_get(o, "tx_positions_wl"), *rp = json_object_get(o, "rx_positions_wl");
    size_t ndev = 0;
    for (size_t n = 0; n < json_array_size(el); n++)
        ndev += (size_t)json_integer_value(json_array_get(el, n));
    int rc = ISAC_OK;
    if (!o || !json_is_array(rp) || json_array_size(rp) != ndev || !json_is_array(tp) ||
        json_array_size(el) != json_array_size(aps) || json_array_size(el) > ISAC_RADIO_MAX_APS)
        goto done; /* no per-channel positions of the full device: nothing to select */
    unsigned naps = 0, counts[ISAC_RADIO_MAX_APS] = {0};
    struct isac_geom_ap geo[ISAC_RADIO_MAX_APS];
    int last = -1;
    for (unsigned i = 0; i < info->num_rx; i++) {
        int a = ap_of(el, rx_map[i]);
        if (a < 0 || a < last) {
            rc = fail(err, errlen,
                      "argument '" FE_PREFIX "rx': channel %zu is listed after a channel of a "
                      "later receive AP (list each AP's channels together, APs in order)",
                      rx_map[i]);
            goto done;
        }
        if (a != last) {
            ap_from_json(json_array_get(aps, (size_t)a), &geo[naps]);
            naps++;
            last = a;
        }
        counts[naps - 1]++;
        info->rx_pos_wl[i] = json_number_value(json_array_get(rp, rx_map[i]));
    }
    for (unsigned i = 0; i < info->num_tx && i < ISAC_RADIO_MAX_CHANNELS; i++)
        if (tx_map[i] < json_array_size(tp))
            info->tx_pos_wl[i] = json_number_value(json_array_get(tp, tx_map[i]));
    info->num_rx_aps = naps;
    for (unsigned n = 0; n < naps; n++) {
        info->rx_ap_elements[n] = counts[n];
        info->rx_ap[n] = geo[n];
    }
    if (isac_radio_info_check_positions(info, NULL, 0))
        rc = fail(err, errlen,
                  "device setting 'isactb_layout': selected channels closer than the "
                  "minimum spacing");
done:
    json_decref(o);
    return rc;
}

int fe_layout_from_json(const char *txt, struct isac_radio_info *info, int *sample_clocked,
                        char *err, size_t errlen)
{
    json_t *o = json_loads(txt, 0, NULL);
    json_t *el = json_object_get(o, "rx_ap_elements"), *rx = json_object_get(o, "rx_ap");
    size_t n = json_array_size(el);
    int ok = o && n >= 1 && n <= ISAC_RADIO_MAX_APS && json_array_size(rx) == n &&
             !ap_from_json(json_object_get(o, "tx_ap"), &info->tx_ap);
    for (size_t i = 0; ok && i < n; i++) {
        json_int_t m = json_integer_value(json_array_get(el, i));
        ok = m >= 1 && m <= ISAC_RADIO_MAX_CHANNELS &&
             !ap_from_json(json_array_get(rx, i), &info->rx_ap[i]);
        info->rx_ap_elements[i] = (unsigned)m;
    }
    if (ok) {
        info->num_rx_aps = (unsigned)n;
        info->element_spacing_wl = json_number_value(json_object_get(o, "element_spacing_wl"));
        info->emulated_freq = json_number_value(json_object_get(o, "emulated_freq"));
        info->tx_power_dbm = json_number_value(json_object_get(o, "tx_power_dbm"));
        info->noise_dbm = json_number_value(json_object_get(o, "noise_dbm"));
        info->noise_var = json_number_value(json_object_get(o, "noise_var"));
        info->full_scale = json_number_value(json_object_get(o, "full_scale"));
        if (json_is_true(json_object_get(o, "lo_shared")))
            info->caps |= ISAC_RADIO_CAP_LO_SHARED;
        *sample_clocked = json_is_true(json_object_get(o, "sample_clocked"));
        int pos = layout_positions(o, info);
        ok = (info->element_spacing_wl > 0 || pos > 0) && pos >= 0 && info->emulated_freq > 0;
    }
    json_decref(o);
    if (!ok) {
        snprintf(err, errlen, "device setting 'isactb_layout': malformed layout JSON");
        return ISAC_EFORMAT;
    }
    return ISAC_OK;
}

#ifdef ISACTB_HAVE_SOAPY
extern const struct isac_radio_ops radio_soapy_ops;
int radio_soapy_describe_json(void *st, char **out);
#endif
#ifdef ISACTB_HAVE_UHD
extern const struct isac_radio_ops radio_uhd_ops;
int radio_uhd_describe_json(void *st, char **out);
#endif

int radio_hw_describe_json(isac_radio r, char **json_out)
{
    if (!r || !json_out)
        return ISAC_EINVAL;
    *json_out = NULL;
#ifdef ISACTB_HAVE_SOAPY
    if (isac_radio_get_ops(r) == &radio_soapy_ops)
        return radio_soapy_describe_json(isac_radio_get_state(r), json_out);
#endif
#ifdef ISACTB_HAVE_UHD
    if (isac_radio_get_ops(r) == &radio_uhd_ops)
        return radio_uhd_describe_json(isac_radio_get_state(r), json_out);
#endif
    return ISAC_ENOTSUP;
}

long long fe_place(float complex *const *y, unsigned nch, size_t len, size_t got, size_t r,
                   long long at, long long want, struct isac_radio_rx_md *md, uint64_t *dropped)
{
    long long gap = at - want;
    if (gap < 0)
        return -1;
    if (gap == 0)
        return (long long)(got + r);
    size_t g = (unsigned long long)gap < len - got ? (size_t)gap : len - got;
    size_t keep = got + g + r <= len ? r : len - got - g;
    for (unsigned ch = 0; ch < nch; ch++) {
        memmove(y[ch] + got + g, y[ch] + got, keep * sizeof **y);
        memset(y[ch] + got, 0, g * sizeof **y);
    }
    if (!md->dropped_samples)
        md->drop_start_tick = md->start_tick + (int64_t)got;
    md->dropped_samples += g;
    *dropped += g;
    return (long long)(got + g + keep);
}
