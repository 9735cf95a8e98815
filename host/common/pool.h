/* A small fixed pool of worker threads for data-parallel loops.
 *
 * isac_pool_run(p, n, fn, ctx) calls fn(ctx, i) once for every i in [0, n), spread over
 * the pool's threads (the calling thread works too), and returns when all n calls have
 * returned. Which thread runs which i is not fixed: callers get results that do not
 * depend on the thread count by writing call i's output to a place of its own and
 * reducing in index order after the run (the pipeline's per-AP units -> fusion).
 *
 * A pool of 1 thread creates no thread and runs the calls in index order in the caller.
 * One pool serves one caller at a time (no concurrent isac_pool_run on the same pool).
 */
#ifndef ISACTB_COMMON_POOL_H
#define ISACTB_COMMON_POOL_H

typedef struct isac_pool_s *isac_pool;

#define ISAC_POOL_MAX_THREADS 256u

/* Online processor cores (sysconf), at least 1. */
unsigned isac_pool_online_cores(void);

/* threads: total threads including the caller, 1..ISAC_POOL_MAX_THREADS; 0 means
 * isac_pool_online_cores(). NULL when a thread cannot be started or on allocation failure. */
isac_pool isac_pool_create(unsigned threads);
void isac_pool_destroy(isac_pool p);
unsigned isac_pool_threads(isac_pool p);

/* fn(ctx, i) for i = 0..n-1; NULL p runs them in order in the caller. */
void isac_pool_run(isac_pool p, unsigned n, void (*fn)(void *ctx, unsigned i), void *ctx);

#endif
