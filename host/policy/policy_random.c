/* random: uniform over the codebook from a seeded stream per episode (policy.h). */
#include <stdlib.h>

#include "common/err.h"
#include "policy/policy.h"

struct random_pol {
    unsigned Q;
    uint64_t seed;
    isac_rng rng;
};

static void *random_create(const struct isac_policy_args *a)
{
    struct random_pol *s = calloc(1, sizeof *s);
    if (s) {
        s->Q = a->num_beams;
        s->seed = a->seed;
    }
    return s;
}

static void random_reset(void *st, uint64_t episode)
{
    struct random_pol *s = st;
    isac_policy_episode_rng(&s->rng, s->seed, episode);
}

static int random_decide(void *st, const struct isac_policy_obs *prev,
                         struct isac_policy_decision *d)
{
    struct random_pol *s = st;
    (void)prev;
    d->beam = (unsigned)isac_rng_below(&s->rng, s->Q);
    return ISAC_OK;
}

const struct isac_policy_vtable policy_random = {
    .name = "random",
    .summary = "uniform over the codebook (seeded)",
    .caps = ISAC_POLICY_CAP_CODEBOOK,
    .create = random_create,
    .reset = random_reset,
    .decide = random_decide,
    .destroy = free,
};
