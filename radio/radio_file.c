/* The `file` radio back end: replays a SigMF recording (capture/sigmf.h) through the
 * radio interface, one recorded CPI per rx_capture, so that `replay` runs the very
 * pipeline of the live run. A replay that asks for anything other than the next
 * recorded window has diverged from the run that made the recording: that is an
 * error, never a silent resynchronisation. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/samples.h"
#include "radio_file.h"
#include "sigmf.h"

struct file_state {
    isac_sigmf_reader rd;
    struct isac_radio_info info;
    size_t next;  /* index of the next CPI rx_capture returns */
    long current; /* CPI returned by the last successful rx_capture, -1 before */
    struct isac_radio_counters counters;
    char err[600];
};

static int file_open(const char *args, void **state, char *err, size_t errlen)
{
    if (!args || !*args) {
        snprintf(err, errlen,
                 "file: missing PATH (file:DIR, file:NAME.sigmf-collection or "
                 "file:NAME-rx0.sigmf-meta)");
        return ISAC_EINVAL;
    }
    struct file_state *s = calloc(1, sizeof *s);
    if (!s) {
        snprintf(err, errlen, "file: out of memory");
        return ISAC_ENOMEM;
    }
    s->rd = isac_sigmf_reader_open(args, err, errlen);
    if (!s->rd) {
        free(s);
        return ISAC_EFORMAT;
    }
    isac_sigmf_reader_radio_info(s->rd, &s->info);
    snprintf(s->info.driver, sizeof s->info.driver, "file");
    s->info.caps = ISAC_RADIO_CAP_REPLAY | ISAC_RADIO_CAP_TIMED_RX | ISAC_RADIO_CAP_TIMED_TX;
    s->current = -1;
    *state = s;
    return ISAC_OK;
}

static void file_close(void *state)
{
    struct file_state *s = state;
    if (!s)
        return;
    isac_sigmf_reader_close(s->rd);
    free(s);
}

static int file_get_info(void *state, struct isac_radio_info *info)
{
    *info = ((struct file_state *)state)->info;
    return ISAC_OK;
}

static int file_get_time(void *state, int64_t *tick)
{
    struct file_state *s = state;
    struct isac_sigmf_cpi_info ci;
    size_t n = isac_sigmf_reader_num_cpis(s->rd);
    if (s->next < n) {
        isac_sigmf_reader_cpi_info(s->rd, s->next, &ci);
        *tick = ci.tick;
    } else if (n) {
        isac_sigmf_reader_cpi_info(s->rd, n - 1, &ci);
        *tick = ci.tick + (int64_t)ci.len;
    } else {
        *tick = 0;
    }
    return ISAC_OK;
}

/* A replay has no transmitter: bursts are accepted (the recorded weights are in the
 * annotation for whoever wants to compare). */
static int file_tx_burst(void *state, int64_t t0, const float complex *const *x, size_t len)
{
    (void)state;
    (void)t0;
    (void)x;
    (void)len;
    return ISAC_OK;
}

static int file_rx_capture(void *state, int64_t t0, float complex *const *y, size_t len,
                           struct isac_radio_rx_md *md)
{
    struct file_state *s = state;
    size_t n = isac_sigmf_reader_num_cpis(s->rd);
    struct isac_sigmf_cpi_info ci;
    if (s->next >= n) {
        snprintf(s->err, sizeof s->err, "end of recording after %zu CPIs", n);
        return ISAC_EIO;
    }
    isac_sigmf_reader_cpi_info(s->rd, s->next, &ci);
    if (t0 != ci.tick || len != ci.len) {
        snprintf(s->err, sizeof s->err,
                 "replay diverged at CPI %zu: requested tick %lld (%zu samples), recorded tick "
                 "%lld (%zu samples)",
                 s->next, (long long)t0, len, (long long)ci.tick, ci.len);
        return ISAC_ERADIO;
    }
    struct isac_radio_rx_md m;
    int rc = isac_sigmf_reader_read_cpi(s->rd, s->next, y, len, &m);
    if (rc) {
        snprintf(s->err, sizeof s->err, "%s", isac_sigmf_reader_last_error(s->rd));
        return rc;
    }
    /* a recorded sample the processing cannot take is named here, with its CPI and channel,
     * rather than turned into a wrong result or a wrong "not finite" further down */
    struct isac_radio_info in;
    char why[200];
    file_get_info(s, &in);
    if (isac_samples_check((const float complex *const *)y, in.num_rx, len, why, sizeof why)) {
        snprintf(s->err, sizeof s->err, "%s: CPI %zu: %s", isac_sigmf_reader_path(s->rd), s->next,
                 why);
        return ISAC_EFORMAT;
    }
    s->counters.dropped_samples += m.dropped_samples;
    s->counters.overflows += m.overflow ? 1 : 0;
    if (md)
        *md = m;
    s->current = (long)s->next++;
    return ISAC_OK;
}

static int file_get_counters(void *state, struct isac_radio_counters *c)
{
    *c = ((struct file_state *)state)->counters;
    return ISAC_OK;
}

static const char *file_last_error(void *state)
{
    return state ? ((struct file_state *)state)->err : "";
}

const json_t *isac_radio_file_annotation(void *state)
{
    struct file_state *s = state;
    return s && s->current >= 0 ? isac_sigmf_reader_cpi_annotation(s->rd, (size_t)s->current)
                                : NULL;
}

long isac_radio_file_cpi_index(void *state)
{
    return state ? ((struct file_state *)state)->current : -1;
}

const json_t *isac_radio_file_current_annotation(isac_radio r)
{
    return isac_radio_get_ops(r) == &isac_radio_file_ops
               ? isac_radio_file_annotation(isac_radio_get_state(r))
               : NULL;
}

int isac_radio_file_current_txref(isac_radio r, float complex *tx, size_t len, size_t *recorded)
{
    *recorded = 0;
    if (isac_radio_get_ops(r) != &isac_radio_file_ops)
        return ISAC_EINVAL;
    struct file_state *s = isac_radio_get_state(r);
    struct isac_sigmf_cpi_info ci;
    if (s->current < 0 || isac_sigmf_reader_cpi_info(s->rd, (size_t)s->current, &ci))
        return ISAC_EINVAL;
    *recorded = ci.txlen;
    if (ci.txlen != len)
        return ISAC_OK;
    int rc = isac_sigmf_reader_read_txref(s->rd, (size_t)s->current, tx, len);
    if (rc)
        snprintf(s->err, sizeof s->err, "%s", isac_sigmf_reader_last_error(s->rd));
    return rc;
}

/* A recording holds one carrier: "retuning" to it is a no-op, anything else diverges. */
static int file_set_center_freq(void *state, double hz)
{
    struct file_state *s = state;
    if (hz == s->info.center_freq)
        return ISAC_OK;
    snprintf(s->err, sizeof s->err,
             "replay diverged at CPI %zu: retune to %.17g Hz, recorded carrier %.17g Hz", s->next,
             hz, s->info.center_freq);
    return ISAC_ERADIO;
}

const struct isac_radio_ops isac_radio_file_ops = {
    .name = "file",
    .open = file_open,
    .close = file_close,
    .get_info = file_get_info,
    .get_time = file_get_time,
    .tx_burst = file_tx_burst,
    .rx_capture = file_rx_capture,
    .get_counters = file_get_counters,
    .new_episode = NULL,
    .truth_json = NULL,
    .last_error = file_last_error,
    .set_center_freq = file_set_center_freq,
};
