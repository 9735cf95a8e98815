/* isactb calib rx|tx|delay|verify|track: array calibration sessions (docs/calibration.md);
 * rx/tx/delay can record the session (--capture DIR) and re-estimate from a recording
 * (--input CAPTURE, through the `file` back end). */
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "calib/figure.h"
#include "calib/record.h"
#include "calib/verify.h"
#include "cli/cli.h"
#include "cli/cli_serve.h"
#include "common/err.h"
#include "common/out_dir.h"
#include "engine/run.h"

/* One parser for every session (so that an option of another session gets its own
 * error line); each session's help documents its own options (cli_cmd.only). */
static const struct cli_opt CALIB_OPTS[] = {
    {"radio", 'r', "SPEC", "radio spec (default sim, with the calibration path cal=... added)"},
    {"input", 'i', "CAPTURE", "re-estimate from a recorded session instead of a radio"},
    {"out", 'o', "FILE",
     "record file to update (default: the matching record in the record directory)"},
    {"record", 'c', "FILE",
     "record to compare against (default: the matching one in the directory)"},
    {"figure", 'f', "FILE", "SVG figure of the beam patterns (default calib-verify.svg)"},
    {"pilot-deg", 'p', "D", "angle of the emulated pilot in degrees, -80..80 (default 20)"},
    {"tol-deg", 'D', "D", "phase drift tolerance in degrees, 0..180"},
    {"tol-db", 'G', "G", "gain drift tolerance in dB, 0..60"},
    {"retune", 'T', "HZ",
     "retune away by HZ and back before measuring, 1..1e12 Hz (default: no retune)"},
    CLI_OPT_JSON('j'),
    {"sequential", 's', NULL, "measure one TX channel at a time (default: all together)"},
    {"capture", 'K', "DIR", "also record every capture of the session into DIR (SigMF)"},
    CLI_OPT_SERVE('V'),
    CLI_OPT_SERVE_LINGER('L'),
    {"force", 'F', NULL,
     "replace an --out FILE that is not this array's record (kept as FILE.bak)"},
    {0}};

static const char *const MEASURE[] = {"radio", "input", "out",          "json", "capture",
                                      "force", "serve", "serve-linger", NULL};
static const char *const MEASURE_TX[] = {"radio",   "input", "out",   "json",         "sequential",
                                         "capture", "force", "serve", "serve-linger", NULL};
static const char *const VERIFY[] = {"radio", "record", "pilot-deg",    "figure",
                                     "json",  "serve",  "serve-linger", NULL};
static const char *const TRACK[] = {"radio", "record", "tol-deg",      "tol-db", "retune",
                                    "json",  "serve",  "serve-linger", NULL};

const struct cli_cmd cli_cmd_calib = {
    "calib",
    "SESSION ...",
    "array calibration sessions and records (docs/calibration.md)",
    NULL,
    NULL,
    "Records live in $ISACTB_CALIB_DIR, else $XDG_DATA_HOME/isactb/calib, else\n"
    "~/.local/share/isactb/calib; run and replay apply the matching one."};
const struct cli_cmd cli_cmd_calib_rx = {
    "calib rx",
    NULL,
    "measure the RX channels' phase, gain and delay against a reference; update the record",
    CALIB_OPTS,
    MEASURE,
    NULL};
const struct cli_cmd cli_cmd_calib_tx = {
    "calib tx", NULL,       "measure the TX channels through the coupler path; update the record",
    CALIB_OPTS, MEASURE_TX, NULL};
const struct cli_cmd cli_cmd_calib_delay = {
    "calib delay", NULL,    "measure the system delay from TX to each array; update the record",
    CALIB_OPTS,    MEASURE, NULL};
const struct cli_cmd cli_cmd_calib_verify = {
    "calib verify",
    NULL,
    "sweep a 64-beam DFT codebook against a pilot with and without the record: peak and PSLR",
    CALIB_OPTS,
    VERIFY,
    NULL};
const struct cli_cmd cli_cmd_calib_track = {
    "calib track",
    NULL,
    "re-measure RX and report the drift from the record (exit 3 beyond tolerance)",
    CALIB_OPTS,
    TRACK,
    NULL};
static const struct cli_cmd calib_any = {"calib", "SESSION", "calibration", CALIB_OPTS, NULL, NULL};

/* The session's table: the first argument naming one (options may come before it). */
static const struct cli_cmd *calib_table(int argc, char **argv)
{
    static const struct cli_cmd *const subs[] = {&cli_cmd_calib_rx, &cli_cmd_calib_tx,
                                                 &cli_cmd_calib_delay, &cli_cmd_calib_verify,
                                                 &cli_cmd_calib_track};
    for (int i = 1; i < argc; i++)
        for (size_t k = 0; k < 5; k++)
            if (!strcmp(argv[i], subs[k]->name + strlen("calib ")))
                return subs[k];
    return &calib_any;
}

struct calib_args {
    const char *sub, *radio, *input, *out, *record, *figure, *pilot, *tol_deg, *tol_db, *retune;
    const char *capture, *serve;
    int json, sequential, force;
    double linger;
};

/* SIGINT/SIGTERM: the session stops before its next capture (calib/session.h, stop). */
static volatile int calib_stop;
static void calib_on_signal(int sig)
{
    calib_stop = sig;
}

static int parse(int argc, char **argv, struct calib_args *a)
{
    struct cli_parser p;
    cli_parser_init(&p, calib_table(argc, argv), argc, argv);
    for (int c; (c = cli_next(&p)) != CLI_END;) {
        switch (c) {
        case 'r': a->radio = p.arg; break;
        case 'i': a->input = p.arg; break;
        case 'o': a->out = p.arg; break;
        case 'c': a->record = p.arg; break;
        case 'f': a->figure = p.arg; break;
        case 'p': a->pilot = p.arg; break;
        case 'D': a->tol_deg = p.arg; break;
        case 'G': a->tol_db = p.arg; break;
        case 'T': a->retune = p.arg; break;
        case 'j': a->json = 1; break;
        case 's': a->sequential = 1; break;
        case 'K': a->capture = p.arg; break;
        case 'V': a->serve = p.arg; break;
        case 'L':
            if (cli_parse_double("calib", "--serve-linger", p.arg, 0, 86400, &a->linger))
                return CLI_EUSAGE;
            break;
        case 'F': a->force = 1; break;
        case CLI_HELP: return -1;
        default: return CLI_EUSAGE;
        }
    }
    if (p.next >= argc)
        return cli_usage("calib", "missing subcommand (rx, tx, delay, verify or track)");
    a->sub = argv[p.next++];
    if (p.next < argc)
        return cli_usage("calib", "unexpected argument '%s'", argv[p.next]);
    static const char *const subs[] = {"rx", "tx", "delay", "verify", "track"};
    int ok = 0;
    for (size_t i = 0; i < 5; i++)
        ok |= !strcmp(a->sub, subs[i]);
    if (!ok)
        return cli_usage(
            "calib", "unknown subcommand '%s' (expected rx, tx, delay, verify or track)", a->sub);
    if (a->radio && a->input)
        return cli_usage("calib", "--radio and --input are exclusive");
    if (a->linger > 0 && !a->serve)
        return cli_usage("calib", "--serve-linger needs --serve");
    int measure = !strcmp(a->sub, "rx") || !strcmp(a->sub, "tx") || !strcmp(a->sub, "delay");
    if ((a->input || a->capture) && !measure)
        return cli_usage("calib", "%s: only calib rx, tx and delay record or re-estimate sessions",
                         a->input ? "--input" : "--capture");
    if (a->input && a->capture)
        return cli_usage("calib", "--input and --capture are exclusive");
    return 0;
}

/* Default directory of calibration records: $ISACTB_CALIB_DIR, else
 * $XDG_DATA_HOME/isactb/calib, else ~/.local/share/isactb/calib. */
static void calib_dir(char *out, size_t n)
{
    const char *e = getenv("ISACTB_CALIB_DIR"), *x = getenv("XDG_DATA_HOME"), *h = getenv("HOME");
    if (e && *e)
        snprintf(out, n, "%s", e);
    else if (x && *x)
        snprintf(out, n, "%s/isactb/calib", x);
    else
        snprintf(out, n, "%s/.local/share/isactb/calib", h ? h : ".");
}

static void mkdirs(const char *path)
{
    char p[4200];
    snprintf(p, sizeof p, "%s", path);
    for (char *s = p + 1; *s; s++)
        if (*s == '/') {
            *s = 0;
            mkdir(p, 0777);
            *s = '/';
        }
    mkdir(p, 0777);
}

/* On the emulator the calibration path is chosen here when the spec names none. */
static void sim_spec(const char *spec, const char *sub, char *out, size_t n)
{
    const char *mode = !strcmp(sub, "tx")       ? "tx_coupler"
                       : !strcmp(sub, "verify") ? "pilot"
                                                : "rx_splitter";
    if (strncmp(spec, "sim", 3) || (spec[3] && spec[3] != ':') || strstr(spec, "cal=")) {
        snprintf(out, n, "%s", spec);
        return;
    }
    snprintf(out, n, "%s%scal=%s", spec, spec[3] ? "," : ":", mode);
}

static json_t *chans_json(const struct isac_calib_chan *c, unsigned n)
{
    json_t *a = json_array();
    for (unsigned i = 0; i < n; i++)
        json_array_append_new(a, json_pack("{s:i,s:i,s:i,s:f,s:f,s:f,s:f,s:f,s:f,s:f}", "index",
                                           (json_int_t)c[i].index, "ap", (json_int_t)c[i].ap,
                                           "element", (json_int_t)c[i].element, "phase_deg",
                                           c[i].phase_deg, "gain_db", c[i].gain_db, "delay_samples",
                                           c[i].delay_samples, "phase_std_deg", c[i].phase_std_deg,
                                           "gain_std_db", c[i].gain_std_db, "delay_std",
                                           c[i].delay_std, "snr_db", c[i].snr_db));
    return a;
}

static void print_chans(const char *what, const struct isac_calib_chan *c, unsigned n)
{
    fprintf(stderr, "%s: %u channels (relative to each array's first element)\n", what, n);
    for (unsigned i = 0; i < n; i++)
        fprintf(stderr,
                "  ch %3u ap %u el %2u: phase %8.2f deg  gain %6.2f dB  delay %6.3f samples"
                "  (+-%.2f deg, +-%.3f dB)\n",
                c[i].index, c[i].ap, c[i].element, c[i].phase_deg, c[i].gain_db, c[i].delay_samples,
                c[i].phase_std_deg, c[i].gain_std_db);
}

/* The record to update: --out FILE if it holds a matching record, else a fresh one. */
static int target_record(const struct calib_args *a, const struct isac_radio_info *info,
                         struct isac_calib_record *rec, char *path, size_t plen, int *backup)
{
    char dir[4096], err[512];
    if (a->out)
        snprintf(path, plen, "%s", a->out);
    else {
        calib_dir(dir, sizeof dir);
        mkdirs(dir);
        struct isac_calib_record probe;
        isac_calib_record_init(&probe, info, (double)time(NULL));
        char name[256];
        isac_calib_record_filename(&probe, name, sizeof name);
        if (snprintf(path, plen, "%s/%s", dir, name) >= (int)plen)
            return cli_input_error("calib", "%s: path too long", dir);
    }
    struct stat st;
    if (lstat(path, &st) == 0) {
        int rc = isac_calib_record_load(path, rec, err, sizeof err);
        if (rc == ISAC_OK)
            rc = isac_calib_record_match(rec, info, path, err, sizeof err);
        if (rc == ISAC_OK)
            return 0; /* the same array's record: updated in place */
        /* another array's record, or not a record at all: never replaced silently */
        if (!a->force)
            return cli_input_error("calib",
                                   "--out %s: exists and is not this array's calibration record "
                                   "(%s): refusing to replace it (--force keeps it as %s.bak)",
                                   path, err, path);
        *backup = 1;
    }
    isac_calib_record_init(rec, info, (double)time(NULL));
    return 0;
}

static int save(struct isac_calib_record *rec, const char *path, int backup, json_t *result)
{
    char err[512];
    rec->created_unix = (double)time(NULL);
    if (backup) { /* --force over a file that is not this array's record: keep it */
        char bak[4300];
        snprintf(bak, sizeof bak, "%s.bak", path);
        if (isac_rename_noreplace(path, bak, err, sizeof err))
            return cli_input_error("calib", "--force: cannot keep the old %s: %s", path, err);
        fprintf(stderr, "isactb calib: kept the previous %s as %s\n", path, bak);
    }
    if (isac_calib_record_save(path, rec, err, sizeof err))
        return cli_input_error("calib", "%s", err);
    json_object_set_new(result, "record", json_string(path));
    fprintf(stderr, "isactb calib: wrote %s\n", path);
    return CLI_OK;
}

/* --capture DIR: record the session's captures (calibration segments) as SigMF. */
static isac_sigmf_writer open_capture(const struct calib_args *a,
                                      const struct isac_radio_info *info,
                                      const struct isac_calib_session *s)
{
    char err[512];
    json_t *g = json_pack("{s:o}", "isactb:calib_session",
                          isac_calib_session_to_json(s, a->sub, a->sequential));
    char desc[64];
    snprintf(desc, sizeof desc, "isactb calib %s session", a->sub);
    struct isac_sigmf_writer_desc d = {
        .info = info, .global = g, .description = desc, .author = "isactb"};
    isac_sigmf_writer w =
        g ? isac_sigmf_writer_create(a->capture, "isactb-calib", &d, err, sizeof err) : NULL;
    json_decref(g);
    if (!w)
        cli_input_error("calib", "--capture: %s", g ? err : "out of memory");
    return w;
}

/* Close the session recording: the estimated RX phases become spatial:phase_offset. */
static int close_capture(isac_sigmf_writer w, const char *sub, const struct isac_calib_chan *ch,
                         unsigned num_rx, int ok, json_t *result, const char *dir)
{
    char err[512];
    double ph[ISAC_CALIB_MAX_CH];
    for (unsigned k = 0; ok && !strcmp(sub, "rx") && k < num_rx; k++)
        ph[k] = ch[k].phase_deg;
    if (ok && !strcmp(sub, "rx") && isac_sigmf_writer_set_rx_phase_offset(w, ph)) {
        fprintf(stderr, "isactb calib: --capture: %s\n", isac_sigmf_writer_last_error(w));
        isac_sigmf_writer_abort(w);
        return CLI_ERUNTIME;
    }
    if (!ok) {
        isac_sigmf_writer_abort(w);
        return CLI_OK;
    }
    if (isac_sigmf_writer_finish(w, err, sizeof err))
        return cli_runtime_error("calib", "--capture: %s", err);
    char path[4200];
    snprintf(path, sizeof path, "%s/isactb-calib.sigmf-collection", dir);
    json_object_set_new(result, "capture", json_string(path));
    fprintf(stderr, "isactb calib: recorded the session in %s\n", path);
    return CLI_OK;
}

static int do_measure(const struct calib_args *a, isac_radio r, const struct isac_radio_info *info,
                      const struct isac_calib_session *replayed, json_t *result)
{
    struct isac_calib_session s;
    if (replayed)
        s = *replayed;
    else
        isac_calib_session_default(&s);
    if (a->capture && !(s.capture = open_capture(a, info, &s)))
        return CLI_EINPUT;
    char err[512] = "", path[4200];
    struct isac_calib_record *rec = malloc(sizeof *rec);
    struct isac_calib_chan *ch = calloc(ISAC_CALIB_MAX_CH, sizeof *ch);
    int rc = rec && ch ? 0 : CLI_ERUNTIME, backup = 0;
    s.stop = &calib_stop;
    if (!rc)
        rc = target_record(a, info, rec, path, sizeof path, &backup);
    double now = (double)time(NULL);
    if (!rc && !strcmp(a->sub, "rx")) {
        if ((rc = isac_calib_measure_rx(r, &s, ch, err, sizeof err)) == ISAC_OK) {
            isac_calib_section_set(&rec->rx, "splitter-eigenvector", ch, info->num_rx, now);
            json_object_set_new(result, "channels", chans_json(ch, info->num_rx));
            print_chans("rx", ch, info->num_rx);
        }
    } else if (!rc && !strcmp(a->sub, "tx")) {
        if ((rc = isac_calib_measure_tx(r, &s, a->sequential, ch, err, sizeof err)) == ISAC_OK) {
            isac_calib_section_set(&rec->tx, a->sequential ? "coupler-sequential" : "coupler-comb",
                                   ch, info->num_tx, now);
            json_object_set_new(result, "channels", chans_json(ch, info->num_tx));
            print_chans("tx", ch, info->num_tx);
        }
    } else if (!rc) {
        double d[ISAC_RADIO_MAX_APS], sd[ISAC_RADIO_MAX_APS];
        if ((rc = isac_calib_measure_delay(r, &s, d, sd, err, sizeof err)) == ISAC_OK) {
            json_t *jd = json_array(), *js = json_array();
            for (unsigned n = 0; n < info->num_rx_aps; n++) {
                rec->system_delay[n] = d[n];
                rec->system_delay_std[n] = sd[n];
                json_array_append_new(jd, json_real(d[n]));
                json_array_append_new(js, json_real(sd[n]));
                fprintf(stderr, "delay: TX 0 -> array %u: %.3f samples (+-%.3f)\n", n, d[n], sd[n]);
            }
            rec->has_delay = 1;
            json_object_set_new(result, "system_delay_samples", jd);
            json_object_set_new(result, "accuracy_samples", js);
        }
    }
    if (s.capture) {
        int crc = close_capture(s.capture, a->sub, ch, info->num_rx, rc == 0, result, a->capture);
        rc = rc ? rc : crc;
    }
    if (rc == ISAC_EINTR) {
        /* the session stopped between two captures; close_capture removed the recording's
         * temporaries; the record on disk is untouched */
        fprintf(
            stderr,
            "isactb calib: interrupted by %s during the %s session: nothing kept (%s unchanged)\n",
            calib_stop == SIGTERM ? "SIGTERM" : "SIGINT", a->sub, path);
        rc = 128 + calib_stop;
    } else if (rc == ISAC_EFORMAT && a->input)
        rc = cli_input_error("calib", "%s: %s", a->input, err);
    else if (rc < 0)
        rc = cli_runtime_error("calib", "%s", err);
    else if (!rc) {
        const struct isac_calib_section *sec = !strcmp(a->sub, "rx") ? &rec->rx : &rec->tx;
        if (strcmp(a->sub, "delay"))
            json_object_set_new(result, "accuracy",
                                json_pack("{s:f,s:f,s:f}", "phase_deg", sec->phase_rms_deg,
                                          "gain_db", sec->gain_rms_db, "delay_samples",
                                          sec->delay_rms));
        rc = save(rec, path, backup, result);
    }
    free(rec);
    free(ch);
    return rc;
}

/* The record verify/track compare against: --record FILE or the matching one in the
 * directory. Returns CLI_OK with *have = 0 when there is none. */
static int find_record(const struct calib_args *a, const struct isac_radio_info *info,
                       struct isac_calib_record *rec, int *have, char *path, size_t plen)
{
    char err[512], dir[4096];
    *have = 0;
    if (a->record) {
        int rc = isac_calib_record_load(a->record, rec, err, sizeof err);
        if (rc == ISAC_OK)
            rc = isac_calib_record_match(rec, info, a->record, err, sizeof err);
        if (rc)
            return cli_input_error("calib", "%s", err);
        snprintf(path, plen, "%s", a->record);
        *have = 1;
        return CLI_OK;
    }
    calib_dir(dir, sizeof dir);
    *have = isac_calib_record_find(dir, info, rec, path, plen, NULL, NULL);
    return CLI_OK;
}

static json_t *stats_json(const struct isac_calib_pattern_stats *s)
{
    return json_pack("{s:f,s:f,s:f}", "peak_deg", s->peak_deg, "peak_error_deg", s->peak_err_deg,
                     "pslr_db", s->pslr_db);
}

static json_t *series(const double *v, unsigned n)
{
    json_t *a = json_array();
    for (unsigned i = 0; v && i < n; i++)
        json_array_append_new(a, json_real(v[i]));
    return a;
}

static int do_verify(const struct calib_args *a, isac_radio r, const struct isac_radio_info *info,
                     json_t *result)
{
    double deg = 20;
    if (a->pilot && cli_parse_double("calib", "--pilot-deg", a->pilot, -80, 80, &deg))
        return CLI_EUSAGE;
    struct isac_calib_record *rec = malloc(sizeof *rec);
    struct isac_chan_correction *pc = malloc(sizeof *pc);
    char path[4200] = "", err[512] = "";
    int have = 0,
        rc = rec && pc ? find_record(a, info, rec, &have, path, sizeof path) : CLI_ERUNTIME;
    if (!rc && have && isac_calib_record_to_pipeline(rec, pc, err, sizeof err))
        rc = cli_input_error("calib", "%s: %s", path, err);
    if (!rc && !have)
        fprintf(stderr, "isactb calib: warning: no calibration record matches this radio: "
                        "measuring the uncalibrated pattern only\n");
    isac_array arr = isac_radio_tx_array(info);
    isac_codebook cb = arr ? isac_codebook_create_dft(arr, 64, -M_PI / 2, M_PI / 2) : NULL;
    isac_array_destroy(arr);
    struct isac_calib_verify_result v = {0};
    struct isac_calib_session s;
    isac_calib_session_default(&s);
    if (!rc && (!cb || isac_calib_verify(r, &s, deg * M_PI / 180, have ? pc : NULL, cb, 0, &v, err,
                                         sizeof err)))
        rc = cli_runtime_error("calib", "verify: %s", *err ? err : "cannot build the codebook");
    if (!rc) {
        json_object_set_new(result, "pilot_deg", json_real(deg));
        json_object_set_new(result, "record", have ? json_string(path) : json_null());
        json_object_set_new(result, "half_beamwidth_deg", json_real(v.beamwidth_deg));
        json_object_set_new(result, "theory", stats_json(&v.theory));
        json_object_set_new(result, "uncalibrated", stats_json(&v.raw));
        if (have)
            json_object_set_new(result, "calibrated", stats_json(&v.cal));
        json_object_set_new(result, "pattern",
                            json_pack("{s:o,s:o,s:o,s:o}", "steer_deg", series(v.phi_deg, v.Q),
                                      "theory_db", series(v.theory_db, v.Q), "calibrated_db",
                                      series(have ? v.cal_db : NULL, v.Q), "uncalibrated_db",
                                      series(v.raw_db, v.Q)));
        fprintf(stderr,
                "verify (pilot at %.1f deg): theory peak %.2f deg PSLR %.2f dB; "
                "uncalibrated peak %.2f deg PSLR %.2f dB",
                deg, v.theory.peak_deg, v.theory.pslr_db, v.raw.peak_deg, v.raw.pslr_db);
        if (have)
            fprintf(stderr, "; calibrated peak %.2f deg PSLR %.2f dB", v.cal.peak_deg,
                    v.cal.pslr_db);
        fputc('\n', stderr);
        const char *fig = a->figure ? a->figure : "calib-verify.svg";
        if (isac_calib_pattern_figure(fig, "TX beam pattern against the pilot", v.phi_deg,
                                      v.theory_db, have ? v.cal_db : NULL, v.raw_db, v.Q, err,
                                      sizeof err))
            rc = cli_runtime_error("calib", "figure: %s", err); /* reported, not exit 0 */
        else
            json_object_set_new(result, "figure", json_string(fig));
    }
    isac_calib_verify_free(&v);
    isac_codebook_destroy(cb);
    free(rec);
    free(pc);
    return rc;
}

static int do_track(const struct calib_args *a, isac_radio r, const struct isac_radio_info *info,
                    json_t *result)
{
    double tol_deg = 2.0, tol_db = 0.2, hz = 0;
    if ((a->tol_deg && cli_parse_double("calib", "--tol-deg", a->tol_deg, 0, 180, &tol_deg)) ||
        (a->tol_db && cli_parse_double("calib", "--tol-db", a->tol_db, 0, 60, &tol_db)) ||
        (a->retune && cli_parse_double("calib", "--retune", a->retune, 1, 1e12, &hz)))
        return CLI_EUSAGE;
    struct isac_calib_record *rec = malloc(sizeof *rec);
    struct isac_calib_chan *ch = calloc(ISAC_CALIB_MAX_CH, sizeof *ch);
    char path[4200] = "", err[512] = "";
    int have = 0,
        rc = rec && ch ? find_record(a, info, rec, &have, path, sizeof path) : CLI_ERUNTIME;
    if (!rc && (!have || !rec->rx.present))
        rc = cli_input_error("calib",
                             "track: no calibration record with an rx section matches this radio");
    int invalid = 0;
    if (!rc && a->retune) {
        if (isac_radio_set_center_freq(r, hz))
            rc = cli_runtime_error("calib", "--retune %g: %s", hz, isac_radio_last_error(r));
        /* the record is keyed by frequency: a retune away and back is the track case */
        else if (isac_radio_set_center_freq(r, info->center_freq))
            rc = cli_runtime_error("calib", "retune back: %s", isac_radio_last_error(r));
        invalid = isac_calib_record_invalidated_by_retune(rec, info->caps);
    }
    struct isac_calib_session s;
    isac_calib_session_default(&s);
    s.ref.periods = 2; /* the quick re-measure: 2048-sample captures */
    if (!rc && isac_calib_measure_rx(r, &s, ch, err, sizeof err))
        rc = cli_runtime_error("calib", "track: %s", err);
    if (!rc) {
        struct isac_calib_drift d;
        isac_calib_compare(rec->rx.ch, ch, info->num_rx, tol_deg, tol_db, &d);
        json_object_set_new(result, "record", json_string(path));
        json_object_set_new(result, "ok", json_boolean(d.ok && !invalid));
        json_object_set_new(result, "invalidated_by_retune", json_boolean(invalid));
        json_object_set_new(result, "drift",
                            json_pack("{s:f,s:f,s:i,s:i,s:i,s:f,s:f}", "max_phase_deg",
                                      d.max_phase_deg, "max_gain_db", d.max_gain_db,
                                      "worst_phase_channel", (json_int_t)d.worst_phase_ch,
                                      "worst_gain_channel", (json_int_t)d.worst_gain_ch,
                                      "flagged_channels", (json_int_t)d.flagged, "tol_deg", tol_deg,
                                      "tol_db", tol_db));
        fprintf(stderr,
                "track: max drift %.2f deg (ch %u), %.3f dB (ch %u): %u channels beyond "
                "%.2f deg / %.2f dB%s\n",
                d.max_phase_deg, d.worst_phase_ch, d.max_gain_db, d.worst_gain_ch, d.flagged,
                tol_deg, tol_db, d.ok ? "" : ": DRIFT, re-run isactb calib rx");
        if (invalid)
            fprintf(stderr,
                    "isactb calib: warning: %s: invalidated by the retune (LOs not shared): "
                    "re-run isactb calib rx\n",
                    path);
    }
    free(rec);
    free(ch);
    return rc;
}

/* --input CAPTURE: the recorded session's parameters and the recording radio (the record
 * is keyed by the device that measured, not by the `file` back end). */
static int replay_session(struct calib_args *a, struct isac_calib_session *s,
                          struct isac_radio_info *info)
{
    char err[600];
    isac_sigmf_reader rd = isac_sigmf_reader_open(a->input, err, sizeof err);
    if (!rd)
        return cli_input_error("calib", "%s", err);
    int seq = 0;
    int rc = isac_calib_session_from_json(
        json_object_get(isac_sigmf_reader_global(rd), "isactb:calib_session"), a->sub, s, &seq, err,
        sizeof err);
    isac_sigmf_reader_radio_info(rd, info);
    isac_sigmf_reader_close(rd);
    if (rc)
        return cli_input_error("calib", "%s: %s", a->input, err);
    if (a->sequential && !seq)
        return cli_input_error("calib",
                               "%s: isactb:calib_session.method 'coupler-comb': the "
                               "session was not recorded with --sequential",
                               a->input);
    a->sequential = seq;
    return CLI_OK;
}

/* --serve: a calibration session is not a loop of CPIs; the view shows its state when it
 * starts and its result (channels, accuracy, drift, the verify pattern) when it ends. */
struct calib_frame {
    const struct calib_args *a;
    isac_radio r;
    const char *state;
    const json_t *result;
};

static void fill_calib_frame(void *ctx, struct view_frame *f)
{
    const struct calib_frame *x = ctx;
    struct isac_radio_counters c = {0};
    isac_radio_get_counters(x->r, &c);
    json_t *cal = json_pack("{s:s,s:s}", "session", x->a->sub, "state", x->state);
    if (x->result)
        json_object_set_new(cal, "result", json_deep_copy(x->result));
    f->meta = json_pack(
        "{s:s,s:s,s:o,s:{s:I,s:I,s:I,s:I,s:I},s:n,s:n}", "kind", "calib", "state", x->state,
        "calibration", cal, "radio", "overflows", (json_int_t)c.overflows, "underflows",
        (json_int_t)c.underflows, "late_commands", (json_int_t)c.late_commands, "dropped_samples",
        (json_int_t)c.dropped_samples, "timeouts", (json_int_t)c.timeouts, "tracks", "users");
}

static void calib_view_publish(live_view v, const struct calib_args *a, isac_radio r,
                               const char *state, const json_t *result)
{
    struct calib_frame x = {a, r, state, result};
    if (v)
        live_view_publish_now(v, fill_calib_frame, &x);
}

int cmd_calib(int argc, char **argv)
{
    struct calib_args a = {0};
    if (calib_table(argc, argv) == &calib_any && argc >= 2 &&
        (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
        cli_help(stdout, &cli_cmd_calib); /* the sessions, each with its own --help */
        return CLI_OK;
    }
    int rc = parse(argc, argv, &a);
    if (rc)
        return rc < 0 ? CLI_OK : rc;
    char spec[4200];
    struct isac_calib_session replayed;
    struct isac_radio_info info;
    if (a.input) {
        if ((rc = replay_session(&a, &replayed, &info)))
            return rc;
        snprintf(spec, sizeof spec, "file:%s", a.input);
    } else {
        sim_spec(a.radio ? a.radio : "sim", a.sub, spec, sizeof spec);
    }
    isac_radio r = NULL;
    if ((rc = cli_radio_open("calib", spec, a.radio != NULL, &r)))
        return rc;
    calib_stop = 0;
    signal(SIGINT, calib_on_signal);
    signal(SIGTERM, calib_on_signal);
    if (!a.input)
        isac_radio_get_info(r, &info);
    json_t *result = json_pack("{s:s,s:s}", "command", a.sub, "radio", spec);
    live_view view = NULL;
    if (a.serve && (rc = cli_serve_start("calib", a.serve, "calib", &view))) {
        json_decref(result);
        isac_radio_close(r);
        return rc;
    }
    calib_view_publish(view, &a, r, "measuring", NULL);
    if (!strcmp(a.sub, "verify"))
        rc = do_verify(&a, r, &info, result);
    else if (!strcmp(a.sub, "track"))
        rc = do_track(&a, r, &info, result);
    else
        rc = do_measure(&a, r, &info, a.input ? &replayed : NULL, result);
    if (!rc && a.json) {
        json_dumpf(result, stdout, JSON_COMPACT | JSON_REAL_PRECISION(8));
        putchar('\n');
    }
    calib_view_publish(view, &a, r, rc ? "failed" : "finished", rc ? NULL : result);
    fflush(stdout);
    cli_serve_linger("calib", view, a.linger, NULL, NULL);
    live_view_destroy(view);
    json_decref(result);
    isac_radio_close(r);
    return rc;
}
