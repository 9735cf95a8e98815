/* Calibration records for `run` and `replay` (docs/calibration.md, "Applying records"):
 * find, check and convert the record that matches the radio, warn when there is none or
 * it is stale, and describe what was applied for the result and the capture. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "cli/cli.h"
#include "common/err.h"

static void dir_default(char *out, size_t n)
{
    const char *e = getenv("ISACTB_CALIB_DIR"), *x = getenv("XDG_DATA_HOME"), *h = getenv("HOME");
    if (e && *e)
        snprintf(out, n, "%s", e);
    else if (x && *x)
        snprintf(out, n, "%s/isactb/calib", x);
    else
        snprintf(out, n, "%s/.local/share/isactb/calib", h ? h : ".");
}

struct warn_ctx {
    const char *cmd;
};
static void warn_line(void *ctx, const char *line)
{
    fprintf(stderr, "isactb %s: warning: skipping %s\n", ((struct warn_ctx *)ctx)->cmd, line);
}

static int apply(const char *cmd, struct cli_calibration *c, const struct isac_radio_info *info)
{
    char err[512];
    c->pc = malloc(sizeof *c->pc);
    if (!c->pc)
        return cli_runtime_error(cmd, "out of memory");
    if (isac_calib_record_to_pipeline(c->rec, c->pc, err, sizeof err))
        return cli_input_error(cmd, "%s: %s", c->path, err);
    (void)info;
    c->applied = 1;
    c->stale = isac_calib_record_stale(c->rec, (double)time(NULL));
    if (c->stale)
        fprintf(stderr,
                "isactb %s: warning: %s is stale (measured %.1f h ago, limit %.1f h): "
                "re-run isactb calib\n",
                cmd, c->path, ((double)time(NULL) - c->rec->created_unix) / 3600,
                c->rec->max_age_s / 3600);
    fprintf(stderr, "isactb %s: applying calibration %s (%s%s%s)\n", cmd, c->path,
            c->rec->rx.present ? "rx " : "", c->rec->tx.present ? "tx " : "",
            c->rec->has_delay ? "delay" : "");
    return CLI_OK;
}

int cli_calibration_resolve(const char *cmd, struct cli_calibration *c, const char *given,
                            int disabled, const struct isac_radio_info *info)
{
    char err[512], dir[2048];
    struct stat st;
    memset(c, 0, sizeof *c);
    if (disabled)
        return CLI_OK;
    if (!(c->rec = malloc(sizeof *c->rec)))
        return cli_runtime_error(cmd, "out of memory");
    if (given && stat(given, &st) == 0 && !S_ISDIR(st.st_mode)) {
        snprintf(c->path, sizeof c->path, "%s", given);
        int rc = isac_calib_record_load(given, c->rec, err, sizeof err);
        if (rc == ISAC_OK)
            rc = isac_calib_record_match(c->rec, info, given, err, sizeof err);
        return rc ? cli_input_error(cmd, "%s", err) : apply(cmd, c, info);
    }
    if (given && stat(given, &st) != 0)
        return cli_input_error(cmd, "--calibration %s: no such file or directory", given);
    if (given)
        snprintf(dir, sizeof dir, "%s", given);
    else
        dir_default(dir, sizeof dir);
    if (info->caps & ISAC_RADIO_CAP_IDEAL)
        return CLI_OK; /* a record measured on impairments=1 would only spoil it */
    struct warn_ctx w = {cmd};
    if (isac_calib_record_find(dir, info, c->rec, c->path, sizeof c->path, warn_line, &w))
        return apply(cmd, c, info);
    fprintf(stderr,
            "isactb %s: warning: no calibration record in %s matches %s %s at %.6g MHz: "
            "running uncalibrated (isactb calib rx|tx|delay)\n",
            cmd, dir, info->driver, info->serial, info->center_freq / 1e6);
    return CLI_OK;
}

int cli_calibration_from_capture(const char *cmd, struct cli_calibration *c, const json_t *obj,
                                 const char *src)
{
    char err[512];
    memset(c, 0, sizeof *c);
    const json_t *rec = json_object_get(obj, "record");
    if (!(c->rec = malloc(sizeof *c->rec)))
        return cli_runtime_error(cmd, "out of memory");
    snprintf(c->path, sizeof c->path, "%s: isactb:calibration.record", src);
    if (isac_calib_record_from_json(rec, c->path, c->rec, err, sizeof err))
        return cli_input_error(cmd, "%s", err);
    const json_t *f = json_object_get(obj, "file");
    if (json_is_string(f))
        snprintf(c->path, sizeof c->path, "%s", json_string_value(f));
    c->pc = malloc(sizeof *c->pc);
    if (!c->pc)
        return cli_runtime_error(cmd, "out of memory");
    if (isac_calib_record_to_pipeline(c->rec, c->pc, err, sizeof err))
        return cli_input_error(cmd, "%s: isactb:calibration: %s", src, err);
    c->applied = 1;
    return CLI_OK;
}

json_t *cli_calibration_json(const struct cli_calibration *c)
{
    return json_pack("{s:s,s:o}", "file", c->path, "record", isac_calib_record_to_json(c->rec));
}

json_t *cli_calibration_summary(const struct cli_calibration *c)
{
    if (!c->applied)
        return json_pack("{s:b,s:n}", "applied", 0, "record");
    return json_pack("{s:b,s:s,s:b,s:b,s:b,s:b}", "applied", 1, "record", c->path, "stale",
                     c->stale, "rx", c->rec->rx.present, "tx", c->rec->tx.present, "delay",
                     c->rec->has_delay);
}

void cli_calibration_free(struct cli_calibration *c)
{
    free(c->rec);
    free(c->pc);
    memset(c, 0, sizeof *c);
}
