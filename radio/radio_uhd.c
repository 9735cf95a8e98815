/* The `uhd` back end: USRPs through the UHD 4.3 C API (uhd.h); docs/frontends.md.
 *
 * Open: device address -> uhd_usrp_make; master clock rate; subdevice specs; clock and
 * time sources; per-channel rate, bandwidth, gain, antenna, LO source/export; device
 * time (set_time_now / set_time_next_pps / set_time_unknown_pps, to 0); then every
 * channel (RX and TX) tuned under ONE command time so that the synthesizers' phase
 * relations repeat from tune to tune (UHD sync notes); streams fc32 over `otw`.
 * Radio tick t is device time (origin + t) / fs, origin = device time at the end of
 * open + isactb_lead.
 * RX windows: NUM_SAMPS_AND_DONE stream commands with stream_now = false at
 * origin + t0 + txrx_delay (multi-channel RX never starts untimed), timestamps checked
 * against the sample count (gaps zero-filled and counted). TX bursts: one timed
 * start-of-burst ... end-of-burst; the async queue (underflow, sequence error, late)
 * is drained after every burst and before every capture.
 * What the C API cannot do: property-tree access, so N310/N320 LO distribution
 * (lo_distribution/LO_OUT_n/export) and X440 sync features need UHD's C++ API.
 */
#include <uhd.h>

#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/err.h"
#include "radio.h"
#include "radio_uhd_config.h"
#include "radio_uhd_soapy_common.h"

#define NAME "uhd"
#define ALL_MBOARDS ((size_t) ~(size_t)0)

struct uhd_st {
    uhd_usrp_handle usrp;
    uhd_rx_streamer_handle rxs;
    uhd_tx_streamer_handle txs;
    uhd_rx_metadata_handle rx_md;
    uhd_async_metadata_handle async_md;
    unsigned nrx, ntx;
    size_t rx_map[ISAC_RADIO_MAX_CHANNELS], tx_map[ISAC_RADIO_MAX_CHANNELS];
    void *rx_ptr[ISAC_RADIO_MAX_CHANNELS];
    const void *tx_ptr[ISAC_RADIO_MAX_CHANNELS];
    struct radio_uhd_config cfg;
    struct isac_radio_info info;
    double fs;
    long long origin;
    struct isac_radio_counters cnt;
    char err[512];
};

static int seterr(struct uhd_st *s, int rc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int seterr(struct uhd_st *s, int rc, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    isac_vseterr(s->err, sizeof s->err, fmt, ap); /* one line, whatever the driver says */
    va_end(ap);
    return rc;
}

/* UHD's text of the last failure, as one line. */
static const char *uhd_why(struct uhd_st *s, char *buf, size_t len)
{
    char raw[1024] = "";
    if (s->usrp)
        uhd_usrp_last_error(s->usrp, raw, sizeof raw);
    if (!raw[0])
        uhd_get_last_error(raw, sizeof raw);
    radio_uhd_one_line(raw[0] ? raw : "no detail from UHD", buf, len);
    return buf;
}

/* Map a failed UHD call to an isac_err with "what: UHD text" in s->err. */
static int uhd_fail(struct uhd_st *s, uhd_error e, const char *what)
{
    char why[400];
    return seterr(s, radio_uhd_map_error((int)e, 0), "%s: %s", what, uhd_why(s, why, sizeof why));
}

#define UHD_TRY(s, call, what)                                                                     \
    do {                                                                                           \
        uhd_error e_ = (call);                                                                     \
        if (e_ != UHD_ERROR_NONE)                                                                  \
            return uhd_fail((s), e_, (what));                                                      \
    } while (0)

static void ticks_to_spec(double fs, long long tick, int64_t *full, double *frac)
{
    double sec = (double)tick / fs;
    *full = (int64_t)floor(sec);
    *frac = sec - (double)*full;
}

static long long spec_to_ticks(double fs, int64_t full, double frac)
{
    return llround((double)full * fs + frac * fs);
}

static void sleep_s(double sec)
{
    struct timespec ts = {(time_t)sec, (long)((sec - floor(sec)) * 1e9)};
    nanosleep(&ts, NULL);
}

static int channel_map(struct uhd_st *s, const char *key, size_t ndev, size_t *map, unsigned *n)
{
    const char *v = fe_get(&s->cfg.a, key);
    unsigned tmp[ISAC_RADIO_MAX_CHANNELS];
    char e[256];
    if (!v) {
        *n = ndev > ISAC_RADIO_MAX_CHANNELS ? ISAC_RADIO_MAX_CHANNELS : (unsigned)ndev;
        for (unsigned i = 0; i < *n; i++)
            map[i] = i;
        return ISAC_OK;
    }
    if (fe_parse_channels(v, (unsigned)ndev, tmp, ISAC_RADIO_MAX_CHANNELS, n, e, sizeof e))
        return seterr(s, ISAC_EINVAL, "argument '" FE_PREFIX "%s=%s': %s", key, v, e);
    for (unsigned i = 0; i < *n; i++)
        map[i] = tmp[i];
    return ISAC_OK;
}

static int set_subdevs(struct uhd_st *s)
{
    for (int dir = 0; dir < 2; dir++) {
        const char *spec = dir ? s->cfg.rx_subdev : s->cfg.tx_subdev;
        if (!spec[0])
            continue;
        uhd_subdev_spec_handle h = NULL;
        uhd_error e = uhd_subdev_spec_make(&h, spec);
        if (e == UHD_ERROR_NONE)
            e = dir ? uhd_usrp_set_rx_subdev_spec(s->usrp, h, ALL_MBOARDS)
                    : uhd_usrp_set_tx_subdev_spec(s->usrp, h, ALL_MBOARDS);
        if (h)
            uhd_subdev_spec_free(&h);
        if (e != UHD_ERROR_NONE)
            return uhd_fail(s, e, dir ? "isactb_rx_subdev" : "isactb_tx_subdev");
    }
    return ISAC_OK;
}

static int set_clocking(struct uhd_st *s)
{
    if (s->cfg.mcr > 0)
        UHD_TRY(s, uhd_usrp_set_master_clock_rate(s->usrp, s->cfg.mcr, ALL_MBOARDS), "isactb_mcr");
    if (s->cfg.clock[0])
        UHD_TRY(s, uhd_usrp_set_clock_source(s->usrp, s->cfg.clock, ALL_MBOARDS), "isactb_clock");
    if (s->cfg.time[0])
        UHD_TRY(s, uhd_usrp_set_time_source(s->usrp, s->cfg.time, ALL_MBOARDS), "isactb_time");
    return ISAC_OK;
}

/* Per-channel numbers of one key applied through setter(usrp, value, chan). */
static int per_channel_gain(struct uhd_st *s, const char *key, int rx)
{
    const char *v = fe_get(&s->cfg.a, key);
    unsigned n = rx ? s->nrx : s->ntx;
    const size_t *map = rx ? s->rx_map : s->tx_map;
    double val[ISAC_RADIO_MAX_CHANNELS];
    char e[256];
    if (!v || !n)
        return ISAC_OK;
    if (fe_parse_values(v, n, -100, 200, val, e, sizeof e))
        return seterr(s, ISAC_EINVAL, "argument '" FE_PREFIX "%s=%s': %s", key, v, e);
    for (unsigned i = 0; i < n; i++)
        UHD_TRY(s,
                rx ? uhd_usrp_set_rx_gain(s->usrp, val[i], map[i], "")
                   : uhd_usrp_set_tx_gain(s->usrp, val[i], map[i], ""),
                key);
    return ISAC_OK;
}

static int per_channel_antenna(struct uhd_st *s, const char *key, int rx)
{
    const char *v = fe_get(&s->cfg.a, key);
    unsigned n = rx ? s->nrx : s->ntx;
    const size_t *map = rx ? s->rx_map : s->tx_map;
    char names[ISAC_RADIO_MAX_CHANNELS][32], e[256];
    if (!v || !n)
        return ISAC_OK;
    if (fe_parse_words(v, n, names, e, sizeof e))
        return seterr(s, ISAC_EINVAL, "argument '" FE_PREFIX "%s=%s': %s", key, v, e);
    for (unsigned i = 0; i < n; i++)
        UHD_TRY(s,
                rx ? uhd_usrp_set_rx_antenna(s->usrp, names[i], map[i])
                   : uhd_usrp_set_tx_antenna(s->usrp, names[i], map[i]),
                key);
    return ISAC_OK;
}

/* LO source of every channel of a direction, and LO export on the listed channels
 * (X300+TwinRX, N320/N321 within one device; see the file comment for N310). */
static int set_lo(struct uhd_st *s, int rx)
{
    const char *src = rx ? s->cfg.lo_source : s->cfg.tx_lo_source;
    const char *key = rx ? "lo_export" : "tx_lo_export";
    const char *ex = fe_get(&s->cfg.a, key);
    unsigned n = rx ? s->nrx : s->ntx;
    const size_t *map = rx ? s->rx_map : s->tx_map;
    for (unsigned i = 0; src[0] && i < n; i++)
        UHD_TRY(s,
                rx ? uhd_usrp_set_rx_lo_source(s->usrp, src, UHD_USRP_ALL_LOS, map[i])
                   : uhd_usrp_set_tx_lo_source(s->usrp, src, UHD_USRP_ALL_LOS, map[i]),
                rx ? "isactb_lo_source" : "isactb_tx_lo_source");
    if (!ex)
        return ISAC_OK;
    unsigned list[ISAC_RADIO_MAX_CHANNELS], m;
    char e[256];
    if (fe_parse_channels(ex, n, list, ISAC_RADIO_MAX_CHANNELS, &m, e, sizeof e))
        return seterr(s, ISAC_EINVAL, "argument '" FE_PREFIX "%s=%s': %s (radio channels)", key, ex,
                      e);
    for (unsigned i = 0; i < m; i++)
        UHD_TRY(
            s,
            rx ? uhd_usrp_set_rx_lo_export_enabled(s->usrp, true, UHD_USRP_ALL_LOS, map[list[i]])
               : uhd_usrp_set_tx_lo_export_enabled(s->usrp, true, UHD_USRP_ALL_LOS, map[list[i]]),
            key);
    return ISAC_OK;
}

static int set_rates(struct uhd_st *s)
{
    for (unsigned i = 0; i < s->nrx; i++) {
        if (s->cfg.rate > 0)
            UHD_TRY(s, uhd_usrp_set_rx_rate(s->usrp, s->cfg.rate, s->rx_map[i]),
                    "isactb_rate (RX)");
        if (s->cfg.bw > 0)
            UHD_TRY(s, uhd_usrp_set_rx_bandwidth(s->usrp, s->cfg.bw, s->rx_map[i]),
                    "isactb_bw (RX)");
    }
    for (unsigned i = 0; i < s->ntx; i++) {
        if (s->cfg.rate > 0)
            UHD_TRY(s, uhd_usrp_set_tx_rate(s->usrp, s->cfg.rate, s->tx_map[i]),
                    "isactb_rate (TX)");
        if (s->cfg.bw > 0)
            UHD_TRY(s, uhd_usrp_set_tx_bandwidth(s->usrp, s->cfg.bw, s->tx_map[i]),
                    "isactb_bw (TX)");
    }
    UHD_TRY(s, uhd_usrp_get_rx_rate(s->usrp, s->rx_map[0], &s->fs), "get_rx_rate");
    return s->fs > 0 ? ISAC_OK : seterr(s, ISAC_ERADIO, "the device reports sample rate %g", s->fs);
}

static int set_time(struct uhd_st *s)
{
    switch (s->cfg.time_set) {
    case UHD_TS_NEXT_PPS:
        UHD_TRY(s, uhd_usrp_set_time_next_pps(s->usrp, 0, 0.0, ALL_MBOARDS), "set_time_next_pps");
        sleep_s(1.1); /* the edge that latches the time */
        break;
    case UHD_TS_UNKNOWN_PPS: /* blocks until the PPS edge */
        UHD_TRY(s, uhd_usrp_set_time_unknown_pps(s->usrp, 0, 0.0), "set_time_unknown_pps");
        break;
    default: UHD_TRY(s, uhd_usrp_set_time_now(s->usrp, 0, 0.0, ALL_MBOARDS), "set_time_now");
    }
    return ISAC_OK;
}

static int now_ticks(struct uhd_st *s, long long *t)
{
    int64_t full;
    double frac;
    UHD_TRY(s, uhd_usrp_get_time_now(s->usrp, 0, &full, &frac), "get_time_now");
    *t = spec_to_ticks(s->fs, full, frac);
    return ISAC_OK;
}

/* Tune every RX and TX channel to hz under one command time. */
static int timed_tune(struct uhd_st *s, double hz)
{
    long long now = 0;
    int rc = now_ticks(s, &now);
    if (rc)
        return rc;
    int64_t full;
    double frac;
    ticks_to_spec(s->fs, now + llround(s->cfg.tune_lead * s->fs), &full, &frac);
    UHD_TRY(s, uhd_usrp_set_command_time(s->usrp, full, frac, ALL_MBOARDS), "set_command_time");
    uhd_tune_request_t req = {.target_freq = hz,
                              .rf_freq_policy = UHD_TUNE_REQUEST_POLICY_AUTO,
                              .dsp_freq_policy = UHD_TUNE_REQUEST_POLICY_AUTO,
                              .args = (char *)""};
    uhd_tune_result_t res;
    uhd_error e = UHD_ERROR_NONE;
    const char *what = "set_rx_freq";
    for (unsigned i = 0; e == UHD_ERROR_NONE && i < s->nrx; i++)
        e = uhd_usrp_set_rx_freq(s->usrp, &req, s->rx_map[i], &res);
    if (e == UHD_ERROR_NONE)
        what = "set_tx_freq";
    for (unsigned i = 0; e == UHD_ERROR_NONE && i < s->ntx; i++)
        e = uhd_usrp_set_tx_freq(s->usrp, &req, s->tx_map[i], &res);
    uhd_usrp_clear_command_time(s->usrp, ALL_MBOARDS);
    if (e != UHD_ERROR_NONE)
        return uhd_fail(s, e, what);
    sleep_s(s->cfg.tune_lead + 0.05); /* the timed tune has happened and settled */
    double f = 0;
    uhd_usrp_get_rx_freq(s->usrp, s->rx_map[0], &f);
    s->info.center_freq = f;
    return ISAC_OK;
}

static int setup_streams(struct uhd_st *s)
{
    uhd_stream_args_t args = {.cpu_format = (char *)"fc32",
                              .otw_format = s->cfg.otw,
                              .args = (char *)"",
                              .channel_list = s->rx_map,
                              .n_channels = (int)s->nrx};
    UHD_TRY(s, uhd_rx_streamer_make(&s->rxs), "rx_streamer_make");
    UHD_TRY(s, uhd_usrp_get_rx_stream(s->usrp, &args, s->rxs), "get_rx_stream");
    UHD_TRY(s, uhd_rx_metadata_make(&s->rx_md), "rx_metadata_make");
    UHD_TRY(s, uhd_async_metadata_make(&s->async_md), "async_metadata_make");
    if (!s->ntx)
        return ISAC_OK;
    args.channel_list = s->tx_map;
    args.n_channels = (int)s->ntx;
    UHD_TRY(s, uhd_tx_streamer_make(&s->txs), "tx_streamer_make");
    UHD_TRY(s, uhd_usrp_get_tx_stream(s->usrp, &args, s->txs), "get_tx_stream");
    return ISAC_OK;
}

static int range_of(struct uhd_st *s, int rx, int gain, size_t ch, double *lo, double *hi)
{
    uhd_meta_range_handle r = NULL;
    uhd_error e = uhd_meta_range_make(&r);
    if (e == UHD_ERROR_NONE)
        e = gain ? (rx ? uhd_usrp_get_rx_gain_range(s->usrp, "", ch, r)
                       : uhd_usrp_get_tx_gain_range(s->usrp, "", ch, r))
                 : (rx ? uhd_usrp_get_rx_freq_range(s->usrp, ch, r)
                       : uhd_usrp_get_tx_freq_range(s->usrp, ch, r));
    if (e == UHD_ERROR_NONE)
        e = uhd_meta_range_start(r, lo);
    if (e == UHD_ERROR_NONE)
        e = uhd_meta_range_stop(r, hi);
    if (r)
        uhd_meta_range_free(&r);
    return e == UHD_ERROR_NONE ? ISAC_OK : ISAC_ERADIO;
}

static int describe(struct uhd_st *s)
{
    struct isac_radio_info *in = &s->info;
    char mb[24] = "usrp", e[256];
    uhd_usrp_get_mboard_name(s->usrp, 0, mb, sizeof mb);
    uhd_usrp_rx_info_t ri;
    memset(&ri, 0, sizeof ri);
    if (uhd_usrp_get_rx_info(s->usrp, s->rx_map[0], &ri) == UHD_ERROR_NONE) {
        snprintf(in->serial, sizeof in->serial, "%s-%.32s", mb,
                 ri.mboard_serial ? ri.mboard_serial : "");
        uhd_usrp_rx_info_free(&ri);
    } else {
        snprintf(in->serial, sizeof in->serial, "%s", mb);
    }
    snprintf(in->driver, sizeof in->driver, NAME);
    in->caps = ISAC_RADIO_CAP_TIMED_TX | ISAC_RADIO_CAP_TIMED_RX | ISAC_RADIO_CAP_HW_TIME |
               (s->cfg.lo_shared ? ISAC_RADIO_CAP_LO_SHARED : 0);
    in->num_rx = s->nrx;
    in->num_tx = s->ntx;
    in->sample_rate = s->fs;
    in->bandwidth = s->fs;
    in->full_scale = 1.0; /* fc32: |x| = 1 is the DAC's full scale */
    uhd_usrp_get_rx_bandwidth(s->usrp, s->rx_map[0], &in->bandwidth);
    uhd_usrp_get_rx_freq(s->usrp, s->rx_map[0], &in->center_freq);
    range_of(s, 1, 0, s->rx_map[0], &in->freq_min, &in->freq_max);
    uhd_usrp_get_rx_gain(s->usrp, s->rx_map[0], "", &in->rx_gain_db);
    if (s->ntx)
        uhd_usrp_get_tx_gain(s->usrp, s->tx_map[0], "", &in->tx_gain_db);
    if (fe_layout(NAME, &s->cfg.a, in, e, sizeof e))
        return seterr(s, ISAC_EINVAL, "%s", e);
    return ISAC_OK;
}

static int configure(struct uhd_st *s)
{
    size_t nrx = 0, ntx = 0;
    int rc;
    if ((rc = set_subdevs(s)) || (rc = set_clocking(s)))
        return rc;
    UHD_TRY(s, uhd_usrp_get_rx_num_channels(s->usrp, &nrx), "get_rx_num_channels");
    UHD_TRY(s, uhd_usrp_get_tx_num_channels(s->usrp, &ntx), "get_tx_num_channels");
    if ((rc = channel_map(s, "rx", nrx, s->rx_map, &s->nrx)) ||
        (rc = channel_map(s, "tx", ntx, s->tx_map, &s->ntx)))
        return rc;
    if (!s->nrx)
        return seterr(s, ISAC_ERADIO, "the device has no RX channel");
    if ((rc = set_rates(s)) || (rc = per_channel_gain(s, "rx_gain", 1)) ||
        (rc = per_channel_gain(s, "tx_gain", 0)) || (rc = per_channel_antenna(s, "rx_ant", 1)) ||
        (rc = per_channel_antenna(s, "tx_ant", 0)) || (rc = set_lo(s, 1)) || (rc = set_lo(s, 0)) ||
        (rc = set_time(s)))
        return rc;
    if (s->cfg.freq > 0 && (rc = timed_tune(s, s->cfg.freq)))
        return rc;
    if ((rc = describe(s)) || (rc = setup_streams(s)))
        return rc;
    long long now = 0;
    if ((rc = now_ticks(s, &now)))
        return rc;
    s->origin = now + llround(s->cfg.lead * s->fs);
    return ISAC_OK;
}

static void uhd_close(void *st)
{
    struct uhd_st *s = st;
    if (!s)
        return;
    if (s->txs)
        uhd_tx_streamer_free(&s->txs);
    if (s->rxs)
        uhd_rx_streamer_free(&s->rxs);
    if (s->rx_md)
        uhd_rx_metadata_free(&s->rx_md);
    if (s->async_md)
        uhd_async_metadata_free(&s->async_md);
    if (s->usrp)
        uhd_usrp_free(&s->usrp);
    free(s);
}

static int uhd_open(const char *args, void **state, char *err, size_t errlen)
{
    struct uhd_st *s = calloc(1, sizeof *s);
    int rc;
    if (!s) {
        snprintf(err, errlen, "out of memory");
        return ISAC_ENOMEM;
    }
    if ((rc = radio_uhd_parse(args, &s->cfg, err, errlen)))
        goto fail;
    /* UHD logs its banner and discovery to stderr; keep the console to errors unless
     * the user chose a level (the CLI contract: one line per failure). */
    setenv("UHD_LOG_CONSOLE_LEVEL", "error", 0);
    uhd_error e = uhd_usrp_make(&s->usrp, s->cfg.a.pass);
    if (e != UHD_ERROR_NONE) {
        char why[400];
        s->usrp = NULL;
        snprintf(err, errlen, "no UHD device found for '%s': %s", s->cfg.a.pass,
                 uhd_why(s, why, sizeof why));
        rc = radio_uhd_map_error((int)e, 1);
        goto fail;
    }
    if ((rc = configure(s))) {
        snprintf(err, errlen, "%s", s->err);
        goto fail;
    }
    *state = s;
    return ISAC_OK;
fail:
    uhd_close(s);
    return rc;
}

/* Drain the TX async queue: underflows and sequence errors counted, late bursts fail. */
static int poll_async(struct uhd_st *s)
{
    int late = 0;
    for (int i = 0; s->txs && i < 64; i++) {
        bool valid = false;
        if (uhd_tx_streamer_recv_async_msg(s->txs, &s->async_md, 0.0, &valid) != UHD_ERROR_NONE ||
            !valid)
            break;
        uhd_async_metadata_event_code_t code = 0;
        uhd_async_metadata_event_code(s->async_md, &code);
        if (code & (UHD_ASYNC_METADATA_EVENT_CODE_UNDERFLOW |
                    UHD_ASYNC_METADATA_EVENT_CODE_UNDERFLOW_IN_PACKET |
                    UHD_ASYNC_METADATA_EVENT_CODE_SEQ_ERROR |
                    UHD_ASYNC_METADATA_EVENT_CODE_SEQ_ERROR_IN_BURST))
            s->cnt.underflows++;
        if (code & UHD_ASYNC_METADATA_EVENT_CODE_TIME_ERROR) {
            s->cnt.late_commands++;
            late = 1;
        }
    }
    return late ? seterr(s, ISAC_ERADIO, "a TX burst was late (UHD async TIME_ERROR)") : ISAC_OK;
}

static int op_tx(void *st, int64_t t0, const float complex *const *x, size_t len)
{
    struct uhd_st *s = st;
    if (!s->txs)
        return seterr(s, ISAC_ENOTSUP, "no TX channel");
    int64_t full;
    double frac;
    ticks_to_spec(s->fs, s->origin + t0, &full, &frac);
    size_t sent = 0;
    int stalls = 0;
    while (sent < len) {
        uhd_tx_metadata_handle md = NULL;
        UHD_TRY(s, uhd_tx_metadata_make(&md, sent == 0, full, frac, sent == 0, true),
                "tx_metadata_make");
        for (unsigned ch = 0; ch < s->ntx; ch++)
            s->tx_ptr[ch] = x[ch] + sent;
        size_t n = 0;
        uhd_error e = uhd_tx_streamer_send(s->txs, s->tx_ptr, len - sent, &md,
                                           s->cfg.timeout + (double)len / s->fs, &n);
        uhd_tx_metadata_free(&md);
        if (e != UHD_ERROR_NONE)
            return uhd_fail(s, e, "tx_streamer_send");
        if (n == 0 && ++stalls > 4) {
            s->cnt.timeouts++;
            return seterr(s, ISAC_ETIMEOUT, "TX send timed out at sample %zu of %zu", sent, len);
        }
        sent += n;
    }
    return poll_async(s);
}

static int read_window(struct uhd_st *s, long long dev_t0, float complex *const *y, size_t len,
                       struct isac_radio_rx_md *md)
{
    size_t got = 0;
    double timeout = s->cfg.timeout + s->cfg.lead + (double)len / s->fs;
    while (got < len) {
        for (unsigned ch = 0; ch < s->nrx; ch++)
            s->rx_ptr[ch] = y[ch] + got;
        size_t n = 0;
        uhd_error e =
            uhd_rx_streamer_recv(s->rxs, s->rx_ptr, len - got, &s->rx_md, timeout, false, &n);
        if (e != UHD_ERROR_NONE)
            return uhd_fail(s, e, "rx_streamer_recv");
        uhd_rx_metadata_error_code_t code = UHD_RX_METADATA_ERROR_CODE_NONE;
        uhd_rx_metadata_error_code(s->rx_md, &code);
        switch (code) {
        case UHD_RX_METADATA_ERROR_CODE_NONE: break;
        case UHD_RX_METADATA_ERROR_CODE_OVERFLOW:
            s->cnt.overflows++;
            md->overflow = 1;
            break;
        case UHD_RX_METADATA_ERROR_CODE_TIMEOUT:
            s->cnt.timeouts++;
            return seterr(s, ISAC_ETIMEOUT, "RX timed out at sample %zu of %zu", got, len);
        case UHD_RX_METADATA_ERROR_CODE_LATE_COMMAND:
            s->cnt.late_commands++;
            s->cnt.dropped_samples += len - got; /* the window is lost */
            return seterr(s, ISAC_ERADIO, "RX stream command was late (tick %lld)",
                          (long long)md->start_tick);
        default: {
            char txt[200] = "";
            uhd_rx_metadata_strerror(s->rx_md, txt, sizeof txt);
            return seterr(s, ISAC_ERADIO, "RX metadata error: %s", txt);
        }
        }
        long long want = dev_t0 + (long long)got, at = want;
        bool has_time = false;
        uhd_rx_metadata_has_time_spec(s->rx_md, &has_time);
        if (has_time && n > 0) {
            int64_t full;
            double frac;
            uhd_rx_metadata_time_spec(s->rx_md, &full, &frac);
            at = spec_to_ticks(s->fs, full, frac);
        }
        long long fill = fe_place(y, s->nrx, len, got, n, at, want, md, &s->cnt.dropped_samples);
        if (fill < 0)
            return seterr(s, ISAC_ERADIO, "RX timestamp went back: tick %lld where %lld expected",
                          at, want);
        got = (size_t)fill;
        bool eob = false;
        uhd_rx_metadata_end_of_burst(s->rx_md, &eob);
        if (eob && got < len)
            return seterr(s, ISAC_ERADIO, "RX burst ended after %zu of %zu samples", got, len);
    }
    return ISAC_OK;
}

static int op_rx(void *st, int64_t t0, float complex *const *y, size_t len,
                 struct isac_radio_rx_md *md)
{
    struct uhd_st *s = st;
    int rc = poll_async(s);
    if (rc)
        return rc;
    long long dev_t0 = s->origin + t0 + s->cfg.txrx_delay;
    uhd_stream_cmd_t cmd = {
        .stream_mode = UHD_STREAM_MODE_NUM_SAMPS_AND_DONE, .num_samps = len, .stream_now = false};
    ticks_to_spec(s->fs, dev_t0, &cmd.time_spec_full_secs, &cmd.time_spec_frac_secs);
    md->start_tick = t0;
    UHD_TRY(s, uhd_rx_streamer_issue_stream_cmd(s->rxs, &cmd), "issue_stream_cmd");
    rc = read_window(s, dev_t0, y, len, md);
    md->num_samples = len;
    return rc;
}

static int op_info(void *st, struct isac_radio_info *info)
{
    *info = ((struct uhd_st *)st)->info;
    return ISAC_OK;
}

static int op_time(void *st, int64_t *tick)
{
    struct uhd_st *s = st;
    long long t = 0;
    int rc = now_ticks(s, &t);
    *tick = rc ? 0 : t - s->origin;
    return rc;
}

static int op_counters(void *st, struct isac_radio_counters *c)
{
    *c = ((struct uhd_st *)st)->cnt;
    return ISAC_OK;
}

static const char *op_err(void *st)
{
    return ((struct uhd_st *)st)->err;
}
static int op_tune(void *st, double hz)
{
    return timed_tune(st, hz);
}

/* The TX settings the transmit guard checks each burst against, read back from the
 * device channel by channel. A setting the device cannot report is refused as a fault
 * (the burst is then not sent). */
static int op_tx_state(void *st, struct isac_radio_tx_state *ts)
{
    struct uhd_st *s = st;
    ts->full_scale = s->info.full_scale;
    for (unsigned c = 0; c < s->ntx; c++) {
        double rate = 0;
        size_t ch = s->tx_map[c];
        if (uhd_usrp_get_tx_rate(s->usrp, ch, &rate) ||
            uhd_usrp_get_tx_freq(s->usrp, ch, &ts->freq_hz[c]) ||
            uhd_usrp_get_tx_bandwidth(s->usrp, ch, &ts->bw_hz[c]) ||
            uhd_usrp_get_tx_gain(s->usrp, ch, "", &ts->gain_db[c]))
            return seterr(s, ISAC_ERADIO, "cannot read the TX settings of channel %zu", ch);
        ts->rate = c == 0 || rate > ts->rate ? rate : ts->rate;
    }
    return ISAC_OK;
}

const struct isac_radio_ops radio_uhd_ops = {
    .name = NAME,
    .open = uhd_open,
    .close = uhd_close,
    .get_info = op_info,
    .get_time = op_time,
    .tx_burst = op_tx,
    .rx_capture = op_rx,
    .get_counters = op_counters,
    .last_error = op_err,
    .set_center_freq = op_tune,
    .tx_state = op_tx_state,
};

/* ---- description for `isactb info` ---------------------------------------- */

static json_t *strvec_json(uhd_string_vector_handle v)
{
    json_t *a = json_array();
    size_t n = 0;
    uhd_string_vector_size(v, &n);
    for (size_t i = 0; i < n; i++) {
        char buf[256] = "";
        uhd_string_vector_at(v, i, buf, sizeof buf);
        json_array_append_new(a, json_string(buf));
    }
    return a;
}

static json_t *channel_json(struct uhd_st *s, int rx, size_t ch, unsigned index)
{
    double rate = 0, freq = 0, gain = 0, glo = 0, ghi = 0, flo = 0, fhi = 0;
    char ant[64] = "", lo[64] = "";
    if (rx) {
        uhd_usrp_get_rx_rate(s->usrp, ch, &rate);
        uhd_usrp_get_rx_freq(s->usrp, ch, &freq);
        uhd_usrp_get_rx_gain(s->usrp, ch, "", &gain);
        uhd_usrp_get_rx_antenna(s->usrp, ch, ant, sizeof ant);
        uhd_usrp_get_rx_lo_source(s->usrp, UHD_USRP_ALL_LOS, ch, lo, sizeof lo);
    } else {
        uhd_usrp_get_tx_rate(s->usrp, ch, &rate);
        uhd_usrp_get_tx_freq(s->usrp, ch, &freq);
        uhd_usrp_get_tx_gain(s->usrp, ch, "", &gain);
        uhd_usrp_get_tx_antenna(s->usrp, ch, ant, sizeof ant);
        uhd_usrp_get_tx_lo_source(s->usrp, UHD_USRP_ALL_LOS, ch, lo, sizeof lo);
    }
    range_of(s, rx, 1, ch, &glo, &ghi);
    range_of(s, rx, 0, ch, &flo, &fhi);
    return json_pack("{s:i,s:i,s:f,s:f,s:f,s:[f,f],s:[f,f],s:s,s:s}", "index", (int)index,
                     "device_channel", (int)ch, "sample_rate_hz", rate, "freq_hz", freq, "gain_db",
                     gain, "gain_range_db", glo, ghi, "freq_range_hz", flo, fhi, "antenna", ant,
                     "lo_source", lo);
}

static json_t *mboard_json(struct uhd_st *s)
{
    char clk[64] = "", tim[64] = "", name[64] = "";
    uhd_usrp_get_mboard_name(s->usrp, 0, name, sizeof name);
    uhd_usrp_get_clock_source(s->usrp, 0, clk, sizeof clk);
    uhd_usrp_get_time_source(s->usrp, 0, tim, sizeof tim);
    json_t *o = json_pack("{s:s,s:s,s:s}", "mboard", name, "clock_source", clk, "time_source", tim);
    uhd_string_vector_handle v = NULL;
    if (uhd_string_vector_make(&v) == UHD_ERROR_NONE) {
        if (uhd_usrp_get_clock_sources(s->usrp, 0, &v) == UHD_ERROR_NONE)
            json_object_set_new(o, "clock_sources", strvec_json(v));
        uhd_string_vector_free(&v);
    }
    if (uhd_string_vector_make(&v) == UHD_ERROR_NONE) {
        if (uhd_usrp_get_time_sources(s->usrp, 0, &v) == UHD_ERROR_NONE)
            json_object_set_new(o, "time_sources", strvec_json(v));
        uhd_string_vector_free(&v);
    }
    json_t *sens = json_object();
    if (uhd_string_vector_make(&v) == UHD_ERROR_NONE) {
        size_t n = 0;
        if (uhd_usrp_get_mboard_sensor_names(s->usrp, 0, &v) == UHD_ERROR_NONE)
            uhd_string_vector_size(v, &n);
        for (size_t i = 0; i < n; i++) {
            char key[128] = "", val[256] = "";
            uhd_sensor_value_handle sv = NULL;
            uhd_string_vector_at(v, i, key, sizeof key);
            if (uhd_sensor_value_make(&sv) == UHD_ERROR_NONE) {
                if (uhd_usrp_get_mboard_sensor(s->usrp, key, 0, &sv) == UHD_ERROR_NONE)
                    uhd_sensor_value_to_pp_string(sv, val, sizeof val);
                uhd_sensor_value_free(&sv);
            }
            json_object_set_new(sens, key, json_string(val));
        }
        uhd_string_vector_free(&v);
    }
    json_object_set_new(o, "sensors", sens);
    return o;
}

int radio_uhd_describe_json(void *st, char **out);
int radio_uhd_describe_json(void *st, char **out)
{
    struct uhd_st *s = st;
    json_t *rx = json_array(), *tx = json_array();
    for (unsigned i = 0; i < s->nrx; i++)
        json_array_append_new(rx, channel_json(s, 1, s->rx_map[i], i));
    for (unsigned i = 0; i < s->ntx; i++)
        json_array_append_new(tx, channel_json(s, 0, s->tx_map[i], i));
    json_t *o = mboard_json(s);
    json_object_set_new(o, "rx_channels", rx);
    json_object_set_new(o, "tx_channels", tx);
    json_object_set_new(o, "time_origin_tick", json_integer(s->origin));
    json_object_set_new(o, "txrx_delay_samples", json_integer(s->cfg.txrx_delay));
    *out = json_dumps(o, JSON_COMPACT | JSON_REAL_PRECISION(12));
    json_decref(o);
    return *out ? ISAC_OK : ISAC_ENOMEM;
}
