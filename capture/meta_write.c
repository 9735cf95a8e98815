/* Writer: finish() (capture/sigmf.h). Closes the data files at the last complete CPI,
 * writes every .sigmf-meta and the .sigmf-collection (shared records and isactb:cpis,
 * once) to temporaries, then renames data, metas and, last, the collection into place;
 * on failure removes everything it wrote. */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/err.h"
#include "common/out_dir.h"
#include "sigmf_internal.h"

static json_t *extensions(int spatial)
{
    json_t *a = json_array();
    if (spatial)
        json_array_append_new(a, json_pack("{s:s,s:s,s:b}", "name", "spatial", "version",
                                           ISAC_SIGMF_SPATIAL_VERSION, "optional", 1));
    json_array_append_new(a, json_pack("{s:s,s:s,s:b}", "name", "isactb", "version",
                                       ISAC_SIGMF_ISACTB_VERSION, "optional", 1));
    return a;
}

static json_t *meta_global(isac_sigmf_writer w, unsigned i, const struct wstream *s,
                           const char *hash)
{
    int rx = i < w->num_rx;
    json_t *g = json_pack("{s:s,s:s,s:f,s:i,s:s,s:s,s:s,s:s,s:o}", "core:datatype", "cf32_le",
                          "core:version", ISAC_SIGMF_VERSION, "core:sample_rate",
                          w->info.sample_rate, "core:num_channels", 1, "core:recorder", "isactb",
                          "core:hw", w->hw, "core:collection", w->name, "core:sha512", hash,
                          "core:extensions", extensions(rx));
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
static json_t *rx_captures(isac_sigmf_writer w, unsigned ch)
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

static int write_file(const char *path, const char *text, int *created, char *err, size_t errlen)
{
    int fd = isac_create_excl(path, err, errlen);
    if (fd < 0)
        return ISAC_EIO;
    *created = 1;
    if (cap_write_all(fd, text, strlen(text), 0) || cap_write_all(fd, "\n", 1, strlen(text)) ||
        fsync(fd)) {
        isac_seterr(err, errlen, "%s: write failed: %s", path, strerror(errno));
        close(fd);
        return ISAC_EIO;
    }
    if (close(fd)) {
        isac_seterr(err, errlen, "%s: close failed: %s", path, strerror(errno));
        return ISAC_EIO;
    }
    return ISAC_OK;
}

static int dump_to(const char *path, json_t *doc, char *hash_out, int *created, char *err,
                   size_t errlen)
{
    char *text = doc ? json_dumps(doc, JSON_COMPACT) : NULL;
    json_decref(doc);
    if (!text) {
        isac_seterr(err, errlen, "%s: out of memory building metadata", path);
        return ISAC_ENOMEM;
    }
    if (hash_out) {
        /* the hash covers the file exactly as written, trailing newline included */
        struct isac_cap_hash h;
        int rc = isac_cap_hash_init(&h, ISAC_CAP_SHA512);
        isac_cap_hash_update(&h, text, strlen(text));
        isac_cap_hash_update(&h, "\n", 1);
        if (!rc)
            rc = isac_cap_hash_peek(&h, hash_out);
        isac_cap_hash_free(&h);
        if (rc) {
            free(text);
            isac_seterr(err, errlen, "%s: out of memory hashing metadata", path);
            return rc;
        }
    }
    int rc = write_file(path, text, created, err, errlen);
    free(text);
    return rc;
}

static int write_meta(isac_sigmf_writer w, unsigned i, char hash[129], char *err, size_t errlen)
{
    struct wstream *s = &w->s[i];
    char data_hash[129];
    if (isac_cap_hash_peek(&s->sha, data_hash)) {
        isac_seterr(err, errlen, "%s: out of memory hashing data", s->data_tmp);
        return ISAC_ENOMEM;
    }
    int rx = i < w->num_rx;
    json_t *g = meta_global(w, i, s, data_hash);
    json_t *caps = rx ? rx_captures(w, i) : json_incref(w->tx_caps);
    /* every CPI is described once, in the collection's isactb:cpis; the annotations
     * only mark each CPI's samples and band for SigMF viewers */
    json_t *ann = cap_annotations(w, rx);
    json_t *doc = (g && caps && ann) ? json_pack("{s:o,s:o,s:o}", "global", g, "captures", caps,
                                                 "annotations", ann)
                                     : NULL;
    if (!doc && !(g && caps && ann)) {
        json_decref(g);
        json_decref(caps);
        json_decref(ann);
    }
    return dump_to(s->meta_tmp, doc, hash, &s->meta_created, err, errlen);
}

static json_t *element_geometry(const struct isac_radio_info *in)
{
    double f = in->emulated_freq > 0 ? in->emulated_freq : in->center_freq;
    double lambda = f > 0 ? ISAC_GEOM_C0 / f : 0;
    json_t *a = json_array();
    for (unsigned ap = 0, ch = 0; a && ap < in->num_rx_aps; ap++)
        for (unsigned m = 0; m < in->rx_ap_elements[ap]; m++, ch++) {
            const struct isac_geom_ap *g = &in->rx_ap[ap];
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

static int write_collection(isac_sigmf_writer w, char (*hashes)[129], const char *path,
                            int *created, char *err, size_t errlen)
{
    json_t *streams = json_array();
    for (unsigned i = 0; streams && i <= w->num_rx; i++)
        if (json_array_append_new(streams, json_pack("[s,s]", w->s[i].base, hashes[i]))) {
            json_decref(streams);
            streams = NULL;
        }
    json_t *c = streams ? json_pack("{s:s,s:o,s:o,s:o}", "core:version", ISAC_SIGMF_VERSION,
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
    if (c &&
        (json_object_set(c, "isactb:radio", w->radio_json) ||
         json_object_update(c, w->global_extra) || json_object_set(c, "isactb:cpis", w->cpis))) {
        json_decref(c);
        c = NULL;
    }
    return dump_to(path, c ? json_pack("{s:o}", "collection", c) : NULL, NULL, created, err,
                   errlen);
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

static int close_data(isac_sigmf_writer w, char *err, size_t errlen)
{
    for (unsigned i = 0; i <= w->num_rx; i++) {
        struct wstream *s = &w->s[i];
        /* drop whatever a failed append left past the last complete CPI */
        if (ftruncate(s->fd, (off_t)(s->committed * sizeof(float complex))) || fsync(s->fd) ||
            close(s->fd)) {
            isac_seterr(err, errlen, "%s: %s", s->data_tmp, strerror(errno));
            s->fd = -1;
            return ISAC_EIO;
        }
        s->fd = -1;
    }
    return ISAC_OK;
}

/* Undo a failed finish: every temporary this run created and every file it renamed
 * into place (renamed counts files: data then meta of stream 0, 1, ...). */
static void finish_cleanup(isac_sigmf_writer w, const char *coll_tmp, int coll_created,
                           unsigned renamed)
{
    for (unsigned i = 0; i <= w->num_rx; i++) {
        if (w->s[i].data_created && 2 * i >= renamed)
            unlink(w->s[i].data_tmp);
        if (w->s[i].meta_created && 2 * i + 1 >= renamed)
            unlink(w->s[i].meta_tmp);
        if (2 * i < renamed)
            unlink(w->s[i].data_final);
        if (2 * i + 1 < renamed)
            unlink(w->s[i].meta_final);
    }
    if (coll_tmp && coll_created)
        unlink(coll_tmp);
}

static int rename_streams(isac_sigmf_writer w, unsigned *renamed, char *err, size_t errlen)
{
    for (unsigned i = 0; i <= w->num_rx; i++) {
        struct wstream *s = &w->s[i];
        /* never over a file of the final name that this run did not write */
        if (isac_rename_noreplace(s->data_tmp, s->data_final, err, errlen))
            return ISAC_EIO;
        (*renamed)++;
        if (isac_rename_noreplace(s->meta_tmp, s->meta_final, err, errlen))
            return ISAC_EIO;
        (*renamed)++;
    }
    return ISAC_OK;
}

int isac_sigmf_writer_finish(isac_sigmf_writer w, char *err, size_t errlen)
{
    if (!w) {
        isac_seterr(err, errlen, "sigmf writer: NULL writer");
        return ISAC_EINVAL;
    }
    char(*hashes)[129] = calloc(w->num_rx + 1, sizeof *hashes);
    char *coll = cap_join(w->dir, w->name, ".sigmf-collection");
    char *coll_tmp = cap_join(w->dir, w->name, ".sigmf-collection.tmp");
    unsigned renamed = 0;
    int coll_created = 0;
    int rc = (!hashes || !coll || !coll_tmp) ? ISAC_ENOMEM : close_data(w, err, errlen);
    if (rc == ISAC_ENOMEM)
        isac_seterr(err, errlen, "sigmf writer: out of memory");
    for (unsigned i = 0; !rc && i <= w->num_rx; i++)
        rc = write_meta(w, i, hashes[i], err, errlen);
    if (!rc)
        rc = write_collection(w, hashes, coll_tmp, &coll_created, err, errlen);
    if (!rc)
        rc = rename_streams(w, &renamed, err, errlen);
    if (!rc && sync_dir(w->dir)) {
        isac_seterr(err, errlen, "%s: fsync failed: %s", w->dir, strerror(errno));
        rc = ISAC_EIO;
    }
    if (!rc && !(rc = isac_rename_noreplace(coll_tmp, coll, err, errlen)) && sync_dir(w->dir)) {
        isac_seterr(err, errlen, "%s: fsync failed: %s", w->dir, strerror(errno));
        rc = ISAC_EIO;
    }
    if (rc == ISAC_OK)
        coll_created = 0; /* renamed: no temporary left to remove */
    if (rc)
        finish_cleanup(w, coll_tmp, coll_created, renamed);
    free(hashes);
    free(coll);
    free(coll_tmp);
    cap_writer_free(w);
    return rc;
}
