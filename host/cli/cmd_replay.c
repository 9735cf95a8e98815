/* isactb replay CAPTURE: the closed loop of `run`, fed by a recording (file back end). */
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "common/err.h"
#include "exp/report.h"
#include "exp/run.h"

static const char *const REPLAY_USAGE = "usage: isactb replay CAPTURE [--out DIR] [--json] [--quiet]\n";

static void print_line(void *ctx, const char *line)
{
    if (!*(const int *)ctx)
        fprintf(stderr, "%s\n", line);
}

int cmd_replay(int argc, char **argv)
{
    const char *path = NULL, *out = NULL;
    int json = 0, quiet = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--json"))
            json = 1;
        else if (!strcmp(argv[i], "--quiet"))
            quiet = 1;
        else if (!strcmp(argv[i], "--help")) {
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
        return cli_usage("replay", "missing CAPTURE (a capture directory, .sigmf-collection or .sigmf-meta)");
    if (out && !cli_dir_exists(out))
        return cli_usage("replay", "--out %s: not a directory", out);

    sigmf_reader rd;
    struct exp_config cfg;
    codebook cb;
    int rc = cli_capture_open("replay", path, &rd, &cfg, &cb);
    if (rc)
        return rc;
    char spec[1100], err[512] = "";
    snprintf(spec, sizeof spec, "file:%s", sigmf_reader_path(rd));
    sigmf_reader_close(rd);
    radio r = NULL;
    json_t *result = NULL;
    if ((rc = cli_radio_open("replay", spec, 0, &r)))
        goto done;
    struct run_hooks hooks = {print_line, &quiet, NULL, NULL};
    int erc = exp_run(&cfg, r, cb, NULL, &hooks, &result, err, sizeof err);
    if (erc) {
        fprintf(stderr, "isactb replay: %s\n", err);
        rc = erc == ISAC_EINVAL ? CLI_EINPUT : CLI_ERUNTIME;
    }
    if (result) {
        json_object_set_new(result, "recorded_radio", json_string(cfg.radio));
        json_object_set_new(result, "radio", json_string(spec));
        if (out && report_write_figures(result, NULL, out, err, sizeof err))
            fprintf(stderr, "isactb replay: figures: %s\n", err);
        if (json) {
            json_dumpf(result, stdout, JSON_COMPACT);
            putchar('\n');
        }
    }
done:
    json_decref(result);
    radio_close(r);
    codebook_destroy(cb);
    return rc;
}
