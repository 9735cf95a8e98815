/* Writer (capture/sigmf.h): creating a recording (description checks, output directory,
 * one .sigmf-data.tmp per stream), its settings, discarding it (abort) and freeing it.
 * Appending CPIs is cpi_append.c, finishing is meta_write.c. */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/err.h"
#include "common/out_dir.h"
#include "sigmf_internal.h"

static const char *const writer_global_keys[] = {
    "isactb:radio", "isactb:stream", "isactb:rx_ap", "isactb:ap_element", "isactb:cpis", NULL};

static char *xstrdup(const char *s)
{
    return s ? strdup(s) : NULL;
}

static int name_ok(const char *name)
{
    size_t n = strlen(name);
    if (n == 0 || n > ISAC_SIGMF_NAME_MAX || name[0] == '.')
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = name[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-'))
            return 0;
    }
    return 1;
}

/* Caller-supplied objects: every key "isactb:..." and none of the writer's own. */
int cap_check_isactb_keys(const json_t *o, const char *const *reserved, const char *what, char *err,
                          size_t errlen)
{
    if (!json_is_object(o)) {
        isac_seterr(err, errlen, "%s is not a JSON object", what);
        return ISAC_EINVAL;
    }
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)o, key, v)
    {
        (void)v;
        if (strncmp(key, "isactb:", 7) || !key[7]) {
            isac_seterr(err, errlen, "%s key '%s' is not in the isactb: namespace", what, key);
            return ISAC_EINVAL;
        }
        if (cap_key_in(key, reserved)) {
            isac_seterr(err, errlen, "%s key '%s' is set by the writer itself", what, key);
            return ISAC_EINVAL;
        }
    }
    return ISAC_OK;
}

static int check_info(const struct isac_radio_info *in, char *err, size_t errlen)
{
    if (!in) {
        isac_seterr(err, errlen, "sigmf writer: desc->info is required");
        return ISAC_EINVAL;
    }
    if (in->num_rx < 1 || in->num_rx > ISAC_RADIO_MAX_CHANNELS ||
        in->num_tx > ISAC_RADIO_MAX_CHANNELS) {
        isac_seterr(err, errlen, "sigmf writer: num_rx %u / num_tx %u out of range (1..%d)",
                    in->num_rx, in->num_tx, ISAC_RADIO_MAX_CHANNELS);
        return ISAC_EINVAL;
    }
    if (in->num_rx_aps < 1 || in->num_rx_aps > ISAC_RADIO_MAX_APS) {
        isac_seterr(err, errlen, "sigmf writer: num_rx_aps %u out of range (1..%d)", in->num_rx_aps,
                    ISAC_RADIO_MAX_APS);
        return ISAC_EINVAL;
    }
    unsigned sum = 0;
    for (unsigned a = 0; a < in->num_rx_aps; a++) {
        if (in->rx_ap_elements[a] < 1) {
            isac_seterr(err, errlen, "sigmf writer: rx_ap_elements[%u] is 0", a);
            return ISAC_EINVAL;
        }
        sum += in->rx_ap_elements[a];
    }
    if (sum != in->num_rx) {
        isac_seterr(err, errlen, "sigmf writer: rx_ap_elements sum to %u, num_rx is %u", sum,
                    in->num_rx);
        return ISAC_EINVAL;
    }
    if (!(in->sample_rate >= 1 && in->sample_rate <= 1e12) || !(fabs(in->center_freq) <= 1e12) ||
        !isfinite(in->emulated_freq) || !isfinite(in->bandwidth) ||
        !isfinite(in->element_spacing_wl)) {
        isac_seterr(err, errlen, "sigmf writer: sample_rate %g / frequencies out of range",
                    in->sample_rate);
        return ISAC_EINVAL;
    }
    return ISAC_OK;
}

static int check_desc(const char *dir, const char *name, const struct isac_sigmf_writer_desc *d,
                      char *err, size_t errlen)
{
    if (!dir || !*dir || !name || !d) {
        isac_seterr(err, errlen, "sigmf writer: dir, name and desc are required");
        return ISAC_EINVAL;
    }
    if (!name_ok(name)) {
        isac_seterr(
            err, errlen,
            "sigmf writer: name '%s' invalid (1..%d of [A-Za-z0-9._-], not starting with '.')",
            name, ISAC_SIGMF_NAME_MAX);
        return ISAC_EINVAL;
    }
    int rc = check_info(d->info, err, errlen);
    if (rc)
        return rc;
    if (d->global &&
        (rc = cap_check_isactb_keys(d->global, writer_global_keys, "desc->global", err, errlen)))
        return rc;
    for (unsigned k = 0; d->rx_phase_offset_deg && k < d->info->num_rx; k++)
        if (!(fabs(d->rx_phase_offset_deg[k]) <= 360.0)) {
            isac_seterr(err, errlen, "sigmf writer: rx_phase_offset_deg[%u] %g out of range", k,
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
    isac_cap_hash_free(&s->sha);
}

void cap_writer_free(isac_sigmf_writer w)
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

static int stream_init(isac_sigmf_writer w, unsigned i, char *err, size_t errlen)
{
    struct wstream *s = &w->s[i];
    char base[ISAC_SIGMF_NAME_MAX + 32];
    if (i < w->num_rx)
        snprintf(base, sizeof base, "%s-rx%u", w->name, i);
    else
        snprintf(base, sizeof base, "%s-txref", w->name);
    s->base = strdup(base);
    s->data_tmp = cap_join(w->dir, base, ".sigmf-data.tmp");
    s->data_final = cap_join(w->dir, base, ".sigmf-data");
    s->meta_tmp = cap_join(w->dir, base, ".sigmf-meta.tmp");
    s->meta_final = cap_join(w->dir, base, ".sigmf-meta");
    if (!s->base || !s->data_tmp || !s->data_final || !s->meta_tmp || !s->meta_final) {
        isac_seterr(err, errlen, "sigmf writer: out of memory");
        return ISAC_ENOMEM;
    }
    /* exclusively: another run's temporary (or a planted link) is never truncated */
    s->fd = isac_create_excl(s->data_tmp, err, errlen);
    if (s->fd < 0) {
        s->fd = -1;
        return ISAC_EIO;
    }
    s->data_created = 1;
    return isac_cap_hash_init(&s->sha, ISAC_CAP_SHA512);
}

static char *default_hw(const struct isac_radio_info *in)
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
        isac_seterr(err, errlen, "%s: cannot create directory: %s", dir, strerror(errno));
        return ISAC_EIO;
    }
    char *coll = cap_join(dir, name, ".sigmf-collection");
    if (!coll) {
        isac_seterr(err, errlen, "sigmf writer: out of memory");
        return ISAC_ENOMEM;
    }
    int exists = access(coll, F_OK) == 0;
    if (exists)
        isac_seterr(err, errlen, "%s: exists: refusing to overwrite a finished capture", coll);
    free(coll);
    return exists ? ISAC_EIO : ISAC_OK;
}

isac_sigmf_writer isac_sigmf_writer_create(const char *dir, const char *name,
                                           const struct isac_sigmf_writer_desc *desc, char *err,
                                           size_t errlen)
{
    if (check_desc(dir, name, desc, err, errlen) || prepare_dir(dir, name, err, errlen))
        return NULL;
    isac_sigmf_writer w = calloc(1, sizeof *w);
    if (!w)
        goto nomem;
    snprintf(w->name, sizeof w->name, "%s", name);
    w->info = *desc->info;
    if (isac_radio_info_check_positions(&w->info, NULL, 0))
        isac_radio_info_fill_ula(&w->info); /* a caller that filled only the spacing */
    w->num_rx = desc->info->num_rx;
    w->dir = strdup(dir);
    w->s = calloc(w->num_rx + 1, sizeof *w->s);
    w->radio_json = isac_sigmf_radio_info_to_json(&w->info);
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
            isac_sigmf_writer_abort(w);
            return NULL;
        }
    return w;
nomem:
    isac_seterr(err, errlen, "sigmf writer: out of memory");
    cap_writer_free(w);
    return NULL;
}

size_t isac_sigmf_writer_num_cpis(isac_sigmf_writer w)
{
    return w ? w->ncpi : 0;
}

int isac_sigmf_writer_set_rx_phase_offset(isac_sigmf_writer w, const double *deg)
{
    if (!w)
        return ISAC_EINVAL;
    for (unsigned k = 0; deg && k < w->num_rx; k++)
        if (!(fabs(deg[k]) <= 360.0)) {
            isac_seterr(w->err, sizeof w->err,
                        "sigmf writer: rx_phase_offset_deg[%u] %g out of range", k, deg[k]);
            return ISAC_EINVAL;
        }
    if (!deg) {
        free(w->phase_deg);
        w->phase_deg = NULL;
        return ISAC_OK;
    }
    if (!w->phase_deg && !(w->phase_deg = malloc(w->num_rx * sizeof *w->phase_deg))) {
        isac_seterr(w->err, sizeof w->err, "sigmf writer: out of memory");
        return ISAC_ENOMEM;
    }
    memcpy(w->phase_deg, deg, w->num_rx * sizeof *w->phase_deg);
    return ISAC_OK;
}

const char *isac_sigmf_writer_last_error(isac_sigmf_writer w)
{
    return w ? w->err : "no writer";
}

void isac_sigmf_writer_abort(isac_sigmf_writer w)
{
    if (!w)
        return;
    for (unsigned i = 0; w->s && i <= w->num_rx; i++) {
        if (w->s[i].fd >= 0) {
            close(w->s[i].fd);
            w->s[i].fd = -1;
        }
        /* only what this run created: never another run's files */
        if (w->s[i].data_created)
            unlink(w->s[i].data_tmp);
        if (w->s[i].meta_created)
            unlink(w->s[i].meta_tmp);
    }
    cap_writer_free(w);
}
