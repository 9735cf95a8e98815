/* isactb replay CAPTURE: the closed loop of `run`, fed by a recording (file back end). */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/cmd_highway.h"
#include "engine/highway.h"
#include "cli/cli_serve.h"
#include "common/err.h"
#include "engine/report.h"
#include "engine/run.h"
#include "inputs.h"
#include "radio_file.h"
#include "serve/run_view.h"

static const struct cli_opt REPLAY_OPTS[] = {
    {"out", 'o', "DIR", "write the figures (timeline, .png and .svg) into DIR (default: none)"},
    CLI_OPT_JSON('j'),
    CLI_OPT_QUIET('q'),
    {"verbose", 'v', NULL, "one progress line per CPI instead of one per episode"},
    {"calibration", 'C', "FILE|DIR",
     "calibration record for an uncalibrated capture (default: the capture's own record)"},
    {"no-calibration", 'N', NULL, "apply no calibration record"},
    CLI_OPT_THREADS('T'),
    CLI_OPT_SERVE('V'),
    CLI_OPT_SERVE_LINGER('G'),
    {0}};

const struct cli_cmd cli_cmd_replay = {
    "replay",
    "CAPTURE",
    "the closed loop of run fed by a recording; checks that every decision is the recorded one",
    REPLAY_OPTS,
    NULL,
    "CAPTURE: a capture directory, .sigmf-collection or .sigmf-meta (docs/capture-format.md)."};

/* The capture's own calibration (what the live run applied) wins: the replay then makes
 * the live decisions again. A capture recorded uncalibrated replays uncalibrated, unless
 * --calibration names a record (then with a warning that decisions may differ). */
static int replay_calibration(isac_sigmf_reader rd, const char *given, int disabled,
                              struct cli_calibration *cal)
{
    const json_t *g = isac_sigmf_reader_global(rd);
    const json_t *own = json_object_get(g, "isactb:calibration");
    if (disabled)
        return CLI_OK;
    if (own && !given) {
        int rc = cli_calibration_from_capture("replay", cal, own, isac_sigmf_reader_path(rd));
        if (rc == CLI_OK)
            fprintf(stderr, "isactb replay: applying the capture's calibration (%s)\n", cal->path);
        return rc;
    }
    if (!own && !given)
        return CLI_OK;
    struct isac_radio_info info;
    isac_sigmf_reader_radio_info(rd, &info);
    int rc = cli_calibration_resolve("replay", cal, given, 0, &info);
    if (rc == CLI_OK && cal->applied && !own)
        fprintf(stderr, "isactb replay: warning: the capture was recorded uncalibrated: "
                        "decisions may differ from the live run\n");
    return rc;
}

struct replay_ctx {
    int quiet, verbose;
    isac_radio r;
    live_view view;         /* --serve: its stop control ends the replay */
    json_t *policies;       /* episode (decimal text) -> policy recorded for it, when not cfg's */
    const char *cfg_policy; /* the capture's configured policy */
};

static int replay_should_stop(void *ctx)
{
    return live_view_stop_requested(((const struct replay_ctx *)ctx)->view);
}

static void print_line(void *ctx, const char *line)
{
    const struct replay_ctx *c = ctx;
    if (!c->quiet && c->verbose)
        fprintf(stderr, "%s\n", line);
}

static void print_episode(void *ctx, const char *line)
{
    if (!((const struct replay_ctx *)ctx)->quiet)
        fprintf(stderr, "%s\n", line);
}

/* The policy that decided episode ep when recorded (a run whose policy was changed from
 * the live view records "isactb:policy" in that episode's CPIs). */
static const char *replay_policy_for(void *ctx, uint64_t ep)
{
    const struct replay_ctx *x = ctx;
    char key[24];
    snprintf(key, sizeof key, "%llu", (unsigned long long)ep);
    const char *name = json_string_value(json_object_get(x->policies, key));
    return name ? name : x->cfg_policy;
}

/* Every CPI's "isactb:policy" (optional; a known policy name, one per episode) into
 * *out. CLI_EINPUT with one line naming the CPI otherwise. */
static int recorded_policies(isac_sigmf_reader rd, json_t **out)
{
    *out = json_object();
    for (size_t k = 0; *out && k < isac_sigmf_reader_num_cpis(rd); k++) {
        const json_t *ann = isac_sigmf_reader_cpi_annotation(rd, k);
        const json_t *pj = json_object_get(ann, "isactb:policy");
        if (!pj)
            continue;
        const char *name = json_string_value(pj);
        json_int_t ep = json_integer_value(json_object_get(ann, "isactb:episode"));
        char key[24];
        snprintf(key, sizeof key, "%lld", (long long)ep);
        const char *had = json_string_value(json_object_get(*out, key));
        if (!name || !isac_policy_name_known(name) || (had && strcmp(had, name))) {
            char *txt = json_dumps(pj, JSON_COMPACT | JSON_ENCODE_ANY);
            int rc = cli_input_error("replay", "%s: CPI %zu: isactb:policy %s: %s",
                                     isac_sigmf_reader_path(rd), k, txt ? txt : "?",
                                     had ? "a second policy within one episode"
                                         : "not a known policy name");
            free(txt);
            return rc;
        }
        json_object_set_new(*out, key, json_string(name));
    }
    return *out ? CLI_OK : cli_runtime_error("replay", "out of memory");
}

static const json_t *recorded(void *ctx)
{
    return isac_radio_file_current_annotation(((const struct replay_ctx *)ctx)->r);
}

/* Before anything runs: every input the recorded decisions depend on must be the one
 * recorded (capture/inputs.h); otherwise one line naming it and both hashes. */
static int check_inputs(isac_sigmf_reader rd)
{
    char err[700];
    const json_t *g = isac_sigmf_reader_global(rd);
    if (isac_cap_inputs_verify(json_object_get(g, "isactb:inputs"), g, err, sizeof err))
        return cli_input_error("replay", "%s", err);
    return CLI_OK;
}

struct replay_args {
    const char *path, *out, *calib, *serve;
    int json, quiet, verbose, no_calib;
    unsigned threads; /* 0: every online core */
    double linger;
};

/* CLI_OK, a CLI_E* status, or -1 after --help (exit 0, nothing to run). */
static int parse_args(int argc, char **argv, struct replay_args *a)
{
    *a = (struct replay_args){0};
    struct cli_parser p;
    cli_parser_init(&p, &cli_cmd_replay, argc, argv);
    for (int c; (c = cli_next(&p)) != CLI_END;) {
        switch (c) {
        case 'j': a->json = 1; break;
        case 'q': a->quiet = 1; break;
        case 'v': a->verbose = 1; break;
        case 'N': a->no_calib = 1; break;
        case 'C': a->calib = p.arg; break;
        case 'T':
            if (cli_parse_threads("replay", p.arg, &a->threads))
                return CLI_EUSAGE;
            break;
        case 'V': a->serve = p.arg; break;
        case 'G':
            if (cli_parse_double("replay", "--serve-linger", p.arg, 0, 86400, &a->linger))
                return CLI_EUSAGE;
            break;
        case 'o': a->out = p.arg; break;
        case CLI_HELP: return -1;
        default: return CLI_EUSAGE;
        }
    }
    if (p.next < argc)
        a->path = argv[p.next];
    if (p.next + 1 < argc)
        return cli_usage("replay", "unexpected argument '%s'", argv[p.next + 1]);
    if (!a->path)
        return cli_usage("replay",
                         "missing CAPTURE (a capture directory, .sigmf-collection or .sigmf-meta)");
    if (a->linger > 0 && !a->serve)
        return cli_usage("replay", "--serve-linger needs --serve");
    if (a->out && !cli_dir_exists(a->out))
        return cli_usage("replay", "--out %s: not a directory", a->out);
    return CLI_OK;
}

/* The result (--json) and figures (--out); CLI_ERUNTIME when a figure cannot be drawn. */
static int report(const struct replay_args *a, json_t *result, const struct isac_exp_config *cfg,
                  const char *spec, const struct cli_calibration *cal, int quiet_errors)
{
    int rc = CLI_OK;
    char err[512] = "";
    json_object_set_new(result, "recorded_radio", json_string(cfg->radio));
    json_object_set_new(result, "radio", json_string(spec));
    json_object_set_new(result, "calibration", cli_calibration_summary(cal));
    if (a->out && isac_report_write_figures(result, NULL, a->out, err, sizeof err)) {
        if (!quiet_errors)
            fprintf(stderr, "isactb replay: figures: %s\n", err);
        rc = CLI_ERUNTIME;
    }
    if (a->json) {
        json_dumpf(result, stdout, JSON_COMPACT);
        putchar('\n');
    }
    if (!quiet_errors) /* a failed replay's partial result is no summary */
        cli_run_summary("replay", result, a->json, a->quiet);
    return rc;
}

int cmd_replay(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) /* a highway capture (host/cli/cmd_highway.c) */
        if (argv[i][0] != '-' && isac_hwy_capture_exists(argv[i]))
            return cmd_replay_highway(argc, argv);
    struct replay_args a;
    int rc = parse_args(argc, argv, &a);
    if (rc)
        return rc < 0 ? CLI_OK : rc;
    isac_sigmf_reader rd;
    struct isac_exp_config cfg;
    isac_codebook cb;
    if ((rc = cli_capture_open("replay", a.path, &rd, &cfg, &cb)))
        return rc;
    if ((rc = check_inputs(rd))) {
        isac_sigmf_reader_close(rd);
        isac_codebook_destroy(cb);
        return rc;
    }
    char spec[1100], err[512] = "";
    snprintf(spec, sizeof spec, "file:%s", isac_sigmf_reader_path(rd));
    struct cli_calibration cal = {0};
    struct replay_ctx rctx = {.quiet = a.quiet, .verbose = a.verbose, .cfg_policy = cfg.policy};
    rc = replay_calibration(rd, a.calib, a.no_calib, &cal);
    if (!rc)
        rc = recorded_policies(rd, &rctx.policies);
    isac_sigmf_reader_close(rd);
    isac_radio r = NULL;
    json_t *result = NULL;
    run_view view = NULL;
    if (rc || (rc = cli_radio_open("replay", spec, 0, &r)))
        goto done;
    rctx.r = r;
    struct isac_run_hooks hooks = {.progress = print_line,
                                   .episode_line = print_episode,
                                   .ctx = &rctx,
                                   .should_stop = replay_should_stop,
                                   .calibration = cal.applied ? cal.pc : NULL,
                                   .recorded = recorded,
                                   .threads = a.threads,
                                   .policy_for = replay_policy_for};
    if (a.serve) {
        struct isac_radio_info info;
        isac_radio_get_info(r, &info);
        if ((rc = cli_serve_start("replay", a.serve, "replay", &rctx.view)))
            goto done;
        if (!(view = run_view_create(rctx.view, "replay", &cfg, &info, cb, r,
                                     cli_calibration_summary(&cal), NULL, NULL, err, sizeof err))) {
            rc = cli_runtime_error("replay", "%s", err);
            goto done;
        }
        hooks.observer = run_view_observer(view);
    }
    int erc = isac_exp_run(&cfg, r, cb, NULL, &hooks, &result, err, sizeof err);
    if (view) {
        int stopped = erc == ISAC_EIO && live_view_stop_requested(rctx.view);
        run_view_finish(view, result, !erc ? "finished" : stopped ? "stopped" : "failed");
        if (result)
            json_object_set_new(result, "view", run_view_stats(view));
    }
    if (erc) {
        fprintf(stderr, "isactb replay: %s\n", err);
        rc = (erc == ISAC_EINVAL || erc == ISAC_EFORMAT) ? CLI_EINPUT : CLI_ERUNTIME;
    }
    if (result) {
        int frc = report(&a, result, &cfg, spec, &cal, rc != CLI_OK);
        rc = rc ? rc : frc;
    }
    fflush(stdout);
    cli_serve_linger("replay", rctx.view, a.linger, NULL, NULL);
done:
    run_view_destroy(view);
    live_view_destroy(rctx.view);
    json_decref(rctx.policies);
    cli_calibration_free(&cal);
    json_decref(result);
    isac_radio_close(r);
    isac_codebook_destroy(cb);
    return rc;
}
