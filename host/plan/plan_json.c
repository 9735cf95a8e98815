/* JSON form of a transmit plan (plan.h). */
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "plan/plan.h"

static int is_plain_beam(const struct isac_tx_plan_s *p)
{
    return isac_tx_plan_beam(p) >= 0 && isac_tx_plan_num_comm(p) == 0 &&
           isac_tx_plan_num_subcarriers(p) == 1 && isac_tx_plan_powers_const(p)[0] == 1.0 &&
           !isac_tx_plan_active(p) && !isac_tx_plan_positions(p);
}

static json_t *reals(const double *v, unsigned n)
{
    json_t *a = json_array();
    for (unsigned i = 0; a && i < n; i++)
        json_array_append_new(a, json_real(v[i]));
    return a;
}

static json_t *weights_json(const struct isac_tx_plan_s *p)
{
    unsigned F = isac_tx_plan_num_subcarriers(p);
    size_t per = (size_t)isac_tx_plan_num_tx(p) * isac_tx_plan_num_streams(p);
    json_t *a = json_array();
    for (unsigned f = 0; a && f < F; f++) {
        const float complex *w = isac_tx_plan_precoder_const(p, f);
        for (size_t i = 0; i < per; i++)
            json_array_append_new(a, json_pack("[ff]", (double)crealf(w[i]), (double)cimagf(w[i])));
    }
    return a;
}

json_t *isac_tx_plan_to_json(const struct isac_tx_plan_s *p)
{
    if (!p)
        return NULL;
    if (is_plain_beam(p))
        return json_pack("{si}", "beam", isac_tx_plan_beam(p));
    unsigned N = isac_tx_plan_num_tx(p);
    json_t *o = json_pack(
        "{sisisisoso}", "num_tx", (int)N, "num_comm", (int)isac_tx_plan_num_comm(p),
        "num_subcarriers", (int)isac_tx_plan_num_subcarriers(p), "powers",
        reals(isac_tx_plan_powers_const(p), isac_tx_plan_num_streams(p)), "W", weights_json(p));
    if (o && isac_tx_plan_beam(p) >= 0)
        json_object_set_new(o, "beam", json_integer(isac_tx_plan_beam(p)));
    if (o && isac_tx_plan_positions(p))
        json_object_set_new(o, "positions_wl", reals(isac_tx_plan_positions(p), N));
    const uint8_t *act = isac_tx_plan_active(p);
    if (o && act) {
        json_t *a = json_array();
        for (unsigned m = 0; a && m < N; m++)
            json_array_append_new(a, json_integer(act[m]));
        json_object_set_new(o, "active", a);
    }
    return o;
}

static int get_uint(const json_t *j, const char *key, unsigned lo, unsigned hi, unsigned *out,
                    const char *what, char *err, size_t errlen)
{
    json_t *v = json_object_get(j, key);
    if (!json_is_integer(v) || json_integer_value(v) < lo || json_integer_value(v) > hi) {
        isac_seterr(err, errlen, "%s: %s: expected an integer in %u..%u", what, key, lo, hi);
        return ISAC_EFORMAT;
    }
    *out = (unsigned)json_integer_value(v);
    return ISAC_OK;
}

/* n finite reals from array key into out; ISAC_EFORMAT with a message otherwise. */
static int get_reals(const json_t *j, const char *key, size_t n, double *out, const char *what,
                     char *err, size_t errlen)
{
    json_t *a = json_object_get(j, key);
    if (!json_is_array(a) || json_array_size(a) != n) {
        isac_seterr(err, errlen, "%s: %s: expected an array of %zu numbers", what, key, n);
        return ISAC_EFORMAT;
    }
    for (size_t i = 0; i < n; i++) {
        json_t *v = json_array_get(a, i);
        if (!json_is_number(v) || !isfinite(json_number_value(v))) {
            isac_seterr(err, errlen, "%s: %s[%zu]: not a finite number", what, key, i);
            return ISAC_EFORMAT;
        }
        out[i] = json_number_value(v);
    }
    return ISAC_OK;
}

static int get_weights(const json_t *j, isac_tx_plan p, const char *what, char *err, size_t errlen)
{
    size_t per = (size_t)isac_tx_plan_num_tx(p) * isac_tx_plan_num_streams(p);
    unsigned F = isac_tx_plan_num_subcarriers(p);
    json_t *a = json_object_get(j, "W");
    if (!json_is_array(a) || json_array_size(a) != per * F) {
        isac_seterr(err, errlen, "%s: W: expected %zu [re, im] pairs", what, per * F);
        return ISAC_EFORMAT;
    }
    for (unsigned f = 0; f < F; f++) {
        float complex *w = isac_tx_plan_precoder(p, f);
        for (size_t i = 0; i < per; i++) {
            json_t *c = json_array_get(a, f * per + i);
            json_t *re = json_array_get(c, 0), *im = json_array_get(c, 1);
            if (json_array_size(c) != 2 || !json_is_number(re) || !json_is_number(im) ||
                !isfinite(json_number_value(re)) || !isfinite(json_number_value(im))) {
                isac_seterr(err, errlen, "%s: W[%zu]: expected [re, im] finite numbers", what,
                            f * per + i);
                return ISAC_EFORMAT;
            }
            w[i] = (float)json_number_value(re) + I * (float)json_number_value(im);
        }
    }
    return ISAC_OK;
}

static isac_tx_plan beam_plan(const json_t *j, isac_codebook cb, const char *what, char *err,
                              size_t errlen)
{
    unsigned q = 0;
    if (!cb) {
        isac_seterr(err, errlen, "%s: beam: a codebook plan needs the codebook", what);
        return NULL;
    }
    if (get_uint(j, "beam", 0, isac_codebook_size(cb) - 1, &q, what, err, errlen))
        return NULL;
    isac_tx_plan p = isac_tx_plan_from_beam(cb, q);
    if (!p)
        isac_seterr(err, errlen, "%s: out of memory", what);
    return p;
}

static int get_options(const json_t *j, isac_tx_plan p, const char *what, char *err, size_t errlen)
{
    unsigned N = isac_tx_plan_num_tx(p);
    double *v = malloc(N * sizeof *v);
    int rc = v ? ISAC_OK : ISAC_ENOMEM;
    if (rc == ISAC_OK && json_object_get(j, "positions_wl")) {
        rc = get_reals(j, "positions_wl", N, v, what, err, errlen);
        if (rc == ISAC_OK && isac_tx_plan_set_positions(p, v)) {
            isac_seterr(err, errlen, "%s: positions_wl: a position beyond 1e4 wavelengths", what);
            rc = ISAC_EFORMAT;
        }
    }
    if (rc == ISAC_OK && json_object_get(j, "active")) {
        uint8_t *act = malloc(N);
        rc = act ? get_reals(j, "active", N, v, what, err, errlen) : ISAC_ENOMEM;
        for (unsigned m = 0; rc == ISAC_OK && m < N; m++)
            act[m] = v[m] != 0;
        if (rc == ISAC_OK && isac_tx_plan_set_active(p, act)) {
            isac_seterr(err, errlen, "%s: active: no element is active", what);
            rc = ISAC_EFORMAT;
        }
        free(act);
    }
    free(v);
    return rc;
}

static isac_tx_plan full_plan(const json_t *j, const char *what, char *err, size_t errlen)
{
    unsigned N, K, F, q = 0;
    if (get_uint(j, "num_tx", 1, ISAC_PLAN_MAX_TX, &N, what, err, errlen) ||
        get_uint(j, "num_comm", 0, ISAC_PLAN_MAX_COMM, &K, what, err, errlen) ||
        get_uint(j, "num_subcarriers", 1, ISAC_PLAN_MAX_SUBCARRIERS, &F, what, err, errlen))
        return NULL;
    isac_tx_plan p = isac_tx_plan_create(N, K, F);
    int rc = p ? ISAC_OK : ISAC_ENOMEM;
    if (rc == ISAC_OK)
        rc = get_reals(j, "powers", K + 1, isac_tx_plan_powers(p), what, err, errlen);
    if (rc == ISAC_OK)
        rc = get_weights(j, p, what, err, errlen);
    if (rc == ISAC_OK)
        rc = get_options(j, p, what, err, errlen);
    if (rc == ISAC_OK && json_object_get(j, "beam") &&
        (rc = get_uint(j, "beam", 0, ISAC_CODEBOOK_MAX_BEAMS - 1, &q, what, err, errlen)) ==
            ISAC_OK)
        isac_tx_plan_set_beam(p, (int)q);
    if (rc == ISAC_OK)
        rc = isac_tx_plan_validate(p, err, errlen);
    if (rc == ISAC_ENOMEM)
        isac_seterr(err, errlen, "%s: out of memory", what);
    if (rc != ISAC_OK) {
        isac_tx_plan_destroy(p);
        return NULL;
    }
    return p;
}

isac_tx_plan isac_tx_plan_from_json(const json_t *j, isac_codebook cb, const char *what, char *err,
                                    size_t errlen)
{
    if (!json_is_object(j)) {
        isac_seterr(err, errlen, "%s: expected an object", what);
        return NULL;
    }
    if (json_object_size(j) == 1 && json_object_get(j, "beam"))
        return beam_plan(j, cb, what, err, errlen);
    return full_plan(j, what, err, errlen);
}
