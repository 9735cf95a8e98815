/* isactb run on a highway experiment (engine/highway.h) and isactb bench comm. */
#include "cli/cmd_highway.h"

#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli.h"
#include "cli/cli_serve.h"
#include "common/err.h"
#include "common/out_dir.h"
#include "engine/highway.h"
#include "serve/hwy_view.h"

static const char *const HWY_USAGE =
    "usage: isactb run --config HIGHWAY.yaml [--seed N] [--out DIR [--record]] [--json] "
    "[--quiet]\n"
    "                  [--serve [ADDR:]PORT [--serve-linger SECONDS]]\n"
    "  Runs the highway scene (docs/tracking.md): per-user SINR/BER/BLER/goodput from\n"
    "  samples and tracking RMSE against the PCRB. --out DIR writes result.json and the\n"
    "  figures highway_tracks, highway_rmse, highway_sinr; --record also records the\n"
    "  capture DIR/highway.sigmf-{meta,data} that `isactb replay DIR` reproduces.\n"
    "  --serve shows the slots live (tracks, users' SINR; docs/live-view.md).\n";

/* result.json through a temporary name, so a failed write leaves nothing that looks done */
static int write_result(const json_t *res, const char *dir, char *err, size_t errlen)
{
    char path[1100], tmp[1100];
    snprintf(path, sizeof path, "%s/result.json", dir);
    snprintf(tmp, sizeof tmp, "%s/.result.json.tmp", dir);
    FILE *f = isac_fcreate_excl(tmp, err, errlen); /* never another run's file */
    if (!f)
        return ISAC_EIO;
    int bad = json_dumpf(res, f, JSON_INDENT(1));
    bad |= fclose(f);
    if (bad || rename(tmp, path)) {
        remove(tmp); /* created above by this run */
        isac_seterr(err, errlen, "%s: cannot write", path);
        return ISAC_EIO;
    }
    return ISAC_OK;
}

struct hwy_args {
    const char *config, *seed, *out, *serve;
    int json, quiet, record;
    double linger;
};

static int run_locked(const struct isac_hwy_config *cfgp, const struct hwy_args *a);

int cmd_run_highway(int argc, char **argv)
{
    static const struct option opts[] = {{"config", required_argument, 0, 'c'},
                                         {"seed", required_argument, 0, 's'},
                                         {"out", required_argument, 0, 'o'},
                                         {"json", no_argument, 0, 'j'},
                                         {"quiet", no_argument, 0, 'q'},
                                         {"help", no_argument, 0, 'h'},
                                         {"record", no_argument, 0, 'R'},
                                         {"serve", required_argument, 0, 'V'},
                                         {"serve-linger", required_argument, 0, 'G'},
                                         {0, 0, 0, 0}};
    struct hwy_args a = {0};
    int c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
        switch (c) {
        case 'c': a.config = optarg; break;
        case 's': a.seed = optarg; break;
        case 'o': a.out = optarg; break;
        case 'j': a.json = 1; break;
        case 'q': a.quiet = 1; break;
        case 'h': fputs(HWY_USAGE, stdout); return CLI_OK;
        case 'R': a.record = 1; break;
        case 'V': a.serve = optarg; break;
        case 'G':
            if (cli_parse_double("run", "--serve-linger", optarg, 0, 86400, &a.linger))
                return CLI_EUSAGE;
            break;
        case ':': return cli_usage("run", "option '%s' needs a value", argv[optind - 1]);
        default:
            return cli_usage("run", "option '%s' is not available for scene: highway",
                             argv[optind - 1]);
        }
    }
    if (optind < argc)
        return cli_usage("run", "unexpected argument '%s'", argv[optind]);
    if (a.record && !a.out)
        return cli_usage("run", "--record needs --out DIR");
    if (a.linger > 0 && !a.serve)
        return cli_usage("run", "--serve-linger needs --serve");
    struct isac_hwy_config cfg;
    char err[512] = "";
    if (isac_hwy_config_load(a.config, &cfg, err, sizeof err))
        return cli_input_error("run", "%s", err);
    if (a.seed && cli_parse_u64("run", "--seed", a.seed, &cfg.seed))
        return CLI_EUSAGE;
    /* held until exit: a second run on the same --out refuses (docs/reliability.md) */
    int out_lock = a.out ? isac_dir_lock(a.out, err, sizeof err) : -1;
    if (a.out && out_lock < 0)
        return cli_input_error("run", "--out %s", err);
    int rc = run_locked(&cfg, &a);
    isac_dir_unlock(out_lock);
    return rc;
}

/* The scene, watched by lv when not NULL (the view's counters go into res's "view"). */
static int run_served(const struct isac_hwy_config *cfg, live_view lv, isac_hwy_io io, json_t **res,
                      struct isac_hwy_series **ser, char *err, size_t errlen)
{
    if (!lv)
        return isac_hwy_run_io(cfg, io, res, ser, err, errlen);
    hwy_view hv = hwy_view_create(lv, NULL, NULL);
    if (!hv) {
        isac_seterr(err, errlen, "serve: out of memory");
        return ISAC_ENOMEM;
    }
    int rc = isac_hwy_run_watch(cfg, io, hwy_view_observer(hv), res, ser, err, errlen);
    int stopped = rc == ISAC_EIO && live_view_stop_requested(lv);
    hwy_view_finish(hv, *res, !rc ? "finished" : stopped ? "stopped" : "failed");
    if (*res)
        json_object_set_new(*res, "view", hwy_view_stats(hv));
    hwy_view_destroy(hv);
    return rc;
}

static void print_summary(const json_t *res, FILE *to)
{
    json_t *t = json_object_get(res, "tracking");
    /* no track: no RMSE (JSON null), written n/a rather than nan */
    char rm[32] = "n/a", pc[32] = "n/a";
    if (json_is_number(json_object_get(t, "rmse_range_m")))
        snprintf(rm, sizeof rm, "%.3g m", json_number_value(json_object_get(t, "rmse_range_m")));
    if (json_is_number(json_object_get(t, "pcrb_range_m")))
        snprintf(pc, sizeof pc, "%.3g m", json_number_value(json_object_get(t, "pcrb_range_m")));
    fprintf(to,
            "isactb run: highway, %lld slots, %lld vehicles, %zu users, %lld tracks; range "
            "RMSE %s (PCRB %s)\n",
            (long long)json_integer_value(json_object_get(res, "slots")),
            (long long)json_integer_value(json_object_get(res, "vehicles")),
            json_array_size(json_object_get(res, "users")),
            (long long)json_integer_value(json_object_get(t, "tracks")), rm, pc);
}

/* cmd_run_highway once --out is locked */
static int run_locked(const struct isac_hwy_config *cfgp, const struct hwy_args *a)
{
    struct isac_hwy_config cfg = *cfgp;
    char err[512] = "";
    isac_hwy_io io = NULL;
    live_view lv = NULL;
    json_t *res = NULL;
    struct isac_hwy_series *ser = NULL;
    int rc = a->serve ? cli_serve_start("run", a->serve, "highway", &lv) : CLI_OK;
    if (rc)
        return rc;
    if (a->record) {
        size_t len;
        char *text = isac_hwy_config_read_text(a->config, &len, err, sizeof err);
        io = text ? isac_hwy_record_open(a->out, text, &cfg, err, sizeof err) : NULL;
        free(text);
        if (!io) {
            rc = cli_input_error("run", "%s", err[0] ? err : "cannot read the config again");
            goto done;
        }
    }
    int erc = run_served(&cfg, lv, io, &res, a->out ? &ser : NULL, err, sizeof err);
    if (erc == ISAC_OK && io)
        erc = isac_hwy_io_finish(io, res, err, sizeof err);
    if (erc == ISAC_OK && a->out &&
        (write_result(res, a->out, err, sizeof err) ||
         isac_hwy_report_figures(ser, &cfg, a->out, err, sizeof err)))
        erc = ISAC_EIO;
    if (erc) {
        rc = erc == ISAC_EINVAL ? cli_input_error("run", "%s", err)
                                : cli_runtime_error("run", "%s", err);
        goto done;
    }
    if (a->json) {
        json_dumpf(res, stdout, JSON_COMPACT);
        putchar('\n');
    }
    if (!(a->json && a->quiet)) /* the summary is a result: stdout, unless --json is there */
        print_summary(res, a->json ? stderr : stdout);
    fflush(stdout);
    cli_serve_linger("run", lv, a->linger, NULL, NULL);
done:
    isac_hwy_io_close(io);
    isac_hwy_series_free(ser);
    json_decref(res);
    live_view_destroy(lv);
    return rc;
}

int cmd_replay_highway(int argc, char **argv)
{
    static const struct option opts[] = {{"json", no_argument, 0, 'j'},
                                         {"quiet", no_argument, 0, 'q'},
                                         {"out", required_argument, 0, 'o'},
                                         {0, 0, 0, 0}};
    const char *out = NULL;
    int json = 0, quiet = 0, c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
        switch (c) {
        case 'j': json = 1; break;
        case 'q': quiet = 1; break;
        case 'o': out = optarg; break;
        case ':': return cli_usage("replay", "option '%s' needs a value", argv[optind - 1]);
        default:
            return cli_usage("replay", "option '%s' is not available for a highway capture",
                             argv[optind - 1]);
        }
    }
    if (optind + 1 != argc)
        return cli_usage("replay", "expected one capture directory");
    const char *dir = argv[optind];
    struct isac_hwy_config cfg;
    char err[512] = "";
    isac_hwy_io io = isac_hwy_replay_open(dir, &cfg, err, sizeof err);
    if (!io)
        return cli_input_error("replay", "%s", err);
    if (out && mkdir(out, 0777) && !cli_dir_exists(out)) {
        isac_hwy_io_close(io);
        return cli_input_error("replay", "--out %s: cannot create directory", out);
    }
    json_t *res = NULL;
    struct isac_hwy_series *ser = NULL;
    int rc = isac_hwy_run_io(&cfg, io, &res, out ? &ser : NULL, err, sizeof err);
    if (rc == ISAC_OK && !json_equal(res, isac_hwy_io_recorded_result(io))) {
        isac_seterr(err, sizeof err, "%s: the replayed result differs from the recorded one", dir);
        rc = ISAC_EIO;
    }
    isac_hwy_io_close(io);
    if (rc == ISAC_OK && out &&
        (write_result(res, out, err, sizeof err) ||
         isac_hwy_report_figures(ser, &cfg, out, err, sizeof err)))
        rc = ISAC_EIO;
    isac_hwy_series_free(ser);
    if (rc) {
        json_decref(res);
        return rc == ISAC_EFORMAT || rc == ISAC_EINVAL ? cli_input_error("replay", "%s", err)
                                                       : cli_runtime_error("replay", "%s", err);
    }
    if (json) {
        json_dumpf(res, stdout, JSON_COMPACT);
        putchar('\n');
    }
    if (!quiet)
        fprintf(stderr, "isactb replay: highway capture %s: result identical to the recording\n",
                dir);
    json_decref(res);
    return CLI_OK;
}

static const struct cli_opt COMM_OPTS[] = {
    CLI_OPT_JSON('j'),
    {"reps", 'r', "N", "bursts timed per user count, 1..100000 (default 20)"},
    {0}};
const struct cli_cmd cli_cmd_bench_comm = {
    "bench comm",
    NULL,
    "OFDM modulation, emulated user channel and receiver time for K = 1, 2, 4, 8 users",
    COMM_OPTS,
    NULL,
    "docs/comm.md."};

int bench_comm(int argc, char **argv)
{
    int json = 0;
    unsigned long reps = 20;
    struct cli_parser p;
    cli_parser_init(&p, &cli_cmd_bench_comm, argc, argv);
    for (int c; (c = cli_next(&p)) != CLI_END;) {
        switch (c) {
        case 'j': json = 1; break;
        case 'r':
            if (cli_parse_uint("bench comm", "--reps", p.arg, 1, 100000, &reps))
                return CLI_EUSAGE;
            break;
        case CLI_HELP: return CLI_OK;
        default: return CLI_EUSAGE;
        }
    }
    if (p.next < argc)
        return cli_usage("bench comm", "unexpected argument '%s'", argv[p.next]);
    static const unsigned Ks[] = {1, 2, 4, 8};
    json_t *rows = json_array();
    if (!json)
        printf("%6s %16s %16s %16s\n", "users", "modulate_us", "channel_us/user",
               "receiver_us/user");
    for (unsigned i = 0; i < 4; i++) {
        double m, r, x;
        char err[256];
        if (isac_hwy_bench_comm(Ks[i], (unsigned)reps, &m, &r, &x, err, sizeof err)) {
            json_decref(rows);
            return cli_runtime_error("bench comm", "%s", err);
        }
        if (json)
            json_array_append_new(rows, json_pack("{s:i,s:f,s:f,s:f}", "users", (int)Ks[i],
                                                  "modulate_us", m / 1e3, "channel_us_per_user",
                                                  x / 1e3, "receiver_us_per_user", r / 1e3));
        else
            printf("%6u %16.1f %16.1f %16.1f\n", Ks[i], m / 1e3, x / 1e3, r / 1e3);
    }
    if (json) {
        json_t *o = json_pack("{s:s,s:i,s:o}", "bench", "comm", "reps", (int)reps, "rows", rows);
        json_dumpf(o, stdout, JSON_COMPACT);
        putchar('\n');
        json_decref(o);
    } else {
        json_decref(rows);
    }
    return CLI_OK;
}
