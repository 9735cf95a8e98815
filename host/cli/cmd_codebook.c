/* isactb codebook dft|show: generate and inspect beam codebooks. */
#include <getopt.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "array/codebook.h"

static const char *const DFT_USAGE =
    "usage: isactb codebook dft --elements M --beams Q --out FILE\n"
    "                           [--spacing WL] [--min-deg A] [--max-deg B]\n"
    "       isactb codebook show FILE [--json]\n";

static int codebook_dft(int argc, char **argv)
{
    static const struct option opts[] = {
        {"elements", required_argument, 0, 'm'}, {"beams", required_argument, 0, 'q'},
        {"out", required_argument, 0, 'o'},      {"spacing", required_argument, 0, 's'},
        {"min-deg", required_argument, 0, 'a'},  {"max-deg", required_argument, 0, 'b'},
        {"help", no_argument, 0, 'h'},           {0, 0, 0, 0}};
    unsigned long M = 0, Q = 0;
    double spacing = 0.5, amin = -90.0, amax = 90.0;
    const char *out = NULL;
    int c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
        switch (c) {
        case 'm':
            if (cli_parse_uint("codebook dft", "--elements", optarg, 1, 4096, &M))
                return CLI_EUSAGE;
            break;
        case 'q':
            if (cli_parse_uint("codebook dft", "--beams", optarg, 1, CODEBOOK_MAX_BEAMS, &Q))
                return CLI_EUSAGE;
            break;
        case 's':
            if (cli_parse_double("codebook dft", "--spacing", optarg, 1e-3, 16, &spacing))
                return CLI_EUSAGE;
            break;
        case 'a':
            if (cli_parse_double("codebook dft", "--min-deg", optarg, -90, 90, &amin))
                return CLI_EUSAGE;
            break;
        case 'b':
            if (cli_parse_double("codebook dft", "--max-deg", optarg, -90, 90, &amax))
                return CLI_EUSAGE;
            break;
        case 'o': out = optarg; break;
        case 'h': fputs(DFT_USAGE, stdout); return CLI_OK;
        case ':': return cli_usage("codebook dft", "option '%s' needs a value", argv[optind - 1]);
        default: return cli_usage("codebook dft", "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind < argc)
        return cli_usage("codebook dft", "unexpected argument '%s'", argv[optind]);
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
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--json"))
            json = 1;
        else if (!strcmp(argv[i], "--help")) {
            fputs(DFT_USAGE, stdout);
            return CLI_OK;
        } else if (argv[i][0] == '-')
            return cli_usage("codebook show", "unknown option '%s'", argv[i]);
        else if (path)
            return cli_usage("codebook show", "unexpected argument '%s'", argv[i]);
        else
            path = argv[i];
    }
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
    if (argc < 2)
        return cli_usage("codebook", "missing subcommand (dft or show)");
    if (!strcmp(argv[1], "dft"))
        return codebook_dft(argc - 1, argv + 1);
    if (!strcmp(argv[1], "show"))
        return codebook_show(argc - 1, argv + 1);
    if (!strcmp(argv[1], "--help")) {
        fputs(DFT_USAGE, stdout);
        return CLI_OK;
    }
    return cli_usage("codebook", "unknown subcommand '%s' (expected dft or show)", argv[1]);
}
