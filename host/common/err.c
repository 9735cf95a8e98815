#include "common/err.h"

#include <stdarg.h>
#include <stdio.h>

const char *isac_strerror(int code)
{
    switch (code) {
    case ISAC_OK: return "success";
    case ISAC_EINVAL: return "invalid argument";
    case ISAC_ENOMEM: return "out of memory";
    case ISAC_EIO: return "I/O error";
    case ISAC_EFORMAT: return "malformed input";
    case ISAC_ERADIO: return "radio fault";
    case ISAC_ETIMEOUT: return "radio timeout";
    case ISAC_ESAFETY: return "refused by transmit-safety limit";
    case ISAC_ENOTSUP: return "not supported";
    case ISAC_EINTR: return "interrupted";
    default: return "unknown error";
    }
}

void isac_vseterr(char *err, size_t errlen, const char *fmt, va_list ap)
{
    if (!err || !errlen)
        return;
    vsnprintf(err, errlen, fmt, ap);
    for (char *c = err; *c; c++)
        if ((unsigned char)*c < 0x20 || *c == 0x7f)
            *c = '?';
}

void isac_seterr(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    isac_vseterr(err, errlen, fmt, ap);
    va_end(ap);
}
