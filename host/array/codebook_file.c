/* Codebook files: JSON, format "isactb-codebook" version 1 (codebooks/README.md). */
#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "array/codebook.h"
#include "common/err.h"
#include "common/out_dir.h"
#include "common/file_open.h"

#define CODEBOOK_FORMAT "isactb-codebook"
#define CODEBOOK_VERSION 1

static json_t *complex_pair(float complex z)
{
    return json_pack("[f,f]", (double)crealf(z), (double)cimagf(z));
}

json_t *codebook_to_json(codebook cb)
{
    unsigned M = codebook_elements(cb), Q = codebook_size(cb);
    json_t *pos = json_array(), *beams = json_array();
    const double *p = array_positions(codebook_array(cb));
    for (unsigned m = 0; m < M; m++)
        json_array_append_new(pos, json_real(p[m]));
    for (unsigned q = 0; q < Q; q++) {
        json_t *w = json_array();
        const float complex *wq = codebook_weights(cb, q);
        for (unsigned m = 0; m < M; m++)
            json_array_append_new(w, complex_pair(wq[m]));
        double a = codebook_angle(cb, q);
        json_array_append_new(beams,
                              json_pack("{s:o,s:o}", "angle_deg",
                                        isfinite(a) ? json_real(a * 180.0 / M_PI) : json_null(),
                                        "weights", w));
    }
    return json_pack("{s:s,s:i,s:i,s:o,s:o}", "format", CODEBOOK_FORMAT, "version",
                     CODEBOOK_VERSION, "elements", (json_int_t)M, "positions_wl", pos, "beams",
                     beams);
}

int codebook_save(codebook cb, const char *path, char *err, size_t errlen)
{
    if (!cb || !path)
        return ISAC_EINVAL;
    json_t *root = codebook_to_json(cb);
    if (!root) {
        isac_seterr(err, errlen, "%s: out of memory", path);
        return ISAC_ENOMEM;
    }
    size_t n = strlen(path) + 5;
    char *tmp = malloc(n);
    int rc = ISAC_ENOMEM;
    if (tmp) {
        snprintf(tmp, n, "%s.tmp", path);
        rc = ISAC_OK;
        FILE *f = isac_fcreate_excl(tmp, err, errlen); /* never another run's file */
        if (!f) {
            rc = ISAC_EIO;
        } else {
            int bad = json_dumpf(root, f, JSON_INDENT(1) | JSON_REAL_PRECISION(9)) != 0;
            bad |= fclose(f) != 0;
            if (bad || rename(tmp, path) != 0) {
                remove(tmp);
                isac_seterr(err, errlen, "%s: cannot write file", path);
                rc = ISAC_EIO;
            }
        }
    }
    free(tmp);
    json_decref(root);
    return rc;
}

static int get_number(json_t *v, double *out)
{
    if (!json_is_number(v))
        return -1;
    *out = json_number_value(v);
    return isfinite(*out) ? 0 : -1;
}

static int parse_positions(json_t *root, const char *path, unsigned M, double *pos, char *err,
                           size_t errlen)
{
    json_t *p = json_object_get(root, "positions_wl");
    if (!json_is_array(p) || json_array_size(p) != M) {
        isac_seterr(err, errlen, "%s: positions_wl: expected an array of %u numbers", path, M);
        return ISAC_EFORMAT;
    }
    for (unsigned m = 0; m < M; m++)
        if (get_number(json_array_get(p, m), &pos[m]) || fabs(pos[m]) > 1e4) {
            isac_seterr(err, errlen, "%s: positions_wl[%u]: not a finite position", path, m);
            return ISAC_EFORMAT;
        }
    return ISAC_OK;
}

static int parse_beam(json_t *b, const char *path, unsigned q, unsigned M, double *angle,
                      float complex *w, char *err, size_t errlen)
{
    json_t *a = json_object_get(b, "angle_deg"), *ws = json_object_get(b, "weights");
    *angle = NAN;
    if (!json_is_object(b) || (a && !json_is_null(a) && get_number(a, angle))) {
        isac_seterr(err, errlen, "%s: beams[%u].angle_deg: not a number or null", path, q);
        return ISAC_EFORMAT;
    }
    if (isfinite(*angle)) {
        if (fabs(*angle) > 90.0) {
            isac_seterr(err, errlen, "%s: beams[%u].angle_deg: %g outside [-90, 90]", path, q,
                        *angle);
            return ISAC_EFORMAT;
        }
        *angle *= M_PI / 180.0;
    }
    if (!json_is_array(ws) || json_array_size(ws) != M) {
        isac_seterr(err, errlen, "%s: beams[%u].weights: expected %u [re, im] pairs", path, q, M);
        return ISAC_EFORMAT;
    }
    for (unsigned m = 0; m < M; m++) {
        json_t *pr = json_array_get(ws, m);
        double re, im;
        if (!json_is_array(pr) || json_array_size(pr) != 2 ||
            get_number(json_array_get(pr, 0), &re) || get_number(json_array_get(pr, 1), &im) ||
            fabs(re) > 1e3 || fabs(im) > 1e3) {
            isac_seterr(err, errlen, "%s: beams[%u].weights[%u]: not a finite [re, im] pair", path,
                        q, m);
            return ISAC_EFORMAT;
        }
        w[m] = (float)re + I * (float)im;
    }
    return ISAC_OK;
}

codebook codebook_from_json(json_t *root, const char *path, char *err, size_t errlen)
{
    json_t *fmt = json_object_get(root, "format"), *ver = json_object_get(root, "version");
    json_t *el = json_object_get(root, "elements"), *beams = json_object_get(root, "beams");
    if (!json_is_object(root) || !json_is_string(fmt) ||
        strcmp(json_string_value(fmt), CODEBOOK_FORMAT)) {
        isac_seterr(err, errlen, "%s: format: expected \"%s\"", path, CODEBOOK_FORMAT);
        return NULL;
    }
    if (!json_is_integer(ver) || json_integer_value(ver) != CODEBOOK_VERSION) {
        isac_seterr(err, errlen, "%s: version: unsupported (expected %d)", path, CODEBOOK_VERSION);
        return NULL;
    }
    if (!json_is_integer(el) || json_integer_value(el) < 1 || json_integer_value(el) > 4096) {
        isac_seterr(err, errlen, "%s: elements: expected an integer in 1..4096", path);
        return NULL;
    }
    if (!json_is_array(beams) || json_array_size(beams) < 1 ||
        json_array_size(beams) > CODEBOOK_MAX_BEAMS) {
        isac_seterr(err, errlen, "%s: beams: expected an array of 1..%d beams", path,
                    CODEBOOK_MAX_BEAMS);
        return NULL;
    }
    unsigned M = (unsigned)json_integer_value(el), Q = (unsigned)json_array_size(beams);
    double *pos = malloc(M * sizeof *pos), *ang = malloc(Q * sizeof *ang);
    float complex *w = malloc((size_t)Q * M * sizeof *w);
    codebook cb = NULL;
    array arr = NULL;
    if (!pos || !ang || !w) {
        isac_seterr(err, errlen, "%s: out of memory", path);
        goto done;
    }
    if (parse_positions(root, path, M, pos, err, errlen))
        goto done;
    for (unsigned q = 0; q < Q; q++)
        if (parse_beam(json_array_get(beams, q), path, q, M, &ang[q], w + (size_t)q * M, err,
                       errlen))
            goto done;
    arr = array_create(pos, M);
    cb = arr ? codebook_create(arr, Q, ang, w) : NULL;
    if (!cb)
        isac_seterr(err, errlen, "%s: positions_wl: invalid array geometry", path);
done:
    array_destroy(arr);
    free(pos);
    free(ang);
    free(w);
    return cb;
}

codebook codebook_load(const char *path, char *err, size_t errlen)
{
    if (!path)
        return NULL;
    json_error_t je;
    char *text = NULL;
    size_t len = 0;
    /* a regular file only: a FIFO or device is refused without blocking */
    if (isac_read_input(path, 64u << 20, &text, &len, err, errlen))
        return NULL;
    json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
    free(text);
    if (!root) {
        if (je.line <= 0)
            isac_seterr(err, errlen, "%s: %s", path, je.text);
        else
            isac_seterr(err, errlen, "%s:%d:%d: %s", path, je.line, je.column, je.text);
        return NULL;
    }
    codebook cb = codebook_from_json(root, path, err, errlen);
    json_decref(root);
    return cb;
}
