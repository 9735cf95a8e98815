/* isactb bench fuse: CPI rate and latency of a distributed run per node count
 * (docs/bench.md, docs/distributed.md). For each node count it runs `isactb fuse --spawn N`
 * (real processes on loopback) and `isactb run` once on the same experiment, and reports
 * the fuse's counters: CPIs per second over the whole run, and the per-CPI latency from
 * sending the command to holding every AP's terms. */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"

static const struct cli_opt BFUSE_OPTS[] = {
    {"nodes", 'n', "LIST", "comma-separated node counts, each 1..16 (default 1,2,4,8)"},
    {"radio", 'r', "SPEC",
     "radio spec (default: two emulators joined into one 8-AP set, no targets)"},
    {"episodes", 'e', "N", "episodes per run (default 2)"},
    CLI_OPT_JSON('j'),
    {0}};
const struct cli_cmd cli_cmd_bench_fuse = {
    "bench fuse",
    NULL,
    "CPI rate and latency of fuse --spawn N per node count against one isactb run",
    BFUSE_OPTS,
    NULL,
    "docs/distributed.md."};

#define BENCH_FUSE_RADIO "set:[sim:targets=0,elements=16]+[sim:targets=0,elements=16,seed=2]"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Run /proc/self/exe with argv, stdout to /dev/null; the exit status. */
static int run_child(const char *const *argv)
{
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        if (!freopen("/dev/null", "w", stdout))
            _exit(126);
        execv("/proc/self/exe", (char *const *)argv);
        _exit(127);
    }
    int st = 0;
    waitpid(pid, &st, 0);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static json_t *one_count(unsigned n, const char *isac_radio, const char *episodes, double run_rate,
                         unsigned run_cpis)
{
    char nodes[16], stats[64];
    snprintf(nodes, sizeof nodes, "%u", n);
    snprintf(stats, sizeof stats, "/tmp/isactb-bench-fuse-%ld.json", (long)getpid());
    const char *argv[] = {"isactb",     "fuse",   "--spawn", nodes,     "--radio", isac_radio,
                          "--episodes", episodes, "--quiet", "--stats", stats,     NULL};
    if (run_child(argv) != 0)
        return NULL;
    json_t *s = json_load_file(stats, 0, NULL);
    unlink(stats);
    if (!s)
        return NULL;
    json_t *lat = json_object_get(s, "latency_ms");
    json_t *row = json_pack(
        "{s:i,s:I,s:f,s:f,s:O,s:O,s:O,s:f,s:f}", "nodes", (json_int_t)n, "cpis",
        json_integer_value(json_object_get(s, "cpis")), "cpi_rate_hz",
        json_real_value(json_object_get(s, "cpi_rate_hz")), "wall_s",
        json_real_value(json_object_get(s, "wall_s")), "latency_ms", lat,
        "terms_bytes_per_cpi_per_ap", json_object_get(s, "terms_bytes_per_cpi_per_ap"),
        "blocks_missing", json_object_get(s, "blocks_missing"), "single_process_cpi_rate_hz",
        run_rate, "speedup",
        run_rate > 0 ? json_real_value(json_object_get(s, "cpi_rate_hz")) / run_rate : 0.0);
    (void)run_cpis;
    json_decref(s);
    return row;
}

int bench_fuse(int argc, char **argv)
{
    const char *list = "1,2,4,8", *isac_radio = BENCH_FUSE_RADIO, *episodes = "2";
    int json = 0;
    struct cli_parser p;
    cli_parser_init(&p, &cli_cmd_bench_fuse, argc, argv);
    for (int c; (c = cli_next(&p)) != CLI_END;) {
        switch (c) {
        case 'j': json = 1; break;
        case 'n': list = p.arg; break;
        case 'r': isac_radio = p.arg; break;
        case 'e': episodes = p.arg; break;
        case CLI_HELP: return CLI_OK;
        default: return CLI_EUSAGE;
        }
    }
    if (p.next < argc)
        return cli_usage("bench fuse", "unexpected argument '%s'", argv[p.next]);
    /* the single-process reference: same experiment through isactb run */
    const char *rargv[] = {"isactb",     "run",    "--radio", isac_radio,
                           "--episodes", episodes, "--quiet", NULL};
    double t = now_s();
    if (run_child(rargv) != 0)
        return cli_runtime_error("bench fuse", "isactb run --radio %s failed", isac_radio);
    double run_wall = now_s() - t;
    json_t *rows = json_array();
    double run_rate = 0;
    for (const char *p = list; p && *p;) {
        char *end;
        unsigned long n = strtoul(p, &end, 10);
        if (end == p || n < 1 || n > 16 || (*end && *end != ','))
            return cli_usage("bench fuse", "--nodes: invalid list '%s'", list);
        p = *end ? end + 1 : end;
        json_t *row = one_count((unsigned)n, isac_radio, episodes, run_rate, 0);
        if (!row) {
            json_decref(rows);
            return cli_runtime_error("bench fuse", "isactb fuse --spawn %lu failed", n);
        }
        if (run_rate == 0) { /* the CPI count of the run is the fuse's */
            run_rate = json_integer_value(json_object_get(row, "cpis")) / run_wall;
            json_object_set_new(row, "single_process_cpi_rate_hz", json_real(run_rate));
            json_object_set_new(
                row, "speedup",
                json_real(json_real_value(json_object_get(row, "cpi_rate_hz")) / run_rate));
        }
        json_array_append_new(rows, row);
    }
    if (json) {
        json_t *o = json_pack("{s:s,s:s,s:f,s:o}", "radio", isac_radio, "episodes", episodes,
                              "single_process_wall_s", run_wall, "rows", rows);
        json_dumpf(o, stdout, JSON_COMPACT);
        putchar('\n');
        json_decref(o);
        return CLI_OK;
    }
    printf("%6s %6s %10s %10s %10s %10s %8s\n", "nodes", "cpis", "CPI/s", "lat_p50", "lat_p95",
           "run CPI/s", "speedup");
    size_t i;
    json_t *r;
    json_array_foreach(rows, i, r)
    {
        json_t *l = json_object_get(r, "latency_ms");
        printf("%6lld %6lld %10.1f %8.2fms %8.2fms %10.1f %8.2f\n",
               (long long)json_integer_value(json_object_get(r, "nodes")),
               (long long)json_integer_value(json_object_get(r, "cpis")),
               json_real_value(json_object_get(r, "cpi_rate_hz")),
               json_real_value(json_object_get(l, "p50")),
               json_real_value(json_object_get(l, "p95")),
               json_real_value(json_object_get(r, "single_process_cpi_rate_hz")),
               json_real_value(json_object_get(r, "speedup")));
    }
    json_decref(rows);
    return CLI_OK;
}
