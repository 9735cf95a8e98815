#include "engine/config.h"

#include <cyaml/cyaml.h>
#include <stdbool.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>

#include "common/err.h"
#include "common/file_open.h"
#include "engine/yaml_load.h"
#include "policy/policy.h"

void isac_exp_config_defaults(struct isac_exp_config *c)
{
    memset(c, 0, sizeof *c);
    snprintf(c->radio, sizeof c->radio, "sim");
    snprintf(c->policy, sizeof c->policy, "scan");
    snprintf(c->weights, sizeof c->weights, "builtin");
    c->seed = 1;
    c->episodes = 20;
    c->max_steps = 128;
    snprintf(c->codebook, sizeof c->codebook, "dft");
    c->beams = 64;
    c->pfa = 1e-3;
    c->zeta = 0.9;
    snprintf(c->waveform.kind, sizeof c->waveform.kind, "lfm");
    c->waveform.length = 4096;
    c->waveform.root = 25;
    c->waveform.bandwidth = 0.8;
    c->window_guard = 256;
    c->noise_bins = 128;
    c->step_interval_s = 1e-3;
    c->direct_path_cancel = 1;
    c->confirm_radius_m = 25.0;
    c->grid = (struct isac_exp_grid_cfg){.spacing_m = 5.0,
                                         .x_min = 50,
                                         .x_max = 450,
                                         .y_min = 50,
                                         .y_max = 450,
                                         .baseline_guard_m = 30.0};
}

/* ---- YAML: every field optional; pointers tell present from absent ---- */

struct raw_waveform {
    char *kind;
    unsigned *length, *root;
    double *bandwidth;
};
struct raw_grid {
    double *spacing_m, *x_min, *x_max, *y_min, *y_max, *baseline_guard_m;
};
struct raw_array {
    double *tx, *rx;
    unsigned tx_count, rx_count;
};
struct raw_config {
    char *radio, *policy, *codebook, *weights;
    uint64_t *seed;
    unsigned *episodes, *max_steps, *beams, *window_guard, *noise_bins;
    double *pfa, *zeta, *step_interval_s, *confirm_radius_m;
    bool *direct_path_cancel;
    struct raw_waveform *waveform;
    struct raw_grid *grid;
    struct raw_array *array;
};

#define OPT CYAML_FLAG_OPTIONAL
static const cyaml_schema_field_t waveform_fields[] = {
    CYAML_FIELD_STRING_PTR("kind", OPT, struct raw_waveform, kind, 1, 7),
    CYAML_FIELD_UINT_PTR("length", OPT, struct raw_waveform, length),
    CYAML_FIELD_UINT_PTR("root", OPT, struct raw_waveform, root),
    CYAML_FIELD_FLOAT_PTR("bandwidth", OPT, struct raw_waveform, bandwidth), CYAML_FIELD_END};
static const cyaml_schema_field_t grid_fields[] = {
    CYAML_FIELD_FLOAT_PTR("spacing_m", OPT, struct raw_grid, spacing_m),
    CYAML_FIELD_FLOAT_PTR("x_min", OPT, struct raw_grid, x_min),
    CYAML_FIELD_FLOAT_PTR("x_max", OPT, struct raw_grid, x_max),
    CYAML_FIELD_FLOAT_PTR("y_min", OPT, struct raw_grid, y_min),
    CYAML_FIELD_FLOAT_PTR("y_max", OPT, struct raw_grid, y_max),
    CYAML_FIELD_FLOAT_PTR("baseline_guard_m", OPT, struct raw_grid, baseline_guard_m),
    CYAML_FIELD_END};
static const cyaml_schema_value_t position_entry = {CYAML_VALUE_FLOAT(CYAML_FLAG_DEFAULT, double)};
static const cyaml_schema_field_t array_fields[] = {
    CYAML_FIELD_SEQUENCE("tx_positions_wl", OPT | CYAML_FLAG_POINTER, struct raw_array, tx,
                         &position_entry, 1, ISAC_EXP_MAX_POSITIONS),
    CYAML_FIELD_SEQUENCE("rx_positions_wl", OPT | CYAML_FLAG_POINTER, struct raw_array, rx,
                         &position_entry, 1, ISAC_EXP_MAX_POSITIONS),
    CYAML_FIELD_END};
static const cyaml_schema_field_t config_fields[] = {
    CYAML_FIELD_STRING_PTR("radio", OPT, struct raw_config, radio, 1, 255),
    CYAML_FIELD_STRING_PTR("policy", OPT, struct raw_config, policy, 1, 15),
    CYAML_FIELD_STRING_PTR("weights", OPT, struct raw_config, weights, 1, 255),
    CYAML_FIELD_UINT_PTR("seed", OPT, struct raw_config, seed),
    CYAML_FIELD_UINT_PTR("episodes", OPT, struct raw_config, episodes),
    CYAML_FIELD_UINT_PTR("max_steps", OPT, struct raw_config, max_steps),
    CYAML_FIELD_STRING_PTR("codebook", OPT, struct raw_config, codebook, 1, 255),
    CYAML_FIELD_UINT_PTR("beams", OPT, struct raw_config, beams),
    CYAML_FIELD_FLOAT_PTR("pfa", OPT, struct raw_config, pfa),
    CYAML_FIELD_FLOAT_PTR("zeta", OPT, struct raw_config, zeta),
    CYAML_FIELD_MAPPING_PTR("waveform", OPT, struct raw_config, waveform, waveform_fields),
    CYAML_FIELD_UINT_PTR("window_guard", OPT, struct raw_config, window_guard),
    CYAML_FIELD_UINT_PTR("noise_bins", OPT, struct raw_config, noise_bins),
    CYAML_FIELD_FLOAT_PTR("step_interval_s", OPT, struct raw_config, step_interval_s),
    CYAML_FIELD_MAPPING_PTR("grid", OPT, struct raw_config, grid, grid_fields),
    CYAML_FIELD_BOOL_PTR("direct_path_cancel", OPT, struct raw_config, direct_path_cancel),
    CYAML_FIELD_FLOAT_PTR("confirm_radius_m", OPT, struct raw_config, confirm_radius_m),
    CYAML_FIELD_MAPPING_PTR("array", OPT, struct raw_config, array, array_fields),
    CYAML_FIELD_END};
static const cyaml_schema_value_t config_schema = {
    CYAML_VALUE_MAPPING(CYAML_FLAG_POINTER, struct raw_config, config_fields)};

#define MERGE(dst, src)                                                                            \
    do {                                                                                           \
        if (src)                                                                                   \
            (dst) = *(src);                                                                        \
    } while (0)
#define MERGE_STR(dst, src)                                                                        \
    do {                                                                                           \
        if (src)                                                                                   \
            snprintf((dst), sizeof(dst), "%s", (src));                                             \
    } while (0)

static void merge_raw(struct isac_exp_config *c, const struct raw_config *r)
{
    MERGE_STR(c->radio, r->radio);
    MERGE_STR(c->policy, r->policy);
    MERGE_STR(c->weights, r->weights);
    MERGE_STR(c->codebook, r->codebook);
    MERGE(c->seed, r->seed);
    MERGE(c->episodes, r->episodes);
    MERGE(c->max_steps, r->max_steps);
    MERGE(c->beams, r->beams);
    MERGE(c->pfa, r->pfa);
    MERGE(c->zeta, r->zeta);
    MERGE(c->window_guard, r->window_guard);
    MERGE(c->noise_bins, r->noise_bins);
    MERGE(c->step_interval_s, r->step_interval_s);
    MERGE(c->confirm_radius_m, r->confirm_radius_m);
    if (r->direct_path_cancel)
        c->direct_path_cancel = *r->direct_path_cancel;
    if (r->waveform) {
        MERGE_STR(c->waveform.kind, r->waveform->kind);
        MERGE(c->waveform.length, r->waveform->length);
        MERGE(c->waveform.root, r->waveform->root);
        MERGE(c->waveform.bandwidth, r->waveform->bandwidth);
    }
    if (r->array && r->array->tx) {
        c->array.n_tx = r->array->tx_count;
        memcpy(c->array.tx_positions_wl, r->array->tx, r->array->tx_count * sizeof(double));
    }
    if (r->array && r->array->rx) {
        c->array.n_rx = r->array->rx_count;
        memcpy(c->array.rx_positions_wl, r->array->rx, r->array->rx_count * sizeof(double));
    }
    if (r->grid) {
        MERGE(c->grid.spacing_m, r->grid->spacing_m);
        MERGE(c->grid.x_min, r->grid->x_min);
        MERGE(c->grid.x_max, r->grid->x_max);
        MERGE(c->grid.y_min, r->grid->y_min);
        MERGE(c->grid.y_max, r->grid->y_max);
        MERGE(c->grid.baseline_guard_m, r->grid->baseline_guard_m);
    }
}

/* Line of the first "key:" in the file, for range errors found after parsing. */
static int find_key_line(const char *path, const char *key)
{
    FILE *f = isac_fopen_input(path, NULL, NULL, 0);
    if (!f)
        return 0;
    char buf[1024];
    size_t klen = strlen(key);
    int ln = 0, found = 0;
    while (!found && fgets(buf, sizeof buf, f)) {
        ln++;
        const char *p = buf + strspn(buf, " \t");
        if (!strncmp(p, key, klen) && p[klen] == ':')
            found = ln;
    }
    fclose(f);
    return found;
}

static int validate_fields(const struct isac_exp_config *c, const char *src, char *err,
                           size_t errlen);

static int load_yaml(const char *path, struct isac_exp_config *cfg, char *err, size_t errlen)
{
    struct raw_config *raw = NULL;
    /* a regular file only (a FIFO or device is refused without blocking), parsed from
     * memory so the file is opened exactly once */
    char *text = NULL;
    size_t len = 0;
    int frc = isac_read_input(path, 1u << 20, &text, &len, err, errlen);
    if (frc) {
        if (frc == ISAC_EIO)
            isac_seterr(err, errlen, "%s: cannot open config file", path);
        return frc;
    }
    int yrc = isac_yaml_load_one(text, len, path, &config_schema, (void **)&raw, err, errlen);
    free(text);
    if (yrc)
        return yrc;
    if (!raw) { /* an empty document: all defaults */
        return validate_fields(cfg, path, err, errlen);
    }
    merge_raw(cfg, raw);
    isac_yaml_free_one(&config_schema, raw);
    int rc = validate_fields(cfg, path, err, errlen);
    if (rc && err && errlen) {
        /* prefix the line of the offending key: "path: key: ..." -> "path:LINE: key: ..." */
        size_t plen = strlen(path);
        const char *key = err + plen + 2;
        char keyname[64];
        size_t kl = strcspn(key, ":. ");
        if (!strncmp(err, path, plen) && kl < sizeof keyname) {
            memcpy(keyname, key, kl);
            keyname[kl] = '\0';
            int ln = find_key_line(path, keyname);
            if (ln > 0) {
                char tmp[512];
                snprintf(tmp, sizeof tmp, "%s:%d: %s", path, ln, key);
                snprintf(err, errlen, "%s", tmp);
            }
        }
    }
    return rc;
}

static unsigned gcd_u(unsigned a, unsigned b)
{
    while (b) {
        unsigned t = a % b;
        a = b;
        b = t;
    }
    return a;
}

#define CHECK(cond, ...)                                                                           \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            isac_seterr(err, errlen, __VA_ARGS__);                                                 \
            return ISAC_EINVAL;                                                                    \
        }                                                                                          \
    } while (0)

static int validate_waveform(const struct isac_exp_waveform_cfg *w, const char *src, char *err,
                             size_t errlen)
{
    const char *k = w->kind;
    CHECK(!strcmp(k, "zc") || !strcmp(k, "lfm") || !strcmp(k, "mseq"),
          "%s: waveform.kind: '%s' is not one of zc, lfm, mseq", src, k);
    CHECK(w->length >= 63 && w->length <= 65536, "%s: waveform.length: %u outside 63..65536", src,
          w->length);
    if (!strcmp(k, "zc"))
        CHECK(w->root >= 1 && w->root < w->length && gcd_u(w->root, w->length) == 1,
              "%s: waveform.root: %u must be in 1..length-1 and coprime with length %u", src,
              w->root, w->length);
    if (!strcmp(k, "mseq"))
        CHECK((w->length & (w->length + 1)) == 0,
              "%s: waveform.length: %u is not 2^m - 1 (m-sequence)", src, w->length);
    CHECK(w->bandwidth > 0 && w->bandwidth <= 1.0, "%s: waveform.bandwidth: %g outside (0, 1]", src,
          w->bandwidth);
    return ISAC_OK;
}

static int validate_grid(const struct isac_exp_grid_cfg *g, const char *src, char *err,
                         size_t errlen)
{
    CHECK(isfinite(g->spacing_m) && g->spacing_m >= 0.5 && g->spacing_m <= 100,
          "%s: grid.spacing_m: %g outside [0.5, 100]", src, g->spacing_m);
    CHECK(isfinite(g->x_min) && isfinite(g->x_max) && g->x_min < g->x_max &&
              fabs(g->x_min) <= 1e5 && fabs(g->x_max) <= 1e5,
          "%s: grid.x_min/x_max: [%g, %g] is not a valid extent", src, g->x_min, g->x_max);
    CHECK(isfinite(g->y_min) && isfinite(g->y_max) && g->y_min < g->y_max &&
              fabs(g->y_min) <= 1e5 && fabs(g->y_max) <= 1e5,
          "%s: grid.y_min/y_max: [%g, %g] is not a valid extent", src, g->y_min, g->y_max);
    double cells = floor((g->x_max - g->x_min) / g->spacing_m + 1) *
                   floor((g->y_max - g->y_min) / g->spacing_m + 1);
    CHECK(cells <= 4e6, "%s: grid.spacing_m: %g gives %.0f cells (at most 4e6)", src, g->spacing_m,
          cells);
    CHECK(isfinite(g->baseline_guard_m) && g->baseline_guard_m >= 0 && g->baseline_guard_m <= 1e4,
          "%s: grid.baseline_guard_m: %g outside [0, 1e4]", src, g->baseline_guard_m);
    return ISAC_OK;
}

/* One array's positions: finite, within +-1e4 wavelengths, at least ISAC_EXP_MIN_SPACING_WL
 * apart (any order), like the radio's own (isac_radio_positions_check). */
static int validate_positions(const double *p, unsigned n, const char *key, const char *src,
                              char *err, size_t errlen)
{
    for (unsigned i = 0; i < n; i++)
        CHECK(isfinite(p[i]) && fabs(p[i]) <= 1e4,
              "%s: array.%s: element %u at %g is not a finite position within +-1e4 wavelengths",
              src, key, i, p[i]);
    for (unsigned i = 0; i < n; i++)
        for (unsigned j = i + 1; j < n; j++)
            CHECK(fabs(p[i] - p[j]) >= ISAC_EXP_MIN_SPACING_WL,
                  "%s: array.%s: elements %u and %u at %g and %g are closer than %g wavelengths",
                  src, key, i, j, p[i], p[j], ISAC_EXP_MIN_SPACING_WL);
    return ISAC_OK;
}

static int validate_array(const struct isac_exp_array_cfg *a, const char *src, char *err,
                          size_t errlen)
{
    CHECK(a->n_tx <= ISAC_EXP_MAX_POSITIONS && a->n_rx <= ISAC_EXP_MAX_POSITIONS,
          "%s: array: more than %d positions", src, ISAC_EXP_MAX_POSITIONS);
    int rc = validate_positions(a->tx_positions_wl, a->n_tx, "tx_positions_wl", src, err, errlen);
    return rc ? rc
              : validate_positions(a->rx_positions_wl, a->n_rx, "rx_positions_wl", src, err,
                                   errlen);
}

static int validate_fields(const struct isac_exp_config *c, const char *src, char *err,
                           size_t errlen)
{
    CHECK(c->radio[0], "%s: radio: empty radio spec", src);
    char names[256];
    CHECK(isac_policy_name_known(c->policy), "%s: policy: '%s' is not one of %s", src, c->policy,
          isac_policy_registry_names(NULL, names, sizeof names));
    CHECK(c->weights[0], "%s: weights: empty (use \"builtin\" or a weights file)", src);
    /* captures store the seed as a JSON integer (signed 64 bits), and replay reads it back */
    CHECK(c->seed <= (uint64_t)INT64_MAX, "%s: seed: %llu outside 0..%lld", src,
          (unsigned long long)c->seed, (long long)INT64_MAX);
    CHECK(c->episodes >= 1 && c->episodes <= 100000, "%s: episodes: %u outside 1..100000", src,
          c->episodes);
    CHECK(c->max_steps >= 1 && c->max_steps <= 100000, "%s: max_steps: %u outside 1..100000", src,
          c->max_steps);
    CHECK(c->codebook[0], "%s: codebook: empty (use \"dft\" or a codebook file)", src);
    CHECK(c->beams >= 1 && c->beams <= 4096, "%s: beams: %u outside 1..4096", src, c->beams);
    CHECK(isfinite(c->pfa) && c->pfa >= 1e-12 && c->pfa <= 0.5, "%s: pfa: %g outside [1e-12, 0.5]",
          src, c->pfa);
    CHECK(isfinite(c->zeta) && c->zeta > 0 && c->zeta < 1, "%s: zeta: %g outside (0, 1)", src,
          c->zeta);
    CHECK(c->window_guard >= 1 && c->window_guard <= 65536, "%s: window_guard: %u outside 1..65536",
          src, c->window_guard);
    CHECK(c->noise_bins >= 8 && c->noise_bins <= c->window_guard,
          "%s: noise_bins: %u outside 8..window_guard (%u)", src, c->noise_bins, c->window_guard);
    CHECK(isfinite(c->step_interval_s) && c->step_interval_s >= 1e-5 && c->step_interval_s <= 10,
          "%s: step_interval_s: %g outside [1e-5, 10]", src, c->step_interval_s);
    CHECK(
        isfinite(c->confirm_radius_m) &&
            (c->confirm_radius_m == 0 || (c->confirm_radius_m >= 1 && c->confirm_radius_m <= 1000)),
        "%s: confirm_radius_m: %g is neither 0 nor in [1, 1000]", src, c->confirm_radius_m);
    int rc = validate_waveform(&c->waveform, src, err, errlen);
    if (!rc)
        rc = validate_array(&c->array, src, err, errlen);
    return rc ? rc : validate_grid(&c->grid, src, err, errlen);
}

static json_t *positions_to_json(const double *p, unsigned n)
{
    json_t *a = json_array();
    for (unsigned i = 0; a && i < n; i++)
        json_array_append_new(a, json_real(p[i]));
    return a;
}

/* Only the lists given: an absent list stays absent on the way back. */
static json_t *array_to_json(const struct isac_exp_array_cfg *a)
{
    json_t *o = json_object();
    if (o && a->n_tx)
        json_object_set_new(o, "tx_positions_wl", positions_to_json(a->tx_positions_wl, a->n_tx));
    if (o && a->n_rx)
        json_object_set_new(o, "rx_positions_wl", positions_to_json(a->rx_positions_wl, a->n_rx));
    return o;
}

static int positions_from_json(const json_t *a, double *p, unsigned *n)
{
    if (!a)
        return 0;
    if (!json_is_array(a) || json_array_size(a) < 1 || json_array_size(a) > ISAC_EXP_MAX_POSITIONS)
        return -1;
    *n = (unsigned)json_array_size(a);
    for (unsigned i = 0; i < *n; i++) {
        if (!json_is_number(json_array_get(a, i)))
            return -1;
        p[i] = json_number_value(json_array_get(a, i));
    }
    return 0;
}

static int array_from_json(const json_t *o, struct isac_exp_array_cfg *a)
{
    if (!o)
        return 0;
    if (!json_is_object(o))
        return -1;
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)o, k, v) if (strcmp(k, "tx_positions_wl") &&
                                               strcmp(k, "rx_positions_wl")) return -1;
    return positions_from_json(json_object_get(o, "tx_positions_wl"), a->tx_positions_wl,
                               &a->n_tx) ||
           positions_from_json(json_object_get(o, "rx_positions_wl"), a->rx_positions_wl, &a->n_rx);
}

json_t *isac_exp_config_to_json(const struct isac_exp_config *c)
{
    json_t *o = json_pack(
        "{s:s,s:s,s:I,s:i,s:i,s:s,s:i,s:f,s:f,"
        "s:{s:s,s:i,s:i,s:f},s:i,s:i,s:f,s:{s:f,s:f,s:f,s:f,s:f,s:f},s:b,s:f}",
        "radio", c->radio, "policy", c->policy, "seed", (json_int_t)c->seed, "episodes",
        (json_int_t)c->episodes, "max_steps", (json_int_t)c->max_steps, "codebook", c->codebook,
        "beams", (json_int_t)c->beams, "pfa", c->pfa, "zeta", c->zeta, "waveform", "kind",
        c->waveform.kind, "length", (json_int_t)c->waveform.length, "root",
        (json_int_t)c->waveform.root, "bandwidth", c->waveform.bandwidth, "window_guard",
        (json_int_t)c->window_guard, "noise_bins", (json_int_t)c->noise_bins, "step_interval_s",
        c->step_interval_s, "grid", "spacing_m", c->grid.spacing_m, "x_min", c->grid.x_min, "x_max",
        c->grid.x_max, "y_min", c->grid.y_min, "y_max", c->grid.y_max, "baseline_guard_m",
        c->grid.baseline_guard_m, "direct_path_cancel", c->direct_path_cancel, "confirm_radius_m",
        c->confirm_radius_m);
    if (o)
        json_object_set_new(o, "weights", json_string(c->weights));
    if (o && (c->array.n_tx || c->array.n_rx))
        json_object_set_new(o, "array", array_to_json(&c->array));
    return o;
}

/* Every field is optional: an absent one takes its default (isac_exp_config_defaults, the
 * values of experiments/default.yaml), exactly as in a YAML file; unknown keys are refused.
 * isactb always writes every field, so a recording does not depend on the defaults of the
 * isactb that replays it; a capture written by another tool may give only what differs. */
static int from_json(json_t *o, struct isac_exp_config *c, const char *src, char *err,
                     size_t errlen)
{
    json_error_t je;
    isac_exp_config_defaults(c);
    const char *isac_radio = c->radio, *pol = c->policy, *cb = c->codebook,
               *kind = c->waveform.kind, *weights = c->weights;
    json_t *arr = NULL;
    json_int_t seed = (json_int_t)c->seed, eps = c->episodes, steps = c->max_steps,
               beams = c->beams, len = c->waveform.length, root = c->waveform.root,
               guard = c->window_guard, nb = c->noise_bins;
    if (!o) {
        isac_seterr(err, errlen, "%s: isactb:experiment: missing", src);
        return ISAC_EFORMAT;
    }
    if (json_unpack_ex(
            o, &je, JSON_STRICT,
            "{s?s,s?s,s?I,s?I,s?I,s?s,s?I,s?F,s?F,s?{s?s,s?I,s?I,s?F},s?I,s?I,"
            "s?F,s?{s?F,s?F,s?F,s?F,s?F,s?F},s?b,s?F,s?s,s?o}",
            "radio", &isac_radio, "policy", &pol, "seed", &seed, "episodes", &eps, "max_steps",
            &steps, "codebook", &cb, "beams", &beams, "pfa", &c->pfa, "zeta", &c->zeta, "waveform",
            "kind", &kind, "length", &len, "root", &root, "bandwidth", &c->waveform.bandwidth,
            "window_guard", &guard, "noise_bins", &nb, "step_interval_s", &c->step_interval_s,
            "grid", "spacing_m", &c->grid.spacing_m, "x_min", &c->grid.x_min, "x_max",
            &c->grid.x_max, "y_min", &c->grid.y_min, "y_max", &c->grid.y_max, "baseline_guard_m",
            &c->grid.baseline_guard_m, "direct_path_cancel", &c->direct_path_cancel,
            "confirm_radius_m", &c->confirm_radius_m, "weights", &weights, "array", &arr)) {
        isac_seterr(err, errlen, "%s: isactb:experiment: %s", src, je.text);
        return ISAC_EFORMAT;
    }
    CHECK(seed >= 0 && eps >= 0 && eps <= 100000 && steps >= 0 && steps <= 100000 && beams >= 0 &&
              beams <= 4096 && len >= 0 && len <= 65536 && root >= 0 && root <= 65536 &&
              guard >= 0 && guard <= 65536 && nb >= 0 && nb <= 65536,
          "%s: isactb:experiment: an integer field is out of range", src);
    CHECK(!array_from_json(arr, &c->array),
          "%s: isactb:experiment: array is not {tx_positions_wl: [numbers], "
          "rx_positions_wl: [numbers]}",
          src);
    /* the strings may be c's own defaults: copied with memmove, refused when too long */
    const struct {
        char *dst;
        size_t size;
        const char *v, *key;
    } str[] = {{c->radio, sizeof c->radio, isac_radio, "radio"},
               {c->policy, sizeof c->policy, pol, "policy"},
               {c->weights, sizeof c->weights, weights, "weights"},
               {c->codebook, sizeof c->codebook, cb, "codebook"},
               {c->waveform.kind, sizeof c->waveform.kind, kind, "waveform.kind"}};
    for (size_t i = 0; i < sizeof str / sizeof str[0]; i++) {
        size_t n = strlen(str[i].v);
        CHECK(n < str[i].size, "%s: isactb:experiment: %s: '%.40s...' longer than %zu characters",
              src, str[i].key, str[i].v, str[i].size - 1);
        memmove(str[i].dst, str[i].v, n + 1);
    }
    c->seed = (uint64_t)seed;
    c->episodes = (unsigned)eps;
    c->max_steps = (unsigned)steps;
    c->beams = (unsigned)beams;
    c->waveform.length = (unsigned)len;
    c->waveform.root = (unsigned)root;
    c->window_guard = (unsigned)guard;
    c->noise_bins = (unsigned)nb;
    char where[600]; /* range errors name the object: "FILE: isactb:experiment: field: ..." */
    snprintf(where, sizeof where, "%s: isactb:experiment", src);
    return validate_fields(c, where, err, errlen);
}

/* Messages quote values from the file, which may hold newlines (a folded YAML scalar) or
 * other control bytes: show them as '?' so an error stays one line. */
static int one_line(int rc, char *err, size_t errlen)
{
    for (size_t i = 0; rc && err && i < errlen && err[i]; i++)
        if ((unsigned char)err[i] < 0x20 || err[i] == 0x7f)
            err[i] = '?';
    return rc;
}

int isac_exp_config_load(const char *path, struct isac_exp_config *cfg, char *err, size_t errlen)
{
    return one_line(load_yaml(path, cfg, err, errlen), err, errlen);
}

int isac_exp_config_validate(const struct isac_exp_config *c, const char *src, char *err,
                             size_t errlen)
{
    return one_line(validate_fields(c, src, err, errlen), err, errlen);
}

int isac_exp_config_from_json(json_t *o, struct isac_exp_config *c, const char *src, char *err,
                              size_t errlen)
{
    return one_line(from_json(o, c, src, err, errlen), err, errlen);
}
