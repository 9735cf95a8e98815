/* struct radio_info <-> the "isactb:radio" JSON object (capture/sigmf.h helpers; field
 * list in docs/capture-format.md, section 5): the writer's encoding and the reader's
 * strict decoding. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "common/err.h"
#include "sigmf_internal.h"

/* ------------------------------------------------- isactb:radio encoding */

static json_t *ap_json(const struct isac_geom_ap *ap)
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
    for (unsigned i = 0; a && i < n && i < ISAC_RADIO_MAX_CHANNELS; i++)
        json_array_append_new(a, json_real(pos[i]));
    return a;
}

/* Positions a caller never filled (all zero: invalid) are left out: a reader then
 * assumes the ULA of element_spacing_wl, as for captures older than the positions. */
static int set_positions(json_t *o, const struct isac_radio_info *info)
{
    if (isac_radio_info_check_positions(info, NULL, 0))
        return 0;
    return json_object_set_new(o, "tx_positions_wl",
                               positions_json(info->tx_pos_wl, info->num_tx)) ||
           json_object_set_new(o, "rx_positions_wl", positions_json(info->rx_pos_wl, info->num_rx));
}

json_t *isac_sigmf_radio_info_to_json(const struct isac_radio_info *info)
{
    json_t *caps = json_array(), *elems = json_array(), *aps = json_array();
    json_t *o = NULL;
    if (!caps || !elems || !aps)
        goto fail;
    for (unsigned i = 0; i < cap_num_capabilities; i++)
        if (info->caps & (1u << i))
            json_array_append_new(caps, json_string(cap_capability_names[i]));
    for (unsigned a = 0; a < info->num_rx_aps && a < ISAC_RADIO_MAX_APS; a++) {
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
        set_real_if_finite(o, "full_scale", info->full_scale) || set_positions(o, info)) {
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

/* ------------------------------------------------- isactb:radio decoding */

static int get_ap(const struct ectx *e, const json_t *o, const char *pfx, struct isac_geom_ap *ap)
{
    char b[80];
    if (!json_is_object(o))
        return cap_efail(e, ISAC_EFORMAT, "%s %s is not an object", pfx, cap_show(o, b, sizeof b));
    char p[64];
    snprintf(p, sizeof p, "%s.", pfx);
    int rc;
    if ((rc = cap_get_num(e, o, p, "x", NULL, -1e9, 1e9, &ap->x)) ||
        (rc = cap_get_num(e, o, p, "y", NULL, -1e9, 1e9, &ap->y)) ||
        (rc = cap_get_num(e, o, p, "axis_rad", NULL, -1e3, 1e3, &ap->axis_rad)))
        return rc;
    return ISAC_OK;
}

static int radio_strings(const struct ectx *e, const json_t *o, struct isac_radio_info *in)
{
    const char *pfx = "isactb:radio.";
    const char *s;
    int rc;
    if (json_object_get(o, "driver")) {
        if ((rc = cap_get_str(e, o, pfx, "driver", &s)))
            return rc;
        snprintf(in->driver, sizeof in->driver, "%s", s);
    }
    if (json_object_get(o, "serial")) {
        if ((rc = cap_get_str(e, o, pfx, "serial", &s)))
            return rc;
        snprintf(in->serial, sizeof in->serial, "%s", s);
    }
    json_t *caps = json_object_get(o, "caps"), *c;
    size_t i;
    char b[80];
    if (caps && !json_is_array(caps))
        return cap_efail(e, ISAC_EFORMAT, "%scaps %s is not an array", pfx,
                         cap_show(caps, b, sizeof b));
    json_array_foreach(caps, i, c)
    {
        unsigned k = 0, n = cap_num_capabilities;
        while (k < n &&
               !(json_is_string(c) && !strcmp(json_string_value(c), cap_capability_names[k])))
            k++;
        if (k == n)
            return cap_efail(e, ISAC_EFORMAT, "%scaps[%zu] %s is not a known capability", pfx, i,
                             cap_show(c, b, sizeof b));
        in->caps |= 1u << k;
    }
    return ISAC_OK;
}

static int radio_aps(const struct ectx *e, const json_t *o, struct isac_radio_info *in)
{
    json_t *el = json_object_get(o, "rx_ap_elements"), *aps = json_object_get(o, "rx_aps");
    char b[80];
    if (!json_is_array(el) || json_array_size(el) < 1 || json_array_size(el) > ISAC_RADIO_MAX_APS)
        return cap_efail(e, ISAC_EFORMAT, "isactb:radio.rx_ap_elements %s is not an array of 1..%d",
                         cap_show(el, b, sizeof b), ISAC_RADIO_MAX_APS);
    if (!json_is_array(aps) || json_array_size(aps) != json_array_size(el))
        return cap_efail(e, ISAC_EFORMAT,
                         "isactb:radio.rx_aps %s is not an array as long as rx_ap_elements (%zu)",
                         cap_show(aps, b, sizeof b), json_array_size(el));
    in->num_rx_aps = (unsigned)json_array_size(el);
    unsigned sum = 0;
    for (unsigned a = 0; a < in->num_rx_aps; a++) {
        json_t *v = json_array_get(el, a);
        if (!json_is_integer(v) || json_integer_value(v) < 1 ||
            json_integer_value(v) > ISAC_RADIO_MAX_CHANNELS)
            return cap_efail(e, ISAC_EFORMAT, "isactb:radio.rx_ap_elements[%u] %s is not in 1..%d",
                             a, cap_show(v, b, sizeof b), ISAC_RADIO_MAX_CHANNELS);
        in->rx_ap_elements[a] = (unsigned)json_integer_value(v);
        sum += in->rx_ap_elements[a];
        char p[48];
        snprintf(p, sizeof p, "isactb:radio.rx_aps[%u]", a);
        int rc = get_ap(e, json_array_get(aps, a), p, &in->rx_ap[a]);
        if (rc)
            return rc;
    }
    if (sum != in->num_rx)
        return cap_efail(e, ISAC_EFORMAT, "isactb:radio.rx_ap_elements sum to %u but num_rx is %u",
                         sum, in->num_rx);
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
        return cap_efail(e, ISAC_EFORMAT, "isactb:radio.%s %s is not an array of %u numbers", key,
                         cap_show(a, b, sizeof b), n);
    for (unsigned i = 0; i < n; i++) {
        if (!json_is_number(json_array_get(a, i)))
            return cap_efail(e, ISAC_EFORMAT, "isactb:radio.%s[%u] %s is not a number", key, i,
                             cap_show(json_array_get(a, i), b, sizeof b));
        pos[i] = json_number_value(json_array_get(a, i));
    }
    return ISAC_OK;
}

int cap_radio_from_json(const struct ectx *e, const json_t *o, struct isac_radio_info *in)
{
    char b[80];
    if (!json_is_object(o))
        return cap_efail(e, ISAC_EFORMAT, "isactb:radio %s is not an object",
                         cap_show(o, b, sizeof b));
    memset(in, 0, sizeof *in);
    const char *p = "isactb:radio.";
    int64_t ntx, nrx;
    double nan = NAN, zero = 0;
    int rc;
    if ((rc = cap_get_num(e, o, p, "sample_rate", NULL, 1, 1e12, &in->sample_rate)) ||
        (rc = cap_get_num(e, o, p, "center_freq", NULL, -1e12, 1e12, &in->center_freq)) ||
        (rc = cap_get_num(e, o, p, "emulated_freq", &in->center_freq, -1e13, 1e13,
                          &in->emulated_freq)) ||
        (rc = cap_get_num(e, o, p, "bandwidth", &in->sample_rate, 0, 1e12, &in->bandwidth)) ||
        (rc = cap_get_int(e, o, p, "num_tx", NULL, 0, ISAC_RADIO_MAX_CHANNELS, &ntx)) ||
        (rc = cap_get_int(e, o, p, "num_rx", NULL, 1, ISAC_RADIO_MAX_CHANNELS, &nrx)) ||
        (rc = cap_get_num(e, o, p, "element_spacing_wl", &zero, 0, 1e4, &in->element_spacing_wl)) ||
        (rc = cap_get_num(e, o, p, "tx_power_dbm", &nan, -400, 400, &in->tx_power_dbm)) ||
        (rc = cap_get_num(e, o, p, "noise_dbm", &nan, -400, 400, &in->noise_dbm)) ||
        (rc = cap_get_num(e, o, p, "freq_min", &zero, -1e13, 1e13, &in->freq_min)) ||
        (rc = cap_get_num(e, o, p, "freq_max", &zero, -1e13, 1e13, &in->freq_max)) ||
        (rc = cap_get_num(e, o, p, "rx_gain_db", &zero, -400, 400, &in->rx_gain_db)) ||
        (rc = cap_get_num(e, o, p, "tx_gain_db", &zero, -400, 400, &in->tx_gain_db)) ||
        (rc = cap_get_num(e, o, p, "noise_var", &zero, 0, 1e30, &in->noise_var)) ||
        (rc = cap_get_num(e, o, p, "full_scale", &zero, 0, 1e30, &in->full_scale)))
        return rc;
    in->num_tx = (unsigned)ntx;
    in->num_rx = (unsigned)nrx;
    if ((rc = radio_strings(e, o, in)) || (rc = radio_aps(e, o, in)))
        return rc;
    isac_radio_info_fill_ula(in); /* captures made before positions were recorded */
    char why[200];
    if ((rc = get_positions(e, o, "tx_positions_wl", in->num_tx, in->tx_pos_wl)) ||
        (rc = get_positions(e, o, "rx_positions_wl", in->num_rx, in->rx_pos_wl)))
        return rc;
    if ((json_object_get(o, "tx_positions_wl") || json_object_get(o, "rx_positions_wl")) &&
        isac_radio_info_check_positions(in, why, sizeof why))
        return cap_efail(e, ISAC_EFORMAT, "isactb:radio positions: %s", why);
    return ISAC_OK;
}

int isac_sigmf_radio_info_from_json(const json_t *obj, struct isac_radio_info *info, char *err,
                                    size_t errlen)
{
    struct ectx e = {err, errlen, NULL};
    return cap_radio_from_json(&e, obj, info);
}
