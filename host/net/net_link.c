#include "net/net_link.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "common/err.h"

#define ZAP_ENDPOINT "inproc://zeromq.zap.01"
#define NET_HANDSHAKE_TRIES 3

struct net_link_s {
    void *ctx, *sock, *zap, *mon;
    int server, curve, refused;
    char refusal[640];          /* client: why the server refused us */
    int handshaken;             /* client: the current connection completed its handshake */
    unsigned failed_handshakes; /* client: connections lost before their handshake */
    size_t max_msg;
    uint64_t seq;
    char endpoint[512];
    char log_name[64];
    char (*authorized)[NET_KEY_Z85 + 1];
    unsigned n_authorized;
    zmq_msg_t last; /* the frame the last net_rx points into */
    int have_last;
    struct net_link_counters cnt;
};

int net_endpoint_loopback(const char *ep)
{
    if (!ep)
        return 0;
    if (!strncmp(ep, "ipc://", 6) || !strncmp(ep, "inproc://", 9))
        return 1;
    if (strncmp(ep, "tcp://", 6))
        return 0;
    const char *h = ep + 6;
    return !strncmp(h, "127.", 4) || !strncmp(h, "[::1]:", 6) || !strncmp(h, "localhost:", 10);
}

void net_link_log(net_link l, const char *fmt, ...)
{
    char line[512];
    va_list ap;
    va_start(ap, fmt);
    isac_vseterr(line, sizeof line, fmt, ap);
    va_end(ap);
    fprintf(stderr, "%s: %s\n", l->log_name, line);
}

static int set_int(void *s, int opt, int v)
{
    return zmq_setsockopt(s, opt, &v, sizeof v);
}

static net_link link_new(const struct net_link_opts *o, int server)
{
    net_link l = calloc(1, sizeof *l);
    if (!l)
        return NULL;
    l->server = server;
    l->curve = o->curve;
    l->max_msg = o->max_msg ? o->max_msg : NET_MSG_MAX_DEFAULT;
    snprintf(l->log_name, sizeof l->log_name, "%s", o->log_name ? o->log_name : "isactb");
    if (server && o->n_authorized) {
        l->authorized = malloc(o->n_authorized * sizeof *l->authorized);
        if (!l->authorized) {
            free(l);
            return NULL;
        }
        memcpy(l->authorized, o->authorized, o->n_authorized * sizeof *l->authorized);
        l->n_authorized = o->n_authorized;
    }
    l->ctx = zmq_ctx_new();
    return l;
}

/* Options common to both sides: no linger at close, a bound libzmq enforces for frames
 * far beyond ours (4x: frames between 1x and 4x reach net_link_recv to be counted). */
static int common_opts(net_link l)
{
    int64_t maxsz = (int64_t)l->max_msg * 4;
    return set_int(l->sock, ZMQ_LINGER, 0) ||
           zmq_setsockopt(l->sock, ZMQ_MAXMSGSIZE, &maxsz, sizeof maxsz) ||
           set_int(l->sock, ZMQ_SNDHWM, 10000) || set_int(l->sock, ZMQ_RCVHWM, 10000);
}

static void fail(net_link l, const char *what, char *err, size_t errlen)
{
    isac_seterr(err, errlen, "%s: %s", what, zmq_strerror(errno));
    net_link_destroy(l);
}

net_link net_link_server(const char *endpoint, const struct net_link_opts *o, char *err,
                         size_t errlen)
{
    net_link l = link_new(o, 1);
    if (!l || !l->ctx) {
        isac_seterr(err, errlen, "transport: out of memory");
        net_link_destroy(l);
        return NULL;
    }
    if (l->curve) {
        /* the ZAP handler must exist before the first handshake */
        if (!(l->zap = zmq_socket(l->ctx, ZMQ_REP)) || zmq_bind(l->zap, ZAP_ENDPOINT)) {
            fail(l, "transport: ZAP handler", err, errlen);
            return NULL;
        }
        set_int(l->zap, ZMQ_LINGER, 0);
    }
    if (!(l->sock = zmq_socket(l->ctx, ZMQ_ROUTER)) || common_opts(l) ||
        set_int(l->sock, ZMQ_ROUTER_MANDATORY, 1) ||
        (l->curve &&
         (set_int(l->sock, ZMQ_CURVE_SERVER, 1) ||
          zmq_setsockopt(l->sock, ZMQ_CURVE_SECRETKEY, o->keys.secret_key, NET_KEY_Z85 + 1) ||
          zmq_setsockopt(l->sock, ZMQ_ZAP_DOMAIN, "isactb", 6)))) {
        fail(l, "transport: socket options", err, errlen);
        return NULL;
    }
    if (zmq_bind(l->sock, endpoint)) {
        char what[600];
        snprintf(what, sizeof what, "--bind %s", endpoint);
        fail(l, what, err, errlen);
        return NULL;
    }
    size_t n = sizeof l->endpoint;
    if (zmq_getsockopt(l->sock, ZMQ_LAST_ENDPOINT, l->endpoint, &n))
        snprintf(l->endpoint, sizeof l->endpoint, "%s", endpoint);
    return l;
}

net_link net_link_client(const char *endpoint, const struct net_link_opts *o, char *err,
                         size_t errlen)
{
    net_link l = link_new(o, 0);
    if (!l || !l->ctx) {
        isac_seterr(err, errlen, "transport: out of memory");
        net_link_destroy(l);
        return NULL;
    }
    if (!(l->sock = zmq_socket(l->ctx, ZMQ_DEALER)) || common_opts(l) ||
        set_int(l->sock, ZMQ_RECONNECT_IVL, 100) || set_int(l->sock, ZMQ_RECONNECT_IVL_MAX, 1000) ||
        (l->curve &&
         (zmq_setsockopt(l->sock, ZMQ_CURVE_SERVERKEY, o->server_key, NET_KEY_Z85 + 1) ||
          zmq_setsockopt(l->sock, ZMQ_CURVE_PUBLICKEY, o->keys.public_key, NET_KEY_Z85 + 1) ||
          zmq_setsockopt(l->sock, ZMQ_CURVE_SECRETKEY, o->keys.secret_key, NET_KEY_Z85 + 1)))) {
        fail(l, "transport: socket options", err, errlen);
        return NULL;
    }
    /* a refused key shows only as a monitor event: watch for it */
    char mon[64];
    snprintf(mon, sizeof mon, "inproc://isactb-monitor-%p", (void *)l);
    if (zmq_socket_monitor(l->sock, mon,
                           ZMQ_EVENT_HANDSHAKE_FAILED_AUTH | ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL |
                               ZMQ_EVENT_HANDSHAKE_SUCCEEDED | ZMQ_EVENT_CONNECTED |
                               ZMQ_EVENT_DISCONNECTED) ||
        !(l->mon = zmq_socket(l->ctx, ZMQ_PAIR)) || zmq_connect(l->mon, mon)) {
        fail(l, "transport: monitor", err, errlen);
        return NULL;
    }
    set_int(l->mon, ZMQ_LINGER, 0);
    if (zmq_connect(l->sock, endpoint)) {
        char what[600];
        snprintf(what, sizeof what, "--connect %s", endpoint);
        fail(l, what, err, errlen);
        return NULL;
    }
    snprintf(l->endpoint, sizeof l->endpoint, "%s", endpoint);
    return l;
}

void net_link_destroy(net_link l)
{
    if (!l)
        return;
    if (l->have_last)
        zmq_msg_close(&l->last);
    if (l->sock && l->mon)
        zmq_socket_monitor(l->sock, NULL, 0);
    if (l->mon)
        zmq_close(l->mon);
    if (l->sock)
        zmq_close(l->sock);
    if (l->zap)
        zmq_close(l->zap);
    if (l->ctx)
        zmq_ctx_term(l->ctx);
    free(l->authorized);
    free(l);
}

const char *net_link_endpoint(net_link l)
{
    return l->endpoint;
}
const struct net_link_counters *net_link_counters(net_link l)
{
    return &l->cnt;
}
const char *net_link_refused(net_link l)
{
    return l->refused ? l->refusal : NULL;
}

/* Drop the remaining frames of a multipart message. */
static void drain(void *s)
{
    int more = 1;
    size_t n = sizeof more;
    while (zmq_getsockopt(s, ZMQ_RCVMORE, &more, &n) == 0 && more) {
        zmq_msg_t m;
        zmq_msg_init(&m);
        zmq_msg_recv(&m, s, ZMQ_DONTWAIT);
        zmq_msg_close(&m);
        n = sizeof more;
    }
}

/* One ZAP request (RFC 27): version, request id, domain, address, identity, mechanism,
 * credentials; reply 200 for an authorized CURVE key, 400 otherwise. */
static void zap_answer(net_link l)
{
    zmq_msg_t f[7];
    int n = 0, more = 1;
    for (; n < 7 && more; n++) {
        zmq_msg_init(&f[n]);
        if (zmq_msg_recv(&f[n], l->zap, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close(&f[n]);
            break;
        }
        more = zmq_msg_more(&f[n]);
    }
    if (more)
        drain(l->zap);
    char key[NET_KEY_Z85 + 1] = "";
    int ok = 0;
    if (n == 7 && zmq_msg_size(&f[5]) == 5 && !memcmp(zmq_msg_data(&f[5]), "CURVE", 5) &&
        zmq_msg_size(&f[6]) == 32 && zmq_z85_encode(key, zmq_msg_data(&f[6]), 32))
        for (unsigned i = 0; i < l->n_authorized && !ok; i++)
            ok = !strcmp(key, l->authorized[i]);
    if (!ok) {
        l->cnt.refused_keys++;
        net_link_log(l, "refused a connection: CURVE key %s is not authorized",
                     key[0] ? key : "(none)");
    }
    if (n >= 2) {
        zmq_send(l->zap, "1.0", 3, ZMQ_SNDMORE);
        zmq_send(l->zap, zmq_msg_data(&f[1]), zmq_msg_size(&f[1]), ZMQ_SNDMORE);
        zmq_send(l->zap, ok ? "200" : "400", 3, ZMQ_SNDMORE);
        zmq_send(l->zap, ok ? "OK" : "unknown key", ok ? 2 : 11, ZMQ_SNDMORE);
        zmq_send(l->zap, key, ok ? strlen(key) : 0, ZMQ_SNDMORE);
        zmq_send(l->zap, "", 0, 0);
    }
    for (int i = 0; i < n; i++)
        zmq_msg_close(&f[i]);
}

static void monitor_event(net_link l)
{
    zmq_msg_t m;
    zmq_msg_init(&m);
    if (zmq_msg_recv(&m, l->mon, ZMQ_DONTWAIT) >= 0 && zmq_msg_size(&m) >= 6) {
        uint16_t ev;
        memcpy(&ev, zmq_msg_data(&m), 2);
        if (ev == ZMQ_EVENT_CONNECTED)
            l->handshaken = 0;
        else if (ev == ZMQ_EVENT_HANDSHAKE_SUCCEEDED)
            l->handshaken = 1, l->failed_handshakes = 0;
        else if ((ev == ZMQ_EVENT_DISCONNECTED || ev == ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL) &&
                 !l->handshaken)
            l->failed_handshakes++;
        if (ev == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH && !l->refused) {
            l->refused = 1;
            snprintf(l->refusal, sizeof l->refusal,
                     "%s refused this node's CURVE key (not in its authorized keys)", l->endpoint);
        } else if (l->curve && l->failed_handshakes >= NET_HANDSHAKE_TRIES && !l->refused) {
            /* the server may close before its ERROR command arrives: repeated handshake
             * failures are the same refusal (or a wrong server key) */
            l->refused = 1;
            snprintf(l->refusal, sizeof l->refusal,
                     "%s: %u CURVE handshakes failed (key not authorized, or the wrong server key)",
                     l->endpoint, l->failed_handshakes);
        }
    }
    zmq_msg_close(&m);
    drain(l->mon);
}

/* Peer id as text for log lines. */
static void peer_text(const uint8_t *p, size_t n, char *out, size_t cap)
{
    size_t k = 0;
    for (size_t i = 0; i < n && k + 3 < cap; i++)
        k += (size_t)snprintf(out + k, cap - k, "%02x", p[i]);
    if (!n)
        snprintf(out, cap, "fuse");
}

/* Read one message from the data socket; 1 valid, 0 refused (counted), <0 fatal. */
static int take(net_link l, struct net_rx *m)
{
    m->peer_len = 0;
    if (l->server) {
        int n = zmq_recv(l->sock, m->peer, sizeof m->peer, ZMQ_DONTWAIT);
        if (n < 0)
            return errno == EAGAIN ? 0 : ISAC_EIO;
        m->peer_len = (size_t)n > sizeof m->peer ? sizeof m->peer : (size_t)n;
    }
    if (l->have_last)
        zmq_msg_close(&l->last);
    zmq_msg_init(&l->last);
    l->have_last = 1;
    if (zmq_msg_recv(&l->last, l->sock, ZMQ_DONTWAIT) < 0)
        return errno == EAGAIN ? 0 : ISAC_EIO;
    int extra = zmq_msg_more(&l->last);
    drain(l->sock);
    char why[200], who[2 * NET_PEER_MAX + 1];
    int rc = extra ? ISAC_EFORMAT
                   : net_msg_parse(zmq_msg_data(&l->last), zmq_msg_size(&l->last), l->max_msg,
                                   &m->h, &m->payload, why, sizeof why);
    if (extra)
        snprintf(why, sizeof why, "multipart message (the protocol sends single frames)");
    if (rc == ISAC_OK) {
        l->cnt.received++;
        return 1;
    }
    if (rc == ISAC_EINVAL)
        l->cnt.oversized++;
    else
        l->cnt.malformed++;
    peer_text(m->peer, m->peer_len, who, sizeof who);
    net_link_log(l, "refused message from %s: %s", who, why);
    return 0;
}

int net_link_recv(net_link l, int timeout_ms, struct net_rx *m)
{
    uint64_t t_end = net_now_ns() + (uint64_t)(timeout_ms < 0 ? 0 : timeout_ms) * 1000000ull;
    for (;;) {
        zmq_pollitem_t it[2] = {{l->sock, 0, ZMQ_POLLIN, 0},
                                {l->server ? l->zap : l->mon, 0, ZMQ_POLLIN, 0}};
        int nit = it[1].socket ? 2 : 1;
        long wait = -1;
        if (timeout_ms >= 0) {
            uint64_t now = net_now_ns();
            wait = now >= t_end ? 0 : (long)((t_end - now + 999999) / 1000000);
        }
        int rc = zmq_poll(it, nit, wait);
        if (rc < 0) {
            if (errno == EINTR)
                return 0;
            return ISAC_EIO;
        }
        if (nit == 2 && (it[1].revents & ZMQ_POLLIN)) {
            if (l->server)
                zap_answer(l);
            else
                monitor_event(l);
        }
        if (it[0].revents & ZMQ_POLLIN) {
            rc = take(l, m);
            if (rc)
                return rc;
        }
        if (timeout_ms >= 0 && net_now_ns() >= t_end)
            return 0;
    }
}

static int send_frame(net_link l, const uint8_t *peer, size_t peer_len, const void *buf, size_t len)
{
    if (l->server && zmq_send(l->sock, peer, peer_len, ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0) {
        l->cnt.send_failed++;
        return ISAC_EIO;
    }
    if (zmq_send(l->sock, buf, len, ZMQ_DONTWAIT) < 0) {
        l->cnt.send_failed++;
        return ISAC_EIO;
    }
    l->cnt.sent++;
    return ISAC_OK;
}

int net_link_send(net_link l, const uint8_t *peer, size_t peer_len, struct net_msg_hdr *h,
                  const void *payload)
{
    size_t cap = NET_MSG_HDR + (size_t)h->size, len = 0;
    uint8_t *buf = malloc(cap);
    if (!buf)
        return ISAC_ENOMEM;
    h->version = NET_MSG_VERSION;
    h->seq = l->seq++;
    h->time_ns = net_now_ns();
    int rc = net_msg_pack(h, payload, buf, cap, &len);
    if (rc == ISAC_OK)
        rc = send_frame(l, peer, peer_len, buf, len);
    free(buf);
    return rc;
}

int net_link_send_raw(net_link l, const void *buf, size_t len)
{
    return send_frame(l, NULL, 0, buf, len);
}
