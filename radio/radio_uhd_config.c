/* `uhd` back end: spec parsing and error mapping without UHD headers (see header). */
#include "radio_uhd_config.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "common/err.h"

#define NAME "uhd"

static const char *const UHD_KEYS[] = {
    "rx",         "tx",           "aps",     "tx_ap",   "rx_ap*",   "spacing",   "emulated_freq",
    "rate",       "freq",         "rx_gain", "tx_gain", "bw",       "rx_ant",    "tx_ant",
    "rx_subdev",  "tx_subdev",    "clock",   "time",    "time_set", "lo_source", "tx_lo_source",
    "lo_export",  "tx_lo_export", "otw",     "mcr",     "lead",     "tune_lead", "timeout",
    "txrx_delay", "lo_shared",    NULL};

static int copy_word(const struct fe_args *a, const char *key, const char *const *words, char *out,
                     size_t outlen, char *err, size_t errlen)
{
    int idx;
    if (fe_get_choice(NAME, a, key, words, -1, &idx, err, errlen) < 0)
        return ISAC_EINVAL;
    snprintf(out, outlen, "%s", idx >= 0 ? words[idx] : "");
    return ISAC_OK;
}

static int copy_text(const struct fe_args *a, const char *key, char *out, size_t outlen, char *err,
                     size_t errlen)
{
    const char *v = fe_get(a, key);
    if (v && strlen(v) >= outlen) {
        snprintf(err, errlen, "argument '" FE_PREFIX "%s' of back end '" NAME "': too long", key);
        return ISAC_EINVAL;
    }
    snprintf(out, outlen, "%s", v ? v : "");
    return ISAC_OK;
}

int radio_uhd_parse(const char *args, struct radio_uhd_config *c, char *err, size_t errlen)
{
    static const char *const sources[] = {"internal", "external", "gpsdo", "mimo", NULL};
    static const char *const ts[] = {"now", "next_pps", "unknown_pps", NULL};
    static const char *const otw[] = {"sc16", "sc12", "sc8", NULL};
    static const char *const bools[] = {"0", "1", NULL};
    static const char *const lo_src[] = {"internal", "external", "companion",
                                         "disabled", "reimport", NULL};
    memset(c, 0, sizeof *c);
    int rc = fe_args_split(NAME, args, UHD_KEYS, &c->a, err, errlen);
    if (rc)
        return rc;
    const struct fe_args *a = &c->a;
    double d;
    int ots = 0;
    if (copy_word(a, "clock", sources, c->clock, sizeof c->clock, err, errlen) ||
        copy_word(a, "time", sources, c->time, sizeof c->time, err, errlen) ||
        copy_word(a, "lo_source", lo_src, c->lo_source, sizeof c->lo_source, err, errlen) ||
        copy_word(a, "tx_lo_source", lo_src, c->tx_lo_source, sizeof c->tx_lo_source, err,
                  errlen) ||
        copy_text(a, "rx_subdev", c->rx_subdev, sizeof c->rx_subdev, err, errlen) ||
        copy_text(a, "tx_subdev", c->tx_subdev, sizeof c->tx_subdev, err, errlen))
        return ISAC_EINVAL;
    int ext = !strcmp(c->time, "external") || !strcmp(c->time, "gpsdo");
    if (fe_get_choice(NAME, a, "time_set", ts, ext ? UHD_TS_UNKNOWN_PPS : UHD_TS_NOW, &c->time_set,
                      err, errlen) < 0 ||
        fe_get_choice(NAME, a, "otw", otw, 0, &ots, err, errlen) < 0 ||
        fe_get_choice(NAME, a, "lo_shared", bools, 0, &c->lo_shared, err, errlen) < 0 ||
        fe_get_double(NAME, a, "rate", 0, 1, 1e10, &c->rate, err, errlen) < 0 ||
        fe_get_double(NAME, a, "freq", 0, 1, 1e12, &c->freq, err, errlen) < 0 ||
        fe_get_double(NAME, a, "bw", 0, 1, 1e10, &c->bw, err, errlen) < 0 ||
        fe_get_double(NAME, a, "mcr", 0, 1, 1e10, &c->mcr, err, errlen) < 0 ||
        fe_get_double(NAME, a, "lead", 0.2, 0, 60, &c->lead, err, errlen) < 0 ||
        fe_get_double(NAME, a, "tune_lead", 0.1, 0.001, 10, &c->tune_lead, err, errlen) < 0 ||
        fe_get_double(NAME, a, "timeout", 1.0, 1e-3, 3600, &c->timeout, err, errlen) < 0 ||
        fe_get_double(NAME, a, "txrx_delay", 0, -1e6, 1e6, &d, err, errlen) < 0)
        return ISAC_EINVAL;
    if (d != (double)(long long)d) {
        snprintf(err, errlen,
                 "argument '" FE_PREFIX "txrx_delay=%s' of back end '" NAME
                 "': expected a whole number of samples",
                 fe_get(a, "txrx_delay"));
        return ISAC_EINVAL;
    }
    c->txrx_delay = (long long)d;
    snprintf(c->otw, sizeof c->otw, "%s", otw[ots]);
    return ISAC_OK;
}

int radio_uhd_map_error(int e, int at_make)
{
    if (e == 0)
        return ISAC_OK;
    if (at_make)
        return ISAC_ERADIO;
    switch (e) {
    case 10: /* UHD_ERROR_INDEX */
    case 11: /* UHD_ERROR_KEY */
    case 41: /* UHD_ERROR_LOOKUP */
    case 42: /* UHD_ERROR_TYPE */
    case 43: /* UHD_ERROR_VALUE */ return ISAC_EINVAL;
    case 20: /* UHD_ERROR_NOT_IMPLEMENTED */ return ISAC_ENOTSUP;
    default: return ISAC_ERADIO;
    }
}

void radio_uhd_one_line(const char *text, char *out, size_t outlen)
{
    size_t n = 0;
    int space = 1; /* trims leading blanks */
    for (const char *p = text ? text : ""; *p && n + 1 < outlen; p++) {
        int blank = isspace((unsigned char)*p);
        if (blank && space)
            continue;
        out[n++] = blank ? ' ' : *p;
        space = blank;
    }
    while (n && out[n - 1] == ' ')
        n--;
    if (outlen)
        out[n] = '\0';
}
