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
    default: return "unknown error";
    }
}

void isac_seterr(char *err, size_t errlen, const char *fmt, ...)
{
    if (!err || !errlen)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}
