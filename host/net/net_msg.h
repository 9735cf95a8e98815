/* Message framing of the node <-> fuse transport (isactb node / isactb fuse over ZeroMQ,
 * docs/distributed.md).
 *
 * Every message is one ZeroMQ frame: a 48-byte little-endian header, then `size` bytes of
 * payload.
 *
 *   off size field
 *    0   4   magic    "ISNM" (NET_MSG_MAGIC read as little-endian uint32)
 *    4   2   version  NET_MSG_VERSION; another version is refused
 *    6   2   type     enum net_msg_type
 *    8   4   ap       receive AP index the message is about (NET_AP_NONE: none)
 *   12   4   flags    per type (NET_FLAG_*)
 *   16   8   seq      sender's sequence number, +1 per message it sends on the connection
 *   24   8   time_ns  sender's wall clock (CLOCK_REALTIME), ns: for latency, never decisions
 *   32   8   tick     the CPI's RX window start in the shared time base (sample ticks of the
 *                     radio: PPS/GPS-disciplined device time on hardware, the emulator's
 *                     sample clock in sim)
 *   40   4   size     payload bytes, <= the receiver's bound
 *   44   4   check    FNV-1a 32 over bytes 0..43 and the payload
 *
 * Payloads: HELLO / CMD are UTF-8 JSON objects (fields in docs/distributed.md); TERMS is an
 * isac_ap_unit_out wire block (detect/ap_unit.h: it has its own magic, version and checksum);
 * IQ is the AP's raw RX window (float32 pairs, channel after channel); BYE is empty.
 * Validation is total: any header or payload that does not parse is refused with a one-line
 * reason, so a receiver counts and logs it and carries on.
 */
#ifndef ISACTB_NET_MSG_H
#define ISACTB_NET_MSG_H

#include <stddef.h>
#include <stdint.h>

#define NET_MSG_MAGIC 0x4d4e5349u /* "ISNM" */
#define NET_MSG_VERSION 1u
#define NET_MSG_HDR 48u
#define NET_AP_NONE 0xffffffffu
/* Default bound on one message (header + payload): the IQ window of a 64-element AP at
 * 16 k samples is 8 MiB. A receiver may lower it; larger frames are refused. */
#define NET_MSG_MAX_DEFAULT (16u << 20)

enum net_msg_type {
    NET_MSG_HELLO = 1,   /* node -> fuse: who I am ({"role","aps","pid"}) */
    NET_MSG_WELCOME = 2, /* fuse -> node: accepted ({"run"}) */
    NET_MSG_CMD = 3,     /* fuse -> node: one CPI (episode, step, plan, cpi label, IQ wanted) */
    NET_MSG_TERMS = 4,   /* node -> fuse: one AP's unit output of one CPI */
    NET_MSG_IQ = 5,      /* node -> fuse: one AP's raw RX window (recording) */
    NET_MSG_BYE = 6,     /* fuse -> node: the run is over; node -> fuse: leaving */
    NET_MSG_FAIL = 7,    /* node -> fuse: the CPI failed at the node (payload: one line) */
    NET_MSG_TYPE_MAX = 7
};

#define NET_FLAG_WANT_IQ 1u /* CMD: ship the RX window too */
#define NET_FLAG_FOCUS 2u   /* CMD: the CPI is a confirmation dwell (documentation) */

struct net_msg_hdr {
    uint16_t version, type;
    uint32_t ap, flags;
    uint64_t seq;
    uint64_t time_ns;
    int64_t tick;
    uint32_t size;
};

/* Name of a type ("TERMS"), "?" for an unknown one. */
const char *net_msg_type_name(unsigned type);

/* Write header h and payload (h->size bytes, may be NULL when 0) into buf (cap bytes);
 * *len = NET_MSG_HDR + size. ISAC_EINVAL on a bad type or cap too small. */
int net_msg_pack(const struct net_msg_hdr *h, const void *payload, void *buf, size_t cap,
                 size_t *len);

/* Parse one received frame of len bytes against the bound max (bytes, header included).
 * On success fills *h and *payload (pointing into buf). Refusals (why: one line, no
 * newline): ISAC_EINVAL for a frame larger than max (oversized), ISAC_EFORMAT for anything
 * else (short, magic, version, type, size field, checksum). */
int net_msg_parse(const void *buf, size_t len, size_t max, struct net_msg_hdr *h,
                  const void **payload, char *why, size_t whylen);

/* CLOCK_REALTIME in ns (message time stamps, latency). */
uint64_t net_now_ns(void);

#endif
