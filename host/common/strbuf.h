/* A growable text buffer for generated text (C tables, JSON written by hand for speed):
 * printf-style appends that never fail midway; the first failure is remembered in `bad`
 * and every later append is a no-op, so a caller checks once at the end. */
#ifndef ISACTB_COMMON_STRBUF_H
#define ISACTB_COMMON_STRBUF_H

#include <stddef.h>

struct isac_strbuf {
    char *s;       /* NUL-terminated text (NULL until the first append); the caller frees it */
    size_t n, cap; /* length and allocated size */
    int bad;       /* 1 after an allocation or formatting failure */
};

/* Append printf(fmt, ...) to b (grows b->s as needed). */
void isac_strbuf_printf(struct isac_strbuf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
