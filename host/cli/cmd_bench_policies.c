/* isactb bench policies: steps to detection of every beam-selection policy on scenario
 * seeds not used in training, versus transmit power and P_FA (seed 004 Figs. 9-10).
 * docs/cli.md and docs/learning.md document the fields; the evaluation itself is
 * host/engine/policy_bench.h, this file parses the options and prints. */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "common/err.h"
#include "engine/policy_bench.h"
#include "policy/policy.h"

static const char *const BP_USAGE =
    "usage: isactb bench policies [--json] [--quick] [--episodes N] [--scenario-seed N]\n"
    "                             [--variants-dir DIR] [--out DIR] [--power DBM]\n"
    "                             [--pfa P] [--policies LIST] [--elements M]\n"
    "                             [--weights FILE]\n"
    "  Mean / 95th-percentile steps to P_D >= zeta and success rate of every registered\n"
    "  policy (qnet: the compiled-in network; with --variants-dir also the weights files\n"
    "  qnet_dt_nocql/offline/online.weights found there) at 10..30 dBm (P_FA 1e-3) and\n"
    "  P_FA 1e-1..1e-4 (20 dBm), on sim scenario seed N (default 7001; training uses 1).\n"
    "  --quick: 20 dBm, P_FA 1e-3, 3 episodes. Without --json: a table, and the figure\n"
    "  DIR/bench_policies.png (DIR default .). --power / --pfa: only that condition\n"
    "  (P_FA default 1e-3); --policies: comma-separated subset of the policy names\n"
    "  (the registry's, listed below, and qnet_VARIANT with --variants-dir).\n"
    "  --elements: antennas per AP (default 64, seed 004 section V-A's array);\n"
    "  --weights: the qnet policy's weights file instead of the compiled-in network.\n";

/* The registry's policy names, "sweep, scan, random, pso, qnet" (help and errors). */
static const char *registry_names(char *buf, size_t len)
{
    return policy_registry_names(NULL, buf, len);
}

static void print_row(void *ctx, const struct policy_bench_policy *p,
                      const struct policy_bench_row *row)
{
    (void)ctx;
    fprintf(stderr,
            "  %-16s %4.0f dBm  P_FA %.0e: %6.2f mean steps, p95 %4.0f, "
            "success %.3f, %6.2f steps when successful, s.e. %.2f\n",
            p->name, row->power, row->pfa, row->mean, row->p95, row->success, row->mean_success,
            row->sem);
}

static void free_policies(struct policy_bench_policy *pols, unsigned npol)
{
    for (unsigned k = 0; k < npol; k++)
        qnet_file_free(&pols[k].qf);
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
        case 'h': {
            char names[256];
            printf("%s  policies: %s\n", BP_USAGE, registry_names(names, sizeof names));
            return CLI_OK;
        }
        case ':': return cli_usage("bench policies", "option '%s' needs a value", argv[optind - 1]);
        default: return cli_usage("bench policies", "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind < argc)
        return cli_usage("bench policies", "unexpected argument '%s'", argv[optind]);
    if (!episodes)
        episodes = quick ? 3 : 40;
    struct policy_bench_policy pols[POLICY_BENCH_MAX] = {{"", NULL, {{0}, 0}}};
    unsigned npol = policy_bench_registry(pols), qnet = npol;
    char err[512] = "";
    for (unsigned k = npol; k-- > 0;)
        qnet = policy_registry_find(NULL, pols[k].kind)->caps & POLICY_CAP_QNET ? k : qnet;
    int wk = weights && qnet < npol
                 ? policy_bench_load_weights(weights, &pols[qnet], err, sizeof err)
                 : 1;
    if (wk == 0)
        fprintf(stderr, "isactb bench policies: %s: cannot open: %s\n", weights, strerror(errno));
    if (wk < 0)
        fprintf(stderr, "isactb bench policies: %s\n", err);
    if (wk <= 0)
        return CLI_EINPUT;
    static const char *const variants[] = {"dt_nocql", "offline", "online"};
    for (unsigned i = 0; vdir && i < 3; i++) {
        int k = policy_bench_load_variant(vdir, variants[i], &pols[npol], err, sizeof err);
        if (k < 0) {
            fprintf(stderr, "isactb bench policies: %s\n", err);
            free_policies(pols, npol);
            return CLI_EINPUT;
        }
        npol += (unsigned)k;
    }
    if (only && policy_bench_select(only, pols, &npol)) {
        char names[256];
        free_policies(pols, npol);
        return cli_usage("bench policies", "--policies: no policy named in '%s' (available: %s)",
                         only, registry_names(names, sizeof names));
    }
    static const double powers[] = {10, 15, 20, 25, 30}, pfas[] = {1e-1, 1e-2, 1e-4};
    struct policy_bench_row rows[POLICY_BENCH_MAX * 8];
    struct policy_bench_cmp cmps[POLICY_BENCH_MAX * 8];
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
        if (policy_bench_condition(conds[i][0], conds[i][1], scen, (unsigned)elements,
                                   (unsigned)episodes, pols, npol, rows, &nrows, steps,
                                   json ? NULL : print_row, NULL, err, sizeof err))
            rc = cli_runtime_error("bench policies", "%s", err);
        else
            policy_bench_paired(pols, npol, steps, (unsigned)episodes, conds[i][0], conds[i][1],
                                cmps, &ncmp);
    }
    free(steps);
    double tinf = rc ? NAN : policy_bench_qnet_inference_ns();
    if (!rc && json) {
        json_t *arr = json_array();
        for (unsigned i = 0; i < nrows; i++) {
            const struct policy_bench_row *w = &rows[i];
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
            const struct policy_bench_cmp *w = &cmps[i];
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
        char path[1200];
        snprintf(path, sizeof path, "%s/bench_policies.png", out);
        policy_bench_figure(path, rows, nrows, npol);
        fprintf(stderr, "isactb bench policies: figure %s\n", path);
    }
    free_policies(pols, npol);
    return rc;
}
