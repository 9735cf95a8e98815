/* The capture module's JSON field helpers and shared names (capture/sigmf_internal.h):
 * one error context, typed field getters with "FILE: FIELD VALUE problem" messages,
 * the capability and caltype names, path joining. Used by reader and writer alike. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "sigmf_internal.h"

int cap_efail(const struct ectx *e, int code, const char *fmt, ...)
{
    if (!e->buf || !e->len)
        return code;
    size_t n = 0;
    if (e->file) {
        isac_seterr(e->buf, e->len, "%s: ", e->file);
        n = strlen(e->buf);
    }
    va_list ap;
    va_start(ap, fmt);
    isac_vseterr(e->buf + n, e->len - n, fmt, ap);
    va_end(ap);
    return code;
}

/* Short rendering of a JSON value for messages: strings in quotes, others as JSON. */
const char *cap_show(const json_t *v, char *buf, size_t len)
{
    if (!v)
        snprintf(buf, len, "(missing)");
    else if (json_is_string(v))
        snprintf(buf, len, "'%.60s'", json_string_value(v));
    else {
        char *t = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
        snprintf(buf, len, "%.60s%s", t ? t : "?", t && strlen(t) > 60 ? "..." : "");
        free(t);
    }
    return buf;
}

/* Integer field in [min, max]; absent -> ISAC_EFORMAT unless def is given. */
int cap_get_int(const struct ectx *e, const json_t *o, const char *pfx, const char *key,
                const int64_t *def, int64_t min, int64_t max, int64_t *out)
{
    json_t *v = json_object_get(o, key);
    char b[80];
    if (!v && def) {
        *out = *def;
        return ISAC_OK;
    }
    if (!v)
        return cap_efail(e, ISAC_EFORMAT, "%s%s missing", pfx, key);
    if (!json_is_integer(v))
        return cap_efail(e, ISAC_EFORMAT, "%s%s %s is not an integer", pfx, key,
                         cap_show(v, b, sizeof b));
    json_int_t x = json_integer_value(v);
    if (x < min || x > max)
        return cap_efail(e, ISAC_EFORMAT, "%s%s %lld out of range [%lld, %lld]", pfx, key,
                         (long long)x, (long long)min, (long long)max);
    *out = x;
    return ISAC_OK;
}

int cap_get_num(const struct ectx *e, const json_t *o, const char *pfx, const char *key,
                const double *def, double min, double max, double *out)
{
    json_t *v = json_object_get(o, key);
    char b[80];
    if (!v && def) {
        *out = *def;
        return ISAC_OK;
    }
    if (!v)
        return cap_efail(e, ISAC_EFORMAT, "%s%s missing", pfx, key);
    if (!json_is_number(v))
        return cap_efail(e, ISAC_EFORMAT, "%s%s %s is not a number", pfx, key,
                         cap_show(v, b, sizeof b));
    double x = json_number_value(v);
    if (!(x >= min && x <= max))
        return cap_efail(e, ISAC_EFORMAT, "%s%s %g out of range [%g, %g]", pfx, key, x, min, max);
    *out = x;
    return ISAC_OK;
}

int cap_get_str(const struct ectx *e, const json_t *o, const char *pfx, const char *key,
                const char **out)
{
    json_t *v = json_object_get(o, key);
    char b[80];
    *out = "";
    if (!v)
        return cap_efail(e, ISAC_EFORMAT, "%s%s missing", pfx, key);
    if (!json_is_string(v))
        return cap_efail(e, ISAC_EFORMAT, "%s%s %s is not a string", pfx, key,
                         cap_show(v, b, sizeof b));
    *out = json_string_value(v);
    return ISAC_OK;
}

/* ------------------------------------------- names shared by reader and writer */

const char *const cap_capability_names[] = {"timed_tx", "timed_rx", "hw_time", "lo_shared",
                                            "truth",    "scenario", "replay"};
const unsigned cap_num_capabilities = 7;

int cap_key_in(const char *key, const char *const *list)
{
    for (; *list; list++)
        if (!strcmp(key, *list))
            return 1;
    return 0;
}

int cap_caltype_ok(const char *caltype)
{
    static const char *const caltypes[] = {"tone", "xcorr", "ref", "other", NULL};
    return caltype && cap_key_in(caltype, caltypes);
}

char *cap_join(const char *dir, const char *name, const char *suffix)
{
    size_t n = strlen(dir) + strlen(name) + strlen(suffix) + 2;
    char *p = malloc(n);
    if (!p)
        return NULL;
    if (!strcmp(dir, "."))
        snprintf(p, n, "%s%s", name, suffix);
    else
        snprintf(p, n, "%s/%s%s", dir, name, suffix);
    return p;
}

/* SigMF: an extension with "optional": false is required to read the recording; one this
 * reader does not implement is refused rather than silently ignored (its fields may change
 * what the samples mean). spatial 1.x and isactb are implemented; any extension marked
 * optional is ignored when unknown. */
int cap_check_extensions(const struct ectx *e, const json_t *o)
{
    const json_t *ext = json_object_get(o, "core:extensions"), *x;
    char b[80];
    size_t i;
    if (!ext)
        return ISAC_OK;
    if (!json_is_array(ext))
        return cap_efail(e, ISAC_EFORMAT, "core:extensions %s is not an array",
                         cap_show(ext, b, sizeof b));
    json_array_foreach(ext, i, x)
    {
        const char *name = json_string_value(json_object_get(x, "name"));
        const char *ver = json_string_value(json_object_get(x, "version"));
        const json_t *opt = json_object_get(x, "optional");
        if (!name || !ver || !json_is_boolean(opt))
            return cap_efail(e, ISAC_EFORMAT,
                             "core:extensions[%zu] %s is not {name, version, optional}", i,
                             cap_show(x, b, sizeof b));
        int known = !strcmp(name, "isactb") || (!strcmp(name, "spatial") && !strncmp(ver, "1.", 2));
        if (json_is_false(opt) && !known)
            return cap_efail(e, ISAC_EFORMAT,
                             "core:extensions[%zu]: required extension '%s' %s is not implemented "
                             "(isactb reads spatial 1.x and isactb; an extension it may ignore "
                             "must say \"optional\": true)",
                             i, name, ver);
    }
    return ISAC_OK;
}
