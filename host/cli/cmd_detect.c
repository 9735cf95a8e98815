/* isactb detect CAPTURE [--pfa P]: the GLRT/CFAR position-grid detector over every CPI
 * of a recording, at the recorded or another false-alarm probability. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "common/err.h"
#include "common/samples.h"
#include "engine/pipeline.h"

static const struct cli_opt DETECT_OPTS[] = {
    {"pfa", 'p', "P",
     "false-alarm probability per grid, 1e-12..0.5 (default: the recorded experiment's)"},
    CLI_OPT_JSON('j'),
    CLI_OPT_THREADS('T'),
    {0}};
const struct cli_cmd cli_cmd_detect = {
    "detect",
    "CAPTURE",
    "the GLRT/CFAR position-grid detector over every CPI of a recording",
    DETECT_OPTS,
    NULL,
    "Without --json: one line per CPI on stdout. CAPTURE: a capture directory,\n"
    ".sigmf-collection or .sigmf-meta (docs/capture-format.md)."};

static json_t *cpi_row(size_t k, const struct isac_sigmf_cpi_info *ci,
                       const struct isac_pipeline_result *r, const json_t *ann)
{
    json_t *live = json_object_get(ann, "isactb:detection");
    return json_pack(
        "{s:i,s:I,s:O,s:b,s:f,s:f,s:i,s:f,s:f,s:f,s:I,s:O}", "cpi", (json_int_t)k, "tick",
        (json_int_t)ci->tick, "beam",
        json_object_get(ann, "isactb:beam") ? json_object_get(ann, "isactb:beam") : json_null(),
        "detected", r->detected, "lambda", r->lambda, "threshold", r->threshold, "num_aps",
        (json_int_t)r->num_aps, "x", r->x, "y", r->y, "pd", r->pd, "dropped_samples",
        (json_int_t)ci->dropped_samples, "live", live ? live : json_null());
}

/* A CPI the detector cannot process: a warning line naming it, a row saying why, counted;
 * the first one's words are kept for the final error line. */
static void unprocessed(isac_sigmf_reader rd, size_t k, const char *why, json_t *rows,
                        size_t *count, char *first, size_t flen)
{
    char line[600];
    isac_seterr(line, sizeof line, "%s: CPI %zu: %s", isac_sigmf_reader_path(rd), k, why);
    fprintf(stderr, "isactb detect: warning: %s\n", line);
    json_array_append_new(
        rows, json_pack("{s:I,s:b,s:s}", "cpi", (json_int_t)k, "detected", 0, "unprocessed", why));
    if (!(*count)++)
        snprintf(first, flen, "%s", line);
}

static int detect_all(isac_sigmf_reader rd, isac_pipeline p, isac_codebook cb, json_t *rows,
                      size_t *nbad, char *err, size_t errlen)
{
    size_t n = isac_sigmf_reader_num_cpis(rd);
    char first[600] = "", why[256];
    *nbad = 0;
    for (size_t k = 0; k < n; k++) {
        struct isac_sigmf_cpi_info ci;
        struct isac_pipeline_result res;
        const json_t *ann = isac_sigmf_reader_cpi_annotation(rd, k);
        json_int_t beam = json_integer_value(json_object_get(ann, "isactb:beam"));
        if (isac_sigmf_reader_cpi_info(rd, k, &ci) || ci.len != isac_pipeline_window_length(p)) {
            snprintf(err, errlen, "%s: CPI %zu: window of %zu samples, the experiment needs %zu",
                     isac_sigmf_reader_path(rd), k, ci.len, isac_pipeline_window_length(p));
            return ISAC_EFORMAT;
        }
        if (beam < 0 || beam >= (json_int_t)isac_codebook_size(cb)) {
            snprintf(err, errlen, "%s: CPI %zu: isactb:beam %lld outside the codebook",
                     isac_sigmf_reader_path(rd), k, (long long)beam);
            return ISAC_EFORMAT;
        }
        if (isac_sigmf_reader_read_cpi(rd, k, isac_pipeline_rx(p), ci.len, NULL)) {
            snprintf(err, errlen, "%s", isac_sigmf_reader_last_error(rd));
            return ISAC_EIO;
        }
        struct isac_radio_info in;
        isac_sigmf_reader_radio_info(rd, &in);
        if (isac_samples_check((const float complex *const *)isac_pipeline_rx(p), in.num_rx, ci.len,
                               why, sizeof why)) {
            unprocessed(rd, k, why, rows, nbad, first, sizeof first);
            continue;
        }
        /* A confirmation dwell is re-run as one: near the position it recorded. */
        json_t *fj = json_object_get(ann, "isactb:focus");
        struct isac_pipeline_focus focus;
        if (fj && json_unpack(fj, "{s:F,s:F,s:F}", "x", &focus.x, "y", &focus.y, "radius_m",
                              &focus.radius_m)) {
            snprintf(err, errlen, "%s: CPI %zu: isactb:focus: expected {x, y, radius_m}",
                     isac_sigmf_reader_path(rd), k);
            return ISAC_EFORMAT;
        }
        int prc = isac_pipeline_process(p, (const float complex *const *)isac_pipeline_rx(p),
                                        fj ? &focus : NULL, &res);
        const char *pwhy = isac_pipeline_last_error(p);
        if (prc) {
            snprintf(why, sizeof why, "the detector cannot process the window: %s",
                     pwhy && pwhy[0] ? pwhy : isac_strerror(prc));
            unprocessed(rd, k, why, rows, nbad, first, sizeof first);
            continue;
        }
        res.beam = (int)beam;
        json_t *row = cpi_row(k, &ci, &res, ann);
        if (!row) { /* a statistic JSON cannot hold: NaN or Inf */
            unprocessed(rd, k, "the detector's statistic is not finite", rows, nbad, first,
                        sizeof first);
            continue;
        }
        json_array_append_new(rows, row);
    }
    if (*nbad) {
        isac_seterr(err, errlen, "%zu of %zu CPIs could not be processed (first: %s)", *nbad, n,
                    first);
        return ISAC_EFORMAT;
    }
    return ISAC_OK;
}

static int parse(int argc, char **argv, const char **path, double *pfa, int *json,
                 unsigned *threads)
{
    struct cli_parser p;
    cli_parser_init(&p, &cli_cmd_detect, argc, argv);
    for (int c; (c = cli_next(&p)) != CLI_END;) {
        switch (c) {
        case 'j': *json = 1; break;
        case 'p':
            if (cli_parse_double("detect", "--pfa", p.arg, 1e-12, 0.5, pfa))
                return CLI_EUSAGE;
            break;
        case 'T':
            if (cli_parse_threads("detect", p.arg, threads))
                return CLI_EUSAGE;
            break;
        case CLI_HELP: return -1;
        default: return CLI_EUSAGE;
        }
    }
    if (p.next < argc)
        *path = argv[p.next];
    if (p.next + 1 < argc)
        return cli_usage("detect", "unexpected argument '%s'", argv[p.next + 1]);
    if (!*path)
        return cli_usage("detect", "missing CAPTURE");
    return 0;
}

int cmd_detect(int argc, char **argv)
{
    const char *path = NULL;
    double pfa = -1;
    unsigned threads = 0;
    int json = 0, rc = parse(argc, argv, &path, &pfa, &json, &threads);
    if (rc)
        return rc < 0 ? CLI_OK : rc;
    isac_sigmf_reader rd;
    struct isac_exp_config cfg;
    isac_codebook cb;
    if ((rc = cli_capture_open("detect", path, &rd, &cfg, &cb)))
        return rc;
    if (pfa < 0)
        pfa = cfg.pfa;
    struct isac_radio_info info;
    isac_sigmf_reader_radio_info(rd, &info);
    char err[512] = "";
    json_t *rows = json_array();
    size_t nbad = 0;
    isac_pipeline p = isac_pipeline_create(&cfg, &info, cb, pfa, err, sizeof err);
    if (p && isac_pipeline_set_threads(p, threads) != ISAC_OK) {
        rc = cli_runtime_error("detect", "cannot start %u threads", threads);
        goto done;
    }
    int drc = p ? detect_all(rd, p, cb, rows, &nbad, err, sizeof err) : ISAC_EINVAL;
    if (drc && !nbad) {
        rc = cli_input_error("detect", "%s", err);
        goto done;
    }
    size_t ndet = 0;
    for (size_t k = 0; k < json_array_size(rows); k++)
        ndet += json_is_true(json_object_get(json_array_get(rows, k), "detected"));
    if (json) {
        json_t *o = json_pack("{s:s,s:f,s:i,s:i,s:i,s:O}", "capture", isac_sigmf_reader_path(rd),
                              "pfa", pfa, "cpis", (json_int_t)json_array_size(rows), "detections",
                              (json_int_t)ndet, "unprocessed", (json_int_t)nbad, "rows", rows);
        json_dumpf(o, stdout, JSON_COMPACT);
        putchar('\n');
        json_decref(o);
    } else {
        printf("%5s %12s %5s %4s %10s %8s %4s %8s %8s %6s\n", "cpi", "tick", "beam", "det",
               "lambda", "thr", "APs", "x_m", "y_m", "P_D");
        for (size_t k = 0; k < json_array_size(rows); k++) {
            json_t *r = json_array_get(rows, k);
            const char *un = json_string_value(json_object_get(r, "unprocessed"));
            if (un) {
                printf("%5zu unprocessed: %s\n", k, un);
                continue;
            }
            printf("%5zu %12lld %5lld %4s %10.2f %8.2f %4lld %8.1f %8.1f %6.3f\n", k,
                   (long long)json_integer_value(json_object_get(r, "tick")),
                   (long long)json_integer_value(json_object_get(r, "beam")),
                   json_is_true(json_object_get(r, "detected")) ? "yes" : "no",
                   json_real_value(json_object_get(r, "lambda")),
                   json_real_value(json_object_get(r, "threshold")),
                   (long long)json_integer_value(json_object_get(r, "num_aps")),
                   json_real_value(json_object_get(r, "x")),
                   json_real_value(json_object_get(r, "y")),
                   json_real_value(json_object_get(r, "pd")));
        }
        printf("%zu CPIs, %zu detections at P_FA %g, %zu unprocessed\n", json_array_size(rows),
               ndet, pfa, nbad);
    }
    if (nbad) /* after the rows: every CPI is accounted for, then the one-line refusal */
        rc = cli_input_error("detect", "%s", err);
done:
    json_decref(rows);
    isac_pipeline_destroy(p);
    isac_codebook_destroy(cb);
    isac_sigmf_reader_close(rd);
    return rc;
}
