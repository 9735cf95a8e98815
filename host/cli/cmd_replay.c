/* isactb replay CAPTURE: the closed loop of `run`, fed by a recording (file back end). */
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "common/err.h"
#include "engine/report.h"
#include "engine/run.h"
#include "inputs.h"
#include "radio_file.h"

static const char *const REPLAY_USAGE =
    "usage: isactb replay CAPTURE [--out DIR] [--json] [--quiet]\n"
    "                     [--calibration FILE|DIR | --no-calibration]\n";

/* The capture's own calibration (what the live run applied) wins: the replay then makes
 * the live decisions again. A capture recorded uncalibrated replays uncalibrated, unless
 * --calibration names a record (then with a warning that decisions may differ). */
static int replay_calibration(sigmf_reader rd, const char *given, int disabled,
                              struct cli_calibration *cal)
{
    const json_t *g = sigmf_reader_global(rd);
    const json_t *own = json_object_get(g, "isactb:calibration");
    if (disabled)
        return CLI_OK;
    if (own && !given) {
        int rc = cli_calibration_from_capture("replay", cal, own, sigmf_reader_path(rd));
        if (rc == CLI_OK)
            fprintf(stderr, "isactb replay: applying the capture's calibration (%s)\n", cal->path);
        return rc;
    }
    if (!own && !given)
        return CLI_OK;
    struct radio_info info;
    sigmf_reader_radio_info(rd, &info);
    int rc = cli_calibration_resolve("replay", cal, given, 0, &info);
    if (rc == CLI_OK && cal->applied && !own)
        fprintf(stderr, "isactb replay: warning: the capture was recorded uncalibrated: "
                        "decisions may differ from the live run\n");
    return rc;
}

struct replay_ctx {
    int quiet;
    radio r;
};

static void print_line(void *ctx, const char *line)
{
    if (!((const struct replay_ctx *)ctx)->quiet)
        fprintf(stderr, "%s\n", line);
}

static const json_t *recorded(void *ctx)
{
    return radio_file_current_annotation(((const struct replay_ctx *)ctx)->r);
}

/* Before anything runs: every input the recorded decisions depend on must be the one
 * recorded (capture/inputs.h); otherwise one line naming it and both hashes. */
static int check_inputs(sigmf_reader rd)
{
    char err[700];
    const json_t *g = sigmf_reader_global(rd);
    if (cap_inputs_verify(json_object_get(g, "isactb:inputs"), g, err, sizeof err))
        return cli_input_error("replay", "%s", err);
    return CLI_OK;
}

struct replay_args {
    const char *path, *out, *calib;
    int json, quiet, no_calib;
};

/* CLI_OK, a CLI_E* status, or -1 after --help (exit 0, nothing to run). */
static int parse_args(int argc, char **argv, struct replay_args *a)
{
    *a = (struct replay_args){0};
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--json"))
            a->json = 1;
        else if (!strcmp(argv[i], "--quiet"))
            a->quiet = 1;
        else if (!strcmp(argv[i], "--no-calibration"))
            a->no_calib = 1;
        else if (!strcmp(argv[i], "--calibration")) {
            if (++i >= argc)
                return cli_usage("replay", "option '--calibration' needs a value");
            a->calib = argv[i];
        } else if (!strcmp(argv[i], "--help")) {
            fputs(REPLAY_USAGE, stdout);
            return -1;
        } else if (!strcmp(argv[i], "--out")) {
            if (++i >= argc)
                return cli_usage("replay", "option '--out' needs a value");
            a->out = argv[i];
        } else if (argv[i][0] == '-')
            return cli_usage("replay", "unknown option '%s'", argv[i]);
        else if (a->path)
            return cli_usage("replay", "unexpected argument '%s'", argv[i]);
        else
            a->path = argv[i];
    }
    if (!a->path)
        return cli_usage("replay",
                         "missing CAPTURE (a capture directory, .sigmf-collection or .sigmf-meta)");
    if (a->out && !cli_dir_exists(a->out))
        return cli_usage("replay", "--out %s: not a directory", a->out);
    return CLI_OK;
}

static void report(const struct replay_args *a, json_t *result, const struct exp_config *cfg,
                   const char *spec, const struct cli_calibration *cal)
{
    char err[512] = "";
    json_object_set_new(result, "recorded_radio", json_string(cfg->radio));
    json_object_set_new(result, "radio", json_string(spec));
    json_object_set_new(result, "calibration", cli_calibration_summary(cal));
    if (a->out && report_write_figures(result, NULL, a->out, err, sizeof err))
        fprintf(stderr, "isactb replay: figures: %s\n", err);
    if (a->json) {
        json_dumpf(result, stdout, JSON_COMPACT);
        putchar('\n');
    }
}

int cmd_replay(int argc, char **argv)
{
    struct replay_args a;
    int rc = parse_args(argc, argv, &a);
    if (rc)
        return rc < 0 ? CLI_OK : rc;
    sigmf_reader rd;
    struct exp_config cfg;
    codebook cb;
    if ((rc = cli_capture_open("replay", a.path, &rd, &cfg, &cb)))
        return rc;
    if ((rc = check_inputs(rd))) {
        sigmf_reader_close(rd);
        codebook_destroy(cb);
        return rc;
    }
    char spec[1100], err[512] = "";
    snprintf(spec, sizeof spec, "file:%s", sigmf_reader_path(rd));
    struct cli_calibration cal = {0};
    rc = replay_calibration(rd, a.calib, a.no_calib, &cal);
    sigmf_reader_close(rd);
    radio r = NULL;
    json_t *result = NULL;
    if (rc || (rc = cli_radio_open("replay", spec, 0, &r)))
        goto done;
    struct replay_ctx rctx = {a.quiet, r};
    struct run_hooks hooks = {print_line, &rctx, NULL, NULL, cal.applied ? cal.pc : NULL,
                              recorded,   NULL,  NULL};
    int erc = exp_run(&cfg, r, cb, NULL, &hooks, &result, err, sizeof err);
    if (erc) {
        fprintf(stderr, "isactb replay: %s\n", err);
        rc = (erc == ISAC_EINVAL || erc == ISAC_EFORMAT) ? CLI_EINPUT : CLI_ERUNTIME;
    }
    if (result)
        report(&a, result, &cfg, spec, &cal);
done:
    cli_calibration_free(&cal);
    json_decref(result);
    radio_close(r);
    codebook_destroy(cb);
    return rc;
}
