/* isactb bench policies: steps to detection of every beam-selection policy on scenario
 * seeds not used in training, versus transmit power and P_FA (seed 004 Figs. 9-10).
 * docs/cli.md and docs/learning.md document the fields; the evaluation itself is
 * host/engine/policy_bench.h, this file parses the options and prints. */
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "common/err.h"
#include "engine/policy_bench.h"
#include "policy/policy.h"

static const struct cli_opt BP_OPTS[] = {
    CLI_OPT_JSON('j'),
    {"quick", 'k', NULL, "one condition (20 dBm, P_FA 1e-3) and 3 episodes"},
    {"episodes", 'e', "N", "episodes per policy and condition, 1..100000 (default 40)"},
    {"scenario-seed", 's', "N",
     "sim scenario seed of the evaluation (default 7001; training uses 1)"},
    {"variants-dir", 'v', "DIR", "also run the qnet_dt_nocql/offline/online weights found in DIR"},
    {"out", 'o', "DIR", "directory of the figure bench_policies.png/.svg (default .)"},
    {"power", 'p', "DBM", "run only this transmit power, -30..50 dBm (P_FA 1e-3 unless --pfa)"},
    {"pfa", 'f', "P", "run only this false-alarm probability, 1e-12..0.5 (20 dBm unless --power)"},
    {"policies", 'l', "LIST", "comma-separated subset of scan, sweep, random, pso, qnet[_VARIANT]"},
    {"elements", 'm', "M", "antennas per AP, 1..64 (default 64, seed 004 section V-A)"},
    {"weights", 'w', "FILE", "the qnet policy's weights file (default: the compiled-in network)"},
    CLI_OPT_THREADS('T'),
    {0}};
const struct cli_cmd cli_cmd_bench_policies = {
    "bench policies",
    NULL,
    "steps to detection of every beam-selection policy versus power and P_FA (seed 004 Figs. 9-10)",
    BP_OPTS,
    NULL,
    "Default conditions: 10..30 dBm at P_FA 1e-3 and P_FA 1e-1..1e-4 at 20 dBm. Without --json:\n"
    "a table on stdout and the figure. docs/learning.md."};

/* The registry's policy names, "sweep, scan, random, pso, qnet" (help and errors). */
static const char *registry_names(char *buf, size_t len)
{
    return isac_policy_registry_names(NULL, buf, len);
}

static void print_row(void *ctx, const struct isac_policy_bench_policy *p,
                      const struct isac_policy_bench_row *row)
{
    (void)ctx;
    fprintf(stderr,
            "  %-16s %4.0f dBm  P_FA %.0e: %6.2f mean steps, p95 %4.0f, "
            "success %.3f, %6.2f steps when successful, s.e. %.2f\n",
            p->name, row->power, row->pfa, row->mean, row->p95, row->success, row->mean_success,
            row->sem);
}

static void free_policies(struct isac_policy_bench_policy *pols, unsigned npol)
{
    for (unsigned k = 0; k < npol; k++)
        isac_qnet_file_free(&pols[k].qf);
}

struct bp_args {
    int json, quick;
    unsigned long episodes, elements;
    unsigned threads; /* --threads (0: every core) */
    const char *weights, *vdir, *out, *only;
    uint64_t scen;
    double one_power, one_pfa;
};

/* CLI_OK, a CLI_E* status, or -1 after --help (exit 0, nothing to run). */
static int parse_args(int argc, char **argv, struct bp_args *a)
{
    *a = (struct bp_args){
        .elements = 64, .out = ".", .scen = 7001, .one_power = NAN, .one_pfa = NAN};
    struct cli_parser p;
    cli_parser_init(&p, &cli_cmd_bench_policies, argc, argv);
    for (int c; (c = cli_next(&p)) != CLI_END;) {
        switch (c) {
        case 'j': a->json = 1; break;
        case 'k': a->quick = 1; break;
        case 'e':
            if (cli_parse_uint("bench policies", "--episodes", p.arg, 1, 100000, &a->episodes))
                return CLI_EUSAGE;
            break;
        case 's':
            if (cli_parse_u64("bench policies", "--scenario-seed", p.arg, &a->scen))
                return CLI_EUSAGE;
            break;
        case 'v': a->vdir = p.arg; break;
        case 'o': a->out = p.arg; break;
        case 'p':
            if (cli_parse_double("bench policies", "--power", p.arg, -30, 50, &a->one_power))
                return CLI_EUSAGE;
            break;
        case 'f':
            if (cli_parse_double("bench policies", "--pfa", p.arg, 1e-12, 0.5, &a->one_pfa))
                return CLI_EUSAGE;
            break;
        case 'l': a->only = p.arg; break;
        case 'm':
            if (cli_parse_uint("bench policies", "--elements", p.arg, 1, 64, &a->elements))
                return CLI_EUSAGE;
            break;
        case 'w': a->weights = p.arg; break;
        case 'T':
            if (cli_parse_threads("bench policies", p.arg, &a->threads))
                return CLI_EUSAGE;
            break;
        case CLI_HELP: return -1;
        default: return CLI_EUSAGE;
        }
    }
    if (p.next < argc)
        return cli_usage("bench policies", "unexpected argument '%s'", argv[p.next]);
    if (!a->episodes)
        a->episodes = a->quick ? 3 : 40;
    return CLI_OK;
}

/* The registry's policies, the weights and variants asked for, the --policies selection. */
static int load_policies(const struct bp_args *a, struct isac_policy_bench_policy *pols,
                         unsigned *npol_out)
{
    unsigned npol = isac_policy_bench_registry(pols), qnet = npol;
    char err[512] = "";
    for (unsigned k = npol; k-- > 0;)
        qnet =
            isac_policy_registry_find(NULL, pols[k].kind)->caps & ISAC_POLICY_CAP_QNET ? k : qnet;
    int wk = a->weights && qnet < npol
                 ? isac_policy_bench_load_weights(a->weights, &pols[qnet], err, sizeof err)
                 : 1;
    if (wk == 0)
        return cli_input_error("bench policies", "%s: cannot open: %s", a->weights,
                               strerror(errno));
    if (wk < 0)
        return cli_input_error("bench policies", "%s", err);
    static const char *const variants[] = {"dt_nocql", "offline", "online"};
    for (unsigned i = 0; a->vdir && i < 3; i++) {
        int k = isac_policy_bench_load_variant(a->vdir, variants[i], &pols[npol], err, sizeof err);
        if (k < 0) {
            fprintf(stderr, "isactb bench policies: %s\n", err);
            free_policies(pols, npol);
            return CLI_EINPUT;
        }
        npol += (unsigned)k;
    }
    if (a->only && isac_policy_bench_select(a->only, pols, &npol)) {
        char names[256];
        free_policies(pols, npol);
        return cli_usage("bench policies", "--policies: no policy named in '%s' (available: %s)",
                         a->only, registry_names(names, sizeof names));
    }
    *npol_out = npol;
    return CLI_OK;
}

/* The (power, P_FA) conditions: one (--quick, --power, --pfa) or the paper's sweep. */
static unsigned make_conds(const struct bp_args *a, double conds[8][2])
{
    static const double powers[] = {10, 15, 20, 25, 30}, pfas[] = {1e-1, 1e-2, 1e-4};
    unsigned n = 0;
    if (a->quick || !isnan(a->one_power) || !isnan(a->one_pfa)) {
        conds[0][0] = !isnan(a->one_power) ? a->one_power : 20;
        conds[0][1] = !isnan(a->one_pfa) ? a->one_pfa : 1e-3;
        return 1;
    }
    for (unsigned i = 0; i < 5; i++, n++)
        conds[n][0] = powers[i], conds[n][1] = 1e-3;
    for (unsigned i = 0; i < 3; i++, n++)
        conds[n][0] = 20, conds[n][1] = pfas[i];
    return n;
}

struct bp_results {
    struct isac_policy_bench_row rows[ISAC_POLICY_BENCH_MAX * 8];
    struct isac_policy_bench_cmp cmps[ISAC_POLICY_BENCH_MAX * 8];
    unsigned nrows, ncmp;
};

static int run_conditions(const struct bp_args *a, struct isac_policy_bench_policy *pols,
                          unsigned npol, struct bp_results *r)
{
    double conds[8][2];
    unsigned ncond = make_conds(a, conds);
    char err[512] = "";
    int rc = 0;
    unsigned *steps = malloc((size_t)npol * a->episodes * sizeof *steps);
    if (!steps)
        rc = cli_runtime_error("bench policies", "out of memory");
    for (unsigned i = 0; !rc && i < ncond; i++) {
        if (!a->json)
            fprintf(stderr, "isactb bench policies: %g dBm, P_FA %g ...\n", conds[i][0],
                    conds[i][1]);
        if (isac_policy_bench_condition(conds[i][0], conds[i][1], a->scen, (unsigned)a->elements,
                                        a->threads, (unsigned)a->episodes, pols, npol, r->rows,
                                        &r->nrows, steps, a->json ? NULL : print_row, NULL, err,
                                        sizeof err))
            rc = cli_runtime_error("bench policies", "%s", err);
        else
            isac_policy_bench_paired(pols, npol, steps, (unsigned)a->episodes, conds[i][0],
                                     conds[i][1], r->cmps, &r->ncmp);
    }
    free(steps);
    return rc;
}

static void print_json(const struct bp_args *a, const struct isac_policy_bench_policy *pols,
                       const struct bp_results *r, double tinf)
{
    json_t *arr = json_array();
    for (unsigned i = 0; i < r->nrows; i++) {
        const struct isac_policy_bench_row *w = &r->rows[i];
        json_t *ms = isnan(w->mean_success) ? json_null() : json_real(w->mean_success);
        json_t *se = isnan(w->sem) ? json_null() : json_real(w->sem);
        json_array_append_new(arr,
                              json_pack("{s:s,s:f,s:f,s:f,s:f,s:f,s:o,s:o}", "policy",
                                        pols[w->pol].name, "tx_power_dbm", w->power, "pfa", w->pfa,
                                        "steps_mean", w->mean, "steps_p95", w->p95, "success_rate",
                                        w->success, "steps_mean_success", ms, "steps_sem", se));
    }
    json_t *cmp = json_array();
    for (unsigned i = 0; i < r->ncmp; i++) {
        const struct isac_policy_bench_cmp *w = &r->cmps[i];
        json_t *se = isnan(w->sem) ? json_null() : json_real(w->sem);
        json_array_append_new(cmp,
                              json_pack("{s:s,s:s,s:f,s:f,s:f,s:o}", "policy", pols[w->a].name,
                                        "versus", pols[w->b].name, "tx_power_dbm", w->power, "pfa",
                                        w->pfa, "steps_diff_mean", w->diff, "steps_diff_sem", se));
    }
    json_t *o =
        json_pack("{s:o,s:o,s:f,s:I,s:I,s:I}", "rows", arr, "paired", cmp, "qnet_inference_ns",
                  tinf, "episodes", (json_int_t)a->episodes, "scenario_seed", (json_int_t)a->scen,
                  "elements", (json_int_t)a->elements);
    json_dumpf(o, stdout, JSON_COMPACT);
    putchar('\n');
    json_decref(o);
}

static int print_table(const struct bp_args *a, const struct isac_policy_bench_policy *pols,
                       unsigned npol, const struct bp_results *r, double tinf)
{
    printf("%-16s %9s %7s %10s %7s %9s %8s %12s\n", "policy", "power_dBm", "pfa", "steps_mean",
           "sem", "steps_p95", "success", "steps_if_ok");
    for (unsigned i = 0; i < r->nrows; i++)
        printf("%-16s %9.0f %7.0e %10.2f %7.2f %9.0f %8.3f %12.2f\n", pols[r->rows[i].pol].name,
               r->rows[i].power, r->rows[i].pfa, r->rows[i].mean, r->rows[i].sem, r->rows[i].p95,
               r->rows[i].success, r->rows[i].mean_success);
    if (r->ncmp)
        printf("\npaired: steps of the other policy minus qnet's, same episodes and draws "
               "(> 0: qnet needs fewer)\n%-16s %9s %7s %10s %7s\n",
               "versus", "power_dBm", "pfa", "diff_mean", "sem");
    for (unsigned i = 0; i < r->ncmp; i++)
        printf("%-16s %9.0f %7.0e %10.2f %7.2f\n", pols[r->cmps[i].b].name, r->cmps[i].power,
               r->cmps[i].pfa, r->cmps[i].diff, r->cmps[i].sem);
    printf("qnet inference: %.0f ns per decision (%lu episodes per row, scenario seed %llu, "
           "%lu elements per AP)\n",
           tinf, a->episodes, (unsigned long long)a->scen, a->elements);
    char path[1200];
    snprintf(path, sizeof path, "%s/bench_policies.png", a->out);
    char err[512];
    const char *names[64];
    for (unsigned k = 0; k < npol && k < 64; k++)
        names[k] = pols[k].name;
    if (isac_policy_bench_figure(path, r->rows, r->nrows, npol < 64 ? npol : 64, names, err,
                                 sizeof err))
        return cli_runtime_error("bench policies", "figure: %s", err);
    fprintf(stderr, "isactb bench policies: figures %s and .svg\n", path);
    return CLI_OK;
}

int bench_policies(int argc, char **argv)
{
    struct bp_args a;
    int rc = parse_args(argc, argv, &a);
    if (rc)
        return rc < 0 ? CLI_OK : rc;
    /* the bench radiates nothing (in-process emulators only), but a broken site limits file
     * is refused here exactly as by every other command */
    struct isac_radio_limits lim;
    int have_lim = 0;
    if ((rc = cli_site_limits("bench policies", &lim, &have_lim)))
        return rc;
    struct isac_policy_bench_policy pols[ISAC_POLICY_BENCH_MAX] = {{"", NULL, {{0}, 0}}};
    unsigned npol = 0;
    if ((rc = load_policies(&a, pols, &npol)))
        return rc;
    struct bp_results *r = calloc(1, sizeof *r);
    rc = r ? run_conditions(&a, pols, npol, r)
           : cli_runtime_error("bench policies", "out of memory");
    double tinf = rc ? NAN : isac_policy_bench_qnet_inference_ns();
    if (!rc && a.json)
        print_json(&a, pols, r, tinf);
    else if (!rc)
        rc = print_table(&a, pols, npol, r, tinf);
    free(r);
    free_policies(pols, npol);
    return rc;
}
