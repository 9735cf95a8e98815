/* The evaluation behind `isactb bench policies`: policy_bench.h. */
#include <math.h>
#include <plplot/plplot.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <errno.h>
#include <unistd.h>

#include "common/err.h"
#include "common/child.h"
#include "common/out_dir.h"
#include "common/file_open.h"
#include "common/pool.h"
#include "engine/figure.h"
#include "engine/mdp_env.h"
#include "engine/policy_bench.h"
#include "engine/run.h"

#define PB_EPISODE_SPAN_S 1.0 /* > max_steps x step_interval_s of the default experiment */

static int cmp_u(const void *a, const void *b)
{
    unsigned x = *(const unsigned *)a, y = *(const unsigned *)b;
    return (x > y) - (x < y);
}

/* 95th percentile (nearest rank) of n values. */
static double p95(unsigned *v, unsigned n)
{
    qsort(v, n, sizeof *v, cmp_u);
    unsigned k = (unsigned)ceil(0.95 * n);
    return v[(k ? k : 1) - 1];
}

/* Standard error of a mean from the sum and the sum of squares of n values. */
static double sem(double sum, double sum2, unsigned n)
{
    if (n < 2)
        return NAN;
    double var = (sum2 - sum * sum / n) / (n - 1);
    return sqrt(var > 0 ? var : 0) / sqrt((double)n);
}

void isac_policy_bench_paired(const struct isac_policy_bench_policy *pols, unsigned npol,
                              const unsigned *steps, unsigned episodes, double power, double pfa,
                              struct isac_policy_bench_cmp *cmps, unsigned *ncmp)
{
    unsigned a = npol;
    for (unsigned k = 0; k < npol; k++)
        a = !strcmp(pols[k].name, "qnet") ? k : a;
    for (unsigned b = 0; a < npol && b < npol; b++) {
        if (b == a)
            continue;
        double sum = 0, sum2 = 0;
        for (unsigned e = 0; e < episodes; e++) {
            double d = (double)steps[(size_t)b * episodes + e] - steps[(size_t)a * episodes + e];
            sum += d;
            sum2 += d * d;
        }
        cmps[(*ncmp)++] = (struct isac_policy_bench_cmp){
            a, b, power, pfa, sum / episodes, sem(sum, sum2, episodes)};
    }
}

int isac_policy_bench_load_weights(const char *path, struct isac_policy_bench_policy *p, char *err,
                                   size_t errlen)
{
    if (access(path, F_OK) && errno == ENOENT)
        return 0; /* no weights: the policy is left out */
    char *buf = NULL;
    size_t n = 0;
    if (isac_read_input(path, (16u << 20) - 1, &buf, &n, err, errlen)) /* regular files only */
        return -1;
    char why[256];
    int rc = isac_qnet_file_parse(buf, n, 5, 16, &p->qf, why, sizeof why);
    free(buf);
    if (rc) {
        snprintf(err, errlen, "%s: %s", path, why);
        return -1;
    }
    p->kind = "qnet";
    return 1;
}

unsigned isac_policy_bench_registry(struct isac_policy_bench_policy *pols)
{
    const struct isac_policy_registry *reg = isac_policy_registry_builtin();
    unsigned n = 0;
    for (size_t i = 0; i < reg->count && n + 3 < ISAC_POLICY_BENCH_MAX; i++, n++) {
        snprintf(pols[n].name, sizeof pols[n].name, "%s", reg->entries[i]->name);
        pols[n].kind = reg->entries[i]->name;
    }
    return n;
}

int isac_policy_bench_load_variant(const char *dir, const char *variant,
                                   struct isac_policy_bench_policy *p, char *err, size_t errlen)
{
    char path[1200];
    snprintf(path, sizeof path, "%s/qnet_%s.weights", dir, variant);
    int k = isac_policy_bench_load_weights(path, p, err, errlen);
    if (k > 0)
        snprintf(p->name, sizeof p->name, "qnet_%s", variant);
    return k;
}

int isac_policy_bench_select(const char *list, struct isac_policy_bench_policy *pols,
                             unsigned *npol)
{
    unsigned any = 0;
    for (unsigned k = 0; k < *npol; k++) {
        size_t n = strlen(pols[k].name);
        for (const char *s = list; *s; s += strcspn(s, ",") + (s[strcspn(s, ",")] ? 1 : 0))
            any |= strcspn(s, ",") == n && !strncmp(s, pols[k].name, n);
    }
    if (!any)
        return -1;
    unsigned keep = 0;
    for (unsigned k = 0; k < *npol; k++) {
        size_t n = strlen(pols[k].name);
        int found = 0;
        for (const char *s = list; *s; s += strcspn(s, ",") + (s[strcspn(s, ",")] ? 1 : 0))
            found |= strcspn(s, ",") == n && !strncmp(s, pols[k].name, n);
        if (found) {
            struct isac_policy_bench_policy t = pols[keep];
            pols[keep++] = pols[k];
            pols[k] = t;
        } else {
            isac_qnet_file_free(&pols[k].qf);
        }
    }
    *npol = keep;
    return 0;
}

/* The bench's radio, codebook and environment for one policy. */
struct pb_env {
    struct isac_exp_config cfg;
    isac_radio r;
    isac_codebook cb;
    isac_mdp_env env;
};

static void pb_env_close(struct pb_env *b)
{
    isac_mdp_env_destroy(b->env);
    isac_codebook_destroy(b->cb);
    isac_radio_close(b->r);
}

/* A fresh emulator with episode-aligned time (sim:episode_span): every policy meets the
 * same scene, noise and fluctuation draws at the same step of the same episode (common
 * random numbers), so differences between policies are paired, and an episode's draws
 * do not depend on the episodes run before it on the same emulator. The emulator and
 * the pipeline run on one thread (no noise prefetch thread either): the parallelism is
 * over episodes. */
static int pb_env_open(struct pb_env *b, double power, double pfa, uint64_t scen, unsigned elements,
                       char *err, size_t errlen)
{
    memset(b, 0, sizeof *b);
    isac_exp_config_defaults(&b->cfg);
    snprintf(b->cfg.radio, sizeof b->cfg.radio,
             "sim:seed=%llu,power=%g,elements=%u,episode_span=%g,threads=1,prefetch=0",
             (unsigned long long)scen, power, elements, PB_EPISODE_SPAN_S);
    b->cfg.pfa = pfa;
    b->r = isac_radio_open(b->cfg.radio, err, errlen);
    struct isac_radio_info info;
    if (b->r && !isac_radio_get_info(b->r, &info))
        b->cb = isac_exp_codebook(&b->cfg, &info, err, errlen);
    if (b->cb)
        b->env = isac_mdp_env_create(&b->cfg, b->r, b->cb, err, errlen);
    if (b->env && isac_mdp_env_set_threads(b->env, 1) == ISAC_OK)
        return ISAC_OK;
    pb_env_close(b);
    return ISAC_EIO;
}

/* Episodes of one policy are cut into PB_CHUNKS runs of consecutive episodes, each on
 * its own emulator and pipeline: a task of the pool. The cut depends on the episode
 * count only, never on the thread count, and every episode's draws are a function of
 * (scenario seed, episode) (episode-aligned time; each policy re-seeds per episode), so
 * the steps are the same for any --threads, and the same as one emulator running every
 * episode in order. */
#define PB_CHUNKS 8u

struct pb_task_ctx {
    double power, pfa;
    uint64_t scen;
    unsigned elements, episodes, chunk;
    const struct isac_policy_bench_policy *pols;
    unsigned *steps;   /* npol x episodes */
    unsigned char *ok; /* npol x episodes: ended in a confirmed detection */
    int *rc;           /* per task */
    char (*err)[256];  /* per task */
    /* FFTW's planner is not thread safe (plans execute concurrently, they are not made or
     * destroyed concurrently): environments are opened and closed under this lock. */
    pthread_mutex_t *plan_lock;
};

static void pb_task(void *ctx, unsigned i)
{
    struct pb_task_ctx *c = ctx;
    unsigned k = i / PB_CHUNKS, e0 = (i % PB_CHUNKS) * c->chunk;
    unsigned e1 = e0 + c->chunk < c->episodes ? e0 + c->chunk : c->episodes;
    int *rc = &c->rc[i];
    char *err = c->err[i];
    *rc = ISAC_OK;
    if (e0 >= e1)
        return;
    struct pb_env b;
    pthread_mutex_lock(c->plan_lock);
    *rc = pb_env_open(&b, c->power, c->pfa, c->scen, c->elements, err, 256);
    pthread_mutex_unlock(c->plan_lock);
    if (*rc)
        return;
    struct isac_policy_args pa;
    isac_policy_args_defaults(&pa, isac_codebook_size(b.cb), b.cfg.seed);
    pa.num_tx = isac_codebook_elements(b.cb);
    pa.cb = b.cb;
    isac_mdp_env_policy_opts(b.env, &pa.opts);
    pa.opts.qnet = c->pols[k].qf.storage ? &c->pols[k].qf.def : NULL;
    isac_policy pol = isac_policy_create_named(c->pols[k].kind, &pa);
    if (!pol) {
        snprintf(err, 256, "cannot create policy %s", c->pols[k].name);
        *rc = ISAC_EINVAL;
    }
    for (unsigned e = e0; pol && !*rc && e < e1; e++) {
        int succ;
        size_t j = (size_t)k * c->episodes + e;
        *rc =
            isac_mdp_env_run_episode(b.env, pol, e, b.cfg.max_steps, &c->steps[j], &succ, err, 256);
        c->ok[j] = succ != 0;
    }
    isac_policy_destroy(pol);
    pthread_mutex_lock(c->plan_lock);
    pb_env_close(&b);
    pthread_mutex_unlock(c->plan_lock);
}

/* The row of policy k from its steps (in episode order: the sums are those of the
 * sequential loop). */
static struct isac_policy_bench_row pb_row(unsigned k, double power, double pfa, const unsigned *st,
                                           const unsigned char *okv, unsigned episodes,
                                           unsigned *sorted)
{
    double ok = 0, sum = 0, sum_ok = 0, sum2 = 0;
    for (unsigned e = 0; e < episodes; e++) {
        ok += okv[e];
        sum += st[e];
        sum_ok += okv[e] ? st[e] : 0;
        sum2 += (double)st[e] * st[e];
    }
    memcpy(sorted, st, episodes * sizeof *sorted);
    return (struct isac_policy_bench_row){k,
                                          power,
                                          pfa,
                                          sum / episodes,
                                          p95(sorted, episodes),
                                          ok / episodes,
                                          ok > 0 ? sum_ok / ok : NAN,
                                          sem(sum, sum2, episodes)};
}

int isac_policy_bench_condition(double power, double pfa, uint64_t scen, unsigned elements,
                                unsigned threads, unsigned episodes,
                                const struct isac_policy_bench_policy *pols, unsigned npol,
                                struct isac_policy_bench_row *rows, unsigned *nrows,
                                unsigned *steps, isac_policy_bench_row_fn on_row, void *ctx,
                                char *err, size_t errlen)
{
    unsigned ntask = npol * PB_CHUNKS;
    unsigned *sorted = malloc(episodes * sizeof *sorted);
    unsigned char *ok = calloc((size_t)npol * episodes, 1);
    int *rcs = calloc(ntask, sizeof *rcs);
    char(*errs)[256] = calloc(ntask, sizeof *errs);
    unsigned nthr = threads ? threads : isac_pool_online_cores();
    isac_pool pool = nthr > 1 && ntask > 1 ? isac_pool_create(nthr < ntask ? nthr : ntask) : NULL;
    int rc = ISAC_OK;
    if (!sorted || !ok || !rcs || !errs || (nthr > 1 && ntask > 1 && !pool)) {
        snprintf(err, errlen, "out of memory");
        rc = ISAC_ENOMEM;
    }
    if (!rc) {
        pthread_mutex_t plan_lock = PTHREAD_MUTEX_INITIALIZER;
        struct pb_task_ctx c = {
            power, pfa,   scen, elements, episodes, (episodes + PB_CHUNKS - 1) / PB_CHUNKS,
            pols,  steps, ok,   rcs,      errs,     &plan_lock};
        isac_pool_run(pool, ntask, pb_task, &c);
        pthread_mutex_destroy(&plan_lock);
        for (unsigned i = 0; !rc && i < ntask; i++) /* the first failure in task order */
            if ((rc = rcs[i]))
                snprintf(err, errlen, "%s", errs[i]);
    }
    for (unsigned k = 0; !rc && k < npol; k++) {
        const size_t o = (size_t)k * episodes;
        struct isac_policy_bench_row *row = &rows[(*nrows)++];
        *row = pb_row(k, power, pfa, steps + o, ok + o, episodes, sorted);
        if (on_row)
            on_row(ctx, &pols[k], row);
    }
    isac_pool_destroy(pool);
    free(errs);
    free(rcs);
    free(ok);
    free(sorted);
    return rc;
}

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return 1e9 * (double)ts.tv_sec + (double)ts.tv_nsec;
}

double isac_policy_bench_qnet_inference_ns(void)
{
    struct isac_policy_args pa;
    isac_policy_args_defaults(&pa, 64, 1);
    isac_policy p = isac_policy_create_named("qnet", &pa);
    if (!p)
        return NAN;
    struct isac_policy_obs obs = {.beam = 3, .pd = 0, .lambda = 9.0, .num_aps = 4, .detected = 0};
    double best = INFINITY;
    volatile unsigned sink = 0;
    for (int b = 0; b < 7; b++) {
        double t0 = now_ns();
        for (int i = 0; i < 20000; i++) {
            obs.beam = isac_policy_next(p, &obs);
            obs.lambda = 5.0 + (i % 13);
            sink += obs.beam;
        }
        double t = (now_ns() - t0) / 20000;
        best = t < best ? t : best;
    }
    (void)sink;
    isac_policy_destroy(p);
    return best;
}

struct bench_fig_job {
    const struct isac_policy_bench_row *rows;
    const char *const *names;
    unsigned n, npol;
};

static void plot_panel(const struct bench_fig_job *j, int by_pfa)
{
    const struct isac_policy_bench_row *rows = j->rows;
    double xmin = by_pfa ? -4.2 : 9, xmax = by_pfa ? -0.8 : 31, ymax = 10;
    for (unsigned i = 0; i < j->n; i++)
        ymax = rows[i].mean > ymax ? rows[i].mean : ymax;
    isac_figure_axes(xmin, xmax, 0, ymax * 1.1, by_pfa);
    isac_figure_labels(by_pfa ? "P#dFA#u (log scale), transmit power 20 dBm"
                              : "transmit power (dBm), P#dFA#u 1e-3",
                       "mean steps to detection",
                       by_pfa ? "Steps to detection versus P#dFA#u"
                              : "Steps to detection versus transmit power");
    const char *text[16];
    int col[16], kind[16], nl = 0;
    for (unsigned k = 0; k < j->npol; k++) {
        PLFLT x[8], y[8];
        int m = 0;
        for (unsigned i = 0; i < j->n && m < 8; i++) {
            int on = by_pfa ? rows[i].power == 20 : rows[i].pfa == 1e-3;
            if (rows[i].pol == k && on) {
                x[m] = by_pfa ? log10(rows[i].pfa) : rows[i].power;
                y[m++] = rows[i].mean;
            }
        }
        /* rows come by condition (the 20 dBm, 1e-3 row first): a line needs x in order */
        for (int a = 1; a < m; a++)
            for (int b = a; b > 0 && x[b - 1] > x[b]; b--) {
                PLFLT tx = x[b], ty = y[b];
                x[b] = x[b - 1];
                y[b] = y[b - 1];
                x[b - 1] = tx;
                y[b - 1] = ty;
            }
        plcol0(2 + (int)(k % 8));
        if (m > 1)
            plline(m, x, y);
        if (m)
            plstring(m, x, y, ISAC_FIGURE_DOT);
        if (m && nl < 16) {
            text[nl] = j->names[k];
            col[nl] = 2 + (int)(k % 8);
            kind[nl++] = ISAC_FIGURE_LINE | ISAC_FIGURE_POINTS;
        }
    }
    if (nl)
        isac_figure_legend(nl, text, col, kind, NULL, ISAC_FIGURE_RIGHT);
}

static void bench_fig_plot(void *ctx)
{
    plot_panel(ctx, 0);
    plot_panel(ctx, 1);
}

struct bench_fig_out {
    const char *path;
    struct bench_fig_job j;
};

static int bench_fig_draw(void *ctx, char *err, size_t errlen)
{
    struct bench_fig_out *o = ctx;
    return isac_figure_write_path(o->path, 900, 2, bench_fig_plot, &o->j, err, errlen);
}

int isac_policy_bench_figure(const char *path, const struct isac_policy_bench_row *rows, unsigned n,
                             unsigned npol, const char *const *names, char *err, size_t errlen)
{
    struct bench_fig_out o = {path, {rows, names, n, npol}};
    return isac_run_isolated(bench_fig_draw, &o, err, errlen); /* host/common/child.h */
}
