/* Receiver noise drawn ahead (isac_sim_prepare_rx, sim.h): the live loop's double buffering.
 * While the caller processes CPI n (its RX rows are one buffer), a worker thread draws
 * the noise of CPI n+1's window into the other, on the emulator's own pool (free then:
 * only a capture uses it, and a capture first waits for the worker). The noise is a
 * function of (seed, channel, tick) only, and a capture adds a drawn sample exactly as
 * it adds one it draws itself, so samples never depend on whether, or how far, the
 * prefetch got. */
#include <pthread.h>
#include <stdlib.h>

#include "common/err.h"
#include "sim/sim_internal.h"

enum { PF_IDLE, PF_REQUESTED, PF_DONE };

struct sim_prefetch {
    isac_sim s;
    pthread_t thr;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int state, quit;
    int64_t t0;         /* the window asked for (valid in PF_REQUESTED / PF_DONE) */
    size_t len;         /* samples per channel */
    float complex *buf; /* num_rx rows of len */
    size_t cap;         /* samples allocated */
};

static void draw_channel(void *ctx, unsigned ch)
{
    struct sim_prefetch *pf = ctx;
    sim_noise_draw(pf->s, ch, pf->t0, pf->buf + (size_t)ch * pf->len, pf->len);
}

static void *worker(void *arg)
{
    struct sim_prefetch *pf = arg;
    pthread_mutex_lock(&pf->mu);
    for (;;) {
        while (!pf->quit && pf->state != PF_REQUESTED)
            pthread_cond_wait(&pf->cv, &pf->mu);
        if (pf->quit)
            break;
        pthread_mutex_unlock(&pf->mu);
        /* t0, len and buf are not changed while PF_REQUESTED (the caller waits) */
        isac_pool_run(pf->s->pool, pf->s->num_rx, draw_channel, pf);
        pthread_mutex_lock(&pf->mu);
        pf->state = PF_DONE;
        pthread_cond_broadcast(&pf->cv);
    }
    pthread_mutex_unlock(&pf->mu);
    return NULL;
}

/* Wait until no draw is under way; returns with mu held. */
static void settle(struct sim_prefetch *pf)
{
    pthread_mutex_lock(&pf->mu);
    while (pf->state == PF_REQUESTED)
        pthread_cond_wait(&pf->cv, &pf->mu);
}

static struct sim_prefetch *prefetch_create(isac_sim s)
{
    struct sim_prefetch *pf = calloc(1, sizeof *pf);
    if (!pf)
        return NULL;
    pf->s = s;
    pthread_mutex_init(&pf->mu, NULL);
    pthread_cond_init(&pf->cv, NULL);
    if (pthread_create(&pf->thr, NULL, worker, pf)) {
        pthread_mutex_destroy(&pf->mu);
        pthread_cond_destroy(&pf->cv);
        free(pf);
        return NULL;
    }
    return pf;
}

void sim_prefetch_destroy(isac_sim s)
{
    struct sim_prefetch *pf = s->prefetch;
    if (!pf)
        return;
    pthread_mutex_lock(&pf->mu);
    pf->quit = 1;
    pthread_cond_broadcast(&pf->cv);
    pthread_mutex_unlock(&pf->mu);
    pthread_join(pf->thr, NULL);
    pthread_mutex_destroy(&pf->mu);
    pthread_cond_destroy(&pf->cv);
    free(pf->buf);
    free(pf);
    s->prefetch = NULL;
}

int isac_sim_prepare_rx(isac_sim s, int64_t t0, size_t len)
{
    if (!s || len == 0 || len > ((size_t)1 << 24))
        return ISAC_EINVAL;
    if (!s->p.prefetch || !s->p.noise)
        return ISAC_OK; /* nothing to draw ahead */
    if (!s->prefetch && !(s->prefetch = prefetch_create(s)))
        return ISAC_OK; /* no thread: captures draw their own noise */
    struct sim_prefetch *pf = s->prefetch;
    settle(pf);
    size_t need = (size_t)s->num_rx * len;
    if (pf->cap < need) {
        float complex *b = realloc(pf->buf, need * sizeof *b);
        if (!b) {
            pf->state = PF_IDLE;
            pthread_mutex_unlock(&pf->mu);
            return ISAC_OK;
        }
        pf->buf = b;
        pf->cap = need;
    }
    pf->t0 = t0;
    pf->len = len;
    pf->state = PF_REQUESTED;
    pthread_cond_broadcast(&pf->cv);
    pthread_mutex_unlock(&pf->mu);
    return ISAC_OK;
}

const float complex *sim_prefetch_take(isac_sim s, int64_t t0, size_t len)
{
    struct sim_prefetch *pf = s->prefetch;
    if (!pf)
        return NULL;
    settle(pf);
    const float complex *w =
        pf->state == PF_DONE && pf->t0 == t0 && pf->len == len ? pf->buf : NULL;
    pf->state = PF_IDLE; /* used by this capture or stale: the buffer is free again */
    pthread_mutex_unlock(&pf->mu);
    return w;
}
