/* The radio layer: spec-string parsing, the back-end registry, and the radio_*
 * wrappers that dispatch through struct isac_radio_ops. */
#include "radio.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "safety.h"

extern const struct isac_radio_ops radio_sim_ops;
#ifdef ISACTB_HAVE_SET_BACKEND
extern const struct isac_radio_ops radio_set_ops;
#endif

/* ---- back-end registry ------------------------------------------------------
 * One entry per back end compiled in. The `file` back end (radio/radio_file.c,
 * radio/sigmf*.c) is added by its own engineer: radio/CMakeLists.txt defines
 * ISACTB_HAVE_FILE_BACKEND when radio/radio_file.c exists. soapy/uhd back ends
 * will register here the same way (ISACTB_HAVE_SOAPY_BACKEND, ISACTB_HAVE_UHD_BACKEND).
 */
#ifdef ISACTB_HAVE_FILE_BACKEND
extern const struct isac_radio_ops isac_radio_file_ops;
#endif
#ifdef ISACTB_HAVE_SOAPY_BACKEND
extern const struct isac_radio_ops radio_soapy_ops;
#endif
#ifdef ISACTB_HAVE_UHD_BACKEND
extern const struct isac_radio_ops radio_uhd_ops;
#endif

static const struct isac_radio_ops *const registry[] = {
    &radio_sim_ops,
#ifdef ISACTB_HAVE_SET_BACKEND
    &radio_set_ops, /* several radios with one time base (radio/radio_set.c) */
#endif
#ifdef ISACTB_HAVE_FILE_BACKEND
    &isac_radio_file_ops, /* file back end (radio/radio_file.c) */
#endif
#ifdef ISACTB_HAVE_SOAPY_BACKEND
    &radio_soapy_ops,
#endif
#ifdef ISACTB_HAVE_UHD_BACKEND
    &radio_uhd_ops,
#endif
    NULL,
};

/* Back ends the project knows about but this build may lack: a clearer message. */
static const char *const known_names[] = {"sim", "set", "file", "soapy", "uhd", NULL};

struct isac_radio_s {
    const struct isac_radio_ops *ops;
    void *state;
    /* Transmit safety (radio/safety.h): every burst is checked against the limits with
     * the radio's description, kept current across retunes, before the back end sees it. */
    isac_radio_guard guard;
    int emulated;  /* radiates nothing: decided from the back end's code (radio_radiates) */
    int delegates; /* a set: member 0's own guard checks every burst with its own settings */
    struct isac_radio_info info;
    char err[320]; /* the refusal of the last call when the radio layer refused it */
};

/* Whether a back end can put anything on the air, decided by which code implements it and
 * never by what a device reports: the in-process emulator and the replay of a recording
 * radiate nothing; a set transmits through member 0, whose own guard checks every burst
 * (its limits follow isac_radio_set_limits); every other back end (soapy, uhd: hardware, or a
 * SoapySDR module, whatever settings it offers) radiates. */
static int radio_radiates(const struct isac_radio_ops *ops)
{
    if (ops == &radio_sim_ops)
        return 0;
#ifdef ISACTB_HAVE_FILE_BACKEND
    if (ops == &isac_radio_file_ops)
        return 0;
#endif
#ifdef ISACTB_HAVE_SET_BACKEND
    if (ops == &radio_set_ops)
        return 0;
#endif
    return 1;
}

static int valid_name_char(int c)
{
    return isalnum(c) || c == '_' || c == '-';
}

int isac_radio_open_ex(const char *spec, isac_radio *out, char *err, size_t errlen)
{
    if (out)
        *out = NULL;
    if (!out)
        return ISAC_EINVAL;
    if (!spec)
        spec = "sim";
    if (!*spec) {
        isac_seterr(err, errlen, "radio spec '': empty (expected BACKEND[:ARGS], e.g. 'sim')");
        return ISAC_EINVAL;
    }
    /* Control characters would break the one-line messages that echo the spec. */
    for (size_t i = 0; spec[i]; i++)
        if ((unsigned char)spec[i] < 0x20 || spec[i] == 0x7f) {
            isac_seterr(err, errlen, "radio spec: control character 0x%02x at offset %zu",
                        (unsigned char)spec[i], i);
            return ISAC_EINVAL;
        }
    const char *colon = strchr(spec, ':');
    size_t nlen = colon ? (size_t)(colon - spec) : strlen(spec);
    char name[32];
    if (nlen == 0 || nlen >= sizeof name) {
        isac_seterr(err, errlen, "radio spec '%s': malformed back-end name", spec);
        return ISAC_EINVAL;
    }
    for (size_t i = 0; i < nlen; i++)
        if (!valid_name_char((unsigned char)spec[i])) {
            isac_seterr(err, errlen, "radio spec '%s': malformed back-end name", spec);
            return ISAC_EINVAL;
        }
    memcpy(name, spec, nlen);
    name[nlen] = '\0';
    const char *args = colon ? colon + 1 : "";

    const struct isac_radio_ops *ops = NULL;
    for (size_t i = 0; registry[i]; i++)
        if (!strcmp(registry[i]->name, name))
            ops = registry[i];
    if (!ops) {
        for (size_t i = 0; known_names[i]; i++)
            if (!strcmp(known_names[i], name)) {
                isac_seterr(err, errlen,
                            "radio spec '%s': back end '%s' is not available in this build", spec,
                            name);
                return ISAC_ENOTSUP;
            }
        isac_seterr(err, errlen,
                    "radio spec '%s': unknown back end '%s' (known: sim, set, file, soapy, uhd)",
                    spec, name);
        return ISAC_EINVAL;
    }

    struct isac_radio_s *r = calloc(1, sizeof *r);
    if (!r) {
        isac_seterr(err, errlen, "radio spec '%s': out of memory", spec);
        return ISAC_ENOMEM;
    }
    char detail[384] = "";
    int rc = ops->open(args, &r->state, detail, sizeof detail);
    if (rc < 0) {
        isac_seterr(err, errlen, "radio spec '%s': %s", spec,
                    detail[0] ? detail : isac_strerror(rc));
        free(r);
        return rc;
    }
    r->ops = ops;
    struct isac_radio_limits lim;
    r->emulated = !radio_radiates(ops);
#ifdef ISACTB_HAVE_SET_BACKEND
    r->delegates = ops == &radio_set_ops;
#endif
    if (ops->get_info(r->state, &r->info) == ISAC_OK)
        isac_radio_limits_for(!r->emulated, &lim);
    else
        isac_radio_limits_default(&lim);
    r->guard = isac_radio_guard_create(&lim);
    if (!r->guard) {
        isac_seterr(err, errlen, "radio spec '%s': out of memory", spec);
        isac_radio_close(r);
        return ISAC_ENOMEM;
    }
    *out = r;
    return ISAC_OK;
}

#ifdef ISACTB_HAVE_SET_BACKEND
int radio_set_member_limits(void *set_state, const struct isac_radio_limits *lim);
#endif

int isac_radio_set_limits(isac_radio r, const struct isac_radio_limits *lim)
{
    if (!r || !lim)
        return ISAC_EINVAL;
#ifdef ISACTB_HAVE_SET_BACKEND
    /* a set transmits through member 0: the limits go to the members' guards */
    if (r->ops == &radio_set_ops) {
        int rc = radio_set_member_limits(r->state, lim);
        if (rc)
            return rc;
    }
#endif
    isac_radio_guard g = isac_radio_guard_create(lim);
    if (!g)
        return ISAC_ENOMEM;
    isac_radio_guard_destroy(r->guard);
    r->guard = g;
    return ISAC_OK;
}

const struct isac_radio_limits *isac_radio_get_limits(isac_radio r)
{
    return r ? isac_radio_guard_limits(r->guard) : NULL;
}

isac_radio isac_radio_open(const char *spec, char *err, size_t errlen)
{
    isac_radio r = NULL;
    isac_radio_open_ex(spec, &r, err, errlen);
    return r;
}

void isac_radio_close(isac_radio r)
{
    if (!r)
        return;
    if (r->ops && r->ops->close)
        r->ops->close(r->state);
    isac_radio_guard_destroy(r->guard);
    free(r);
}

int isac_radio_get_info(isac_radio r, struct isac_radio_info *info)
{
    if (!r || !info)
        return ISAC_EINVAL;
    memset(info, 0, sizeof *info);
    return r->ops->get_info(r->state, info);
}

int isac_radio_get_time(isac_radio r, int64_t *tick)
{
    if (!r || !tick)
        return ISAC_EINVAL;
    return r->ops->get_time(r->state, tick);
}

int isac_radio_tx_burst(isac_radio r, int64_t t0, const float complex *const *x, size_t len)
{
    if (!r || (!x && len))
        return ISAC_EINVAL;
    if (!r->ops->tx_burst)
        return ISAC_ENOTSUP;
    r->err[0] = '\0';
    if (r->delegates)
        return r->ops->tx_burst(r->state, t0, x, len);
    /* what the device is set to now, channel by channel, not what it was opened with */
    struct isac_radio_tx_state ts;
    int rc = isac_radio_get_tx_state(r, &ts);
    if (rc) {
        snprintf(r->err, sizeof r->err, "TX refused: cannot read the TX settings: %.240s",
                 isac_radio_last_error(r)[0] ? isac_radio_last_error(r) : isac_strerror(rc));
        return ISAC_ESAFETY;
    }
    rc = isac_radio_guard_check_tx(r->guard, &r->info, &ts, r->emulated, t0, x, len, r->err,
                                   sizeof r->err);
    if (rc == ISAC_ESAFETY)
        return rc; /* nothing reaches the back end */
    if (rc)
        return rc;
    return r->ops->tx_burst(r->state, t0, x, len);
}

int isac_radio_get_tx_state(isac_radio r, struct isac_radio_tx_state *ts)
{
    if (!r || !ts)
        return ISAC_EINVAL;
    isac_radio_tx_state_from_info(&r->info, ts);
    return r->ops->tx_state ? r->ops->tx_state(r->state, ts) : ISAC_OK;
}

int isac_radio_rx_capture(isac_radio r, int64_t t0, float complex *const *y, size_t len,
                          struct isac_radio_rx_md *md)
{
    if (!r || (!y && len))
        return ISAC_EINVAL;
    if (!r->ops->rx_capture)
        return ISAC_ENOTSUP;
    struct isac_radio_rx_md local;
    r->err[0] = '\0';
    if (!md)
        md = &local;
    memset(md, 0, sizeof *md);
    return r->ops->rx_capture(r->state, t0, y, len, md);
}

int isac_radio_prepare_rx(isac_radio r, int64_t t0, size_t len)
{
    if (!r)
        return ISAC_EINVAL;
    return r->ops->prepare_rx ? r->ops->prepare_rx(r->state, t0, len) : ISAC_OK;
}

int isac_radio_get_counters(isac_radio r, struct isac_radio_counters *c)
{
    if (!r || !c)
        return ISAC_EINVAL;
    memset(c, 0, sizeof *c);
    return r->ops->get_counters ? r->ops->get_counters(r->state, c) : ISAC_OK;
}

int isac_radio_new_episode(isac_radio r, uint64_t episode)
{
    if (!r)
        return ISAC_EINVAL;
    r->err[0] = '\0';
    return r->ops->new_episode ? r->ops->new_episode(r->state, episode) : ISAC_ENOTSUP;
}

int isac_radio_start_episode(isac_radio r, uint64_t episode, int64_t *tick)
{
    int rc = isac_radio_new_episode(r, episode);
    int64_t now;
    if (rc == ISAC_OK && (rc = isac_radio_get_time(r, &now)) == ISAC_OK && now > *tick)
        *tick = now;
    return rc;
}

int isac_radio_truth_json(isac_radio r, char **json_out)
{
    if (!r || !json_out)
        return ISAC_EINVAL;
    *json_out = NULL;
    return r->ops->truth_json ? r->ops->truth_json(r->state, json_out) : ISAC_ENOTSUP;
}

const char *isac_radio_last_error(isac_radio r)
{
    if (!r)
        return "no radio";
    if (r->err[0])
        return r->err;
    const char *s = r->ops->last_error ? r->ops->last_error(r->state) : NULL;
    return s ? s : "";
}

int isac_radio_set_center_freq(isac_radio r, double hz)
{
    if (!r || !isfinite(hz) || hz <= 0)
        return ISAC_EINVAL;
    r->err[0] = '\0';
    int rc = r->ops->set_center_freq ? r->ops->set_center_freq(r->state, hz) : ISAC_ENOTSUP;
    if (rc == ISAC_OK)
        r->info.center_freq = hz; /* the band the guard checks follows the carrier */
    return rc;
}

int isac_radio_set_tx_positions(isac_radio r, const double *pos_wl, unsigned n)
{
    if (!r || !pos_wl)
        return ISAC_EINVAL;
    r->err[0] = '\0';
    if (!(r->info.caps & ISAC_RADIO_CAP_MOVABLE) || !r->ops->set_tx_positions) {
        snprintf(r->err, sizeof r->err, "radio '%s' cannot move its elements (no movable cap)",
                 r->ops->name);
        return ISAC_ENOTSUP;
    }
    char why[160];
    if (n != r->info.num_tx) {
        snprintf(r->err, sizeof r->err, "TX positions: %u given for %u TX elements", n,
                 r->info.num_tx);
        return ISAC_EINVAL;
    }
    if (isac_radio_positions_check(pos_wl, n, why, sizeof why)) {
        snprintf(r->err, sizeof r->err, "TX positions: %s", why);
        return ISAC_EINVAL;
    }
    int rc = r->ops->set_tx_positions(r->state, pos_wl, n);
    if (rc == ISAC_OK)
        memcpy(r->info.tx_pos_wl, pos_wl, n * sizeof *pos_wl);
    return rc;
}

int isac_radio_set_rx_aps(isac_radio r, uint32_t ap_mask)
{
    if (!r)
        return ISAC_EINVAL;
    return r->ops->set_rx_aps ? r->ops->set_rx_aps(r->state, ap_mask) : ISAC_ENOTSUP;
}

const struct isac_radio_ops *isac_radio_get_ops(isac_radio r)
{
    return r ? r->ops : NULL;
}
void *isac_radio_get_state(isac_radio r)
{
    return r ? r->state : NULL;
}

/* ---- argument helpers -------------------------------------------------------
 * Syntax: "key=value[,key=value...]"; keys are [A-Za-z0-9_]+, values non-empty
 * and free of ','. The empty string has no arguments. */

/* Walk entry i of args; returns the entry's extent or -1 at the end. */
struct arg_entry {
    const char *key, *val;
    size_t klen, vlen;
};

static int arg_next(const char **p, struct arg_entry *e)
{
    const char *s = *p;
    if (!s)
        return -1;
    const char *end = strchr(s, ',');
    size_t len = end ? (size_t)(end - s) : strlen(s);
    const char *eq = memchr(s, '=', len);
    *p = end ? end + 1 : NULL;
    e->key = s;
    e->klen = eq ? (size_t)(eq - s) : len;
    e->val = eq ? eq + 1 : s + len;
    e->vlen = eq ? len - e->klen - 1 : 0;
    if (!eq || e->klen == 0 || e->vlen == 0)
        return 0; /* malformed */
    for (size_t i = 0; i < e->klen; i++)
        if (!isalnum((unsigned char)s[i]) && s[i] != '_')
            return 0;
    return 1;
}

int isac_radio_arg_get(const char *args, const char *key, char *out, size_t outlen)
{
    if (!args || !key)
        return ISAC_EINVAL;
    if (!*args)
        return 0;
    const char *p = args;
    struct arg_entry e;
    int rc, found = 0;
    size_t kl = strlen(key);
    while ((rc = arg_next(&p, &e)) >= 0) {
        if (rc == 0)
            return ISAC_EINVAL;
        if (e.klen == kl && !memcmp(e.key, key, kl) && !found) {
            found = 1;
            if (out && outlen) {
                size_t n = e.vlen < outlen - 1 ? e.vlen : outlen - 1;
                memcpy(out, e.val, n);
                out[n] = '\0';
            }
        }
    }
    return found;
}

int isac_radio_args_check(const char *backend, const char *args, const char *const *allowed,
                          char *err, size_t errlen)
{
    if (!args || !*args)
        return ISAC_OK;
    const char *p = args;
    struct arg_entry e;
    int rc;
    while ((rc = arg_next(&p, &e)) >= 0) {
        if (rc == 0 && e.klen == 0 && e.vlen == 0 && e.key[0] != '=') {
            isac_seterr(err, errlen, "empty argument (stray ',') for back end '%s'", backend);
            return ISAC_EINVAL;
        }
        if (rc == 0) {
            size_t n = e.klen + (e.vlen ? e.vlen + 1 : (e.key[e.klen] == '=' ? 1 : 0));
            isac_seterr(err, errlen,
                        "malformed argument '%.*s' for back end '%s' (expected key=value)", (int)n,
                        e.key, backend);
            return ISAC_EINVAL;
        }
        int ok = 0;
        for (size_t i = 0; allowed && allowed[i]; i++)
            if (strlen(allowed[i]) == e.klen && !memcmp(allowed[i], e.key, e.klen))
                ok = 1;
        if (!ok) {
            isac_seterr(err, errlen, "unknown argument '%.*s' for back end '%s'", (int)e.klen,
                        e.key, backend);
            return ISAC_EINVAL;
        }
        /* duplicates: an earlier entry with the same key */
        const char *q = args;
        struct arg_entry f;
        while (q && q < e.key && arg_next(&q, &f) > 0)
            if (f.key < e.key && f.klen == e.klen && !memcmp(f.key, e.key, e.klen)) {
                isac_seterr(err, errlen, "duplicated argument '%.*s' for back end '%s'",
                            (int)e.klen, e.key, backend);
                return ISAC_EINVAL;
            }
    }
    return ISAC_OK;
}

int isac_radio_arg_double(const char *backend, const char *args, const char *key, double def,
                          double lo, double hi, double *out, char *err, size_t errlen)
{
    char buf[128];
    int rc = isac_radio_arg_get(args, key, buf, sizeof buf);
    if (rc < 0) {
        isac_seterr(err, errlen, "malformed arguments for back end '%s'", backend);
        return ISAC_EINVAL;
    }
    if (rc == 0) {
        *out = def;
        return 0;
    }
    char *end = NULL;
    errno = 0;
    double v = strtod(buf, &end);
    if (errno || !end || *end || !isfinite(v) || v < lo || v > hi) {
        isac_seterr(err, errlen, "argument '%s=%s' of back end '%s': expected a number in [%g, %g]",
                    key, buf, backend, lo, hi);
        return ISAC_EINVAL;
    }
    *out = v;
    return 1;
}

int isac_radio_arg_u64(const char *backend, const char *args, const char *key, uint64_t def,
                       uint64_t lo, uint64_t hi, uint64_t *out, char *err, size_t errlen)
{
    char buf[128];
    int rc = isac_radio_arg_get(args, key, buf, sizeof buf);
    if (rc < 0) {
        isac_seterr(err, errlen, "malformed arguments for back end '%s'", backend);
        return ISAC_EINVAL;
    }
    if (rc == 0) {
        *out = def;
        return 0;
    }
    char *end = NULL;
    errno = 0;
    unsigned long long v = isdigit((unsigned char)buf[0]) ? strtoull(buf, &end, 10) : 0;
    if (!isdigit((unsigned char)buf[0]) || errno || !end || *end || v < lo || v > hi) {
        isac_seterr(err, errlen,
                    "argument '%s=%s' of back end '%s': expected an integer in %llu..%llu", key,
                    buf, backend, (unsigned long long)lo, (unsigned long long)hi);
        return ISAC_EINVAL;
    }
    *out = (uint64_t)v;
    return 1;
}

int isac_radio_arg_choice(const char *backend, const char *args, const char *key,
                          const char *const *words, int def, int *out, char *err, size_t errlen)
{
    char buf[128];
    int rc = isac_radio_arg_get(args, key, buf, sizeof buf);
    if (rc < 0) {
        isac_seterr(err, errlen, "malformed arguments for back end '%s'", backend);
        return ISAC_EINVAL;
    }
    if (rc == 0) {
        *out = def;
        return 0;
    }
    for (int i = 0; words[i]; i++)
        if (!strcmp(words[i], buf)) {
            *out = i;
            return 1;
        }
    char list[160] = "";
    for (int i = 0; words[i]; i++) {
        size_t l = strlen(list);
        snprintf(list + l, sizeof list - l, "%s%s", i ? "|" : "", words[i]);
    }
    isac_seterr(err, errlen, "argument '%s=%s' of back end '%s': expected one of %s", key, buf,
                backend, list);
    return ISAC_EINVAL;
}
