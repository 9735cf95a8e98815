/* isactb bench lstm: forward time of the Bi-LSTM per sequence (one slot's vehicles) for the
 * two networks of seed 000 at Nt = Nr = 32 (docs/learning.md "Bi-LSTM", docs/bench.md). */
#include <cblas.h>
#include <getopt.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "learn/lstm.h"

static const char *const USAGE =
    "usage: isactb bench lstm [--in N] [--hidden N] [--dense LIST] [--seconds S] [--json]\n"
    "  Forward time per sequence of K = 10, 20, 50, 100 steps for the assignment net (1\n"
    "  sigmoid output) and the beam net (2 Nt = 64 outputs), one thread. --in: features per\n"
    "  vehicle (default 130 = 2 Nr + 2 Nt + 2 at 32 antennas); --hidden (64); --dense\n"
    "  (64); --seconds: timing per row (0.2).\n";

int bench_lstm(int argc, char **argv)
{
    static const struct option opts[] = {{"in", required_argument, 0, 'i'},
                                         {"hidden", required_argument, 0, 'H'},
                                         {"dense", required_argument, 0, 'd'},
                                         {"seconds", required_argument, 0, 's'},
                                         {"json", no_argument, 0, 'j'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    unsigned long in = 130, hidden = 64, dense = 64;
    double secs = 0.2;
    int json = 0, c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
        switch (c) {
        case 'i':
            if (cli_parse_uint("bench lstm", "--in", optarg, 1, 4096, &in))
                return CLI_EUSAGE;
            break;
        case 'H':
            if (cli_parse_uint("bench lstm", "--hidden", optarg, 1, 1024, &hidden))
                return CLI_EUSAGE;
            break;
        case 'd':
            if (cli_parse_uint("bench lstm", "--dense", optarg, 0, 4096, &dense))
                return CLI_EUSAGE;
            break;
        case 's':
            if (cli_parse_double("bench lstm", "--seconds", optarg, 0.001, 60, &secs))
                return CLI_EUSAGE;
            break;
        case 'j': json = 1; break;
        case 'h': fputs(USAGE, stdout); return CLI_OK;
        case ':': return cli_usage("bench lstm", "option '%s' needs a value", argv[optind - 1]);
        default: return cli_usage("bench lstm", "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind < argc)
        return cli_usage("bench lstm", "unexpected argument '%s'", argv[optind]);
    openblas_set_num_threads(1);
    static const unsigned Ks[] = {10, 20, 50, 100};
    json_t *rows = json_array();
    if (!json)
        printf("%-8s %5s %9s %14s %14s\n", "network", "K", "params", "us/sequence", "us/vehicle");
    for (int net = 0; net < 2; net++) {
        struct bilstm_cfg cfg;
        bilstm_cfg_defaults(&cfg, (unsigned)in, net ? 64 : 1);
        cfg.hidden = (unsigned)hidden;
        cfg.ndense = dense ? 1 : 0;
        cfg.dense[0] = (unsigned)dense;
        cfg.head = net ? BILSTM_HEAD_MSE : BILSTM_HEAD_BCE;
        cfg.ball_groups = net ? 1 : 0;
        cfg.max_len = 100;
        cfg.max_batch = 1;
        char err[256];
        bilstm n = bilstm_create(&cfg, 1, err, sizeof err);
        if (!n) {
            json_decref(rows);
            return cli_usage("bench lstm", "%s", err);
        }
        for (size_t k = 0; k < sizeof Ks / sizeof *Ks; k++) {
            double t = bilstm_time_forward(n, Ks[k], secs, 7 + k);
            const char *name = net ? "beam" : "assign";
            if (json)
                json_array_append_new(
                    rows, json_pack("{s:s,s:i,s:I,s:f,s:f}", "network", name, "K",
                                    (json_int_t)Ks[k], "params", (json_int_t)bilstm_num_params(n),
                                    "us_per_sequence", 1e6 * t, "us_per_vehicle", 1e6 * t / Ks[k]));
            else
                printf("%-8s %5u %9zu %14.1f %14.2f\n", name, Ks[k], bilstm_num_params(n), 1e6 * t,
                       1e6 * t / Ks[k]);
        }
        bilstm_destroy(n);
    }
    if (json) {
        json_t *o =
            json_pack("{s:s,s:i,s:i,s:i,s:o}", "bench", "lstm", "in", (json_int_t)in, "hidden",
                      (json_int_t)hidden, "dense", (json_int_t)dense, "rows", rows);
        json_dumpf(o, stdout, JSON_COMPACT);
        putchar('\n');
        json_decref(o);
    } else {
        json_decref(rows);
    }
    return CLI_OK;
}
