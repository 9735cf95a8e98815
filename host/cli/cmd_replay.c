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

int cmd_replay(int argc, char **argv)
{
    const char *path = NULL, *out = NULL, *calib = NULL;
    int json = 0, quiet = 0, no_calib = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--json"))
            json = 1;
        else if (!strcmp(argv[i], "--quiet"))
            quiet = 1;
        else if (!strcmp(argv[i], "--no-calibration"))
            no_calib = 1;
        else if (!strcmp(argv[i], "--calibration")) {
            if (++i >= argc)
                return cli_usage("replay", "option '--calibration' needs a value");
            calib = argv[i];
        } else if (!strcmp(argv[i], "--help")) {
            fputs(REPLAY_USAGE, stdout);
            return CLI_OK;
        } else if (!strcmp(argv[i], "--out")) {
            if (++i >= argc)
                return cli_usage("replay", "option '--out' needs a value");
            out = argv[i];
        } else if (argv[i][0] == '-')
            return cli_usage("replay", "unknown option '%s'", argv[i]);
        else if (path)
            return cli_usage("replay", "unexpected argument '%s'", argv[i]);
        else
            path = argv[i];
    }
    if (!path)
        return cli_usage("replay",
                         "missing CAPTURE (a capture directory, .sigmf-collection or .sigmf-meta)");
    if (out && !cli_dir_exists(out))
        return cli_usage("replay", "--out %s: not a directory", out);

    sigmf_reader rd;
    struct exp_config cfg;
    codebook cb;
    int rc = cli_capture_open("replay", path, &rd, &cfg, &cb);
    if (rc)
        return rc;
    if ((rc = check_inputs(rd))) {
        sigmf_reader_close(rd);
        codebook_destroy(cb);
        return rc;
    }
    char spec[1100], err[512] = "";
    snprintf(spec, sizeof spec, "file:%s", sigmf_reader_path(rd));
    struct cli_calibration cal = {0};
    rc = replay_calibration(rd, calib, no_calib, &cal);
    sigmf_reader_close(rd);
    radio r = NULL;
    json_t *result = NULL;
    if (rc || (rc = cli_radio_open("replay", spec, 0, &r)))
        goto done;
    struct replay_ctx rctx = {quiet, r};
    struct run_hooks hooks = {print_line, &rctx, NULL, NULL, cal.applied ? cal.pc : NULL, recorded};
    int erc = exp_run(&cfg, r, cb, NULL, &hooks, &result, err, sizeof err);
    if (erc) {
        fprintf(stderr, "isactb replay: %s\n", err);
        rc = (erc == ISAC_EINVAL || erc == ISAC_EFORMAT) ? CLI_EINPUT : CLI_ERUNTIME;
    }
    if (result) {
        json_object_set_new(result, "recorded_radio", json_string(cfg.radio));
        json_object_set_new(result, "radio", json_string(spec));
        json_object_set_new(result, "calibration", cli_calibration_summary(&cal));
        if (out && report_write_figures(result, NULL, out, err, sizeof err))
            fprintf(stderr, "isactb replay: figures: %s\n", err);
        if (json) {
            json_dumpf(result, stdout, JSON_COMPACT);
            putchar('\n');
        }
    }
done:
    cli_calibration_free(&cal);
    json_decref(result);
    radio_close(r);
    codebook_destroy(cb);
    return rc;
}
