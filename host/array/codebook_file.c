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
#define CODEBOOK_VERSION_MA 2 /* per-beam positions/masks and the "ma" object */

static const char *const MA_MODES[] = {"none", "continuous", "grid"};

static int has_layout(isac_codebook cb)
{
    for (unsigned q = 0; q < isac_codebook_size(cb); q++)
        if (isac_codebook_beam_positions(cb, q) || isac_codebook_beam_active(cb, q))
            return 1;
    return isac_codebook_ma(cb) != NULL;
}

static json_t *reals(const double *v, unsigned n)
{
    json_t *a = json_array();
    for (unsigned i = 0; a && i < n; i++)
        json_array_append_new(a, json_real(v[i]));
    return a;
}

/* The optional per-beam members of a version-2 beam object. */
static void beam_layout_to_json(isac_codebook cb, unsigned q, json_t *b)
{
    unsigned M = isac_codebook_elements(cb);
    const double *p = isac_codebook_beam_positions(cb, q);
    const unsigned char *a = isac_codebook_beam_active(cb, q);
    if (p)
        json_object_set_new(b, "positions_wl", reals(p, M));
    if (a) {
        json_t *m = json_array();
        for (unsigned i = 0; m && i < M; i++)
            json_array_append_new(m, json_integer(a[i]));
        json_object_set_new(b, "active", m);
    }
}

static json_t *ma_to_json(const struct isac_codebook_ma_info *ma)
{
    json_t *o =
        json_pack("{s:s,s:f,s:f,s:i}", "mode", MA_MODES[ma->mode], "region_wl", ma->region_wl,
                  "d_min_wl", ma->d_min_wl, "active", (json_int_t)ma->active);
    if (o && ma->mode == ISAC_CODEBOOK_MA_GRID)
        json_object_set_new(o, "grid_step_wl", json_real(ma->grid_step_wl));
    return o;
}

static json_t *complex_pair(float complex z)
{
    return json_pack("[f,f]", (double)crealf(z), (double)cimagf(z));
}

json_t *isac_codebook_to_json(isac_codebook cb)
{
    unsigned M = isac_codebook_elements(cb), Q = isac_codebook_size(cb);
    json_t *pos = json_array(), *beams = json_array();
    const double *p = isac_array_positions(isac_codebook_array(cb));
    for (unsigned m = 0; m < M; m++)
        json_array_append_new(pos, json_real(p[m]));
    for (unsigned q = 0; q < Q; q++) {
        json_t *w = json_array();
        const float complex *wq = isac_codebook_weights(cb, q);
        for (unsigned m = 0; m < M; m++)
            json_array_append_new(w, complex_pair(wq[m]));
        double a = isac_codebook_angle(cb, q);
        json_t *b =
            json_pack("{s:o,s:o}", "angle_deg",
                      isfinite(a) ? json_real(a * 180.0 / M_PI) : json_null(), "weights", w);
        if (b)
            beam_layout_to_json(cb, q, b);
        json_array_append_new(beams, b);
    }
    int ma = has_layout(cb);
    json_t *o = json_pack("{s:s,s:i,s:i,s:o,s:o}", "format", CODEBOOK_FORMAT, "version",
                          ma ? CODEBOOK_VERSION_MA : CODEBOOK_VERSION, "elements", (json_int_t)M,
                          "positions_wl", pos, "beams", beams);
    if (o && isac_codebook_ma(cb))
        json_object_set_new(o, "ma", ma_to_json(isac_codebook_ma(cb)));
    return o;
}

int isac_codebook_save(isac_codebook cb, const char *path, char *err, size_t errlen)
{
    if (!cb || !path)
        return ISAC_EINVAL;
    json_t *root = isac_codebook_to_json(cb);
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

/* Version 2: beam q's optional positions_wl and active mask. pos is scratch (M). */
static int parse_beam_layout(json_t *b, const char *path, unsigned q, isac_codebook cb, double *pos,
                             char *err, size_t errlen)
{
    unsigned M = isac_codebook_elements(cb);
    json_t *p = json_object_get(b, "positions_wl"), *a = json_object_get(b, "active");
    unsigned char *act = a ? malloc(M) : NULL;
    int rc = a && !act ? ISAC_ENOMEM : ISAC_OK;
    if (rc == ISAC_OK && p && (!json_is_array(p) || json_array_size(p) != M)) {
        isac_seterr(err, errlen, "%s: beams[%u].positions_wl: expected an array of %u numbers",
                    path, q, M);
        rc = ISAC_EFORMAT;
    }
    for (unsigned m = 0; rc == ISAC_OK && p && m < M; m++)
        if (get_number(json_array_get(p, m), &pos[m]) || fabs(pos[m]) > 1e4) {
            isac_seterr(err, errlen, "%s: beams[%u].positions_wl[%u]: not a finite position", path,
                        q, m);
            rc = ISAC_EFORMAT;
        }
    if (rc == ISAC_OK && a && (!json_is_array(a) || json_array_size(a) != M)) {
        isac_seterr(err, errlen, "%s: beams[%u].active: expected an array of %u 0/1 values", path,
                    q, M);
        rc = ISAC_EFORMAT;
    }
    unsigned on = 0;
    for (unsigned m = 0; rc == ISAC_OK && a && m < M; m++) {
        json_t *v = json_array_get(a, m);
        if (!json_is_integer(v) || (json_integer_value(v) != 0 && json_integer_value(v) != 1)) {
            isac_seterr(err, errlen, "%s: beams[%u].active[%u]: expected 0 or 1", path, q, m);
            rc = ISAC_EFORMAT;
        } else
            on += (act[m] = (unsigned char)json_integer_value(v));
    }
    if (rc == ISAC_OK && a && !on) {
        isac_seterr(err, errlen, "%s: beams[%u].active: no element is active", path, q);
        rc = ISAC_EFORMAT;
    }
    if (rc == ISAC_OK && (p || a) && isac_codebook_set_beam_layout(cb, q, p ? pos : NULL, act))
        rc = ISAC_ENOMEM;
    if (rc == ISAC_ENOMEM)
        isac_seterr(err, errlen, "%s: out of memory", path);
    free(act);
    return rc;
}

static int get_pos_number(json_t *o, const char *key, double *v)
{
    return get_number(json_object_get(o, key), v) || !(*v > 0) ? -1 : 0;
}

/* Version 2: the "ma" object (optional) and every beam's layout, then the constraints. */
static int parse_ma(json_t *root, json_t *beams, isac_codebook cb, const char *path, double *pos,
                    char *err, size_t errlen)
{
    for (unsigned q = 0; q < isac_codebook_size(cb); q++)
        if (parse_beam_layout(json_array_get(beams, q), path, q, cb, pos, err, errlen))
            return ISAC_EFORMAT;
    json_t *o = json_object_get(root, "ma");
    if (!o)
        return ISAC_OK;
    struct isac_codebook_ma_info ma = {0};
    json_t *mode = json_object_get(o, "mode"), *act = json_object_get(o, "active");
    const char *ms = json_string_value(mode);
    for (int i = 1; ms && i <= ISAC_CODEBOOK_MA_GRID; i++)
        if (!strcmp(ms, MA_MODES[i]))
            ma.mode = i;
    if (!json_is_object(o) || !ma.mode) {
        isac_seterr(err, errlen, "%s: ma.mode: expected \"continuous\" or \"grid\"", path);
        return ISAC_EFORMAT;
    }
    const char *bad =
        get_pos_number(o, "region_wl", &ma.region_wl) ? "region_wl"
        : get_pos_number(o, "d_min_wl", &ma.d_min_wl) ? "d_min_wl"
        : (ma.mode == ISAC_CODEBOOK_MA_GRID && get_pos_number(o, "grid_step_wl", &ma.grid_step_wl))
            ? "grid_step_wl"
            : NULL;
    if (bad) {
        isac_seterr(err, errlen, "%s: ma.%s: expected a positive number", path, bad);
        return ISAC_EFORMAT;
    }
    if (!json_is_integer(act) || json_integer_value(act) < 1 ||
        json_integer_value(act) > isac_codebook_elements(cb)) {
        isac_seterr(err, errlen, "%s: ma.active: expected an integer in 1..%u", path,
                    isac_codebook_elements(cb));
        return ISAC_EFORMAT;
    }
    ma.active = (unsigned)json_integer_value(act);
    if (isac_codebook_set_ma(cb, &ma)) {
        isac_seterr(err, errlen, "%s: ma.d_min_wl: %g larger than region_wl %g", path, ma.d_min_wl,
                    ma.region_wl);
        return ISAC_EFORMAT;
    }
    char why[256];
    if (isac_codebook_ma_check(cb, why, sizeof why)) {
        isac_seterr(err, errlen, "%s: %s", path, why);
        return ISAC_EFORMAT;
    }
    return ISAC_OK;
}

isac_codebook isac_codebook_from_json(json_t *root, const char *path, char *err, size_t errlen)
{
    json_t *fmt = json_object_get(root, "format"), *ver = json_object_get(root, "version");
    json_t *el = json_object_get(root, "elements"), *beams = json_object_get(root, "beams");
    if (!json_is_object(root) || !json_is_string(fmt) ||
        strcmp(json_string_value(fmt), CODEBOOK_FORMAT)) {
        isac_seterr(err, errlen, "%s: format: expected \"%s\"", path, CODEBOOK_FORMAT);
        return NULL;
    }
    if (!json_is_integer(ver) || (json_integer_value(ver) != CODEBOOK_VERSION &&
                                  json_integer_value(ver) != CODEBOOK_VERSION_MA)) {
        isac_seterr(err, errlen, "%s: version: unsupported (expected %d or %d)", path,
                    CODEBOOK_VERSION, CODEBOOK_VERSION_MA);
        return NULL;
    }
    if (!json_is_integer(el) || json_integer_value(el) < 1 || json_integer_value(el) > 4096) {
        isac_seterr(err, errlen, "%s: elements: expected an integer in 1..4096", path);
        return NULL;
    }
    if (!json_is_array(beams) || json_array_size(beams) < 1 ||
        json_array_size(beams) > ISAC_CODEBOOK_MAX_BEAMS) {
        isac_seterr(err, errlen, "%s: beams: expected an array of 1..%d beams", path,
                    ISAC_CODEBOOK_MAX_BEAMS);
        return NULL;
    }
    unsigned M = (unsigned)json_integer_value(el), Q = (unsigned)json_array_size(beams);
    double *pos = malloc(M * sizeof *pos), *ang = malloc(Q * sizeof *ang);
    float complex *w = malloc((size_t)Q * M * sizeof *w);
    isac_codebook cb = NULL;
    isac_array arr = NULL;
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
    arr = isac_array_create(pos, M);
    cb = arr ? isac_codebook_create(arr, Q, ang, w) : NULL;
    if (!cb)
        isac_seterr(err, errlen, "%s: positions_wl: invalid array geometry", path);
    else if (json_integer_value(ver) == CODEBOOK_VERSION_MA &&
             parse_ma(root, beams, cb, path, pos, err, errlen)) {
        isac_codebook_destroy(cb);
        cb = NULL;
    }
done:
    isac_array_destroy(arr);
    free(pos);
    free(ang);
    free(w);
    return cb;
}

isac_codebook isac_codebook_load(const char *path, char *err, size_t errlen)
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
    isac_codebook cb = isac_codebook_from_json(root, path, err, errlen);
    json_decref(root);
    return cb;
}
