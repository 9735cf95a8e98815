/* Calibration records (record.h; format in docs/calibration.md). */
#include "calib/record.h"

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/err.h"
#include "common/out_dir.h"
#include "common/file_open.h"

void isac_calib_record_init(struct isac_calib_record *rec, const struct isac_radio_info *info,
                            double now_unix)
{
    memset(rec, 0, sizeof *rec);
    rec->version = ISAC_CALIB_RECORD_VERSION;
    snprintf(rec->driver, sizeof rec->driver, "%s", info->driver);
    snprintf(rec->serial, sizeof rec->serial, "%s", info->serial);
    rec->num_rx = info->num_rx;
    rec->num_tx = info->num_tx;
    rec->num_rx_aps = info->num_rx_aps;
    for (unsigned n = 0; n < info->num_rx_aps && n < ISAC_RADIO_MAX_APS; n++)
        rec->rx_ap_elements[n] = info->rx_ap_elements[n];
    rec->center_freq = info->center_freq;
    rec->sample_rate = info->sample_rate;
    rec->rx_gain_db = info->rx_gain_db;
    rec->tx_gain_db = info->tx_gain_db;
    rec->lo_shared = (info->caps & ISAC_RADIO_CAP_LO_SHARED) != 0;
    rec->created_unix = now_unix;
    rec->max_age_s = ISAC_CALIB_RECORD_MAX_AGE_S;
}

void isac_calib_section_set(struct isac_calib_section *s, const char *method,
                            const struct isac_calib_chan *ch, unsigned n, double now_unix)
{
    memset(s, 0, sizeof *s);
    s->present = 1;
    s->created_unix = now_unix;
    snprintf(s->method, sizeof s->method, "%s", method);
    s->n = n;
    double p = 0, g = 0, d = 0;
    for (unsigned i = 0; i < n; i++) {
        s->ch[i] = ch[i];
        p += ch[i].phase_std_deg * ch[i].phase_std_deg;
        g += ch[i].gain_std_db * ch[i].gain_std_db;
        d += ch[i].delay_std * ch[i].delay_std;
    }
    s->phase_rms_deg = n ? sqrt(p / n) : 0;
    s->gain_rms_db = n ? sqrt(g / n) : 0;
    s->delay_rms = n ? sqrt(d / n) : 0;
}

/* ---- JSON ---- */

static void iso_time(double t, char *out, size_t n)
{
    time_t tt = (time_t)t;
    struct tm tm;
    gmtime_r(&tt, &tm);
    strftime(out, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static json_t *section_json(const struct isac_calib_section *s)
{
    char when[32];
    iso_time(s->created_unix, when, sizeof when);
    json_t *chs = json_array();
    for (unsigned i = 0; i < s->n; i++) {
        const struct isac_calib_chan *c = &s->ch[i];
        json_array_append_new(
            chs, json_pack("{s:i,s:i,s:i,s:f,s:f,s:f,s:f,s:f,s:f}", "index", (json_int_t)c->index,
                           "ap", (json_int_t)c->ap, "element", (json_int_t)c->element, "phase_deg",
                           c->phase_deg, "gain_db", c->gain_db, "delay_samples", c->delay_samples,
                           "phase_std_deg", c->phase_std_deg, "gain_std_db", c->gain_std_db,
                           "delay_std", c->delay_std));
    }
    return json_pack("{s:s,s:f,s:s,s:{s:f,s:f,s:f},s:o}", "created", when, "created_unix",
                     s->created_unix, "method", s->method, "accuracy", "phase_deg",
                     s->phase_rms_deg, "gain_db", s->gain_rms_db, "delay_samples", s->delay_rms,
                     "channels", chs);
}

json_t *isac_calib_record_to_json(const struct isac_calib_record *rec)
{
    char when[32];
    iso_time(rec->created_unix, when, sizeof when);
    json_t *aps = json_array();
    for (unsigned n = 0; n < rec->num_rx_aps; n++)
        json_array_append_new(aps, json_integer(rec->rx_ap_elements[n]));
    json_t *o = json_pack(
        "{s:s,s:i,s:s,s:f,s:f,s:{s:s,s:s,s:f},s:{s:i,s:i,s:o},s:f,s:f,s:f,s:f,s:b}", "format",
        ISAC_CALIB_RECORD_FORMAT, "version", (json_int_t)rec->version, "created", when,
        "created_unix", rec->created_unix, "max_age_s", rec->max_age_s, "device", "driver",
        rec->driver, "serial", rec->serial, "master_clock_hz", rec->master_clock, "channel_map",
        "num_rx", (json_int_t)rec->num_rx, "num_tx", (json_int_t)rec->num_tx, "rx_ap_elements", aps,
        "center_freq_hz", rec->center_freq, "sample_rate_hz", rec->sample_rate, "rx_gain_db",
        rec->rx_gain_db, "tx_gain_db", rec->tx_gain_db, "lo_shared", rec->lo_shared);
    if (rec->rx.present)
        json_object_set_new(o, "rx", section_json(&rec->rx));
    if (rec->tx.present)
        json_object_set_new(o, "tx", section_json(&rec->tx));
    if (rec->has_delay) {
        json_t *d = json_array(), *s = json_array();
        for (unsigned n = 0; n < rec->num_rx_aps; n++) {
            json_array_append_new(d, json_real(rec->system_delay[n]));
            json_array_append_new(s, json_real(rec->system_delay_std[n]));
        }
        json_object_set_new(o, "system_delay",
                            json_pack("{s:o,s:o}", "samples", d, "accuracy_samples", s));
    }
    return o;
}

/* Typed field readers: each writes "SRC: PATH: problem" on failure. */
struct jctx {
    const char *src;
    char *err;
    size_t errlen;
};

static int bad(const struct jctx *j, const char *path, const char *what)
{
    isac_seterr(j->err, j->errlen, "%s: %s: %s", j->src, path, what);
    return ISAC_EFORMAT;
}

static int get_num(const struct jctx *j, const json_t *o, const char *key, const char *path,
                   double lo, double hi, double *out)
{
    const json_t *v = json_object_get(o, key);
    if (!v)
        return bad(j, path, "missing");
    if (!json_is_number(v))
        return bad(j, path, "not a number");
    double x = json_number_value(v);
    if (!(x >= lo && x <= hi)) {
        char why[96];
        snprintf(why, sizeof why, "%g outside [%g, %g]", x, lo, hi);
        return bad(j, path, why);
    }
    *out = x;
    return ISAC_OK;
}

static int get_uint(const struct jctx *j, const json_t *o, const char *key, const char *path,
                    unsigned lo, unsigned hi, unsigned *out)
{
    const json_t *v = json_object_get(o, key);
    if (!v)
        return bad(j, path, "missing");
    if (!json_is_integer(v) || json_integer_value(v) < lo || json_integer_value(v) > hi) {
        char why[96];
        snprintf(why, sizeof why, "expected an integer in [%u, %u]", lo, hi);
        return bad(j, path, why);
    }
    *out = (unsigned)json_integer_value(v);
    return ISAC_OK;
}

static int get_str(const struct jctx *j, const json_t *o, const char *key, const char *path,
                   char *out, size_t n)
{
    const json_t *v = json_object_get(o, key);
    if (!v)
        return bad(j, path, "missing");
    if (!json_is_string(v) || json_string_length(v) >= n)
        return bad(j, path, "not a string (or too long)");
    snprintf(out, n, "%s", json_string_value(v));
    return ISAC_OK;
}

static int chan_from_json(const struct jctx *j, const json_t *c, const char *sec, unsigned i,
                          unsigned n, struct isac_calib_chan *ch)
{
    char p[96];
    int rc;
#define P(k) (snprintf(p, sizeof p, "%s.channels[%u].%s", sec, i, k), p)
    if (!json_is_object(c)) {
        snprintf(p, sizeof p, "%s.channels[%u]", sec, i);
        return bad(j, p, "not an object");
    }
    memset(ch, 0, sizeof *ch);
    if ((rc = get_uint(j, c, "index", P("index"), 0, n - 1, &ch->index)) ||
        (rc = get_uint(j, c, "ap", P("ap"), 0, ISAC_RADIO_MAX_APS - 1, &ch->ap)) ||
        (rc = get_uint(j, c, "element", P("element"), 0, ISAC_CALIB_MAX_CH - 1, &ch->element)) ||
        (rc = get_num(j, c, "phase_deg", P("phase_deg"), -360, 360, &ch->phase_deg)) ||
        (rc = get_num(j, c, "gain_db", P("gain_db"), -60, 60, &ch->gain_db)) ||
        (rc = get_num(j, c, "delay_samples", P("delay_samples"), -64, 64, &ch->delay_samples)))
        return rc;
    /* accuracy per channel is optional (hand-written records) */
    const char *opt[] = {"phase_std_deg", "gain_std_db", "delay_std"};
    double *dst[] = {&ch->phase_std_deg, &ch->gain_std_db, &ch->delay_std};
    for (int k = 0; k < 3; k++)
        if (json_object_get(c, opt[k]) && (rc = get_num(j, c, opt[k], P(opt[k]), 0, 1e6, dst[k])))
            return rc;
    if (ch->index != i)
        return bad(j, P("index"), "channels must be listed in index order 0..n-1");
#undef P
    return ISAC_OK;
}

static int section_from_json(const struct jctx *j, const json_t *o, const char *sec, unsigned n,
                             struct isac_calib_section *s)
{
    char p[96];
    int rc;
    memset(s, 0, sizeof *s);
    if (!o)
        return ISAC_OK;
    if (!json_is_object(o))
        return bad(j, sec, "not an object");
    snprintf(p, sizeof p, "%s.created_unix", sec);
    if ((rc = get_num(j, o, "created_unix", p, 0, 1e11, &s->created_unix)))
        return rc;
    snprintf(p, sizeof p, "%s.method", sec);
    if ((rc = get_str(j, o, "method", p, s->method, sizeof s->method)))
        return rc;
    const json_t *acc = json_object_get(o, "accuracy");
    snprintf(p, sizeof p, "%s.accuracy", sec);
    if (!json_is_object(acc))
        return bad(j, p, "missing or not an object");
    if ((rc = get_num(j, acc, "phase_deg", "accuracy.phase_deg", 0, 1e6, &s->phase_rms_deg)) ||
        (rc = get_num(j, acc, "gain_db", "accuracy.gain_db", 0, 1e6, &s->gain_rms_db)) ||
        (rc = get_num(j, acc, "delay_samples", "accuracy.delay_samples", 0, 1e6, &s->delay_rms)))
        return rc;
    const json_t *chs = json_object_get(o, "channels");
    snprintf(p, sizeof p, "%s.channels", sec);
    if (!json_is_array(chs))
        return bad(j, p, "missing or not an array");
    if (json_array_size(chs) != n) {
        char why[96];
        snprintf(why, sizeof why, "%zu entries but channel_map has %u", json_array_size(chs), n);
        return bad(j, p, why);
    }
    for (unsigned i = 0; i < n; i++)
        if ((rc = chan_from_json(j, json_array_get(chs, i), sec, i, n, &s->ch[i])))
            return rc;
    s->n = n;
    s->present = 1;
    return ISAC_OK;
}

static int header_from_json(const struct jctx *j, const json_t *o, struct isac_calib_record *rec)
{
    int rc;
    char fmt[64];
    if (!json_is_object(o))
        return bad(j, "(top level)", "not a JSON object");
    if ((rc = get_str(j, o, "format", "format", fmt, sizeof fmt)))
        return rc;
    if (strcmp(fmt, ISAC_CALIB_RECORD_FORMAT))
        return bad(j, "format", "not \"" ISAC_CALIB_RECORD_FORMAT "\"");
    unsigned v;
    if ((rc = get_uint(j, o, "version", "version", 1, 1000, &v)))
        return rc;
    if (v != ISAC_CALIB_RECORD_VERSION)
        return bad(j, "version", "unsupported version (this isactb reads version 1)");
    rec->version = (int)v;
    const json_t *dev = json_object_get(o, "device"), *map = json_object_get(o, "channel_map");
    if (!json_is_object(dev))
        return bad(j, "device", "missing or not an object");
    if (!json_is_object(map))
        return bad(j, "channel_map", "missing or not an object");
    if ((rc = get_str(j, dev, "driver", "device.driver", rec->driver, sizeof rec->driver)) ||
        (rc = get_str(j, dev, "serial", "device.serial", rec->serial, sizeof rec->serial)) ||
        (rc = get_num(j, dev, "master_clock_hz", "device.master_clock_hz", 0, 1e12,
                      &rec->master_clock)) ||
        (rc = get_uint(j, map, "num_rx", "channel_map.num_rx", 1, ISAC_CALIB_MAX_CH,
                       &rec->num_rx)) ||
        (rc = get_uint(j, map, "num_tx", "channel_map.num_tx", 1, ISAC_CALIB_MAX_CH, &rec->num_tx)))
        return rc;
    const json_t *aps = json_object_get(map, "rx_ap_elements");
    if (!json_is_array(aps) || json_array_size(aps) < 1 ||
        json_array_size(aps) > ISAC_RADIO_MAX_APS)
        return bad(j, "channel_map.rx_ap_elements", "missing or not an array of 1..16 counts");
    unsigned sum = 0;
    rec->num_rx_aps = (unsigned)json_array_size(aps);
    for (unsigned n = 0; n < rec->num_rx_aps; n++) {
        const json_t *e = json_array_get(aps, n);
        if (!json_is_integer(e) || json_integer_value(e) < 1 ||
            json_integer_value(e) > ISAC_CALIB_MAX_CH)
            return bad(j, "channel_map.rx_ap_elements", "entries must be integers 1..256");
        sum += rec->rx_ap_elements[n] = (unsigned)json_integer_value(e);
    }
    if (sum != rec->num_rx)
        return bad(j, "channel_map.rx_ap_elements", "does not add up to num_rx");
    if ((rc = get_num(j, o, "center_freq_hz", "center_freq_hz", 0, 1e12, &rec->center_freq)) ||
        (rc = get_num(j, o, "sample_rate_hz", "sample_rate_hz", 1, 1e12, &rec->sample_rate)) ||
        (rc = get_num(j, o, "rx_gain_db", "rx_gain_db", -400, 400, &rec->rx_gain_db)) ||
        (rc = get_num(j, o, "tx_gain_db", "tx_gain_db", -400, 400, &rec->tx_gain_db)) ||
        (rc = get_num(j, o, "created_unix", "created_unix", 0, 1e11, &rec->created_unix)) ||
        (rc = get_num(j, o, "max_age_s", "max_age_s", 0, 1e11, &rec->max_age_s)))
        return rc;
    const json_t *lo = json_object_get(o, "lo_shared");
    if (!json_is_boolean(lo))
        return bad(j, "lo_shared", "missing or not true/false");
    rec->lo_shared = json_is_true(lo);
    return ISAC_OK;
}

static int delay_from_json(const struct jctx *j, const json_t *o, struct isac_calib_record *rec)
{
    const json_t *d = json_object_get(o, "system_delay");
    if (!d)
        return ISAC_OK;
    const json_t *s = json_object_get(d, "samples"), *a = json_object_get(d, "accuracy_samples");
    if (!json_is_array(s) || json_array_size(s) != rec->num_rx_aps)
        return bad(j, "system_delay.samples", "missing or not one number per receive array");
    if (!json_is_array(a) || json_array_size(a) != rec->num_rx_aps)
        return bad(j, "system_delay.accuracy_samples",
                   "missing or not one number per receive array");
    for (unsigned n = 0; n < rec->num_rx_aps; n++) {
        const json_t *v = json_array_get(s, n), *e = json_array_get(a, n);
        if (!json_is_number(v) || !(fabs(json_number_value(v)) <= 1e6))
            return bad(j, "system_delay.samples", "entries must be finite numbers");
        if (!json_is_number(e) || !(json_number_value(e) >= 0))
            return bad(j, "system_delay.accuracy_samples", "entries must be numbers >= 0");
        rec->system_delay[n] = json_number_value(v);
        rec->system_delay_std[n] = json_number_value(e);
    }
    rec->has_delay = 1;
    return ISAC_OK;
}

int isac_calib_record_from_json(const json_t *o, const char *src, struct isac_calib_record *rec,
                                char *err, size_t errlen)
{
    struct jctx j = {src ? src : "calibration record", err, errlen};
    memset(rec, 0, sizeof *rec);
    int rc = header_from_json(&j, o, rec);
    if (rc == ISAC_OK)
        rc = section_from_json(&j, json_object_get(o, "rx"), "rx", rec->num_rx, &rec->rx);
    if (rc == ISAC_OK)
        rc = section_from_json(&j, json_object_get(o, "tx"), "tx", rec->num_tx, &rec->tx);
    if (rc == ISAC_OK)
        rc = delay_from_json(&j, o, rec);
    if (rc == ISAC_OK && !rec->rx.present && !rec->tx.present && !rec->has_delay)
        rc = bad(&j, "rx", "the record has no rx, tx or system_delay section");
    return rc;
}

int isac_calib_record_load(const char *path, struct isac_calib_record *rec, char *err,
                           size_t errlen)
{
    json_error_t je;
    char *text = NULL;
    size_t len = 0;
    /* a regular file only: a FIFO or device in a calibration directory is refused */
    int frc = isac_read_input(path, 16u << 20, &text, &len, err, errlen);
    if (frc)
        return frc;
    json_t *o = json_loadb(text, len, 0, &je);
    free(text);
    if (!o) {
        isac_seterr(err, errlen, "%s: line %d: not valid JSON (%s)", path, je.line, je.text);
        return ISAC_EFORMAT;
    }
    int rc = isac_calib_record_from_json(o, path, rec, err, errlen);
    json_decref(o);
    return rc;
}

int isac_calib_record_save(const char *path, const struct isac_calib_record *rec, char *err,
                           size_t errlen)
{
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    json_t *o = isac_calib_record_to_json(rec);
    char why[512] = "";
    FILE *f = o ? isac_fcreate_excl(tmp, why, sizeof why) : NULL; /* never another's file */
    if (!f) {
        json_decref(o);
        isac_seterr(err, errlen, "%s", why[0] ? why : "out of memory");
        return o ? ISAC_EIO : ISAC_ENOMEM;
    }
    int rc = json_dumpf(o, f, JSON_INDENT(2) | JSON_REAL_PRECISION(10)) == 0 ? ISAC_OK : ISAC_EIO;
    if (fclose(f))
        rc = ISAC_EIO;
    json_decref(o);
    if (rc == ISAC_OK && rename(tmp, path) != 0)
        rc = ISAC_EIO;
    if (rc) {
        int e = errno;
        unlink(tmp); /* created above by this call */
        isac_seterr(err, errlen, "%s: cannot write the calibration record: %s", path, strerror(e));
    }
    return rc;
}

/* ---- matching ---- */

static int mismatch_s(const char *src, const char *field, const char *rec, const char *isac_radio,
                      char *err, size_t errlen)
{
    isac_seterr(err, errlen, "%s: %s: record has '%s', the radio '%s'", src, field, rec,
                isac_radio);
    return ISAC_EINVAL;
}

static int mismatch_d(const char *src, const char *field, double rec, double isac_radio, char *err,
                      size_t errlen)
{
    isac_seterr(err, errlen, "%s: %s: record has %.10g, the radio %.10g", src, field, rec,
                isac_radio);
    return ISAC_EINVAL;
}

int isac_calib_record_match(const struct isac_calib_record *rec, const struct isac_radio_info *info,
                            const char *src, char *err, size_t errlen)
{
    src = src ? src : "calibration record";
    if (strcmp(rec->driver, info->driver))
        return mismatch_s(src, "device.driver", rec->driver, info->driver, err, errlen);
    if (strcmp(rec->serial, info->serial))
        return mismatch_s(src, "device.serial", rec->serial, info->serial, err, errlen);
    if (rec->num_rx != info->num_rx)
        return mismatch_d(src, "channel_map.num_rx", rec->num_rx, info->num_rx, err, errlen);
    if (rec->num_tx != info->num_tx)
        return mismatch_d(src, "channel_map.num_tx", rec->num_tx, info->num_tx, err, errlen);
    if (rec->num_rx_aps != info->num_rx_aps)
        return mismatch_d(src, "channel_map.rx_ap_elements", rec->num_rx_aps, info->num_rx_aps, err,
                          errlen);
    for (unsigned n = 0; n < rec->num_rx_aps; n++)
        if (rec->rx_ap_elements[n] != info->rx_ap_elements[n])
            return mismatch_d(src, "channel_map.rx_ap_elements", rec->rx_ap_elements[n],
                              info->rx_ap_elements[n], err, errlen);
    if (fabs(rec->center_freq - info->center_freq) > 1.0)
        return mismatch_d(src, "center_freq_hz", rec->center_freq, info->center_freq, err, errlen);
    if (fabs(rec->sample_rate - info->sample_rate) > 1e-6 * info->sample_rate)
        return mismatch_d(src, "sample_rate_hz", rec->sample_rate, info->sample_rate, err, errlen);
    if (fabs(rec->rx_gain_db - info->rx_gain_db) > 0.01)
        return mismatch_d(src, "rx_gain_db", rec->rx_gain_db, info->rx_gain_db, err, errlen);
    if (fabs(rec->tx_gain_db - info->tx_gain_db) > 0.01)
        return mismatch_d(src, "tx_gain_db", rec->tx_gain_db, info->tx_gain_db, err, errlen);
    return ISAC_OK;
}

int isac_calib_record_stale(const struct isac_calib_record *rec, double now_unix)
{
    return now_unix - rec->created_unix > rec->max_age_s;
}

int isac_calib_record_invalidated_by_retune(const struct isac_calib_record *rec,
                                            uint32_t radio_caps)
{
    (void)rec;
    return !(radio_caps & ISAC_RADIO_CAP_LO_SHARED);
}

/* ---- application ---- */

static double complex chan_gain(const struct isac_calib_chan *c)
{
    return pow(10.0, c->gain_db / 20.0) * cexp(I * c->phase_deg * M_PI / 180.0);
}

int isac_calib_record_to_pipeline(const struct isac_calib_record *rec,
                                  struct isac_chan_correction *pc, char *err, size_t errlen)
{
    memset(pc, 0, sizeof *pc);
    pc->num_rx = rec->num_rx;
    pc->num_tx = rec->num_tx;
    /* TX: align every channel to the latest; weights scaled to the array's RMS gain */
    double dtx = 0, p2 = 0;
    for (unsigned k = 0; k < rec->num_tx; k++) {
        pc->tx_weight[k] = 1.0f;
        if (!rec->tx.present)
            continue;
        dtx = fmax(dtx, rec->tx.ch[k].delay_samples);
        double complex g = chan_gain(&rec->tx.ch[k]);
        p2 += creal(g * conj(g));
    }
    double krms = rec->tx.present ? sqrt(p2 / rec->num_tx) : 1.0;
    for (unsigned k = 0; rec->tx.present && k < rec->num_tx; k++) {
        pc->tx_weight[k] = (float complex)(krms / chan_gain(&rec->tx.ch[k]));
        pc->tx_delay[k] = dtx - rec->tx.ch[k].delay_samples;
    }
    /* RX: absolute delay S_n + delta_m aligned to the latest channel of all arrays */
    double abs_d[ISAC_CALIB_MAX_CH], T = -INFINITY;
    for (unsigned n = 0, ch = 0; n < rec->num_rx_aps; ch += rec->rx_ap_elements[n++])
        for (unsigned m = 0; m < rec->rx_ap_elements[n]; m++) {
            double s = rec->has_delay ? rec->system_delay[n] : 0.0;
            abs_d[ch + m] = s + (rec->rx.present ? rec->rx.ch[ch + m].delay_samples : 0.0);
            T = fmax(T, abs_d[ch + m]);
        }
    for (unsigned ch = 0; ch < rec->num_rx; ch++) {
        pc->rx_weight[ch] =
            rec->rx.present ? (float complex)(1.0 / chan_gain(&rec->rx.ch[ch])) : 1.0f;
        pc->rx_delay[ch] = T - abs_d[ch];
        if (pc->rx_delay[ch] > 64 || pc->tx_delay[ch < rec->num_tx ? ch : 0] > 64) {
            isac_seterr(err, errlen,
                        "calibration: channel %u needs a delay correction beyond 64 samples", ch);
            return ISAC_EINVAL;
        }
    }
    pc->lag0_delay = fmax(0.0, T + dtx);
    return ISAC_OK;
}

/* ---- directory lookup ---- */

void isac_calib_record_filename(const struct isac_calib_record *rec, char *out, size_t outlen)
{
    char ser[64];
    snprintf(ser, sizeof ser, "%s", rec->serial);
    for (char *c = ser; *c; c++)
        if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') ||
              *c == '-' || *c == '_' || *c == '.'))
            *c = '_';
    snprintf(out, outlen, "%s-%s-%.0fHz.json", rec->driver, ser, rec->center_freq);
}

int isac_calib_record_find(const char *dir, const struct isac_radio_info *info,
                           struct isac_calib_record *rec, char *path, size_t pathlen,
                           void (*warn)(void *ctx, const char *line), void *ctx)
{
    DIR *d = opendir(dir);
    if (!d)
        return 0;
    struct isac_calib_record *cand = malloc(sizeof *cand);
    int found = 0;
    struct dirent *e;
    while (cand && (e = readdir(d))) {
        size_t n = strlen(e->d_name);
        if (n < 6 || strcmp(e->d_name + n - 5, ".json"))
            continue;
        char p[4200], err[512];
        snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
        int rc = isac_calib_record_load(p, cand, err, sizeof err);
        if (rc) {
            if (warn)
                warn(ctx, err);
            continue;
        }
        if (isac_calib_record_match(cand, info, p, err, sizeof err))
            continue;
        if (!found || cand->created_unix > rec->created_unix) {
            *rec = *cand;
            snprintf(path, pathlen, "%s", p);
            found = 1;
        }
    }
    closedir(d);
    free(cand);
    return found;
}
