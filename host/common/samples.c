/* Received samples the processing cannot take (host/common/samples.h). */
#include "common/samples.h"

#include <math.h>

#include "common/err.h"

int isac_samples_check(const float complex *const *y, unsigned nch, size_t len, char *why,
                       size_t whylen)
{
    for (unsigned c = 0; c < nch; c++) {
        if (!y[c])
            continue;
        for (size_t i = 0; i < len; i++) {
            double re = crealf(y[c][i]), im = cimagf(y[c][i]);
            if (isfinite(re) && isfinite(im) && fabs(re) <= ISAC_SAMPLE_MAX_MAG &&
                fabs(im) <= ISAC_SAMPLE_MAX_MAG && hypot(re, im) <= ISAC_SAMPLE_MAX_MAG)
                continue;
            if (!isfinite(re) || !isfinite(im))
                isac_seterr(why, whylen, "channel %u sample %zu: not finite (%g%+gi)", c, i, re,
                            im);
            else
                isac_seterr(why, whylen,
                            "channel %u sample %zu: magnitude %.3g beyond %.0e (float32 "
                            "processing would overflow)",
                            c, i, hypot(re, im), ISAC_SAMPLE_MAX_MAG);
            return ISAC_EFORMAT;
        }
    }
    return ISAC_OK;
}
