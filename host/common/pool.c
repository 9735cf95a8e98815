/* Worker pool (see pool.h): workers sleep on a condition variable until a new batch
 * (a generation number) is posted, then take indices from a shared counter. */
#include "common/pool.h"

#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

struct isac_pool_s {
    unsigned nthreads; /* including the caller */
    pthread_t *tid;    /* nthreads - 1 workers */
    unsigned started;
    pthread_mutex_t mu;
    pthread_cond_t work, done;
    /* the current batch, guarded by mu */
    unsigned long gen;
    unsigned n, next, finished, busy;
    void (*fn)(void *ctx, unsigned i);
    void *ctx;
    int quit;
};

unsigned isac_pool_online_cores(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    if (n < 1)
        return 1;
    return n > (long)ISAC_POOL_MAX_THREADS ? ISAC_POOL_MAX_THREADS : (unsigned)n;
}

/* Take and run indices of the current batch until none is left; called with mu held,
 * returns with mu held. */
static void drain(isac_pool p)
{
    while (p->next < p->n) {
        unsigned i = p->next++;
        pthread_mutex_unlock(&p->mu);
        p->fn(p->ctx, i);
        pthread_mutex_lock(&p->mu);
        if (++p->finished == p->n)
            pthread_cond_broadcast(&p->done);
    }
}

static void *worker(void *arg)
{
    isac_pool p = arg;
    unsigned long seen = 0;
    pthread_mutex_lock(&p->mu);
    for (;;) {
        while (!p->quit && p->gen == seen)
            pthread_cond_wait(&p->work, &p->mu);
        if (p->quit)
            break;
        seen = p->gen;
        p->busy++;
        drain(p);
        /* the caller may post the next batch only when no worker still holds this one */
        if (--p->busy == 0)
            pthread_cond_broadcast(&p->done);
    }
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

isac_pool isac_pool_create(unsigned threads)
{
    if (threads == 0)
        threads = isac_pool_online_cores();
    if (threads > ISAC_POOL_MAX_THREADS)
        return NULL;
    isac_pool p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    p->nthreads = threads;
    if (pthread_mutex_init(&p->mu, NULL)) {
        free(p);
        return NULL;
    }
    pthread_cond_init(&p->work, NULL);
    pthread_cond_init(&p->done, NULL);
    if (threads > 1 && !(p->tid = calloc(threads - 1, sizeof *p->tid))) {
        isac_pool_destroy(p);
        return NULL;
    }
    for (unsigned t = 0; t + 1 < threads; t++) {
        if (pthread_create(&p->tid[t], NULL, worker, p)) {
            isac_pool_destroy(p);
            return NULL;
        }
        p->started++;
    }
    return p;
}

void isac_pool_destroy(isac_pool p)
{
    if (!p)
        return;
    pthread_mutex_lock(&p->mu);
    p->quit = 1;
    pthread_cond_broadcast(&p->work);
    pthread_mutex_unlock(&p->mu);
    for (unsigned t = 0; t < p->started; t++)
        pthread_join(p->tid[t], NULL);
    free(p->tid);
    pthread_cond_destroy(&p->work);
    pthread_cond_destroy(&p->done);
    pthread_mutex_destroy(&p->mu);
    free(p);
}

unsigned isac_pool_threads(isac_pool p)
{
    return p ? p->nthreads : 1;
}

void isac_pool_run(isac_pool p, unsigned n, void (*fn)(void *ctx, unsigned i), void *ctx)
{
    if (!p || p->started == 0 || n < 2) {
        for (unsigned i = 0; i < n; i++)
            fn(ctx, i);
        return;
    }
    pthread_mutex_lock(&p->mu);
    while (p->busy) /* a worker still leaving the previous batch */
        pthread_cond_wait(&p->done, &p->mu);
    p->fn = fn;
    p->ctx = ctx;
    p->n = n;
    p->next = p->finished = 0;
    p->gen++;
    pthread_cond_broadcast(&p->work);
    drain(p);
    while (p->finished < p->n || p->busy)
        pthread_cond_wait(&p->done, &p->mu);
    pthread_mutex_unlock(&p->mu);
}
