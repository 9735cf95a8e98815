/* The `set` back end: several radios with a common time base acting as one (a cell-free
 * lab built from one device per AP). Spec and rules: radio.h, docs/frontends.md. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "radio.h"
#include "safety.h"

#define SET_MAX_MEMBERS ISAC_RADIO_MAX_APS
#define SET_SPEC_MAX 1024
/* Clocks read one after the other at open may differ by the read latency, not more. */
#define SET_TIME_TOLERANCE_S 0.01

struct set_state {
    unsigned n;
    isac_radio m[SET_MAX_MEMBERS];
    unsigned rx_first[SET_MAX_MEMBERS]; /* first set RX channel of member k */
    struct isac_radio_info info;
    char err[384];
};

static int member_err(struct set_state *s, unsigned k, int rc)
{
    snprintf(s->err, sizeof s->err, "member %u: %s", k, isac_radio_last_error(s->m[k]));
    return rc;
}

/* Next "[SPEC]" at *p (brackets may nest); copies SPEC into out. 1 found, 0 malformed. */
static int next_member(const char **p, char *out, size_t outlen)
{
    const char *q = *p;
    if (*q != '[')
        return 0;
    int depth = 0;
    const char *start = q + 1;
    for (; *q; q++) {
        depth += *q == '[';
        depth -= *q == ']';
        if (depth == 0)
            break;
    }
    size_t len = (size_t)(q - start);
    if (!*q || len == 0 || len >= outlen)
        return 0;
    memcpy(out, start, len);
    out[len] = '\0';
    *p = q + 1;
    return 1;
}

static int open_members(struct set_state *s, const char *args, char *err, size_t errlen)
{
    const char *p = args;
    char spec[SET_SPEC_MAX];
    while (*p) {
        if (s->n == SET_MAX_MEMBERS || !next_member(&p, spec, sizeof spec) || (*p && *p++ != '+') ||
            (*p == '\0' && p[-1] == '+')) {
            isac_seterr(err, errlen,
                        "set: expected [SPEC]+[SPEC]... (at most %u members, each in brackets)",
                        SET_MAX_MEMBERS);
            return ISAC_EINVAL;
        }
        if (!strncmp(spec, "set:", 4) || !strcmp(spec, "set")) {
            isac_seterr(err, errlen, "set: member %u is itself a set", s->n);
            return ISAC_EINVAL;
        }
        char why[384];
        int rc = isac_radio_open_ex(spec, &s->m[s->n], why, sizeof why);
        if (rc) {
            isac_seterr(err, errlen, "set: member %u: %s", s->n, why);
            return rc;
        }
        s->n++;
    }
    if (s->n == 0) {
        isac_seterr(err, errlen, "set: no members (expected set:[SPEC]+[SPEC]...)");
        return ISAC_EINVAL;
    }
    return ISAC_OK;
}

/* Members must sample at one rate, on one carrier, from one clock, and honour timed RX. */
static int check_member(const struct isac_radio_info *a, const struct isac_radio_info *b,
                        unsigned k, int64_t ta, int64_t tb, char *err, size_t errlen)
{
    const char *why = NULL;
    if (b->sample_rate != a->sample_rate)
        why = "sample rate differs from member 0's";
    else if (b->center_freq != a->center_freq || b->emulated_freq != a->emulated_freq)
        why = "carrier (center or emulated frequency) differs from member 0's";
    else if (b->element_spacing_wl != a->element_spacing_wl)
        why = "element spacing differs from member 0's";
    else if (!(b->caps & ISAC_RADIO_CAP_TIMED_RX))
        why = "cannot start RX windows at a given tick";
    else if ((b->caps ^ a->caps) & ISAC_RADIO_CAP_HW_TIME)
        why = "time base differs: one counts device time, the other host time";
    else if (fabs((double)(tb - ta)) > SET_TIME_TOLERANCE_S * a->sample_rate)
        why = "time base differs: its clock does not read member 0's time (share a PPS and "
              "set the time first)";
    if (why)
        isac_seterr(err, errlen, "set: member %u (%s): %s", k, b->driver, why);
    return why ? ISAC_EINVAL : ISAC_OK;
}

static int append_rx(struct set_state *s, unsigned k, const struct isac_radio_info *b, char *err,
                     size_t errlen)
{
    struct isac_radio_info *in = &s->info;
    if (in->num_rx_aps + b->num_rx_aps > ISAC_RADIO_MAX_APS ||
        in->num_rx + b->num_rx > ISAC_RADIO_MAX_CHANNELS) {
        isac_seterr(err, errlen, "set: more than %u receive APs or %u RX channels",
                    ISAC_RADIO_MAX_APS, ISAC_RADIO_MAX_CHANNELS);
        return ISAC_EINVAL;
    }
    s->rx_first[k] = in->num_rx;
    for (unsigned a = 0; a < b->num_rx_aps; a++) {
        in->rx_ap_elements[in->num_rx_aps] = b->rx_ap_elements[a];
        in->rx_ap[in->num_rx_aps++] = b->rx_ap[a];
    }
    in->num_rx += b->num_rx;
    return ISAC_OK;
}

/* Member 0 gives everything about TX and the carrier; RX arrays are concatenated. */
static int build_info(struct set_state *s, char *err, size_t errlen)
{
    struct isac_radio_info m0;
    int64_t t0 = 0, tk = 0;
    isac_radio_get_info(s->m[0], &m0);
    isac_radio_get_time(s->m[0], &t0);
    s->info = m0;
    snprintf(s->info.driver, sizeof s->info.driver, "set");
    snprintf(s->info.serial, sizeof s->info.serial, "set-%u:%.48s", s->n, m0.serial);
    s->info.num_rx = s->info.num_rx_aps = 0;
    /* each device has its own LO, and a scene is one emulator's: only one member keeps them */
    if (s->n > 1)
        s->info.caps &=
            ~(uint32_t)(ISAC_RADIO_CAP_LO_SHARED | ISAC_RADIO_CAP_TRUTH | ISAC_RADIO_CAP_SCENARIO);
    for (unsigned k = 0; k < s->n; k++) {
        struct isac_radio_info b;
        isac_radio_get_info(s->m[k], &b);
        isac_radio_get_time(s->m[k], &tk);
        int rc = check_member(&m0, &b, k, t0, tk, err, errlen);
        if (!rc)
            rc = append_rx(s, k, &b, err, errlen);
        if (rc)
            return rc;
        s->info.caps &= b.caps | ~(uint32_t)ISAC_RADIO_CAP_IDEAL;
    }
    return ISAC_OK;
}

static void op_close(void *st)
{
    struct set_state *s = st;
    for (unsigned k = 0; s && k < s->n; k++)
        isac_radio_close(s->m[k]);
    free(s);
}

static int op_open(const char *args, void **state, char *err, size_t errlen)
{
    struct set_state *s = calloc(1, sizeof *s);
    if (!s)
        return ISAC_ENOMEM;
    int rc = open_members(s, args, err, errlen);
    if (!rc)
        rc = build_info(s, err, errlen);
    if (rc) {
        op_close(s);
        return rc;
    }
    *state = s;
    return ISAC_OK;
}

static int op_info(void *st, struct isac_radio_info *info)
{
    *info = ((struct set_state *)st)->info;
    return ISAC_OK;
}

static int op_time(void *st, int64_t *tick)
{
    return isac_radio_get_time(((struct set_state *)st)->m[0], tick);
}

/* isac_radio_set_limits on a set (radio/radio.c): every member's guard gets the limits. */
int radio_set_member_limits(void *st, const struct isac_radio_limits *lim);
int radio_set_member_limits(void *st, const struct isac_radio_limits *lim)
{
    struct set_state *s = st;
    for (unsigned k = 0; k < s->n; k++) {
        int rc = isac_radio_set_limits(s->m[k], lim);
        if (rc)
            return rc;
    }
    return ISAC_OK;
}

static int op_tx(void *st, int64_t t0, const float complex *const *x, size_t len)
{
    struct set_state *s = st;
    int rc = isac_radio_tx_burst(s->m[0], t0, x, len);
    return rc ? member_err(s, 0, rc) : ISAC_OK;
}

/* Every member captures from the same tick into its slice of the channels. */
static int op_rx(void *st, int64_t t0, float complex *const *y, size_t len,
                 struct isac_radio_rx_md *md)
{
    struct set_state *s = st;
    memset(md, 0, sizeof *md);
    md->num_samples = len;
    md->start_tick = t0;
    for (unsigned k = 0; k < s->n; k++) {
        struct isac_radio_rx_md mk = {0};
        int rc = isac_radio_rx_capture(s->m[k], t0, y + s->rx_first[k], len, &mk);
        if (rc)
            return member_err(s, k, rc);
        if (mk.dropped_samples &&
            (!md->dropped_samples || mk.drop_start_tick < md->drop_start_tick))
            md->drop_start_tick = mk.drop_start_tick;
        md->dropped_samples += mk.dropped_samples;
        md->overflow |= mk.overflow;
        md->num_samples = mk.num_samples < md->num_samples ? mk.num_samples : md->num_samples;
        md->start_tick = k == 0 ? mk.start_tick : md->start_tick;
    }
    return ISAC_OK;
}

static int op_counters(void *st, struct isac_radio_counters *c)
{
    struct set_state *s = st;
    memset(c, 0, sizeof *c);
    for (unsigned k = 0; k < s->n; k++) {
        struct isac_radio_counters ck = {0};
        int rc = isac_radio_get_counters(s->m[k], &ck);
        if (rc)
            return rc;
        c->overflows += ck.overflows;
        c->underflows += ck.underflows;
        c->late_commands += ck.late_commands;
        c->dropped_samples += ck.dropped_samples;
        c->timeouts += ck.timeouts;
    }
    return ISAC_OK;
}

/* A one-member set is that radio: its scene and truth stay available. */
static int op_episode(void *st, uint64_t episode)
{
    struct set_state *s = st;
    return s->n == 1 ? isac_radio_new_episode(s->m[0], episode) : ISAC_ENOTSUP;
}

static int op_truth(void *st, char **json_out)
{
    struct set_state *s = st;
    return s->n == 1 ? isac_radio_truth_json(s->m[0], json_out) : ISAC_ENOTSUP;
}

static const char *op_err(void *st)
{
    return ((struct set_state *)st)->err;
}

static int op_tune(void *st, double hz)
{
    struct set_state *s = st;
    for (unsigned k = 0; k < s->n; k++) {
        int rc = isac_radio_set_center_freq(s->m[k], hz);
        if (rc)
            return member_err(s, k, rc);
    }
    s->info.center_freq = hz;
    return ISAC_OK;
}

/* Only member 0 transmits, so its elements are the set's TX elements. */
static int op_move(void *st, const double *pos, unsigned n)
{
    struct set_state *s = st;
    int rc = isac_radio_set_tx_positions(s->m[0], pos, n);
    if (rc)
        return member_err(s, 0, rc);
    memcpy(s->info.tx_pos_wl, pos, n * sizeof *pos);
    return ISAC_OK;
}

/* Each member renders (or captures) its own share of the set's receive APs. */
static int op_rx_aps(void *st, uint32_t mask)
{
    struct set_state *s = st;
    struct isac_radio_info *mi = malloc(sizeof *mi); /* 4 kB of positions: not the stack */
    if (!mi)
        return ISAC_ENOMEM;
    unsigned first = 0;
    for (unsigned k = 0; k < s->n; k++) {
        isac_radio_get_info(s->m[k], mi);
        uint32_t own = mi->num_rx_aps >= 32 ? ~0u : (1u << mi->num_rx_aps) - 1u;
        int rc = isac_radio_set_rx_aps(s->m[k], (first < 32 ? mask >> first : 0) & own);
        first += mi->num_rx_aps;
        if (rc && rc != ISAC_ENOTSUP) {
            free(mi);
            return member_err(s, k, rc);
        }
    }
    free(mi);
    return ISAC_OK;
}

const struct isac_radio_ops radio_set_ops = {
    .name = "set",
    .open = op_open,
    .close = op_close,
    .get_info = op_info,
    .get_time = op_time,
    .tx_burst = op_tx,
    .rx_capture = op_rx,
    .get_counters = op_counters,
    .new_episode = op_episode,
    .truth_json = op_truth,
    .last_error = op_err,
    .set_center_freq = op_tune,
    .set_tx_positions = op_move,
    .set_rx_aps = op_rx_aps,
};
