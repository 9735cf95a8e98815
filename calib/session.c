/* Calibration sessions (session.h): bursts out, captures in, estimators (calib.h). */
#include "calib/session.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "dsp/fdelay.h"
#include "radio_file.h"
#include "sigmf.h"

/* Time between "now" and the first burst: leaves room for a hardware command queue. */
#define CALIB_LEAD_TICKS 2048

void isac_calib_session_default(struct isac_calib_session *s)
{
    memset(s, 0, sizeof *s);
    isac_calib_ref_default(&s->ref);
    s->maxlag = 30;
    s->coarse_delay = 0;
    s->ref_rx = 0;
}

struct bufs {
    unsigned rows;
    size_t len;
    float complex **p;
};

static int bufs_alloc(struct bufs *b, unsigned rows, size_t len)
{
    b->rows = rows;
    b->len = len;
    b->p = calloc(rows ? rows : 1, sizeof *b->p);
    if (!b->p)
        return ISAC_ENOMEM;
    for (unsigned i = 0; i < rows; i++)
        if (!(b->p[i] = calloc(len, sizeof **b->p)))
            return ISAC_ENOMEM;
    return ISAC_OK;
}

static void bufs_free(struct bufs *b)
{
    for (unsigned i = 0; b->p && i < b->rows; i++)
        free(b->p[i]);
    free(b->p);
    b->p = NULL;
}

static int fail(isac_radio r, int rc, const char *what, char *err, size_t errlen)
{
    const char *why = r ? isac_radio_last_error(r) : NULL;
    isac_seterr(err, errlen, "calibration %s: %s", what, why && *why ? why : isac_strerror(rc));
    return rc;
}

/* What one capture of a session injects (the "isactb:calib_cpi" annotation). */
struct cpi_tag {
    const char *session;   /* "rx", "tx", "delay", "manifold", "verify" */
    const char *reference; /* "full": TX 0 alone; "comb": every TX channel its comb;
                              "pair": TX 0 then TX `pair` one burst later; "beam" */
    unsigned ntx;          /* comb: number of TX channels */
    unsigned pair;         /* pair: the second channel */
};

static json_t *tag_json(const struct cpi_tag *t)
{
    json_t *tx = json_array();
    if (!strcmp(t->reference, "comb") || !strcmp(t->reference, "beam"))
        for (unsigned k = 0; k < t->ntx; k++)
            json_array_append_new(tx, json_integer(k));
    else
        json_array_append_new(tx, json_integer(0));
    if (!strcmp(t->reference, "pair"))
        json_array_append_new(tx, json_integer(t->pair));
    return json_pack("{s:s,s:s,s:o}", "session", t->session, "reference", t->reference,
                     "tx_channels", tx);
}

/* Replay: the recorded CPI must be the capture this step asks for. */
static int check_tag(isac_radio r, const struct cpi_tag *t, char *err, size_t errlen)
{
    const json_t *ann = isac_radio_file_current_annotation(r);
    const json_t *got = json_object_get(ann, "isactb:calib_cpi");
    long k = ann ? json_integer_value(json_object_get(ann, "isactb:cpi")) : -1;
    json_t *want = tag_json(t);
    int rc = ISAC_OK;
    if (!json_is_object(got)) {
        isac_seterr(err, errlen, "CPI %ld: isactb:calib_cpi missing: not a calibration session", k);
        rc = ISAC_EFORMAT;
    }
    static const char *const keys[] = {"session", "reference", "tx_channels"};
    for (int i = 0; rc == ISAC_OK && i < 3; i++)
        if (!json_equal(json_object_get(got, keys[i]), json_object_get(want, keys[i]))) {
            char *g = json_dumps(json_object_get(got, keys[i]), JSON_ENCODE_ANY | JSON_COMPACT);
            char *w = json_dumps(json_object_get(want, keys[i]), JSON_ENCODE_ANY | JSON_COMPACT);
            isac_seterr(err, errlen, "CPI %ld: isactb:calib_cpi.%s %s, expected %s", k, keys[i],
                        g ? g : "(missing)", w ? w : "?");
            free(g);
            free(w);
            rc = ISAC_EFORMAT;
        }
    json_decref(want);
    return rc;
}

/* Replay: the recorded TX reference (TX channel 0's burst) must be the reference this step
 * regenerates from isactb:calib_session.reference (docs/capture-format.md gives the
 * generator): a capture whose reference differs would be analysed against the wrong
 * signal, so it is refused with the first differing sample. A CPI without stored
 * reference is not checked. */
static int check_txref(isac_radio r, const struct cpi_tag *t, const float complex *want, size_t len,
                       char *err, size_t errlen)
{
    const json_t *ann = isac_radio_file_current_annotation(r);
    long k = ann ? json_integer_value(json_object_get(ann, "isactb:cpi")) : -1;
    size_t rec = 0;
    float complex *got = malloc(len * sizeof *got);
    int rc = got ? isac_radio_file_current_txref(r, got, len, &rec) : ISAC_ENOMEM;
    if (rc) {
        isac_seterr(err, errlen, "CPI %ld: TX reference: %s", k,
                    rc == ISAC_ENOMEM ? "out of memory" : isac_radio_last_error(r));
    } else if (rec && rec != len) {
        isac_seterr(err, errlen,
                    "CPI %ld: isactb:tx_samples %zu, but the %s reference of isactb:calib_session "
                    "is %zu samples",
                    k, rec, t->reference, len);
        rc = ISAC_EFORMAT;
    } else if (rec) {
        double d = 0;
        size_t i = isac_sigmf_txref_mismatch(got, want, len, &d);
        if (i < len) {
            isac_seterr(err, errlen,
                        "CPI %ld: TX reference sample %zu is (%.6g, %.6g), the %s reference that "
                        "isactb:calib_session.reference generates has (%.6g, %.6g) (difference "
                        "%.3g > %g): the stored reference is not the one the estimator uses",
                        k, i, crealf(got[i]), cimagf(got[i]), t->reference, crealf(want[i]),
                        cimagf(want[i]), d, ISAC_SIGMF_TXREF_TOL);
            rc = ISAC_EFORMAT;
        }
    }
    free(got);
    return rc;
}

/* Append one capture to the session recording: its segments are calibration segments
 * (spatial extension 2.1: a known reference emission injected locally by cable). */
static int record_cpi(const struct isac_calib_session *s, const struct cpi_tag *t,
                      const struct bufs *tx, size_t txlen, int64_t t0, int64_t offset,
                      const struct bufs *rx, size_t rxlen, const struct isac_radio_rx_md *md,
                      char *err, size_t errlen)
{
    json_t *ann = json_pack("{s:o}", "isactb:calib_cpi", tag_json(t));
    json_t *seg = json_pack("{s:{s:s,s:{s:b}}}", "spatial:calibration", "caltype", "ref",
                            "cal_geometry", "unknown", 1);
    struct isac_sigmf_cpi c = {.tick = t0 + offset,
                               .rx = (const float complex *const *)rx->p,
                               .len = rxlen,
                               .md = md,
                               .tx_tick = t0,
                               .txref = tx->p[0],
                               .txlen = txlen,
                               .annotation = ann,
                               .segment = seg};
    int rc = ann && seg ? isac_sigmf_writer_append_cpi(s->capture, &c) : ISAC_ENOMEM;
    if (rc)
        isac_seterr(err, errlen, "calibration %s: recording: %s", t->session,
                    rc == ISAC_ENOMEM ? "out of memory" : isac_sigmf_writer_last_error(s->capture));
    json_decref(ann);
    json_decref(seg);
    return rc;
}

/* Transmit tx (num_tx rows of txlen) at the next free tick and capture rxlen samples
 * starting `offset` ticks after the burst start (offset >= 0). On a replay radio the
 * capture is the next recorded CPI (its window started `offset` after its burst). */
static int burst_capture(isac_radio r, const struct isac_calib_session *s,
                         const struct cpi_tag *tag, const struct bufs *tx, size_t txlen,
                         int64_t offset, const struct bufs *rx, size_t rxlen, char *err,
                         size_t errlen)
{
    const char *what = tag->session;
    if (s->stop && *s->stop) { /* the safe point: between two captures */
        isac_seterr(err, errlen, "calibration %s: interrupted", what);
        return ISAC_EINTR;
    }
    struct isac_radio_info info;
    int64_t now = 0;
    int rc = isac_radio_get_info(r, &info);
    if (rc == ISAC_OK)
        rc = isac_radio_get_time(r, &now);
    int replay = (info.caps & ISAC_RADIO_CAP_REPLAY) != 0;
    int64_t t0 = replay ? now - offset : now + CALIB_LEAD_TICKS;
    if (rc == ISAC_OK)
        rc = isac_radio_tx_burst(r, t0, (const float complex *const *)tx->p, txlen);
    struct isac_radio_rx_md md;
    if (rc == ISAC_OK)
        rc = isac_radio_rx_capture(r, t0 + offset, rx->p, rxlen, &md);
    if (rc == ISAC_OK && (md.dropped_samples || md.overflow)) {
        isac_seterr(err, errlen, "calibration %s: %llu samples lost in the capture (retry)", what,
                    (unsigned long long)md.dropped_samples);
        return ISAC_ERADIO;
    }
    if (rc)
        return fail(r, rc, what, err, errlen);
    if (replay)
        return (rc = check_tag(r, tag, err, errlen))
                   ? rc
                   : check_txref(r, tag, tx->p[0], txlen, err, errlen);
    return s->capture ? record_cpi(s, tag, tx, txlen, t0, offset, rx, rxlen, &md, err, errlen)
                      : ISAC_OK;
}

/* The analysis window starts guard + round(coarse) ticks after the burst start. */
static int64_t window_offset(const struct isac_calib_session *s)
{
    return (int64_t)s->ref.guard + (int64_t)llround(s->coarse_delay);
}

static int check(isac_radio r, const struct isac_calib_session *s, struct isac_radio_info *info,
                 char *err, size_t errlen)
{
    if (!r || !s || isac_calib_ref_validate(&s->ref) || isac_radio_get_info(r, info)) {
        isac_seterr(err, errlen, "calibration: bad reference parameters or radio");
        return ISAC_EINVAL;
    }
    if (!(s->coarse_delay >= 0 && s->coarse_delay <= s->ref.guard)) {
        isac_seterr(err, errlen, "calibration: coarse delay %g outside 0..%u samples",
                    s->coarse_delay, s->ref.guard);
        return ISAC_EINVAL;
    }
    return ISAC_OK;
}

/* Every RX channel must see the reference the estimator assumes: with a predicted SNR of
 * CALIB_MATCH_MIN_SNR or more, the fitted response must explain at least
 * CALIB_MATCH_MIN_EXPLAINED of the in-band power above the noise (a matching capture
 * explains ~100 %; another reference ~1/(active bins), 0.1 % at the defaults). Otherwise the
 * estimate would be a wrong record, so the session is refused (ISAC_EFORMAT): a recording
 * whose isactb:calib_session does not describe what was transmitted. */
#define CALIB_MATCH_MIN_SNR 10.0
#define CALIB_MATCH_MIN_EXPLAINED 0.5
static int check_reference(const struct isac_calib_session *s, const float complex *const *y,
                           unsigned nch, char *err, size_t errlen)
{
    for (unsigned ch = 0; ch < nch; ch++) {
        double ex = 0, snr = 0;
        int rc = isac_calib_ref_match(&s->ref, y[ch], s->maxlag, &ex, &snr);
        if (rc)
            return rc;
        if (snr >= CALIB_MATCH_MIN_SNR && !(ex >= CALIB_MATCH_MIN_EXPLAINED)) {
            isac_seterr(err, errlen,
                        "calibration rx: channel %u: the expected reference (seed %llu, period "
                        "%u) explains %.2g %% of the received in-band power where its SNR of "
                        "%.1f dB predicts about 100 %%: the capture's reference does not match",
                        ch, (unsigned long long)s->ref.seed, s->ref.N, 100 * ex, 10 * log10(snr));
            return ISAC_EFORMAT;
        }
    }
    return ISAC_OK;
}

int isac_calib_measure_rx(isac_radio r, const struct isac_calib_session *s,
                          struct isac_calib_chan *out, char *err, size_t errlen)
{
    struct isac_radio_info info;
    int rc = check(r, s, &info, err, errlen);
    if (rc)
        return rc;
    size_t blen = isac_calib_ref_burst_len(&s->ref), clen = isac_calib_ref_capture_len(&s->ref);
    struct bufs tx = {0}, rx = {0};
    rc = bufs_alloc(&tx, info.num_tx, blen);
    if (rc == ISAC_OK)
        rc = bufs_alloc(&rx, info.num_rx, clen);
    if (rc == ISAC_OK)
        rc = isac_calib_ref_burst(&s->ref, 1, 0, tx.p[0]); /* TX channel 0 drives the splitter */
    if (rc == ISAC_OK)
        rc = burst_capture(r, s, &(struct cpi_tag){"rx", "full", 0, 0}, &tx, blen, window_offset(s),
                           &rx, clen, err, errlen);
    if (rc == ISAC_OK)
        rc = check_reference(s, (const float complex *const *)rx.p, info.num_rx, err, errlen);
    for (unsigned n = 0, ch = 0; rc == ISAC_OK && n < info.num_rx_aps;
         ch += info.rx_ap_elements[n++]) {
        rc = isac_calib_rx_array(&s->ref, (const float complex *const *)rx.p + ch,
                                 info.rx_ap_elements[n], ch, n, s->maxlag, NULL, out + ch);
        if (rc)
            isac_seterr(err, errlen, "calibration rx: array %u: estimator failed", n);
    }
    bufs_free(&tx);
    bufs_free(&rx);
    return rc;
}

static int tx_codes(isac_radio r, const struct isac_calib_session *s,
                    const struct isac_radio_info *info, const double complex *steer,
                    struct isac_calib_chan *out, char *err, size_t errlen)
{
    unsigned K = info->num_tx;
    if (K > s->ref.N / 16 || s->maxlag >= s->ref.N / (2 * K)) {
        isac_seterr(err, errlen, "calibration tx: %u channels need a period N >= %u (maxlag %u)", K,
                    2 * K * (s->maxlag + 1), s->maxlag);
        return ISAC_EINVAL;
    }
    size_t blen = isac_calib_ref_burst_len(&s->ref), clen = isac_calib_ref_capture_len(&s->ref);
    struct bufs tx = {0}, rx = {0};
    int rc = bufs_alloc(&tx, K, blen);
    if (rc == ISAC_OK)
        rc = bufs_alloc(&rx, info->num_rx, clen);
    for (unsigned k = 0; rc == ISAC_OK && k < K; k++)
        rc = isac_calib_ref_burst(&s->ref, K, k, tx.p[k]);
    if (rc == ISAC_OK)
        rc = burst_capture(r, s, &(struct cpi_tag){steer ? "manifold" : "tx", "comb", K, 0}, &tx,
                           blen, window_offset(s), &rx, clen, err, errlen);
    if (rc == ISAC_OK &&
        (rc = isac_calib_tx_codes(&s->ref, rx.p[s->ref_rx], K, s->maxlag, steer, out)))
        isac_seterr(err, errlen, "calibration tx: estimator failed");
    bufs_free(&tx);
    bufs_free(&rx);
    return rc;
}

static int tx_sequential(isac_radio r, const struct isac_calib_session *s,
                         const struct isac_radio_info *info, struct isac_calib_chan *out, char *err,
                         size_t errlen)
{
    unsigned K = info->num_tx;
    size_t blen = isac_calib_ref_burst_len(&s->ref), clen = isac_calib_ref_capture_len(&s->ref);
    struct bufs tx = {0}, rx = {0};
    float complex **y = calloc(K, sizeof *y);
    int rc = y ? bufs_alloc(&tx, K, 2 * blen) : ISAC_ENOMEM;
    if (rc == ISAC_OK)
        rc = bufs_alloc(&rx, info->num_rx, blen + clen);
    for (unsigned j = 1; rc == ISAC_OK && j < K; j++) {
        for (unsigned k = 0; k < K; k++)
            memset(tx.p[k], 0, 2 * blen * sizeof **tx.p);
        if ((rc = isac_calib_ref_burst(&s->ref, 1, 0, tx.p[0])) ||
            (rc = isac_calib_ref_burst(&s->ref, 1, 0, tx.p[j] + blen)))
            break;
        rc = burst_capture(r, s, &(struct cpi_tag){"tx", "pair", 0, j}, &tx, 2 * blen,
                           window_offset(s), &rx, blen + clen, err, errlen);
        if (rc == ISAC_OK && !(y[j] = malloc((blen + clen) * sizeof **y)))
            rc = ISAC_ENOMEM;
        if (rc == ISAC_OK)
            memcpy(y[j], rx.p[s->ref_rx], (blen + clen) * sizeof **y);
    }
    if (rc == ISAC_OK && (rc = isac_calib_tx_sequential(&s->ref, (const float complex *const *)y, K,
                                                        s->maxlag, out)))
        isac_seterr(err, errlen, "calibration tx: estimator failed");
    for (unsigned j = 0; y && j < K; j++)
        free(y[j]);
    free(y);
    bufs_free(&tx);
    bufs_free(&rx);
    return rc;
}

int isac_calib_measure_tx(isac_radio r, const struct isac_calib_session *s, int sequential,
                          struct isac_calib_chan *out, char *err, size_t errlen)
{
    struct isac_radio_info info;
    int rc = check(r, s, &info, err, errlen);
    if (rc)
        return rc;
    if (s->ref_rx >= info.num_rx) {
        isac_seterr(err, errlen, "calibration tx: reference receiver %u >= %u RX channels",
                    s->ref_rx, info.num_rx);
        return ISAC_EINVAL;
    }
    return sequential ? tx_sequential(r, s, &info, out, err, errlen)
                      : tx_codes(r, s, &info, NULL, out, err, errlen);
}

int isac_calib_measure_delay(isac_radio r, const struct isac_calib_session *s, double *delay,
                             double *std, char *err, size_t errlen)
{
    struct isac_radio_info info;
    int rc = check(r, s, &info, err, errlen);
    if (rc)
        return rc;
    size_t blen = isac_calib_ref_burst_len(&s->ref), clen = isac_calib_ref_capture_len(&s->ref);
    struct bufs tx = {0}, rx = {0};
    rc = bufs_alloc(&tx, info.num_tx, blen);
    if (rc == ISAC_OK)
        rc = bufs_alloc(&rx, info.num_rx, clen);
    if (rc == ISAC_OK)
        rc = isac_calib_ref_burst(&s->ref, 1, 0, tx.p[0]);
    if (rc == ISAC_OK)
        rc = burst_capture(r, s, &(struct cpi_tag){"delay", "full", 0, 0}, &tx, blen,
                           window_offset(s), &rx, clen, err, errlen);
    unsigned lag = s->ref.guard - ISAC_FDELAY_HALF;
    for (unsigned n = 0, ch = 0; rc == ISAC_OK && n < info.num_rx_aps;
         ch += info.rx_ap_elements[n++]) {
        double d = 0, sd = 0;
        if ((rc = isac_calib_delay(&s->ref, rx.p[ch], lag < s->ref.N / 2 ? lag : s->ref.N / 2 - 1,
                                   &d, &sd)))
            isac_seterr(err, errlen, "calibration delay: array %u: estimator failed", n);
        delay[n] = d + llround(s->coarse_delay);
        if (std)
            std[n] = sd;
    }
    bufs_free(&tx);
    bufs_free(&rx);
    return rc;
}

/* Steering vector of receive AP ap (ap < 0: the TX array) from the radio's element
 * positions. */
static int steer(const struct isac_radio_info *info, int ap, double theta, double complex *a)
{
    isac_array arr = ap < 0 ? isac_radio_tx_array(info) : isac_radio_rx_array(info, (unsigned)ap);
    if (!arr)
        return ISAC_EINVAL;
    isac_array_steering_d(arr, theta, a);
    isac_array_destroy(arr);
    return ISAC_OK;
}

int isac_calib_measure_manifold(isac_radio r, const struct isac_calib_session *s, double theta,
                                struct isac_calib_chan *rx_out, struct isac_calib_chan *tx_out,
                                char *err, size_t errlen)
{
    struct isac_radio_info info;
    int rc = check(r, s, &info, err, errlen);
    if (rc)
        return rc;
    double complex a[ISAC_CALIB_MAX_CH];
    size_t blen = isac_calib_ref_burst_len(&s->ref), clen = isac_calib_ref_capture_len(&s->ref);
    struct bufs tx = {0}, rx = {0};
    rc = bufs_alloc(&tx, info.num_tx, blen);
    if (rc == ISAC_OK)
        rc = bufs_alloc(&rx, info.num_rx, clen);
    if (rc == ISAC_OK)
        rc = isac_calib_ref_burst(&s->ref, 1, 0, tx.p[0]);
    if (rc == ISAC_OK)
        rc = burst_capture(r, s, &(struct cpi_tag){"manifold", "full", 0, 0}, &tx, blen,
                           window_offset(s), &rx, clen, err, errlen);
    for (unsigned n = 0, ch = 0; rc == ISAC_OK && n < info.num_rx_aps;
         ch += info.rx_ap_elements[n++]) {
        rc = steer(&info, (int)n, theta, a);
        if (rc == ISAC_OK)
            rc = isac_calib_rx_array(&s->ref, (const float complex *const *)rx.p + ch,
                                     info.rx_ap_elements[n], ch, n, s->maxlag, a, rx_out + ch);
    }
    bufs_free(&tx);
    bufs_free(&rx);
    if (rc == ISAC_OK && tx_out) {
        rc = steer(&info, -1, theta, a);
        if (rc == ISAC_OK)
            rc = tx_codes(r, s, &info, a, tx_out, err, errlen);
    }
    return rc;
}

/* Probe for TX channel k: weight w, calibration delay (if any). */
static void tx_row(float complex *row, size_t len, const float complex *ref, size_t blen,
                   float complex w, double delay)
{
    memset(row, 0, len * sizeof *row);
    isac_fdelay_add(row, len, ref, blen, delay, w, 0.0);
}

static double rx_beam_power(const struct isac_chan_correction *cal, const struct bufs *rx,
                            unsigned ch0, unsigned M, size_t clen, const double complex *w,
                            float complex *tmp)
{
    double complex *z = calloc(clen, sizeof *z);
    if (!z)
        return NAN;
    for (unsigned m = 0; m < M; m++) {
        const float complex *y = rx->p[ch0 + m];
        if (cal) {
            memset(tmp, 0, clen * sizeof *tmp);
            isac_fdelay_add(tmp, clen, y, clen, cal->rx_delay[ch0 + m], cal->rx_weight[ch0 + m],
                            0.0);
            y = tmp;
        }
        for (size_t t = 0; t < clen; t++)
            z[t] += w[m] * y[t];
    }
    double p = 0;
    /* skip the delay filter's edge at the start of the window */
    for (size_t t = ISAC_FDELAY_HALF + 8; t < clen; t++)
        p += creal(z[t] * conj(z[t]));
    free(z);
    return p / (double)(clen - ISAC_FDELAY_HALF - 8);
}

int isac_calib_measure_patterns(isac_radio r, const struct isac_calib_session *s, double theta,
                                const struct isac_chan_correction *cal, isac_codebook cb,
                                unsigned ap, double *tx_pattern, isac_codebook rx_cb,
                                double *rx_pattern, char *err, size_t errlen)
{
    struct isac_radio_info info;
    int rc = check(r, s, &info, err, errlen);
    if (rc)
        return rc;
    if (ap >= info.num_rx_aps || isac_codebook_elements(cb) != info.num_tx ||
        (rx_cb && isac_codebook_elements(rx_cb) != info.rx_ap_elements[ap]) ||
        (cal && (cal->num_rx != info.num_rx || cal->num_tx != info.num_tx))) {
        isac_seterr(err, errlen,
                    "calibration verify: codebook/array/calibration sizes do not match the radio");
        return ISAC_EINVAL;
    }
    unsigned ch0 = 0, M = info.rx_ap_elements[ap];
    for (unsigned n = 0; n < ap; n++)
        ch0 += info.rx_ap_elements[n];
    size_t blen = isac_calib_ref_burst_len(&s->ref), clen = isac_calib_ref_capture_len(&s->ref);
    size_t tlen = blen + 2 * ISAC_FDELAY_HALF + 16;
    struct bufs tx = {0}, rx = {0};
    float complex *ref = malloc(blen * sizeof *ref), *tmp = malloc(clen * sizeof *tmp);
    rc = ref && tmp ? bufs_alloc(&tx, info.num_tx, tlen) : ISAC_ENOMEM;
    if (rc == ISAC_OK)
        rc = bufs_alloc(&rx, info.num_rx, clen);
    if (rc == ISAC_OK)
        rc = isac_calib_ref_burst(&s->ref, 1, 0, ref);
    double complex a[ISAC_CALIB_MAX_CH];
    if (rc == ISAC_OK)
        rc = steer(&info, (int)ap, theta, a);
    for (unsigned m = 0; m < M; m++)
        a[m] = conj(a[m]) / M; /* receive beam toward the pilot: a^H y / M */
    for (unsigned q = 0; rc == ISAC_OK && q <= isac_codebook_size(cb); q++) {
        /* q < Q: beam q; q == Q: channel 0 alone, for the RX pattern */
        int single = q == isac_codebook_size(cb);
        if (single && !rx_cb)
            break;
        for (unsigned k = 0; k < info.num_tx; k++) {
            float complex w = single ? (k == 0) : isac_codebook_weights(cb, q)[k];
            if (cal)
                w *= cal->tx_weight[k];
            tx_row(tx.p[k], tlen, ref, blen, w, cal ? cal->tx_delay[k] : 0.0);
        }
        rc = burst_capture(r, s, &(struct cpi_tag){"verify", "beam", info.num_tx, 0}, &tx, tlen,
                           window_offset(s), &rx, clen, err, errlen);
        if (rc)
            break;
        if (!single) {
            tx_pattern[q] = rx_beam_power(cal, &rx, ch0, M, clen, a, tmp);
            continue;
        }
        for (unsigned q2 = 0; q2 < isac_codebook_size(rx_cb); q2++) {
            double complex w[ISAC_CALIB_MAX_CH];
            for (unsigned m = 0; m < M; m++)
                w[m] = isac_codebook_weights(rx_cb, q2)[m];
            rx_pattern[q2] = rx_beam_power(cal, &rx, ch0, M, clen, w, tmp);
        }
    }
    free(ref);
    free(tmp);
    bufs_free(&tx);
    bufs_free(&rx);
    return rc;
}

/* ---- recorded sessions ---- */

const char *isac_calib_session_method(const char *kind, int sequential)
{
    if (!strcmp(kind, "rx"))
        return "splitter-eigenvector";
    if (!strcmp(kind, "tx"))
        return sequential ? "coupler-sequential" : "coupler-comb";
    return "splitter-delay";
}

json_t *isac_calib_session_to_json(const struct isac_calib_session *s, const char *kind,
                                   int sequential)
{
    const struct isac_calib_ref *r = &s->ref;
    return json_pack("{s:s,s:s,s:{s:I,s:I,s:I,s:f,s:I},s:I,s:f,s:I}", "kind", kind, "method",
                     isac_calib_session_method(kind, sequential), "reference", "N",
                     (json_int_t)r->N, "periods", (json_int_t)r->periods, "guard",
                     (json_int_t)r->guard, "occupancy", r->occupancy, "seed", (json_int_t)r->seed,
                     "maxlag", (json_int_t)s->maxlag, "coarse_delay", s->coarse_delay, "ref_rx",
                     (json_int_t)s->ref_rx);
}

static int session_uint(const json_t *o, const char *key, const char *where, json_int_t max,
                        unsigned *out, char *err, size_t errlen)
{
    const json_t *v = json_object_get(o, key);
    if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > max) {
        isac_seterr(err, errlen, "isactb:calib_session%s.%s %s", where, key,
                    v ? "is not an integer in range" : "missing");
        return ISAC_EFORMAT;
    }
    *out = (unsigned)json_integer_value(v);
    return ISAC_OK;
}

int isac_calib_session_from_json(const json_t *obj, const char *kind, struct isac_calib_session *s,
                                 int *sequential, char *err, size_t errlen)
{
    isac_calib_session_default(s);
    if (!json_is_object(obj)) {
        isac_seterr(err, errlen, "isactb:calib_session missing: not a calibration session capture");
        return ISAC_EFORMAT;
    }
    const char *k = json_string_value(json_object_get(obj, "kind"));
    if (!k || strcmp(k, kind)) {
        isac_seterr(err, errlen, "isactb:calib_session.kind '%s': not a '%s' calibration session",
                    k ? k : "(missing)", kind);
        return ISAC_EFORMAT;
    }
    const char *m = json_string_value(json_object_get(obj, "method"));
    *sequential = m && !strcmp(m, "coupler-sequential");
    if (!m || strcmp(m, isac_calib_session_method(kind, *sequential))) {
        isac_seterr(err, errlen, "isactb:calib_session.method '%s' unknown for kind '%s'",
                    m ? m : "(missing)", kind);
        return ISAC_EFORMAT;
    }
    const json_t *ref = json_object_get(obj, "reference"), *occ = json_object_get(ref, "occupancy"),
                 *cd = json_object_get(obj, "coarse_delay"), *seed = json_object_get(ref, "seed");
    unsigned seed_u = 0;
    int rc = session_uint(ref, "N", ".reference", 65536, &s->ref.N, err, errlen);
    if (!rc)
        rc = session_uint(ref, "periods", ".reference", 64, &s->ref.periods, err, errlen);
    if (!rc)
        rc = session_uint(ref, "guard", ".reference", 65536, &s->ref.guard, err, errlen);
    if (!rc && !json_is_integer(seed))
        rc = session_uint(ref, "seed", ".reference", 0, &seed_u, err, errlen);
    if (!rc)
        rc = session_uint(obj, "maxlag", "", 65536, &s->maxlag, err, errlen);
    if (!rc)
        rc = session_uint(obj, "ref_rx", "", ISAC_RADIO_MAX_CHANNELS - 1, &s->ref_rx, err, errlen);
    if (rc)
        return rc;
    s->ref.seed = (uint64_t)json_integer_value(seed);
    if (!json_is_number(occ) || !json_is_number(cd)) {
        isac_seterr(err, errlen, "isactb:calib_session%s is not a number",
                    !json_is_number(occ) ? ".reference.occupancy" : ".coarse_delay");
        return ISAC_EFORMAT;
    }
    s->ref.occupancy = json_number_value(occ);
    s->coarse_delay = json_number_value(cd);
    if (isac_calib_ref_validate(&s->ref) ||
        !(s->coarse_delay >= 0 && s->coarse_delay <= s->ref.guard)) {
        isac_seterr(err, errlen,
                    "isactb:calib_session.reference N %u periods %u guard %u "
                    "occupancy %g / coarse_delay %g out of range",
                    s->ref.N, s->ref.periods, s->ref.guard, s->ref.occupancy, s->coarse_delay);
        return ISAC_EFORMAT;
    }
    return ISAC_OK;
}
