#include "policy/policy.h"

#include <stdlib.h>
#include <string.h>

#include "common/rng.h"

struct policy_s {
    enum policy_kind kind;
    unsigned Q;
    uint64_t seed;
    isac_rng rng;
};

static const char *const names[] = {"sweep", "random"};

int policy_kind_from_name(const char *name, enum policy_kind *kind)
{
    for (unsigned k = 0; k < sizeof names / sizeof names[0]; k++)
        if (name && !strcmp(name, names[k])) {
            *kind = (enum policy_kind)k;
            return 0;
        }
    return -1;
}

const char *policy_kind_name(enum policy_kind kind)
{
    return (unsigned)kind < sizeof names / sizeof names[0] ? names[kind] : "unknown";
}

policy policy_create(enum policy_kind kind, unsigned num_beams, uint64_t seed)
{
    if ((unsigned)kind >= sizeof names / sizeof names[0] || num_beams == 0 || num_beams > 4096)
        return NULL;
    policy p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    p->kind = kind;
    p->Q = num_beams;
    p->seed = seed;
    policy_reset(p, 0);
    return p;
}

void policy_destroy(policy p) { free(p); }

void policy_reset(policy p, uint64_t episode)
{
    /* One stream per episode: an episode's decisions do not depend on how many
     * draws earlier episodes made, which keeps replays of partial runs exact. */
    isac_rng_seed_stream(&p->rng, p->seed, 0x706f6c6963790000ULL + episode);
}

unsigned policy_next(policy p, const struct policy_obs *prev)
{
    switch (p->kind) {
    case POLICY_SWEEP:
        return prev ? (prev->beam + 1) % p->Q : 0;
    case POLICY_RANDOM:
    default:
        return (unsigned)isac_rng_below(&p->rng, p->Q);
    }
}
