/* isactb bench policies: steps to detection of every beam-selection policy on scenario
 * seeds not used in training, versus transmit power and P_FA (seed 004 Figs. 9-10).
 * docs/cli.md and docs/learning.md document the fields. */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <math.h>
#include <plplot/plplot.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "common/err.h"
#include "engine/mdp_env.h"
#include "engine/run.h"

static const char *const BP_USAGE =
    "usage: isactb bench policies [--json] [--quick] [--episodes N] [--scenario-seed N]\n"
    "                             [--variants-dir DIR] [--out DIR] [--power DBM]\n"
    "                             [--pfa P] [--policies LIST] [--elements M]\n"
    "                             [--weights FILE]\n"
    "  Mean / 95th-percentile steps to P_D >= zeta and success rate of sweep, scan, random,\n"
    "  pso and qnet (the compiled-in network; with --variants-dir also the weights files\n"
    "  qnet_dt_nocql/offline/online.weights found there) at 10..30 dBm (P_FA 1e-3) and\n"
    "  P_FA 1e-1..1e-4 (20 dBm), on sim scenario seed N (default 7001; training uses 1).\n"
    "  --quick: 20 dBm, P_FA 1e-3, 3 episodes. Without --json: a table, and the figure\n"
    "  DIR/bench_policies.png (DIR default .). --power / --pfa: only that condition\n"
    "  (P_FA default 1e-3); --policies: comma-separated subset of the policy names.\n"
    "  --elements: antennas per AP (default 64, seed 004 section V-A's array);\n"
    "  --weights: the qnet policy's weights file instead of the compiled-in network.\n";

#define MAX_POL 16
#define BP_EPISODE_SPAN_S 1.0 /* > max_steps x step_interval_s of the default experiment */

struct bp_policy {
    char name[32];       /* row name: the registry name, or qnet_VARIANT */
    const char *kind;    /* registry name of the policy it runs */
    struct qnet_file qf; /* weights of a variant (storage NULL: compiled in) */
};

struct bp_row {
    unsigned pol;
    double power, pfa, mean, p95, success;
    double mean_success; /* mean steps of the successful episodes (NAN: none) */
    double sem;          /* standard error of the mean steps (sample sd / sqrt(n)) */
};

/* Paired comparison of the qnet policy (a) with policy b on the same episodes:
 * diff = mean over episodes of steps_b - steps_a (> 0: qnet needs fewer steps). */
struct bp_cmp {
    unsigned a, b;
    double power, pfa, diff, sem;
};

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

/* The paired differences of policy "qnet" against every other policy of a condition. */
static void paired(const struct bp_policy *pols, unsigned npol, const unsigned *steps,
                   unsigned episodes, double power, double pfa, struct bp_cmp *cmps, unsigned *ncmp)
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
        cmps[(*ncmp)++] =
            (struct bp_cmp){a, b, power, pfa, sum / episodes, sem(sum, sum2, episodes)};
    }
}

/* Read and validate a weights file into p (1), or 0 when it does not exist, -1 refused. */
static int load_weights(const char *path, struct bp_policy *p)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return 0;
    char *buf = malloc(16 << 20);
    size_t n = buf ? fread(buf, 1, (16 << 20) - 1, f) : 0;
    fclose(f);
    if (!buf)
        return -1;
    char err[256];
    int rc = qnet_file_parse(buf, n, 5, 16, &p->qf, err, sizeof err);
    free(buf);
    if (rc) {
        fprintf(stderr, "isactb bench policies: %s: %s\n", path, err);
        return -1;
    }
    p->kind = "qnet";
    return 1;
}

/* Every registered policy, in the registry's order (the variants come after). */
static unsigned registry_policies(struct bp_policy *pols)
{
    const struct policy_registry *reg = policy_registry_builtin();
    unsigned n = 0;
    for (size_t i = 0; i < reg->count && n + 3 < MAX_POL; i++, n++) {
        snprintf(pols[n].name, sizeof pols[n].name, "%s", reg->entries[i]->name);
        pols[n].kind = reg->entries[i]->name;
    }
    return n;
}

static int load_variant(const char *dir, const char *variant, struct bp_policy *p)
{
    char path[1200];
    snprintf(path, sizeof path, "%s/qnet_%s.weights", dir, variant);
    int k = load_weights(path, p);
    if (k > 0)
        snprintf(p->name, sizeof p->name, "qnet_%s", variant);
    return k;
}

/* The bench's radio, codebook and environment for one policy. */
struct bp_env {
    struct exp_config cfg;
    radio r;
    codebook cb;
    mdp_env env;
};

static void bp_env_close(struct bp_env *b)
{
    mdp_env_destroy(b->env);
    codebook_destroy(b->cb);
    radio_close(b->r);
}

/* A fresh emulator per policy with episode-aligned time (sim:episode_span): every
 * policy meets the same scene, noise and fluctuation draws at the same step of the same
 * episode (common random numbers), so differences between policies are paired. */
static int bp_env_open(struct bp_env *b, double power, double pfa, uint64_t scen, unsigned elements)
{
    char err[512];
    memset(b, 0, sizeof *b);
    exp_config_defaults(&b->cfg);
    snprintf(b->cfg.radio, sizeof b->cfg.radio,
             "sim:seed=%llu,power=%g,elements=%u,episode_span=%g", (unsigned long long)scen, power,
             elements, BP_EPISODE_SPAN_S);
    b->cfg.pfa = pfa;
    b->r = radio_open(b->cfg.radio, err, sizeof err);
    struct radio_info info;
    if (b->r && !radio_get_info(b->r, &info))
        b->cb = exp_codebook(&b->cfg, &info, err, sizeof err);
    if (b->cb)
        b->env = mdp_env_create(&b->cfg, b->r, b->cb, err, sizeof err);
    if (b->env)
        return 0;
    bp_env_close(b);
    return cli_runtime_error("bench policies", "%s", err);
}

/* One condition: every policy over the same episodes. steps[k * episodes + e]: CPIs
 * policy k used in episode e (for the paired comparisons). */
static int run_condition(double power, double pfa, uint64_t scen, unsigned elements,
                         unsigned episodes, struct bp_policy *pols, unsigned npol,
                         struct bp_row *rows, unsigned *nrows, unsigned *steps, int quiet)
{
    char err[512];
    unsigned *sorted = malloc(episodes * sizeof *sorted);
    int rc = sorted ? 0 : cli_runtime_error("bench policies", "out of memory");
    for (unsigned k = 0; !rc && k < npol; k++) {
        struct bp_env b;
        if ((rc = bp_env_open(&b, power, pfa, scen, elements)))
            break;
        struct policy_args pa;
        policy_args_defaults(&pa, codebook_size(b.cb), b.cfg.seed);
        pa.num_tx = codebook_elements(b.cb);
        pa.cb = b.cb;
        mdp_env_policy_opts(b.env, &pa.opts);
        pa.opts.qnet = pols[k].qf.storage ? &pols[k].qf.def : NULL;
        policy pol = policy_create_named(pols[k].kind, &pa);
        unsigned *st = steps + (size_t)k * episodes;
        double ok = 0, sum = 0, sum_ok = 0, sum2 = 0;
        for (unsigned e = 0; pol && !rc && e < episodes; e++) {
            int succ;
            if (mdp_env_run_episode(b.env, pol, e, b.cfg.max_steps, &st[e], &succ, err, sizeof err))
                rc = cli_runtime_error("bench policies", "%s", err);
            ok += succ;
            sum += st[e];
            sum_ok += succ ? st[e] : 0;
            sum2 += (double)st[e] * st[e];
        }
        if (!pol)
            rc = cli_runtime_error("bench policies", "cannot create policy %s", pols[k].name);
        policy_destroy(pol);
        bp_env_close(&b);
        if (!rc) {
            memcpy(sorted, st, episodes * sizeof *sorted);
            struct bp_row *row = &rows[(*nrows)++];
            *row = (struct bp_row){k,
                                   power,
                                   pfa,
                                   sum / episodes,
                                   p95(sorted, episodes),
                                   ok / episodes,
                                   ok > 0 ? sum_ok / ok : NAN,
                                   sem(sum, sum2, episodes)};
            if (!quiet)
                fprintf(stderr,
                        "  %-16s %4.0f dBm  P_FA %.0e: %6.2f mean steps, p95 %4.0f, "
                        "success %.3f, %6.2f steps when successful, s.e. %.2f\n",
                        pols[k].name, power, pfa, row->mean, row->p95, row->success,
                        row->mean_success, row->sem);
        }
    }
    free(sorted);
    return rc;
}

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return 1e9 * (double)ts.tv_sec + (double)ts.tv_nsec;
}

/* Time of one qnet decision (policy_next: observed P_D, state input, forward pass,
 * argmax): the minimum over 7 batches of 20000 decisions. */
static double qnet_inference_ns(void)
{
    struct policy_args pa;
    policy_args_defaults(&pa, 64, 1);
    policy p = policy_create_named("qnet", &pa);
    if (!p)
        return NAN;
    struct policy_obs obs = {.beam = 3, .pd = 0, .lambda = 9.0, .num_aps = 4, .detected = 0};
    double best = INFINITY;
    volatile unsigned sink = 0;
    for (int b = 0; b < 7; b++) {
        double t0 = now_ns();
        for (int i = 0; i < 20000; i++) {
            obs.beam = policy_next(p, &obs);
            obs.lambda = 5.0 + (i % 13);
            sink += obs.beam;
        }
        double t = (now_ns() - t0) / 20000;
        best = t < best ? t : best;
    }
    (void)sink;
    policy_destroy(p);
    return best;
}

static void plot_panel(const struct bp_row *rows, unsigned n, unsigned npol,
                       const struct bp_policy *pols, int by_pfa)
{
    double xmin = by_pfa ? -4.2 : 9, xmax = by_pfa ? -0.8 : 31, ymax = 10;
    for (unsigned i = 0; i < n; i++)
        ymax = rows[i].mean > ymax ? rows[i].mean : ymax;
    plcol0(1);
    plenv(xmin, xmax, 0, ymax * 1.1, 0, by_pfa ? 10 : 0);
    pllab(by_pfa ? "P_FA (20 dBm)" : "transmit power (dBm), P_FA 1e-3", "mean steps",
          "blue sweep, red scan, green random, purple pso, orange qnet, others: variants");
    for (unsigned k = 0; k < npol; k++) {
        PLFLT x[8], y[8];
        int m = 0;
        for (unsigned i = 0; i < n && m < 8; i++) {
            int on = by_pfa ? rows[i].power == 20 : rows[i].pfa == 1e-3;
            if (rows[i].pol == k && on) {
                x[m] = by_pfa ? log10(rows[i].pfa) : rows[i].power;
                y[m++] = rows[i].mean;
            }
        }
        plcol0(2 + (int)k);
        if (m > 1)
            plline(m, x, y);
        if (m)
            plpoin(m, x, y, 17);
    }
    (void)pols;
}

static void figure(const char *dir, const struct bp_row *rows, unsigned n, unsigned npol,
                   const struct bp_policy *pols)
{
    char path[1200];
    snprintf(path, sizeof path, "%s/bench_policies.png", dir);
    plsdev("pngcairo");
    plsfnam(path);
    plspage(0, 0, 1000, 900, 0, 0);
    plscolbg(255, 255, 255);
    static const int pal[9][3] = {{0, 0, 0},      {31, 119, 180},  {214, 39, 40},
                                  {44, 160, 44},  {148, 103, 189}, {255, 127, 14},
                                  {23, 190, 207}, {140, 86, 75},   {227, 119, 194}};
    for (int i = 0; i < 9; i++)
        plscol0(i + 1, pal[i][0], pal[i][1], pal[i][2]);
    plssub(1, 2);
    plinit();
    plot_panel(rows, n, npol, pols, 0);
    plot_panel(rows, n, npol, pols, 1);
    plend();
    fprintf(stderr, "isactb bench policies: figure %s\n", path);
}

/* Keep only the policies named in the comma-separated list (order kept). */
static int select_policies(const char *list, struct bp_policy *pols, unsigned *npol)
{
    unsigned keep = 0;
    for (unsigned k = 0; k < *npol; k++) {
        size_t n = strlen(pols[k].name);
        int found = 0;
        for (const char *s = list; *s; s += strcspn(s, ",") + (s[strcspn(s, ",")] ? 1 : 0))
            found |= strcspn(s, ",") == n && !strncmp(s, pols[k].name, n);
        if (found) {
            struct bp_policy t = pols[keep];
            pols[keep++] = pols[k];
            pols[k] = t;
        } else {
            qnet_file_free(&pols[k].qf);
        }
    }
    if (!keep) {
        cli_usage("bench policies", "--policies: no policy named in '%s'", list);
        return -1;
    }
    *npol = keep;
    return 0;
}

int bench_policies(int argc, char **argv)
{
    static const struct option opts[] = {{"json", no_argument, 0, 'j'},
                                         {"quick", no_argument, 0, 'k'},
                                         {"episodes", required_argument, 0, 'e'},
                                         {"scenario-seed", required_argument, 0, 's'},
                                         {"variants-dir", required_argument, 0, 'v'},
                                         {"out", required_argument, 0, 'o'},
                                         {"power", required_argument, 0, 'p'},
                                         {"pfa", required_argument, 0, 'f'},
                                         {"policies", required_argument, 0, 'l'},
                                         {"elements", required_argument, 0, 'm'},
                                         {"weights", required_argument, 0, 'w'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    int c, json = 0, quick = 0;
    unsigned long episodes = 0, elements = 64;
    const char *weights = NULL;
    uint64_t scen = 7001;
    const char *vdir = NULL, *out = ".", *only = NULL;
    double one_power = NAN, one_pfa = NAN;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
        switch (c) {
        case 'j': json = 1; break;
        case 'k': quick = 1; break;
        case 'e':
            if (cli_parse_uint("bench policies", "--episodes", optarg, 1, 100000, &episodes))
                return CLI_EUSAGE;
            break;
        case 's':
            if (cli_parse_u64("bench policies", "--scenario-seed", optarg, &scen))
                return CLI_EUSAGE;
            break;
        case 'v': vdir = optarg; break;
        case 'o': out = optarg; break;
        case 'p':
            if (cli_parse_double("bench policies", "--power", optarg, -30, 50, &one_power))
                return CLI_EUSAGE;
            break;
        case 'f':
            if (cli_parse_double("bench policies", "--pfa", optarg, 1e-12, 0.5, &one_pfa))
                return CLI_EUSAGE;
            break;
        case 'l': only = optarg; break;
        case 'm':
            if (cli_parse_uint("bench policies", "--elements", optarg, 1, 64, &elements))
                return CLI_EUSAGE;
            break;
        case 'w': weights = optarg; break;
        case 'h': fputs(BP_USAGE, stdout); return CLI_OK;
        case ':': return cli_usage("bench policies", "option '%s' needs a value", argv[optind - 1]);
        default: return cli_usage("bench policies", "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind < argc)
        return cli_usage("bench policies", "unexpected argument '%s'", argv[optind]);
    if (!episodes)
        episodes = quick ? 3 : 40;
    struct bp_policy pols[MAX_POL] = {{"", NULL, {{0}, 0}}};
    unsigned npol = registry_policies(pols), qnet = npol;
    for (unsigned k = npol; k-- > 0;)
        qnet = policy_registry_find(NULL, pols[k].kind)->caps & POLICY_CAP_QNET ? k : qnet;
    int wk = weights && qnet < npol ? load_weights(weights, &pols[qnet]) : 1;
    if (wk == 0)
        fprintf(stderr, "isactb bench policies: %s: cannot open: %s\n", weights, strerror(errno));
    if (wk <= 0)
        return CLI_EINPUT;
    static const char *const variants[] = {"dt_nocql", "offline", "online"};
    for (unsigned i = 0; vdir && i < 3; i++) {
        int k = load_variant(vdir, variants[i], &pols[npol]);
        if (k < 0)
            return CLI_EINPUT;
        npol += (unsigned)k;
    }
    if (only && select_policies(only, pols, &npol))
        return CLI_EUSAGE;
    static const double powers[] = {10, 15, 20, 25, 30}, pfas[] = {1e-1, 1e-2, 1e-4};
    struct bp_row rows[MAX_POL * 8];
    struct bp_cmp cmps[MAX_POL * 8];
    double conds[8][2];
    unsigned nrows = 0, ncmp = 0, ncond = 0;
    int rc = 0, single = quick || !isnan(one_power) || !isnan(one_pfa);
    if (single) {
        double pw = !isnan(one_power) ? one_power : 20, pf = !isnan(one_pfa) ? one_pfa : 1e-3;
        conds[ncond][0] = pw;
        conds[ncond++][1] = pf;
    }
    for (unsigned i = 0; !single && i < 5; i++) {
        conds[ncond][0] = powers[i];
        conds[ncond++][1] = 1e-3;
    }
    for (unsigned i = 0; !single && i < 3; i++) {
        conds[ncond][0] = 20;
        conds[ncond++][1] = pfas[i];
    }
    unsigned *steps = malloc((size_t)npol * episodes * sizeof *steps);
    if (!steps)
        rc = cli_runtime_error("bench policies", "out of memory");
    for (unsigned i = 0; !rc && i < ncond; i++) {
        if (!json)
            fprintf(stderr, "isactb bench policies: %g dBm, P_FA %g ...\n", conds[i][0],
                    conds[i][1]);
        rc = run_condition(conds[i][0], conds[i][1], scen, (unsigned)elements, (unsigned)episodes,
                           pols, npol, rows, &nrows, steps, json);
        if (!rc)
            paired(pols, npol, steps, (unsigned)episodes, conds[i][0], conds[i][1], cmps, &ncmp);
    }
    free(steps);
    double tinf = rc ? NAN : qnet_inference_ns();
    if (!rc && json) {
        json_t *arr = json_array();
        for (unsigned i = 0; i < nrows; i++) {
            const struct bp_row *w = &rows[i];
            json_t *ms = isnan(w->mean_success) ? json_null() : json_real(w->mean_success);
            json_t *se = isnan(w->sem) ? json_null() : json_real(w->sem);
            json_array_append_new(arr, json_pack("{s:s,s:f,s:f,s:f,s:f,s:f,s:o,s:o}", "policy",
                                                 pols[w->pol].name, "tx_power_dbm", w->power, "pfa",
                                                 w->pfa, "steps_mean", w->mean, "steps_p95", w->p95,
                                                 "success_rate", w->success, "steps_mean_success",
                                                 ms, "steps_sem", se));
        }
        json_t *cmp = json_array();
        for (unsigned i = 0; i < ncmp; i++) {
            const struct bp_cmp *w = &cmps[i];
            json_t *se = isnan(w->sem) ? json_null() : json_real(w->sem);
            json_array_append_new(cmp, json_pack("{s:s,s:s,s:f,s:f,s:f,s:o}", "policy",
                                                 pols[w->a].name, "versus", pols[w->b].name,
                                                 "tx_power_dbm", w->power, "pfa", w->pfa,
                                                 "steps_diff_mean", w->diff, "steps_diff_sem", se));
        }
        json_t *o = json_pack("{s:o,s:o,s:f,s:I,s:I,s:I}", "rows", arr, "paired", cmp,
                              "qnet_inference_ns", tinf, "episodes", (json_int_t)episodes,
                              "scenario_seed", (json_int_t)scen, "elements", (json_int_t)elements);
        json_dumpf(o, stdout, JSON_COMPACT);
        putchar('\n');
        json_decref(o);
    } else if (!rc) {
        printf("%-16s %9s %7s %10s %7s %9s %8s %12s\n", "policy", "power_dBm", "pfa", "steps_mean",
               "sem", "steps_p95", "success", "steps_if_ok");
        for (unsigned i = 0; i < nrows; i++)
            printf("%-16s %9.0f %7.0e %10.2f %7.2f %9.0f %8.3f %12.2f\n", pols[rows[i].pol].name,
                   rows[i].power, rows[i].pfa, rows[i].mean, rows[i].sem, rows[i].p95,
                   rows[i].success, rows[i].mean_success);
        if (ncmp)
            printf("\npaired: steps of the other policy minus qnet's, same episodes and draws "
                   "(> 0: qnet needs fewer)\n%-16s %9s %7s %10s %7s\n",
                   "versus", "power_dBm", "pfa", "diff_mean", "sem");
        for (unsigned i = 0; i < ncmp; i++)
            printf("%-16s %9.0f %7.0e %10.2f %7.2f\n", pols[cmps[i].b].name, cmps[i].power,
                   cmps[i].pfa, cmps[i].diff, cmps[i].sem);
        printf("qnet inference: %.0f ns per decision (%lu episodes per row, scenario seed %llu, "
               "%lu elements per AP)\n",
               tinf, episodes, (unsigned long long)scen, elements);
        figure(out, rows, nrows, npol, pols);
    }
    for (unsigned k = 0; k < npol; k++)
        qnet_file_free(&pols[k].qf);
    return rc;
}
