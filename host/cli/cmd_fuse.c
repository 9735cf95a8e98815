/* isactb fuse: the central unit of a distributed run (docs/distributed.md).
 *
 * It binds a ZeroMQ endpoint, waits until every receive AP is served by a node, then runs
 * the closed loop of `isactb run` (engine/run.h) with the per-AP blocks gathered from the
 * nodes instead of computed here (isac_pipeline_set_source): per CPI it sends the plan, tick and
 * CPI label to every node, collects each AP's GLRT terms (and raw windows when recording),
 * and fuses them with the same fusion code. A late or missing AP is fused from the others
 * (--missing fuse, marked "missing_aps" in the CPI's detection and the capture) or the CPI
 * is skipped (--missing skip), and counted; a node that dies stops being waited for, and a
 * node that says HELLO again is taken back. --spawn N starts N local nodes on loopback.
 */
#include <jansson.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/cli_net.h"
#include "common/err.h"
#include "common/out_dir.h"
#include "engine/episode.h"
#include "engine/pipeline.h"
#include "engine/run.h"
#include "net/net_link.h"

static const struct cli_opt FUSE_OPTS[] = {
    {"bind", 'b', "ENDPOINT", "ZeroMQ endpoint to wait for nodes on, e.g. tcp://0.0.0.0:5555"},
    CLI_OPT_CONFIG('c'),
    CLI_OPT_RADIO('r'),
    {"policy", 'p', "NAME",
     "beam selection: scan, sweep, random, pso or qnet (default: the config's)"},
    {"seed", 's', "N", "scenario seed, an integer >= 0 (default: the config's, 1)"},
    {"episodes", 'e', "N", "episodes to run, 1..100000 (default: the config's, 20)"},
    {"out", 'o', "DIR", "output directory of the figures and the recording (default: none)"},
    {"record", 'R', NULL, "record the nodes' raw windows as run --record does (needs --out)"},
    CLI_OPT_JSON('j'),
    CLI_OPT_QUIET('q'),
    {"verbose", 'v', NULL, "one progress line per CPI instead of one per episode"},
    {"spawn", 'n', "N", "start N local rx nodes on loopback (default --bind tcp://127.0.0.1:*)"},
    {"late-ms", 'L', "MS", "how long a CPI waits for an AP's terms, in ms (default 2000)"},
    {"missing", 'm', "fuse|skip",
     "a late AP: fuse from the others, or skip the CPI (default fuse)"},
    {"join-timeout", 'J', "S", "seconds to wait for nodes serving every AP (default 30)"},
    {"keys", 'k', "PREFIX", "the fuse's CURVE keypair PREFIX.key (isactb keys)"},
    {"authorized", 'A', "FILE", "nodes' public keys, one per line, # comments"},
    {"curve", 'C', NULL,
     "CURVE encryption on a loopback endpoint too (default: non-loopback only)"},
    {"insecure", 'I', NULL, "allow plain text on a non-loopback endpoint"},
    {"calibration", 'l', "FILE|DIR", "calibration record, or a directory to search"},
    {"no-calibration", 'N', NULL, "apply no calibration record"},
    {"stats", 'S', "FILE", "write the transport counters as JSON to FILE"},
    {0}};
const struct cli_cmd cli_cmd_fuse = {
    "fuse",
    NULL,
    "the closed loop of run with the receive APs processed on isactb node processes",
    FUSE_OPTS,
    NULL,
    "--json prints what isactb run --json prints (docs/distributed.md)."};

#define FUSE_MAX_NODES 64
#define FUSE_MISS_LIMIT 3 /* consecutive late CPIs before a node is no longer waited for */
#define FUSE_LAT_MAX 100000

static volatile sig_atomic_t fuse_stop;
static void on_signal(int sig)
{
    fuse_stop = sig;
}
static int should_stop(void *ctx)
{
    (void)ctx;
    return fuse_stop != 0;
}

struct fuse_args {
    const char *bind, *config, *radio, *policy, *seed, *episodes, *out, *stats;
    const char *spawn, *late_ms, *missing, *join_timeout, *calibration;
    int record, json, quiet, verbose, no_calibration;
    struct cli_net_args net;
};

struct fnode {
    int used, rx, alive;
    uint8_t peer[NET_PEER_MAX];
    size_t peer_len;
    uint32_t aps;
    unsigned misses;
    long pid;
};

struct fuse_stats {
    uint64_t cpis, partial, skipped, blocks_missing, blocks_late, node_failures, nodes_lost,
        rejoins, joins, bytes_terms, bytes_iq, unexpected;
    double *lat_ms;
    size_t nlat;
};

struct fuse {
    const struct fuse_args *a;
    net_link link;
    char *welcome; /* the WELCOME payload: {"config": ..., "run": ...} */
    struct fnode node[FUSE_MAX_NODES];
    unsigned num_aps;
    uint32_t all_aps;
    int skip, record, late_ms;
    size_t W;
    isac_episode_engine e;
    int64_t last_end; /* end of the previous RX window: the next episode's time origin */
    struct fuse_stats st;
    pid_t child[ISAC_RADIO_MAX_APS];
    unsigned nchild;
};

static int parse_args(int argc, char **argv, struct fuse_args *a)
{
    struct cli_parser p;
    cli_parser_init(&p, &cli_cmd_fuse, argc, argv);
    for (int c; (c = cli_next(&p)) != CLI_END;) {
        switch (c) {
        case 'b': a->bind = p.arg; break;
        case 'c': a->config = p.arg; break;
        case 'r': a->radio = p.arg; break;
        case 'p': a->policy = p.arg; break;
        case 's': a->seed = p.arg; break;
        case 'e': a->episodes = p.arg; break;
        case 'o': a->out = p.arg; break;
        case 'R': a->record = 1; break;
        case 'j': a->json = 1; break;
        case 'q': a->quiet = 1; break;
        case 'v': a->verbose = 1; break;
        case 'n': a->spawn = p.arg; break;
        case 'L': a->late_ms = p.arg; break;
        case 'm': a->missing = p.arg; break;
        case 'J': a->join_timeout = p.arg; break;
        case 'k': a->net.keys = p.arg; break;
        case 'A': a->net.authorized = p.arg; break;
        case 'C': a->net.curve = 1; break;
        case 'I': a->net.insecure = 1; break;
        case 'l': a->calibration = p.arg; break;
        case 'N': a->no_calibration = 1; break;
        case 'S': a->stats = p.arg; break;
        case CLI_HELP: return -1;
        default: return CLI_EUSAGE;
        }
    }
    if (p.next < argc)
        return cli_usage("fuse", "unexpected argument '%s'", argv[p.next]);
    if (a->calibration && a->no_calibration)
        return cli_usage("fuse", "--calibration and --no-calibration are exclusive");
    if (a->record && !a->out)
        return cli_usage("fuse", "--record needs --out DIR");
    if (a->missing && strcmp(a->missing, "fuse") && strcmp(a->missing, "skip"))
        return cli_usage("fuse", "--missing: expected fuse or skip, got '%s'", a->missing);
    if (!a->bind && !a->spawn)
        return cli_usage("fuse", "--bind ENDPOINT is required (or --spawn N)");
    return 0;
}

static int load_config(const struct fuse_args *a, struct isac_exp_config *cfg)
{
    char err[512];
    unsigned long ul;
    isac_exp_config_defaults(cfg);
    if (a->config && isac_exp_config_load(a->config, cfg, err, sizeof err))
        return cli_input_error("fuse", "%s", err);
    if (a->radio)
        snprintf(cfg->radio, sizeof cfg->radio, "%s", a->radio);
    if (a->policy) {
        if (!isac_policy_name_known(a->policy))
            return cli_usage("fuse", "--policy: unknown policy '%s'", a->policy);
        snprintf(cfg->policy, sizeof cfg->policy, "%s", a->policy);
    }
    if (a->seed && cli_parse_u64("fuse", "--seed", a->seed, &cfg->seed))
        return CLI_EUSAGE;
    if (a->episodes) {
        if (cli_parse_uint("fuse", "--episodes", a->episodes, 1, 100000, &ul))
            return CLI_EUSAGE;
        cfg->episodes = (unsigned)ul;
    }
    if (isac_exp_config_validate(cfg, "command line", err, sizeof err))
        return cli_usage("fuse", "%s", err);
    return 0;
}

/* ---- nodes ---- */

static void send_bytes(struct fuse *f, struct fnode *nd, unsigned type, uint32_t flags,
                       int64_t tick, const char *txt)
{
    struct net_msg_hdr h = {.type = (uint16_t)type,
                            .ap = NET_AP_NONE,
                            .flags = flags,
                            .tick = tick,
                            .size = txt ? (uint32_t)strlen(txt) : 0};
    if (net_link_send(f->link, nd->peer, nd->peer_len, &h, txt) != ISAC_OK && nd->alive) {
        nd->alive = 0;
        f->st.nodes_lost++;
        net_link_log(f->link, "node pid %ld (APs 0x%x) is gone: its APs are not waited for",
                     nd->pid, nd->aps);
    }
}

static struct fnode *find_peer(struct fuse *f, const struct net_rx *m)
{
    for (unsigned i = 0; i < FUSE_MAX_NODES; i++)
        if (f->node[i].used && f->node[i].peer_len == m->peer_len &&
            !memcmp(f->node[i].peer, m->peer, m->peer_len))
            return &f->node[i];
    return NULL;
}

/* A HELLO: {"role": "rx"|"tx", "aps": [n...], "pid": p}. A node serving APs an earlier node
 * served replaces it (a restarted node rejoins). */
static struct fnode *on_hello(struct fuse *f, const struct net_rx *m)
{
    json_error_t je;
    json_t *j = json_loadb(m->payload, m->h.size, 0, &je), *aps = json_object_get(j, "aps");
    const char *role = json_string_value(json_object_get(j, "role"));
    uint32_t mask = 0;
    size_t i;
    json_t *v;
    int ok = role && (!strcmp(role, "rx") || !strcmp(role, "tx")) && json_is_array(aps);
    json_array_foreach(aps, i, v)
    {
        json_int_t n = json_integer_value(v);
        ok = ok && json_is_integer(v) && n >= 0 && n < (json_int_t)f->num_aps;
        if (ok)
            mask |= 1u << n;
    }
    ok = ok && (strcmp(role, "rx") || mask);
    long pid = (long)json_integer_value(json_object_get(j, "pid"));
    if (!ok) {
        net_link_log(f->link, "refused HELLO from pid %ld: needs role rx|tx and aps within 0..%u",
                     pid, f->num_aps - 1);
        json_decref(j);
        return NULL;
    }
    int rx = !strcmp(role, "rx");
    json_decref(j);
    struct fnode *nd = find_peer(f, m), *slot = nd;
    if (nd && nd->rx == rx && nd->aps == (rx ? mask : 0u)) {
        /* a repeat (a node says HELLO every second until its WELCOME is handled): the same
         * connection, already welcomed and commanded */
        nd->alive = 1;
        return NULL;
    }
    for (unsigned k = 0; k < FUSE_MAX_NODES; k++) {
        struct fnode *o = &f->node[k];
        if (o->used && o != nd && o->rx && rx && (o->aps & mask)) {
            f->st.rejoins++;
            net_link_log(f->link, "node pid %ld takes over APs 0x%x from pid %ld", pid, mask,
                         o->pid);
            o->aps &= ~mask;
            if (!o->aps)
                o->used = 0;
        }
        if (!slot && !o->used)
            slot = o;
    }
    if (!slot) {
        net_link_log(f->link, "refused HELLO from pid %ld: %d nodes already", pid, FUSE_MAX_NODES);
        return NULL;
    }
    if (!nd)
        f->st.joins++;
    *slot = (struct fnode){
        .used = 1, .rx = rx, .alive = 1, .aps = rx ? mask : 0, .pid = pid, .peer_len = m->peer_len};
    memcpy(slot->peer, m->peer, m->peer_len);
    send_bytes(f, slot, NET_MSG_WELCOME, 0, 0, f->welcome);
    return slot;
}

static uint32_t served(const struct fuse *f)
{
    uint32_t s = 0;
    for (unsigned i = 0; i < FUSE_MAX_NODES; i++)
        if (f->node[i].used && f->node[i].alive && f->node[i].rx)
            s |= f->node[i].aps;
    return s;
}

/* A message the protocol does not expect here: counted and logged, never acted on. */
static void unexpected(struct fuse *f, const struct net_rx *m, const char *why)
{
    f->st.unexpected++;
    net_link_log(f->link, "ignored %s message %s", net_msg_type_name(m->h.type), why);
}

/* Until every receive AP has a node, or the timeout. */
static int wait_for_nodes(struct fuse *f, double timeout_s)
{
    uint64_t t_end = net_now_ns() + (uint64_t)(timeout_s * 1e9);
    while ((served(f) & f->all_aps) != f->all_aps) {
        if (fuse_stop)
            return cli_runtime_error("fuse", "stopped while waiting for nodes");
        uint64_t now = net_now_ns();
        if (now >= t_end)
            return cli_runtime_error("fuse",
                                     "receive APs 0x%x have no node after %g s (started nodes "
                                     "with --ap? right --connect endpoint and keys?)",
                                     f->all_aps & ~served(f), timeout_s);
        struct net_rx m;
        int rc = net_link_recv(f->link, (int)((t_end - now) / 1000000 + 1), &m);
        if (rc < 0)
            return cli_runtime_error("fuse", "transport: %s", isac_strerror(rc));
        if (rc == 1 && m.h.type == NET_MSG_HELLO)
            on_hello(f, &m);
        else if (rc == 1)
            unexpected(f, &m,
                       find_peer(f, &m) ? "before the run started" : "from a peer without HELLO");
    }
    return CLI_OK;
}

/* ---- one CPI ---- */

struct cpi_wait {
    int64_t t0;
    uint64_t cpi;
    uint32_t label;
    uint32_t terms, iq; /* APs still owed */
    struct isac_ap_unit_out *const *out;
    float complex *const *rx;
    const char *cmd; /* the CMD payload, for a node that joins during the wait */
    uint32_t flags;
};

static int block_fits(const struct isac_ap_unit_out *o, const struct isac_ap_unit_out *want)
{
    return o->h.M == want->h.M && o->h.K == want->h.K && o->h.ncells == want->h.ncells;
}

static void on_terms(struct fuse *f, const struct net_rx *m, struct cpi_wait *w)
{
    struct isac_ap_unit_out *o = NULL;
    uint32_t n = m->h.ap;
    if (m->h.tick != w->t0) {
        f->st.blocks_late++; /* a block of an earlier CPI that came after its deadline */
        return;
    }
    if (isac_ap_unit_out_unpack(m->payload, m->h.size, &o) != ISAC_OK || n >= f->num_aps ||
        o->h.ap != n || o->h.cpi != w->cpi || o->h.beam != w->label || !block_fits(o, w->out[n])) {
        net_link_log(f->link, "refused TERMS for AP %u at tick %lld: %s", n, (long long)w->t0,
                     o ? "labels or shape do not match the CPI" : "block does not unpack");
        isac_ap_unit_out_destroy(o);
        return;
    }
    struct isac_ap_unit_out *d = w->out[n];
    uint32_t has_mf = d->h.has_mf;
    d->h = o->h;
    d->h.has_mf = has_mf;
    memcpy(d->term, o->term, o->h.ncells * sizeof *d->term);
    memcpy(d->visible, o->visible, o->h.ncells);
    memcpy(d->dp_gain, o->dp_gain, o->h.M * sizeof *d->dp_gain);
    isac_ap_unit_out_destroy(o);
    w->terms &= ~(1u << n);
    f->st.bytes_terms += m->h.size + NET_MSG_HDR;
}

static void on_iq(struct fuse *f, const struct net_rx *m, struct cpi_wait *w,
                  const struct isac_radio_info *info)
{
    uint32_t n = m->h.ap;
    if (m->h.tick != w->t0) {
        f->st.blocks_late++;
        return;
    }
    size_t M = n < f->num_aps ? info->rx_ap_elements[n] : 0;
    if (!M || m->h.size != M * f->W * sizeof(float complex)) {
        net_link_log(f->link, "refused IQ for AP %u: %u bytes, expected %zu", n, m->h.size,
                     M * f->W * sizeof(float complex));
        return;
    }
    unsigned first = isac_radio_rx_first_channel(info, n);
    const uint8_t *p = m->payload;
    for (size_t k = 0; k < M; k++)
        memcpy(w->rx[first + k], p + k * f->W * sizeof(float complex),
               f->W * sizeof(float complex));
    w->iq &= ~(1u << n);
    f->st.bytes_iq += m->h.size + NET_MSG_HDR;
}

struct gather_ctx {
    struct fuse *f;
    struct isac_radio_info info;
};

static void dispatch(struct gather_ctx *g, const struct net_rx *m, struct cpi_wait *w)
{
    struct fuse *f = g->f;
    struct fnode *nd = find_peer(f, m);
    if (!nd && m->h.type != NET_MSG_HELLO) {
        unexpected(f, m, "from a peer without HELLO");
        return;
    }
    switch (m->h.type) {
    case NET_MSG_HELLO:
        if ((nd = on_hello(f, m)) && nd->rx && (nd->aps & (w->terms | w->iq)))
            send_bytes(f, nd, NET_MSG_CMD, w->flags, w->t0, w->cmd);
        break;
    case NET_MSG_TERMS:
    case NET_MSG_IQ:
        if (m->h.ap >= 32 || !(nd->aps >> m->h.ap & 1u)) {
            unexpected(f, m, "for an AP that node does not serve");
            break;
        }
        nd->alive = 1;
        nd->misses = 0;
        if (m->h.type == NET_MSG_TERMS)
            on_terms(f, m, w);
        else
            on_iq(f, m, w, &g->info);
        break;
    case NET_MSG_FAIL:
        f->st.node_failures++;
        net_link_log(f->link, "node pid %ld: %.*s", nd ? nd->pid : -1L, (int)m->h.size,
                     (const char *)m->payload);
        if (nd && m->h.tick == w->t0) { /* do not wait for what will not come */
            w->terms &= ~nd->aps;
            w->iq &= ~nd->aps;
        }
        break;
    default: unexpected(f, m, "from a node");
    }
}

static void note_latency(struct fuse *f, double ms)
{
    if (!f->st.lat_ms)
        f->st.lat_ms = malloc(FUSE_LAT_MAX * sizeof *f->st.lat_ms);
    if (f->st.lat_ms && f->st.nlat < FUSE_LAT_MAX)
        f->st.lat_ms[f->st.nlat++] = ms;
}

static char *cmd_payload(struct fuse *f, const struct isac_tx_plan_s *plan, uint64_t cpi)
{
    const struct isac_episode_status *s = isac_episode_engine_status(f->e);
    json_t *j = json_pack("{s:I,s:i,s:I,s:I,s:o}", "episode", (json_int_t)s->episode, "step",
                          (int)s->steps, "cpi", (json_int_t)cpi, "origin", (json_int_t)f->last_end,
                          "plan", isac_tx_plan_to_json(plan));
    char *txt = j ? json_dumps(j, JSON_COMPACT) : NULL;
    json_decref(j);
    return txt;
}

/* isac_pipeline_source.gather: one CPI over the nodes. */
static int gather(void *ctx, isac_pipeline p, const struct isac_tx_plan_s *plan, int64_t t0,
                  uint64_t cpi, uint32_t label, struct isac_ap_unit_out *const *out,
                  uint8_t *missing)
{
    struct gather_ctx *g = ctx;
    struct fuse *f = g->f;
    float complex *const *rx = isac_pipeline_rx(p);
    f->W = isac_pipeline_window_length(p);
    char *txt = cmd_payload(f, plan, cpi);
    if (!txt)
        return ISAC_ENOMEM;
    struct cpi_wait w = {t0,
                         cpi,
                         label,
                         f->all_aps,
                         f->record ? f->all_aps : 0,
                         out,
                         rx,
                         txt,
                         f->record ? NET_FLAG_WANT_IQ : 0};
    uint64_t t_start = net_now_ns(), t_end = t_start + (uint64_t)f->late_ms * 1000000ull;
    for (unsigned i = 0; i < FUSE_MAX_NODES; i++)
        if (f->node[i].used && f->node[i].alive)
            send_bytes(f, &f->node[i], NET_MSG_CMD, w.flags, t0, txt);
    int rc = ISAC_OK;
    while (((w.terms | w.iq) & served(f)) && !fuse_stop) {
        uint64_t now = net_now_ns();
        if (now >= t_end)
            break;
        struct net_rx m;
        rc = net_link_recv(f->link, (int)((t_end - now) / 1000000 + 1), &m);
        if (rc < 0)
            break;
        if (rc == 1)
            dispatch(g, &m, &w);
        rc = ISAC_OK;
    }
    free(txt);
    uint32_t miss = w.terms | w.iq;
    for (unsigned i = 0; i < FUSE_MAX_NODES; i++) {
        struct fnode *nd = &f->node[i];
        if (nd->used && nd->alive && (nd->aps & miss) && ++nd->misses >= FUSE_MISS_LIMIT) {
            nd->alive = 0;
            f->st.nodes_lost++;
            net_link_log(f->link, "node pid %ld missed %u CPIs: no longer waited for", nd->pid,
                         nd->misses);
        }
    }
    f->st.cpis++;
    if (miss) {
        f->st.blocks_missing += (uint64_t)__builtin_popcount(miss);
        if (f->skip) {
            f->st.skipped++;
            miss = f->all_aps;
        } else {
            f->st.partial++;
        }
    }
    for (unsigned n = 0; n < f->num_aps; n++)
        missing[n] = (uint8_t)(miss >> n & 1u);
    note_latency(f, (double)(net_now_ns() - t_start) / 1e6);
    f->last_end = t0 + (int64_t)f->W;
    return rc;
}

static void on_engine(void *ctx, struct isac_episode_engine_s *e)
{
    ((struct gather_ctx *)ctx)->f->e = e;
}

/* a line per CPI with --verbose, else a line per episode */
static void print_progress(void *ctx, const char *line)
{
    const struct fuse_args *a = ((struct gather_ctx *)ctx)->f->a;
    if (!a->quiet && a->verbose)
        fprintf(stderr, "%s\n", line);
}

static void print_episode(void *ctx, const char *line)
{
    if (!((struct gather_ctx *)ctx)->f->a->quiet)
        fprintf(stderr, "%s\n", line);
}

/* ---- local nodes (--spawn) ---- */

static int spawn_nodes(struct fuse *f, unsigned n, const char *endpoint)
{
    for (unsigned i = 0; i < n; i++) {
        char aps[64] = "";
        size_t k = 0;
        for (unsigned ap = i; ap < f->num_aps; ap += n)
            k += (size_t)snprintf(aps + k, sizeof aps - k, k ? ",%u" : "%u", ap);
        const char *argv[16] = {"isactb", "node", "--connect", endpoint,  "--role",
                                "rx",     "--ap", aps,         "--quiet", "--loopback-tx"};
        /* a spawned node runs the fuse's radio spec as `run` would: it transmits each plan
         * into its own radio and captures from it */
        int c = 10;
        if (f->a->calibration) {
            argv[c++] = "--calibration";
            argv[c++] = f->a->calibration;
        } else if (f->a->no_calibration) {
            argv[c++] = "--no-calibration";
        }
        argv[c] = NULL;
        pid_t pid = fork();
        if (pid < 0)
            return cli_runtime_error("fuse", "--spawn: fork failed");
        if (pid == 0) {
            prctl(PR_SET_PDEATHSIG, SIGTERM); /* nodes do not outlive their fuse */
            execv("/proc/self/exe", (char *const *)argv);
            _exit(127);
        }
        f->child[f->nchild++] = pid;
    }
    return CLI_OK;
}

static void reap_nodes(struct fuse *f)
{
    for (unsigned i = 0; i < FUSE_MAX_NODES; i++)
        if (f->node[i].used)
            send_bytes(f, &f->node[i], NET_MSG_BYE, 0, 0, NULL);
    for (int tries = 0; tries < 300; tries++) { /* up to 3 s for BYE to land */
        unsigned left = 0;
        for (unsigned i = 0; i < f->nchild; i++)
            if (f->child[i] > 0 && waitpid(f->child[i], NULL, WNOHANG) == 0)
                left++;
            else
                f->child[i] = -1;
        if (!left)
            return;
        usleep(10000);
    }
    for (unsigned i = 0; i < f->nchild; i++)
        if (f->child[i] > 0) {
            kill(f->child[i], SIGTERM);
            waitpid(f->child[i], NULL, 0);
        }
}

/* ---- counters ---- */

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static json_t *stats_json(struct fuse *f, double wall_s)
{
    const struct net_link_counters *c = net_link_counters(f->link);
    double p50 = 0, p95 = 0, mx = 0, mean = 0;
    if (f->st.nlat) {
        qsort(f->st.lat_ms, f->st.nlat, sizeof *f->st.lat_ms, cmp_double);
        p50 = f->st.lat_ms[f->st.nlat / 2];
        p95 = f->st.lat_ms[(size_t)(0.95 * (double)(f->st.nlat - 1))];
        mx = f->st.lat_ms[f->st.nlat - 1];
        for (size_t i = 0; i < f->st.nlat; i++)
            mean += f->st.lat_ms[i] / (double)f->st.nlat;
    }
    double per =
        f->st.cpis && f->num_aps ? (double)f->st.bytes_terms / (double)f->st.cpis / f->num_aps : 0;
    return json_pack(
        "{s:i,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:f,s:f,s:f,s:"
        "{s:f,s:f,s:f,s:f}}",
        "aps", (json_int_t)f->num_aps, "nodes_joined", (json_int_t)f->st.joins, "cpis",
        (json_int_t)f->st.cpis, "cpis_partial", (json_int_t)f->st.partial, "cpis_skipped",
        (json_int_t)f->st.skipped, "blocks_missing", (json_int_t)f->st.blocks_missing,
        "blocks_late", (json_int_t)f->st.blocks_late, "node_failures",
        (json_int_t)f->st.node_failures, "nodes_lost", (json_int_t)f->st.nodes_lost, "rejoins",
        (json_int_t)f->st.rejoins, "malformed", (json_int_t)c->malformed, "oversized",
        (json_int_t)c->oversized, "unexpected", (json_int_t)f->st.unexpected, "refused_keys",
        (json_int_t)c->refused_keys, "messages_in", (json_int_t)c->received, "bytes_terms",
        (json_int_t)f->st.bytes_terms, "bytes_iq", (json_int_t)f->st.bytes_iq,
        "terms_bytes_per_cpi_per_ap", per, "wall_s", wall_s, "cpi_rate_hz",
        wall_s > 0 ? (double)f->st.cpis / wall_s : 0.0, "latency_ms", "mean", mean, "p50", p50,
        "p95", p95, "max", mx);
}

static int write_stats(const char *path, json_t *j)
{
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid());
    if (json_dump_file(j, tmp, JSON_COMPACT) || rename(tmp, path)) {
        unlink(tmp);
        return cli_input_error("fuse", "--stats %s: cannot write", path);
    }
    return CLI_OK;
}

/* ---- the command ---- */

struct fuse_run {
    struct isac_exp_config cfg;
    isac_radio r;
    isac_codebook cb;
    struct cli_calibration cal;
    isac_sigmf_writer w;
    json_t *result;
};

static int setup_link(struct fuse *f, const struct fuse_args *a, struct fuse_run *x,
                      const char **endpoint)
{
    char(*keys)[NET_KEY_Z85 + 1];
    char err[600];
    struct net_link_opts o = {.log_name = "isactb fuse"};
    *endpoint = a->bind ? a->bind : "tcp://127.0.0.1:*";
    keys = calloc(NET_MAX_AUTHORIZED, sizeof *keys);
    int rc = keys ? cli_net_security("fuse", *endpoint, 1, &a->net, &o, keys) : CLI_ERUNTIME;
    if (rc == CLI_OK && a->spawn && o.curve)
        rc = cli_usage("fuse", "--spawn starts plain-text loopback nodes: no --curve");
    if (rc == CLI_OK && !(f->link = net_link_server(*endpoint, &o, err, sizeof err)))
        rc = cli_usage("fuse", "%s", err);
    explicit_bzero(&o.keys, sizeof o.keys);
    free(keys);
    if (rc)
        return rc;
    *endpoint = net_link_endpoint(f->link);
    json_t *wj = json_pack("{s:o,s:I}", "config", isac_exp_config_to_json(&x->cfg), "run",
                           (json_int_t)net_now_ns());
    f->welcome = wj ? json_dumps(wj, JSON_COMPACT) : NULL;
    json_decref(wj);
    return f->welcome ? CLI_OK : CLI_ERUNTIME;
}

static int fuse_main(struct fuse *f, const struct fuse_args *a, struct fuse_run *x)
{
    char err[600] = "";
    int rc;
    if ((rc = cli_radio_open("fuse", x->cfg.radio, a->radio != NULL, &x->r)))
        return rc;
    struct gather_ctx g = {.f = f};
    isac_radio_get_info(x->r, &g.info);
    f->num_aps = g.info.num_rx_aps;
    f->all_aps = (f->num_aps >= 32 ? 0 : 1u << f->num_aps) - 1u;
    if (!(x->cb = isac_exp_codebook(&x->cfg, &g.info, err, sizeof err)))
        return cli_input_error("fuse", "%s", err);
    if ((rc = cli_calibration_resolve("fuse", &x->cal, a->calibration, a->no_calibration, &g.info)))
        return rc;
    unsigned long nspawn = 0;
    if (a->spawn && cli_parse_uint("fuse", "--spawn", a->spawn, 1, f->num_aps, &nspawn))
        return CLI_EUSAGE;
    const char *endpoint;
    if ((rc = setup_link(f, a, x, &endpoint)))
        return rc;
    if (!a->quiet)
        fprintf(stderr, "isactb fuse: bound %s, %u receive APs\n", endpoint, f->num_aps);
    if (nspawn && (rc = spawn_nodes(f, (unsigned)nspawn, endpoint)))
        return rc;
    double join = 30;
    if (a->join_timeout &&
        cli_parse_double("fuse", "--join-timeout", a->join_timeout, 0.1, 86400, &join))
        return CLI_EUSAGE;
    if ((rc = wait_for_nodes(f, join)))
        return rc;
    if (a->record &&
        !(x->w = cli_run_open_recording(a->out, a->config, &x->cfg, &g.info, x->cb, &x->cal)))
        return CLI_EINPUT;
    struct isac_pipeline_source src = {&g, gather};
    struct isac_run_hooks hooks = {.progress = print_progress,
                                   .episode_line = print_episode,
                                   .ctx = &g,
                                   .should_stop = should_stop,
                                   .source = &src,
                                   .on_engine = on_engine};
    uint64_t t0 = net_now_ns();
    int erc = isac_exp_run(&x->cfg, x->r, x->cb, x->w, &hooks, &x->result, err, sizeof err);
    double wall = (double)(net_now_ns() - t0) / 1e9;
    if (x->result)
        json_object_set_new(x->result, "calibration", cli_calibration_summary(&x->cal));
    char werr[512];
    int wfail = x->w && isac_sigmf_writer_finish(x->w, werr, sizeof werr);
    x->w = NULL;
    if (erc)
        fprintf(stderr, "isactb fuse: %s\n", err);
    else if (wfail)
        fprintf(stderr, "isactb fuse: recording: %s\n", werr);
    if (x->result && a->record && !wfail) {
        char path[1100];
        snprintf(path, sizeof path, "%s/isactb.sigmf-collection", a->out);
        json_object_set_new(x->result, "capture", json_string(path));
    }
    if (x->result && a->json) {
        json_dumpf(x->result, stdout, JSON_COMPACT);
        putchar('\n');
    }
    if (x->result)
        cli_run_summary("fuse", x->result, a->json, a->quiet);
    fflush(stdout);
    json_t *sj = stats_json(f, wall);
    if (!a->quiet || f->st.partial || f->st.skipped)
        fprintf(stderr,
                "isactb fuse: %llu CPIs (%llu partial, %llu skipped, %llu AP blocks missing), "
                "%llu malformed, %llu oversized, %llu refused keys, %.1f CPI/s\n",
                (unsigned long long)f->st.cpis, (unsigned long long)f->st.partial,
                (unsigned long long)f->st.skipped, (unsigned long long)f->st.blocks_missing,
                (unsigned long long)net_link_counters(f->link)->malformed,
                (unsigned long long)net_link_counters(f->link)->oversized,
                (unsigned long long)net_link_counters(f->link)->refused_keys,
                wall > 0 ? (double)f->st.cpis / wall : 0.0);
    if (a->stats && sj && (rc = write_stats(a->stats, sj)))
        erc = erc ? erc : ISAC_EIO;
    json_decref(sj);
    if (erc || wfail)
        return erc == ISAC_EINVAL ? CLI_EINPUT : CLI_ERUNTIME;
    return CLI_OK;
}

int cmd_fuse(int argc, char **argv)
{
    struct fuse_args a = {0};
    int rc = parse_args(argc, argv, &a);
    if (rc)
        return rc < 0 ? CLI_OK : rc;
    struct fuse_run x = {0};
    if ((rc = load_config(&a, &x.cfg)))
        return rc;
    struct fuse f = {.a = &a, .skip = a.missing && !strcmp(a.missing, "skip"), .record = a.record};
    unsigned long ms = 2000;
    if (a.late_ms && cli_parse_uint("fuse", "--late-ms", a.late_ms, 1, 3600000, &ms))
        return CLI_EUSAGE;
    f.late_ms = (int)ms;
    /* the output directory is this run's alone until it ends (host/common/out_dir.h) */
    char lerr[512] = "";
    int out_lock = a.out ? isac_dir_lock(a.out, lerr, sizeof lerr) : -1;
    if (a.out && out_lock < 0)
        return cli_input_error("fuse", "--out %s", lerr);
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    signal(SIGPIPE, SIG_IGN);
    rc = fuse_main(&f, &a, &x);
    if (f.link)
        reap_nodes(&f);
    isac_sigmf_writer_abort(x.w);
    json_decref(x.result);
    cli_calibration_free(&x.cal);
    isac_codebook_destroy(x.cb);
    isac_radio_close(x.r);
    net_link_destroy(f.link);
    free(f.welcome);
    free(f.st.lat_ms);
    isac_dir_unlock(out_lock);
    return rc;
}
