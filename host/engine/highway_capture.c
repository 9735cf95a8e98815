/* Captures of highway runs (see highway.h and highway_io.h). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/err.h"
#include "common/file_open.h"
#include "common/out_dir.h"
#include "engine/highway_io.h"
#include "track/traffic.h"

#define HWY_CAPTURE_VERSION "1.0.0"

int isac_hwy_capture_exists(const char *dir)
{
    char p[1100];
    struct stat st;
    snprintf(p, sizeof p, "%s/highway.sigmf-meta", dir);
    return stat(p, &st) == 0;
}

static void paths(isac_hwy_io io, const char *dir)
{
    snprintf(io->data_path, sizeof io->data_path, "%s/highway.sigmf-data", dir);
    snprintf(io->data_tmp, sizeof io->data_tmp, "%s/highway.sigmf-data.tmp", dir);
    snprintf(io->meta_path, sizeof io->meta_path, "%s/highway.sigmf-meta", dir);
    snprintf(io->meta_tmp, sizeof io->meta_tmp, "%s/highway.sigmf-meta.tmp", dir);
}

isac_hwy_io isac_hwy_record_open(const char *dir, const char *yaml_text,
                                 const struct isac_hwy_config *c, char *err, size_t errlen)
{
    isac_hwy_io io = calloc(1, sizeof(*io));
    if (!io) {
        isac_seterr(err, errlen, "%s: out of memory", dir);
        return NULL;
    }
    io->mode = ISAC_HWY_IO_RECORD;
    paths(io, dir);
    if (isac_hwy_capture_exists(dir)) {
        isac_seterr(err, errlen, "%s: a highway capture is already there", io->meta_path);
        free(io);
        return NULL;
    }
    io->yaml = strdup(yaml_text ? yaml_text : "scene: highway\n");
    io->seed = c->seed;
    io->slots = json_array();
    io->captures = json_array();
    io->annotations = json_array();
    io->data = isac_fcreate_excl(io->data_tmp, err, errlen); /* never another run's file */
    if (!io->yaml || !io->slots || !io->captures || !io->annotations || !io->data) {
        if (!io->data && !err[0])
            isac_seterr(err, errlen, "%s: cannot create", io->data_tmp);
        if (!io->data)
            io->mode = 0; /* nothing of this run to remove */
        isac_hwy_io_close(io);
        return NULL;
    }
    return io;
}

/* The slot object n of a recording, appended on first use. */
static json_t *slot_obj(isac_hwy_io io, unsigned n)
{
    while (json_array_size(io->slots) <= n)
        json_array_append_new(io->slots, json_pack("{s:[],s:[]}", "truth", "meas"));
    return json_array_get(io->slots, n);
}

int isac_hwy_io_put_truth(isac_hwy_io io, unsigned n, const struct isac_hwy_truth *t, unsigned nt)
{
    json_t *a = json_object_get(slot_obj(io, n), "truth");
    for (unsigned i = 0; i < nt; i++)
        if (json_array_append_new(a, json_pack("[i,f,f,f,f,f,f,f]", (int)t[i].id, t[i].s[0],
                                               t[i].s[1], t[i].s[2], t[i].s[3], t[i].nf_db,
                                               t[i].cfo_hz, fmin(t[i].k_db, 100.0))))
            return ISAC_ENOMEM;
    return ISAC_OK;
}

int isac_hwy_io_put_meas(isac_hwy_io io, unsigned n, const struct isac_trk_meas *m, unsigned nm)
{
    json_t *a = json_object_get(slot_obj(io, n), "meas");
    for (unsigned i = 0; i < nm; i++)
        if (json_array_append_new(a, json_pack("[i,f,f,f,f,f,f,i]", (int)m[i].rsu, m[i].u, m[i].d,
                                               m[i].r, m[i].su, m[i].sd, m[i].sr, m[i].truth_id)))
            return ISAC_ENOMEM;
    return ISAC_OK;
}

int isac_hwy_io_put_rx(isac_hwy_io io, unsigned n, unsigned rsu, unsigned user, int64_t t0,
                       const float complex *y, size_t ny)
{
    /* cf32_le: the host's float complex layout on the little-endian machines isactb
     * targets (the main capture writer makes the same assumption) */
    if (fwrite(y, sizeof(*y), ny, io->data) != ny)
        return ISAC_EIO;
    json_array_append_new(io->captures,
                          json_pack("{s:I,s:I}", "core:sample_start", (json_int_t)io->offset,
                                    "core:global_index", (json_int_t)t0));
    json_array_append_new(io->annotations,
                          json_pack("{s:I,s:I,s:i,s:i,s:i}", "core:sample_start",
                                    (json_int_t)io->offset, "core:sample_count", (json_int_t)ny,
                                    "isactb:slot", (int)n, "isactb:rsu", (int)rsu, "isactb:user",
                                    (int)user));
    io->offset += ny;
    return ISAC_OK;
}

int isac_hwy_io_finish(isac_hwy_io io, const json_t *result, char *err, size_t errlen)
{
    if (!io || io->mode != ISAC_HWY_IO_RECORD)
        return ISAC_EINVAL;
    int bad = fflush(io->data) || fsync(fileno(io->data));
    bad |= fclose(io->data);
    io->data = NULL;
    json_t *meta =
        json_pack("{s:{s:s,s:s,s:f,s:i,s:s,s:s,s:[{s:s,s:s,s:b}],s:s,s:I,s:O,s:O},s:O,s:O}",
                  "global", "core:datatype", "cf32_le", "core:version", "1.2.0", "core:sample_rate",
                  json_real_value(json_object_get(json_object_get(result, "config"), "fs")),
                  "core:num_channels", 1, "core:recorder", "isactb", "core:description",
                  "isactb highway scene: every user's received IQ, one segment per reception",
                  "core:extensions", "name", "isactb", "version", HWY_CAPTURE_VERSION, "optional",
                  1, "isactb:config_yaml", io->yaml, "isactb:seed", (json_int_t)io->seed,
                  "isactb:slots", io->slots, "isactb:result", result, "captures", io->captures,
                  "annotations", io->annotations);
    FILE *isac_mf = meta && !bad ? isac_fcreate_excl(io->meta_tmp, err, errlen) : NULL;
    if (isac_mf) {
        io->meta_created = 1;
        bad |= json_dumpf(meta, isac_mf, JSON_COMPACT);
        bad |= fclose(isac_mf);
    }
    if (!isac_mf || bad || isac_rename_noreplace(io->data_tmp, io->data_path, err, errlen) ||
        isac_rename_noreplace(io->meta_tmp, io->meta_path, err, errlen)) {
        json_decref(meta);
        if (io->meta_created && !remove(io->meta_tmp))
            io->meta_created = 0;
        if (!err[0])
            isac_seterr(err, errlen, "%s: cannot write the capture", io->meta_path);
        return ISAC_EIO;
    }
    json_decref(meta);
    io->mode = 0; /* finished: close keeps the files */
    return ISAC_OK;
}

void isac_hwy_io_close(isac_hwy_io io)
{
    if (!io)
        return;
    if (io->data)
        fclose(io->data);
    if (io->mode == ISAC_HWY_IO_RECORD) {
        remove(io->data_tmp); /* created by isac_hwy_record_open */
        if (io->meta_created)
            remove(io->meta_tmp);
    }
    json_decref(io->slots);
    json_decref(io->captures);
    json_decref(io->annotations);
    json_decref(io->meta);
    free(io->yaml);
    free(io);
}

/* ---- replay ---- */

isac_hwy_io isac_hwy_replay_open(const char *dir, struct isac_hwy_config *c, char *err,
                                 size_t errlen)
{
    isac_hwy_io io = calloc(1, sizeof(*io));
    if (!io) {
        isac_seterr(err, errlen, "%s: out of memory", dir);
        return NULL;
    }
    io->mode = ISAC_HWY_IO_REPLAY;
    paths(io, dir);
    json_error_t je = {0};
    FILE *isac_mf = isac_fopen_input(io->meta_path, NULL, err, errlen); /* regular files only */
    io->meta = isac_mf ? json_loadf(isac_mf, 0, &je) : NULL;
    if (isac_mf)
        fclose(isac_mf);
    const json_t *g = json_object_get(io->meta, "global");
    const json_t *ext = json_array_get(json_object_get(g, "core:extensions"), 0);
    const char *yaml = json_string_value(json_object_get(g, "isactb:config_yaml"));
    const json_t *seed = json_object_get(g, "isactb:seed");
    if (!io->meta) {
        if (isac_mf)
            isac_seterr(err, errlen, "%s: %s", io->meta_path, je.text);
        goto fail;
    }
    const char *ver = json_string_value(json_object_get(ext, "version"));
    if (!ver || strcmp(ver, HWY_CAPTURE_VERSION)) {
        isac_seterr(err, errlen,
                    "%s: core:extensions: isactb highway capture version %s "
                    "expected",
                    io->meta_path, HWY_CAPTURE_VERSION);
        goto fail;
    }
    if (!yaml || !json_is_integer(seed) || !json_is_array(json_object_get(g, "isactb:slots")) ||
        !json_is_object(json_object_get(g, "isactb:result")) ||
        !json_is_array(json_object_get(io->meta, "annotations"))) {
        isac_seterr(err, errlen,
                    "%s: global: isactb:config_yaml, isactb:seed, isactb:slots or "
                    "isactb:result missing",
                    io->meta_path);
        goto fail;
    }
    char src[1200];
    snprintf(src, sizeof src, "%s: isactb:config_yaml", io->meta_path);
    if (isac_hwy_config_load_text(yaml, src, c, err, errlen))
        goto fail;
    c->seed = (uint64_t)json_integer_value(seed);
    io->slots = json_incref(json_object_get(g, "isactb:slots"));
    io->annotations = json_incref(json_object_get(io->meta, "annotations"));
    io->data = isac_fopen_input(io->data_path, NULL, err, errlen); /* regular files only */
    if (!io->data)
        goto fail;
    return io;
fail:
    io->mode = 0;
    isac_hwy_io_close(io);
    return NULL;
}

const json_t *isac_hwy_io_recorded_result(isac_hwy_io io)
{
    return json_object_get(json_object_get(io->meta, "global"), "isactb:result");
}

static const json_t *slot_get(isac_hwy_io io, unsigned n, const char *key, char *err, size_t errlen)
{
    const json_t *a = json_object_get(json_array_get(io->slots, n), key);
    if (!json_is_array(a))
        isac_seterr(err, errlen, "%s: isactb:slots[%u].%s missing", io->meta_path, n, key);
    return json_is_array(a) ? a : NULL;
}

static double num(const json_t *a, size_t i)
{
    return json_number_value(json_array_get(a, i));
}

int isac_hwy_io_get_truth(isac_hwy_io io, unsigned n, struct isac_hwy_truth *t, unsigned *nt,
                          char *err, size_t errlen)
{
    const json_t *a = slot_get(io, n, "truth", err, errlen);
    if (!a)
        return ISAC_EFORMAT;
    if (json_array_size(a) > ISAC_HW_MAX_VEHICLES) {
        isac_seterr(err, errlen, "%s: isactb:slots[%u].truth: %zu vehicles, at most %d",
                    io->meta_path, n, json_array_size(a), ISAC_HW_MAX_VEHICLES);
        return ISAC_EFORMAT;
    }
    *nt = 0;
    for (size_t i = 0; i < json_array_size(a); i++) {
        const json_t *v = json_array_get(a, i);
        if (json_array_size(v) != 8) {
            isac_seterr(err, errlen, "%s: isactb:slots[%u].truth[%zu]: 8 numbers expected",
                        io->meta_path, n, i);
            return ISAC_EFORMAT;
        }
        struct isac_hwy_truth *x = &t[(*nt)++];
        x->id = (unsigned)json_integer_value(json_array_get(v, 0));
        for (unsigned k = 0; k < 4; k++)
            x->s[k] = num(v, 1 + k);
        x->nf_db = num(v, 5);
        x->cfo_hz = num(v, 6);
        x->k_db = num(v, 7);
    }
    return ISAC_OK;
}

int isac_hwy_io_get_meas(isac_hwy_io io, unsigned n, struct isac_trk_meas **m, unsigned *nm,
                         char *err, size_t errlen)
{
    const json_t *a = slot_get(io, n, "meas", err, errlen);
    if (!a)
        return ISAC_EFORMAT;
    size_t k = json_array_size(a);
    *m = malloc((k + 1) * sizeof(**m));
    if (!*m)
        return ISAC_ENOMEM;
    for (size_t i = 0; i < k; i++) {
        const json_t *v = json_array_get(a, i);
        if (json_array_size(v) != 8) {
            isac_seterr(err, errlen, "%s: isactb:slots[%u].meas[%zu]: 8 numbers expected",
                        io->meta_path, n, i);
            free(*m);
            *m = NULL;
            return ISAC_EFORMAT;
        }
        (*m)[i] = (struct isac_trk_meas){(unsigned)json_integer_value(json_array_get(v, 0)),
                                         num(v, 1),
                                         num(v, 2),
                                         num(v, 3),
                                         num(v, 4),
                                         num(v, 5),
                                         num(v, 6),
                                         (int)json_integer_value(json_array_get(v, 7))};
    }
    *nm = (unsigned)k;
    return ISAC_OK;
}

int isac_hwy_io_get_rx(isac_hwy_io io, unsigned n, unsigned rsu, unsigned user, float complex *y,
                       size_t ny, char *err, size_t errlen)
{
    const json_t *an = json_array_get(io->annotations, io->next_rx);
    json_int_t start = json_integer_value(json_object_get(an, "core:sample_start"));
    json_int_t count = json_integer_value(json_object_get(an, "core:sample_count"));
    if (!an || json_integer_value(json_object_get(an, "isactb:slot")) != n ||
        json_integer_value(json_object_get(an, "isactb:rsu")) != rsu ||
        json_integer_value(json_object_get(an, "isactb:user")) != user || count != (json_int_t)ny) {
        isac_seterr(err, errlen,
                    "%s: annotations[%zu]: no reception of user %u from RSU %u in slot %u "
                    "(%zu samples) where the replay needs it",
                    io->meta_path, io->next_rx, user, rsu, n, ny);
        return ISAC_EFORMAT;
    }
    if (fseeko(io->data, (off_t)start * (off_t)sizeof(*y), SEEK_SET) ||
        fread(y, sizeof(*y), ny, io->data) != ny) {
        isac_seterr(err, errlen, "%s: samples %lld..%lld missing", io->data_path, (long long)start,
                    (long long)(start + count));
        return ISAC_EFORMAT;
    }
    io->next_rx++;
    return ISAC_OK;
}
