/* isactb bench replay [CAPTURE]: how fast `replay` processes a capture, against the FFT
 * floor of one CPI (docs/bench.md). Without CAPTURE it records the default experiment
 * first (in a child process, so that the recording's memory is not the replay's), into
 * a temporary directory it removes afterwards. */
#include <dirent.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench/bench.h"
#include "cli/cli.h"
#include "common/err.h"
#include "common/pool.h"
#include "dsp/mf.h"

static const struct cli_opt BREPLAY_OPTS[] = {
    CLI_OPT_JSON('j'),
    CLI_OPT_THREADS('T'),
    {"episodes", 'e', "N", "episodes of the capture recorded first, 1..1000 (default 6)"},
    {"keep", 'k', "DIR", "record the capture into DIR and keep it (default: a removed temporary)"},
    CLI_OPT_CONFIG('c'),
    CLI_OPT_RADIO('r'),
    {"repeat", 'n', "N", "replays timed, the best is reported, 1..100 (default 3)"},
    {0}};
const struct cli_cmd cli_cmd_bench_replay = {
    "bench replay",
    "[CAPTURE]",
    "replay throughput of a capture against the FFT floor of one CPI",
    BREPLAY_OPTS,
    NULL,
    "Without CAPTURE the default experiment (or --config, --radio) is recorded first."};

struct breplay_args {
    const char *capture, *keep, *config, *radio;
    unsigned threads, episodes, repeat;
    int json;
};

static int parse(int argc, char **argv, struct breplay_args *a)
{
    unsigned long ul;
    *a = (struct breplay_args){.threads = isac_pool_online_cores(), .episodes = 6, .repeat = 3};
    struct cli_parser p;
    cli_parser_init(&p, &cli_cmd_bench_replay, argc, argv);
    for (int c; (c = cli_next(&p)) != CLI_END;) {
        switch (c) {
        case 'j': a->json = 1; break;
        case 'k': a->keep = p.arg; break;
        case 'c': a->config = p.arg; break;
        case 'n':
            if (cli_parse_uint("bench replay", "--repeat", p.arg, 1, 100, &ul))
                return CLI_EUSAGE;
            a->repeat = (unsigned)ul;
            break;
        case 'r': a->radio = p.arg; break;
        case 'T':
            if (cli_parse_threads("bench replay", p.arg, &a->threads))
                return CLI_EUSAGE;
            break;
        case 'e':
            if (cli_parse_uint("bench replay", "--episodes", p.arg, 1, 1000, &ul))
                return CLI_EUSAGE;
            a->episodes = (unsigned)ul;
            break;
        case CLI_HELP: return -1;
        default: return CLI_EUSAGE;
        }
    }
    if (p.next < argc)
        a->capture = argv[p.next++];
    if (p.next < argc)
        return cli_usage("bench replay", "unexpected argument '%s'", argv[p.next]);
    if (a->capture && (a->keep || a->config || a->radio))
        return cli_usage("bench replay",
                         "--keep, --config and --radio record a capture: not with CAPTURE");
    return CLI_OK;
}

static double cpu_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* `isactb run --episodes E --out DIR --record --quiet [--config F] [--radio S]` in a
 * child process. */
static int record_default(const struct breplay_args *a, const char *dir)
{
    char eps[16];
    snprintf(eps, sizeof eps, "%u", a->episodes);
    fprintf(stderr, "isactb bench replay: recording %u episodes of %s in %s\n", a->episodes,
            a->config ? a->config : "the default experiment", dir);
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0)
        return cli_runtime_error("bench replay", "cannot start the recording: fork failed");
    if (pid == 0) {
        char *argv[12] = {"run", "--episodes", eps, "--out", (char *)dir, "--record", "--quiet"};
        int argc = 7;
        if (a->config) {
            argv[argc++] = "--config";
            argv[argc++] = (char *)a->config;
        }
        if (a->radio) {
            argv[argc++] = "--radio";
            argv[argc++] = (char *)a->radio;
        }
        if (!freopen("/dev/null", "w", stdout))
            _exit(CLI_ERUNTIME);
        _exit(cmd_run(argc, argv));
    }
    int st = 0;
    if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
        return cli_runtime_error("bench replay", "recording the default capture in %s failed", dir);
    return CLI_OK;
}

/* Remove the files of a directory this command made, then the directory. */
static void remove_dir(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    char path[4400]; /* dir (< 4096) / d_name (< 256) */
    while (d && (e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        unlink(path);
    }
    if (d)
        closedir(d);
    rmdir(dir);
}

/* What one CPI of the capture is: channels, window, FFT size, CPI count. */
static int capture_shape(const char *path, unsigned *C, size_t *W, size_t *N, size_t *ncpi)
{
    isac_sigmf_reader rd;
    struct isac_exp_config cfg;
    isac_codebook cb;
    int rc = cli_capture_open("bench replay", path, &rd, &cfg, &cb);
    if (rc)
        return rc;
    struct isac_radio_info info;
    struct isac_sigmf_cpi_info ci = {0};
    isac_sigmf_reader_radio_info(rd, &info);
    *ncpi = isac_sigmf_reader_num_cpis(rd);
    if (*ncpi)
        isac_sigmf_reader_cpi_info(rd, 0, &ci);
    *C = info.num_rx;
    *W = ci.len;
    *N = isac_mf_fft_size(ci.len);
    isac_sigmf_reader_close(rd);
    isac_codebook_destroy(cb);
    if (!*ncpi || !*N)
        return cli_input_error("bench replay", "%s: no CPI to replay", path);
    return CLI_OK;
}

static int print(const struct breplay_args *a, const char *path, size_t ncpi, double secs,
                 double cpu, double t_floor, unsigned C, size_t W, size_t N)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    double rate = (double)ncpi / secs, floor_rate = 1.0 / t_floor, rss = ru.ru_maxrss / 1024.0;
    if (!a->json) {
        printf("replay %s\n  %zu CPIs in %.3f s (%.3f s CPU): %.1f CPI/s; FFT floor %.1f CPI/s "
               "(%u channels x 2 FFTs of %zu points, window %zu); ratio %.2f; %u threads; peak "
               "RSS %.1f MB\n",
               path, ncpi, secs, cpu, rate, floor_rate, C, N, W, floor_rate / rate, a->threads,
               rss);
        return CLI_OK;
    }
    json_t *o = json_pack(
        "{s:s,s:f,s:I,s:f,s:f,s:f,s:f,s:i,s:f,s:i,s:I,s:I}", "capture", path, "cpu_seconds", cpu,
        "cpis", (json_int_t)ncpi, "seconds", secs, "cpi_per_s", rate, "floor_cpi_per_s", floor_rate,
        "ratio", floor_rate / rate, "threads", (json_int_t)a->threads, "peak_rss_mb", rss,
        "channels", (json_int_t)C, "window", (json_int_t)W, "fft_size", (json_int_t)N);
    char *s = o ? json_dumps(o, JSON_COMPACT | JSON_REAL_PRECISION(6)) : NULL;
    json_decref(o);
    if (!s)
        return cli_runtime_error("bench replay", "cannot build the JSON output");
    puts(s);
    free(s);
    return CLI_OK;
}

int bench_replay(int argc, char **argv)
{
    struct breplay_args a;
    int rc = parse(argc, argv, &a);
    if (rc)
        return rc < 0 ? CLI_OK : rc;
    char tmp[4096] = "", path[4200];
    if (!a.capture && a.keep)
        snprintf(path, sizeof path, "%s", a.keep);
    else if (!a.capture) {
        const char *t = getenv("TMPDIR");
        snprintf(tmp, sizeof tmp, "%s/isactb-bench-replay-XXXXXX", t && *t ? t : "/tmp");
        if (!mkdtemp(tmp))
            return cli_runtime_error("bench replay", "%s: cannot create a temporary directory",
                                     tmp);
        snprintf(path, sizeof path, "%s", tmp);
    } else
        snprintf(path, sizeof path, "%s", a.capture);
    if (!a.capture && (rc = record_default(&a, path)))
        goto done;
    unsigned C;
    size_t W, N, ncpi;
    if ((rc = capture_shape(path, &C, &W, &N, &ncpi)))
        goto done;
    char threads[16];
    snprintf(threads, sizeof threads, "%u", a.threads);
    char *rargv[] = {"replay", path, "--quiet", "--threads", threads, NULL};
    fflush(NULL);
    /* the best of `repeat` replays: on a shared machine bursts of other load, not the code,
     * make the spread; the CPU time of the best one is reported too */
    double secs = 1e30, cpu = 0;
    for (unsigned k = 0; k < a.repeat; k++) {
        double t0 = now_s(), c0 = cpu_s();
        /* the replay's summary line is not this bench's output */
        int out = dup(STDOUT_FILENO), null = open("/dev/null", O_WRONLY);
        if (out >= 0 && null >= 0)
            dup2(null, STDOUT_FILENO);
        rc = cmd_replay(5, rargv);
        fflush(stdout);
        if (out >= 0 && null >= 0)
            dup2(out, STDOUT_FILENO);
        if (out >= 0)
            close(out);
        if (null >= 0)
            close(null);
        if (rc)
            goto done;
        double el = now_s() - t0;
        if (el < secs) {
            secs = el;
            cpu = cpu_s() - c0;
        }
    }
    double t_floor;
    struct isac_bench_cfg bc = {0.05, 7};
    int brc = isac_bench_fft_floor_cpi(C, N, a.threads, &bc, &t_floor);
    rc = brc ? cli_runtime_error("bench replay", "FFT floor: %s", isac_strerror(brc))
             : print(&a, path, ncpi, secs, cpu, t_floor, C, W, N);
done:
    if (tmp[0])
        remove_dir(tmp);
    return rc;
}
