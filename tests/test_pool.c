/* The worker pool (common/pool.h): every index runs exactly once per batch, for any
 * thread count and batch size, over many batches (a lost wake-up or a batch that overlaps
 * the next shows up as a missing or doubled index); a NULL pool runs in the caller. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdatomic.h>
#include <string.h>

#include "common/pool.h"

#define MAXN 1000u

struct count {
    atomic_uint hits[MAXN];
};

static void hit(void *ctx, unsigned i)
{
    struct count *c = ctx;
    atomic_fetch_add(&c->hits[i], 1u);
}

static void check_batches(isac_pool p, unsigned batches)
{
    static const unsigned sizes[] = {0, 1, 2, 3, 5, 64, MAXN};
    static struct count c;
    for (unsigned b = 0; b < batches; b++) {
        unsigned n = sizes[b % (sizeof sizes / sizeof *sizes)];
        for (unsigned i = 0; i < MAXN; i++)
            atomic_store(&c.hits[i], 0u);
        isac_pool_run(p, n, hit, &c);
        for (unsigned i = 0; i < MAXN; i++)
            if (atomic_load(&c.hits[i]) != (i < n ? 1u : 0u))
                fail_msg("batch %u (n %u, %u threads): index %u ran %u times", b, n,
                         isac_pool_threads(p), i, atomic_load(&c.hits[i]));
    }
}

static void test_every_index_once(void **state)
{
    (void)state;
    static const unsigned threads[] = {1, 2, 3, 8};
    for (unsigned t = 0; t < sizeof threads / sizeof *threads; t++) {
        isac_pool p = isac_pool_create(threads[t]);
        assert_non_null(p);
        assert_int_equal(isac_pool_threads(p), threads[t]);
        check_batches(p, 700);
        isac_pool_destroy(p);
    }
    check_batches(NULL, 7); /* no pool: in the caller, in order */
}

static void test_limits(void **state)
{
    (void)state;
    assert_true(isac_pool_online_cores() >= 1);
    isac_pool p = isac_pool_create(0);
    assert_non_null(p);
    assert_int_equal(isac_pool_threads(p), isac_pool_online_cores());
    isac_pool_destroy(p);
    assert_null(isac_pool_create(ISAC_POOL_MAX_THREADS + 1));
    isac_pool_destroy(NULL);
    assert_int_equal(isac_pool_threads(NULL), 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_every_index_once),
                                       cmocka_unit_test(test_limits)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
