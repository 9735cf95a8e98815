/* isactb run: the closed loop on a radio (default: the sim emulator). */
#include <getopt.h>
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

static const char *const RUN_USAGE =
    "usage: isactb run [--config FILE] [--radio SPEC] [--policy NAME]\n"
    "                  [--weights FILE] [--seed N] [--episodes N] [--out DIR] [--record]\n"
    "                  [--json] [--quiet] [--calibration FILE|DIR | --no-calibration]\n"
    "                  [--threads N] [--serve [ADDR:]PORT [--serve-linger SECONDS]]\n";

/* The usage, with the registry's policies (policy/policy_registry.c). */
static void run_usage(void)
{
    char names[256];
    fputs(RUN_USAGE, stdout);
    printf("  --policy: one of %s\n", policy_registry_names(NULL, names, sizeof names));
}

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
    int quiet;
    double zeta;
    const struct exp_config *cfg;
    struct report_map map;
    radio r;        /* for the ground truth marker (sim) */
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
static void truth_position(radio r, double *x, double *y)
{
    char *txt = NULL;
    *x = *y = NAN;
    if (radio_truth_json(r, &txt) != ISAC_OK)
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

static void print_progress(void *ctx, const char *line)
{
    if (!((const struct run_ctx *)ctx)->quiet)
        fprintf(stderr, "%s\n", line);
}

/* Keep a copy of the grid map of the latest step that reached zeta (for the figure). */
static void keep_map(void *ctx, pipeline p, unsigned episode, unsigned step,
                     const struct pipeline_result *res)
{
    struct run_ctx *c = ctx;
    if (!(res->detected && res->pd >= c->zeta))
        return;
    unsigned nx, ny;
    const float *lam, *thr;
    pipeline_grid(p, &nx, &ny, &lam, &thr);
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
    int record, json, quiet, no_calibration;
    unsigned nthreads; /* --threads, 0: every online core */
};

static int parse_args(int argc, char **argv, struct run_args *a)
{
    static const struct option opts[] = {{"config", required_argument, 0, 'c'},
                                         {"radio", required_argument, 0, 'r'},
                                         {"policy", required_argument, 0, 'p'},
                                         {"seed", required_argument, 0, 's'},
                                         {"episodes", required_argument, 0, 'e'},
                                         {"out", required_argument, 0, 'o'},
                                         {"record", no_argument, 0, 'R'},
                                         {"json", no_argument, 0, 'j'},
                                         {"quiet", no_argument, 0, 'q'},
                                         {"help", no_argument, 0, 'h'},
                                         {"weights", required_argument, 0, 'w'},
                                         {"calibration", required_argument, 0, 'C'},
                                         {"no-calibration", no_argument, 0, 'N'},
                                         {"threads", required_argument, 0, 'T'},
                                         {"serve", required_argument, 0, 'V'},
                                         {"serve-linger", required_argument, 0, 'G'},
                                         {0, 0, 0, 0}};
    int c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
        switch (c) {
        case 'c': a->config = optarg; break;
        case 'r': a->radio = optarg; break;
        case 'p': a->policy = optarg; break;
        case 'w': a->weights = optarg; break;
        case 's': a->seed = optarg; break;
        case 'e': a->episodes = optarg; break;
        case 'o': a->out = optarg; break;
        case 'R': a->record = 1; break;
        case 'j': a->json = 1; break;
        case 'q': a->quiet = 1; break;
        case 'C': a->calibration = optarg; break;
        case 'N': a->no_calibration = 1; break;
        case 'T': a->threads = optarg; break;
        case 'V': a->serve = optarg; break;
        case 'G':
            if (cli_parse_double("run", "--serve-linger", optarg, 0, 86400, &a->linger))
                return CLI_EUSAGE;
            break;
        case 'h': run_usage(); return -1;
        case ':': return cli_usage("run", "option '%s' needs a value", argv[optind - 1]);
        default: return cli_usage("run", "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind < argc)
        return cli_usage("run", "unexpected argument '%s'", argv[optind]);
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
static int apply_overrides(const struct run_args *a, struct exp_config *cfg)
{
    unsigned long ul;
    if (a->radio)
        snprintf(cfg->radio, sizeof cfg->radio, "%s", a->radio);
    if (a->policy) {
        char names[256];
        if (!policy_name_known(a->policy))
            return cli_usage("run", "--policy: unknown policy '%s' (expected one of: %s)",
                             a->policy, policy_registry_names(NULL, names, sizeof names));
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

static int load_config(const struct run_args *a, struct exp_config *cfg)
{
    char err[512];
    exp_config_defaults(cfg);
    if (a->config && exp_config_load(a->config, cfg, err, sizeof err))
        return cli_input_error("run", "%s", err);
    int rc = apply_overrides(a, cfg);
    if (rc)
        return rc;
    if (exp_config_validate(cfg, "command line", err, sizeof err))
        return cli_usage("run", "%s", err);
    return 0;
}

/* SHA-256 of everything the decisions depend on (capture/inputs.h): replay refuses
 * to run when one of them changed. NULL with one line on stderr when a file that was
 * just used cannot be read again. */
static json_t *run_inputs(const char *config_path, const struct exp_config *cfg,
                          const json_t *shared, const struct cli_calibration *cal)
{
    char err[600] = "";
    json_t *in = json_object();
    int bad = !in;
    if (!bad && !strcmp(cfg->policy, "qnet") && strcmp(cfg->weights, "builtin"))
        bad = json_object_set_new(in, "weights", cap_input_file(cfg->weights, err, sizeof err));
    if (!bad)
        bad = json_object_set_new(
            in, "codebook",
            strcmp(cfg->codebook, "dft")
                ? cap_input_file(cfg->codebook, err, sizeof err)
                : cap_input_json(json_object_get(shared, "isactb:codebook"), "isactb:codebook"));
    if (!bad && cal->applied && access(cal->path, R_OK) == 0)
        bad = json_object_set_new(in, "calibration", cap_input_file(cal->path, err, sizeof err));
    if (!bad && config_path)
        bad = json_object_set_new(in, "config", cap_input_file(config_path, err, sizeof err));
    if (!bad)
        bad = json_object_set_new(
            in, "effective_config",
            cap_input_json(json_object_get(shared, "isactb:experiment"), "isactb:experiment"));
    if (bad) {
        fprintf(stderr, "isactb run: input hashes: %s\n", err[0] ? err : "out of memory");
        json_decref(in);
        return NULL;
    }
    return in;
}

sigmf_writer cli_run_open_recording(const char *dir, const char *config_path,
                                    const struct exp_config *cfg, const struct radio_info *info,
                                    codebook cb, const struct cli_calibration *cal)
{
    char err[512];
    double phase[RADIO_MAX_CHANNELS];
    json_t *global = json_pack("{s:o,s:o}", "isactb:experiment", exp_config_to_json(cfg),
                               "isactb:codebook", codebook_to_json(cb));
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
    struct sigmf_writer_desc d = {.info = info,
                                  .global = global,
                                  .rx_phase_offset_deg = have_rx ? phase : NULL,
                                  .description = "isactb closed-loop run",
                                  .author = "isactb"};
    sigmf_writer w = sigmf_writer_create(dir, "isactb", &d, err, sizeof err);
    json_decref(global);
    if (!w)
        fprintf(stderr, "isactb run: %s\n", err);
    return w;
}

/* run_err: the run's own failure (NULL when it succeeded). Whatever happens, a failed run
 * prints exactly one line: its cause, plus the recording's when that could not be
 * finalised either (a full disk fails both). */
static int finish(int rc, const char *run_err, json_t *result, sigmf_writer w,
                  const struct run_args *a, const struct report_map *map)
{
    char err[512];
    int wfail = w && sigmf_writer_finish(w, err, sizeof err);
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
        report_write_figures(result, map->lambda ? map : NULL, a->out, err, sizeof err) && !rc) {
        fprintf(stderr, "isactb run: figures: %s\n", err);
        rc = ISAC_EIO;
    }
    if (result && a->json) {
        json_dumpf(result, stdout, JSON_COMPACT);
        putchar('\n');
    }
    if (result && !a->quiet) {
        json_t *s = json_object_get(result, "summary");
        fprintf(stderr, "isactb run: %lld/%lld episodes detected (%.0f%%), mean steps %.1f\n",
                (long long)json_integer_value(json_object_get(s, "detected")),
                (long long)json_integer_value(json_object_get(s, "episodes")),
                100 * json_real_value(json_object_get(s, "detection_rate")),
                json_real_value(json_object_get(s, "steps_mean")));
    }
    return rc;
}

/* --serve: the live view and its run view. */
static int serve_start(const struct run_args *a, const struct exp_config *cfg,
                       const struct radio_info *info, codebook cb, radio r,
                       const struct cli_calibration *cal, struct run_ctx *ctx, run_view *out)
{
    char err[512] = "";
    int rc = cli_serve_start("run", a->serve, "run", &ctx->view);
    if (rc)
        return rc;
    /* every registered policy may be switched to from the page, from the next episode */
    const struct policy_registry *reg = policy_registry_builtin();
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
    struct exp_config cfg;
    int rc = parse_args(argc, argv, &a);
    if (rc)
        return rc < 0 ? CLI_OK : rc;
    if (hwy_config_is_highway(a.config)) /* scene: highway (host/cli/cmd_highway.c) */
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
    radio r = NULL;
    if ((rc = cli_radio_open("run", cfg.radio, a.radio != NULL, &r))) {
        isac_dir_unlock(out_lock);
        return rc;
    }
    struct radio_info info;
    char err[512] = "";
    radio_get_info(r, &info);
    codebook cb = exp_codebook(&cfg, &info, err, sizeof err);
    sigmf_writer w = NULL;
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
    struct run_ctx ctx = {.quiet = a.quiet, .zeta = cfg.zeta, .cfg = &cfg, .r = r};
    ctx.map.info = info;
    struct run_hooks hooks = {.progress = print_progress,
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
    int erc = exp_run(&cfg, r, cb, w, &hooks, &result, err, sizeof err);
    if (result)
        json_object_set_new(result, "calibration", cli_calibration_summary(&cal));
    if (view)
        serve_finish(view, lv, erc, result);
    rc = finish(erc, erc ? err : NULL, result, w, &a, &ctx.map);
    fflush(stdout);
    cli_serve_linger("run", lv, a.linger, should_stop, NULL);
    rc = rc == ISAC_OK ? CLI_OK : rc == ISAC_EINVAL ? CLI_EINPUT : CLI_ERUNTIME;
    report_map_free(&ctx.map);
    w = NULL;
done:
    run_view_destroy(view);
    live_view_destroy(lv);
    cli_calibration_free(&cal);
    sigmf_writer_abort(w);
    json_decref(result);
    codebook_destroy(cb);
    radio_close(r);
    isac_dir_unlock(out_lock);
    return rc;
}
