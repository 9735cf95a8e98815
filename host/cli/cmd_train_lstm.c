/* isactb train lstm: a Bi-LSTM (host/learn/lstm.h) trained on a sequence data file
 * (host/learn/lstm_data.h) by host/learn/lstm_train.h; the curves are
 * host/engine/lstm_figure.h's (seed 000 Figs. 5 and 6). This file parses the options
 * and writes the outputs (docs/learning.md "Bi-LSTM", docs/cli.md). */
#include <cblas.h>
#include <jansson.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "common/err.h"
#include "common/out_dir.h"
#include "engine/lstm_figure.h"
#include "learn/lstm.h"
#include "learn/lstm_data.h"
#include "learn/lstm_train.h"

struct lstm_args {
    const char *data, *val, *out, *export_c, *symbol, *out_dir;
    const char *hidden, *layers, *dense, *epochs, *batch, *lr, *seed, *val_fraction;
    unsigned threads;
    int json, quiet;
};

static const struct cli_opt TRAIN_LSTM_OPTS[] = {
    {"data", 'D', "FILE", "training sequences (ISACSEQ1, required)"},
    {"val", 'V', "FILE", "validation sequences (default: --val-fraction of --data)"},
    {"val-fraction", 'F', "F", "fraction of --data held out for validation, 0..0.9 (default 0.2)"},
    {"hidden", 'H', "N", "hidden units per direction (default 32)"},
    {"layers", 'L', "N", "Bi-LSTM layers, 1..4 (default 1)"},
    {"dense", 'N', "LIST", "widths of the dense ReLU layers, comma-separated (default 32)"},
    {"epochs", 'E', "N", "training epochs (default 50)"},
    {"batch", 'B', "N", "sequences per Adam step (default 32)"},
    {"lr", 'R', "X", "Adam learning rate (default 1e-3)"},
    {"seed", 'S', "N", "seed of the weights and the batch order (default 1)"},
    {"threads", 'T', "N",
     "threads over the batch; the weights do not depend on it (default: all cores)"},
    {"out", 'o', "FILE", "weights file to write (default lstm.weights)"},
    {"export-c", 'x', "FILE", "the trained network as C tables"},
    {"symbol", 'y', "NAME", "C symbol of the exported tables (default bilstm_trained)"},
    {"out-dir", 'd', "DIR", "curves.csv and the training figure (PNG and SVG)"},
    CLI_OPT_JSON('j'),
    {"quiet", 'q', NULL, "no per-epoch progress on stderr"},
    {0}};
const struct cli_cmd cli_cmd_train_lstm = {
    "train lstm",
    NULL,
    "the Bi-LSTM of seed 000 on a sequence data file (docs/learning.md)",
    TRAIN_LSTM_OPTS,
    NULL,
    "The head (sigmoid/BCE classification or linear/MSE regression with the file's unit-ball\n"
    "groups) comes from the data file (ISACSEQ1)."};

static int parse_args(int argc, char **argv, struct lstm_args *a)
{
    int c;
    a->threads = 1;
    struct cli_parser cp;
    cli_parser_init(&cp, &cli_cmd_train_lstm, argc, argv);
    while ((c = cli_next(&cp)) != CLI_END) {
        switch (c) {
        case 'D': a->data = cp.arg; break;
        case 'V': a->val = cp.arg; break;
        case 'F': a->val_fraction = cp.arg; break;
        case 'H': a->hidden = cp.arg; break;
        case 'L': a->layers = cp.arg; break;
        case 'N': a->dense = cp.arg; break;
        case 'E': a->epochs = cp.arg; break;
        case 'B': a->batch = cp.arg; break;
        case 'R': a->lr = cp.arg; break;
        case 'S': a->seed = cp.arg; break;
        case 'T':
            if (cli_parse_threads("train lstm", cp.arg, &a->threads))
                return CLI_EUSAGE;
            break;
        case 'o': a->out = cp.arg; break;
        case 'x': a->export_c = cp.arg; break;
        case 'y': a->symbol = cp.arg; break;
        case 'd': a->out_dir = cp.arg; break;
        case 'j': a->json = 1; break;
        case 'q': a->quiet = 1; break;
        case CLI_HELP: return -1;
        default: return CLI_EUSAGE;
        }
    }
    if (cp.next < argc)
        return cli_usage("train lstm", "unexpected argument '%s'", argv[cp.next]);
    if (!a->data)
        return cli_usage("train lstm", "--data FILE is required (a sequence data file)");
    if (a->val && a->val_fraction)
        return cli_usage("train lstm", "--val and --val-fraction exclude each other");
    return 0;
}

/* --dense "32,16" (or "none") into c. */
static int parse_dense(const char *s, struct isac_bilstm_cfg *c)
{
    c->ndense = 0;
    if (!strcmp(s, "none"))
        return 0;
    char buf[128];
    snprintf(buf, sizeof buf, "%s", s);
    for (char *sv, *t = strtok_r(buf, ",", &sv); t; t = strtok_r(NULL, ",", &sv)) {
        unsigned long w;
        if (c->ndense == ISAC_BILSTM_MAX_DENSE)
            return cli_usage("train lstm", "--dense: more than %d layers", ISAC_BILSTM_MAX_DENSE);
        if (cli_parse_uint("train lstm", "--dense", t, 1, 4096, &w))
            return CLI_EUSAGE;
        c->dense[c->ndense++] = (unsigned)w;
    }
    return 0;
}

static int apply_numbers(const struct lstm_args *a, struct isac_bilstm_cfg *c,
                         struct isac_lstm_train_cfg *tc, double *val_fraction)
{
    unsigned long ul;
    double d;
    const char *cmd = "train lstm";
    if (a->hidden) {
        if (cli_parse_uint(cmd, "--hidden", a->hidden, 1, 1024, &ul))
            return CLI_EUSAGE;
        c->hidden = (unsigned)ul;
    }
    if (a->layers) {
        if (cli_parse_uint(cmd, "--layers", a->layers, 1, ISAC_BILSTM_MAX_LAYERS, &ul))
            return CLI_EUSAGE;
        c->layers = (unsigned)ul;
    }
    if (a->dense && parse_dense(a->dense, c))
        return CLI_EUSAGE;
    if (a->epochs) {
        if (cli_parse_uint(cmd, "--epochs", a->epochs, 1, 1000000, &ul))
            return CLI_EUSAGE;
        tc->epochs = (unsigned)ul;
    }
    if (a->batch) {
        if (cli_parse_uint(cmd, "--batch", a->batch, 1, 65536, &ul))
            return CLI_EUSAGE;
        tc->batch = (unsigned)ul;
    }
    if (a->lr) {
        if (cli_parse_double(cmd, "--lr", a->lr, 1e-9, 1, &d))
            return CLI_EUSAGE;
        tc->lr = (float)d;
    }
    if (a->seed && cli_parse_u64(cmd, "--seed", a->seed, &tc->seed))
        return CLI_EUSAGE;
    if (a->val_fraction &&
        cli_parse_double(cmd, "--val-fraction", a->val_fraction, 0, 0.9, val_fraction))
        return CLI_EUSAGE;
    return 0;
}

/* ---- signals: the epoch hook is the safe point ---- */

static volatile sig_atomic_t lstm_stop;
static void lstm_on_signal(int sig)
{
    lstm_stop = sig;
}

struct epoch_ctx {
    int quiet;
    unsigned epochs;
    enum isac_bilstm_head head;
};

static int on_epoch(void *ctx, const struct isac_lstm_epoch *e)
{
    const struct epoch_ctx *h = ctx;
    if (!h->quiet) {
        fprintf(stderr, "epoch %u/%u: ", e->epoch, h->epochs);
        if (h->head == ISAC_BILSTM_HEAD_BCE)
            fprintf(stderr, "train loss %.4f accuracy %.2f %%", e->train.loss,
                    100 * e->train.accuracy);
        else
            fprintf(stderr, "train MSE %.4g", e->train.mse);
        if (e->val.elements && h->head == ISAC_BILSTM_HEAD_BCE)
            fprintf(stderr, ", validation loss %.4f accuracy %.2f %%", e->val.loss,
                    100 * e->val.accuracy);
        else if (e->val.elements)
            fprintf(stderr, ", validation MSE %.4g", e->val.mse);
        fputc('\n', stderr);
    }
    return lstm_stop != 0;
}

/* ---- data ---- */

static int load_data(const struct lstm_args *a, double val_fraction, struct isac_seqset *tr,
                     struct isac_seqset *va)
{
    char err[600];
    struct isac_seqset all;
    if (isac_seqset_read(a->data, &all, err, sizeof err))
        return cli_input_error("train lstm", "%s", err);
    memset(va, 0, sizeof *va);
    if (a->val) {
        *tr = all;
        if (isac_seqset_read(a->val, va, err, sizeof err)) {
            isac_seqset_free(tr);
            return cli_input_error("train lstm", "%s", err);
        }
        if (va->in != tr->in || va->out != tr->out || va->head != tr->head ||
            va->ball_groups != tr->ball_groups) {
            int rc = cli_input_error("train lstm",
                                     "%s: in/out/head/ball_groups %u/%u/%u/%u differ from %s's "
                                     "%u/%u/%u/%u",
                                     a->val, va->in, va->out, va->head, va->ball_groups, a->data,
                                     tr->in, tr->out, tr->head, tr->ball_groups);
            isac_seqset_free(tr);
            isac_seqset_free(va);
            return rc;
        }
        return 0;
    }
    /* the last val_fraction of the file's sequences validate (the paper: 3000 of 13000) */
    size_t nval = (size_t)floor(val_fraction * (double)all.n);
    if (nval == 0) {
        *tr = all;
        return 0;
    }
    if (nval >= all.n) {
        isac_seqset_free(&all);
        return cli_input_error("train lstm", "%s: %zu sequences: too few to hold out %g", a->data,
                               all.n, val_fraction);
    }
    int rc = isac_seqset_split(&all, all.n - nval, tr, va);
    isac_seqset_free(&all);
    return rc ? cli_runtime_error("train lstm", "out of memory") : 0;
}

/* ---- outputs ---- */

static json_t *jnum(double v)
{
    return isfinite(v) ? json_real(v) : json_null();
}

static json_t *metrics_json(const struct isac_bilstm_metrics *m)
{
    return json_pack("{s:o,s:o,s:o}", "loss", jnum(m->loss), "accuracy", jnum(m->accuracy), "mse",
                     jnum(m->mse));
}

static int write_text(const char *path, const char *text, char *err, size_t errlen)
{
    char tmp[4200];
    if (snprintf(tmp, sizeof tmp, "%s.tmp", path) >= (int)sizeof tmp) {
        isac_seterr(err, errlen, "%s: path too long", path);
        return -1;
    }
    FILE *f = isac_fcreate_excl(tmp, err, errlen); /* never another run's file */
    if (!f)
        return -1;
    int bad = fputs(text, f) < 0;
    bad |= fclose(f) != 0;
    if (bad || rename(tmp, path)) {
        isac_seterr(err, errlen, "%s: cannot write", path);
        remove(tmp);
        return -1;
    }
    return 0;
}

static int write_curves(const char *dir, const struct isac_lstm_epoch *h, unsigned n, char *err,
                        size_t errlen)
{
    size_t cap = 128 + (size_t)n * 160;
    char *s = malloc(cap);
    if (!s) {
        isac_seterr(err, errlen, "out of memory");
        return -1;
    }
    size_t k = (size_t)snprintf(s, cap,
                                "epoch,train_loss,train_accuracy,train_mse,val_loss,"
                                "val_accuracy,val_mse\n");
    for (unsigned i = 0; i < n; i++)
        k += (size_t)snprintf(s + k, cap - k, "%u,%.9g,%.9g,%.9g,%.9g,%.9g,%.9g\n", h[i].epoch,
                              h[i].train.loss, h[i].train.accuracy, h[i].train.mse, h[i].val.loss,
                              h[i].val.accuracy, h[i].val.mse);
    char path[4200];
    snprintf(path, sizeof path, "%s/curves.csv", dir);
    int rc = write_text(path, s, err, errlen);
    free(s);
    return rc;
}

/* The source's commit for the C header: $ISACTB_COMMIT, else git, else "unknown". */
static void commit_id(char *out, size_t n)
{
    const char *env = getenv("ISACTB_COMMIT");
    snprintf(out, n, "%s", env && env[0] ? env : "unknown");
    if (env && env[0])
        return;
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

static int write_outputs(const struct lstm_args *a, isac_bilstm n, const struct isac_lstm_epoch *h,
                         unsigned ran, uint64_t seed, int argc, char **argv)
{
    char err[600], cmd[2048];
    size_t k = (size_t)snprintf(cmd, sizeof cmd, "isactb train");
    for (int i = 0; i < argc && k < sizeof cmd; i++)
        k += (size_t)snprintf(cmd + k, sizeof cmd - k, " %s", argv[i]);
    json_t *pj =
        json_pack("{s:s,s:I,s:s}", "command", cmd, "seed", (json_int_t)seed, "data", a->data);
    char *prov = json_dumps(pj, JSON_COMPACT);
    json_decref(pj);
    const char *out = a->out ? a->out : "lstm.weights";
    int rc = isac_bilstm_save(n, out, prov, err, sizeof err);
    free(prov);
    if (rc)
        return cli_runtime_error("train lstm", "%s", err);
    if (a->export_c) {
        char hdr[2400], commit[64];
        commit_id(commit, sizeof commit);
        snprintf(hdr, sizeof hdr,
                 "Bi-LSTM weights (docs/learning.md)\ncommand: %s\nseed: %llu\ncommit: %s", cmd,
                 (unsigned long long)seed, commit);
        char *src = isac_bilstm_format_c(n, a->symbol ? a->symbol : "bilstm_trained", hdr);
        if (!src || write_text(a->export_c, src, err, sizeof err)) {
            free(src);
            return cli_runtime_error("train lstm", "--export-c %s", src ? err : "out of memory");
        }
        free(src);
    }
    if (a->out_dir) {
        if (write_curves(a->out_dir, h, ran, err, sizeof err))
            return cli_runtime_error("train lstm", "%s", err);
        struct isac_lstm_curve cv = {NULL, h, ran};
        if (isac_lstm_figure(a->out_dir, "lstm_training", isac_bilstm_get_cfg(n)->head, &cv, 1, err,
                             sizeof err))
            return cli_runtime_error("train lstm", "figure: %s", err); /* weights are kept */
    }
    return CLI_OK;
}

static void print_json(const struct lstm_args *a, isac_bilstm n, const struct isac_seqset *tr,
                       const struct isac_seqset *va, const struct isac_lstm_epoch *h, unsigned ran)
{
    const struct isac_bilstm_cfg *c = isac_bilstm_get_cfg(n);
    json_t *eps = json_array();
    for (unsigned i = 0; i < ran; i++)
        json_array_append_new(eps,
                              json_pack("{s:i,s:o,s:o}", "epoch", (json_int_t)h[i].epoch, "train",
                                        metrics_json(&h[i].train), "val", metrics_json(&h[i].val)));
    json_t *j = json_pack("{s:s,s:i,s:i,s:i,s:i,s:I,s:I,s:I,s:s,s:o}", "head",
                          c->head == ISAC_BILSTM_HEAD_MSE ? "mse" : "bce", "in", (json_int_t)c->in,
                          "out", (json_int_t)c->out, "hidden", (json_int_t)c->hidden, "layers",
                          (json_int_t)c->layers, "params", (json_int_t)isac_bilstm_num_params(n),
                          "train_sequences", (json_int_t)tr->n, "val_sequences", (json_int_t)va->n,
                          "weights", a->out ? a->out : "lstm.weights", "epochs", eps);
    json_dumpf(j, stdout, JSON_COMPACT);
    putchar('\n');
    json_decref(j);
}

int cmd_train_lstm(int argc, char **argv)
{
    struct lstm_args a = {0};
    int rc = parse_args(argc, argv, &a);
    if (rc)
        return rc < 0 ? CLI_OK : rc;
    struct isac_bilstm_cfg c;
    isac_bilstm_cfg_defaults(&c, 1, 1);
    struct isac_lstm_train_cfg tc;
    isac_lstm_train_cfg_defaults(&tc);
    double val_fraction = 0.2;
    if ((rc = apply_numbers(&a, &c, &tc, &val_fraction)))
        return rc;
    char err[600];
    if (isac_lstm_train_cfg_check(&tc, err, sizeof err))
        return cli_usage("train lstm", "%s", err);
    char lerr[512] = "";
    int out_lock = a.out_dir ? isac_dir_lock(a.out_dir, lerr, sizeof lerr) : -1;
    if (a.out_dir && out_lock < 0)
        return cli_input_error("train lstm", "--out-dir %s", lerr);
    struct isac_seqset tr, va;
    if ((rc = load_data(&a, val_fraction, &tr, &va))) {
        isac_dir_unlock(out_lock);
        return rc;
    }
    /* the network's shape from the data and the options */
    c.in = tr.in;
    c.out = tr.out;
    c.head = (enum isac_bilstm_head)tr.head;
    c.ball_groups = tr.ball_groups;
    c.max_len = tr.max_len > va.max_len ? tr.max_len : va.max_len;
    c.max_batch = tc.batch;
    c.threads = a.threads;
    openblas_set_num_threads(1); /* one BLAS thread: the same sums on every run */
    isac_bilstm n = isac_bilstm_create(&c, tc.seed, err, sizeof err);
    struct isac_lstm_epoch *hist = calloc(tc.epochs, sizeof *hist);
    if (!n || !hist) {
        rc = n ? cli_runtime_error("train lstm", "out of memory")
               : cli_usage("train lstm", "%s", err);
        goto out;
    }
    lstm_stop = 0;
    signal(SIGINT, lstm_on_signal);
    signal(SIGTERM, lstm_on_signal);
    struct epoch_ctx ec = {a.quiet, tc.epochs, c.head};
    struct isac_lstm_train_hooks hk = {&ec, on_epoch};
    unsigned ran = 0;
    int trc = isac_lstm_train(n, &tc, &tr, &va, &hk, hist, &ran, err, sizeof err);
    if (trc == ISAC_EINTR) {
        fprintf(stderr, "isactb train lstm: interrupted by %s after epoch %u: nothing written\n",
                lstm_stop == SIGTERM ? "SIGTERM" : "SIGINT", ran);
        rc = 128 + lstm_stop;
        goto out;
    }
    if (trc) {
        rc = trc == ISAC_EINVAL ? cli_input_error("train lstm", "%s", err)
                                : cli_runtime_error("train lstm", "%s", err);
        goto out;
    }
    rc = write_outputs(&a, n, hist, ran, tc.seed, argc, argv);
    if (!rc && a.json)
        print_json(&a, n, &tr, &va, hist, ran);
out:
    free(hist);
    isac_bilstm_destroy(n);
    isac_seqset_free(&tr);
    isac_seqset_free(&va);
    isac_dir_unlock(out_lock);
    return rc;
}
