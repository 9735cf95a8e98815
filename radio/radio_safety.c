/* Transmit safety: site limits (file format and defaults) and the per-radio guard that
 * checks every TX burst before the back end sees it (radio/safety.h). */
#include "safety.h"

#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/file_open.h"

void isac_radio_limits_default(struct isac_radio_limits *l)
{
    memset(l, 0, sizeof *l);
    l->num_ranges = 2;
    l->ranges_hz[0][0] = 2.400e9;
    l->ranges_hz[0][1] = 2.4835e9;
    l->ranges_hz[1][0] = 5.725e9;
    l->ranges_hz[1][1] = 5.875e9;
    l->max_tx_power_dbm = 20.0;
    l->max_tx_gain_db = 10.0;
    l->max_duty_cycle = 0.25;
    l->duty_window_s = 1.0;
    snprintf(l->source, sizeof l->source, "default limits");
}

void isac_radio_limits_none(struct isac_radio_limits *l)
{
    memset(l, 0, sizeof *l);
    l->num_ranges = 1;
    l->ranges_hz[0][0] = 0;
    l->ranges_hz[0][1] = INFINITY;
    l->max_tx_power_dbm = INFINITY;
    l->max_tx_gain_db = INFINITY;
    l->max_duty_cycle = 1;
    l->duty_window_s = 1;
    snprintf(l->source, sizeof l->source, "emulated radio: nothing radiates");
}

void isac_radio_limits_for(int radiates, struct isac_radio_limits *l)
{
    if (radiates)
        isac_radio_limits_default(l);
    else
        isac_radio_limits_none(l);
}

/* ---- the file ---- */

static const char *const LIMIT_KEYS[] = {
    "format",         "version",        "site",          "tx_freq_ranges_hz", "max_tx_power_dbm",
    "max_tx_gain_db", "max_duty_cycle", "duty_window_s", "tx_full_scale",     NULL};

/* Copy of s for a one-line message: at most 64 bytes, control and non-ASCII bytes as '?'. */
static const char *printable(const char *s, char out[65])
{
    size_t i = 0;
    for (; s[i] && i < 64; i++)
        out[i] = (s[i] >= 0x20 && s[i] < 0x7f) ? s[i] : '?';
    out[i] = '\0';
    return out;
}

static int known_key(const char *k)
{
    for (size_t i = 0; LIMIT_KEYS[i]; i++)
        if (!strcmp(LIMIT_KEYS[i], k))
            return 1;
    return 0;
}

/* A required (or optional, when def is not NULL) number in [lo, hi]. */
static int get_num(json_t *root, const char *name, const char *key, double lo, double hi,
                   const double *def, double *out, char *err, size_t errlen)
{
    json_t *v = json_object_get(root, key);
    if (!v && def) {
        *out = *def;
        return ISAC_OK;
    }
    if (!v) {
        isac_seterr(err, errlen, "%s: %s: missing (required)", name, key);
        return ISAC_EFORMAT;
    }
    double d = json_is_number(v) ? json_number_value(v) : NAN;
    if (!isfinite(d) || d < lo || d > hi) {
        isac_seterr(err, errlen, "%s: %s: expected a number in [%g, %g]", name, key, lo, hi);
        return ISAC_EFORMAT;
    }
    *out = d;
    return ISAC_OK;
}

static int parse_ranges(json_t *root, const char *name, struct isac_radio_limits *l, char *err,
                        size_t errlen)
{
    json_t *a = json_object_get(root, "tx_freq_ranges_hz");
    size_t n = json_array_size(a);
    if (!json_is_array(a) || n < 1 || n > ISAC_RADIO_LIMITS_MAX_RANGES) {
        isac_seterr(err, errlen, "%s: tx_freq_ranges_hz: expected 1..%d ranges [lo, hi] in Hz",
                    name, ISAC_RADIO_LIMITS_MAX_RANGES);
        return ISAC_EFORMAT;
    }
    for (size_t i = 0; i < n; i++) {
        json_t *r = json_array_get(a, i);
        double lo = json_number_value(json_array_get(r, 0));
        double hi = json_number_value(json_array_get(r, 1));
        if (json_array_size(r) != 2 || !json_is_number(json_array_get(r, 0)) ||
            !json_is_number(json_array_get(r, 1)) || !isfinite(lo) || !isfinite(hi) || lo <= 0 ||
            hi <= lo || hi > 1e12) {
            isac_seterr(err, errlen,
                        "%s: tx_freq_ranges_hz[%zu]: expected [lo, hi] with 0 < lo < hi <= 1e12 Hz",
                        name, i);
            return ISAC_EFORMAT;
        }
        l->ranges_hz[i][0] = lo;
        l->ranges_hz[i][1] = hi;
    }
    l->num_ranges = (unsigned)n;
    return ISAC_OK;
}

/* "tx_full_scale": {"DRIVER:SERIAL" or "DRIVER": |x| of a full-scale sample}, for front
 * ends that cannot state their DAC's full scale. */
static int parse_full_scale(json_t *root, const char *name, struct isac_radio_limits *l, char *err,
                            size_t errlen)
{
    json_t *o = json_object_get(root, "tx_full_scale");
    if (!o)
        return ISAC_OK;
    if (!json_is_object(o) || json_object_size(o) > ISAC_RADIO_LIMITS_MAX_DEVICES) {
        isac_seterr(err, errlen,
                    "%s: tx_full_scale: expected an object of at most %d \"DRIVER[:SERIAL]\": "
                    "number entries",
                    name, ISAC_RADIO_LIMITS_MAX_DEVICES);
        return ISAC_EFORMAT;
    }
    const char *k;
    json_t *v;
    json_object_foreach(o, k, v)
    {
        char pk[65];
        double d = json_is_number(v) ? json_number_value(v) : NAN;
        if (!*k || strlen(k) >= sizeof l->full_scale[0].device || !isfinite(d) || d <= 0 ||
            d > 1e6) {
            isac_seterr(err, errlen,
                        "%s: tx_full_scale: %s: expected a device name of at most %zu characters "
                        "and a number in (0, 1e6]",
                        name, printable(k, pk), sizeof l->full_scale[0].device - 1);
            return ISAC_EFORMAT;
        }
        snprintf(l->full_scale[l->num_full_scale].device, sizeof l->full_scale[0].device, "%s", k);
        l->full_scale[l->num_full_scale++].value = d;
    }
    return ISAC_OK;
}

static int parse_root(json_t *root, const char *name, struct isac_radio_limits *l, char *err,
                      size_t errlen)
{
    if (!json_is_object(root)) {
        isac_seterr(err, errlen, "%s: expected a JSON object", name);
        return ISAC_EFORMAT;
    }
    const char *k;
    json_t *v;
    json_object_foreach(root, k, v)
    {
        if (!known_key(k)) {
            char pk[65];
            isac_seterr(err, errlen, "%s: %s: unknown field", name, printable(k, pk));
            return ISAC_EFORMAT;
        }
    }
    json_t *fmt = json_object_get(root, "format");
    if (!json_is_string(fmt) || strcmp(json_string_value(fmt), "isactb-site-limits")) {
        isac_seterr(err, errlen, "%s: format: expected \"isactb-site-limits\"", name);
        return ISAC_EFORMAT;
    }
    json_t *ver = json_object_get(root, "version");
    if (!json_is_integer(ver) || json_integer_value(ver) != 1) {
        isac_seterr(err, errlen, "%s: version: expected 1", name);
        return ISAC_EFORMAT;
    }
    json_t *site = json_object_get(root, "site");
    if (site && (!json_is_string(site) || json_string_length(site) >= sizeof l->site)) {
        isac_seterr(err, errlen, "%s: site: expected a string of at most %zu characters", name,
                    sizeof l->site - 1);
        return ISAC_EFORMAT;
    }
    if (site)
        snprintf(l->site, sizeof l->site, "%s", json_string_value(site));
    static const double window_def = 1.0;
    int rc = parse_ranges(root, name, l, err, errlen);
    if (!rc)
        rc = get_num(root, name, "max_tx_power_dbm", -100, 60, NULL, &l->max_tx_power_dbm, err,
                     errlen);
    if (!rc)
        rc =
            get_num(root, name, "max_tx_gain_db", -100, 100, NULL, &l->max_tx_gain_db, err, errlen);
    if (!rc)
        rc = get_num(root, name, "max_duty_cycle", 1e-9, 1, NULL, &l->max_duty_cycle, err, errlen);
    if (!rc)
        rc = get_num(root, name, "duty_window_s", 1e-3, 60, &window_def, &l->duty_window_s, err,
                     errlen);
    if (!rc)
        rc = parse_full_scale(root, name, l, err, errlen);
    return rc;
}

int isac_radio_limits_parse(const char *text, size_t len, const char *name,
                            struct isac_radio_limits *l, char *err, size_t errlen)
{
    if (!text || !l)
        return ISAC_EINVAL;
    name = name ? name : "site limits";
    json_error_t je;
    json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
    if (!root) {
        char pt[65];
        isac_seterr(err, errlen, "%s:%d: invalid JSON: %s", name, je.line, printable(je.text, pt));
        return ISAC_EFORMAT;
    }
    struct isac_radio_limits t;
    memset(&t, 0, sizeof t);
    int rc = parse_root(root, name, &t, err, errlen);
    json_decref(root);
    if (rc)
        return rc;
    snprintf(t.source, sizeof t.source, "%s", name);
    *l = t;
    return ISAC_OK;
}

int isac_radio_limits_load(const char *path, struct isac_radio_limits *l, char *err, size_t errlen)
{
    if (!path || !l)
        return ISAC_EINVAL;
    /* A limits file is a few hundred bytes: refuse anything absurdly large; a FIFO or
     * device is refused without blocking (host/common/file_open.h). */
    char *buf = NULL;
    size_t n = 0;
    int rc = isac_read_input(path, 1 << 16, &buf, &n, err, errlen);
    if (rc == ISAC_EFORMAT && strstr(err, "larger than"))
        isac_seterr(err, errlen, "%s: larger than %d bytes: not a site limits file", path, 1 << 16);
    if (!rc)
        rc = isac_radio_limits_parse(buf, n, path, l, err, errlen);
    free(buf);
    return rc;
}

/* ---- the guard ---- */

struct tx_span {
    int64_t start, end; /* [start, end) ticks */
};

struct isac_radio_guard_s {
    struct isac_radio_limits lim;
    struct tx_span *hist; /* earlier bursts that may still fall inside the window */
    size_t n, cap;
};

isac_radio_guard isac_radio_guard_create(const struct isac_radio_limits *l)
{
    if (!l)
        return NULL;
    struct isac_radio_guard_s *g = calloc(1, sizeof *g);
    if (g)
        g->lim = *l;
    return g;
}

void isac_radio_guard_destroy(isac_radio_guard g)
{
    if (!g)
        return;
    free(g->hist);
    free(g);
}

const struct isac_radio_limits *isac_radio_guard_limits(isac_radio_guard g)
{
    return g ? &g->lim : NULL;
}

/* The occupied band of TX channel c: its centre frequency +- half of what the samples can
 * occupy (the TX sample rate), widened to the analog bandwidth when that is wider. */
static void tx_band(const struct isac_radio_tx_state *ts, unsigned c, double *lo, double *hi)
{
    double bw = ts->bw_hz[c] > ts->rate ? ts->bw_hz[c] : ts->rate;
    *lo = ts->freq_hz[c] - bw / 2;
    *hi = ts->freq_hz[c] + bw / 2;
}

static int check_band(const struct isac_radio_limits *l, const struct isac_radio_tx_state *ts,
                      unsigned nch, char *err, size_t errlen)
{
    for (unsigned c = 0; c < nch; c++) {
        double lo, hi;
        tx_band(ts, c, &lo, &hi);
        int ok = isfinite(lo) && isfinite(hi) && ts->freq_hz[c] > 0;
        unsigned i = 0;
        for (; ok && i < l->num_ranges; i++)
            if (lo >= l->ranges_hz[i][0] && hi <= l->ranges_hz[i][1])
                break;
        if (!ok || i == l->num_ranges) {
            isac_seterr(err, errlen,
                        "TX refused: TX channel %u band %.6g-%.6g GHz outside the allowed ranges "
                        "(tx_freq_ranges_hz, %s)",
                        c, lo / 1e9, hi / 1e9, l->source);
            return ISAC_ESAFETY;
        }
    }
    return ISAC_OK;
}

/* Mean power mean |x|^2 of each channel into pw[c] and the largest |x|; -1 on a non-finite
 * sample. */
static int burst_power(const float complex *const *x, unsigned nch, size_t len, double *pw,
                       double *peak_out)
{
    double peak2 = 0;
    for (unsigned c = 0; c < nch; c++) {
        double s = 0;
        for (size_t i = 0; i < len; i++) {
            double re = crealf(x[c][i]), im = cimagf(x[c][i]);
            double p = re * re + im * im;
            if (!isfinite(p))
                return -1;
            s += p;
            peak2 = p > peak2 ? p : peak2;
        }
        pw[c] = s / (double)len;
    }
    *peak_out = sqrt(peak2);
    return 0;
}

/* The full scale the clipping check uses: the device's, else the site file's entry for this
 * device ("DRIVER:SERIAL" or "DRIVER"), else 0 (unknown). */
static double full_scale_of(const struct isac_radio_limits *l, const struct isac_radio_info *in,
                            const struct isac_radio_tx_state *ts)
{
    if (ts->full_scale > 0)
        return ts->full_scale;
    char id[128];
    snprintf(id, sizeof id, "%.*s:%.*s", (int)sizeof in->driver, in->driver, (int)sizeof in->serial,
             in->serial);
    for (unsigned i = 0; i < l->num_full_scale; i++)
        if (!strcmp(l->full_scale[i].device, id) ||
            !strncmp(l->full_scale[i].device, in->driver, sizeof in->driver))
            return l->full_scale[i].value;
    return 0;
}

static int check_power(const struct isac_radio_limits *l, const struct isac_radio_info *in,
                       const struct isac_radio_tx_state *ts, int emulated,
                       const float complex *const *x, size_t len, char *err, size_t errlen)
{
    unsigned nch = in->num_tx;
    for (unsigned c = 0; c < nch; c++)
        if (!(ts->gain_db[c] <= l->max_tx_gain_db)) {
            isac_seterr(err, errlen,
                        "TX refused: TX channel %u gain %.4g dB above max_tx_gain_db %.4g dB (%s)",
                        c, ts->gain_db[c], l->max_tx_gain_db, l->source);
            return ISAC_ESAFETY;
        }
    double pw[ISAC_RADIO_MAX_CHANNELS], peak;
    if (burst_power(x, nch, len, pw, &peak)) {
        isac_seterr(err, errlen, "TX refused: burst holds a non-finite sample");
        return ISAC_ESAFETY;
    }
    double fs = full_scale_of(l, in, ts);
    if (!(fs > 0) && !emulated) {
        /* without a full scale the clipping check cannot be made: a device must state it */
        isac_seterr(err, errlen,
                    "TX refused: full scale of %.32s:%.64s unknown (add it to tx_full_scale, %s)",
                    in->driver, in->serial, l->source);
        return ISAC_ESAFETY;
    }
    if (fs > 0 && peak > fs) {
        isac_seterr(err, errlen,
                    "TX refused: sample magnitude %.4g above full scale %.4g (clipping)", peak, fs);
        return ISAC_ESAFETY;
    }
    /* A radio that radiates nothing and does not know its TX power (a capture written by
     * another tool without isactb:radio.tx_power_dbm, replayed) has no power to limit:
     * NaN would otherwise refuse every burst. A radiating radio with unknown power still
     * is refused below. */
    if (emulated && isnan(in->tx_power_dbm))
        return ISAC_OK;
    /* tx_power_dbm is the power of a unit-power burst at the gain the radio described at
     * open (tx_gain_db); a channel set to more gain since radiates that much more. */
    double p = 0;
    for (unsigned c = 0; c < nch; c++)
        p += pw[c] * pow(10.0, (ts->gain_db[c] - in->tx_gain_db) / 10.0);
    double dbm = p > 0 ? in->tx_power_dbm + 10 * log10(p) : -INFINITY;
    /* 0.01 dB of tolerance: float32 samples of a unit-power burst sum to 1 +- 1e-6, which
     * must not refuse a burst whose nominal power is exactly the limit. */
    if (!(dbm <= l->max_tx_power_dbm + 0.01)) {
        isac_seterr(err, errlen,
                    "TX refused: burst power %.2f dBm above max_tx_power_dbm %.4g dBm (%s)", dbm,
                    l->max_tx_power_dbm, l->source);
        return ISAC_ESAFETY;
    }
    return ISAC_OK;
}

/* On-time inside [w0, w1) of the recorded bursts plus [t0, t1). */
static int64_t on_time(const struct isac_radio_guard_s *g, int64_t w0, int64_t w1, int64_t t0,
                       int64_t t1)
{
    int64_t sum = 0;
    for (size_t i = 0; i <= g->n; i++) {
        int64_t a = i < g->n ? g->hist[i].start : t0, b = i < g->n ? g->hist[i].end : t1;
        a = a > w0 ? a : w0;
        b = b < w1 ? b : w1;
        if (b > a)
            sum += b - a;
    }
    return sum;
}

static int check_duty(struct isac_radio_guard_s *g, const struct isac_radio_tx_state *ts,
                      int64_t t0, size_t len, char *err, size_t errlen)
{
    const struct isac_radio_limits *l = &g->lim;
    if (l->max_duty_cycle >= 1)
        return ISAC_OK; /* no limit: keep no history */
    if (!(ts->rate > 0) || !isfinite(ts->rate)) {
        isac_seterr(err, errlen, "TX refused: TX sample rate %g unknown (max_duty_cycle, %s)",
                    ts->rate, l->source);
        return ISAC_ESAFETY;
    }
    /* the window in ticks of the TX sample clock: bursts are timed and counted in it */
    double wd = l->duty_window_s * ts->rate;
    int64_t W = wd >= 1 ? (int64_t)llround(wd) : 1, t1 = t0 + (int64_t)len;
    /* Forget bursts that ended before any future window can start. */
    size_t j = 0;
    for (size_t i = 0; i < g->n; i++)
        if (g->hist[i].end > t1 - W)
            g->hist[j++] = g->hist[i];
    g->n = j;
    double duty = (double)on_time(g, t1 - W, t1, t0, t1) / (double)W;
    if (duty > l->max_duty_cycle + 1e-12) {
        isac_seterr(
            err, errlen,
            "TX refused: duty cycle %.3g over the last %.4g s above max_duty_cycle %.4g (%s)", duty,
            l->duty_window_s, l->max_duty_cycle, l->source);
        return ISAC_ESAFETY;
    }
    if (g->n == g->cap) {
        size_t nc = g->cap ? 2 * g->cap : 16;
        struct tx_span *h = realloc(g->hist, nc * sizeof *h);
        if (!h) {
            isac_seterr(err, errlen, "TX refused: out of memory for the duty-cycle history");
            return ISAC_ESAFETY;
        }
        g->hist = h;
        g->cap = nc;
    }
    g->hist[g->n++] = (struct tx_span){t0, t1};
    return ISAC_OK;
}

int isac_radio_guard_check_tx(isac_radio_guard g, const struct isac_radio_info *info,
                              const struct isac_radio_tx_state *ts, int emulated, int64_t t0,
                              const float complex *const *x, size_t len, char *err, size_t errlen)
{
    if (!g || !info || !ts || (!x && len) || info->num_tx > ISAC_RADIO_MAX_CHANNELS)
        return ISAC_EINVAL;
    if (len == 0)
        return ISAC_OK; /* nothing leaves the host */
    for (unsigned c = 0; c < info->num_tx; c++)
        if (!x[c])
            return ISAC_EINVAL;
    int rc = check_band(&g->lim, ts, info->num_tx, err, errlen);
    if (!rc)
        rc = check_power(&g->lim, info, ts, emulated, x, len, err, errlen);
    if (!rc)
        rc = check_duty(g, ts, t0, len, err, errlen);
    return rc;
}

int isac_radio_guard_check_burst(isac_radio_guard g, const struct isac_radio_info *info, int64_t t0,
                                 const float complex *const *x, size_t len, char *err,
                                 size_t errlen)
{
    if (!info)
        return ISAC_EINVAL;
    struct isac_radio_tx_state ts;
    isac_radio_tx_state_from_info(info, &ts);
    return isac_radio_guard_check_tx(g, info, &ts, 0, t0, x, len, err, errlen);
}

void isac_radio_tx_state_from_info(const struct isac_radio_info *info,
                                   struct isac_radio_tx_state *ts)
{
    memset(ts, 0, sizeof *ts);
    ts->rate = info->sample_rate;
    ts->full_scale = info->full_scale;
    for (unsigned c = 0; c < ISAC_RADIO_MAX_CHANNELS; c++) {
        ts->freq_hz[c] = info->center_freq;
        ts->bw_hz[c] = info->bandwidth;
        ts->gain_db[c] = info->tx_gain_db;
    }
}
