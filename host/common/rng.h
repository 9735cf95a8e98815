/* Deterministic pseudo-random numbers (xoshiro256++ seeded by splitmix64).
 *
 * The state is a plain value owned by the caller: no globals, so two objects
 * seeded alike produce identical streams on every run and platform with IEEE
 * doubles. Every simulation, Monte Carlo test and trainer in isactb draws from
 * one of these, which is what makes `--seed` reproducible bit for bit.
 */
#ifndef ISACTB_COMMON_RNG_H
#define ISACTB_COMMON_RNG_H

#include <complex.h>
#include <stdint.h>

typedef struct {
    uint64_t s[4];
} isac_rng;

/* Seed the generator; any 64-bit value is valid (0 included). */
void isac_rng_seed(isac_rng *r, uint64_t seed);

/* Derive an independent stream: seed from (seed, stream id). Used to give each
 * subsystem (targets, noise per channel, impairments...) its own stream so that
 * adding draws in one does not shift the others. */
void isac_rng_seed_stream(isac_rng *r, uint64_t seed, uint64_t stream);

uint64_t isac_rng_u64(isac_rng *r);
/* The same step as isac_rng_u64, inlined for hot loops (the emulator's noise). */
static inline uint64_t isac_rng_next(isac_rng *r)
{
    uint64_t *s = r->s;
    const uint64_t sum = s[0] + s[3];
    const uint64_t result = ((sum << 23) | (sum >> 41)) + s[0];
    const uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = (s[3] << 45) | (s[3] >> 19);
    return result;
}
/* Uniform in [0, 1), 53-bit resolution. */
double isac_rng_uniform(isac_rng *r);
/* Uniform integer in [0, n), n >= 1, unbiased (rejection). */
uint64_t isac_rng_below(isac_rng *r, uint64_t n);
/* Standard normal N(0, 1) (Box-Muller, both outputs used, no cached state
 * between calls: one call consumes two uniforms). */
double isac_rng_normal(isac_rng *r);
/* Circularly-symmetric complex normal CN(0, var): real and imaginary parts
 * each N(0, var/2). */
double complex isac_rng_cnormal(isac_rng *r, double var);

#endif
