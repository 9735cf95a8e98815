/* One ZeroMQ endpoint of the node <-> fuse transport (docs/distributed.md).
 *
 * The fuse binds a ROUTER (net_link_server), each node connects a DEALER (net_link_client).
 * Messages are single frames framed by net/net_msg.h; every received frame is validated
 * (size bound, header, checksum) before anyone sees it, and a refused one is counted and
 * logged as one line on stderr ("isactb fuse: refused message from PEER: why"), never
 * aborting the process.
 *
 * Security: with curve = 1 the link uses CURVE (authentication and encryption, libzmq
 * built with libsodium). The server answers ZeroMQ's ZAP requests itself (a REP socket on
 * inproc://zeromq.zap.01 polled with the ROUTER, no thread): a client whose public key is
 * not in the authorized list is refused during the handshake, counted and logged; the
 * client sees ZMQ_EVENT_HANDSHAKE_FAILED_AUTH (net_link_refused). net_endpoint_loopback
 * tells which endpoints may run without CURVE (the default: CURVE on for every other).
 */
#ifndef ISACTB_NET_LINK_H
#define ISACTB_NET_LINK_H

#include <stddef.h>
#include <stdint.h>

#include "net/net_keys.h"
#include "net/net_msg.h"

typedef struct net_link_s *net_link;

#define NET_PEER_MAX 256 /* bytes of a ZeroMQ routing id */

struct net_link_opts {
    int curve;                                 /* 1: CURVE on */
    struct net_keypair keys;                   /* own keypair (curve) */
    char server_key[NET_KEY_Z85 + 1];          /* client: the server's public key (curve) */
    const char (*authorized)[NET_KEY_Z85 + 1]; /* server: allowed client keys (curve) */
    unsigned n_authorized;
    size_t max_msg;       /* bound on a received frame, bytes (0: default) */
    const char *log_name; /* prefix of log lines ("isactb fuse") */
};

struct net_link_counters {
    uint64_t received, sent;
    uint64_t malformed;    /* refused frames: header, checksum, unknown type, bad payload */
    uint64_t oversized;    /* refused frames larger than the bound */
    uint64_t refused_keys; /* CURVE handshakes with a key not in the list (server) */
    uint64_t send_failed;  /* sends to a peer that is gone */
};

/* A received, validated message; payload is owned by the link until the next recv. */
struct net_rx {
    struct net_msg_hdr h;
    const void *payload;
    uint8_t peer[NET_PEER_MAX]; /* server: the sender's routing id */
    size_t peer_len;
};

/* 1 for endpoints that stay on this host: ipc://, inproc://, tcp://127.x.y.z, tcp://[::1],
 * tcp://localhost. */
int net_endpoint_loopback(const char *endpoint);

/* Bind endpoint (tcp://ADDR:PORT, "*" for a free port). NULL with one line in err. */
net_link net_link_server(const char *endpoint, const struct net_link_opts *o, char *err,
                         size_t errlen);
/* Connect to endpoint; reconnects by itself when the server restarts. */
net_link net_link_client(const char *endpoint, const struct net_link_opts *o, char *err,
                         size_t errlen);
void net_link_destroy(net_link l);

/* The endpoint actually bound (a "*" port resolved). */
const char *net_link_endpoint(net_link l);

/* Wait up to timeout_ms (-1: forever) for one valid message. 1: *m filled; 0: timeout;
 * negative isac_err on a fatal socket error. Invalid frames and ZAP requests are handled
 * inside (counted, logged) and the wait goes on. */
int net_link_recv(net_link l, int timeout_ms, struct net_rx *m);
/* Send one message (seq and time_ns are filled in). Server: to peer (routing id);
 * client: peer ignored. ISAC_EIO when the peer is gone (counted). */
int net_link_send(net_link l, const uint8_t *peer, size_t peer_len, struct net_msg_hdr *h,
                  const void *payload);
/* Send raw bytes as one frame (tests of the receiver's validation). */
int net_link_send_raw(net_link l, const void *buf, size_t len);

/* Client: NULL, or one line saying why the server refused us: a CURVE handshake failed with an
 * authentication error, or 3 connections in a row were closed before their handshake
 * completed (the server may close before its error reaches us; a wrong server key looks
 * the same). */
const char *net_link_refused(net_link l); /* NULL, or why (one line) */

const struct net_link_counters *net_link_counters(net_link l);
/* Log one line on stderr with the link's prefix. */
void net_link_log(net_link l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
