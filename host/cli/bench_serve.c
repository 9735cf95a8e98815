/* isactb bench serve: the closed loop's CPI rate without the live view, with the view and
 * no viewer, and with N viewers reading the event stream over loopback (docs/live-view.md,
 * "Cost"). The claim of issue 22 is that viewers cost the loop < 5 % of its CPI rate. */
#include <arpa/inet.h>
#include <jansson.h>
#include <math.h>
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

static void phase_step(void *ctx, isac_pipeline p, unsigned episode, unsigned step,
                       const struct isac_pipeline_result *res)
{
    (void)p;
    (void)episode;
    (void)step;
    (void)res;
    ((struct phase *)ctx)->cpis++;
}

static double thread_cpu(void)
{
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static double process_cpu(void)
{
    struct timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* One viewer: GET /events over a raw socket, counting the frames until told to stop. */
struct viewer {
    unsigned port;
    atomic_int *stop;
    uint64_t frames;
    int ok;
    double cpu_s; /* this client's own CPU time (a browser's, in real use) */
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
    w->cpu_s = thread_cpu();
    return NULL;
}

struct bench_args {
    double seconds;
    unsigned viewers, rounds;
    int json;
};

/* One phase: the loop for a.seconds on a fresh sim radio; serve: with the live view, and
 * `viewers` stream readers. Fills the CPI rate and the view's counters. */
struct tally {
    uint64_t cpis;
    double wall_s, cpu_s; /* elapsed, and CPU time of the loop's thread */
    double proc_cpu_s;    /* CPU time of the whole process (loop, pipeline pool, server) */
    double client_cpu_s;  /* of which the bench's own viewer clients */
    uint64_t min_frames;
    json_t *view; /* the last round's view counters */
};

static int run_phase(double seconds, int serve, unsigned viewers, struct tally *ty)
{
    struct isac_exp_config cfg;
    isac_exp_config_defaults(&cfg);
    cfg.episodes = 100000;
    char err[512] = "";
    isac_radio r = NULL;
    int rc = cli_radio_open("bench serve", cfg.radio, 0, &r);
    if (rc)
        return rc;
    struct isac_radio_info info;
    isac_radio_get_info(r, &info);
    isac_codebook cb = isac_exp_codebook(&cfg, &info, err, sizeof err);
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
    struct phase ph = {.until = mono() + seconds};
    struct isac_run_hooks h = {.ctx = &ph,
                               .should_stop = phase_stop,
                               .on_step = phase_step,
                               .observer = rv ? run_view_observer(rv) : NULL};
    json_t *res = NULL;
    double t0 = mono(), c0 = thread_cpu(), p0 = process_cpu();
    int erc = isac_exp_run(&cfg, r, cb, NULL, &h, &res, err, sizeof err);
    double el = mono() - t0, cpu = thread_cpu() - c0, pcpu = process_cpu() - p0;
    json_decref(res);
    atomic_store(&stop, 1);
    for (unsigned i = 0; i < started; i++) {
        pthread_join(th[i], NULL);
        ty->client_cpu_s += w[i].cpu_s;
        ty->min_frames = w[i].frames < ty->min_frames ? w[i].frames : ty->min_frames;
    }
    if (erc && erc != ISAC_EIO) {
        rc = cli_runtime_error("bench serve", "%s", err);
        goto done;
    }
    ty->cpis += ph.cpis;
    ty->wall_s += el;
    ty->cpu_s += cpu;
    ty->proc_cpu_s += pcpu;
    if (rv) {
        json_decref(ty->view);
        ty->view = run_view_stats(rv);
    }
done:
    run_view_destroy(rv);
    live_view_destroy(lv);
    isac_codebook_destroy(cb);
    isac_radio_close(r);
    return rc;
}

static const struct cli_opt BSERVE_OPTS[] = {
    {"seconds", 's', "S", "seconds per condition and round, 0.5..3600 (default 60)"},
    {"viewers", 'v', "N", "viewers reading /events over loopback (default 20, at most 60)"},
    {"rounds", 'r', "R", "interleaved rounds, the order rotating, 1..1000 (default 6)"},
    CLI_OPT_JSON('j'),
    {0}};
const struct cli_cmd cli_cmd_bench_serve = {
    "bench serve",
    NULL,
    "CPI rate of the sim loop without the live view, with it, and with N viewers",
    BSERVE_OPTS,
    NULL,
    "docs/live-view.md has measured numbers."};

static int parse(int argc, char **argv, struct bench_args *a)
{
    unsigned long ul;
    struct cli_parser p;
    cli_parser_init(&p, &cli_cmd_bench_serve, argc, argv);
    for (int c; (c = cli_next(&p)) != CLI_END;) {
        switch (c) {
        case 's':
            if (cli_parse_double("bench serve", "--seconds", p.arg, 0.5, 3600, &a->seconds))
                return CLI_EUSAGE;
            break;
        case 'v':
            if (cli_parse_uint("bench serve", "--viewers", p.arg, 1, BENCH_VIEWERS_MAX, &ul))
                return CLI_EUSAGE;
            a->viewers = (unsigned)ul;
            break;
        case 'r':
            if (cli_parse_uint("bench serve", "--rounds", p.arg, 1, 1000, &ul))
                return CLI_EUSAGE;
            a->rounds = (unsigned)ul;
            break;
        case 'j': a->json = 1; break;
        case CLI_HELP: return -1;
        default: return CLI_EUSAGE;
        }
    }
    if (p.next < argc)
        return cli_usage("bench serve", "unexpected argument '%s'", argv[p.next]);
    return CLI_OK;
}

/* CPU per CPI of the process without the bench's viewer clients (ms). */
static double served_cpu_ms(const struct tally *t)
{
    return t->cpis ? 1e3 * (t->proc_cpu_s - t->client_cpu_s) / t->cpis : 0;
}

static json_t *tally_json(const struct tally *t)
{
    return json_pack(
        "{s:f,s:f,s:f,s:f,s:I,s:f}", "cpi_rate", t->wall_s > 0 ? t->cpis / t->wall_s : 0,
        "loop_cpu_ms_per_cpi", t->cpis ? 1e3 * t->cpu_s / t->cpis : 0, "process_cpu_ms_per_cpi",
        served_cpu_ms(t), "client_cpu_ms_per_cpi", t->cpis ? 1e3 * t->client_cpu_s / t->cpis : 0,
        "cpis", (json_int_t)t->cpis, "seconds", t->wall_s);
}

/* The view's CPU cost in % of the loop's own CPU per CPI (process CPU without the viewer
 * clients, against the run without the view): what the CPI rate loses when the loop is
 * CPU-bound on every core, measured in CPU time so that other load does not blur it. */
static double cpu_cost_pct(const struct tally *base, const struct tally *t)
{
    double b = served_cpu_ms(base);
    return b > 0 ? 100 * (served_cpu_ms(t) - b) / b : 0;
}

static double pct_drop(const struct tally *base, const struct tally *t)
{
    double b = base->cpis / base->wall_s, x = t->cpis / t->wall_s;
    return b > 0 ? 100 * (b - x) / b : 0;
}

/* Per-round CPU cost of the view with N viewers: mean and a 95 % Student-t interval over
 * the rounds (each round measures the three conditions back to back). */
struct cost_stats {
    unsigned n;
    double sum, sum2;
};

static void cost_add(struct cost_stats *s, double x)
{
    s->n++;
    s->sum += x;
    s->sum2 += x * x;
}

static void cost_interval(const struct cost_stats *s, double *lo, double *hi)
{
    /* t_{0.975, n-1} for n - 1 = 1..10, then the normal quantile */
    static const double t975[] = {12.706, 4.303, 3.182, 2.776, 2.571,
                                  2.447,  2.365, 2.306, 2.262, 2.228};
    double m = s->n ? s->sum / s->n : 0, half = 0;
    if (s->n > 1) {
        double var = (s->sum2 - s->n * m * m) / (s->n - 1);
        double t = s->n - 1 <= 10 ? t975[s->n - 2] : 1.96;
        half = t * sqrt(var > 0 ? var / s->n : 0);
    }
    *lo = m - half;
    *hi = m + half;
}

static void tally_add(struct tally *t, const struct tally *r)
{
    t->cpis += r->cpis;
    t->wall_s += r->wall_s;
    t->cpu_s += r->cpu_s;
    t->proc_cpu_s += r->proc_cpu_s;
    t->client_cpu_s += r->client_cpu_s;
    t->min_frames = r->min_frames < t->min_frames ? r->min_frames : t->min_frames;
    if (r->view) {
        json_decref(t->view);
        t->view = json_incref(r->view);
    }
}

int bench_serve(int argc, char **argv)
{
    struct bench_args a = {.seconds = 60, .viewers = 20, .rounds = 6};
    int rc = parse(argc, argv, &a);
    if (rc)
        return rc < 0 ? CLI_OK : rc;
    /* t[0]: no view, t[1]: view and no viewer, t[2]: view and N viewers */
    struct tally t[3] = {
        {.min_frames = UINT64_MAX}, {.min_frames = UINT64_MAX}, {.min_frames = UINT64_MAX}};
    double per = a.seconds / a.rounds;
    struct cost_stats cs = {0};
    for (unsigned r = 0; r < a.rounds && !rc; r++) {
        struct tally rt[3] = {
            {.min_frames = UINT64_MAX}, {.min_frames = UINT64_MAX}, {.min_frames = UINT64_MAX}};
        for (unsigned k = 0; k < 3 && !rc; k++) {
            unsigned c = (r + k) % 3; /* rotate the order from round to round */
            rc = run_phase(per, c > 0, c == 2 ? a.viewers : 0, &rt[c]);
        }
        for (unsigned c = 0; c < 3 && !rc; c++)
            tally_add(&t[c], &rt[c]);
        if (!rc)
            cost_add(&cs, cpu_cost_pct(&rt[0], &rt[2]));
        for (unsigned c = 0; c < 3; c++)
            json_decref(rt[c].view);
    }
    double cost_lo, cost_hi;
    cost_interval(&cs, &cost_lo, &cost_hi);
    if (!rc && a.json) {
        json_t *o = json_pack(
            "{s:f,s:i,s:i,s:o,s:o,s:o,s:f,s:f,s:f,s:[f,f],s:f,s:I,s:O*,s:O*}", "seconds", a.seconds,
            "rounds", (json_int_t)a.rounds, "viewers", (json_int_t)a.viewers, "no_view",
            tally_json(&t[0]), "viewers_0", tally_json(&t[1]), "viewers_n", tally_json(&t[2]),
            "drop_percent", pct_drop(&t[1], &t[2]), "drop_percent_vs_no_view",
            pct_drop(&t[0], &t[2]), "cpu_cost_percent", cpu_cost_pct(&t[0], &t[2]),
            "cpu_cost_percent_ci95", cost_lo, cost_hi, "cpu_cost_percent_no_viewer",
            cpu_cost_pct(&t[0], &t[1]), "frames_min_per_viewer", (json_int_t)t[2].min_frames,
            "view_0", t[1].view, "view_n", t[2].view);
        json_dumpf(o, stdout, JSON_COMPACT);
        putchar('\n');
        json_decref(o);
    } else if (!rc) {
        printf("CPI rate: %.1f/s without the view, %.1f/s with it and no viewer, %.1f/s with %u "
               "viewers: %.2f %% drop (%.2f %% vs no view); loop CPU per CPI %.2f / %.2f / %.2f "
               "ms\nprocess CPU per CPI (viewer clients excluded) %.2f / %.2f / %.2f ms: the "
               "view costs %.2f %% CPU with no viewer, %.2f %% with %u (95 %% interval over the "
               "rounds %.2f .. %.2f %%)\n",
               t[0].cpis / t[0].wall_s, t[1].cpis / t[1].wall_s, t[2].cpis / t[2].wall_s, a.viewers,
               pct_drop(&t[1], &t[2]), pct_drop(&t[0], &t[2]), 1e3 * t[0].cpu_s / t[0].cpis,
               1e3 * t[1].cpu_s / t[1].cpis, 1e3 * t[2].cpu_s / t[2].cpis, served_cpu_ms(&t[0]),
               served_cpu_ms(&t[1]), served_cpu_ms(&t[2]), cpu_cost_pct(&t[0], &t[1]),
               cpu_cost_pct(&t[0], &t[2]), a.viewers, cost_lo, cost_hi);
    }
    for (int k = 0; k < 3; k++)
        json_decref(t[k].view);
    return rc;
}
