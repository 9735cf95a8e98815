/* Reader: per-CPI facts, the recorded plan, and the samples (windows rebuilt with the
 * lost samples as zeros, probe waveforms) read from the data files opened at open();
 * SHA-512 verification of the data files. */
#include <complex.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "common/err.h"
#include "sigmf_internal.h"

int isac_sigmf_reader_cpi_info(isac_sigmf_reader r, size_t k, struct isac_sigmf_cpi_info *ci)
{
    if (!r || !ci || k >= r->ncpi)
        return ISAC_EINVAL;
    const struct ann *a = &r->rx[0]->ann[k];
    *ci = (struct isac_sigmf_cpi_info){a->tick,    (size_t)a->len,
                                       a->tx_tick, (size_t)r->tx->ann[k].cnt,
                                       a->missing, a->missing ? a->first_gap : 0,
                                       a->ngaps,   a->overflow};
    return ISAC_OK;
}

const json_t *isac_sigmf_reader_cpi_annotation(isac_sigmf_reader r, size_t k)
{
    return r && k < r->ncpi ? r->cpi[k].obj : NULL;
}

isac_tx_plan isac_sigmf_reader_cpi_plan(isac_sigmf_reader r, size_t k, isac_codebook cb, char *err,
                                        size_t errlen)
{
    const json_t *j = json_object_get(isac_sigmf_reader_cpi_annotation(r, k), "isactb:plan");
    char what[64];
    snprintf(what, sizeof what, "isactb:cpis[%zu] isactb:plan", k);
    if (!j) {
        isac_seterr(err, errlen, "%s: %s missing", r ? r->coll_path : "sigmf reader", what);
        return NULL;
    }
    return isac_tx_plan_from_json(j, cb, what, err, errlen);
}

struct readctx {
    const struct rstream *s;
    float complex *out;
    int64_t tick0;
    char *err;
    size_t errlen;
};

static int read_chunk(void *ctx, uint64_t off, int64_t tick, uint64_t n)
{
    struct readctx *c = ctx;
    char *p = (char *)(c->out + (tick - c->tick0));
    size_t want = (size_t)(n * CF32);
    off_t pos = (off_t)(off * CF32);
    while (want) {
        ssize_t k = pread(c->s->fd, p, want, pos);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0) {
            struct ectx e = {c->err, c->errlen, c->s->data_path};
            return cap_efail(&e, ISAC_EIO, "read at byte %lld failed: %s", (long long)pos,
                             k < 0 ? strerror(errno) : "file shrank");
        }
        p += k;
        want -= (size_t)k;
        pos += k;
    }
    return ISAC_OK;
}

int isac_sigmf_reader_read_cpi(isac_sigmf_reader r, size_t k, float complex *const *rx, size_t len,
                               struct isac_radio_rx_md *md)
{
    if (!r || !rx || k >= r->ncpi) {
        if (r)
            snprintf(r->err, sizeof r->err, "sigmf reader: CPI %zu out of range (%zu CPIs)", k,
                     r->ncpi);
        return ISAC_EINVAL;
    }
    const struct ann *a0 = &r->rx[0]->ann[k];
    if (len != a0->len) {
        snprintf(r->err, sizeof r->err, "sigmf reader: CPI %zu holds %llu samples, asked %zu", k,
                 (unsigned long long)a0->len, len);
        return ISAC_EINVAL;
    }
    for (unsigned ch = 0; ch < r->num_rx; ch++) {
        const struct rstream *s = r->rx[ch];
        struct readctx c = {s, rx[ch], s->ann[k].tick, r->err, sizeof r->err};
        if (s->ann[k].missing) /* lost samples read as zeros; a whole window is all read */
            memset(rx[ch], 0, len * sizeof *rx[ch]);
        int rc = cap_for_chunks(s, &s->ann[k], read_chunk, &c);
        if (rc)
            return rc;
    }
    if (md)
        *md = (struct isac_radio_rx_md){a0->tick, len, a0->missing, a0->missing ? a0->first_gap : 0,
                                        a0->overflow};
    return ISAC_OK;
}

int isac_sigmf_reader_read_txref(isac_sigmf_reader r, size_t k, float complex *tx, size_t txlen)
{
    if (!r || (!tx && txlen) || k >= r->ncpi || txlen != r->tx->ann[k].cnt) {
        if (r)
            snprintf(r->err, sizeof r->err, "sigmf reader: CPI %zu txref: bad index or length %zu",
                     k, txlen);
        return ISAC_EINVAL;
    }
    const struct ann *a = &r->tx->ann[k];
    struct readctx c = {r->tx, tx, a->tx_tick, r->err, sizeof r->err};
    return cap_for_chunks(r->tx, a, read_chunk, &c);
}

static int verify_stream(isac_sigmf_reader r, const struct rstream *s)
{
    struct ectx e = {r->err, sizeof r->err, s->data_path};
    if (!s->sha512)
        return ISAC_OK;
    struct isac_cap_hash h;
    if (isac_cap_hash_init(&h, ISAC_CAP_SHA512))
        return cap_efail(&e, ISAC_ENOMEM, "out of memory");
    char buf[65536], hex[129];
    uint64_t total = s->nsamples * CF32, pos = 0;
    while (pos < total) {
        ssize_t k = pread(s->fd, buf, sizeof buf, (off_t)pos);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0) {
            isac_cap_hash_free(&h);
            return cap_efail(&e, ISAC_EIO, "read failed at byte %llu", (unsigned long long)pos);
        }
        isac_cap_hash_update(&h, buf, (size_t)k);
        pos += (uint64_t)k;
    }
    int rc = isac_cap_hash_peek(&h, hex);
    isac_cap_hash_free(&h);
    if (rc)
        return cap_efail(&e, rc, "out of memory");
    if (strcasecmp(hex, s->sha512))
        return cap_efail(&e, ISAC_EFORMAT, "SHA-512 %.16s... does not match core:sha512 %.16s...",
                         hex, s->sha512);
    return ISAC_OK;
}

int isac_sigmf_reader_verify_data(isac_sigmf_reader r)
{
    for (size_t i = 0; r && i < r->nstreams; i++) {
        int rc = verify_stream(r, &r->st[i]);
        if (rc)
            return rc;
    }
    return r ? ISAC_OK : ISAC_EINVAL;
}

size_t isac_sigmf_txref_mismatch(const float complex *stored, const float complex *expected,
                                 size_t n, double *diff)
{
    for (size_t i = 0; i < n; i++) {
        double d = cabs((double complex)stored[i] - (double complex)expected[i]);
        if (!(d <= ISAC_SIGMF_TXREF_TOL)) { /* NaN counts as a mismatch */
            if (diff)
                *diff = d;
            return i;
        }
    }
    if (diff)
        *diff = 0;
    return n;
}
