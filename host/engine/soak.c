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

void isac_exp_soak_config_defaults(struct isac_exp_config *c)
{
    isac_exp_config_defaults(c);
    snprintf(c->radio, sizeof c->radio, "%s", ISAC_EXP_SOAK_RADIO);
    c->beams = 8;
    c->max_steps = 16;
    c->waveform.length = 256;
    c->window_guard = 256;
    c->noise_bins = 64;
    c->grid.spacing_m = 20;
}

struct isac_exp_soak_mem isac_exp_soak_mem_now(void)
{
    struct isac_exp_soak_mem m = {-1, -1};
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
    const struct isac_exp_soak_opts *a;
    isac_episode_engine e;
    unsigned long done;          /* CPIs so far */
    uint64_t last_episode;       /* episode of the last CPI */
    uint64_t dropped;            /* samples dropped */
    struct isac_exp_soak_mem m0; /* after the warm-up */
    double t0;
    int64_t tick0;
    void *volatile leak_sink; /* the last injected leak (--inject-leak) */
};

static void soak_mark(struct soak_ctx *x)
{
    x->m0 = isac_exp_soak_mem_now();
    x->t0 = now_s();
    x->tick0 = isac_episode_engine_status(x->e)->tick;
}

static int soak_should_stop(void *ctx)
{
    const struct soak_ctx *x = ctx;
    return x->done >= x->a->cpis || (x->a->stop && *x->a->stop);
}

static void soak_on_step(void *ctx, const struct isac_episode_cpi *c)
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
 * with the clock running on. The policy keeps its default options (isac_policy_opts_defaults),
 * as the soak always did: it soaks the loop, not the policy's P_D model. */
static void soak_rules(const struct isac_exp_config *cfg, struct isac_episode_rules *r)
{
    isac_episode_rules_from_config(r, cfg);
    r->confirm_radius_m = 0;
    r->end = ISAC_EPISODE_END_DECLARED;
    r->start = ISAC_EPISODE_START_NEXT_SCENE;
}

int isac_exp_soak_run(const struct isac_exp_soak_opts *a, const struct isac_exp_config *cfg,
                      isac_radio r, isac_codebook cb, struct isac_exp_soak_result *res, char *err,
                      size_t errlen)
{
    struct isac_radio_info info;
    isac_radio_get_info(r, &info);
    if (errlen)
        err[0] = '\0';
    if (!isac_policy_name_known(cfg->policy)) {
        snprintf(err, errlen, "policy '%s' unknown", cfg->policy);
        return ISAC_EXP_SOAK_EINPUT;
    }
    struct isac_episode_rules rules;
    soak_rules(cfg, &rules);
    struct isac_policy_args pa;
    isac_policy_args_defaults(&pa, isac_codebook_size(cb), cfg->seed);
    isac_pipeline p = isac_pipeline_create(cfg, &info, cb, cfg->pfa, err, errlen);
    isac_policy pol = p ? isac_policy_create_named(cfg->policy, &pa) : NULL;
    struct soak_ctx x = {.a = a};
    x.e = pol ? isac_episode_engine_create(p, r, cb, cfg, &rules, err, errlen) : NULL;
    int out = ISAC_EXP_SOAK_OK;
    if (!x.e) {
        if (!err[0])
            snprintf(err, errlen, "cannot create the policy");
        out = ISAC_EXP_SOAK_EINPUT;
    } else {
        const struct isac_episode_hooks h = {
            .ctx = &x, .should_stop = soak_should_stop, .on_step = soak_on_step};
        if (!a->warmup)
            soak_mark(&x);
        int rc = isac_episode_run_episodes(x.e, pol, 0, 0, &h, err, errlen);
        double secs = now_s() - x.t0;
        struct isac_exp_soak_mem m1 = isac_exp_soak_mem_now();
        if (rc != ISAC_EPISODE_STOPPED) {
            out = ISAC_EXP_SOAK_ERUNTIME;
        } else {
            int64_t air = isac_episode_engine_status(x.e)->tick - x.tick0;
            *res = (struct isac_exp_soak_result){
                secs,  (double)air / info.sample_rate, x.m0, m1, x.last_episode + 1, x.dropped,
                x.done};
            if (x.done < a->cpis)
                out = ISAC_EXP_SOAK_STOPPED;
        }
    }
    isac_episode_engine_destroy(x.e);
    isac_policy_destroy(pol);
    isac_pipeline_destroy(p);
    return out;
}
