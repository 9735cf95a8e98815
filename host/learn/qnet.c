#include "common/strbuf.h"
#include "learn/qnet.h"

#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"

#define FAIL(...)                                                                                  \
    do {                                                                                           \
        isac_seterr(err, errlen, __VA_ARGS__);                                                     \
        return -1;                                                                                 \
    } while (0)

int isac_qnet_def_check(const struct isac_qnet_def *d, unsigned want_tau, unsigned want_emb,
                        char *err, size_t errlen)
{
    if (d->version != ISAC_QNET_VERSION)
        FAIL("version: %u is not supported (expected %d)", d->version, ISAC_QNET_VERSION);
    if (d->tau < 1 || d->tau > 64)
        FAIL("tau: %u outside 1..64", d->tau);
    if (d->emb < 2 || d->emb > 256 || d->emb % 2)
        FAIL("embedding: %u is not an even size in 2..256", d->emb);
    if (want_tau && d->tau != want_tau)
        FAIL("tau: %u does not match the experiment's tau %u", d->tau, want_tau);
    if (want_emb && d->emb != want_emb)
        FAIL("embedding: %u does not match the experiment's embedding %u", d->emb, want_emb);
    if (!(d->b3 > 0) || !isfinite(d->b3))
        FAIL("b3: %g is not a positive finite number", d->b3);
    for (unsigned l = 0; l < ISAC_QNET_LAYERS; l++) {
        const struct isac_qnet_layer_def *y = &d->l[l];
        unsigned want_in = l == 0 ? d->emb + 2 : d->l[l - 1].out;
        if (y->in != want_in)
            FAIL("layers[%u].in: %u, expected %u", l, y->in, want_in);
        if (y->out < 1 || y->out > 4096)
            FAIL("layers[%u].out: %u outside 1..4096", l, y->out);
        if (l == ISAC_QNET_LAYERS - 1 && y->out != 1 + 2 * d->tau)
            FAIL("layers[%u].out: %u, expected 1 + 2 tau = %u", l, y->out, 1 + 2 * d->tau);
        if (y->act != (l == ISAC_QNET_LAYERS - 1 ? 0 : 1))
            FAIL("layers[%u].activation: expected %s", l,
                 l == ISAC_QNET_LAYERS - 1 ? "linear" : "relu");
        if (!y->W || !y->b)
            FAIL("layers[%u]: missing tables", l);
        for (size_t i = 0; i < (size_t)y->in * y->out; i++)
            if (!isfinite(y->W[i]))
                FAIL("layers[%u].weights[%zu]: not finite", l, i);
        for (unsigned i = 0; i < y->out; i++)
            if (!isfinite(y->b[i]))
                FAIL("layers[%u].bias[%u]: not finite", l, i);
    }
    return 0;
}

void isac_qnet_q_values(const struct isac_qnet_def *d, const float *x, float *q, float *scratch)
{
    const float *in = x;
    float *out = scratch;
    for (unsigned l = 0; l < ISAC_QNET_LAYERS; l++) {
        const struct isac_qnet_layer_def *y = &d->l[l];
        for (unsigned o = 0; o < y->out; o++) {
            float acc = y->b[o];
            const float *w = y->W + (size_t)o * y->in;
            for (unsigned i = 0; i < y->in; i++)
                acc += w[i] * in[i];
            out[o] = (y->act == 1 && acc < 0) ? 0.0f : acc;
        }
        in = out;
        out += y->out;
    }
    /* in = [U, A_0 .. A_{2tau-1}] */
    unsigned n = 2 * d->tau;
    float amax = in[1];
    for (unsigned k = 1; k < n; k++)
        amax = in[1 + k] > amax ? in[1 + k] : amax;
    for (unsigned k = 0; k < n; k++)
        q[k] = in[0] + in[1 + k] - amax;
}

unsigned isac_qnet_argmax(const float *q, unsigned n)
{
    unsigned best = 0;
    for (unsigned k = 1; k < n; k++)
        if (q[k] > q[best])
            best = k;
    return best;
}

void isac_qnet_file_free(struct isac_qnet_file *f)
{
    if (f) {
        free(f->storage);
        f->storage = NULL;
    }
}

static int read_floats(json_t *arr, float *dst, size_t n, const char *what, unsigned l, char *err,
                       size_t errlen)
{
    if (!json_is_array(arr))
        FAIL("layers[%u].%s: missing or not an array", l, what);
    if (json_array_size(arr) != n)
        FAIL("layers[%u].%s: %zu values, expected %zu", l, what, json_array_size(arr), n);
    for (size_t i = 0; i < n; i++) {
        json_t *v = json_array_get(arr, i);
        if (!json_is_number(v))
            FAIL("layers[%u].%s[%zu]: not a number", l, what, i);
        double x = json_number_value(v);
        if (!isfinite(x) || fabs(x) > 3.0e38)
            FAIL("layers[%u].%s[%zu]: not finite", l, what, i);
        dst[i] = (float)x;
    }
    return 0;
}

static int uint_field(json_t *o, const char *key, unsigned lo, unsigned hi, unsigned *out,
                      const char *where, char *err, size_t errlen)
{
    json_t *v = json_object_get(o, key);
    if (!json_is_integer(v))
        FAIL("%s%s: missing or not an integer", where, key);
    json_int_t x = json_integer_value(v);
    if (x < (json_int_t)lo || x > (json_int_t)hi)
        FAIL("%s%s: %lld outside %u..%u", where, key, (long long)x, lo, hi);
    *out = (unsigned)x;
    return 0;
}

static int parse_layers(json_t *layers, struct isac_qnet_file *f, char *err, size_t errlen)
{
    if (!json_is_array(layers) || json_array_size(layers) != ISAC_QNET_LAYERS)
        FAIL("layers: expected an array of %d layers", ISAC_QNET_LAYERS);
    size_t total = 0;
    unsigned in[ISAC_QNET_LAYERS], out[ISAC_QNET_LAYERS];
    for (unsigned l = 0; l < ISAC_QNET_LAYERS; l++) {
        json_t *y = json_array_get(layers, l);
        char where[32];
        snprintf(where, sizeof where, "layers[%u].", l);
        if (!json_is_object(y))
            FAIL("layers[%u]: not an object", l);
        if (uint_field(y, "in", 1, 4096, &in[l], where, err, errlen) ||
            uint_field(y, "out", 1, 4096, &out[l], where, err, errlen))
            return -1;
        const char *act = json_string_value(json_object_get(y, "activation"));
        if (!act || (strcmp(act, "relu") && strcmp(act, "linear")))
            FAIL("layers[%u].activation: expected \"relu\" or \"linear\"", l);
        f->def.l[l].act = !strcmp(act, "relu");
        total += (size_t)in[l] * out[l] + out[l];
    }
    f->storage = malloc(total * sizeof(float));
    if (!f->storage)
        FAIL("out of memory");
    float *p = f->storage;
    for (unsigned l = 0; l < ISAC_QNET_LAYERS; l++) {
        json_t *y = json_array_get(layers, l);
        struct isac_qnet_layer_def *d = &f->def.l[l];
        d->in = in[l];
        d->out = out[l];
        d->W = p;
        if (read_floats(json_object_get(y, "weights"), p, (size_t)in[l] * out[l], "weights", l, err,
                        errlen))
            return -1;
        p += (size_t)in[l] * out[l];
        d->b = p;
        if (read_floats(json_object_get(y, "bias"), p, out[l], "bias", l, err, errlen))
            return -1;
        p += out[l];
    }
    return 0;
}

int isac_qnet_file_parse(const char *text, size_t len, unsigned want_tau, unsigned want_emb,
                         struct isac_qnet_file *f, char *err, size_t errlen)
{
    memset(f, 0, sizeof *f);
    json_error_t je;
    json_t *root = json_loadb(text, len, 0, &je);
    if (!root)
        FAIL("not JSON (line %d: %s)", je.line, je.text);
    int rc = -1;
    const char *fmt = json_string_value(json_object_get(root, "format"));
    json_t *b3 = json_object_get(root, "b3");
    if (!fmt || strcmp(fmt, ISAC_QNET_FORMAT))
        isac_seterr(err, errlen, "format: expected \"%s\"", ISAC_QNET_FORMAT);
    else if (uint_field(root, "version", 0, 1000000, &f->def.version, "", err, errlen))
        ;
    else if (f->def.version != ISAC_QNET_VERSION)
        isac_seterr(err, errlen, "version: %u is not supported (expected %d)", f->def.version,
                    ISAC_QNET_VERSION);
    else if (uint_field(root, "tau", 1, 64, &f->def.tau, "", err, errlen) ||
             uint_field(root, "embedding", 2, 256, &f->def.emb, "", err, errlen))
        ;
    else if (!json_is_number(b3))
        isac_seterr(err, errlen, "b3: missing or not a number");
    else {
        f->def.b3 = json_number_value(b3);
        rc = parse_layers(json_object_get(root, "layers"), f, err, errlen);
        if (!rc)
            rc = isac_qnet_def_check(&f->def, want_tau, want_emb, err, errlen);
    }
    json_decref(root);
    if (rc)
        isac_qnet_file_free(f);
    return rc;
}

static json_t *float_array(const float *v, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(a, json_real((double)v[i]));
    return a;
}

char *isac_qnet_format_json(const struct isac_qnet_def *d, const char *provenance_json)
{
    json_t *layers = json_array();
    for (unsigned l = 0; l < ISAC_QNET_LAYERS; l++) {
        const struct isac_qnet_layer_def *y = &d->l[l];
        json_array_append_new(layers, json_pack("{s:i,s:i,s:s,s:o,s:o}", "in", (json_int_t)y->in,
                                                "out", (json_int_t)y->out, "activation",
                                                y->act ? "relu" : "linear", "weights",
                                                float_array(y->W, (size_t)y->in * y->out), "bias",
                                                float_array(y->b, y->out)));
    }
    json_t *root = json_pack("{s:s,s:i,s:i,s:i,s:f,s:o}", "format", ISAC_QNET_FORMAT, "version",
                             (json_int_t)d->version, "tau", (json_int_t)d->tau, "embedding",
                             (json_int_t)d->emb, "b3", d->b3, "layers", layers);
    if (provenance_json) {
        json_t *p = json_loads(provenance_json, 0, NULL);
        if (p)
            json_object_set_new(root, "provenance", p);
    }
    char *s = root ? json_dumps(root, JSON_INDENT(1) | JSON_COMPACT) : NULL;
    json_decref(root);
    return s;
}

static void sb_floats(struct isac_strbuf *b, const char *name, const float *v, size_t n)
{
    isac_strbuf_printf(b, "static const float %s[%zu] = {", name, n);
    for (size_t i = 0; i < n; i++)
        isac_strbuf_printf(b, "%s%a", i == 0 ? "\n    " : i % 6 ? ", " : ",\n    ", (double)v[i]);
    isac_strbuf_printf(b, "\n};\n\n");
}

char *isac_qnet_format_c(const struct isac_qnet_def *d, const char *symbol,
                         const char *header_comment)
{
    struct isac_strbuf b = {0};
    /* generated tables keep the generator's layout: clang-format would re-wrap the header
     * (breaking the one-field-per-line provenance) and realign every number */
    isac_strbuf_printf(&b, "/* clang-format off */\n/* GENERATED FILE: do not edit.\n");
    const char *c = header_comment ? header_comment : "";
    while (*c) {
        size_t k = strcspn(c, "\n");
        isac_strbuf_printf(&b, " * %.*s\n", (int)k, c);
        c += k + (c[k] == '\n');
    }
    isac_strbuf_printf(&b, " */\n#include \"learn/qnet.h\"\n\n");
    for (unsigned l = 0; l < ISAC_QNET_LAYERS; l++) {
        char nm[96];
        snprintf(nm, sizeof nm, "%s_w%u", symbol, l);
        sb_floats(&b, nm, d->l[l].W, (size_t)d->l[l].in * d->l[l].out);
        snprintf(nm, sizeof nm, "%s_b%u", symbol, l);
        sb_floats(&b, nm, d->l[l].b, d->l[l].out);
    }
    isac_strbuf_printf(
        &b,
        "const struct isac_qnet_def %s = {\n    .version = %u, .tau = %u, .emb = %u, .b3 = %a,\n"
        "    .l = {\n",
        symbol, d->version, d->tau, d->emb, d->b3);
    for (unsigned l = 0; l < ISAC_QNET_LAYERS; l++)
        isac_strbuf_printf(&b,
                           "        {.in = %u, .out = %u, .act = %d, .W = %s_w%u, .b = %s_b%u},\n",
                           d->l[l].in, d->l[l].out, d->l[l].act, symbol, l, symbol, l);
    isac_strbuf_printf(&b, "    }};\n");
    if (b.bad) {
        free(b.s);
        return NULL;
    }
    return b.s;
}
