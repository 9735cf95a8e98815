/* The `sim` back end: spec arguments -> struct isac_sim_params, and the isac_radio_ops vtable
 * over the emulator in radio/sim/. Keys, defaults and ranges: docs/emulator.md. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "radio.h"
#include "sim/sim.h"

static const char *const SIM_KEYS[] = {
    "seed",      "targets",   "elements",     "power",      "fc",        "fs",
    "center",    "nf",        "cpi",          "pg",         "rcs",       "rcs_db",
    "speed",     "clutter",   "clutter_db",   "leak",       "leak_db",   "impairments",
    "lo_shared", "cfo",       "gain_err",     "delay_err",  "drop_rate", "overflow_rate",
    "late_rate", "area",      "noise",        "hang_after", "timeout",   "cal",
    "cal_snr",   "pilot_deg", "episode_span", "positions",  "threads",   "prefetch",
    NULL};

#define NAME "sim"

static int get_uint(const char *args, const char *key, unsigned *v, unsigned lo, unsigned hi,
                    char *err, size_t errlen)
{
    uint64_t t;
    int rc = isac_radio_arg_u64(NAME, args, key, *v, lo, hi, &t, err, errlen);
    *v = (unsigned)t;
    return rc < 0 ? rc : 0;
}

static int get_bool(const char *args, const char *key, int *v, char *err, size_t errlen)
{
    unsigned t = (unsigned)*v;
    int rc = get_uint(args, key, &t, 0, 1, err, errlen);
    *v = (int)t;
    return rc;
}

static int get_dbl(const char *args, const char *key, double *v, double lo, double hi, char *err,
                   size_t errlen)
{
    int rc = isac_radio_arg_double(NAME, args, key, *v, lo, hi, v, err, errlen);
    return rc < 0 ? rc : 0;
}

/* positions=P0:P1:...: exactly `elements` numbers (wavelengths), checked like every
 * movable-element position (isac_radio_positions_check). */
static int get_positions(const char *args, struct isac_sim_params *p, char *err, size_t errlen)
{
    char v[4096], why[160];
    int rc = isac_radio_arg_get(args, "positions", v, sizeof v);
    if (rc <= 0)
        return rc < 0 ? ISAC_EINVAL : ISAC_OK;
    unsigned n = 0;
    const char *q = v;
    for (;;) {
        char *end;
        double x = strtod(q, &end);
        if (end == q || (*end && *end != ':') || n >= ISAC_SIM_MAX_ELEMENTS) {
            snprintf(why, sizeof why,
                     n >= ISAC_SIM_MAX_ELEMENTS ? "more than %d values"
                                                : "expected numbers separated by ':'",
                     ISAC_SIM_MAX_ELEMENTS);
            goto bad;
        }
        p->positions[n++] = x;
        if (!*end)
            break;
        q = end + 1;
    }
    if (n != p->elements) {
        snprintf(why, sizeof why, "%u values for elements=%u", n, p->elements);
        goto bad;
    }
    if (isac_radio_positions_check(p->positions, n, why, sizeof why))
        goto bad;
    p->npositions = n;
    return ISAC_OK;
bad:
    snprintf(err, errlen, "argument 'positions=%.*s' of back end '" NAME "': %s", 200, v, why);
    return ISAC_EINVAL;
}

/* Parse args into p (which holds the defaults on entry). */
static int parse_params(const char *args, struct isac_sim_params *p, char *err, size_t errlen)
{
    static const char *const rcs_words[] = {"swerling1", "swerling2", "fixed", NULL};
    static const char *const cal_words[] = {"off", "rx_splitter", "tx_coupler", "pilot", NULL};
    int rc = isac_radio_args_check(NAME, args, SIM_KEYS, err, errlen);
    if (rc)
        return rc;
    rc = isac_radio_arg_u64(NAME, args, "seed", p->seed, 0, UINT64_MAX, &p->seed, err, errlen);
    if (rc < 0)
        return rc;
    if (get_uint(args, "targets", &p->targets, 0, ISAC_SIM_MAX_TARGETS, err, errlen) ||
        get_uint(args, "elements", &p->elements, 1, ISAC_SIM_MAX_ELEMENTS, err, errlen) ||
        get_dbl(args, "power", &p->tx_power_dbm, -40, 40, err, errlen) ||
        get_dbl(args, "fc", &p->fc, 1e8, 3e11, err, errlen) ||
        get_dbl(args, "fs", &p->fs, 1e5, 1e9, err, errlen) ||
        get_dbl(args, "center", &p->center_freq, ISAC_SIM_FREQ_MIN, ISAC_SIM_FREQ_MAX, err,
                errlen) ||
        get_dbl(args, "nf", &p->nf_db, 0, 30, err, errlen) ||
        get_uint(args, "cpi", &p->cpi, 1, 1048576, err, errlen) ||
        get_dbl(args, "pg", &p->pg_db, 0, 10, err, errlen) ||
        isac_radio_arg_choice(NAME, args, "rcs", rcs_words, p->rcs, &p->rcs, err, errlen) < 0 ||
        get_dbl(args, "rcs_db", &p->rcs_db, -60, 60, err, errlen) ||
        get_dbl(args, "speed", &p->speed_max, 0, 100, err, errlen) ||
        get_uint(args, "clutter", &p->clutter, 0, ISAC_SIM_MAX_CLUTTER, err, errlen) ||
        get_dbl(args, "clutter_db", &p->clutter_db, -60, 60, err, errlen) ||
        get_bool(args, "leak", &p->leak, err, errlen) ||
        get_dbl(args, "leak_db", &p->leak_db, -200, 40, err, errlen) ||
        get_bool(args, "impairments", &p->impairments, err, errlen) ||
        get_bool(args, "lo_shared", &p->lo_shared, err, errlen) ||
        get_dbl(args, "cfo", &p->cfo_max_hz, 0, 1e4, err, errlen) ||
        get_dbl(args, "gain_err", &p->gain_max_db, 0, 10, err, errlen) ||
        get_dbl(args, "delay_err", &p->delay_max, 0, 8, err, errlen) ||
        get_dbl(args, "drop_rate", &p->drop_rate, 0, 1, err, errlen) ||
        get_uint(args, "threads", &p->threads, 0, 256, err, errlen) ||
        get_dbl(args, "overflow_rate", &p->overflow_rate, 0, 1, err, errlen) ||
        get_dbl(args, "late_rate", &p->late_rate, 0, 1, err, errlen) ||
        get_dbl(args, "area", &p->area, 10, 1e4, err, errlen) ||
        get_bool(args, "noise", &p->noise, err, errlen) ||
        get_bool(args, "prefetch", &p->prefetch, err, errlen) ||
        isac_radio_arg_u64(NAME, args, "hang_after", p->hang_after, 0, UINT64_MAX, &p->hang_after,
                           err, errlen) < 0 ||
        get_dbl(args, "timeout", &p->timeout_s, 0, 60, err, errlen) ||
        get_dbl(args, "episode_span", &p->episode_span_s, 0, 3600, err, errlen) ||
        isac_radio_arg_choice(NAME, args, "cal", cal_words, p->cal, &p->cal, err, errlen) < 0 ||
        get_dbl(args, "cal_snr", &p->cal_snr_db, -20, 60, err, errlen) ||
        get_dbl(args, "pilot_deg", &p->pilot_deg, -80, 80, err, errlen) ||
        get_positions(args, p, err, errlen))
        return ISAC_EINVAL;
    return ISAC_OK;
}

static int sim_open(const char *args, void **state, char *err, size_t errlen)
{
    struct isac_sim_params p;
    isac_sim_params_default(&p);
    int rc = parse_params(args ? args : "", &p, err, errlen);
    if (rc)
        return rc;
    isac_sim s = isac_sim_create(&p);
    if (!s) {
        snprintf(err, errlen, "back end 'sim': cannot create the emulator (out of memory)");
        return ISAC_ENOMEM;
    }
    *state = s;
    return ISAC_OK;
}

static void op_close(void *st)
{
    isac_sim_destroy(st);
}
static int op_info(void *st, struct isac_radio_info *info)
{
    isac_sim_get_info(st, info);
    return ISAC_OK;
}
static int op_time(void *st, int64_t *tick)
{
    *tick = isac_sim_now(st);
    return ISAC_OK;
}
static int op_tx(void *st, int64_t t0, const float complex *const *x, size_t len)
{
    return isac_sim_tx_burst(st, t0, x, len);
}
static int op_rx(void *st, int64_t t0, float complex *const *y, size_t len,
                 struct isac_radio_rx_md *md)
{
    return isac_sim_rx_capture(st, t0, y, len, md);
}
static int op_prepare(void *st, int64_t t0, size_t len)
{
    return isac_sim_prepare_rx(st, t0, len);
}
static int op_counters(void *st, struct isac_radio_counters *c)
{
    isac_sim_get_counters(st, c);
    return ISAC_OK;
}
static int op_episode(void *st, uint64_t ep)
{
    return isac_sim_new_episode(st, ep);
}
static int op_truth(void *st, char **out)
{
    *out = isac_sim_truth_json(st);
    return *out ? ISAC_OK : ISAC_ENOMEM;
}
static const char *op_err(void *st)
{
    return isac_sim_last_error(st);
}
static int op_tune(void *st, double hz)
{
    return isac_sim_retune(st, hz);
}
static int op_move(void *st, const double *pos, unsigned n)
{
    return isac_sim_set_tx_positions(st, pos, n);
}
static int op_rx_aps(void *st, uint32_t mask)
{
    isac_sim_set_rx_aps(st, mask);
    return ISAC_OK;
}

const struct isac_radio_ops radio_sim_ops = {
    .name = "sim",
    .open = sim_open,
    .close = op_close,
    .get_info = op_info,
    .get_time = op_time,
    .tx_burst = op_tx,
    .rx_capture = op_rx,
    .prepare_rx = op_prepare,
    .get_counters = op_counters,
    .new_episode = op_episode,
    .truth_json = op_truth,
    .last_error = op_err,
    .set_center_freq = op_tune,
    .set_tx_positions = op_move,
    .set_rx_aps = op_rx_aps,
};
