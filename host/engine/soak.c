/* The soak of `isactb bench soak`: soak.h. */
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/err.h"
#include "engine/episode.h"
#include "engine/pipeline.h"
#include "engine/run.h"
#include "engine/soak.h"
#include "policy/policy.h"

void exp_soak_config_defaults(struct exp_config *c)
{
    exp_config_defaults(c);
    snprintf(c->radio, sizeof c->radio, "%s", EXP_SOAK_RADIO);
    c->beams = 8;
    c->max_steps = 16;
    c->waveform.length = 256;
    c->window_guard = 256;
    c->noise_bins = 64;
    c->grid.spacing_m = 20;
}

struct exp_soak_mem exp_soak_mem_now(void)
{
    struct exp_soak_mem m = {-1, -1};
    FILE *f = fopen("/proc/self/statm", "r");
    long size, res;
    if (f && fscanf(f, "%ld %ld", &size, &res) == 2)
        m.rss_kb = res * (sysconf(_SC_PAGESIZE) / 1024);
    if (f)
        fclose(f);
    struct mallinfo2 mi = mallinfo2();
    m.heap_kb = (long)((mi.uordblks + mi.hblkhd) / 1024);
    return m;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* The soak's view of the engine's loop: CPI count, memory probes, the injected leak. */
struct soak_ctx {
    const struct exp_soak_opts *a;
    episode_engine e;
    unsigned long done;     /* CPIs so far */
    uint64_t last_episode;  /* episode of the last CPI */
    uint64_t dropped;       /* samples dropped */
    struct exp_soak_mem m0; /* after the warm-up */
    double t0;
    int64_t tick0;
    void *volatile leak_sink; /* the last injected leak (--inject-leak) */
};

static void soak_mark(struct soak_ctx *x)
{
    x->m0 = exp_soak_mem_now();
    x->t0 = now_s();
    x->tick0 = episode_engine_status(x->e)->tick;
}

static int soak_should_stop(void *ctx)
{
    const struct soak_ctx *x = ctx;
    return x->done >= x->a->cpis || (x->a->stop && *x->a->stop);
}

static void soak_on_step(void *ctx, const struct episode_cpi *c)
{
    struct soak_ctx *x = ctx;
    x->done++;
    x->last_episode = c->episode;
    x->dropped += c->res->dropped;
    if (x->done == x->a->warmup)
        soak_mark(x);
    else if (x->done > x->a->warmup && x->a->leak) {
        /* the self-test of the memory check: a real per-CPI leak, touched so that it
         * is resident; kept in the context (and overwritten) so that the compiler cannot
         * drop the allocation as unused */
        char *leak = malloc(x->a->leak);
        if (leak)
            memset(leak, 1, x->a->leak);
        x->leak_sink = leak;
    }
}

/* The soak's rules: every CPI a search (no confirmation dwell), an episode ends at
 * max_steps CPIs or at a declaration the policy may stop on, the next scene is drawn
 * with the clock running on. The policy keeps its default options (policy_opts_defaults),
 * as the soak always did: it soaks the loop, not the policy's P_D model. */
static void soak_rules(const struct exp_config *cfg, struct episode_rules *r)
{
    episode_rules_from_config(r, cfg);
    r->confirm_radius_m = 0;
    r->end = EPISODE_END_DECLARED;
    r->start = EPISODE_START_NEXT_SCENE;
}

int exp_soak_run(const struct exp_soak_opts *a, const struct exp_config *cfg, radio r, codebook cb,
                 struct exp_soak_result *res, char *err, size_t errlen)
{
    struct radio_info info;
    radio_get_info(r, &info);
    if (errlen)
        err[0] = '\0';
    if (!policy_name_known(cfg->policy)) {
        snprintf(err, errlen, "policy '%s' unknown", cfg->policy);
        return EXP_SOAK_EINPUT;
    }
    struct episode_rules rules;
    soak_rules(cfg, &rules);
    struct policy_args pa;
    policy_args_defaults(&pa, codebook_size(cb), cfg->seed);
    pipeline p = pipeline_create(cfg, &info, cb, cfg->pfa, err, errlen);
    policy pol = p ? policy_create_named(cfg->policy, &pa) : NULL;
    struct soak_ctx x = {.a = a};
    x.e = pol ? episode_engine_create(p, r, cb, cfg, &rules, err, errlen) : NULL;
    int out = EXP_SOAK_OK;
    if (!x.e) {
        if (!err[0])
            snprintf(err, errlen, "cannot create the policy");
        out = EXP_SOAK_EINPUT;
    } else {
        const struct episode_hooks h = {
            .ctx = &x, .should_stop = soak_should_stop, .on_step = soak_on_step};
        if (!a->warmup)
            soak_mark(&x);
        int rc = episode_run_episodes(x.e, pol, 0, 0, &h, err, errlen);
        double secs = now_s() - x.t0;
        struct exp_soak_mem m1 = exp_soak_mem_now();
        if (rc != EPISODE_STOPPED) {
            out = EXP_SOAK_ERUNTIME;
        } else {
            int64_t air = episode_engine_status(x.e)->tick - x.tick0;
            *res = (struct exp_soak_result){
                secs,  (double)air / info.sample_rate, x.m0, m1, x.last_episode + 1, x.dropped,
                x.done};
            if (x.done < a->cpis)
                out = EXP_SOAK_STOPPED;
        }
    }
    episode_engine_destroy(x.e);
    policy_destroy(pol);
    pipeline_destroy(p);
    return out;
}
