/* isactb node: one AP's radio side of a distributed run (docs/distributed.md).
 *
 * A receive node captures its APs' channels at the ticks the fuse commands, applies its
 * calibration, runs its APs' processing units (detect/ap_unit.h: MF, cancellation, noise,
 * per-cell GLRT terms) and sends each AP's block (TERMS), plus the raw window (IQ) when the
 * fuse records. A transmit node radiates the plans it is sent. On the emulator a receive
 * node renders its own APs' channels of the same scene (isac_radio_set_rx_aps) after
 * "transmitting" the plan into it, so every node sees the single-process samples.
 */
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/cli_net.h"
#include "common/err.h"
#include "engine/pipeline.h"
#include "engine/run.h"
#include "net/net_link.h"

static const struct cli_opt NODE_OPTS[] = {
    {"connect", 'c', "ENDPOINT", "the fuse's ZeroMQ endpoint, e.g. tcp://host:5555 (required)"},
    {"role", 'r', "rx|tx",
     "rx: receive APs and send their GLRT terms; tx: radiate the plans (required)"},
    {"ap", 'a', "N[,N...]", "indices of the system's receive APs this rx node serves"},
    {"radio", 'R', "SPEC", "radio spec (default: the experiment's radio from the fuse)"},
    {"keys", 'k', "PREFIX", "this node's CURVE keypair PREFIX.key (isactb keys)"},
    {"server-key", 'S', "FILE", "the fuse's public key file (its .pub)"},
    {"curve", 'C', NULL,
     "CURVE encryption on a loopback endpoint too (default: non-loopback only)"},
    {"insecure", 'I', NULL, "allow plain text on a non-loopback endpoint"},
    {"calibration", 'l', "FILE|DIR", "calibration record, or a directory to search"},
    {"no-calibration", 'N', NULL, "apply no calibration record"},
    {"join-timeout", 'j', "S", "seconds to wait for the fuse, 0.1..86400 (default 30)"},
    CLI_OPT_QUIET('q'),
    {"loopback-tx", 'T', NULL,
     "transmit each plan into the node's own radio first (default on sim)"},
    {"no-loopback-tx", 'U', NULL, "only receive (the default on hardware: the tx node radiates)"},
    {0}};
const struct cli_cmd cli_cmd_node = {
    "node",    NULL, "one AP's radio side of a distributed run, driven by isactb fuse",
    NODE_OPTS, NULL, "The experiment comes from the fuse (docs/distributed.md)."};

static volatile sig_atomic_t node_stop;
static void on_signal(int sig)
{
    node_stop = sig;
}

struct node_args {
    const char *connect, *role, *aps, *radio, *calibration, *join_timeout;
    int no_calibration, quiet;
    int loopback_tx; /* 1 --loopback-tx, -1 --no-loopback-tx, 0 default (scenario radios) */
    struct cli_net_args net;
};

/* The node's state once the fuse has sent the experiment. */
struct node {
    const struct node_args *a;
    net_link link;
    int rx;        /* role */
    uint32_t mask; /* receive APs served */
    struct isac_exp_config cfg;
    isac_radio r;
    struct isac_radio_info info;
    isac_codebook cb;
    isac_pipeline p;
    struct cli_calibration cal;
    int have_episode;
    uint64_t episode;
    long long run; /* the fuse's run id (WELCOME): another one means a restarted fuse */
    uint8_t *buf;  /* packing scratch */
    size_t cap;
};

static int parse_aps(const char *s, uint32_t *mask)
{
    *mask = 0;
    while (s && *s) {
        char *end;
        unsigned long n = strtoul(s, &end, 10);
        if (end == s || n >= ISAC_RADIO_MAX_APS || (*end && *end != ','))
            return -1;
        *mask |= 1u << n;
        s = *end ? end + 1 : end;
    }
    return *mask ? 0 : -1;
}

static int parse_args(int argc, char **argv, struct node_args *a)
{
    struct cli_parser p;
    cli_parser_init(&p, &cli_cmd_node, argc, argv);
    for (int c; (c = cli_next(&p)) != CLI_END;) {
        switch (c) {
        case 'c': a->connect = p.arg; break;
        case 'r': a->role = p.arg; break;
        case 'a': a->aps = p.arg; break;
        case 'R': a->radio = p.arg; break;
        case 'k': a->net.keys = p.arg; break;
        case 'S': a->net.server_key = p.arg; break;
        case 'C': a->net.curve = 1; break;
        case 'I': a->net.insecure = 1; break;
        case 'l': a->calibration = p.arg; break;
        case 'N': a->no_calibration = 1; break;
        case 'j': a->join_timeout = p.arg; break;
        case 'q': a->quiet = 1; break;
        case 'T': a->loopback_tx = 1; break;
        case 'U': a->loopback_tx = -1; break;
        case CLI_HELP: return -1;
        default: return CLI_EUSAGE;
        }
    }
    if (p.next < argc)
        return cli_usage("node", "unexpected argument '%s'", argv[p.next]);
    if (!a->connect)
        return cli_usage("node", "--connect ENDPOINT is required");
    if (!a->role || (strcmp(a->role, "rx") && strcmp(a->role, "tx")))
        return cli_usage("node", "--role: expected rx or tx, got '%s'", a->role ? a->role : "");
    if (!strcmp(a->role, "rx") && !a->aps)
        return cli_usage("node", "--role rx needs --ap N[,N...]");
    if (a->calibration && a->no_calibration)
        return cli_usage("node", "--calibration and --no-calibration are exclusive");
    return 0;
}

static int send_json(struct node *nd, unsigned type, uint32_t ap, int64_t tick, json_t *j)
{
    char *txt = j ? json_dumps(j, JSON_COMPACT) : NULL;
    struct net_msg_hdr h = {
        .type = (uint16_t)type, .ap = ap, .tick = tick, .size = txt ? (uint32_t)strlen(txt) : 0};
    int rc = net_link_send(nd->link, NULL, 0, &h, txt);
    free(txt);
    return rc;
}

static int send_hello(struct node *nd)
{
    json_t *aps = json_array();
    for (unsigned n = 0; n < ISAC_RADIO_MAX_APS; n++)
        if (nd->mask >> n & 1u)
            json_array_append_new(aps, json_integer(n));
    json_t *j = json_pack("{s:s,s:o,s:i}", "role", nd->rx ? "rx" : "tx", "aps", aps, "pid",
                          (json_int_t)getpid());
    int rc = send_json(nd, NET_MSG_HELLO, NET_AP_NONE, 0, j);
    json_decref(j);
    return rc;
}

/* The experiment the fuse sent: radio, codebook, pipeline, calibration. */
static int node_setup(struct node *nd, const json_t *welcome)
{
    char err[600];
    json_t *cj = json_object_get(welcome, "config");
    isac_exp_config_defaults(&nd->cfg);
    if (!cj || isac_exp_config_from_json(cj, &nd->cfg, "fuse WELCOME", err, sizeof err))
        return cli_input_error("node", "%s", cj ? err : "fuse WELCOME: no config");
    const char *spec = nd->a->radio ? nd->a->radio : nd->cfg.radio;
    int rc = cli_radio_open("node", spec, nd->a->radio != NULL, &nd->r);
    if (rc)
        return rc;
    isac_radio_get_info(nd->r, &nd->info);
    if (nd->rx && (nd->mask >> nd->info.num_rx_aps)) {
        return cli_input_error("node", "--ap %s: the radio '%s' has %u receive APs", nd->a->aps,
                               spec, nd->info.num_rx_aps);
    }
    if (!(nd->cb = isac_exp_codebook(&nd->cfg, &nd->info, err, sizeof err)))
        return cli_input_error("node", "%s", err);
    if (!(nd->p = isac_pipeline_create(&nd->cfg, &nd->info, nd->cb, nd->cfg.pfa, err, sizeof err)))
        return cli_input_error("node", "%s", err);
    if ((rc = cli_calibration_resolve("node", &nd->cal, nd->a->calibration, nd->a->no_calibration,
                                      &nd->info)))
        return rc;
    if (nd->cal.applied && isac_pipeline_set_calibration(nd->p, nd->cal.pc, err, sizeof err))
        return cli_input_error("node", "%s", err);
    if (nd->rx)
        isac_radio_set_rx_aps(nd->r, nd->mask); /* ISAC_ENOTSUP: the radio captures all anyway */
    return CLI_OK;
}

/* Episode ep starts at tick origin (the end of the previous RX window of the run, where
 * the single-process radio's clock stood): a node that (re)joined later brings its clock
 * there first with a one-sample capture, so the scene's time origin is the same. */
static int start_episode(struct node *nd, uint64_t ep, int64_t origin)
{
    int64_t now = 0;
    if (!(nd->info.caps & ISAC_RADIO_CAP_SCENARIO))
        return ISAC_OK;
    if (isac_radio_get_time(nd->r, &now) == ISAC_OK && now < origin) {
        struct isac_radio_rx_md md;
        int rc = isac_radio_rx_capture(nd->r, origin - 1, isac_pipeline_rx(nd->p), 1, &md);
        if (rc)
            return rc;
    }
    int64_t tick = origin;
    return isac_radio_start_episode(nd->r, ep, &tick);
}

static int send_block(struct node *nd, unsigned n, int64_t tick, int want_iq)
{
    const struct isac_ap_unit_out *o = isac_pipeline_ap_output(nd->p, n);
    size_t need = isac_ap_unit_out_packed_size(o, 0), len = 0;
    size_t iq = (size_t)o->h.M * isac_pipeline_window_length(nd->p) * sizeof(float complex);
    if (need < iq)
        need = iq;
    if (need > nd->cap) {
        uint8_t *b = realloc(nd->buf, need);
        if (!b)
            return ISAC_ENOMEM;
        nd->buf = b;
        nd->cap = need;
    }
    int rc = isac_ap_unit_out_pack(o, 0, nd->buf, nd->cap, &len);
    struct net_msg_hdr h = {.type = NET_MSG_TERMS, .ap = n, .tick = tick, .size = (uint32_t)len};
    if (rc == ISAC_OK)
        rc = net_link_send(nd->link, NULL, 0, &h, nd->buf);
    if (rc || !want_iq)
        return rc;
    /* the AP's raw window, channel after channel (what run --record stores) */
    float complex *const *rx = isac_pipeline_rx(nd->p);
    unsigned first = isac_radio_rx_first_channel(&nd->info, n);
    size_t W = isac_pipeline_window_length(nd->p);
    for (unsigned m = 0; m < o->h.M; m++)
        memcpy(nd->buf + m * W * sizeof(float complex), rx[first + m], W * sizeof(float complex));
    h = (struct net_msg_hdr){.type = NET_MSG_IQ, .ap = n, .tick = tick, .size = (uint32_t)iq};
    return net_link_send(nd->link, NULL, 0, &h, nd->buf);
}

static void send_fail(struct node *nd, const struct net_rx *m, const char *why)
{
    struct net_msg_hdr h = {
        .type = NET_MSG_FAIL, .ap = m->h.ap, .tick = m->h.tick, .size = (uint32_t)strlen(why)};
    net_link_send(nd->link, NULL, 0, &h, why);
    if (!nd->a->quiet)
        net_link_log(nd->link, "CPI at tick %lld failed: %s", (long long)m->h.tick, why);
}

/* One CPI command: {"episode", "step", "cpi", "origin", "plan"}. */
static void on_cmd(struct node *nd, const struct net_rx *m)
{
    char err[600] = "";
    json_error_t je;
    json_t *j = json_loadb(m->payload, m->h.size, 0, &je);
    json_t *pj = json_object_get(j, "plan");
    json_int_t ep = json_integer_value(json_object_get(j, "episode"));
    json_int_t cpi = json_integer_value(json_object_get(j, "cpi"));
    json_int_t origin = json_integer_value(json_object_get(j, "origin"));
    isac_tx_plan plan = pj ? isac_tx_plan_from_json(pj, nd->cb, "CMD plan", err, sizeof err) : NULL;
    int rc = ISAC_OK;
    if (!j || !plan || ep < 0 || cpi < 0) {
        send_fail(nd, m, plan || !pj ? "CMD: malformed command" : err);
        goto done;
    }
    if (!nd->have_episode || (uint64_t)ep != nd->episode) {
        if ((rc = start_episode(nd, (uint64_t)ep, origin))) {
            snprintf(err, sizeof err, "episode %lld: %s", (long long)ep,
                     isac_radio_last_error(nd->r));
            send_fail(nd, m, err);
            goto done;
        }
        nd->have_episode = 1;
        nd->episode = (uint64_t)ep;
    }
    if (nd->rx) {
        /* an emulated scene needs the burst for its echoes: the receive node transmits into
         * its own copy of it; on hardware the tx node radiates and rx nodes only receive */
        int tx = nd->a->loopback_tx > 0 ||
                 (nd->a->loopback_tx == 0 && (nd->info.caps & ISAC_RADIO_CAP_SCENARIO));
        rc = isac_pipeline_step_node(nd->p, nd->r, plan, m->h.tick, (uint64_t)cpi, nd->mask, tx);
        for (unsigned n = 0; rc == ISAC_OK && n < ISAC_RADIO_MAX_APS; n++)
            if (nd->mask >> n & 1u)
                rc = send_block(nd, n, m->h.tick, (m->h.flags & NET_FLAG_WANT_IQ) != 0);
    } else {
        size_t len;
        const float complex *const *x = isac_pipeline_compose_tx(nd->p, plan, &len);
        rc = x ? isac_radio_tx_burst(nd->r, m->h.tick, x, len) : ISAC_EINVAL;
    }
    if (rc) {
        const char *why = isac_pipeline_last_error(nd->p);
        snprintf(err, sizeof err, "%s", why[0] ? why : isac_radio_last_error(nd->r));
        send_fail(nd, m, err[0] ? err : isac_strerror(rc));
    }
done:
    isac_tx_plan_destroy(plan);
    json_decref(j);
}

/* Back to the state before WELCOME. */
static void node_teardown(struct node *nd)
{
    isac_pipeline_destroy(nd->p);
    isac_codebook_destroy(nd->cb);
    isac_radio_close(nd->r);
    cli_calibration_free(&nd->cal);
    nd->p = NULL;
    nd->cb = NULL;
    nd->r = NULL;
    nd->have_episode = 0;
}

static void node_free(struct node *nd)
{
    node_teardown(nd);
    net_link_destroy(nd->link);
    free(nd->buf);
}

/* Until BYE, a signal, a refused key or a fuse that never answers. */
static int node_loop(struct node *nd, double join_timeout_s)
{
    uint64_t t_quiet = net_now_ns(), t_hello = 0;
    int joined = 0;
    while (!node_stop) {
        uint64_t now = net_now_ns();
        if (now - t_hello > 1000000000ull && (!joined || now - t_quiet > 2000000000ull)) {
            send_hello(nd); /* again: the fuse may have restarted or not be up yet */
            t_hello = now;
        }
        if (!joined && (double)(now - t_quiet) / 1e9 > join_timeout_s)
            return cli_runtime_error("node", "%s: no answer from the fuse within %g s",
                                     nd->a->connect, join_timeout_s);
        struct net_rx m;
        int rc = net_link_recv(nd->link, 200, &m);
        if (net_link_refused(nd->link))
            return cli_runtime_error("node", "%s", net_link_refused(nd->link));
        if (rc < 0)
            return cli_runtime_error("node", "transport: %s", isac_strerror(rc));
        if (rc == 0)
            continue;
        t_quiet = net_now_ns();
        if (m.h.type == NET_MSG_WELCOME) {
            json_error_t je;
            json_t *w = json_loadb(m.payload, m.h.size, 0, &je);
            json_int_t run = json_integer_value(json_object_get(w, "run"));
            if (joined && run != nd->run) {
                /* a new fuse (restarted): a new run from tick 0, so a fresh radio */
                node_teardown(nd);
                joined = 0;
            }
            rc = joined ? CLI_OK
                 : w    ? node_setup(nd, w)
                        : cli_input_error("node", "fuse WELCOME: not JSON");
            json_decref(w);
            if (rc)
                return rc;
            if (!joined && !nd->a->quiet)
                net_link_log(nd->link, "joined %s (run %lld)", nd->a->connect, (long long)run);
            joined = 1;
            nd->run = run;
        } else if (m.h.type == NET_MSG_CMD && joined) {
            on_cmd(nd, &m);
        } else if (m.h.type == NET_MSG_BYE) {
            return CLI_OK;
        }
    }
    return CLI_OK;
}

int cmd_node(int argc, char **argv)
{
    struct node_args a = {0};
    int rc = parse_args(argc, argv, &a);
    if (rc)
        return rc < 0 ? CLI_OK : rc;
    struct node nd = {.a = &a, .rx = !strcmp(a.role, "rx")};
    if (nd.rx && parse_aps(a.aps, &nd.mask))
        return cli_usage("node", "--ap: invalid list '%s' (AP indices 0..%d, comma-separated)",
                         a.aps, ISAC_RADIO_MAX_APS - 1);
    double join_timeout = 30;
    if (a.join_timeout &&
        cli_parse_double("node", "--join-timeout", a.join_timeout, 0.1, 86400, &join_timeout))
        return CLI_EUSAGE;
    char keys[1][NET_KEY_Z85 + 1];
    struct net_link_opts o = {.log_name = "isactb node"};
    if ((rc = cli_net_security("node", a.connect, 0, &a.net, &o, keys)))
        return rc;
    char err[600];
    if (!(nd.link = net_link_client(a.connect, &o, err, sizeof err)))
        return cli_usage("node", "%s", err);
    explicit_bzero(&o.keys, sizeof o.keys);
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    rc = node_loop(&nd, join_timeout);
    node_free(&nd);
    return rc;
}
