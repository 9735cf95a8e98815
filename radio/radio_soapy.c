/* The `soapy` back end: any SoapySDR 0.8 device through the C API (docs/frontends.md).
 *
 * Spec: "soapy:DEVICE_KWARGS[,isactb_KEY=VALUE...]". Every key not starting with
 * "isactb_" goes to SoapySDRDevice_makeStrArgs unchanged; isactb's own keys (channel
 * lists, array layout, tuning, time) are listed in SOAPY_KEYS below.
 *
 * Time: radio tick t is device time ticksToTimeNs(origin + t, fs), where origin is the
 * device tick at the end of open() plus isactb_lead seconds (default 0.2 s; 0 for a
 * sample-clocked device such as isacsim, whose clock only moves when samples move).
 * Every RX window is a timed finite burst (activateStream HAS_TIME|END_BURST,
 * numElems = window), every TX burst a timed burst (HAS_TIME on the first chunk,
 * END_BURST on the last). Stream timestamps are checked against the sample count: a
 * forward jump is a gap (zero-filled and counted as dropped), a backward jump an error.
 */
#include <SoapySDR/Device.h>
#include <SoapySDR/Formats.h>
#include <SoapySDR/Time.h>
#include <SoapySDR/Types.h>
#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/err.h"
#include "radio.h"
#include "radio_uhd_soapy_common.h"

#define NAME "soapy"

static const char *const SOAPY_KEYS[] = {
    "rx",         "tx",   "aps",      "tx_ap",   "rx_ap*",     "spacing", "emulated_freq",
    "rate",       "freq", "rx_gain",  "tx_gain", "bw",         "rx_ant",  "tx_ant",
    "clock",      "time", "time_set", "lead",    "txrx_delay", "timeout", "lo_shared",
    "timed_tune", NULL};

static const char *const TIME_SET_WORDS[] = {"now", "pps", "unknown_pps", "keep", NULL};
enum { TS_NOW, TS_PPS, TS_UNKNOWN_PPS, TS_KEEP };

struct soapy_st {
    SoapySDRDevice *dev;
    SoapySDRStream *rxs, *txs;
    unsigned nrx, ntx;
    size_t rx_map[ISAC_RADIO_MAX_CHANNELS], tx_map[ISAC_RADIO_MAX_CHANNELS];
    void *rx_ptr[ISAC_RADIO_MAX_CHANNELS];
    const void *tx_ptr[ISAC_RADIO_MAX_CHANNELS];
    size_t tx_mtu;
    struct isac_radio_info info;
    double fs;
    long long origin;     /* device tick of radio tick 0 */
    long long txrx_delay; /* ticks added to every RX window start */
    long timeout_us;
    int timed_tune, has_episode, has_truth;
    struct isac_radio_counters cnt;
    char err[512];
};

static int seterr(struct soapy_st *s, int rc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int seterr(struct soapy_st *s, int rc, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    isac_vseterr(s->err, sizeof s->err, fmt, ap); /* one line, whatever the driver says */
    va_end(ap);
    return rc;
}

/* SoapySDR's thread-local error text of the last failed call ("" when none). */
static const char *soapy_why(void)
{
    const char *e = SoapySDRDevice_lastError();
    return e && *e ? e : "no detail from SoapySDR";
}

static int has_setting(SoapySDRDevice *dev, const char *key)
{
    size_t n = 0;
    SoapySDRArgInfo *inf = SoapySDRDevice_getSettingInfo(dev, &n);
    int found = 0;
    for (size_t i = 0; i < n; i++)
        found |= inf[i].key && !strcmp(inf[i].key, key);
    SoapySDRArgInfoList_clear(inf, n);
    return found;
}

static char *read_setting(SoapySDRDevice *dev, const char *key)
{
    char *v = SoapySDRDevice_readSetting(dev, key);
    char *copy = v ? strdup(v) : NULL;
    SoapySDR_free(v);
    return copy;
}

/* Channel map of one direction: isactb_rx / isactb_tx, default every device channel. */
static int channel_map(struct soapy_st *s, const struct fe_args *a, int dir, size_t *map,
                       unsigned *n)
{
    const char *key = dir == SOAPY_SDR_RX ? "rx" : "tx";
    size_t ndev = SoapySDRDevice_getNumChannels(s->dev, dir);
    unsigned tmp[ISAC_RADIO_MAX_CHANNELS];
    const char *v = fe_get(a, key);
    if (!v) {
        *n = ndev > ISAC_RADIO_MAX_CHANNELS ? ISAC_RADIO_MAX_CHANNELS : (unsigned)ndev;
        for (unsigned i = 0; i < *n; i++)
            map[i] = i;
        return ISAC_OK;
    }
    char e[256];
    if (fe_parse_channels(v, (unsigned)ndev, tmp, ISAC_RADIO_MAX_CHANNELS, n, e, sizeof e))
        return seterr(s, ISAC_EINVAL, "argument '" FE_PREFIX "%s=%s': %s", key, v, e);
    for (unsigned i = 0; i < *n; i++)
        map[i] = tmp[i];
    return ISAC_OK;
}

/* Apply one per-channel numeric key (gain) to every mapped channel of a direction. */
static int apply_gain(struct soapy_st *s, const struct fe_args *a, const char *key, int dir,
                      const size_t *map, unsigned n)
{
    const char *v = fe_get(a, key);
    double val[ISAC_RADIO_MAX_CHANNELS];
    char e[256];
    if (!v || !n)
        return ISAC_OK;
    if (fe_parse_values(v, n, -100, 200, val, e, sizeof e))
        return seterr(s, ISAC_EINVAL, "argument '" FE_PREFIX "%s=%s': %s", key, v, e);
    for (unsigned i = 0; i < n; i++)
        if (SoapySDRDevice_setGain(s->dev, dir, map[i], val[i]))
            return seterr(s, ISAC_ERADIO, "setGain(%s ch %zu, %g dB): %s", key, map[i], val[i],
                          soapy_why());
    return ISAC_OK;
}

static int apply_antenna(struct soapy_st *s, const struct fe_args *a, const char *key, int dir,
                         const size_t *map, unsigned n)
{
    const char *v = fe_get(a, key);
    char names[ISAC_RADIO_MAX_CHANNELS][32], e[256];
    if (!v || !n)
        return ISAC_OK;
    if (fe_parse_words(v, n, names, e, sizeof e))
        return seterr(s, ISAC_EINVAL, "argument '" FE_PREFIX "%s=%s': %s", key, v, e);
    for (unsigned i = 0; i < n; i++)
        if (SoapySDRDevice_setAntenna(s->dev, dir, map[i], names[i]))
            return seterr(s, ISAC_ERADIO, "setAntenna(%s ch %zu, %s): %s", key, map[i], names[i],
                          soapy_why());
    return ISAC_OK;
}

/* Rate, bandwidth and frequency: the same value on every channel of both directions. */
static int apply_common(struct soapy_st *s, const struct fe_args *a)
{
    double rate, bw, freq;
    char e[256];
    if (fe_get_double(NAME, a, "rate", 0, 1, 1e10, &rate, e, sizeof e) < 0 ||
        fe_get_double(NAME, a, "bw", 0, 1, 1e10, &bw, e, sizeof e) < 0 ||
        fe_get_double(NAME, a, "freq", 0, 1, 1e12, &freq, e, sizeof e) < 0)
        return seterr(s, ISAC_EINVAL, "%s", e);
    for (int dir = 0; dir < 2; dir++) {
        const size_t *map = dir == SOAPY_SDR_RX ? s->rx_map : s->tx_map;
        unsigned n = dir == SOAPY_SDR_RX ? s->nrx : s->ntx;
        for (unsigned i = 0; i < n; i++) {
            if (rate > 0 && SoapySDRDevice_setSampleRate(s->dev, dir, map[i], rate))
                return seterr(s, ISAC_ERADIO, "setSampleRate(%g): %s", rate, soapy_why());
            if (bw > 0 && SoapySDRDevice_setBandwidth(s->dev, dir, map[i], bw))
                return seterr(s, ISAC_ERADIO, "setBandwidth(%g): %s", bw, soapy_why());
            if (freq > 0 && SoapySDRDevice_setFrequency(s->dev, dir, map[i], freq, NULL))
                return seterr(s, ISAC_ERADIO, "setFrequency(%g): %s", freq, soapy_why());
        }
    }
    return ISAC_OK;
}

static int apply_sources(struct soapy_st *s, const struct fe_args *a)
{
    const char *clk = fe_get(a, "clock"), *tim = fe_get(a, "time");
    if (clk && SoapySDRDevice_setClockSource(s->dev, clk))
        return seterr(s, ISAC_ERADIO, "setClockSource(%s): %s", clk, soapy_why());
    if (tim && SoapySDRDevice_setTimeSource(s->dev, tim))
        return seterr(s, ISAC_ERADIO, "setTimeSource(%s): %s", tim, soapy_why());
    return ISAC_OK;
}

/* 1 when the streams carry other channels than every device channel in order. */
static int subset(const struct soapy_st *s)
{
    if (s->nrx != SoapySDRDevice_getNumChannels(s->dev, SOAPY_SDR_RX) ||
        s->ntx != SoapySDRDevice_getNumChannels(s->dev, SOAPY_SDR_TX))
        return 1;
    for (unsigned i = 0; i < s->nrx; i++)
        if (s->rx_map[i] != i)
            return 1;
    for (unsigned i = 0; i < s->ntx; i++)
        if (s->tx_map[i] != i)
            return 1;
    return 0;
}

/* radio_info from the device (and its isactb_layout setting when it offers one). */
static int describe(struct soapy_st *s, const struct fe_args *a, int *sample_clocked)
{
    struct isac_radio_info *in = &s->info;
    char e[256];
    *sample_clocked = 0;
    snprintf(in->driver, sizeof in->driver, NAME);
    SoapySDRKwargs hw = SoapySDRDevice_getHardwareInfo(s->dev);
    const char *serial = SoapySDRKwargs_get(&hw, "serial");
    char *hwkey = SoapySDRDevice_getHardwareKey(s->dev);
    snprintf(in->serial, sizeof in->serial, "%s%s%s", hwkey ? hwkey : "", serial ? "-" : "",
             serial ? serial : "");
    SoapySDR_free(hwkey);
    SoapySDRKwargs_clear(&hw);
    in->caps = ISAC_RADIO_CAP_TIMED_TX | ISAC_RADIO_CAP_TIMED_RX | ISAC_RADIO_CAP_HW_TIME;
    in->num_rx = s->nrx;
    in->num_tx = s->ntx;
    in->sample_rate = s->fs;
    in->center_freq = SoapySDRDevice_getFrequency(s->dev, SOAPY_SDR_RX, s->rx_map[0]);
    in->bandwidth = SoapySDRDevice_getBandwidth(s->dev, SOAPY_SDR_RX, s->rx_map[0]);
    if (!(in->bandwidth > 0))
        in->bandwidth = s->fs;
    size_t nr = 0;
    SoapySDRRange *r = SoapySDRDevice_getFrequencyRange(s->dev, SOAPY_SDR_RX, s->rx_map[0], &nr);
    if (r && nr) {
        in->freq_min = r[0].minimum;
        in->freq_max = r[nr - 1].maximum;
    }
    SoapySDR_free(r);
    in->rx_gain_db = SoapySDRDevice_getGain(s->dev, SOAPY_SDR_RX, s->rx_map[0]);
    if (s->ntx)
        in->tx_gain_db = SoapySDRDevice_getGain(s->dev, SOAPY_SDR_TX, s->tx_map[0]);
    /* CF32: |x| = 1 maps to the native format's full scale, which the device must state
     * (getNativeStreamFormat); a device that states none has an unknown full scale, and the
     * transmit guard refuses it unless the site limits name one (tx_full_scale). */
    in->full_scale = 1.0;
    if (s->ntx) {
        double native_fs = 0;
        char *fmt =
            SoapySDRDevice_getNativeStreamFormat(s->dev, SOAPY_SDR_TX, s->tx_map[0], &native_fs);
        SoapySDR_free(fmt);
        if (!(native_fs > 0) || !isfinite(native_fs))
            in->full_scale = 0;
    }
    if (has_setting(s->dev, "isactb_layout")) {
        char *txt = read_setting(s->dev, "isactb_layout");
        int rc = txt ? fe_layout_from_json(txt, in, sample_clocked, e, sizeof e) : ISAC_EFORMAT;
        if (rc) {
            free(txt);
            return seterr(s, ISAC_ERADIO, "%s", txt ? e : "cannot read setting isactb_layout");
        }
        /* streaming a subset of a described array: that subset's positions and AP split */
        rc = subset(s) ? fe_layout_select(txt, in, s->rx_map, s->tx_map, e, sizeof e) : ISAC_OK;
        free(txt);
        if (rc)
            return seterr(s, ISAC_EINVAL, "%s", e);
    }
    s->has_truth = has_setting(s->dev, "isactb_truth");
    s->has_episode = has_setting(s->dev, "isactb_episode");
    in->caps |=
        (s->has_truth ? ISAC_RADIO_CAP_TRUTH : 0) | (s->has_episode ? ISAC_RADIO_CAP_SCENARIO : 0);
    int lo = 0;
    static const char *const bools[] = {"0", "1", NULL};
    if (fe_get_choice(NAME, a, "lo_shared", bools, (in->caps & ISAC_RADIO_CAP_LO_SHARED) != 0, &lo,
                      e, sizeof e) < 0)
        return seterr(s, ISAC_EINVAL, "%s", e);
    in->caps =
        lo ? in->caps | ISAC_RADIO_CAP_LO_SHARED : in->caps & ~(uint32_t)ISAC_RADIO_CAP_LO_SHARED;
    if (fe_layout(NAME, a, in, e, sizeof e))
        return seterr(s, ISAC_EINVAL, "%s", e);
    return ISAC_OK;
}

static void sleep_s(double sec)
{
    struct timespec ts = {(time_t)sec, (long)((sec - floor(sec)) * 1e9)};
    nanosleep(&ts, NULL);
}

/* Set the device time (isactb_time_set) and fix the radio's time origin. */
static int set_time(struct soapy_st *s, const struct fe_args *a, int sample_clocked)
{
    int ts;
    double lead;
    char e[256];
    if (fe_get_choice(NAME, a, "time_set", TIME_SET_WORDS, TS_NOW, &ts, e, sizeof e) < 0 ||
        fe_get_double(NAME, a, "lead", sample_clocked ? 0.0 : 0.2, 0, 60, &lead, e, sizeof e) < 0)
        return seterr(s, ISAC_EINVAL, "%s", e);
    if (!SoapySDRDevice_hasHardwareTime(s->dev, ""))
        return seterr(s, ISAC_ENOTSUP,
                      "the device has no hardware time: timed multi-channel streaming impossible");
    static const char *const what[] = {"", "PPS", "UNKNOWN_PPS"};
    if (ts != TS_KEEP && SoapySDRDevice_setHardwareTime(s->dev, 0, what[ts]))
        return seterr(s, ISAC_ERADIO, "setHardwareTime(0, \"%s\"): %s", what[ts], soapy_why());
    if ((ts == TS_PPS || ts == TS_UNKNOWN_PPS) && !sample_clocked)
        sleep_s(1.1); /* let the PPS edge that latches the time pass */
    long long now = SoapySDRDevice_getHardwareTime(s->dev, "");
    s->origin = SoapySDR_timeNsToTicks(now, s->fs) + llround(lead * s->fs);
    return ISAC_OK;
}

static int setup_streams(struct soapy_st *s)
{
    s->rxs =
        SoapySDRDevice_setupStream(s->dev, SOAPY_SDR_RX, SOAPY_SDR_CF32, s->rx_map, s->nrx, NULL);
    if (!s->rxs)
        return seterr(s, ISAC_ERADIO, "setupStream(RX, CF32, %u channels): %s", s->nrx,
                      soapy_why());
    if (!s->ntx)
        return ISAC_OK;
    s->txs =
        SoapySDRDevice_setupStream(s->dev, SOAPY_SDR_TX, SOAPY_SDR_CF32, s->tx_map, s->ntx, NULL);
    if (!s->txs)
        return seterr(s, ISAC_ERADIO, "setupStream(TX, CF32, %u channels): %s", s->ntx,
                      soapy_why());
    s->tx_mtu = SoapySDRDevice_getStreamMTU(s->dev, s->txs);
    if (!s->tx_mtu)
        s->tx_mtu = 4096;
    return ISAC_OK;
}

static void soapy_close(void *st)
{
    struct soapy_st *s = st;
    if (!s)
        return;
    if (s->txs)
        SoapySDRDevice_closeStream(s->dev, s->txs);
    if (s->rxs)
        SoapySDRDevice_closeStream(s->dev, s->rxs);
    if (s->dev)
        SoapySDRDevice_unmake(s->dev);
    free(s);
}

static int configure(struct soapy_st *s, const struct fe_args *a)
{
    double v;
    char e[256];
    int rc, sample_clocked = 0;
    if (fe_get_double(NAME, a, "txrx_delay", 0, -1e6, 1e6, &v, e, sizeof e) < 0)
        return seterr(s, ISAC_EINVAL, "%s", e);
    s->txrx_delay = llround(v);
    if (fe_get_double(NAME, a, "timeout", 1.0, 1e-3, 3600, &v, e, sizeof e) < 0)
        return seterr(s, ISAC_EINVAL, "%s", e);
    s->timeout_us = (long)(v * 1e6);
    static const char *const bools[] = {"0", "1", NULL};
    if (fe_get_choice(NAME, a, "timed_tune", bools, 0, &s->timed_tune, e, sizeof e) < 0)
        return seterr(s, ISAC_EINVAL, "%s", e);
    if ((rc = channel_map(s, a, SOAPY_SDR_RX, s->rx_map, &s->nrx)) ||
        (rc = channel_map(s, a, SOAPY_SDR_TX, s->tx_map, &s->ntx)))
        return rc;
    if (!s->nrx)
        return seterr(s, ISAC_ERADIO, "the device has no RX channel");
    if ((rc = apply_sources(s, a)) || (rc = apply_common(s, a)) ||
        (rc = apply_gain(s, a, "rx_gain", SOAPY_SDR_RX, s->rx_map, s->nrx)) ||
        (rc = apply_gain(s, a, "tx_gain", SOAPY_SDR_TX, s->tx_map, s->ntx)) ||
        (rc = apply_antenna(s, a, "rx_ant", SOAPY_SDR_RX, s->rx_map, s->nrx)) ||
        (rc = apply_antenna(s, a, "tx_ant", SOAPY_SDR_TX, s->tx_map, s->ntx)))
        return rc;
    s->fs = SoapySDRDevice_getSampleRate(s->dev, SOAPY_SDR_RX, s->rx_map[0]);
    if (!(s->fs > 0))
        return seterr(s, ISAC_ERADIO, "the device reports sample rate %g", s->fs);
    if ((rc = describe(s, a, &sample_clocked)) || (rc = set_time(s, a, sample_clocked)))
        return rc;
    return setup_streams(s);
}

static int soapy_open(const char *args, void **state, char *err, size_t errlen)
{
    struct fe_args *a = malloc(sizeof *a);
    struct soapy_st *s = calloc(1, sizeof *s);
    int rc = ISAC_ENOMEM;
    if (!a || !s) {
        snprintf(err, errlen, "out of memory");
        goto fail;
    }
    if ((rc = fe_args_split(NAME, args, SOAPY_KEYS, a, err, errlen)))
        goto fail;
    s->dev = SoapySDRDevice_makeStrArgs(a->pass);
    if (!s->dev) {
        snprintf(err, errlen, "no SoapySDR device for '%s': %s", a->pass, soapy_why());
        rc = ISAC_ERADIO;
        goto fail;
    }
    if ((rc = configure(s, a))) {
        snprintf(err, errlen, "%s", s->err);
        goto fail;
    }
    free(a);
    *state = s;
    return ISAC_OK;
fail:
    soapy_close(s);
    free(a);
    return rc;
}

/* Drain the TX status queue; a late burst is reported as a fault of the call. */
static int poll_tx_status(struct soapy_st *s)
{
    int late = 0;
    for (int i = 0; s->txs && i < 64; i++) {
        size_t mask = 0;
        int flags = 0;
        long long t = 0;
        int r = SoapySDRDevice_readStreamStatus(s->dev, s->txs, &mask, &flags, &t, 0);
        if (r == SOAPY_SDR_TIMEOUT || r == SOAPY_SDR_NOT_SUPPORTED)
            break;
        if (r == SOAPY_SDR_UNDERFLOW)
            s->cnt.underflows++;
        if (r == SOAPY_SDR_TIME_ERROR) {
            s->cnt.late_commands++;
            late = 1;
        }
    }
    return late ? seterr(s, ISAC_ERADIO, "a TX burst was late (device time error)") : ISAC_OK;
}

static int op_tx(void *st, int64_t t0, const float complex *const *x, size_t len)
{
    struct soapy_st *s = st;
    if (!s->txs)
        return seterr(s, ISAC_ENOTSUP, "no TX channel");
    long long ns = SoapySDR_ticksToTimeNs(s->origin + t0, s->fs);
    size_t sent = 0;
    int stalls = 0;
    while (sent < len) {
        size_t n = len - sent < s->tx_mtu ? len - sent : s->tx_mtu;
        int flags =
            (sent == 0 ? SOAPY_SDR_HAS_TIME : 0) | (sent + n == len ? SOAPY_SDR_END_BURST : 0);
        for (unsigned ch = 0; ch < s->ntx; ch++)
            s->tx_ptr[ch] = x[ch] + sent;
        int r = SoapySDRDevice_writeStream(s->dev, s->txs, s->tx_ptr, n, &flags, ns, s->timeout_us);
        if (r == SOAPY_SDR_TIMEOUT || (r == 0 && ++stalls > 8)) {
            s->cnt.timeouts++;
            return seterr(s, ISAC_ETIMEOUT, "writeStream timed out at sample %zu of %zu", sent,
                          len);
        }
        if (r == SOAPY_SDR_TIME_ERROR)
            s->cnt.late_commands++;
        if (r < 0)
            return seterr(s, ISAC_ERADIO, "writeStream at tick %lld: %s (%s)", (long long)t0,
                          SoapySDR_errToStr(r), soapy_why());
        sent += (size_t)r;
    }
    return poll_tx_status(s);
}

static int read_window(struct soapy_st *s, int64_t t0, long long dev_t0, float complex *const *y,
                       size_t len, struct isac_radio_rx_md *md)
{
    size_t got = 0;
    int idle = 0;
    while (got < len) {
        for (unsigned ch = 0; ch < s->nrx; ch++)
            s->rx_ptr[ch] = y[ch] + got;
        int flags = 0;
        long long ns = 0;
        int r = SoapySDRDevice_readStream(s->dev, s->rxs, s->rx_ptr, len - got, &flags, &ns,
                                          s->timeout_us);
        if (r == SOAPY_SDR_OVERFLOW) {
            s->cnt.overflows++;
            md->overflow = 1;
            continue;
        }
        if (r == SOAPY_SDR_TIMEOUT) {
            s->cnt.timeouts++;
            return seterr(s, ISAC_ETIMEOUT, "readStream timed out at sample %zu of %zu", got, len);
        }
        if (r == SOAPY_SDR_TIME_ERROR) {
            s->cnt.late_commands++;
            s->cnt.dropped_samples += len - got; /* the window is lost */
            return seterr(s, ISAC_ERADIO, "RX window at tick %lld was late (device time error)",
                          (long long)t0);
        }
        if (r < 0)
            return seterr(s, ISAC_ERADIO, "readStream: %s (%s)", SoapySDR_errToStr(r), soapy_why());
        long long want = dev_t0 + (long long)got, at = want;
        if (flags & SOAPY_SDR_HAS_TIME)
            at = SoapySDR_timeNsToTicks(ns, s->fs);
        long long fill =
            fe_place(y, s->nrx, len, got, (size_t)r, at, want, md, &s->cnt.dropped_samples);
        if (fill < 0)
            return seterr(s, ISAC_ERADIO,
                          "readStream timestamp went back: tick %lld where %lld was expected", at,
                          want);
        got = (size_t)fill;
        if (r == 0 && !(flags & SOAPY_SDR_END_BURST) && ++idle > 64) {
            s->cnt.timeouts++;
            return seterr(s, ISAC_ETIMEOUT, "readStream returns no samples at %zu of %zu", got,
                          len);
        }
        if ((flags & SOAPY_SDR_END_BURST) && got < len)
            return seterr(s, ISAC_ERADIO, "RX burst ended after %zu of %zu samples", got, len);
    }
    return ISAC_OK;
}

static int op_rx(void *st, int64_t t0, float complex *const *y, size_t len,
                 struct isac_radio_rx_md *md)
{
    struct soapy_st *s = st;
    int rc = poll_tx_status(s);
    if (rc)
        return rc;
    long long dev_t0 = s->origin + t0 + s->txrx_delay;
    md->start_tick = t0;
    int r = SoapySDRDevice_activateStream(s->dev, s->rxs, SOAPY_SDR_HAS_TIME | SOAPY_SDR_END_BURST,
                                          SoapySDR_ticksToTimeNs(dev_t0, s->fs), len);
    if (r)
        return seterr(s, ISAC_ERADIO, "activateStream(RX, tick %lld, %zu samples): %s (%s)",
                      (long long)t0, len, SoapySDR_errToStr(r), soapy_why());
    rc = read_window(s, t0, dev_t0, y, len, md);
    SoapySDRDevice_deactivateStream(s->dev, s->rxs, 0, 0);
    md->num_samples = len;
    return rc;
}

static int op_info(void *st, struct isac_radio_info *info)
{
    *info = ((struct soapy_st *)st)->info;
    return ISAC_OK;
}

static int op_time(void *st, int64_t *tick)
{
    struct soapy_st *s = st;
    *tick = SoapySDR_timeNsToTicks(SoapySDRDevice_getHardwareTime(s->dev, ""), s->fs) - s->origin;
    return ISAC_OK;
}

static int op_counters(void *st, struct isac_radio_counters *c)
{
    *c = ((struct soapy_st *)st)->cnt;
    return ISAC_OK;
}

static int op_episode(void *st, uint64_t ep)
{
    struct soapy_st *s = st;
    char v[32];
    snprintf(v, sizeof v, "%llu", (unsigned long long)ep);
    if (!s->has_episode)
        return seterr(s, ISAC_ENOTSUP, "the device has no isactb_episode setting");
    if (SoapySDRDevice_writeSetting(s->dev, "isactb_episode", v))
        return seterr(s, ISAC_ERADIO, "writeSetting(isactb_episode, %s): %s", v, soapy_why());
    return ISAC_OK;
}

static int op_truth(void *st, char **out)
{
    struct soapy_st *s = st;
    if (!s->has_truth)
        return ISAC_ENOTSUP;
    *out = read_setting(s->dev, "isactb_truth");
    return *out ? ISAC_OK : seterr(s, ISAC_ERADIO, "readSetting(isactb_truth): %s", soapy_why());
}

static const char *op_err(void *st)
{
    return ((struct soapy_st *)st)->err;
}

/* Retune every channel; with isactb_timed_tune=1 all of them under one command time
 * (setHardwareTime(t, "CMD"), honoured by SoapyUHD) so that LO phase relations repeat. */
static int op_tune(void *st, double hz)
{
    struct soapy_st *s = st;
    if (s->timed_tune) {
        long long now = SoapySDRDevice_getHardwareTime(s->dev, "");
        if (SoapySDRDevice_setHardwareTime(s->dev, now + 50000000LL, "CMD"))
            return seterr(s, ISAC_ERADIO, "setHardwareTime(CMD): %s", soapy_why());
    }
    int rc = ISAC_OK;
    for (int dir = 0; dir < 2 && rc == ISAC_OK; dir++) {
        const size_t *map = dir == SOAPY_SDR_RX ? s->rx_map : s->tx_map;
        unsigned n = dir == SOAPY_SDR_RX ? s->nrx : s->ntx;
        for (unsigned i = 0; i < n && rc == ISAC_OK; i++)
            if (SoapySDRDevice_setFrequency(s->dev, dir, map[i], hz, NULL))
                rc = seterr(s, ISAC_ERADIO, "setFrequency(%g Hz): %s", hz, soapy_why());
    }
    if (s->timed_tune)
        SoapySDRDevice_setHardwareTime(s->dev, 0, "CMD"); /* clear the command time */
    if (rc == ISAC_OK)
        s->info.center_freq = SoapySDRDevice_getFrequency(s->dev, SOAPY_SDR_RX, s->rx_map[0]);
    return rc;
}

/* The TX settings the transmit guard checks each burst against, read back from the
 * device channel by channel (a per-channel isactb_tx_gain, a TX frequency different from
 * the RX one, a TX rate of its own are all seen). */
static int op_tx_state(void *st, struct isac_radio_tx_state *ts)
{
    struct soapy_st *s = st;
    if (!s->ntx)
        return ISAC_OK;
    ts->rate = SoapySDRDevice_getSampleRate(s->dev, SOAPY_SDR_TX, s->tx_map[0]);
    ts->full_scale = s->info.full_scale;
    for (unsigned c = 0; c < s->ntx; c++) {
        double rate = SoapySDRDevice_getSampleRate(s->dev, SOAPY_SDR_TX, s->tx_map[c]);
        ts->rate = rate > ts->rate ? rate : ts->rate; /* the widest, for band and duty */
        ts->freq_hz[c] = SoapySDRDevice_getFrequency(s->dev, SOAPY_SDR_TX, s->tx_map[c]);
        ts->bw_hz[c] = SoapySDRDevice_getBandwidth(s->dev, SOAPY_SDR_TX, s->tx_map[c]);
        ts->gain_db[c] = SoapySDRDevice_getGain(s->dev, SOAPY_SDR_TX, s->tx_map[c]);
    }
    return ISAC_OK;
}

const struct isac_radio_ops radio_soapy_ops = {
    .name = NAME,
    .open = soapy_open,
    .close = soapy_close,
    .get_info = op_info,
    .get_time = op_time,
    .tx_burst = op_tx,
    .rx_capture = op_rx,
    .get_counters = op_counters,
    .new_episode = op_episode,
    .truth_json = op_truth,
    .last_error = op_err,
    .set_center_freq = op_tune,
    .tx_state = op_tx_state,
};

/* ---- description for `isactb info` ---------------------------------------- */

static json_t *strings_json(char **list, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(a, json_string(list[i]));
    SoapySDRStrings_clear(&list, n);
    return a;
}

static json_t *channel_json(SoapySDRDevice *d, int dir, size_t ch, unsigned index)
{
    size_t n = 0;
    SoapySDRRange g = SoapySDRDevice_getGainRange(d, dir, ch);
    SoapySDRRange *f = SoapySDRDevice_getFrequencyRange(d, dir, ch, &n);
    json_t *fr = n ? json_pack("[f,f]", f[0].minimum, f[n - 1].maximum) : json_null();
    SoapySDR_free(f);
    char *ant = SoapySDRDevice_getAntenna(d, dir, ch);
    json_t *o = json_pack(
        "{s:i,s:i,s:f,s:f,s:f,s:f,s:[f,f],s:o,s:s}", "index", (int)index, "device_channel", (int)ch,
        "sample_rate_hz", SoapySDRDevice_getSampleRate(d, dir, ch), "freq_hz",
        SoapySDRDevice_getFrequency(d, dir, ch), "bandwidth_hz",
        SoapySDRDevice_getBandwidth(d, dir, ch), "gain_db", SoapySDRDevice_getGain(d, dir, ch),
        "gain_range_db", g.minimum, g.maximum, "freq_range_hz", fr, "antenna", ant ? ant : "");
    SoapySDR_free(ant);
    size_t na = 0;
    char **ants = SoapySDRDevice_listAntennas(d, dir, ch, &na);
    json_object_set_new(o, "antennas", strings_json(ants, na));
    return o;
}

static json_t *sensors_json(SoapySDRDevice *d)
{
    size_t n = 0;
    char **names = SoapySDRDevice_listSensors(d, &n);
    json_t *o = json_object();
    for (size_t i = 0; i < n; i++) {
        char *v = SoapySDRDevice_readSensor(d, names[i]);
        json_object_set_new(o, names[i], json_string(v ? v : ""));
        SoapySDR_free(v);
    }
    SoapySDRStrings_clear(&names, n);
    return o;
}

int radio_soapy_describe_json(void *st, char **out);
int radio_soapy_describe_json(void *st, char **out)
{
    struct soapy_st *s = st;
    SoapySDRDevice *d = s->dev;
    json_t *rx = json_array(), *tx = json_array();
    for (unsigned i = 0; i < s->nrx; i++)
        json_array_append_new(rx, channel_json(d, SOAPY_SDR_RX, s->rx_map[i], i));
    for (unsigned i = 0; i < s->ntx; i++)
        json_array_append_new(tx, channel_json(d, SOAPY_SDR_TX, s->tx_map[i], i));
    size_t nc = 0, nt = 0;
    char **clks = SoapySDRDevice_listClockSources(d, &nc);
    char **tims = SoapySDRDevice_listTimeSources(d, &nt);
    char *drv = SoapySDRDevice_getDriverKey(d), *hw = SoapySDRDevice_getHardwareKey(d);
    char *clk = SoapySDRDevice_getClockSource(d), *tim = SoapySDRDevice_getTimeSource(d);
    json_t *o = json_pack("{s:s,s:s,s:s,s:s,s:o,s:o,s:o,s:o,s:o,s:I,s:I}", "driver_key",
                          drv ? drv : "", "hardware_key", hw ? hw : "", "clock_source",
                          clk ? clk : "", "time_source", tim ? tim : "", "clock_sources",
                          strings_json(clks, nc), "time_sources", strings_json(tims, nt), "sensors",
                          sensors_json(d), "rx_channels", rx, "tx_channels", tx, "time_origin_tick",
                          (json_int_t)s->origin, "txrx_delay_samples", (json_int_t)s->txrx_delay);
    SoapySDR_free(drv);
    SoapySDR_free(hw);
    SoapySDR_free(clk);
    SoapySDR_free(tim);
    *out = o ? json_dumps(o, JSON_COMPACT | JSON_REAL_PRECISION(12)) : NULL;
    json_decref(o);
    return *out ? ISAC_OK : ISAC_ENOMEM;
}
