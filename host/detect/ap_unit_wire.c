/* Unit output blocks: allocation and the little-endian wire form (see ap_unit.h). */
#include "detect/ap_unit.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"

#define WIRE_HDR                                                                                   \
    64u             /* magic, version, total length, ap, M, K, ncells, beam, has_mf, cpi,          \
                       noise_var, lag0_delay */
#define WIRE_SUM 8u /* FNV-1a 64 trailer */
#define MAX_K (1u << 24)
#define MAX_CELLS (1u << 28)

static int shape_ok(unsigned M, size_t K, size_t ncells)
{
    return M >= 1 && M <= ISAC_AP_UNIT_MAX_M && K >= 2 && K <= MAX_K && ncells >= 1 &&
           ncells <= MAX_CELLS;
}

struct isac_ap_unit_out *isac_ap_unit_out_alloc(unsigned M, size_t K, size_t ncells, int with_mf)
{
    if (!shape_ok(M, K, ncells))
        return NULL;
    struct isac_ap_unit_out *o = calloc(1, sizeof *o);
    if (!o)
        return NULL;
    o->h = (struct isac_ap_unit_hdr){
        .M = M, .K = (uint32_t)K, .ncells = (uint32_t)ncells, .has_mf = with_mf ? 1 : 0};
    o->term = calloc(ncells, sizeof *o->term);
    o->visible = calloc(ncells, 1);
    o->dp_gain = calloc(M, sizeof *o->dp_gain);
    o->z = with_mf ? calloc((size_t)M * K, sizeof *o->z) : NULL;
    if (o->term && o->visible && o->dp_gain && (o->z || !with_mf))
        return o;
    isac_ap_unit_out_destroy(o);
    return NULL;
}

void isac_ap_unit_out_destroy(struct isac_ap_unit_out *o)
{
    if (!o)
        return;
    free(o->term);
    free(o->visible);
    free(o->dp_gain);
    free(o->z);
    free(o);
}

/* ---- byte order ---- */

static void put_u32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}
static void put_u64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}
static uint32_t get_u32(const uint8_t *p)
{
    uint32_t v = 0;
    for (int i = 0; i < 4; i++)
        v |= (uint32_t)p[i] << (8 * i);
    return v;
}
static uint64_t get_u64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v |= (uint64_t)p[i] << (8 * i);
    return v;
}
static void put_f64(uint8_t *p, double d)
{
    uint64_t v;
    memcpy(&v, &d, 8);
    put_u64(p, v);
}
static double get_f64(const uint8_t *p)
{
    uint64_t v = get_u64(p);
    double d;
    memcpy(&d, &v, 8);
    return d;
}
/* n float32 values (IEEE 754 bits, little-endian) */
static uint8_t *put_f32s(uint8_t *p, const float *x, size_t n)
{
    for (size_t i = 0; i < n; i++, p += 4) {
        uint32_t v;
        memcpy(&v, &x[i], 4);
        put_u32(p, v);
    }
    return p;
}
static const uint8_t *get_f32s(const uint8_t *p, float *x, size_t n)
{
    for (size_t i = 0; i < n; i++, p += 4) {
        uint32_t v = get_u32(p);
        memcpy(&x[i], &v, 4);
    }
    return p;
}

static uint64_t fnv1a64(const uint8_t *p, size_t n)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < n; i++)
        h = (h ^ p[i]) * 0x100000001b3ull;
    return h;
}

static size_t packed_size(uint32_t M, uint32_t K, uint32_t ncells, int with_mf)
{
    size_t z = with_mf ? 8 * (size_t)M * K : 0;
    return WIRE_HDR + 4 * (size_t)ncells + 8 * (size_t)M + z + ncells + WIRE_SUM;
}

size_t isac_ap_unit_out_packed_size(const struct isac_ap_unit_out *o, int with_mf)
{
    return o ? packed_size(o->h.M, o->h.K, o->h.ncells, with_mf) : 0;
}

static void put_header(uint8_t *b, const struct isac_ap_unit_hdr *h, size_t total, int with_mf)
{
    put_u32(b, ISAC_AP_UNIT_WIRE_MAGIC);
    put_u32(b + 4, ISAC_AP_UNIT_WIRE_VERSION);
    put_u64(b + 8, total);
    put_u32(b + 16, h->ap);
    put_u32(b + 20, h->M);
    put_u32(b + 24, h->K);
    put_u32(b + 28, h->ncells);
    put_u32(b + 32, h->beam);
    put_u32(b + 36, with_mf ? 1 : 0);
    put_u64(b + 40, h->cpi);
    put_f64(b + 48, h->noise_var);
    put_f64(b + 56, h->lag0_delay);
}

int isac_ap_unit_out_pack(const struct isac_ap_unit_out *o, int with_mf, void *buf, size_t cap,
                          size_t *len)
{
    if (!o || !buf || !len || (with_mf && !o->z))
        return ISAC_EINVAL;
    size_t total = isac_ap_unit_out_packed_size(o, with_mf);
    if (cap < total)
        return ISAC_EINVAL;
    uint8_t *b = buf;
    put_header(b, &o->h, total, with_mf);
    uint8_t *p = put_f32s(b + WIRE_HDR, o->term, o->h.ncells);
    p = put_f32s(p, (const float *)o->dp_gain, 2 * (size_t)o->h.M);
    if (with_mf)
        p = put_f32s(p, (const float *)o->z, 2 * (size_t)o->h.M * o->h.K);
    memcpy(p, o->visible, o->h.ncells);
    p += o->h.ncells;
    put_u64(p, fnv1a64(b, (size_t)(p - b)));
    *len = total;
    return ISAC_OK;
}

/* Header checks before any size is trusted. */
static int header_ok(const uint8_t *b, size_t len)
{
    if (len < WIRE_HDR + WIRE_SUM || get_u32(b) != ISAC_AP_UNIT_WIRE_MAGIC ||
        get_u32(b + 4) != ISAC_AP_UNIT_WIRE_VERSION || get_u64(b + 8) != len)
        return 0;
    uint32_t M = get_u32(b + 20), K = get_u32(b + 24), nc = get_u32(b + 28), has = get_u32(b + 36);
    if (!shape_ok(M, K, nc) || has > 1 || packed_size(M, K, nc, (int)has) != len)
        return 0;
    double nv = get_f64(b + 48), lag0 = get_f64(b + 56);
    return get_u32(b + 16) < ISAC_GRID_MAX_APS && nv > 0 && isfinite(nv) && isfinite(lag0) &&
           fnv1a64(b, len - WIRE_SUM) == get_u64(b + len - WIRE_SUM);
}

static int body_ok(const struct isac_ap_unit_out *o)
{
    for (size_t c = 0; c < o->h.ncells; c++)
        if (o->visible[c] > 1 || !(o->term[c] >= 0.0f) || !isfinite(o->term[c]))
            return 0;
    return 1;
}

int isac_ap_unit_out_unpack(const void *buf, size_t len, struct isac_ap_unit_out **out)
{
    const uint8_t *b = buf;
    if (!out || !b || !header_ok(b, len))
        return ISAC_EFORMAT;
    int with_mf = (int)get_u32(b + 36);
    struct isac_ap_unit_out *o =
        isac_ap_unit_out_alloc(get_u32(b + 20), get_u32(b + 24), get_u32(b + 28), with_mf);
    if (!o)
        return ISAC_ENOMEM;
    o->h.ap = get_u32(b + 16);
    o->h.beam = get_u32(b + 32);
    o->h.cpi = get_u64(b + 40);
    o->h.noise_var = get_f64(b + 48);
    o->h.lag0_delay = get_f64(b + 56);
    const uint8_t *p = get_f32s(b + WIRE_HDR, o->term, o->h.ncells);
    p = get_f32s(p, (float *)o->dp_gain, 2 * (size_t)o->h.M);
    if (with_mf)
        p = get_f32s(p, (float *)o->z, 2 * (size_t)o->h.M * o->h.K);
    memcpy(o->visible, p, o->h.ncells);
    if (!body_ok(o)) {
        isac_ap_unit_out_destroy(o);
        return ISAC_EFORMAT;
    }
    *out = o;
    return ISAC_OK;
}
