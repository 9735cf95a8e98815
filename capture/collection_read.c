/* Reader: locating, opening and validating a recording's .sigmf-collection (the shared
 * records, the stream list with meta hashes, the radio), reader lifetime and accessors.
 * Each meta file is checked by meta_read.c, the CPI records by cpi_records.c. Every
 * check failure is one line "FILE: FIELD VALUE problem". */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/err.h"
#include "common/file_open.h"
#include "sigmf_internal.h"

/* ------------------------------------------------------------- paths */

static int ends_with(const char *s, const char *suf)
{
    size_t n = strlen(s), m = strlen(suf);
    return n >= m && !strcmp(s + n - m, suf);
}

static char *dirname_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (!slash)
        return strdup(".");
    if (slash == path)
        return strdup("/");
    return strndup(path, (size_t)(slash - path));
}

/* Whole file into memory (NUL-terminated). */
static char *slurp(const struct ectx *e, const char *path, size_t *len, int *rc)
{
    char why[320];
    int frc;
    FILE *f = isac_fopen_input(path, &frc, why, sizeof why); /* regular files only */
    if (!f) {
        const char *w = strncmp(why, path, strlen(path)) ? why : why + strlen(path);
        *rc = cap_efail(e, frc == ISAC_EFORMAT ? ISAC_EFORMAT : ISAC_EIO, "%s",
                        w[0] == ':' ? w + 2 : w);
        return NULL;
    }
    char *buf = NULL;
    size_t n = 0, cap = 0;
    for (;;) {
        if (n + 65536 + 1 > cap) {
            cap = 2 * cap + 65536 + 1;
            char *nb = realloc(buf, cap);
            if (!nb) {
                free(buf);
                fclose(f);
                *rc = cap_efail(e, ISAC_ENOMEM, "out of memory");
                return NULL;
            }
            buf = nb;
        }
        size_t k = fread(buf + n, 1, 65536, f);
        n += k;
        if (k < 65536)
            break;
    }
    int bad = ferror(f);
    fclose(f);
    if (bad) {
        free(buf);
        *rc = cap_efail(e, ISAC_EIO, "read failed");
        return NULL;
    }
    buf[n] = 0;
    *len = n;
    return buf;
}

static json_t *parse(const struct ectx *e, const char *text, size_t len, int *rc)
{
    json_error_t je;
    json_t *doc = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
    if (!doc)
        *rc = cap_efail(e, ISAC_EFORMAT, "malformed JSON at line %d column %d: %s", je.line,
                        je.column, je.text);
    else if (!json_is_object(doc)) {
        json_decref(doc);
        doc = NULL;
        *rc = cap_efail(e, ISAC_EFORMAT, "top level is not a JSON object");
    }
    return doc;
}

static json_t *load_json(const struct ectx *e, const char *path, int *rc)
{
    size_t len;
    char *text = slurp(e, path, &len, rc);
    if (!text)
        return NULL;
    json_t *doc = parse(e, text, len, rc);
    free(text);
    return doc;
}

/* The one finished collection in a directory (temporaries never count). */
static char *find_collection(const char *dir, char *err, size_t errlen)
{
    struct ectx e = {err, errlen, dir};
    DIR *d = opendir(dir);
    if (!d) {
        cap_efail(&e, ISAC_EIO, "cannot open directory: %s", strerror(errno));
        return NULL;
    }
    char *found = NULL;
    int n = 0;
    struct dirent *de;
    while ((de = readdir(d)))
        if (ends_with(de->d_name, ".sigmf-collection") && n++ == 0)
            found = cap_join(dir, de->d_name, "");
    closedir(d);
    if (n == 1)
        return found;
    free(found);
    if (n == 0)
        cap_efail(&e, ISAC_EFORMAT, "no .sigmf-collection file: not a finished capture");
    else
        cap_efail(&e, ISAC_EFORMAT, "%d .sigmf-collection files: name the one to open", n);
    return NULL;
}

static char *collection_from_meta(const char *path, char *err, size_t errlen)
{
    struct ectx e = {err, errlen, path};
    int rc;
    json_t *doc = load_json(&e, path, &rc);
    if (!doc)
        return NULL;
    const char *name;
    char *out = NULL, *dir = NULL;
    json_t *g = json_object_get(doc, "global");
    if (!json_is_object(g))
        cap_efail(&e, ISAC_EFORMAT, "global missing or not an object");
    else if (!cap_get_str(&e, g, "global ", "core:collection", &name)) {
        if (!*name || strchr(name, '/'))
            cap_efail(&e, ISAC_EFORMAT, "core:collection '%s' is not a base name", name);
        else if ((dir = dirname_of(path)))
            out = cap_join(dir, name, ".sigmf-collection");
    }
    free(dir);
    json_decref(doc);
    return out;
}

static char *resolve(const char *path, char *err, size_t errlen)
{
    struct ectx e = {err, errlen, path};
    struct stat st;
    if (stat(path, &st)) {
        cap_efail(&e, ISAC_EIO, "cannot open: %s", strerror(errno));
        return NULL;
    }
    if (S_ISDIR(st.st_mode))
        return find_collection(path, err, errlen);
    if (ends_with(path, ".sigmf-collection"))
        return strdup(path);
    if (ends_with(path, ".sigmf-meta"))
        return collection_from_meta(path, err, errlen);
    cap_efail(&e, ISAC_EINVAL, "not a capture directory, .sigmf-collection or .sigmf-meta");
    return NULL;
}

/* ------------------------------------------------------- collection */

static int stream_entry(const struct ectx *e, const json_t *item, size_t i, const char **name,
                        const char **hash)
{
    char b[80];
    if (json_is_array(item) && json_array_size(item) == 2) { /* the schema's tuple form */
        *name = json_string_value(json_array_get(item, 0));
        *hash = json_string_value(json_array_get(item, 1));
    } else if (json_is_object(item)) { /* the form the spec text describes */
        *name = json_string_value(json_object_get(item, "name"));
        *hash = json_string_value(json_object_get(item, "hash"));
    } else
        *name = *hash = NULL;
    if (!*name || !*hash)
        return cap_efail(e, ISAC_EFORMAT, "core:streams[%zu] %s is not [name, hash]", i,
                         cap_show(item, b, sizeof b));
    if (!**name || strchr(*name, '/'))
        return cap_efail(e, ISAC_EFORMAT, "core:streams[%zu] name '%s' is not a base name", i,
                         *name);
    return ISAC_OK;
}

/* Load one listed recording: its meta must hash to the listed SHA-512. */
static int load_stream(isac_sigmf_reader r, const struct ectx *ce, size_t i, const json_t *item)
{
    struct rstream *s = &r->st[i];
    const char *name, *hash;
    int rc = stream_entry(ce, item, i, &name, &hash);
    if (rc)
        return rc;
    s->meta_path = cap_join(r->dir, name, ".sigmf-meta");
    s->data_path = cap_join(r->dir, name, ".sigmf-data");
    if (!s->meta_path || !s->data_path)
        return cap_efail(ce, ISAC_ENOMEM, "out of memory");
    struct ectx e = {r->err, sizeof r->err, s->meta_path};
    size_t len;
    char *text = slurp(&e, s->meta_path, &len, &rc), hex[129];
    if (!text)
        return rc;
    if (isac_cap_hash_hex(ISAC_CAP_SHA512, text, len, hex)) {
        free(text);
        return cap_efail(ce, ISAC_ENOMEM, "out of memory");
    }
    if (strcasecmp(hex, hash)) {
        free(text);
        return cap_efail(ce, ISAC_EFORMAT,
                         "core:streams[%zu] hash does not match %s (SHA-512 %.16s...)", i,
                         s->meta_path, hex);
    }
    s->doc = parse(&e, text, len, &rc);
    free(text);
    if (!s->doc)
        return rc;
    double fs;
    if ((rc = cap_check_meta(r, s, &fs)))
        return rc;
    if (i && fs != r->fs)
        return cap_efail(&e, ISAC_EFORMAT, "core:sample_rate %.17g differs from %s (%.17g)", fs,
                         r->st[0].meta_path, r->fs);
    r->fs = fs;
    return ISAC_OK;
}

/* Assign streams to RX channels and the TX reference. */
static int classify(isac_sigmf_reader r, const struct ectx *ce)
{
    for (size_t i = 0; i < r->nstreams; i++)
        r->num_rx += (unsigned)r->st[i].is_rx;
    if (r->num_rx == 0 || r->num_rx > ISAC_RADIO_MAX_CHANNELS)
        return cap_efail(ce, ISAC_EFORMAT, "core:streams hold %u rx recordings (expected 1..%d)",
                         r->num_rx, ISAC_RADIO_MAX_CHANNELS);
    if (r->nstreams - r->num_rx != 1)
        return cap_efail(ce, ISAC_EFORMAT, "core:streams hold %zu txref recordings (expected 1)",
                         r->nstreams - r->num_rx);
    r->rx = calloc(r->num_rx, sizeof *r->rx);
    if (!r->rx)
        return cap_efail(ce, ISAC_ENOMEM, "out of memory");
    for (size_t i = 0; i < r->nstreams; i++) {
        struct rstream *s = &r->st[i];
        struct ectx e = {r->err, sizeof r->err, s->meta_path};
        if (!s->is_rx) {
            r->tx = s;
            continue;
        }
        int64_t n = json_integer_value(
            json_object_get(json_object_get(s->doc, "global"), "spatial:num_elements"));
        if (n != r->num_rx)
            return cap_efail(&e, ISAC_EFORMAT,
                             "spatial:num_elements %lld but the collection lists %u rx recordings",
                             (long long)n, r->num_rx);
        if (r->rx[s->channel])
            return cap_efail(&e, ISAC_EFORMAT, "spatial:channel_index %d repeats %s", s->channel,
                             r->rx[s->channel]->meta_path);
        r->rx[s->channel] = s;
    }
    return ISAC_OK;
}

/* The layout version is the isactb extension's: 1.x captures repeated every shared
 * and per-CPI record in every .sigmf-meta; this reader reads 2.x only. */
static int check_format(const struct ectx *e, const json_t *c)
{
    const json_t *ext = json_object_get(c, "core:extensions"), *x;
    size_t i;
    json_array_foreach(ext, i, x)
    {
        const char *name = json_string_value(json_object_get(x, "name"));
        const char *ver = json_string_value(json_object_get(x, "version"));
        if (!name || strcmp(name, "isactb"))
            continue;
        if (ver && !strncmp(ver, "2.", 2))
            return ISAC_OK;
        return cap_efail(e, ISAC_EFORMAT,
                         "isactb capture format %s not supported (this isactb reads %s; "
                         "re-record it)",
                         ver ? ver : "(no version)", ISAC_SIGMF_ISACTB_VERSION);
    }
    return cap_efail(e, ISAC_EFORMAT,
                     "core:extensions does not declare isactb: not an isactb capture (format %s)",
                     ISAC_SIGMF_ISACTB_VERSION);
}

static int check_radio(isac_sigmf_reader r, const struct ectx *e, const json_t *c)
{
    json_t *isac_radio = json_object_get(c, "isactb:radio");
    if (!isac_radio)
        return cap_efail(e, ISAC_EFORMAT, "isactb:radio missing");
    int rc = cap_radio_from_json(e, isac_radio, &r->info);
    if (rc)
        return rc;
    if (r->info.num_rx != r->num_rx)
        return cap_efail(e, ISAC_EFORMAT,
                         "isactb:radio.num_rx %u but the collection lists %u rx recordings",
                         r->info.num_rx, r->num_rx);
    if (r->info.sample_rate != r->fs)
        return cap_efail(e, ISAC_EFORMAT,
                         "isactb:radio.sample_rate %.17g differs from core:sample_rate %.17g",
                         r->info.sample_rate, r->fs);
    return ISAC_OK;
}

static int check_collection(isac_sigmf_reader r)
{
    struct ectx e = {r->err, sizeof r->err, r->coll_path};
    json_t *c = json_object_get(r->coll, "collection");
    const char *ver;
    char b[80];
    int rc;
    if (!json_is_object(c))
        return cap_efail(&e, ISAC_EFORMAT, "collection missing or not an object");
    if ((rc = cap_get_str(&e, c, "", "core:version", &ver)))
        return rc;
    if (strncmp(ver, "1.", 2))
        return cap_efail(&e, ISAC_EFORMAT, "core:version '%s' not supported (expected %s)", ver,
                         ISAC_SIGMF_VERSION);
    if ((rc = cap_check_extensions(&e, c)) || (rc = check_format(&e, c)) ||
        (rc = cap_parse_cpis(r, &e, c)))
        return rc;
    json_t *streams = json_object_get(c, "core:streams");
    if (!json_is_array(streams) || json_array_size(streams) < 2)
        return cap_efail(&e, ISAC_EFORMAT, "core:streams %s is not an array of >= 2 recordings",
                         cap_show(streams, b, sizeof b));
    r->nstreams = json_array_size(streams);
    r->st = calloc(r->nstreams, sizeof *r->st);
    if (!r->st)
        return cap_efail(&e, ISAC_ENOMEM, "out of memory");
    for (size_t i = 0; i < r->nstreams; i++)
        r->st[i].fd = -1;
    for (size_t i = 0; i < r->nstreams; i++)
        if ((rc = load_stream(r, &e, i, json_array_get(streams, i))))
            return rc;
    if ((rc = classify(r, &e)))
        return rc;
    json_t *geom = json_object_get(c, "spatial:element_geometry");
    if (!json_is_array(geom) || json_array_size(geom) != r->num_rx)
        return cap_efail(&e, ISAC_EFORMAT,
                         "spatial:element_geometry %s is not an array of %u points",
                         cap_show(geom, b, sizeof b), r->num_rx);
    return check_radio(r, &e, c);
}

/* ------------------------------------------------------------- API */

isac_sigmf_reader isac_sigmf_reader_open(const char *path, char *err, size_t errlen)
{
    if (!path || !*path) {
        if (err && errlen)
            snprintf(err, errlen, "sigmf reader: empty path");
        return NULL;
    }
    char *coll = resolve(path, err, errlen);
    if (!coll)
        return NULL;
    isac_sigmf_reader r = calloc(1, sizeof *r);
    if (!r) {
        free(coll);
        if (err && errlen)
            snprintf(err, errlen, "sigmf reader: out of memory");
        return NULL;
    }
    r->coll_path = coll;
    r->dir = dirname_of(coll);
    struct ectx e = {r->err, sizeof r->err, coll};
    int rc = ISAC_ENOMEM;
    if (r->dir && (r->coll = load_json(&e, coll, &rc)))
        rc = check_collection(r);
    else if (!r->dir)
        cap_efail(&e, rc, "out of memory");
    if (rc) {
        if (err && errlen)
            snprintf(err, errlen, "%s", r->err);
        isac_sigmf_reader_close(r);
        return NULL;
    }
    return r;
}

void isac_sigmf_reader_close(isac_sigmf_reader r)
{
    if (!r)
        return;
    for (size_t i = 0; r->st && i < r->nstreams; i++) {
        struct rstream *s = &r->st[i];
        if (s->fd >= 0)
            close(s->fd);
        free(s->meta_path);
        free(s->data_path);
        free(s->seg);
        free(s->ann);
        json_decref(s->doc);
    }
    free(r->st);
    free(r->rx);
    free(r->cpi);
    json_decref(r->coll);
    free(r->coll_path);
    free(r->dir);
    free(r);
}

const json_t *isac_sigmf_reader_global(isac_sigmf_reader r)
{
    return json_object_get(r->coll, "collection");
}

void isac_sigmf_reader_radio_info(isac_sigmf_reader r, struct isac_radio_info *info)
{
    *info = r->info;
}
size_t isac_sigmf_reader_num_cpis(isac_sigmf_reader r)
{
    return r->ncpi;
}
unsigned isac_sigmf_reader_num_rx(isac_sigmf_reader r)
{
    return r->num_rx;
}
double isac_sigmf_reader_sample_rate(isac_sigmf_reader r)
{
    return r->fs;
}
const char *isac_sigmf_reader_path(isac_sigmf_reader r)
{
    return r->coll_path;
}
const char *isac_sigmf_reader_last_error(isac_sigmf_reader r)
{
    return r ? r->err : "no reader";
}
