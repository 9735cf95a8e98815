/* Recorded calibration sessions (docs/calibration.md, "Recorded sessions"): a live
 * session on the emulator (impairments=1) recorded as SigMF, then re-estimated from the
 * recording through the `file` radio, gives the live estimate bit for bit (rx, tx combs,
 * tx one at a time, system delay); the recording carries spatial calibration segments
 * and the estimated phases as spatial:phase_offset; a capture of another kind, or one
 * whose CPIs do not describe the reference the step expects, is refused naming the
 * field. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "calib/session.h"
#include "common/err.h"

static char *make_tmpdir(void)
{
    const char *t = getenv("TMPDIR");
    char buf[512];
    snprintf(buf, sizeof buf, "%s/test_calib_replay.XXXXXX", t && *t ? t : "/tmp");
    char *p = mkdtemp(buf);
    assert_non_null(p);
    return strdup(p);
}

static void rm_rf(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    char p[1200];
    while (d && (e = readdir(d)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
            snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
            unlink(p);
        }
    if (d)
        closedir(d);
    rmdir(dir);
}

static isac_radio open_spec(const char *spec)
{
    char err[600];
    isac_radio r = isac_radio_open(spec, err, sizeof err);
    if (!r)
        fail_msg("%s: %s", spec, err);
    return r;
}

/* One session: what it measures, on which emulator path, and its result. */
struct kind {
    const char *name; /* "rx", "tx", "delay" */
    const char *path; /* sim cal= */
    int sequential;
};

struct result {
    struct isac_calib_chan ch[ISAC_CALIB_MAX_CH];
    double delay[ISAC_RADIO_MAX_APS], std[ISAC_RADIO_MAX_APS];
};

static int measure(isac_radio r, const struct isac_calib_session *s, const struct kind *k,
                   struct result *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    if (!strcmp(k->name, "rx"))
        return isac_calib_measure_rx(r, s, out->ch, err, errlen);
    if (!strcmp(k->name, "tx"))
        return isac_calib_measure_tx(r, s, k->sequential, out->ch, err, errlen);
    return isac_calib_measure_delay(r, s, out->delay, out->std, err, errlen);
}

/* Live session recorded into dir (global isactb:calib_session as `calib --capture`). */
static void record_live(const char *dir, const struct kind *k, const char *claimed_kind,
                        struct result *live, struct isac_radio_info *info)
{
    char spec[128], err[600];
    snprintf(spec, sizeof spec, "sim:impairments=1,seed=11,cal=%s", k->path);
    isac_radio r = open_spec(spec);
    isac_radio_get_info(r, info);
    struct isac_calib_session s;
    isac_calib_session_default(&s);
    json_t *g = json_pack("{s:o}", "isactb:calib_session",
                          isac_calib_session_to_json(&s, claimed_kind, k->sequential));
    struct isac_sigmf_writer_desc d = {.info = info, .global = g};
    s.capture = isac_sigmf_writer_create(dir, "cal", &d, err, sizeof err);
    json_decref(g);
    if (!s.capture)
        fail_msg("%s", err);
    if (measure(r, &s, k, live, err, sizeof err))
        fail_msg("live %s: %s", k->name, err);
    double ph[ISAC_CALIB_MAX_CH];
    for (unsigned c = 0; c < info->num_rx; c++)
        ph[c] = live->ch[c].phase_deg;
    if (!strcmp(k->name, "rx"))
        assert_int_equal(isac_sigmf_writer_set_rx_phase_offset(s.capture, ph), ISAC_OK);
    assert_int_equal(isac_sigmf_writer_finish(s.capture, err, sizeof err), ISAC_OK);
    isac_radio_close(r);
}

/* The session parameters as --input reads them back from the capture. */
static int session_of(const char *dir, const char *kind, struct isac_calib_session *s, int *seq,
                      char *err, size_t errlen)
{
    isac_sigmf_reader rd = isac_sigmf_reader_open(dir, err, errlen);
    assert_non_null(rd);
    int rc = isac_calib_session_from_json(
        json_object_get(isac_sigmf_reader_global(rd), "isactb:calib_session"), kind, s, seq, err,
        errlen);
    isac_sigmf_reader_close(rd);
    return rc;
}

static isac_radio open_file(const char *dir)
{
    char spec[700];
    snprintf(spec, sizeof spec, "file:%s", dir);
    return open_spec(spec);
}

static void test_replay_equals_live(void **st)
{
    (void)st;
    static const struct kind kinds[] = {{"rx", "rx_splitter", 0},
                                        {"tx", "tx_coupler", 0},
                                        {"tx", "tx_coupler", 1},
                                        {"delay", "rx_splitter", 0}};
    static struct result live, again;
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
        const struct kind *k = &kinds[i];
        char *dir = make_tmpdir(), err[600];
        struct isac_radio_info info;
        record_live(dir, k, k->name, &live, &info);
        struct isac_calib_session s;
        int seq = -1;
        assert_int_equal(session_of(dir, k->name, &s, &seq, err, sizeof err), ISAC_OK);
        assert_int_equal(seq, k->sequential);
        isac_radio r = open_file(dir);
        if (measure(r, &s, k, &again, err, sizeof err))
            fail_msg("replayed %s: %s", k->name, err);
        /* every recorded CPI was used, no more */
        assert_int_not_equal(measure(r, &s, k, &again, err, sizeof err), ISAC_OK);
        isac_radio_close(r);
        r = open_file(dir);
        assert_int_equal(measure(r, &s, k, &again, err, sizeof err), ISAC_OK);
        isac_radio_close(r);
        /* bit for bit: the same samples through the same estimator */
        assert_memory_equal(&live, &again, sizeof live);
        unsigned n = !strcmp(k->name, "rx") ? info.num_rx : info.num_tx;
        double maxph = 0;
        for (unsigned c = 0; strcmp(k->name, "delay") && c < n; c++)
            maxph = fmax(maxph, fabs(live.ch[c].phase_deg));
        /* the impaired emulator has real offsets: the equality is not between zeros */
        assert_true(!strcmp(k->name, "delay") ? live.delay[1] != 0 : maxph > 10);
        rm_rf(dir);
        free(dir);
    }
}

/* The recording marks every RX segment as a calibration segment (spatial 2.1) and
 * stores the estimated phases (spatial 2: phase_offset) of an rx session. */
static void test_recording_fields(void **st)
{
    (void)st;
    char *dir = make_tmpdir(), file[700];
    static struct result live;
    struct isac_radio_info info;
    struct kind k = {"rx", "rx_splitter", 0};
    record_live(dir, &k, "rx", &live, &info);
    /* the CPI tags are the collection's, once for all channels */
    snprintf(file, sizeof file, "%s/cal.sigmf-collection", dir);
    json_error_t je0;
    json_t *coll = json_load_file(file, 0, &je0);
    assert_non_null(coll);
    json_t *a = json_object_get(
        json_array_get(json_object_get(json_object_get(coll, "collection"), "isactb:cpis"), 0),
        "isactb:calib_cpi");
    assert_string_equal(json_string_value(json_object_get(a, "session")), "rx");
    assert_string_equal(json_string_value(json_object_get(a, "reference")), "full");
    json_decref(coll);
    for (unsigned ch = 0; ch < info.num_rx; ch += 7) {
        snprintf(file, sizeof file, "%s/cal-rx%u.sigmf-meta", dir, ch);
        json_error_t je;
        json_t *m = json_load_file(file, 0, &je), *c;
        assert_non_null(m);
        size_t i;
        json_array_foreach(json_object_get(m, "captures"), i, c)
        {
            assert_string_equal(json_string_value(json_object_get(
                                    json_object_get(c, "spatial:calibration"), "caltype")),
                                "ref");
            assert_true(json_real_value(json_object_get(c, "spatial:phase_offset")) ==
                        live.ch[ch].phase_deg);
        }
        json_decref(m);
    }
    rm_rf(dir);
    free(dir);
}

static void test_wrong_kind(void **st)
{
    (void)st;
    char *dir = make_tmpdir(), err[600];
    static struct result live, again;
    struct isac_radio_info info;
    struct isac_calib_session s;
    int seq;
    struct kind rx = {"rx", "rx_splitter", 0}, tx = {"tx", "tx_coupler", 0};
    record_live(dir, &rx, "rx", &live, &info);
    assert_int_equal(session_of(dir, "tx", &s, &seq, err, sizeof err), ISAC_EFORMAT);
    assert_string_equal(err, "isactb:calib_session.kind 'rx': not a 'tx' calibration session");
    assert_int_equal(isac_calib_session_from_json(NULL, "rx", &s, &seq, err, sizeof err),
                     ISAC_EFORMAT);
    assert_string_equal(err, "isactb:calib_session missing: not a calibration session capture");
    json_t *o = isac_calib_session_to_json(&s, "rx", 0);
    json_object_set_new(json_object_get(o, "reference"), "N", json_integer(1000));
    assert_int_equal(isac_calib_session_from_json(o, "rx", &s, &seq, err, sizeof err),
                     ISAC_EFORMAT);
    assert_non_null(strstr(err, "isactb:calib_session.reference N 1000"));
    json_decref(o);
    /* the CPIs themselves: an rx session replayed as tx is refused at the first CPI */
    isac_calib_session_default(&s);
    isac_radio r = open_file(dir);
    assert_int_equal(measure(r, &s, &tx, &again, err, sizeof err), ISAC_EFORMAT);
    assert_string_equal(err, "CPI 0: isactb:calib_cpi.session \"rx\", expected \"tx\"");
    isac_radio_close(r);
    rm_rf(dir);
    /* a delay session whose global claims rx: the CPI tags give it away */
    struct kind dl = {"delay", "rx_splitter", 0};
    record_live(dir, &dl, "rx", &live, &info);
    assert_int_equal(session_of(dir, "rx", &s, &seq, err, sizeof err), ISAC_OK);
    r = open_file(dir);
    assert_int_equal(measure(r, &s, &rx, &again, err, sizeof err), ISAC_EFORMAT);
    assert_string_equal(err, "CPI 0: isactb:calib_cpi.session \"delay\", expected \"rx\"");
    isac_radio_close(r);
    rm_rf(dir);
    free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_replay_equals_live),
        cmocka_unit_test(test_recording_fields),
        cmocka_unit_test(test_wrong_kind),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
