#include "common/err.h"

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
