/* isactb bench serve: the closed loop's CPI rate without the live view, with the view and
 * no viewer, and with N viewers reading the event stream over loopback (docs/live-view.md,
 * "Cost"). The claim of issue 22 is that viewers cost the loop < 5 % of its CPI rate. */
#include <arpa/inet.h>
#include <getopt.h>
#include <jansson.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/cli_serve.h"
#include "common/err.h"
#include "engine/run.h"
#include "serve/run_view.h"

#define BENCH_VIEWERS_MAX 60

static double mono(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

struct phase {
    double until;
    uint64_t cpis;
};

static int phase_stop(void *ctx)
{
    return mono() >= ((const struct phase *)ctx)->until;
}

static void phase_step(void *ctx, pipeline p, unsigned episode, unsigned step,
                       const struct pipeline_result *res)
{
    (void)p;
    (void)episode;
    (void)step;
    (void)res;
    ((struct phase *)ctx)->cpis++;
}

/* One viewer: GET /events over a raw socket, counting the frames until told to stop. */
struct viewer {
    unsigned port;
    atomic_int *stop;
    uint64_t frames;
    int ok;
};

static void *viewer_main(void *arg)
{
    struct viewer *w = arg;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)w->port)};
    inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
    struct timeval tv = {0, 200000};
    char req[128], buf[65536];
    static const char pat[] = "event: frame";
    size_t k = 0;
    if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof sa)) {
        if (fd >= 0)
            close(fd);
        return NULL;
    }
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    int n =
        snprintf(req, sizeof req, "GET /events HTTP/1.1\r\nHost: 127.0.0.1:%u\r\n\r\n", w->port);
    w->ok = send(fd, req, (size_t)n, MSG_NOSIGNAL) == n;
    while (w->ok && !atomic_load(w->stop)) {
        ssize_t got = recv(fd, buf, sizeof buf, 0);
        if (got == 0)
            break;
        for (ssize_t i = 0; i < got; i++) {
            k = buf[i] == pat[k] ? k + 1 : buf[i] == pat[0];
            if (k == sizeof pat - 1) {
                w->frames++;
                k = 0;
            }
        }
    }
    close(fd);
    return NULL;
}

struct bench_args {
    double seconds;
    unsigned viewers;
    int json;
};

/* One phase: the loop for a.seconds on a fresh sim radio; serve: with the live view, and
 * `viewers` stream readers. Fills the CPI rate and the view's counters. */
static int run_phase(const struct bench_args *a, int serve, unsigned viewers, double *rate,
                     json_t **view_stats, uint64_t *min_frames)
{
    struct exp_config cfg;
    exp_config_defaults(&cfg);
    cfg.episodes = 100000;
    char err[512] = "";
    radio r = NULL;
    int rc = cli_radio_open("bench serve", cfg.radio, 0, &r);
    if (rc)
        return rc;
    struct radio_info info;
    radio_get_info(r, &info);
    codebook cb = exp_codebook(&cfg, &info, err, sizeof err);
    live_view lv = NULL;
    run_view rv = NULL;
    struct live_view_opts o = {.addr = "127.0.0.1", .port = 0, .kind = "run"};
    if (cb && serve && (lv = live_view_create(&o, err, sizeof err)))
        rv = run_view_create(lv, "run", &cfg, &info, cb, r, NULL, NULL, NULL, err, sizeof err);
    if (!cb || (serve && !rv)) {
        rc = cli_runtime_error("bench serve", "%s", err);
        goto done;
    }
    atomic_int stop = 0;
    struct viewer w[BENCH_VIEWERS_MAX] = {{0}};
    pthread_t th[BENCH_VIEWERS_MAX];
    unsigned started = 0;
    for (; started < viewers; started++) {
        w[started] = (struct viewer){.port = live_view_port(lv), .stop = &stop};
        if (pthread_create(&th[started], NULL, viewer_main, &w[started]))
            break;
    }
    /* let every viewer connect before the clock starts */
    for (double t0 = mono(); viewers && mono() - t0 < 5;) {
        struct live_view_counters c;
        live_view_counters(lv, &c);
        if (c.viewers >= viewers)
            break;
        nanosleep(&(struct timespec){0, 10000000}, NULL);
    }
    struct phase ph = {.until = mono() + a->seconds};
    struct run_hooks h = {.ctx = &ph,
                          .should_stop = phase_stop,
                          .on_step = phase_step,
                          .observer = rv ? run_view_observer(rv) : NULL};
    json_t *res = NULL;
    double t0 = mono();
    int erc = exp_run(&cfg, r, cb, NULL, &h, &res, err, sizeof err);
    double el = mono() - t0;
    json_decref(res);
    atomic_store(&stop, 1);
    *min_frames = UINT64_MAX;
    for (unsigned i = 0; i < started; i++) {
        pthread_join(th[i], NULL);
        *min_frames = w[i].frames < *min_frames ? w[i].frames : *min_frames;
    }
    if (erc && erc != ISAC_EIO) {
        rc = cli_runtime_error("bench serve", "%s", err);
        goto done;
    }
    *rate = (double)ph.cpis / el;
    if (rv)
        *view_stats = run_view_stats(rv);
done:
    run_view_destroy(rv);
    live_view_destroy(lv);
    codebook_destroy(cb);
    radio_close(r);
    return rc;
}

static int parse(int argc, char **argv, struct bench_args *a)
{
    static const struct option opts[] = {{"seconds", required_argument, 0, 's'},
                                         {"viewers", required_argument, 0, 'v'},
                                         {"json", no_argument, 0, 'j'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    unsigned long ul;
    int c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
        switch (c) {
        case 's':
            if (cli_parse_double("bench serve", "--seconds", optarg, 0.5, 3600, &a->seconds))
                return CLI_EUSAGE;
            break;
        case 'v':
            if (cli_parse_uint("bench serve", "--viewers", optarg, 1, BENCH_VIEWERS_MAX, &ul))
                return CLI_EUSAGE;
            a->viewers = (unsigned)ul;
            break;
        case 'j': a->json = 1; break;
        case 'h':
            puts("usage: isactb bench serve [--seconds S] [--viewers N] [--json]\n"
                 "  CPI rate of the sim loop for S s (default 60) each: without the live view,\n"
                 "  with it and no viewer, with N viewers (default 20) on loopback.");
            return -1;
        case ':': return cli_usage("bench serve", "option '%s' needs a value", argv[optind - 1]);
        default: return cli_usage("bench serve", "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind < argc)
        return cli_usage("bench serve", "unexpected argument '%s'", argv[optind]);
    return CLI_OK;
}

int bench_serve(int argc, char **argv)
{
    struct bench_args a = {.seconds = 60, .viewers = 20};
    int rc = parse(argc, argv, &a);
    if (rc)
        return rc < 0 ? CLI_OK : rc;
    double r_none = 0, r0 = 0, rn = 0;
    json_t *s0 = NULL, *sn = NULL;
    uint64_t f_unused, fmin = 0;
    if ((rc = run_phase(&a, 0, 0, &r_none, &s0, &f_unused)) ||
        (rc = run_phase(&a, 1, 0, &r0, &s0, &f_unused)) ||
        (rc = run_phase(&a, 1, a.viewers, &rn, &sn, &fmin))) {
        json_decref(s0);
        json_decref(sn);
        return rc;
    }
    double drop = r0 > 0 ? 100 * (r0 - rn) / r0 : 0,
           drop_none = r_none > 0 ? 100 * (r_none - rn) / r_none : 0;
    if (a.json) {
        json_t *o = json_pack("{s:f,s:i,s:{s:f,s:f,s:f},s:f,s:f,s:I,s:o,s:o}", "seconds", a.seconds,
                              "viewers", (json_int_t)a.viewers, "cpi_rate", "no_view", r_none,
                              "viewers_0", r0, "viewers_n", rn, "drop_percent", drop,
                              "drop_percent_vs_no_view", drop_none, "frames_min_per_viewer",
                              (json_int_t)fmin, "view_0", s0, "view_n", sn);
        json_dumpf(o, stdout, JSON_COMPACT);
        putchar('\n');
        json_decref(o);
    } else {
        printf("CPI rate: %.1f/s without the view, %.1f/s with it and no viewer, %.1f/s with %u "
               "viewers: %.2f %% drop (%.2f %% vs no view); every viewer got >= %llu frames\n",
               r_none, r0, rn, a.viewers, drop, drop_none, (unsigned long long)fmin);
        json_decref(s0);
        json_decref(sn);
    }
    return CLI_OK;
}
