/* isactb train: the learned beam selection of seed 004 (docs/learning.md), trained on
 * the real pipeline (host/engine/train_env.h) by host/learn/trainer.h; the figure is
 * host/engine/report.h's. This file parses the options and writes the outputs. */
#include <cblas.h>
#include <jansson.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "common/err.h"
#include "common/out_dir.h"
#include "engine/config.h"
#include "engine/report.h"
#include "engine/train_env.h"
#include "learn/trainer.h"

enum {
    N_SEED,
    N_EPISODES,
    N_COLLECT,
    N_GAN,
    N_ONLINE,
    N_HORIZON,
    N_MAXSTEPS,
    N_BATCH,
    N_LR,
    N_ALPHA,
    N_TARGET,
    N_EVAL,
    N_GAN_LR_D,
    N_GAN_LOGIT,
    N_KEEP_REAL,
    N_ROLLOUT_MASK,
    N_CQL_REAL,
    N_TWIN_SELECT,
    N_SELECT_EPS,
    N_COUNT
};

struct train_args {
    const char *config, *radio, *out, *out_dir, *export_c, *variants, *scene, *data, *save_data;
    const char *num[N_COUNT];
    int json, quiet, progress;
    unsigned threads; /* --threads: CPI processing of the environment (0: every core) */
};

#define NUM(i) (1000 + (i))
static const struct cli_opt TRAIN_OPTS[] = {
    CLI_OPT_CONFIG('c'),
    CLI_OPT_RADIO('r'),
    {"seed", NUM(N_SEED), "N", "seed of the scenes, the twin and the networks (default 1)"},
    {"episodes", NUM(N_EPISODES), "E", "DDQN training episodes in the twin (default 1000)"},
    {"collect", NUM(N_COLLECT), "N", "data-collection episodes with random beams (default 200)"},
    {"gan-epochs", NUM(N_GAN), "N", "cGAN twin training epochs (default 100)"},
    {"online-episodes", NUM(N_ONLINE), "N",
     "episodes of the online variant on the pipeline (default 200)"},
    {"horizon", NUM(N_HORIZON), "T", "twin rollout horizon in steps (default 64)"},
    {"max-steps", NUM(N_MAXSTEPS), "N", "steps per episode, 2..100000 (default 64)"},
    {"batch", NUM(N_BATCH), "N", "DDQN minibatch, 1..256 (default 16)"},
    {"lr", NUM(N_LR), "X", "DDQN learning rate, 1e-9..0.5 (default 1e-4)"},
    {"alpha-con", NUM(N_ALPHA), "X", "CQL conservative weight alpha, 0..100 (default 0.1)"},
    {"target-every", NUM(N_TARGET), "C", "target-network copy period in updates (default 200)"},
    {"eval-episodes", NUM(N_EVAL), "N", "evaluation episodes per variant, 0 for none (default 50)"},
    {"variants", 'v', "LIST", "comma-separated dt_cql, dt_nocql, offline, online (default all)"},
    {"out", 'o', "FILE", "weights file of dt_cql (default qnet.weights)"},
    {"out-dir", 'd', "DIR", "every variant's weights, curves.csv and training.png/.svg"},
    {"export-c", 'x', "FILE", "the dt_cql network as C tables"},
    CLI_OPT_JSON('j'),
    CLI_OPT_QUIET('q'),
    CLI_OPT_PROGRESS('P'),
    {"gan-lr-d", NUM(N_GAN_LR_D), "X", "cGAN discriminator learning rate, 0..0.5 (default 1e-3)"},
    {"gan-logit", NUM(N_GAN_LOGIT), "0|1", "cGAN on the logit of P_D (default 0)"},
    {"keep-real", NUM(N_KEEP_REAL), "0|1",
     "keep the real transitions in the DDQN buffer (default 0)"},
    {"twin-scene", 's', "none|data|truth", "scene the twin is conditioned on (default truth)"},
    {"rollout-mask", NUM(N_ROLLOUT_MASK), "0|1",
     "mask beams already tried in twin rollouts (default 1)"},
    {"cql-real", NUM(N_CQL_REAL), "0|1", "CQL penalty on real transitions only (default 0)"},
    {"data", 'D', "FILE", "read the collected transitions from FILE instead of collecting"},
    {"save-data", 'S', "FILE", "write the collected transitions to FILE"},
    CLI_OPT_THREADS('T'),
    {"twin-select", NUM(N_TWIN_SELECT), "N",
     "keep the network scoring best in the twin every N episodes (default 0: off)"},
    {"select-episodes", NUM(N_SELECT_EPS), "N",
     "twin episodes per --twin-select score (default 200)"},
    {0}};
const struct cli_cmd cli_cmd_train = {
    "train",
    NULL,
    "learned beam selection: data collection, cGAN digital twin, dueling DDQN with CQL",
    TRAIN_OPTS,
    NULL,
    "Progress: bars on a terminal, otherwise one line per finished stage (docs/learning.md)."};

static int parse_args(int argc, char **argv, struct train_args *a)
{
    struct cli_parser p;
    cli_parser_init(&p, &cli_cmd_train, argc, argv);
    for (int c; (c = cli_next(&p)) != CLI_END;) {
        if (c >= NUM(0) && c < NUM(N_COUNT)) {
            a->num[c - NUM(0)] = p.arg;
            continue;
        }
        switch (c) {
        case 'c': a->config = p.arg; break;
        case 'r': a->radio = p.arg; break;
        case 'o': a->out = p.arg; break;
        case 'd': a->out_dir = p.arg; break;
        case 'x': a->export_c = p.arg; break;
        case 'v': a->variants = p.arg; break;
        case 's': a->scene = p.arg; break;
        case 'D': a->data = p.arg; break;
        case 'S': a->save_data = p.arg; break;
        case 'T':
            if (cli_parse_threads("train", p.arg, &a->threads))
                return CLI_EUSAGE;
            break;
        case 'j': a->json = 1; break;
        case 'q': a->quiet = 1; break;
        case 'P': a->progress = 1; break;
        case CLI_HELP: return -1;
        default: return CLI_EUSAGE;
        }
    }
    if (p.next < argc)
        return cli_usage("train", "unexpected argument '%s'", argv[p.next]);
    return 0;
}

static int parse_variants(const char *s, unsigned *mask)
{
    char buf[128];
    snprintf(buf, sizeof buf, "%s", s);
    *mask = 0;
    for (char *sv, *t = strtok_r(buf, ",", &sv); t; t = strtok_r(NULL, ",", &sv)) {
        unsigned v = 0;
        while (v < ISAC_TRAIN_NUM_VARIANTS &&
               strcmp(t, isac_train_variant_name((enum isac_train_variant)v)))
            v++;
        if (v == ISAC_TRAIN_NUM_VARIANTS)
            return cli_usage("train",
                             "--variants: unknown variant '%s' (expected dt_cql, "
                             "dt_nocql, offline, online)",
                             t);
        *mask |= 1u << v;
    }
    if (!*mask)
        return cli_usage("train", "--variants: empty list");
    return 0;
}

static int apply_numbers(const struct train_args *a, struct isac_train_cfg *c, unsigned *eval_eps)
{
    unsigned long ul;
    double d;
#define UOPT(i, name, lo, hi, dst)                                                                 \
    if (a->num[i]) {                                                                               \
        if (cli_parse_uint("train", name, a->num[i], lo, hi, &ul))                                 \
            return CLI_EUSAGE;                                                                     \
        dst = (unsigned)ul;                                                                        \
    }
    if (a->num[N_SEED] && cli_parse_u64("train", "--seed", a->num[N_SEED], &c->seed))
        return CLI_EUSAGE;
    UOPT(N_EPISODES, "--episodes", 1, 10000000, c->episodes);
    UOPT(N_COLLECT, "--collect", 2, 1000000, c->collect_episodes);
    UOPT(N_GAN, "--gan-epochs", 1, 100000, c->gan_epochs);
    UOPT(N_ONLINE, "--online-episodes", 1, 1000000, c->online_episodes);
    UOPT(N_HORIZON, "--horizon", 1, 100000, c->horizon);
    UOPT(N_MAXSTEPS, "--max-steps", 2, 100000, c->max_steps);
    UOPT(N_BATCH, "--batch", 1, 256, c->dqn.batch);
    UOPT(N_TARGET, "--target-every", 1, 10000000, c->dqn.target_every);
    UOPT(N_EVAL, "--eval-episodes", 0, 100000, *eval_eps);
    UOPT(N_GAN_LOGIT, "--gan-logit", 0, 1, c->gan.logit);
    UOPT(N_KEEP_REAL, "--keep-real", 0, 1, c->keep_real);
    UOPT(N_ROLLOUT_MASK, "--rollout-mask", 0, 1, c->rollout_mask);
    UOPT(N_CQL_REAL, "--cql-real", 0, 1, c->dqn.cql_real);
    UOPT(N_TWIN_SELECT, "--twin-select", 0, 10000000, c->twin_select);
    UOPT(N_SELECT_EPS, "--select-episodes", 1, 1000000, c->select_episodes);
    if (a->num[N_GAN_LR_D]) {
        if (cli_parse_double("train", "--gan-lr-d", a->num[N_GAN_LR_D], 0, 0.5, &d))
            return CLI_EUSAGE;
        c->gan.lr_d = (float)d;
    }
    if (a->num[N_LR]) {
        if (cli_parse_double("train", "--lr", a->num[N_LR], 1e-9, 0.5, &d))
            return CLI_EUSAGE;
        c->lr = (float)d;
    }
    if (a->num[N_ALPHA]) {
        if (cli_parse_double("train", "--alpha-con", a->num[N_ALPHA], 0, 100, &d))
            return CLI_EUSAGE;
        c->dqn.alpha_con = (float)d;
    }
    return 0;
}

/* ---- environment: host/engine/train_env.h; the radio opens here (site limits, exit statuses) ----
 */

static int open_radio(void *ctx, const char *spec, isac_radio *out)
{
    return cli_radio_open("train", spec, *(const int *)ctx, out);
}

/* ---- signals ----
 * SIGINT/SIGTERM only set this flag; the progress hook, called after every episode or epoch
 * of every stage, is the safe point where the run ends (train_interrupted). */
static volatile sig_atomic_t train_stop;
static void train_on_signal(int sig)
{
    train_stop = sig;
}

struct hook_ctx;
static void hook_saved(void *ctx, const char *path);

/* ---- data ---- */

/* The collection (or --data FILE), saved with --save-data, then the rest of training. */
static int collect_or_read(const struct train_args *a, const struct isac_train_cfg *tc,
                           const struct isac_train_env *te, const struct isac_train_hooks *th,
                           struct isac_train_result *res, char *err, size_t errlen)
{
    struct isac_train_data data = {0};
    int rc;
    if (a->data)
        rc = isac_train_data_read(a->data, te->num_beams, &tc->mdp, &data, err, errlen)
                 ? ISAC_EINVAL
                 : ISAC_OK;
    else
        rc = isac_train_collect(tc, te, th, &data, err, errlen);
    if (!rc && a->save_data &&
        isac_train_data_write(&data, te->num_beams, tc->mdp.tau, a->save_data, err, errlen))
        rc = ISAC_EIO;
    else if (!rc && a->save_data)
        hook_saved(th->ctx, a->save_data);
    if (!rc)
        rc = isac_train_run_data(tc, te, th, &data, res, err, errlen);
    isac_train_data_free(&data);
    return rc;
}

/* ---- progress and curves ---- */

struct hook_ctx {
    enum cli_progress mode; /* bars on a terminal; a line per finished stage otherwise */
    int drawn;              /* a bar line is open on stderr */
    FILE *csv;
    const char *csv_tmp; /* created by this run: removed when interrupted */
    const char *saved;   /* --save-data file already complete, or NULL */
    char last_stage[32];
    unsigned last_k;
};

static void hook_saved(void *ctx, const char *path)
{
    ((struct hook_ctx *)ctx)->saved = path;
}

/* The safe point of an interrupted training: nothing is half-written (every output is
 * written to a temporary and renamed, and none is being written during a stage), so the
 * curves' temporary is removed, one line says what was kept, and the process ends with
 * 128 + the signal. _exit: the OpenBLAS thread pool and the radio need no orderly
 * shutdown, and nothing else is buffered (stderr is flushed). */
static void train_interrupted(struct hook_ctx *h, const char *stage, unsigned done, unsigned total)
{
    int sig = train_stop;
    if (h->csv) {
        fclose(h->csv);
        unlink(h->csv_tmp);
    }
    if (h->drawn)
        fputc('\n', stderr);
    fprintf(stderr, "isactb train: interrupted by %s during %s (%u of %u): %s%s%s\n",
            sig == SIGTERM ? "SIGTERM" : "SIGINT", stage, done, total,
            h->saved ? "kept the collection " : "nothing kept (no weights written)",
            h->saved ? h->saved : "", h->saved ? "; no weights written" : "");
    fflush(stdout);
    fflush(stderr);
    _exit(128 + sig);
}

static void on_progress(void *ctx, const char *stage, unsigned done, unsigned total)
{
    struct hook_ctx *h = ctx;
    if (train_stop)
        train_interrupted(h, stage, done, total);
    if (h->mode == CLI_PROGRESS_QUIET)
        return;
    int same = !strcmp(stage, h->last_stage);
    if (h->mode == CLI_PROGRESS_LINES) { /* redirected: no carriage returns, one line a stage */
        if (done == total && !(same && h->last_k == done)) {
            fprintf(stderr, "isactb train: %s: %u/%u done\n", stage, done, total);
            snprintf(h->last_stage, sizeof h->last_stage, "%s", stage);
            h->last_k = done;
        }
        return;
    }
    unsigned w = 40, k = total ? (unsigned)((double)done / total * w) : w;
    if (same && k == h->last_k && done != total)
        return; /* redraw only when the bar moves */
    if (!same && h->last_stage[0])
        fputc('\n', stderr);
    snprintf(h->last_stage, sizeof h->last_stage, "%s", stage);
    h->last_k = k;
    char bar[41];
    for (unsigned i = 0; i < w; i++)
        bar[i] = i < k ? '#' : '.';
    bar[w] = '\0';
    fprintf(stderr, "\r%-9s [%s] %u/%u", stage, bar, done, total);
    h->drawn = 1;
}

static void on_curve(void *ctx, const char *series, unsigned x, double a, double b, double c,
                     double d)
{
    struct hook_ctx *h = ctx;
    if (h->csv)
        fprintf(h->csv, "%s,%u,%.9g,%.9g,%.9g,%.9g\n", series, x, a, b, c, d);
}

/* ---- outputs ---- */

static int write_text(const char *path, const char *text)
{
    char tmp[1300];
    if (strlen(path) > 1200)
        return -1;
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = isac_fcreate_excl(tmp, NULL, 0); /* never another run's file */
    if (!f)
        return -1;
    int bad = fputs(text, f) < 0;
    bad |= fclose(f) != 0;
    if (bad || rename(tmp, path)) {
        remove(tmp);
        return -1;
    }
    return 0;
}

static void commit_id(char *out, size_t n)
{
    const char *env = getenv("ISACTB_COMMIT");
    snprintf(out, n, "unknown");
    if (env && env[0]) {
        snprintf(out, n, "%s", env);
        return;
    }
    FILE *p = popen("git rev-parse HEAD 2>/dev/null", "r");
    if (!p)
        return;
    char buf[64] = "";
    if (fgets(buf, sizeof buf, p) && strlen(buf) >= 40) {
        buf[strcspn(buf, "\n")] = '\0';
        snprintf(out, n, "%s", buf);
    }
    pclose(p);
}

static void command_line(int argc, char **argv, char *out, size_t n)
{
    size_t k = (size_t)snprintf(out, n, "isactb");
    for (int i = 0; i < argc && k < n; i++)
        k += (size_t)snprintf(out + k, n - k, " %s", argv[i]);
}

static int write_outputs(const struct train_args *a, const struct isac_train_result *res,
                         const struct isac_train_cfg *c, int argc, char **argv)
{
    char cmd[2048], commit[64], prov[4096];
    command_line(argc, argv, cmd, sizeof cmd);
    commit_id(commit, sizeof commit);
    json_t *pj =
        json_pack("{s:s,s:I,s:s}", "command", cmd, "seed", (json_int_t)c->seed, "commit", commit);
    char *ps = json_dumps(pj, JSON_COMPACT);
    snprintf(prov, sizeof prov, "%s", ps ? ps : "{}");
    free(ps);
    json_decref(pj);
    for (unsigned v = 0; v < ISAC_TRAIN_NUM_VARIANTS; v++) {
        if (!res->v[v].trained)
            continue;
        char path[1200];
        if (v == ISAC_TRAIN_DT_CQL)
            snprintf(path, sizeof path, "%s", a->out ? a->out : "qnet.weights");
        else if (a->out_dir)
            snprintf(path, sizeof path, "%s/qnet_%s.weights", a->out_dir,
                     isac_train_variant_name((enum isac_train_variant)v));
        else
            continue;
        char *txt = isac_qnet_format_json(&res->v[v].def, prov);
        int bad = !txt || write_text(path, txt);
        free(txt);
        if (bad)
            return cli_runtime_error("train", "%s: cannot write the weights file", path);
    }
    if (a->export_c && res->v[ISAC_TRAIN_DT_CQL].trained) {
        char hdr[4096];
        snprintf(hdr, sizeof hdr,
                 "Dueling Q-network of seed 004 (DT-assisted offline DDQN with CQL).\n"
                 "command: %s\nseed: %llu\ncommit: %s\n"
                 "evaluation: %.2f mean steps, success %.3f (training radio, unseen episodes)",
                 cmd, (unsigned long long)c->seed, commit, res->v[ISAC_TRAIN_DT_CQL].steps_mean,
                 res->v[ISAC_TRAIN_DT_CQL].success);
        char *src = isac_qnet_format_c(&res->v[ISAC_TRAIN_DT_CQL].def, "isac_qnet_default", hdr);
        int bad = !src || write_text(a->export_c, src);
        free(src);
        if (bad)
            return cli_runtime_error("train", "%s: cannot write the C tables", a->export_c);
    }
    return 0;
}

static json_t *jnum(double v)
{
    return isnan(v) ? json_null() : json_real(v);
}

static json_t *result_json(const struct isac_train_result *res, const struct isac_train_cfg *c)
{
    json_t *vars = json_object();
    for (unsigned v = 0; v < ISAC_TRAIN_NUM_VARIANTS; v++) {
        const struct isac_train_variant_result *r = &res->v[v];
        if (!r->trained)
            continue;
        json_t *o = json_pack("{s:o,s:o}", "steps_mean", jnum(r->steps_mean), "success_rate",
                              jnum(r->success));
        if (!isnan(r->twin_score)) {
            /* --twin-select: which twin episode's network was kept, and its twin score */
            json_object_set_new(o, "selected_episode", json_integer(r->selected));
            json_object_set_new(o, "twin_steps_mean", json_real(r->twin_score));
        }
        json_object_set_new(vars, isac_train_variant_name((enum isac_train_variant)v), o);
    }
    json_t *twin = json_pack(
        "{s:f,s:f,s:f,s:f,s:f,s:f,s:f,s:I,s:o,s:o}", "kl", res->kl, "wasserstein", res->w1, "mmd",
        res->mmd, "loss_d", res->gan_ld, "loss_g", res->gan_lg, "hit_real", res->hit_real,
        "hit_generated", res->hit_gen, "near_n", (json_int_t)res->near_n, "near_hit_real",
        jnum(res->near_hit_real), "near_hit_generated", jnum(res->near_hit_gen));
    return json_pack("{s:I,s:I,s:I,s:I,s:o,s:o}", "seed", (json_int_t)c->seed, "transitions",
                     (json_int_t)res->transitions, "twin_train", (json_int_t)res->train_n,
                     "twin_holdout", (json_int_t)res->holdout_n, "twin", twin, "variants", vars);
}

static int setup(const struct train_args *a, struct isac_exp_config *cfg, struct isac_train_cfg *tc,
                 unsigned *eval_eps)
{
    char err[512];
    isac_exp_config_defaults(cfg);
    if (a->config && isac_exp_config_load(a->config, cfg, err, sizeof err))
        return cli_input_error("train", "%s", err);
    if (a->radio)
        snprintf(cfg->radio, sizeof cfg->radio, "%s", a->radio);
    isac_train_cfg_defaults(tc);
    tc->seed = cfg->seed;
    tc->mdp.zeta = cfg->zeta;
    int rc = apply_numbers(a, tc, eval_eps);
    if (!rc && a->variants)
        rc = parse_variants(a->variants, &tc->variants);
    if (!rc && a->scene) {
        if (!strcmp(a->scene, "none") || !strcmp(a->scene, "data") || !strcmp(a->scene, "truth")) {
            tc->gan.scene = strcmp(a->scene, "none") != 0;
            tc->twin_truth = !strcmp(a->scene, "truth");
        } else {
            rc = cli_usage("train", "--twin-scene: '%s' is not none, data or truth", a->scene);
        }
    }
    if (rc)
        return rc;
    if (isac_train_cfg_check(tc, err, sizeof err))
        return cli_usage("train", "%s", err);
    if (isac_exp_config_validate(cfg, "command line", err, sizeof err))
        return cli_usage("train", "%s", err);
    return 0;
}

/* `isactb train lstm ...`: the Bi-LSTM of seed 000 (host/cli/cmd_train_lstm.c) */
int cmd_train_lstm(int argc, char **argv);

int cmd_train(int argc, char **argv)
{
    if (argc >= 2 && !strcmp(argv[1], "lstm"))
        return cmd_train_lstm(argc - 1, argv + 1);
    struct train_args a = {0};
    struct isac_exp_config cfg;
    struct isac_train_cfg tc;
    unsigned eval_eps = 50;
    int rc = parse_args(argc, argv, &a);
    if (rc)
        return rc < 0 ? CLI_OK : rc;
    if ((rc = setup(&a, &cfg, &tc, &eval_eps)))
        return rc;
    /* the output directory is this run's alone until it ends (host/common/out_dir.h); the
     * descriptor is released when the process exits */
    char lerr[512] = "";
    int out_lock = a.out_dir ? isac_dir_lock(a.out_dir, lerr, sizeof lerr) : -1;
    if (a.out_dir && out_lock < 0)
        return cli_input_error("train", "--out-dir %s", lerr);
    train_stop = 0;
    signal(SIGINT, train_on_signal);
    signal(SIGTERM, train_on_signal);
    /* One BLAS thread: the same sums in the same order on every run. */
    openblas_set_num_threads(1);
    int spec_from_cli = a.radio != NULL;
    struct isac_exp_train_env ec = {.cfg = &cfg,
                                    .open_radio = open_radio,
                                    .open_ctx = &spec_from_cli,
                                    .eval_episodes = eval_eps,
                                    .max_steps = cfg.max_steps,
                                    .seed = cfg.seed,
                                    .threads = a.threads};
    char err[512] = "";
    if ((rc = isac_exp_train_env_open(&ec, err, sizeof err)))
        return rc < 0 ? cli_input_error("train", "%s", err) : rc;
    struct isac_train_env te;
    isac_exp_train_env_iface(&ec, &te);
    struct hook_ctx hc = {.mode = cli_progress_mode(a.quiet, a.progress)};
    char csv_path[1200] = "", csv_tmp[1210] = "";
    hc.csv_tmp = csv_tmp;
    if (a.out_dir) {
        /* written as it goes into a temporary file, renamed only after a complete run */
        snprintf(csv_path, sizeof csv_path, "%s/curves.csv", a.out_dir);
        snprintf(csv_tmp, sizeof csv_tmp, "%s.tmp", csv_path);
        hc.csv = isac_fcreate_excl(csv_tmp, NULL, 0);
        if (hc.csv)
            fputs("series,x,return_or_loss_d,steps_or_loss_g,loss,epsilon\n", hc.csv);
    }
    struct isac_train_hooks th = {&hc, on_progress, on_curve};
    struct isac_train_result res;
    int trc = collect_or_read(&a, &tc, &te, &th, &res, err, sizeof err);
    if (hc.drawn)
        fputc('\n', stderr);
    if (hc.csv && (fclose(hc.csv) || trc || rename(csv_tmp, csv_path)))
        remove(csv_tmp);
    if (trc) {
        rc = trc == ISAC_EINVAL ? cli_input_error("train", "%s", err)
                                : cli_runtime_error("train", "%s", err);
    } else {
        rc = write_outputs(&a, &res, &tc, argc, argv);
        if (!rc && a.out_dir) {
            char png[1200];
            snprintf(png, sizeof png, "%s/training.png", a.out_dir);
            char ferr[512];
            if (isac_report_training_figure(csv_path, png, ferr, sizeof ferr))
                rc = cli_runtime_error("train", "figure: %s", ferr); /* weights are kept */
        }
        json_t *j = result_json(&res, &tc);
        if (!rc && a.json) {
            json_dumpf(j, stdout, JSON_COMPACT);
            putchar('\n');
        }
        /* the summary is a result: stdout, unless stdout carries the JSON object */
        if (!rc && !(a.json && a.quiet)) {
            FILE *o = a.json ? stderr : stdout;
            char hr[32], hg[32], nr[32], ng[32];
            fprintf(o,
                    "isactb train: %zu transitions; twin KL %.4f W1 %.4f MMD %.4f; P_D >= zeta "
                    "in %s of held-out transitions (twin %s), near the target %s (twin %s)\n",
                    res.transitions, res.kl, res.w1, res.mmd,
                    cli_percent(hr, sizeof hr, res.hit_real, 2),
                    cli_percent(hg, sizeof hg, res.hit_gen, 2),
                    cli_percent(nr, sizeof nr, res.near_hit_real, 1),
                    cli_percent(ng, sizeof ng, res.near_hit_gen, 1));
            for (unsigned v = 0; v < ISAC_TRAIN_NUM_VARIANTS; v++)
                if (res.v[v].trained) {
                    char st[32], su[32];
                    fprintf(o, "  %-9s %s mean steps, success %s\n",
                            isac_train_variant_name((enum isac_train_variant)v),
                            cli_number(st, sizeof st, res.v[v].steps_mean, 2),
                            cli_number(su, sizeof su, res.v[v].success, 2));
                }
        }
        json_decref(j);
        isac_train_result_free(&res);
    }
    isac_exp_train_env_close(&ec);
    isac_dir_unlock(out_lock);
    if (train_stop && rc == CLI_OK) {
        /* the signal came after the last safe point: every output is complete */
        fprintf(stderr, "isactb train: interrupted by %s after training: kept every output\n",
                train_stop == SIGTERM ? "SIGTERM" : "SIGINT");
        return 128 + train_stop;
    }
    return rc;
}
