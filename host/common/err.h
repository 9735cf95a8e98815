/* isactb error codes.
 *
 * Every fallible library call returns an int: ISAC_OK (0) on success, a negative
 * ISAC_E* code on failure. isac_strerror() turns a code into a fixed message;
 * objects that can say more (which field, which value) keep their own last-error text.
 */
#ifndef ISACTB_COMMON_ERR_H
#define ISACTB_COMMON_ERR_H

enum isac_err {
    ISAC_OK = 0,
    ISAC_EINVAL = -1,   /* an argument is out of its documented range */
    ISAC_ENOMEM = -2,   /* allocation failed */
    ISAC_EIO = -3,      /* file or device I/O failed */
    ISAC_EFORMAT = -4,  /* input file/record is malformed */
    ISAC_ERADIO = -5,   /* the front end reported a fault */
    ISAC_ETIMEOUT = -6, /* a radio call did not complete in time */
    ISAC_ESAFETY = -7,  /* refused by a transmit-safety limit */
    ISAC_ENOTSUP = -8,  /* not supported by this back end / build */
    ISAC_EINTR = -9,    /* stopped on request (SIGINT/SIGTERM) at a safe point */
};

/* Fixed, human-readable text for an isac_err code (never NULL). */
const char *isac_strerror(int code);

#include <stddef.h>
/* printf into the caller's one-line error buffer (err may be NULL or errlen 0). Values quoted
 * from input files may carry newlines or other control bytes (a JSON parser's "near '...'"
 * context, a folded YAML scalar): every byte below 0x20 and 0x7f is written as '?', so the
 * message always stays one line. */
void isac_seterr(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#include <stdarg.h>
/* isac_seterr with a va_list, for functions that wrap it with a prefix of their own. */
void isac_vseterr(char *err, size_t errlen, const char *fmt, va_list ap);

#endif
