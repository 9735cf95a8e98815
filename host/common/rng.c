#include "common/rng.h"

#include <math.h>

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static inline uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

void isac_rng_seed(isac_rng *r, uint64_t seed)
{
    uint64_t x = seed;
    for (int i = 0; i < 4; i++)
        r->s[i] = splitmix64(&x);
}

void isac_rng_seed_stream(isac_rng *r, uint64_t seed, uint64_t stream)
{
    uint64_t x = seed ^ (0xd1b54a32d192ed03ULL * (stream + 1));
    isac_rng_seed(r, splitmix64(&x));
}

uint64_t isac_rng_u64(isac_rng *r)
{
    return isac_rng_next(r);
}

double isac_rng_uniform(isac_rng *r)
{
    return (double)(isac_rng_u64(r) >> 11) * 0x1.0p-53;
}

uint64_t isac_rng_below(isac_rng *r, uint64_t n)
{
    if (n <= 1)
        return 0;
    uint64_t limit = UINT64_MAX - UINT64_MAX % n;
    uint64_t v;
    do {
        v = isac_rng_u64(r);
    } while (v >= limit);
    return v % n;
}

double isac_rng_normal(isac_rng *r)
{
    /* 1 - u keeps the log argument in (0, 1]. */
    double u1 = 1.0 - isac_rng_uniform(r);
    double u2 = isac_rng_uniform(r);
    return sqrt(-2.0 * log(u1)) * cos(2.0 * M_PI * u2);
}

double complex isac_rng_cnormal(isac_rng *r, double var)
{
    double u1 = 1.0 - isac_rng_uniform(r);
    double u2 = isac_rng_uniform(r);
    double rad = sqrt(-var * log(u1));
    return rad * cos(2.0 * M_PI * u2) + I * rad * sin(2.0 * M_PI * u2);
}
