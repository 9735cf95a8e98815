/* isactb run: the closed loop on a radio (default: the sim emulator). */
#include <math.h>
#include <stdlib.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "cli/cli.h"
#include "cli/cmd_highway.h"
#include "engine/highway.h"
#include "cli/cli_serve.h"
#include "common/out_dir.h"
#include "inputs.h"
#include "common/err.h"
#include "engine/report.h"
#include "engine/run.h"
#include "serve/run_view.h"

static const struct cli_opt RUN_OPTS[] = {
    CLI_OPT_CONFIG('c'),
    CLI_OPT_RADIO('r'),
    {"policy", 'p', "NAME",
     "beam selection: scan, sweep, random, pso or qnet (default: the config's, scan)"},
    {"weights", 'w', "FILE", "qnet weights file (default: builtin, the compiled-in network)"},
    {"seed", 's', "N", "scenario seed, an integer >= 0 (default: the config's, 1)"},
    {"episodes", 'e', "N", "episodes to run, 1..100000 (default: the config's, 20)"},
    {"out", 'o', "DIR",
     "output directory: figures timeline and grid_map (.png and .svg); default: none"},
    {"record", 'R', NULL, "also record the run as a SigMF capture in DIR (needs --out)"},
    CLI_OPT_JSON('j'),
    CLI_OPT_QUIET('q'),
    CLI_OPT_PROGRESS('P'),
    {"verbose", 'v', NULL, "one progress line per CPI instead of one per episode"},
    {"calibration", 'C', "FILE|DIR",
     "calibration record, or a directory to search (default: the record directory)"},
    {"no-calibration", 'N', NULL, "apply no calibration record"},
    CLI_OPT_THREADS('T'),
    CLI_OPT_SERVE('V'),
    CLI_OPT_SERVE_LINGER('G'),
    {0}};

const struct cli_cmd cli_cmd_run = {
    "run",
    NULL,
    "the closed loop: sense, detect and steer on a radio (default: the sim emulator)",
    RUN_OPTS,
    NULL,
    "The summary goes to stdout (with --json: the JSON object; the summary then on stderr).\n"
    "Progress goes to stderr: one line per episode; on a terminal also a status line per CPI.\n"
    "A highway config (scene: highway) runs the highway scene (docs/tracking.md)."};

/* Signal handlers can only talk to the loop through a flag of static storage: this
 * is the one piece of global mutable state in the tool. */
static volatile sig_atomic_t stop_requested;
static void on_signal(int sig)
{
    stop_requested = sig;
}
static int should_stop(void *ctx)
{
    (void)ctx;
    return stop_requested != 0;
}

/* Context of the run hooks: progress printing and the map of the last detection. */
struct run_ctx {
    enum cli_progress mode;
    int verbose; /* --verbose: a line per CPI */
    double zeta;
    const struct isac_exp_config *cfg;
    struct isac_report_map map;
    isac_radio r;   /* for the ground truth marker (sim) */
    live_view view; /* --serve: its stop control ends the run like SIGINT */
};

/* The live view's "change policy" control: asked before every episode. */
static const char *run_policy_for(void *ctx, uint64_t episode)
{
    (void)episode;
    return live_view_take_policy(((const struct run_ctx *)ctx)->view);
}

static int run_should_stop(void *ctx)
{
    return should_stop(NULL) || live_view_stop_requested(((const struct run_ctx *)ctx)->view);
}

/* Position of the first target from the radio's ground truth, when it has one. */
static void truth_position(isac_radio r, double *x, double *y)
{
    char *txt = NULL;
    *x = *y = NAN;
    if (isac_radio_truth_json(r, &txt) != ISAC_OK)
        return;
    json_t *t = json_loads(txt, 0, NULL);
    json_t *pos = json_object_get(json_array_get(json_object_get(t, "targets"), 0), "position");
    if (json_array_size(pos) == 2) {
        *x = json_number_value(json_array_get(pos, 0));
        *y = json_number_value(json_array_get(pos, 1));
    }
    json_decref(t);
    free(txt);
}

/* Per CPI: a line with --verbose, else a status line redrawn in place on a terminal. */
static void print_progress(void *ctx, const char *line)
{
    const struct run_ctx *c = ctx;
    if (c->mode != CLI_PROGRESS_QUIET && c->verbose)
        fprintf(stderr, "%s\n", line);
    else if (c->mode == CLI_PROGRESS_BARS)
        fprintf(stderr, "\r%-.78s\033[K", line);
}

/* Per episode: its outcome, one line. */
static void print_episode(void *ctx, const char *line)
{
    const struct run_ctx *c = ctx;
    if (c->mode == CLI_PROGRESS_BARS && !c->verbose)
        fputs("\r\033[K", stderr);
    if (c->mode != CLI_PROGRESS_QUIET)
        fprintf(stderr, "%s\n", line);
}

/* Keep a copy of the grid map of the latest step that reached zeta (for the figure). */
static void keep_map(void *ctx, isac_pipeline p, unsigned episode, unsigned step,
                     const struct isac_pipeline_result *res)
{
    struct run_ctx *c = ctx;
    if (!(res->detected && res->pd >= c->zeta))
        return;
    unsigned nx, ny;
    const float *lam, *thr;
    isac_pipeline_grid(p, &nx, &ny, &lam, &thr);
    size_t n = (size_t)nx * ny;
    float *l = realloc(c->map.lambda, n * sizeof *l),
          *t = l ? realloc(c->map.threshold, n * sizeof *t) : NULL;
    if (l)
        c->map.lambda = l;
    if (!l || !t)
        return;
    c->map.threshold = t;
    memcpy(l, lam, n * sizeof *l);
    memcpy(t, thr, n * sizeof *t);
    c->map.nx = nx;
    c->map.ny = ny;
    c->map.x0 = c->cfg->grid.x_min;
    c->map.y0 = c->cfg->grid.y_min;
    c->map.dx = c->map.dy = c->cfg->grid.spacing_m;
    c->map.det_x = res->x;
    c->map.det_y = res->y;
    truth_position(c->r, &c->map.truth_x, &c->map.truth_y);
    c->map.episode = episode;
    c->map.step = step;
    c->map.beam = res->beam;
}

struct run_args {
    const char *config, *radio, *policy, *out, *weights;
    const char *seed, *episodes, *calibration, *threads, *serve;
    double linger;
    int record, json, quiet, no_calibration, progress, verbose;
    unsigned nthreads; /* --threads, 0: every online core */
};

static int parse_args(int argc, char **argv, struct run_args *a)
{
    struct cli_parser p;
    cli_parser_init(&p, &cli_cmd_run, argc, argv);
    for (int c; (c = cli_next(&p)) != CLI_END;) {
        switch (c) {
        case 'c': a->config = p.arg; break;
        case 'r': a->radio = p.arg; break;
        case 'p': a->policy = p.arg; break;
        case 'w': a->weights = p.arg; break;
        case 's': a->seed = p.arg; break;
        case 'e': a->episodes = p.arg; break;
        case 'o': a->out = p.arg; break;
        case 'R': a->record = 1; break;
        case 'j': a->json = 1; break;
        case 'q': a->quiet = 1; break;
        case 'P': a->progress = 1; break;
        case 'v': a->verbose = 1; break;
        case 'C': a->calibration = p.arg; break;
        case 'N': a->no_calibration = 1; break;
        case 'T': a->threads = p.arg; break;
        case 'V': a->serve = p.arg; break;
        case 'G':
            if (cli_parse_double("run", "--serve-linger", p.arg, 0, 86400, &a->linger))
                return CLI_EUSAGE;
            break;
        case CLI_HELP: {
            char names[256];
            printf("policies: %s\n", isac_policy_registry_names(NULL, names, sizeof names));
            return -1;
        }
        default: return CLI_EUSAGE;
        }
    }
    if (p.next < argc)
        return cli_usage("run", "unexpected argument '%s'", argv[p.next]);
    if (a->calibration && a->no_calibration)
        return cli_usage("run", "--calibration and --no-calibration are exclusive");
    if (a->record && !a->out)
        return cli_usage("run", "--record needs --out DIR");
    if (a->threads && cli_parse_threads("run", a->threads, &a->nthreads))
        return CLI_EUSAGE;
    if (a->linger > 0 && !a->serve)
        return cli_usage("run", "--serve-linger needs --serve");
    return 0;
}

/* Command-line overrides on top of the config; validated like the file. */
static int apply_overrides(const struct run_args *a, struct isac_exp_config *cfg)
{
    unsigned long ul;
    if (a->radio)
        snprintf(cfg->radio, sizeof cfg->radio, "%s", a->radio);
    if (a->policy) {
        char names[256];
        if (!isac_policy_name_known(a->policy))
            return cli_usage("run", "--policy: unknown policy '%s' (expected one of: %s)",
                             a->policy, isac_policy_registry_names(NULL, names, sizeof names));
        snprintf(cfg->policy, sizeof cfg->policy, "%s", a->policy);
    }
    if (a->weights) {
        if (!a->weights[0] || strlen(a->weights) >= sizeof cfg->weights)
            return cli_usage("run", "--weights: invalid path '%s'", a->weights);
        snprintf(cfg->weights, sizeof cfg->weights, "%s", a->weights);
    }
    if (a->seed && cli_parse_u64("run", "--seed", a->seed, &cfg->seed))
        return CLI_EUSAGE;
    if (a->episodes) {
        if (cli_parse_uint("run", "--episodes", a->episodes, 1, 100000, &ul))
            return CLI_EUSAGE;
        cfg->episodes = (unsigned)ul;
    }
    return 0;
}

static int load_config(const struct run_args *a, struct isac_exp_config *cfg)
{
    char err[512];
    isac_exp_config_defaults(cfg);
    if (a->config && isac_exp_config_load(a->config, cfg, err, sizeof err))
        return cli_input_error("run", "%s", err);
    int rc = apply_overrides(a, cfg);
    if (rc)
        return rc;
    if (isac_exp_config_validate(cfg, "command line", err, sizeof err))
        return cli_usage("run", "%s", err);
    return 0;
}

/* SHA-256 of everything the decisions depend on (capture/inputs.h): replay refuses
 * to run when one of them changed. NULL with one line on stderr when a file that was
 * just used cannot be read again. */
static json_t *run_inputs(const char *config_path, const struct isac_exp_config *cfg,
                          const json_t *shared, const struct cli_calibration *cal)
{
    char err[600] = "";
    json_t *in = json_object();
    int bad = !in;
    if (!bad && !strcmp(cfg->policy, "qnet") && strcmp(cfg->weights, "builtin"))
        bad =
            json_object_set_new(in, "weights", isac_cap_input_file(cfg->weights, err, sizeof err));
    if (!bad)
        bad = json_object_set_new(
            in, "codebook",
            strcmp(cfg->codebook, "dft")
                ? isac_cap_input_file(cfg->codebook, err, sizeof err)
                : isac_cap_input_json(json_object_get(shared, "isactb:codebook"),
                                      "isactb:codebook"));
    if (!bad && cal->applied && access(cal->path, R_OK) == 0)
        bad =
            json_object_set_new(in, "calibration", isac_cap_input_file(cal->path, err, sizeof err));
    if (!bad && config_path)
        bad = json_object_set_new(in, "config", isac_cap_input_file(config_path, err, sizeof err));
    if (!bad)
        bad = json_object_set_new(
            in, "effective_config",
            isac_cap_input_json(json_object_get(shared, "isactb:experiment"), "isactb:experiment"));
    if (bad) {
        fprintf(stderr, "isactb run: input hashes: %s\n", err[0] ? err : "out of memory");
        json_decref(in);
        return NULL;
    }
    return in;
}

isac_sigmf_writer cli_run_open_recording(const char *dir, const char *config_path,
                                         const struct isac_exp_config *cfg,
                                         const struct isac_radio_info *info, isac_codebook cb,
                                         const struct cli_calibration *cal)
{
    char err[512];
    double phase[ISAC_RADIO_MAX_CHANNELS];
    json_t *global = json_pack("{s:o,s:o}", "isactb:experiment", isac_exp_config_to_json(cfg),
                               "isactb:codebook", isac_codebook_to_json(cb));
    /* raw samples are stored: their phase offsets are what the RX calibration measured */
    int have_rx = cal->applied && cal->rec->rx.present;
    for (unsigned ch = 0; have_rx && ch < info->num_rx; ch++)
        phase[ch] = cal->rec->rx.ch[ch].phase_deg;
    if (cal->applied)
        json_object_set_new(global, "isactb:calibration", cli_calibration_json(cal));
    json_t *inputs = run_inputs(config_path, cfg, global, cal);
    if (!inputs) {
        json_decref(global);
        return NULL;
    }
    json_object_set_new(global, "isactb:inputs", inputs);
    struct isac_sigmf_writer_desc d = {.info = info,
                                       .global = global,
                                       .rx_phase_offset_deg = have_rx ? phase : NULL,
                                       .description = "isactb closed-loop run",
                                       .author = "isactb"};
    isac_sigmf_writer w = isac_sigmf_writer_create(dir, "isactb", &d, err, sizeof err);
    json_decref(global);
    if (!w)
        fprintf(stderr, "isactb run: %s\n", err);
    return w;
}

/* run_err: the run's own failure (NULL when it succeeded). Whatever happens, a failed run
 * prints exactly one line: its cause, plus the recording's when that could not be
 * finalised either (a full disk fails both). */
static int finish(int rc, const char *run_err, json_t *result, isac_sigmf_writer w,
                  const struct run_args *a, const struct isac_report_map *map)
{
    char err[512];
    int wfail = w && isac_sigmf_writer_finish(w, err, sizeof err);
    if (wfail && run_err)
        fprintf(stderr, "isactb run: %s (recording not finalised: %s)\n", run_err, err);
    else if (wfail)
        fprintf(stderr, "isactb run: recording: %s\n", err);
    else if (run_err)
        fprintf(stderr, "isactb run: %s\n", run_err);
    if (wfail) {
        rc = rc ? rc : ISAC_EIO;
    } else if (w) {
        if (result) {
            char path[1100];
            snprintf(path, sizeof path, "%s/isactb.sigmf-collection", a->out);
            json_object_set_new(result, "capture", json_string(path));
        }
    }
    /* a figure that cannot be drawn is reported (one line; none when the run already
     * failed) and is not exit 0; the --json object is printed either way */
    if (result && a->out &&
        isac_report_write_figures(result, map->lambda ? map : NULL, a->out, err, sizeof err) &&
        !rc) {
        fprintf(stderr, "isactb run: figures: %s\n", err);
        rc = ISAC_EIO;
    }
    if (result && a->json) {
        json_dumpf(result, stdout, JSON_COMPACT);
        putchar('\n');
    }
    if (result)
        cli_run_summary("run", result, a->json, a->quiet);
    return rc;
}

/* --serve: the live view and its run view. */
static int serve_start(const struct run_args *a, const struct isac_exp_config *cfg,
                       const struct isac_radio_info *info, isac_codebook cb, isac_radio r,
                       const struct cli_calibration *cal, struct run_ctx *ctx, run_view *out)
{
    char err[512] = "";
    int rc = cli_serve_start("run", a->serve, "run", &ctx->view);
    if (rc)
        return rc;
    /* every registered policy may be switched to from the page, from the next episode */
    const struct isac_policy_registry *reg = isac_policy_registry_builtin();
    const char *names[LIVE_VIEW_MAX_POLICIES];
    unsigned n = 0;
    for (size_t i = 0; i < reg->count && n < LIVE_VIEW_MAX_POLICIES; i++)
        names[n++] = reg->entries[i]->name;
    if (live_view_offer_policies(ctx->view, names, n))
        return cli_runtime_error("run", "serve: cannot offer the policies");
    *out = run_view_create(ctx->view, "run", cfg, info, cb, r, cli_calibration_summary(cal),
                           should_stop, NULL, err, sizeof err);
    return *out ? CLI_OK : cli_runtime_error("run", "%s", err);
}

/* The final frame and the view's counters in the result. */
static void serve_finish(run_view view, live_view lv, int erc, json_t *result)
{
    int stopped = erc == ISAC_EIO && (stop_requested || live_view_stop_requested(lv));
    run_view_finish(view, result, !erc ? "finished" : stopped ? "stopped" : "failed");
    if (result)
        json_object_set_new(result, "view", run_view_stats(view));
}

int cmd_run(int argc, char **argv)
{
    struct run_args a = {0};
    struct isac_exp_config cfg;
    int rc = parse_args(argc, argv, &a);
    if (rc)
        return rc < 0 ? CLI_OK : rc;
    if (isac_hwy_config_is_highway(a.config)) /* scene: highway (host/cli/cmd_highway.c) */
        return cmd_run_highway(argc, argv);
    if ((rc = load_config(&a, &cfg)))
        return rc;
    /* From here on a signal only sets the flag: the loop stops between steps and the
     * recording is finalised, even when the signal arrives during start-up. */
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    /* the output directory is this run's alone until it ends (host/common/out_dir.h) */
    char lerr[512] = "";
    int out_lock = a.out ? isac_dir_lock(a.out, lerr, sizeof lerr) : -1;
    if (a.out && out_lock < 0)
        return cli_input_error("run", "--out %s", lerr);
    isac_radio r = NULL;
    if ((rc = cli_radio_open("run", cfg.radio, a.radio != NULL, &r))) {
        isac_dir_unlock(out_lock);
        return rc;
    }
    struct isac_radio_info info;
    char err[512] = "";
    isac_radio_get_info(r, &info);
    isac_codebook cb = isac_exp_codebook(&cfg, &info, err, sizeof err);
    isac_sigmf_writer w = NULL;
    struct cli_calibration cal = {0};
    json_t *result = NULL;
    run_view view = NULL;
    live_view lv = NULL;
    if (!cb) {
        rc = cli_input_error("run", "%s", err);
        goto done;
    }
    if ((rc = cli_calibration_resolve("run", &cal, a.calibration, a.no_calibration, &info)))
        goto done;
    if (a.record && !(w = cli_run_open_recording(a.out, a.config, &cfg, &info, cb, &cal))) {
        rc = CLI_EINPUT;
        goto done;
    }
    struct run_ctx ctx = {.mode = cli_progress_mode(a.quiet, a.progress),
                          .verbose = a.verbose,
                          .zeta = cfg.zeta,
                          .cfg = &cfg,
                          .r = r};
    ctx.map.info = info;
    struct isac_run_hooks hooks = {.progress = print_progress,
                                   .episode_line = print_episode,
                                   .ctx = &ctx,
                                   .should_stop = run_should_stop,
                                   .on_step = keep_map,
                                   .calibration = cal.applied ? cal.pc : NULL,
                                   .threads = a.nthreads};
    if (a.serve) {
        rc = serve_start(&a, &cfg, &info, cb, r, &cal, &ctx, &view);
        lv = ctx.view;
        if (rc)
            goto done;
    }
    hooks.observer = view ? run_view_observer(view) : NULL;
    hooks.policy_for = view ? run_policy_for : NULL;
    int erc = isac_exp_run(&cfg, r, cb, w, &hooks, &result, err, sizeof err);
    if (result)
        json_object_set_new(result, "calibration", cli_calibration_summary(&cal));
    if (view)
        serve_finish(view, lv, erc, result);
    rc = finish(erc, erc ? err : NULL, result, w, &a, &ctx.map);
    fflush(stdout);
    cli_serve_linger("run", lv, a.linger, should_stop, NULL);
    rc = rc == ISAC_OK ? CLI_OK : rc == ISAC_EINVAL ? CLI_EINPUT : CLI_ERUNTIME;
    isac_report_map_free(&ctx.map);
    w = NULL;
done:
    run_view_destroy(view);
    live_view_destroy(lv);
    cli_calibration_free(&cal);
    isac_sigmf_writer_abort(w);
    json_decref(result);
    isac_codebook_destroy(cb);
    isac_radio_close(r);
    isac_dir_unlock(out_lock);
    return rc;
}
