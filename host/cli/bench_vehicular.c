/* `isactb bench vehicular`: seed 000's Figs. 7-11 on the emulator (docs/vehicular.md). */
#include <cblas.h>
#include <gsl/gsl_cdf.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/cmd_vehicular.h"
#include "common/err.h"
#include "engine/vehicular.h"
#include "vehicular/veh_scheme.h"

#define MAXS 8

struct acc { /* mean and 95 % t interval over runs */
    double s, ss;
    unsigned n;
};

static void acc_add(struct acc *a, double v)
{
    if (!isfinite(v))
        return;
    a->s += v;
    a->ss += v * v;
    a->n++;
}

static json_t *acc_json(const struct acc *a)
{
    if (!a->n)
        return json_null();
    double m = a->s / a->n, h = NAN;
    if (a->n > 1) {
        double var = fmax(0.0, (a->ss - a->n * m * m) / (a->n - 1));
        h = gsl_cdf_tdist_Pinv(0.975, a->n - 1) * sqrt(var / a->n);
    }
    return isfinite(h) ? json_pack("{s:f,s:f,s:f}", "mean", m, "lo", m - h, "hi", m + h)
                       : json_pack("{s:f,s:n,s:n}", "mean", m, "lo", "hi");
}

struct opts {
    int json, quick;
    unsigned runs, poisson_s, comm_every;
    const char *schemes[MAXS];
    unsigned ns;
    const char *parts;
    char lstm_a[4200], lstm_b[4200];
};

static void base_cfg(struct isac_vh_cfg *c, const struct opts *o)
{
    isac_vh_cfg_default(c);
    if (o->lstm_a[0]) {
        c->lstm_assign = o->lstm_a;
        c->lstm_beam = o->lstm_b;
    }
}

/* One row: every scheme over the same runs (same seeds: paired comparisons). */
static int row_set(const struct opts *o, unsigned K, unsigned N, json_t *rows, json_t *rcrb)
{
    struct acc meas[MAXS] = {0}, model[MAXS] = {0}, dec[MAXS] = {0}, served[MAXS] = {0},
               gain[MAXS] = {0}, rounds[MAXS] = {0}, flips[MAXS] = {0};
    double *rc_age = NULL;
    unsigned rc_len = 0, rc_n = 0;
    int rc = ISAC_OK, skip[MAXS] = {0};
    char why[MAXS][256];
    for (unsigned s = 0; s < o->ns; s++) { /* e.g. lstm without nets for N elements */
        struct isac_veh_params vp;
        isac_veh_params_default(&vp);
        vp.n = N;
        vp.sm.nr = N;
        vp.lstm_assign = o->lstm_a[0] ? o->lstm_a : NULL;
        vp.lstm_beam = o->lstm_a[0] ? o->lstm_b : NULL;
        const struct isac_veh_scheme_vt *vt = isac_veh_scheme_find(o->schemes[s]);
        why[s][0] = '\0';
        void *st = vt->create(&vp, why[s], sizeof why[s]);
        if (st)
            vt->destroy(st);
        else
            skip[s] = 1;
    }
    for (unsigned r = 0; r < o->runs && rc == ISAC_OK; r++) {
        double base = NAN;
        for (unsigned s = 0; s < o->ns && rc == ISAC_OK; s++) {
            if (skip[s])
                continue;
            struct isac_vh_cfg c;
            base_cfg(&c, o);
            c.scheme = o->schemes[s];
            c.K = K;
            c.elements = N;
            c.seed = 1000 + r;
            struct isac_vh_result res;
            char err[256] = "";
            if ((rc = isac_vh_run(&c, &res, err, sizeof err))) {
                cli_runtime_error("bench vehicular", "%s", err);
                break;
            }
            acc_add(&meas[s], res.thr_meas);
            acc_add(&model[s], res.thr_model);
            acc_add(&dec[s], res.decide_ms);
            acc_add(&served[s], res.served);
            acc_add(&rounds[s], res.fp_rounds);
            acc_add(&flips[s], res.flips);
            if (!strcmp(o->schemes[s], "distance"))
                base = res.thr_meas;
            acc_add(&gain[s], res.thr_meas - base);
            if (rcrb && !strcmp(o->schemes[s], "heuristic")) {
                if (!rc_age) {
                    rc_len = res.rcrb_len;
                    rc_age = calloc(rc_len, sizeof(double));
                }
                for (unsigned a = 0; rc_age && a < rc_len; a++)
                    rc_age[a] += res.rcrb_age[a];
                rc_n++;
            }
            isac_vh_result_free(&res);
            if (!o->json)
                fprintf(stderr, "bench vehicular: K %u N %u run %u %s\n", K, N, r, o->schemes[s]);
        }
    }
    for (unsigned s = 0; s < o->ns && rc == ISAC_OK; s++) {
        if (skip[s]) {
            json_array_append_new(rows, json_pack("{s:s,s:i,s:i,s:s}", "scheme", o->schemes[s], "K",
                                                  (int)K, "elements", (int)N, "skipped", why[s]));
            if (!o->json)
                printf("%-12s K %3u N %2u  skipped: %s\n", o->schemes[s], K, N, why[s]);
            continue;
        }
        json_t *row = json_pack(
            "{s:s,s:i,s:i,s:i,s:o,s:o,s:o,s:o,s:o}", "scheme", o->schemes[s], "K", (int)K,
            "elements", (int)N, "runs", (int)o->runs, "throughput_measured", acc_json(&meas[s]),
            "throughput_model", acc_json(&model[s]), "decision_ms", acc_json(&dec[s]),
            "served_share", acc_json(&served[s]), "gain_vs_distance", acc_json(&gain[s]));
        json_object_set_new(row, "fp_rounds", acc_json(&rounds[s]));
        json_object_set_new(row, "flips_per_slot", acc_json(&flips[s]));
        json_array_append_new(rows, row);
        if (!o->json)
            printf("%-12s K %3u N %2u  measured %.4f  model %.4f  gain %+.4f  decide %.2f ms"
                   "  rounds %.1f  flips %.1f\n",
                   o->schemes[s], K, N, meas[s].n ? meas[s].s / meas[s].n : NAN,
                   model[s].n ? model[s].s / model[s].n : NAN,
                   gain[s].n ? gain[s].s / gain[s].n : NAN, dec[s].n ? dec[s].s / dec[s].n : NAN,
                   rounds[s].n ? rounds[s].s / rounds[s].n : NAN,
                   flips[s].n ? flips[s].s / flips[s].n : NAN);
    }
    if (rc == ISAC_OK && rcrb && rc_age && rc_n) {
        json_t *ser = json_array();
        for (unsigned a = 0; a < rc_len; a++)
            json_array_append_new(ser, json_real(rc_age[a] / rc_n));
        json_array_append_new(rcrb,
                              json_pack("{s:i,s:i,s:i,s:f,s:o}", "elements", (int)N, "K", (int)K,
                                        "runs", (int)rc_n, "slot_s", 0.02, "rcrb_m", ser));
    }
    free(rc_age);
    return rc;
}

/* Figs. 9/10: one Poisson run per scheme (same seed), series in 0.2 s bins. */
static int poisson(const struct opts *o, double rate, json_t *out)
{
    unsigned slots = o->poisson_s * 50, bin = 10, nb = slots / bin;
    double *model[MAXS] = {0}, *meas[MAXS] = {0};
    unsigned *kk = calloc(nb, sizeof(unsigned));
    int rc = kk ? ISAC_OK : ISAC_ENOMEM;
    struct acc dec[MAXS] = {0};
    for (unsigned s = 0; s < o->ns && rc == ISAC_OK; s++) {
        struct isac_vh_cfg c;
        base_cfg(&c, o);
        c.scheme = o->schemes[s];
        c.K = 0;
        c.rate[0] = c.rate[1] = rate;
        c.warmup = 0;
        c.slots = slots;
        c.comm_every = o->comm_every;
        c.seed = 7;
        struct isac_vh_result res;
        char err[256] = "";
        if ((rc = isac_vh_run(&c, &res, err, sizeof err))) {
            cli_runtime_error("bench vehicular", "%s", err);
            break;
        }
        model[s] = calloc(nb, sizeof(double));
        meas[s] = calloc(nb, sizeof(double));
        if (!model[s] || !meas[s])
            rc = ISAC_ENOMEM;
        for (unsigned b = 0; b < nb && rc == ISAC_OK; b++) {
            double sm = 0, sq = 0;
            unsigned nq = 0;
            for (unsigned j = b * bin; j < (b + 1) * bin; j++) {
                sm += res.s_model[j];
                if (isfinite(res.s_meas[j])) {
                    sq += res.s_meas[j];
                    nq++;
                }
                kk[b] = res.s_k[j];
            }
            model[s][b] = sm / bin;
            meas[s][b] = nq ? sq / nq : NAN;
        }
        acc_add(&dec[s], res.decide_ms);
        isac_vh_result_free(&res);
        if (!o->json)
            fprintf(stderr, "bench vehicular: poisson %.1f/s %s done\n", rate, o->schemes[s]);
    }
    int ib = -1;
    for (unsigned s = 0; s < o->ns; s++)
        if (!strcmp(o->schemes[s], "distance"))
            ib = (int)s;
    for (unsigned s = 0; s < o->ns && rc == ISAC_OK; s++) {
        json_t *tm = json_array(), *tq = json_array(), *gm = json_array(), *gq = json_array();
        double mean_m = 0, mean_g = 0;
        unsigned ng = 0;
        for (unsigned b = 0; b < nb; b++) {
            json_array_append_new(tm, json_real(model[s][b]));
            json_array_append_new(tq, isfinite(meas[s][b]) ? json_real(meas[s][b]) : json_null());
            double g = ib >= 0 && model[ib][b] > 0 ? 100.0 * (model[s][b] / model[ib][b] - 1) : NAN;
            double h = ib >= 0 && meas[ib][b] > 0 ? 100.0 * (meas[s][b] / meas[ib][b] - 1) : NAN;
            json_array_append_new(gm, isfinite(g) ? json_real(g) : json_null());
            json_array_append_new(gq, isfinite(h) ? json_real(h) : json_null());
            mean_m += model[s][b];
            if (isfinite(g)) {
                mean_g += g;
                ng++;
            }
        }
        json_array_append_new(
            out, json_pack("{s:s,s:f,s:i,s:f,s:i,s:o,s:o,s:o,s:o,s:f,s:f,s:o}", "scheme",
                           o->schemes[s], "rate_per_direction", rate, "seconds", (int)o->poisson_s,
                           "bin_s", bin * 0.02, "comm_every", (int)o->comm_every, "total_model", tm,
                           "total_measured", tq, "gain_pct_model", gm, "gain_pct_measured", gq,
                           "mean_total_model", mean_m / nb, "mean_gain_pct_model",
                           ng ? mean_g / ng : 0.0, "decision_ms", acc_json(&dec[s])));
        if (!o->json)
            printf("poisson %4.1f/s %-12s mean total %.3f bit/symbol  mean gain %+.2f %%\n", rate,
                   o->schemes[s], mean_m / nb, ng ? mean_g / ng : 0.0);
    }
    if (rc == ISAC_OK) {
        json_t *ks = json_array();
        for (unsigned b = 0; b < nb; b++)
            json_array_append_new(ks, json_integer(kk[b]));
        json_array_append_new(out, json_pack("{s:s,s:f,s:o}", "scheme", "vehicles",
                                             "rate_per_direction", rate, "count", ks));
    }
    for (unsigned s = 0; s < MAXS; s++) {
        free(model[s]);
        free(meas[s]);
    }
    free(kk);
    return rc;
}

/* 1 when the comma-separated list has the item name. */
static int has_part(const char *list, const char *name)
{
    size_t n = strlen(name);
    for (const char *p = list; p && *p;) {
        const char *e = strchr(p, ',');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        if (len == n && !strncmp(p, name, n))
            return 1;
        p = e ? e + 1 : NULL;
    }
    return 0;
}

static int parse_schemes(struct opts *o, char *list)
{
    o->ns = 0;
    for (char *t = strtok(list, ","); t; t = strtok(NULL, ",")) {
        if (!isac_veh_scheme_find(t) || o->ns == MAXS)
            return cli_usage("bench vehicular", "--schemes: unknown scheme '%s'", t);
        o->schemes[o->ns++] = t;
    }
    return o->ns ? CLI_OK : cli_usage("bench vehicular", "--schemes: empty");
}

static const struct cli_opt BENCH_VEHICULAR_OPTS[] = {
    CLI_OPT_JSON('j'),
    {"quick", 'q', NULL, "3 runs, K in {10, 30, 50}, 4 s Poisson runs"},
    {"runs", 'r', "N", "Monte Carlo runs per row, 2..10000 (seeds 1000..; default 10)"},
    {"seconds", 's', "S", "length of the Poisson runs, 1..3600 s (default 40)"},
    {"comm-every", 'c', "N", "Poisson runs: measure the users every N-th slot (default 25)"},
    {"schemes", 'S', "LIST", "distance,distance_fp,greedy,heuristic,lstm (default: all)"},
    {"parts", 'p', "LIST", "k,antennas,poisson,rcrb (default: all)"},
    {"lstm-weights", 'w', "DIR",
     "DIR/assign.weights and DIR/beam.weights instead of the built-in nets"},
    {"k", 'k', "K", "the K rows for this K only, 1..64"},
    {"rate", 'R', "R10", "one Poisson run at R10 / 10 vehicles/s per direction, 1..1000"},
    {"elements", 'e', "N", "elements of the K rows (default 32)"},
    {0}};
const struct cli_cmd cli_cmd_bench_vehicular = {
    "bench vehicular",
    NULL,
    "seed 000's assignment and beamforming schemes, Figs. 7-11 (docs/vehicular.md)",
    BENCH_VEHICULAR_OPTS,
    NULL,
    "Per scheme and K (N = 32) and per element count at K = 50: per-vehicle throughput\n"
    "measured at the users' receivers from samples and the model's, decision time per slot,\n"
    "95 % t intervals over the runs; Poisson runs as time series; the RCRB by slot."};

int bench_vehicular(int argc, char **argv)
{
    struct opts o = {0};
    o.runs = 0;
    o.poisson_s = 0;
    o.comm_every = 25;
    o.parts = "k,antennas,poisson,rcrb";
    unsigned nsch;
    const struct isac_veh_scheme_vt *const *all = isac_veh_scheme_list(&nsch);
    for (unsigned i = 0; i < nsch && o.ns < MAXS; i++)
        o.schemes[o.ns++] = all[i]->name;
    char sbuf[256];
    unsigned k_one = 0, n_k = 32, rate_tenths = 0;
    int c;
    unsigned long v;
    struct cli_parser cp;
    cli_parser_init(&cp, &cli_cmd_bench_vehicular, argc, argv);
    while ((c = cli_next(&cp)) != CLI_END) {
        switch (c) {
        case 'j': o.json = 1; break;
        case 'q': o.quick = 1; break;
        case 'r':
            if (cli_parse_uint("bench vehicular", "--runs", cp.arg, 2, 10000, &v))
                return CLI_EUSAGE;
            o.runs = (unsigned)v;
            break;
        case 's':
            if (cli_parse_uint("bench vehicular", "--seconds", cp.arg, 1, 3600, &v))
                return CLI_EUSAGE;
            o.poisson_s = (unsigned)v;
            break;
        case 'c':
            if (cli_parse_uint("bench vehicular", "--comm-every", cp.arg, 1, 100000, &v))
                return CLI_EUSAGE;
            o.comm_every = (unsigned)v;
            break;
        case 'S':
            snprintf(sbuf, sizeof sbuf, "%s", cp.arg);
            if (parse_schemes(&o, sbuf))
                return CLI_EUSAGE;
            break;
        case 'p': o.parts = cp.arg; break;
        case 'R':
            if (cli_parse_uint("bench vehicular", "--rate", cp.arg, 1, 1000, &v))
                return CLI_EUSAGE;
            rate_tenths = (unsigned)v;
            break;
        case 'e':
            if (cli_parse_uint("bench vehicular", "--elements", cp.arg, 2, ISAC_VEH_MAX_N, &v))
                return CLI_EUSAGE;
            n_k = (unsigned)v;
            break;
        case 'k':
            if (cli_parse_uint("bench vehicular", "--k", cp.arg, 1, 64, &v))
                return CLI_EUSAGE;
            k_one = (unsigned)v;
            break;
        case 'w':
            snprintf(o.lstm_a, sizeof o.lstm_a, "%s/assign.weights", cp.arg);
            snprintf(o.lstm_b, sizeof o.lstm_b, "%s/beam.weights", cp.arg);
            break;
        case CLI_HELP: return CLI_OK;
        default: return CLI_EUSAGE;
        }
    }
    if (cp.next < argc)
        return cli_usage("bench vehicular", "unexpected argument '%s'", argv[cp.next]);
    if (!o.runs)
        o.runs = o.quick ? 3 : 10;
    openblas_set_num_threads(1); /* 32 x 32 eigenproblems: threads only spin */
    if (!o.poisson_s)
        o.poisson_s = o.quick ? 4 : 40;
    static const unsigned Kf[] = {5, 10, 20, 30, 40, 50}, Kq[] = {10, 30, 50};
    const unsigned *Ks = o.quick ? Kq : Kf;
    unsigned nK = o.quick ? 3 : 6;
    if (k_one) { /* one K only (tests, quick looks) */
        Ks = &k_one;
        nK = 1;
    }
    json_t *rows = json_array(), *rcrb = json_array(), *pois = json_array();
    int rc = ISAC_OK;
    int do_k = has_part(o.parts, "k"), do_ant = has_part(o.parts, "antennas");
    int do_rc = has_part(o.parts, "rcrb"), do_p = has_part(o.parts, "poisson");
    for (unsigned i = 0; do_k && i < nK && rc == ISAC_OK; i++)
        rc = row_set(&o, Ks[i], n_k, rows, Ks[i] == 50 && do_rc ? rcrb : NULL);
    static const unsigned Ns[] = {16, 64};
    for (unsigned i = 0; do_ant && i < 2 && rc == ISAC_OK; i++)
        rc = row_set(&o, 50, Ns[i], rows, do_rc ? rcrb : NULL);
    if (do_p && rc == ISAC_OK && rate_tenths)
        rc = poisson(&o, rate_tenths / 10.0, pois);
    if (do_p && rc == ISAC_OK && !rate_tenths)
        rc = poisson(&o, 5.0, pois);
    if (do_p && rc == ISAC_OK && !rate_tenths)
        rc = poisson(&o, 12.5, pois);
    if (rc != ISAC_OK) {
        json_decref(rows);
        json_decref(rcrb);
        json_decref(pois);
        return CLI_ERUNTIME;
    }
    if (o.json) {
        json_t *top =
            json_pack("{s:s,s:i,s:b,s:o,s:o,s:o}", "bench", "vehicular", "runs", (int)o.runs,
                      "quick", o.quick, "rows", rows, "poisson", pois, "rcrb", rcrb);
        json_dumpf(top, stdout, JSON_COMPACT);
        putchar('\n');
        json_decref(top);
    } else {
        json_decref(rows);
        json_decref(rcrb);
        json_decref(pois);
    }
    return CLI_OK;
}
