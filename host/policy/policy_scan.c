/* scan: codebook order 0, 1, ..., Q-1, 0, ... from the beam last transmitted; stops at
 * the first confirmed detection (policy.h). */
#include <stdlib.h>

#include "common/err.h"
#include "policy/policy.h"

struct scan {
    unsigned Q;
};

static void *scan_create(const struct isac_policy_args *a)
{
    struct scan *s = malloc(sizeof *s);
    if (s)
        s->Q = a->num_beams;
    return s;
}

static void scan_reset(void *st, uint64_t episode)
{
    (void)st;
    (void)episode;
}

static int scan_decide(void *st, const struct isac_policy_obs *prev, struct isac_policy_decision *d)
{
    const struct scan *s = st;
    /* after a non-codebook plan (ISAC_POLICY_NO_BEAM) the scan restarts at 0 */
    d->beam = prev && prev->beam != ISAC_POLICY_NO_BEAM ? (prev->beam + 1) % s->Q : 0;
    return ISAC_OK;
}

const struct isac_policy_vtable policy_scan = {
    .name = "scan",
    .summary = "codebook order, stops at the first confirmed detection",
    .caps = ISAC_POLICY_CAP_CODEBOOK,
    .create = scan_create,
    .reset = scan_reset,
    .decide = scan_decide,
    .destroy = free,
};
