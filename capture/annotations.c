/* Writer: the SigMF annotations of each .sigmf-meta (capture/sigmf_internal.h). The CPI
 * records live once in the collection (isactb:cpis); each meta gets, per CPI, one plain
 * core annotation over the samples it stored for that CPI, with the occupied band as
 * core:freq_lower_edge/core:freq_upper_edge, a short core:label and a core:comment, so a
 * SigMF viewer (inspectrum, sigmf-viewer) draws a box per CPI. Readers ignore them: the
 * annotations repeat what the collection's records say, nothing more. */
#include <stdio.h>
#include <string.h>

#include "common/err.h"
#include "sigmf_internal.h"

/* Occupied band of CPI record rec, as offsets (Hz) from the carrier: the probe's
 * (isactb:waveform: lfm sweeps bandwidth fs, zc and mseq fill the sampled band fs), a
 * calibration reference's (occupancy fs of isactb:calib_session.reference), else the
 * radio's bandwidth. */
static double half_band(const struct isac_sigmf_writer_s *w, const json_t *rec)
{
    double fs = w->info.sample_rate;
    const json_t *wf = json_object_get(rec, "isactb:waveform");
    const char *kind = json_string_value(json_object_get(wf, "kind"));
    if (kind && !strcmp(kind, "lfm")) {
        double b = json_number_value(json_object_get(wf, "bandwidth"));
        if (b > 0 && b <= 1)
            return 0.5 * b * fs;
    }
    if (kind)
        return 0.5 * fs;
    if (json_object_get(rec, "isactb:calib_cpi")) {
        const json_t *ref = json_object_get(
            json_object_get(json_object_get(w->global_extra, "isactb:calib_session"), "reference"),
            "occupancy");
        double occ = json_number_value(ref);
        if (occ > 0 && occ <= 1)
            return 0.5 * occ * fs;
    }
    double bw = w->info.bandwidth > 0 ? w->info.bandwidth : fs;
    return 0.5 * (bw < fs ? bw : fs);
}

static void label_of(const json_t *rec, size_t k, int rx, char *buf, size_t len)
{
    const json_t *beam = json_object_get(rec, "isactb:beam");
    const json_t *cal = json_object_get(rec, "isactb:calib_cpi");
    const char *pfx = rx ? "" : "TX ";
    if (cal)
        snprintf(buf, len, "%scal %.6s %.5s", pfx,
                 json_string_value(json_object_get(cal, "session")) ?: "?",
                 json_string_value(json_object_get(cal, "reference")) ?: "?");
    else if (json_is_integer(beam))
        snprintf(buf, len, "%sCPI %zu b%lld", pfx, k, (long long)json_integer_value(beam));
    else
        snprintf(buf, len, "%sCPI %zu", pfx, k);
}

/* Short on purpose: every RX meta carries one per CPI (the metadata stays ~1 % of the IQ). */
static void comment_of(const json_t *rec, size_t k, int rx, char *buf, size_t len)
{
    size_t n = 0;
#define ADD(...)                                                                                   \
    do {                                                                                           \
        if (n < len)                                                                               \
            n += (size_t)snprintf(buf + n, len - n, __VA_ARGS__);                                  \
    } while (0)
    const json_t *drop = json_object_get(rec, "isactb:drop");
    long long tick = json_integer_value(json_object_get(rec, "isactb:tick"));
    if (rx)
        ADD("isactb CPI %zu: tick %lld, %lld samples", k, tick,
            (long long)json_integer_value(json_object_get(rec, "isactb:num_samples")));
    else
        ADD("isactb CPI %zu: probe from tick %lld", k,
            json_object_get(rec, "isactb:tx_tick")
                ? (long long)json_integer_value(json_object_get(rec, "isactb:tx_tick"))
                : tick);
    if (rx && drop)
        ADD(", %lld lost", (long long)json_integer_value(json_object_get(drop, "count")));
    const json_t *beam = json_object_get(rec, "isactb:beam");
    if (json_is_integer(beam))
        ADD(", beam %lld", (long long)json_integer_value(beam));
    const json_t *cal = json_object_get(rec, "isactb:calib_cpi");
    if (cal)
        ADD(", calibration %s %s", json_string_value(json_object_get(cal, "session")) ?: "?",
            json_string_value(json_object_get(cal, "reference")) ?: "?");
    const json_t *det = json_object_get(rec, "isactb:detection");
    if (rx && json_is_true(json_object_get(det, "detected")))
        ADD(", target at (%.0f, %.0f) m", json_number_value(json_object_get(det, "x")),
            json_number_value(json_object_get(det, "y")));
#undef ADD
}

json_t *cap_annotations(const struct isac_sigmf_writer_s *w, int rx)
{
    json_t *out = json_array();
    double fc = w->info.center_freq;
    uint64_t off = 0;
    size_t k;
    const json_t *rec;
    json_array_foreach(w->cpis, k, rec)
    {
        uint64_t n;
        if (rx)
            n = (uint64_t)json_integer_value(json_object_get(rec, "isactb:num_samples")) -
                (uint64_t)json_integer_value(
                    json_object_get(json_object_get(rec, "isactb:drop"), "count"));
        else
            n = (uint64_t)json_integer_value(json_object_get(rec, "isactb:tx_samples"));
        if (!n) /* a window lost entirely, or a CPI without probe: nothing to mark */
            continue;
        char label[40], comment[400];
        label_of(rec, k, rx, label, sizeof label);
        comment_of(rec, k, rx, comment, sizeof comment);
        double hb = half_band(w, rec);
        json_t *a = json_pack("{s:I,s:I,s:f,s:f,s:s,s:s}", "core:sample_start", (json_int_t)off,
                              "core:sample_count", (json_int_t)n, "core:freq_lower_edge", fc - hb,
                              "core:freq_upper_edge", fc + hb, "core:label", label, "core:comment",
                              comment);
        if (!out || !a || json_array_append_new(out, a)) {
            json_decref(out);
            return NULL;
        }
        off += n;
    }
    return out;
}
