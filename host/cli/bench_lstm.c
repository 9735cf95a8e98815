/* isactb bench lstm: forward time of the Bi-LSTM per sequence (one slot's vehicles) for the
 * two networks of seed 000 at Nt = Nr = 32 (docs/learning.md "Bi-LSTM", docs/bench.md). */
#include <cblas.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "learn/lstm.h"

static const struct cli_opt BENCH_LSTM_OPTS[] = {
    {"in", 'i', "N", "input features per vehicle, 1..4096 (default 130 = 2 Nr + 2 Nt + 2 at 32)"},
    {"hidden", 'H', "N", "hidden units per direction, 1..1024 (default 64)"},
    {"dense", 'd', "N", "width of the dense ReLU layer, 0..4096 (0: none; default 64)"},
    {"seconds", 's', "S", "timing per row, 0.001..60 s (default 0.2)"},
    CLI_OPT_JSON('j'),
    {0}};
const struct cli_cmd cli_cmd_bench_lstm = {
    "bench lstm",
    NULL,
    "Bi-LSTM forward time per sequence, assignment and beam nets (docs/learning.md)",
    BENCH_LSTM_OPTS,
    NULL,
    "Sequences of K = 10, 20, 50, 100 vehicles, one thread."};

int bench_lstm(int argc, char **argv)
{
    unsigned long in = 130, hidden = 64, dense = 64;
    double secs = 0.2;
    int json = 0, c;
    struct cli_parser cp;
    cli_parser_init(&cp, &cli_cmd_bench_lstm, argc, argv);
    while ((c = cli_next(&cp)) != CLI_END) {
        switch (c) {
        case 'i':
            if (cli_parse_uint("bench lstm", "--in", cp.arg, 1, 4096, &in))
                return CLI_EUSAGE;
            break;
        case 'H':
            if (cli_parse_uint("bench lstm", "--hidden", cp.arg, 1, 1024, &hidden))
                return CLI_EUSAGE;
            break;
        case 'd':
            if (cli_parse_uint("bench lstm", "--dense", cp.arg, 0, 4096, &dense))
                return CLI_EUSAGE;
            break;
        case 's':
            if (cli_parse_double("bench lstm", "--seconds", cp.arg, 0.001, 60, &secs))
                return CLI_EUSAGE;
            break;
        case 'j': json = 1; break;
        case CLI_HELP: return CLI_OK;
        default: return CLI_EUSAGE;
        }
    }
    if (cp.next < argc)
        return cli_usage("bench lstm", "unexpected argument '%s'", argv[cp.next]);
    openblas_set_num_threads(1);
    static const unsigned Ks[] = {10, 20, 50, 100};
    json_t *rows = json_array();
    if (!json)
        printf("%-8s %5s %9s %14s %14s\n", "network", "K", "params", "us/sequence", "us/vehicle");
    for (int net = 0; net < 2; net++) {
        struct isac_bilstm_cfg cfg;
        isac_bilstm_cfg_defaults(&cfg, (unsigned)in, net ? 64 : 1);
        cfg.hidden = (unsigned)hidden;
        cfg.ndense = dense ? 1 : 0;
        cfg.dense[0] = (unsigned)dense;
        cfg.head = net ? ISAC_BILSTM_HEAD_MSE : ISAC_BILSTM_HEAD_BCE;
        cfg.ball_groups = net ? 1 : 0;
        cfg.max_len = 100;
        cfg.max_batch = 1;
        char err[256];
        isac_bilstm n = isac_bilstm_create(&cfg, 1, err, sizeof err);
        if (!n) {
            json_decref(rows);
            return cli_usage("bench lstm", "%s", err);
        }
        for (size_t k = 0; k < sizeof Ks / sizeof *Ks; k++) {
            double t = isac_bilstm_time_forward(n, Ks[k], secs, 7 + k);
            const char *name = net ? "beam" : "assign";
            if (json)
                json_array_append_new(rows, json_pack("{s:s,s:i,s:I,s:f,s:f}", "network", name, "K",
                                                      (json_int_t)Ks[k], "params",
                                                      (json_int_t)isac_bilstm_num_params(n),
                                                      "us_per_sequence", 1e6 * t, "us_per_vehicle",
                                                      1e6 * t / Ks[k]));
            else
                printf("%-8s %5u %9zu %14.1f %14.2f\n", name, Ks[k], isac_bilstm_num_params(n),
                       1e6 * t, 1e6 * t / Ks[k]);
        }
        isac_bilstm_destroy(n);
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
