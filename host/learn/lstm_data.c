/* Sequence sets in memory and their binary file (lstm_data.h). */
#include "learn/lstm_data.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/file_open.h"
#include "common/out_dir.h"

int isac_seqset_init(struct isac_seqset *s, unsigned in, unsigned out, enum isac_bilstm_head head,
                     unsigned ball_groups)
{
    memset(s, 0, sizeof *s);
    if (in < 1 || in > 4096 || out < 1 || out > 4096 ||
        (head != ISAC_BILSTM_HEAD_BCE && head != ISAC_BILSTM_HEAD_MSE) ||
        (ball_groups && (head != ISAC_BILSTM_HEAD_MSE || out % ball_groups)))
        return ISAC_EINVAL;
    s->in = in;
    s->out = out;
    s->head = head;
    s->ball_groups = ball_groups;
    return ISAC_OK;
}

void isac_seqset_free(struct isac_seqset *s)
{
    free(s->off);
    free(s->len);
    free(s->x);
    free(s->y);
    memset(s, 0, sizeof *s);
}

/* Which value of one step is wrong: -1 when none; else its index, *is_y set for targets. */
static long bad_value(const struct isac_seqset *s, const float *x, const float *y, int *is_y)
{
    for (unsigned i = 0; i < s->in; i++)
        if (!isfinite(x[i])) {
            *is_y = 0;
            return i;
        }
    *is_y = 1;
    for (unsigned j = 0; j < s->out; j++)
        if (!isfinite(y[j]) || (s->head == ISAC_BILSTM_HEAD_BCE && (y[j] < 0 || y[j] > 1)))
            return j;
    if (s->ball_groups) {
        unsigned gs = s->out / s->ball_groups;
        for (unsigned g = 0; g < s->ball_groups; g++) {
            double q = 0;
            for (unsigned j = 0; j < gs; j++)
                q += (double)y[g * gs + j] * y[g * gs + j];
            if (q > (1 + 1e-4) * (1 + 1e-4))
                return g * gs;
        }
    }
    return -1;
}

static int grow(struct isac_seqset *s, unsigned len)
{
    if (s->n == s->cap) {
        size_t cap = s->cap ? 2 * s->cap : 256;
        size_t *o = realloc(s->off, cap * sizeof *o);
        if (!o)
            return ISAC_ENOMEM;
        s->off = o;
        unsigned *l = realloc(s->len, cap * sizeof *l);
        if (!l)
            return ISAC_ENOMEM;
        s->len = l;
        s->cap = cap;
    }
    if (s->steps + len > s->steps_cap) {
        size_t cap = s->steps_cap ? 2 * s->steps_cap : 4096;
        while (cap < s->steps + len)
            cap *= 2;
        float *x = realloc(s->x, cap * s->in * sizeof *x);
        if (!x)
            return ISAC_ENOMEM;
        s->x = x;
        float *y = realloc(s->y, cap * s->out * sizeof *y);
        if (!y)
            return ISAC_ENOMEM;
        s->y = y;
        s->steps_cap = cap;
    }
    return ISAC_OK;
}

int isac_seqset_push(struct isac_seqset *s, unsigned len, const float *x, const float *y)
{
    if (len < 1 || len > 65536)
        return ISAC_EINVAL;
    int is_y;
    for (unsigned t = 0; t < len; t++)
        if (bad_value(s, x + (size_t)t * s->in, y + (size_t)t * s->out, &is_y) >= 0)
            return ISAC_EINVAL;
    if (grow(s, len))
        return ISAC_ENOMEM;
    memcpy(s->x + s->steps * s->in, x, (size_t)len * s->in * sizeof(float));
    memcpy(s->y + s->steps * s->out, y, (size_t)len * s->out * sizeof(float));
    s->off[s->n] = s->steps;
    s->len[s->n++] = len;
    s->steps += len;
    s->max_len = len > s->max_len ? len : s->max_len;
    return ISAC_OK;
}

struct isac_bilstm_seq isac_seqset_get(const struct isac_seqset *s, size_t i)
{
    return (struct isac_bilstm_seq){s->len[i], s->x + s->off[i] * s->in, s->y + s->off[i] * s->out};
}

int isac_seqset_split(const struct isac_seqset *s, size_t n_first, struct isac_seqset *a,
                      struct isac_seqset *b)
{
    isac_seqset_init(a, s->in, s->out, (enum isac_bilstm_head)s->head, s->ball_groups);
    isac_seqset_init(b, s->in, s->out, (enum isac_bilstm_head)s->head, s->ball_groups);
    if (n_first < 1 || n_first >= s->n)
        return ISAC_EINVAL;
    for (size_t i = 0; i < s->n; i++) {
        struct isac_bilstm_seq q = isac_seqset_get(s, i);
        if (isac_seqset_push(i < n_first ? a : b, q.len, q.x, q.y)) {
            isac_seqset_free(a);
            isac_seqset_free(b);
            return ISAC_ENOMEM;
        }
    }
    return ISAC_OK;
}

/* ---- file ---- */

static void put_u32(unsigned char *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

static uint32_t get_u32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* Floats as little-endian IEEE binary32 whatever the host. */
static int write_floats(FILE *f, const float *v, size_t n)
{
    unsigned char buf[4096];
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        uint32_t u;
        memcpy(&u, &v[i], 4);
        put_u32(buf + k, u);
        k += 4;
        if (k == sizeof buf || i + 1 == n) {
            if (fwrite(buf, 1, k, f) != k)
                return -1;
            k = 0;
        }
    }
    return 0;
}

int isac_seqset_write(const struct isac_seqset *s, const char *path, char *err, size_t errlen)
{
    if (s->n < 1) {
        isac_seterr(err, errlen, "%s: no sequences to write", path);
        return -1;
    }
    char tmp[4200];
    if (snprintf(tmp, sizeof tmp, "%s.tmp", path) >= (int)sizeof tmp) {
        isac_seterr(err, errlen, "%s: path too long", path);
        return -1;
    }
    FILE *f = isac_fcreate_excl(tmp, err, errlen);
    if (!f)
        return -1;
    unsigned char h[40];
    memcpy(h, ISAC_SEQSET_MAGIC, 8);
    put_u32(h + 8, ISAC_SEQSET_VERSION);
    put_u32(h + 12, s->in);
    put_u32(h + 16, s->out);
    put_u32(h + 20, s->head);
    put_u32(h + 24, s->ball_groups);
    put_u32(h + 28, s->max_len);
    put_u32(h + 32, (uint32_t)s->n);
    put_u32(h + 36, (uint32_t)((uint64_t)s->n >> 32));
    int bad = fwrite(h, 1, sizeof h, f) != sizeof h;
    for (size_t i = 0; !bad && i < s->n; i++) {
        unsigned char l[4];
        put_u32(l, s->len[i]);
        bad = fwrite(l, 1, 4, f) != 4 ||
              write_floats(f, s->x + s->off[i] * s->in, (size_t)s->len[i] * s->in) ||
              write_floats(f, s->y + s->off[i] * s->out, (size_t)s->len[i] * s->out);
    }
    bad |= fclose(f) != 0;
    if (bad || rename(tmp, path)) {
        isac_seterr(err, errlen, "%s: cannot write: %s", path, strerror(errno));
        remove(tmp);
        return -1;
    }
    return 0;
}

static int read_floats(FILE *f, float *v, size_t n)
{
    unsigned char buf[4096];
    size_t done = 0;
    while (done < n) {
        size_t want = (n - done) * 4 < sizeof buf ? (n - done) * 4 : sizeof buf;
        if (fread(buf, 1, want, f) != want)
            return -1;
        for (size_t k = 0; k < want; k += 4) {
            uint32_t u = get_u32(buf + k);
            memcpy(&v[done++], &u, 4);
        }
    }
    return 0;
}

#define FAIL(...)                                                                                  \
    do {                                                                                           \
        isac_seterr(err, errlen, __VA_ARGS__);                                                     \
        return -1;                                                                                 \
    } while (0)

static int read_header(FILE *f, const char *path, struct isac_seqset *s, unsigned *max_len,
                       uint64_t *count, char *err, size_t errlen)
{
    unsigned char h[40];
    if (fread(h, 1, sizeof h, f) != sizeof h)
        FAIL("%s: header: file shorter than the 40-byte header", path);
    if (memcmp(h, ISAC_SEQSET_MAGIC, 8))
        FAIL("%s: magic: not an isactb sequence file (expected \"%s\")", path, ISAC_SEQSET_MAGIC);
    uint32_t ver = get_u32(h + 8), in = get_u32(h + 12), out = get_u32(h + 16),
             head = get_u32(h + 20), bg = get_u32(h + 24);
    *max_len = get_u32(h + 28);
    *count = get_u32(h + 32) | (uint64_t)get_u32(h + 36) << 32;
    if (ver != ISAC_SEQSET_VERSION)
        FAIL("%s: version: %u is not supported (expected %d)", path, ver, ISAC_SEQSET_VERSION);
    if (in < 1 || in > 4096)
        FAIL("%s: in: %u outside 1..4096", path, in);
    if (out < 1 || out > 4096)
        FAIL("%s: out: %u outside 1..4096", path, out);
    if (head > 1)
        FAIL("%s: head: %u is neither 0 (classification) nor 1 (regression)", path, head);
    if (bg && (head != 1 || out % bg))
        FAIL("%s: ball_groups: %u needs head 1 and must divide out (%u)", path, bg, out);
    if (*max_len < 1 || *max_len > 65536)
        FAIL("%s: max_len: %u outside 1..65536", path, *max_len);
    if (*count < 1 || *count > 4294967296ull)
        FAIL("%s: count: %llu outside 1..2^32", path, (unsigned long long)*count);
    isac_seqset_init(s, in, out, (enum isac_bilstm_head)head, bg);
    return 0;
}

static int read_body(FILE *f, const char *path, struct isac_seqset *s, unsigned max_len,
                     uint64_t count, char *err, size_t errlen)
{
    for (uint64_t i = 0; i < count; i++) {
        unsigned char l[4];
        if (fread(l, 1, 4, f) != 4)
            FAIL("%s: count: %llu sequences announced, the file ends before sequence %llu", path,
                 (unsigned long long)count, (unsigned long long)i);
        uint32_t len = get_u32(l);
        if (len < 1 || len > max_len)
            FAIL("%s: sequence %llu: len: %u outside 1..%u (max_len)", path, (unsigned long long)i,
                 len, max_len);
        if (grow(s, len))
            FAIL("%s: out of memory at sequence %llu", path, (unsigned long long)i);
        float *x = s->x + s->steps * s->in, *y = s->y + s->steps * s->out;
        if (read_floats(f, x, (size_t)len * s->in) || read_floats(f, y, (size_t)len * s->out))
            FAIL("%s: count: %llu sequences announced, the file ends in sequence %llu", path,
                 (unsigned long long)count, (unsigned long long)i);
        for (uint32_t t = 0; t < len; t++) {
            int is_y;
            const float *xt = x + (size_t)t * s->in, *yt = y + (size_t)t * s->out;
            long k = bad_value(s, xt, yt, &is_y);
            if (k < 0)
                continue;
            if (!is_y)
                FAIL("%s: sequence %llu step %u: x[%ld]: %g is not finite", path,
                     (unsigned long long)i, t, k, (double)xt[k]);
            if (!isfinite(yt[k]) || s->head == ISAC_BILSTM_HEAD_BCE)
                FAIL("%s: sequence %llu step %u: y[%ld]: %g is not %s", path, (unsigned long long)i,
                     t, k, (double)yt[k],
                     s->head == ISAC_BILSTM_HEAD_BCE ? "a target in [0, 1]" : "finite");
            FAIL("%s: sequence %llu step %u: y[%ld..]: group norm above 1 (ball_groups %u)", path,
                 (unsigned long long)i, t, k, s->ball_groups);
        }
        s->off[s->n] = s->steps;
        s->len[s->n++] = len;
        s->steps += len;
        s->max_len = len > s->max_len ? len : s->max_len;
    }
    unsigned char extra;
    if (fread(&extra, 1, 1, f) == 1)
        FAIL("%s: count: trailing bytes after the %llu announced sequences", path,
             (unsigned long long)count);
    if (ferror(f))
        FAIL("%s: read error", path);
    return 0;
}

int isac_seqset_read(const char *path, struct isac_seqset *s, char *err, size_t errlen)
{
    memset(s, 0, sizeof *s);
    FILE *f = isac_fopen_input(path, NULL, err, errlen); /* regular files only */
    if (!f)
        return -1;
    unsigned max_len;
    uint64_t count;
    int rc = read_header(f, path, s, &max_len, &count, err, errlen);
    if (!rc)
        rc = read_body(f, path, s, max_len, count, err, errlen);
    fclose(f);
    if (rc)
        isac_seqset_free(s);
    return rc;
}
