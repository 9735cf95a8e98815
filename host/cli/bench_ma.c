/* isactb bench ma: seed 002's optimisers against the half-wavelength ULA and the other
 * baselines, averaged over Monte Carlo draws of the V2I scene (host/ma/ma_schemes.h;
 * docs/ma.md "Results against Tables III and IV", docs/bench.md).
 *
 * Draw i uses seed + i for the vehicles, the tracker noise, the random baseline and the
 * swarm, so the numbers do not depend on --threads (draws run in parallel, results are
 * reduced in draw order).
 */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "common/err.h"
#include "common/pool.h"
#include "ma/ma_schemes.h"

static const struct cli_opt BMA_OPTS[] = {
    CLI_OPT_JSON('j'),
    {"draws", 'n', "N", "Monte Carlo draws of the V2I scene, 1..100000 (default 20)"},
    CLI_OPT_THREADS('T'),
    {"seed", 's', "S", "seed of draw 0; draw i uses S + i (default 1)"},
    {"eps-theta", 'e', "R", "DoD threshold, fraction of the ULA's comm-only bound (default 1.02)"},
    {"region", 'r', "L", "Tx and Rx segment length in wavelengths (default 7)"},
    {"dmin", 'd', "D", "minimum element spacing in wavelengths (default 0.5)"},
    {"elements", 'm', "N", "Tx = Rx elements (default 8)"},
    {"rho", 'p', "R", "PRE-SC-PGA weight of the rate against the bound, 0..1 (default 0.5)"},
    {"quick", 'q', NULL, "a smaller swarm (6 particles, 8 iterations), 15 PGA iterations"},
    {"known-beta", 'k', NULL, "the known-amplitude FIM (origin-dependent) instead of unknown"},
    {0}};
const struct cli_cmd cli_cmd_bench_ma = {
    "bench ma",
    NULL,
    "seed 002's movable-antenna optimisers against the half-wavelength ULA (docs/ma.md)",
    BMA_OPTS,
    NULL,
    "Schemes ulah, ma_pga, ma_pso, ma_grid, fpa, random: sum rate, mean DoD/distance/velocity\n"
    "LPCRLB, constraints met, seconds per draw, 95 % intervals and paired gains vs ulah."};

struct bma_args {
    int json, quick, known_beta;
    unsigned draws, threads, elements;
    uint64_t seed;
    double eps_theta, region, dmin, rho;
};

static int parse(int argc, char **argv, struct bma_args *a)
{
    *a = (struct bma_args){.draws = 20,
                           .threads = isac_pool_online_cores(),
                           .elements = 8,
                           .seed = 1,
                           .eps_theta = 1.02,
                           .region = 7.0,
                           .dmin = 0.5,
                           .rho = 0.5};
    unsigned long ul;
    struct cli_parser cp;
    cli_parser_init(&cp, &cli_cmd_bench_ma, argc, argv);
    for (int c; (c = cli_next(&cp)) != CLI_END;) {
        const char *arg = cp.arg;
        switch (c) {
        case 'j': a->json = 1; break;
        case 'q': a->quick = 1; break;
        case 'k': a->known_beta = 1; break;
        case 'n':
            if (cli_parse_uint("bench ma", "--draws", arg, 1, 100000, &ul))
                return CLI_EUSAGE;
            a->draws = (unsigned)ul;
            break;
        case 'T':
            if (cli_parse_threads("bench ma", arg, &a->threads))
                return CLI_EUSAGE;
            break;
        case 's':
            if (cli_parse_u64("bench ma", "--seed", arg, &a->seed))
                return CLI_EUSAGE;
            break;
        case 'e':
            if (cli_parse_double("bench ma", "--eps-theta", arg, 1e-3, 1e3, &a->eps_theta))
                return CLI_EUSAGE;
            break;
        case 'r':
            if (cli_parse_double("bench ma", "--region", arg, 1e-3, 1e3, &a->region))
                return CLI_EUSAGE;
            break;
        case 'd':
            if (cli_parse_double("bench ma", "--dmin", arg, 1e-3, 100, &a->dmin))
                return CLI_EUSAGE;
            break;
        case 'm':
            if (cli_parse_uint("bench ma", "--elements", arg, 1, ISAC_MA_MAX_ELEMENTS, &ul))
                return CLI_EUSAGE;
            a->elements = (unsigned)ul;
            break;
        case 'p':
            if (cli_parse_double("bench ma", "--rho", arg, 0, 1, &a->rho))
                return CLI_EUSAGE;
            break;
        case CLI_HELP: return -1;
        default: return CLI_EUSAGE;
        }
    }
    if (cp.next < argc)
        return cli_usage("bench ma", "unexpected argument '%s'", argv[cp.next]);
    return CLI_OK;
}

struct job {
    const struct isac_ma_scene *s;
    const struct isac_ma_run_opts *o;
    uint64_t seed;
    struct isac_ma_draw_result *res;
    int *rc;
    char (*err)[256];
};

static void run_one(void *ctx, unsigned i)
{
    struct job *J = ctx;
    J->rc[i] = isac_ma_run_draw(J->s, J->o, J->seed + i, &J->res[i], J->err[i], sizeof J->err[i]);
}

static json_t *stat_json(const struct isac_ma_stat *st)
{
    return json_pack("[f, f]", isfinite(st->lo) ? st->lo : 0.0, isfinite(st->hi) ? st->hi : 0.0);
}

static int print_json(const struct bma_args *a, const struct isac_ma_scene *s,
                      const struct isac_ma_run_opts *o, const struct isac_ma_summary *S)
{
    json_t *root = json_object(), *rows = json_array();
    if (!root || !rows)
        return -1;
    for (int k = 0; k < ISAC_MA_NSCHEMES; k++) {
        const struct isac_ma_summary *m = &S[k];
        json_t *r = json_pack(
            "{s:s, s:f, s:o, s:f, s:o, s:f, s:o, s:f, s:o, s:f, s:o, s:f, s:o, s:f, s:f}", "scheme",
            isac_ma_scheme_name((enum isac_ma_scheme)k), "sum_rate", m->rate.mean, "sum_rate_ci95",
            stat_json(&m->rate), "sum_rate_gain_vs_ulah", m->rate_gain.mean,
            "sum_rate_gain_vs_ulah_ci95", stat_json(&m->rate_gain), "dod_lpcrlb", m->dod.mean,
            "dod_lpcrlb_ci95", stat_json(&m->dod), "dod_lpcrlb_change_vs_ulah", m->dod_change.mean,
            "dod_lpcrlb_change_vs_ulah_ci95", stat_json(&m->dod_change), "dist_lpcrlb",
            m->dist.mean, "dist_lpcrlb_ci95", stat_json(&m->dist), "vel_lpcrlb", m->vel.mean,
            "vel_lpcrlb_ci95", stat_json(&m->vel), "constraints_met", m->met, "seconds",
            m->seconds.mean);
        if (!r || json_array_append_new(rows, r))
            goto fail;
    }
    json_t *scene = json_pack(
        "{s:f, s:f, s:i, s:i, s:i, s:i, s:i, s:f, s:f, s:f, s:f, s:f, s:b}", "fc_hz", s->fc,
        "subcarrier_spacing_hz", s->df, "subcarriers", (json_int_t)s->nsub, "blocks",
        (json_int_t)s->nblk, "tx_elements", (json_int_t)s->nt, "rx_elements", (json_int_t)s->nr,
        "vehicles", (json_int_t)s->K, "region_lambda", s->tx.xmax - s->tx.xmin, "dmin_lambda",
        s->tx.dmin, "eps_theta_rel", o->eps_theta_rel, "eps_dv_rel", o->eps_dv_rel, "rho",
        o->pga.rho, "known_beta", s->known_beta);
    json_t *paper = json_pack("{s:{s:f, s:f, s:f}, s:{s:f, s:f, s:f}}", "table3_sum_rate", "ulah",
                              14.5143, "ma_pso", 14.7093, "ma_pga", 14.6810, "table4_dod_mean",
                              "ulah", 1.4445e-5, "ma_pso", 1.3115e-5, "ma_pga", 1.3805e-5);
    if (!scene || !paper)
        goto fail;
    json_object_set_new(root, "draws", json_integer(a->draws));
    json_object_set_new(root, "seed", json_integer((json_int_t)a->seed));
    json_object_set_new(root, "threads", json_integer(a->threads));
    json_object_set_new(root, "particles", json_integer(o->pso.particles));
    json_object_set_new(root, "pso_iterations", json_integer(o->pso.iters));
    json_object_set_new(root, "scene", scene);
    json_object_set_new(root, "paper", paper);
    json_object_set_new(root, "rows", rows);
    char *txt = json_dumps(root, JSON_COMPACT | JSON_REAL_PRECISION(7));
    json_decref(root);
    if (!txt)
        return -1;
    puts(txt);
    free(txt);
    return 0;
fail:
    json_decref(rows);
    json_decref(root);
    return -1;
}

static void print_table(const struct bma_args *a, const struct isac_ma_summary *S)
{
    printf("%u draws (seed %llu), 95 %% intervals; gains paired per draw against ulah\n", a->draws,
           (unsigned long long)a->seed);
    printf("%-8s %-28s %-24s %-30s %-24s %5s %8s\n", "scheme", "sum_rate [bit/s/Hz]",
           "gain vs ulah [%]", "dod_lpcrlb [rad^2]", "dod change [%]", "met", "seconds");
    for (int k = 0; k < ISAC_MA_NSCHEMES; k++) {
        const struct isac_ma_summary *m = &S[k];
        char c1[64], c2[64], c3[64], c4[64];
        snprintf(c1, sizeof c1, "%.4f [%.4f, %.4f]", m->rate.mean, m->rate.lo, m->rate.hi);
        snprintf(c2, sizeof c2, "%+.3f [%+.3f, %+.3f]", 100 * m->rate_gain.mean,
                 100 * m->rate_gain.lo, 100 * m->rate_gain.hi);
        snprintf(c3, sizeof c3, "%.4e [%.3e, %.3e]", m->dod.mean, m->dod.lo, m->dod.hi);
        snprintf(c4, sizeof c4, "%+.2f [%+.2f, %+.2f]", 100 * m->dod_change.mean,
                 100 * m->dod_change.lo, 100 * m->dod_change.hi);
        printf("%-8s %-28s %-24s %-30s %-24s %5.2f %8.3f\n",
               isac_ma_scheme_name((enum isac_ma_scheme)k), c1, c2, c3, c4, m->met,
               m->seconds.mean);
    }
    printf("(paper, Table III: ulah 14.5143, RPDPSO 14.7093 (+1.34 %%), PRE-SC-PGA 14.6810; "
           "Table IV mean DoD bound: RPDPSO -9.2 %%; docs/ma.md)\n");
}

int bench_ma(int argc, char **argv)
{
    struct bma_args a;
    int rc = parse(argc, argv, &a);
    if (rc)
        return rc < 0 ? CLI_OK : rc;
    struct isac_ma_scene s;
    isac_ma_scene_default(&s);
    s.nt = s.nr = a.elements;
    s.known_beta = a.known_beta;
    s.tx = (struct isac_ma_region){0.0, a.region, a.dmin};
    s.rx = (struct isac_ma_region){a.region + 1.0, 2.0 * a.region + 1.0, a.dmin};
    char err[256];
    if (isac_ma_scene_check(&s, err, sizeof err) != ISAC_OK)
        return cli_usage("bench ma", "%s", err);
    struct isac_ma_run_opts o;
    if (a.quick)
        isac_ma_run_opts_quick(&o);
    else
        isac_ma_run_opts_default(&o);
    o.eps_theta_rel = a.eps_theta;
    o.pga.rho = a.rho;
    if (fmod(a.dmin, o.grid_pitch) > 1e-9 && fabs(fmod(a.dmin, o.grid_pitch) - o.grid_pitch) > 1e-9)
        o.grid_pitch = a.dmin / 2.0;
    struct isac_ma_draw_result *res = calloc(a.draws, sizeof *res);
    int *rcs = calloc(a.draws, sizeof *rcs);
    char(*errs)[256] = calloc(a.draws, sizeof *errs);
    isac_pool pool = NULL;
    int out = CLI_ERUNTIME;
    if (!res || !rcs || !errs) {
        cli_runtime_error("bench ma", "out of memory");
        goto done;
    }
    pool = a.threads > 1 ? isac_pool_create(a.threads) : NULL;
    if (a.threads > 1 && !pool) {
        cli_runtime_error("bench ma", "cannot start %u threads", a.threads);
        goto done;
    }
    struct job J = {&s, &o, a.seed, res, rcs, errs};
    isac_pool_run(pool, a.draws, run_one, &J);
    for (unsigned i = 0; i < a.draws; i++)
        if (rcs[i] != ISAC_OK) {
            out = rcs[i] == ISAC_EINVAL
                      ? cli_usage("bench ma", "draw %u: %s", i, errs[i])
                      : cli_runtime_error("bench ma", "draw %u: %s", i, isac_strerror(rcs[i]));
            goto done;
        }
    struct isac_ma_summary S[ISAC_MA_NSCHEMES];
    if (isac_ma_summarise(res, a.draws, S) != ISAC_OK) {
        cli_runtime_error("bench ma", "out of memory");
        goto done;
    }
    if (a.json) {
        if (print_json(&a, &s, &o, S)) {
            cli_runtime_error("bench ma", "cannot build the JSON output");
            goto done;
        }
    } else {
        print_table(&a, S);
    }
    out = CLI_OK;
done:
    isac_pool_destroy(pool);
    free(res);
    free(rcs);
    free(errs);
    return out;
}
