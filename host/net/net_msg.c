#include "net/net_msg.h"

#include <string.h>
#include <time.h>

#include "common/err.h"

static void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}
static void put32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}
static void put64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}
static uint16_t get16(const uint8_t *p)
{
    return (uint16_t)(p[0] | p[1] << 8);
}
static uint32_t get32(const uint8_t *p)
{
    uint32_t v = 0;
    for (int i = 3; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}
static uint64_t get64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

static uint32_t fnv1a(uint32_t h, const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        h = (h ^ p[i]) * 16777619u;
    return h;
}

static uint32_t checksum(const uint8_t *hdr, const uint8_t *payload, size_t n)
{
    return fnv1a(fnv1a(2166136261u, hdr, 44), payload, n);
}

const char *net_msg_type_name(unsigned type)
{
    static const char *const names[] = {"?",     "HELLO", "WELCOME", "CMD",
                                        "TERMS", "IQ",    "BYE",     "FAIL"};
    return type <= NET_MSG_TYPE_MAX ? names[type] : "?";
}

uint64_t net_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

int net_msg_pack(const struct net_msg_hdr *h, const void *payload, void *buf, size_t cap,
                 size_t *len)
{
    if (!h || !buf || !len || h->type < 1 || h->type > NET_MSG_TYPE_MAX || (h->size && !payload) ||
        cap < NET_MSG_HDR || cap - NET_MSG_HDR < h->size)
        return ISAC_EINVAL;
    uint8_t *p = buf;
    put32(p, NET_MSG_MAGIC);
    put16(p + 4, NET_MSG_VERSION);
    put16(p + 6, h->type);
    put32(p + 8, h->ap);
    put32(p + 12, h->flags);
    put64(p + 16, h->seq);
    put64(p + 24, h->time_ns);
    put64(p + 32, (uint64_t)h->tick);
    put32(p + 40, h->size);
    if (h->size)
        memmove(p + NET_MSG_HDR, payload, h->size);
    put32(p + 44, checksum(p, p + NET_MSG_HDR, h->size));
    *len = NET_MSG_HDR + h->size;
    return ISAC_OK;
}

int net_msg_parse(const void *buf, size_t len, size_t max, struct net_msg_hdr *h,
                  const void **payload, char *why, size_t whylen)
{
    const uint8_t *p = buf;
    if (len > max) {
        isac_seterr(why, whylen, "oversized: %zu bytes (bound %zu)", len, max);
        return ISAC_EINVAL;
    }
    if (!p || len < NET_MSG_HDR) {
        isac_seterr(why, whylen, "short: %zu bytes (header is %u)", len, NET_MSG_HDR);
        return ISAC_EFORMAT;
    }
    if (get32(p) != NET_MSG_MAGIC) {
        isac_seterr(why, whylen, "magic: 0x%08x is not ISNM", get32(p));
        return ISAC_EFORMAT;
    }
    h->version = get16(p + 4);
    h->type = get16(p + 6);
    h->ap = get32(p + 8);
    h->flags = get32(p + 12);
    h->seq = get64(p + 16);
    h->time_ns = get64(p + 24);
    h->tick = (int64_t)get64(p + 32);
    h->size = get32(p + 40);
    if (h->version != NET_MSG_VERSION) {
        isac_seterr(why, whylen, "version: %u (supported: %u)", h->version, NET_MSG_VERSION);
        return ISAC_EFORMAT;
    }
    if (h->type < 1 || h->type > NET_MSG_TYPE_MAX) {
        isac_seterr(why, whylen, "type: %u unknown", h->type);
        return ISAC_EFORMAT;
    }
    if ((size_t)h->size != len - NET_MSG_HDR) {
        isac_seterr(why, whylen, "size: field says %u payload bytes, frame has %zu", h->size,
                    len - NET_MSG_HDR);
        return ISAC_EFORMAT;
    }
    if (get32(p + 44) != checksum(p, p + NET_MSG_HDR, h->size)) {
        isac_seterr(why, whylen, "check: checksum mismatch (corrupted %s)",
                    net_msg_type_name(h->type));
        return ISAC_EFORMAT;
    }
    *payload = p + NET_MSG_HDR;
    return ISAC_OK;
}
