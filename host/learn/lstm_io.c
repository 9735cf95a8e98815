/* Bi-LSTM storage (lstm.h): the JSON weights file, compiled-in tables and their C
 * generator. Every shape and value is validated before a network is built from it. */
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/strbuf.h"
#include "common/err.h"
#include "common/file_open.h"
#include "common/out_dir.h"
#include "learn/lstm.h"
#include "learn/lstm_impl.h"

#define FAIL(...)                                                                                  \
    do {                                                                                           \
        isac_seterr(err, errlen, __VA_ARGS__);                                                     \
        return -1;                                                                                 \
    } while (0)

/* The run-time fields of want (or defaults) with the architecture of d. */
static void cfg_from_def(const struct isac_bilstm_def *d, const struct isac_bilstm_cfg *want,
                         struct isac_bilstm_cfg *c)
{
    isac_bilstm_cfg_defaults(c, d->in, d->out);
    if (want) {
        c->max_len = want->max_len;
        c->max_batch = want->max_batch;
        c->chunk = want->chunk;
        c->threads = want->threads;
    }
    c->hidden = d->hidden;
    c->layers = d->layers;
    c->ndense = d->ndense;
    for (unsigned k = 0; k < ISAC_BILSTM_MAX_DENSE; k++)
        c->dense[k] = k < d->ndense ? d->dense[k] : 0;
    c->head = (enum isac_bilstm_head)d->head;
    c->ball_groups = d->ball_groups;
}

int isac_bilstm_def_check(const struct isac_bilstm_def *d, char *err, size_t errlen)
{
    if (d->version != ISAC_BILSTM_VERSION)
        FAIL("version: %u is not supported (expected %d)", d->version, ISAC_BILSTM_VERSION);
    struct isac_bilstm_cfg c;
    cfg_from_def(d, NULL, &c);
    c.max_len = 1;
    c.max_batch = 1;
    if (isac_bilstm_cfg_check(&c, err, errlen))
        return -1;
    /* the parameter count the shapes imply (lstm.h layout) */
    size_t h = d->hidden, want = 0, prev = 2 * h;
    for (unsigned l = 0; l < d->layers; l++)
        want += 2 * (4 * h * (l == 0 ? d->in : 2 * h) + 4 * h * h + 4 * h);
    for (unsigned k = 0; k <= d->ndense; k++) {
        size_t w = k < d->ndense ? d->dense[k] : d->out;
        want += w * prev + w;
        prev = w;
    }
    if (d->nparams != want)
        FAIL("params: %zu values, the shapes need %zu", d->nparams, want);
    if (!d->params)
        FAIL("params: missing table");
    for (size_t i = 0; i < d->nparams; i++)
        if (!isfinite(d->params[i]))
            FAIL("params[%zu]: not finite", i);
    return 0;
}

isac_bilstm isac_bilstm_from_def(const struct isac_bilstm_def *d,
                                 const struct isac_bilstm_cfg *want, char *err, size_t errlen)
{
    if (isac_bilstm_def_check(d, err, errlen))
        return NULL;
    struct isac_bilstm_cfg c;
    cfg_from_def(d, want, &c);
    isac_bilstm n = isac_bilstm_create_raw(&c, err, errlen);
    if (n)
        isac_bilstm_set_params(n, d->params);
    return n;
}

/* ---- JSON file ---- */

static int uint_field(json_t *o, const char *key, unsigned lo, unsigned hi, unsigned *out,
                      char *err, size_t errlen)
{
    json_t *v = json_object_get(o, key);
    if (!json_is_integer(v))
        FAIL("%s: missing or not an integer", key);
    json_int_t x = json_integer_value(v);
    if (x < (json_int_t)lo || x > (json_int_t)hi)
        FAIL("%s: %lld outside %u..%u", key, (long long)x, lo, hi);
    *out = (unsigned)x;
    return 0;
}

/* Header fields of root into d (params not read). */
static int parse_header(json_t *root, struct isac_bilstm_def *d, char *err, size_t errlen)
{
    const char *fmt = json_string_value(json_object_get(root, "format"));
    if (!fmt || strcmp(fmt, ISAC_BILSTM_FORMAT))
        FAIL("format: expected \"%s\"", ISAC_BILSTM_FORMAT);
    if (uint_field(root, "version", 0, 1000000, &d->version, err, errlen))
        return -1;
    if (d->version != ISAC_BILSTM_VERSION)
        FAIL("version: %u is not supported (expected %d)", d->version, ISAC_BILSTM_VERSION);
    if (uint_field(root, "in", 1, 4096, &d->in, err, errlen) ||
        uint_field(root, "hidden", 1, 1024, &d->hidden, err, errlen) ||
        uint_field(root, "layers", 1, ISAC_BILSTM_MAX_LAYERS, &d->layers, err, errlen) ||
        uint_field(root, "out", 1, 4096, &d->out, err, errlen) ||
        uint_field(root, "ball_groups", 0, 4096, &d->ball_groups, err, errlen))
        return -1;
    json_t *dense = json_object_get(root, "dense");
    if (!json_is_array(dense) || json_array_size(dense) > ISAC_BILSTM_MAX_DENSE)
        FAIL("dense: expected an array of at most %d widths", ISAC_BILSTM_MAX_DENSE);
    d->ndense = (unsigned)json_array_size(dense);
    for (unsigned k = 0; k < d->ndense; k++) {
        json_t *v = json_array_get(dense, k);
        json_int_t x = json_is_integer(v) ? json_integer_value(v) : -1;
        if (x < 1 || x > 4096)
            FAIL("dense[%u]: expected an integer in 1..4096", k);
        d->dense[k] = (unsigned)x;
    }
    const char *head = json_string_value(json_object_get(root, "head"));
    if (!head || (strcmp(head, "bce") && strcmp(head, "mse")))
        FAIL("head: expected \"bce\" or \"mse\"");
    d->head = !strcmp(head, "mse") ? ISAC_BILSTM_HEAD_MSE : ISAC_BILSTM_HEAD_BCE;
    return 0;
}

static int parse_params(json_t *arr, float **out, size_t *n, char *err, size_t errlen)
{
    if (!json_is_array(arr))
        FAIL("params: missing or not an array");
    *n = json_array_size(arr);
    *out = malloc((*n ? *n : 1) * sizeof(float));
    if (!*out)
        FAIL("params: out of memory (%zu values)", *n);
    for (size_t i = 0; i < *n; i++) {
        json_t *v = json_array_get(arr, i);
        double x = json_is_number(v) ? json_number_value(v) : NAN;
        if (!json_is_number(v))
            FAIL("params[%zu]: not a number", i);
        if (!isfinite(x) || fabs(x) > 3.0e38)
            FAIL("params[%zu]: %g is not a finite float", i, x);
        (*out)[i] = (float)x;
    }
    return 0;
}

isac_bilstm isac_bilstm_load(const char *path, const struct isac_bilstm_cfg *want, char *err,
                             size_t errlen)
{
    char *text = NULL, why[400] = "";
    size_t len = 0;
    if (isac_read_input(path, (size_t)1 << 30, &text, &len, err, errlen))
        return NULL;
    json_error_t je;
    json_t *root = json_loadb(text, len, 0, &je);
    free(text);
    if (!root) {
        isac_seterr(err, errlen, "%s: not JSON (line %d: %s)", path, je.line, je.text);
        return NULL;
    }
    struct isac_bilstm_def d = {0};
    float *params = NULL;
    isac_bilstm n = NULL;
    if (parse_header(root, &d, why, sizeof why) ||
        parse_params(json_object_get(root, "params"), &params, &d.nparams, why, sizeof why))
        goto out;
    d.params = params;
    if (want && want->in && d.in != want->in)
        isac_seterr(why, sizeof why, "in: %u, expected %u", d.in, want->in);
    else if (want && want->out && d.out != want->out)
        isac_seterr(why, sizeof why, "out: %u, expected %u", d.out, want->out);
    else if (want && want->in && want->out && d.head != (int)want->head)
        isac_seterr(why, sizeof why, "head: %s, expected %s", d.head ? "mse" : "bce",
                    want->head ? "mse" : "bce");
    else
        n = isac_bilstm_from_def(&d, want, why, sizeof why);
out:
    if (!n)
        isac_seterr(err, errlen, "%s: %s", path, why);
    free(params);
    json_decref(root);
    return n;
}

int isac_bilstm_save(isac_bilstm n, const char *path, const char *provenance_json, char *err,
                     size_t errlen)
{
    const struct isac_bilstm_cfg *c = &n->c;
    json_t *params = json_array(), *dense = json_array();
    for (size_t i = 0; i < n->np; i++)
        json_array_append_new(params, json_real((double)n->p[i]));
    for (unsigned k = 0; k < c->ndense; k++)
        json_array_append_new(dense, json_integer(c->dense[k]));
    json_t *root =
        json_pack("{s:s,s:i,s:i,s:i,s:i,s:o,s:i,s:s,s:i,s:o}", "format", ISAC_BILSTM_FORMAT,
                  "version", ISAC_BILSTM_VERSION, "in", (json_int_t)c->in, "hidden",
                  (json_int_t)c->hidden, "layers", (json_int_t)c->layers, "dense", dense, "out",
                  (json_int_t)c->out, "head", c->head == ISAC_BILSTM_HEAD_MSE ? "mse" : "bce",
                  "ball_groups", (json_int_t)c->ball_groups, "params", params);
    if (root && provenance_json) {
        json_t *p = json_loads(provenance_json, 0, NULL);
        if (p)
            json_object_set_new(root, "provenance", p);
    }
    /* compact, one value per line is not needed: floats are printed with 17 digits, so a
     * float round-trips exactly through the double */
    char *s = root ? json_dumps(root, JSON_COMPACT) : NULL;
    json_decref(root);
    if (!s) {
        isac_seterr(err, errlen, "%s: out of memory", path);
        return -1;
    }
    char tmp[4200];
    if (snprintf(tmp, sizeof tmp, "%s.tmp", path) >= (int)sizeof tmp) {
        free(s);
        isac_seterr(err, errlen, "%s: path too long", path);
        return -1;
    }
    FILE *f = isac_fcreate_excl(tmp, err, errlen); /* never another run's temporary */
    if (!f) {
        free(s);
        return -1;
    }
    int bad = fputs(s, f) < 0 || fputc('\n', f) == EOF;
    free(s);
    bad |= fclose(f) != 0;
    if (bad || rename(tmp, path)) {
        isac_seterr(err, errlen, "%s: cannot write: %s", path, strerror(errno));
        remove(tmp);
        return -1;
    }
    return 0;
}

/* ---- C tables ---- */

char *isac_bilstm_format_c(isac_bilstm n, const char *symbol, const char *header_comment)
{
    const struct isac_bilstm_cfg *c = &n->c;
    struct isac_strbuf b = {0};
    isac_strbuf_printf(&b, "/* clang-format off */\n/* GENERATED FILE: do not edit.\n");
    const char *hc = header_comment ? header_comment : "";
    while (*hc) {
        size_t k = strcspn(hc, "\n");
        isac_strbuf_printf(&b, " * %.*s\n", (int)k, hc);
        hc += k + (hc[k] == '\n');
    }
    isac_strbuf_printf(&b, " */\n#include \"learn/lstm.h\"\n\n");
    /* block offsets as comments, so that a reader can find W/U/b of each layer */
    isac_strbuf_printf(&b, "/* layout (learn/lstm.h):\n");
    for (unsigned l = 0; l < c->layers; l++)
        for (unsigned d = 0; d < 2; d++)
            isac_strbuf_printf(&b, " *   layer %u %s: W @%zu, U @%zu, b @%zu\n", l,
                               d ? "bwd" : "fwd", n->oW[l][d], n->oU[l][d], n->ob[l][d]);
    for (unsigned k = 0; k <= c->ndense; k++)
        isac_strbuf_printf(&b, " *   %s %u: W @%zu (%u x %u), b @%zu\n",
                           k < c->ndense ? "dense" : "output", k, n->oFW[k], n->fout[k], n->fin[k],
                           n->oFb[k]);
    isac_strbuf_printf(&b, " */\nstatic const float %s_params[%zu] = {", symbol, n->np);
    for (size_t i = 0; i < n->np; i++)
        isac_strbuf_printf(&b, "%s%a",
                           i == 0  ? "\n    "
                           : i % 6 ? ", "
                                   : ",\n    ",
                           (double)n->p[i]);
    isac_strbuf_printf(
        &b,
        "\n};\n\nconst struct isac_bilstm_def %s = {\n    .version = %d, .in = %u, .hidden = %u, "
        ".layers = %u, .ndense = %u,\n    .dense = {",
        symbol, ISAC_BILSTM_VERSION, c->in, c->hidden, c->layers, c->ndense);
    for (unsigned k = 0; k < ISAC_BILSTM_MAX_DENSE; k++)
        isac_strbuf_printf(&b, "%s%u", k ? ", " : "", k < c->ndense ? c->dense[k] : 0);
    isac_strbuf_printf(
        &b,
        "}, .out = %u, .head = %d, .ball_groups = %u,\n    .nparams = %zu, .params = "
        "%s_params};\n",
        c->out, (int)c->head, c->ball_groups, n->np, symbol);
    if (b.bad) {
        free(b.s);
        return NULL;
    }
    return b.s;
}
