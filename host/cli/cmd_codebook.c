/* isactb codebook dft|ma|show: generate and inspect beam codebooks. */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "array/codebook.h"
#include "array/ma_codebook.h"

const struct cli_cmd cli_cmd_codebook = {
    "codebook", "SUBCOMMAND ...", "generate or inspect beam codebooks", NULL, NULL, NULL};

static const struct cli_opt DFT_OPTS[] = {
    {"elements", 'm', "M", "elements of the uniform linear array, 1..4096 (required)"},
    {"beams", 'q', "Q", "beams over [--min-deg, --max-deg], 1..4096 (required)"},
    {"out", 'o', "FILE", "codebook file to write (JSON, required)"},
    {"spacing", 's', "WL", "element spacing in wavelengths, 0.001..16 (default 0.5)"},
    {"min-deg", 'a', "A", "first beam's angle in degrees, -90..90 (default -90)"},
    {"max-deg", 'b', "B", "last beam's angle in degrees, -90..90 (default 90)"},
    {0}};
const struct cli_cmd cli_cmd_codebook_dft = {
    "codebook dft", NULL, "a DFT codebook for a uniform linear array, written to a file",
    DFT_OPTS,       NULL, NULL};

static const struct cli_opt SHOW_OPTS[] = {CLI_OPT_JSON('j'), {0}};
const struct cli_cmd cli_cmd_codebook_show = {
    "codebook show",
    "FILE",
    "each beam of a codebook file: angle, peak, 3 dB beamwidth and sidelobe level",
    SHOW_OPTS,
    NULL,
    "Without --json: a table on stdout."};

static const struct cli_opt MA_OPTS[] = {
    {"elements", 'm', "N", "active elements per beam, 1..256 (required)"},
    {"out", 'o', "FILE", "codebook file to write (JSON, version 2, required)"},
    {"beams", 'q', "Q", "beams over [--min-deg, --max-deg] (default 16)"},
    {"region", 'r', "D", "length of the segment the elements move in, wavelengths (default 8)"},
    {"dmin", 'd', "DMIN", "minimum element spacing, wavelengths (default 0.5)"},
    {"mode", 'M', "MODE", "continuous (mode a: any positions) or grid (mode c: on the grid)"},
    {"grid-step", 'g', "DELTA", "grid pitch in wavelengths; also reports the quantisation loss"},
    {"min-deg", 'a', "A", "first beam's angle in degrees, -90..90 (default -60)"},
    {"max-deg", 'b', "B", "last beam's angle in degrees, -90..90 (default 60)"},
    {"seed", 's', "S", "seed of the position search (default 1)"},
    {"restarts", 'R', "R", "restarts of the position search per beam, 1..64 (default 4)"},
    CLI_OPT_JSON('j'),
    {0}};
const struct cli_cmd cli_cmd_codebook_ma = {
    "codebook ma",
    NULL,
    "movable-antenna beams: per-beam element positions and weights (docs/ma.md)",
    MA_OPTS,
    NULL,
    "Each beam's positions minimise its peak sidelobe in the region at spacing >= DMIN.\n"
    "A region that cannot hold N elements at DMIN is refused in one line."};

static int codebook_dft(int argc, char **argv)
{
    unsigned long M = 0, Q = 0;
    double spacing = 0.5, amin = -90.0, amax = 90.0;
    const char *out = NULL;
    struct cli_parser p;
    cli_parser_init(&p, &cli_cmd_codebook_dft, argc, argv);
    for (int c; (c = cli_next(&p)) != CLI_END;) {
        switch (c) {
        case 'm':
            if (cli_parse_uint("codebook dft", "--elements", p.arg, 1, 4096, &M))
                return CLI_EUSAGE;
            break;
        case 'q':
            if (cli_parse_uint("codebook dft", "--beams", p.arg, 1, ISAC_CODEBOOK_MAX_BEAMS, &Q))
                return CLI_EUSAGE;
            break;
        case 's':
            if (cli_parse_double("codebook dft", "--spacing", p.arg, 1e-3, 16, &spacing))
                return CLI_EUSAGE;
            break;
        case 'a':
            if (cli_parse_double("codebook dft", "--min-deg", p.arg, -90, 90, &amin))
                return CLI_EUSAGE;
            break;
        case 'b':
            if (cli_parse_double("codebook dft", "--max-deg", p.arg, -90, 90, &amax))
                return CLI_EUSAGE;
            break;
        case 'o': out = p.arg; break;
        case CLI_HELP: return CLI_OK;
        default: return CLI_EUSAGE;
        }
    }
    if (p.next < argc)
        return cli_usage("codebook dft", "unexpected argument '%s'", argv[p.next]);
    if (!M || !Q || !out)
        return cli_usage("codebook dft", "--elements, --beams and --out are required");
    if (amin >= amax)
        return cli_usage("codebook dft", "--min-deg %g must be below --max-deg %g", amin, amax);
    isac_array arr = isac_array_create_ula((unsigned)M, spacing);
    isac_codebook cb =
        arr ? isac_codebook_create_dft(arr, (unsigned)Q, amin * M_PI / 180, amax * M_PI / 180)
            : NULL;
    isac_array_destroy(arr);
    if (!cb)
        return cli_runtime_error("codebook dft", "cannot create the codebook");
    char err[512];
    int rc = isac_codebook_save(cb, out, err, sizeof err);
    isac_codebook_destroy(cb);
    if (rc)
        return cli_runtime_error("codebook dft", "%s", err);
    fprintf(stderr, "isactb codebook dft: wrote %lu beams x %lu elements to %s\n", Q, M, out);
    return CLI_OK;
}

/* One option of `codebook ma` into p; CLI_OK or the usage error. */
static int ma_option(int c, const char *arg, struct isac_ma_codebook_params *p, int *isac_grid,
                     int *json, const char **out)
{
    const char *C = "codebook ma";
    unsigned long u = 0;
    double d = 0;
    switch (c) {
    case 'm':
        if (cli_parse_uint(C, "--elements", arg, 1, ISAC_MA_MAX_ACTIVE, &u))
            return CLI_EUSAGE;
        p->active = (unsigned)u;
        return CLI_OK;
    case 'q':
        if (cli_parse_uint(C, "--beams", arg, 1, ISAC_CODEBOOK_MAX_BEAMS, &u))
            return CLI_EUSAGE;
        p->beams = (unsigned)u;
        return CLI_OK;
    case 'r':
        return cli_parse_double(C, "--region", arg, 1e-3, ISAC_MA_MAX_REGION_WL, &p->region_wl);
    case 'd':
        return cli_parse_double(C, "--dmin", arg, ISAC_MA_MIN_SPACING_WL, ISAC_MA_MAX_REGION_WL,
                                &p->d_min_wl);
    case 'g':
        return cli_parse_double(C, "--grid-step", arg, ISAC_MA_MIN_SPACING_WL,
                                ISAC_MA_MAX_REGION_WL, &p->grid_step_wl);
    case 'a':
        if (cli_parse_double(C, "--min-deg", arg, -90, 90, &d))
            return CLI_EUSAGE;
        p->phi_min = d * M_PI / 180;
        return CLI_OK;
    case 'b':
        if (cli_parse_double(C, "--max-deg", arg, -90, 90, &d))
            return CLI_EUSAGE;
        p->phi_max = d * M_PI / 180;
        return CLI_OK;
    case 's': return cli_parse_u64(C, "--seed", arg, &p->seed);
    case 'R':
        if (cli_parse_uint(C, "--restarts", arg, 1, 64, &u))
            return CLI_EUSAGE;
        p->restarts = (unsigned)u;
        return CLI_OK;
    case 'M':
        if (strcmp(arg, "continuous") && strcmp(arg, "grid"))
            return cli_usage(C, "--mode '%s': expected continuous or grid", arg);
        *isac_grid = !strcmp(arg, "grid");
        return CLI_OK;
    case 'j': *json = 1; return CLI_OK;
    case 'o': *out = arg; return CLI_OK;
    }
    return CLI_EUSAGE;
}

/* The summary of `codebook ma --json` (and the stderr line): the beams' mean PSL and
 * -3 dB width, and with a grid step the quantisation loss of mode (c) against (a). */
static json_t *isac_ma_summary(isac_codebook cb, const struct isac_ma_codebook_params *p,
                               int isac_grid, const struct isac_ma_quant_report *qr)
{
    unsigned Q = isac_codebook_size(cb);
    double psl = 0, bw = 0;
    for (unsigned q = 0; q < Q; q++) {
        struct isac_codebook_beam_stats st;
        isac_codebook_beam_stats(cb, q, 7201, &st);
        psl += st.sidelobe_db / Q;
        bw += st.beamwidth_3db * 180 / M_PI / Q;
    }
    json_t *o =
        json_pack("{s:s,s:i,s:i,s:i,s:f,s:f,s:f,s:f}", "mode", isac_grid ? "grid" : "continuous",
                  "elements", (json_int_t)isac_codebook_elements(cb), "active",
                  (json_int_t)p->active, "beams", (json_int_t)Q, "region_wl", p->region_wl,
                  "d_min_wl", p->d_min_wl, "sidelobe_db_mean", psl, "beamwidth_3db_deg_mean", bw);
    if (o && qr)
        json_object_set_new(
            o, "quantisation",
            json_pack("{s:f,s:f,s:f,s:f,s:f,s:f,s:f,s:f}", "grid_step_wl", p->grid_step_wl,
                      "psl_continuous_db", qr->psl_cont_db, "psl_grid_db", qr->psl_grid_db,
                      "psl_rounded_db", qr->psl_round_db, "loss_grid_db", qr->loss_grid_db,
                      "loss_rounded_db", qr->loss_round_db, "worst_loss_grid_db", qr->worst_grid_db,
                      "aperture_variance_ratio", qr->aperture_ratio));
    return o;
}

static int codebook_ma_cmd(int argc, char **argv)
{
    struct isac_ma_codebook_params p;
    isac_ma_codebook_params_default(&p);
    int isac_grid = 0, json = 0, seen_m = 0;
    const char *out = NULL;
    struct cli_parser cp;
    cli_parser_init(&cp, &cli_cmd_codebook_ma, argc, argv);
    for (int c; (c = cli_next(&cp)) != CLI_END;) {
        if (c == CLI_HELP)
            return CLI_OK;
        seen_m |= c == 'm';
        if (ma_option(c, cp.arg, &p, &isac_grid, &json, &out))
            return CLI_EUSAGE;
    }
    if (cp.next < argc)
        return cli_usage("codebook ma", "unexpected argument '%s'", argv[cp.next]);
    if (!seen_m || !out)
        return cli_usage("codebook ma", "--elements and --out are required");
    if (isac_grid && !(p.grid_step_wl > 0))
        return cli_usage("codebook ma", "--mode grid needs --grid-step");
    char err[512];
    struct isac_ma_quant_report qr;
    int have_q = p.grid_step_wl > 0;
    if (have_q && isac_ma_codebook_quantisation(&p, &qr, err, sizeof err))
        return cli_usage("codebook ma", "%s", err);
    struct isac_ma_codebook_params made = p;
    if (!isac_grid)
        made.grid_step_wl = 0; /* the grid only measures the loss */
    isac_codebook cb = isac_ma_codebook_create(&made, err, sizeof err);
    if (!cb)
        return cli_usage("codebook ma", "%s", err);
    json_t *sum = isac_ma_summary(cb, &p, isac_grid, have_q ? &qr : NULL);
    int rc = isac_codebook_save(cb, out, err, sizeof err);
    isac_codebook_destroy(cb);
    if (rc) {
        json_decref(sum);
        return cli_runtime_error("codebook ma", "%s", err);
    }
    fprintf(stderr, "isactb codebook ma: wrote %u %s beams of %u active elements to %s", p.beams,
            isac_grid ? "grid" : "continuous", p.active, out);
    if (have_q)
        fprintf(stderr, " (quantisation loss on the %g wl grid: %+.2f dB mean peak sidelobe)",
                p.grid_step_wl, qr.loss_grid_db);
    fputc('\n', stderr);
    if (json) {
        json_dumpf(sum, stdout, JSON_COMPACT | JSON_REAL_PRECISION(6));
        putchar('\n');
    }
    json_decref(sum);
    return CLI_OK;
}

static json_t *beam_row(isac_codebook cb, unsigned q, const struct isac_codebook_beam_stats *st)
{
    return json_pack("{s:i,s:o,s:f,s:f,s:f,s:f}", "beam", (json_int_t)q, "angle_deg",
                     isfinite(isac_codebook_angle(cb, q))
                         ? json_real(isac_codebook_angle(cb, q) * 180 / M_PI)
                         : json_null(),
                     "peak_deg", st->peak_angle * 180 / M_PI, "peak_gain_db", st->peak_gain_db,
                     "beamwidth_3db_deg", st->beamwidth_3db * 180 / M_PI, "sidelobe_db",
                     isfinite(st->sidelobe_db) ? st->sidelobe_db : -300.0);
}

static int codebook_show(int argc, char **argv)
{
    int json = 0;
    const char *path = NULL;
    struct cli_parser p;
    cli_parser_init(&p, &cli_cmd_codebook_show, argc, argv);
    for (int c; (c = cli_next(&p)) != CLI_END;) {
        switch (c) {
        case 'j': json = 1; break;
        case CLI_HELP: return CLI_OK;
        default: return CLI_EUSAGE;
        }
    }
    if (p.next < argc)
        path = argv[p.next];
    if (p.next + 1 < argc)
        return cli_usage("codebook show", "unexpected argument '%s'", argv[p.next + 1]);
    if (!path)
        return cli_usage("codebook show", "missing codebook FILE");
    char err[512];
    isac_codebook cb = isac_codebook_load(path, err, sizeof err);
    if (!cb)
        return cli_input_error("codebook show", "%s", err);
    unsigned Q = isac_codebook_size(cb);
    json_t *rows = json_array();
    if (!json)
        printf("%5s %10s %10s %10s %12s %12s\n", "beam", "angle_deg", "peak_deg", "gain_dB",
               "bw3dB_deg", "sidelobe_dB");
    for (unsigned q = 0; q < Q; q++) {
        struct isac_codebook_beam_stats st;
        isac_codebook_beam_stats(cb, q, 3601, &st);
        if (json)
            json_array_append_new(rows, beam_row(cb, q, &st));
        else
            printf("%5u %10.2f %10.2f %10.2f %12.2f %12.2f\n", q,
                   isac_codebook_angle(cb, q) * 180 / M_PI, st.peak_angle * 180 / M_PI,
                   st.peak_gain_db, st.beamwidth_3db * 180 / M_PI, st.sidelobe_db);
    }
    if (json) {
        json_t *o = json_pack("{s:i,s:i,s:o}", "elements", (json_int_t)isac_codebook_elements(cb),
                              "beams", (json_int_t)Q, "rows", rows);
        json_dumpf(o, stdout, JSON_COMPACT);
        putchar('\n');
        json_decref(o);
    } else
        json_decref(rows);
    isac_codebook_destroy(cb);
    return CLI_OK;
}

int cmd_codebook(int argc, char **argv)
{
    int rc = cli_group(&cli_cmd_codebook, argc, argv);
    if (rc >= 0)
        return rc;
    if (!strcmp(argv[1], "ma"))
        return codebook_ma_cmd(argc - 1, argv + 1);
    return !strcmp(argv[1], "dft") ? codebook_dft(argc - 1, argv + 1)
                                   : codebook_show(argc - 1, argv + 1);
}
