/* isactb codebook dft|show: generate and inspect beam codebooks. */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "array/codebook.h"

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
            if (cli_parse_uint("codebook dft", "--beams", p.arg, 1, CODEBOOK_MAX_BEAMS, &Q))
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
    array arr = array_create_ula((unsigned)M, spacing);
    codebook cb =
        arr ? codebook_create_dft(arr, (unsigned)Q, amin * M_PI / 180, amax * M_PI / 180) : NULL;
    array_destroy(arr);
    if (!cb)
        return cli_runtime_error("codebook dft", "cannot create the codebook");
    char err[512];
    int rc = codebook_save(cb, out, err, sizeof err);
    codebook_destroy(cb);
    if (rc)
        return cli_runtime_error("codebook dft", "%s", err);
    fprintf(stderr, "isactb codebook dft: wrote %lu beams x %lu elements to %s\n", Q, M, out);
    return CLI_OK;
}

static json_t *beam_row(codebook cb, unsigned q, const struct codebook_beam_stats *st)
{
    return json_pack("{s:i,s:o,s:f,s:f,s:f,s:f}", "beam", (json_int_t)q, "angle_deg",
                     isfinite(codebook_angle(cb, q)) ? json_real(codebook_angle(cb, q) * 180 / M_PI)
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
    codebook cb = codebook_load(path, err, sizeof err);
    if (!cb)
        return cli_input_error("codebook show", "%s", err);
    unsigned Q = codebook_size(cb);
    json_t *rows = json_array();
    if (!json)
        printf("%5s %10s %10s %10s %12s %12s\n", "beam", "angle_deg", "peak_deg", "gain_dB",
               "bw3dB_deg", "sidelobe_dB");
    for (unsigned q = 0; q < Q; q++) {
        struct codebook_beam_stats st;
        codebook_beam_stats(cb, q, 3601, &st);
        if (json)
            json_array_append_new(rows, beam_row(cb, q, &st));
        else
            printf("%5u %10.2f %10.2f %10.2f %12.2f %12.2f\n", q,
                   codebook_angle(cb, q) * 180 / M_PI, st.peak_angle * 180 / M_PI, st.peak_gain_db,
                   st.beamwidth_3db * 180 / M_PI, st.sidelobe_db);
    }
    if (json) {
        json_t *o = json_pack("{s:i,s:i,s:o}", "elements", (json_int_t)codebook_elements(cb),
                              "beams", (json_int_t)Q, "rows", rows);
        json_dumpf(o, stdout, JSON_COMPACT);
        putchar('\n');
        json_decref(o);
    } else
        json_decref(rows);
    codebook_destroy(cb);
    return CLI_OK;
}

int cmd_codebook(int argc, char **argv)
{
    int rc = cli_group(&cli_cmd_codebook, argc, argv);
    if (rc >= 0)
        return rc;
    return !strcmp(argv[1], "dft") ? codebook_dft(argc - 1, argv + 1)
                                   : codebook_show(argc - 1, argv + 1);
}
