/* capture/inputs.h: SHA-256 of the inputs of a run, and their check before a replay. */
#include "inputs.h"

#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "common/err.h"
#include "hash.h"

json_t *isac_cap_input_file(const char *path, char *err, size_t errlen)
{
    char hex[ISAC_CAP_SHA256_HEX];
    if (isac_cap_sha256_file(path, hex)) {
        isac_seterr(err, errlen, "%s: cannot read to hash it", path);
        return NULL;
    }
    return json_pack("{s:s,s:s}", "path", path, "sha256", hex);
}

/* Canonical: compact, keys sorted, reals as jansson prints them (shortest round trip). */
static int canonical_sha256(const json_t *j, char hex[ISAC_CAP_SHA256_HEX])
{
    char *text = j ? json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY) : NULL;
    int rc = text ? isac_cap_hash_hex(ISAC_CAP_SHA256, text, strlen(text), hex) : ISAC_ENOMEM;
    free(text);
    return rc;
}

json_t *isac_cap_input_json(const json_t *j, const char *key)
{
    char hex[ISAC_CAP_SHA256_HEX];
    if (canonical_sha256(j, hex))
        return NULL;
    return json_pack("{s:s,s:s}", "sha256", hex, "of", key);
}

/* One entry: the hash it has now ("" when the input is gone), and its name for messages. */
static int current_hash(const json_t *e, const json_t *shared, char now[ISAC_CAP_SHA256_HEX],
                        const char **name)
{
    const char *path = json_string_value(json_object_get(e, "path"));
    const char *of = json_string_value(json_object_get(e, "of"));
    now[0] = '\0';
    *name = path ? path : of;
    if (path) {
        int rc = isac_cap_sha256_file(path, now);
        if (rc == ISAC_EFORMAT) { /* a FIFO, socket or device now: not read, named as such */
            snprintf(now, ISAC_CAP_SHA256_HEX, "not a regular file");
            return ISAC_OK;
        }
        if (rc)
            now[0] = '\0'; /* unreadable or gone: reported as missing */
        return ISAC_OK;
    }
    const json_t *obj = of ? json_object_get(shared, of) : NULL;
    return obj ? canonical_sha256(obj, now) : ISAC_OK;
}

int isac_cap_inputs_verify(const json_t *inputs, const json_t *shared, char *err, size_t errlen)
{
    const char *role;
    const json_t *e;
    json_object_foreach((json_t *)inputs, role, e)
    {
        const char *want = json_string_value(json_object_get(e, "sha256")), *name;
        char now[ISAC_CAP_SHA256_HEX];
        if (!want || (!json_object_get(e, "path") && !json_object_get(e, "of"))) {
            isac_seterr(err, errlen, "isactb:inputs.%s: expected {path|of, sha256}", role);
            return ISAC_EFORMAT;
        }
        int rc = current_hash(e, shared, now, &name);
        if (rc)
            return rc;
        if (!strcmp(now, want))
            continue;
        if (!strcmp(now, "not a regular file"))
            isac_seterr(err, errlen, "%s: not a regular file (a FIFO, socket or device)",
                        name ? name : role);
        else
            isac_seterr(err, errlen, "%s: sha256 recorded %s, now %s", name ? name : role, want,
                        now[0] ? now : "missing");
        return ISAC_EFORMAT;
    }
    return ISAC_OK;
}
