/* Episode-aligned time in the emulator (sim:episode_span, radio/sim/sim.h), the common
 * random numbers of `isactb bench policies`:
 *  - with a span, what a beam observes at step k of episode e does not depend on what
 *    the earlier episodes transmitted or how long they ran: a fresh radio that starts at
 *    episode e and one that first ran other episodes observe bit-identical statistics;
 *  - without a span the same comparison differs (the noise follows the running clock),
 *    so the first check can fail;
 *  - an episode that would start before the radio's time is refused with one line;
 *  - `isactb run` (isac_exp_run) runs on such a radio: its clock follows the jump. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "engine/mdp_env.h"
#include "engine/run.h"

#define NSTEP 12

struct probe {
    struct isac_exp_config cfg;
    isac_radio r;
    isac_codebook cb;
    isac_mdp_env env;
};

static void probe_open(struct probe *p, const char *spec)
{
    char err[512];
    isac_exp_config_defaults(&p->cfg);
    snprintf(p->cfg.radio, sizeof p->cfg.radio, "%s", spec);
    p->r = isac_radio_open(spec, err, sizeof err);
    assert_non_null(p->r);
    struct isac_radio_info info;
    assert_int_equal(isac_radio_get_info(p->r, &info), 0);
    p->cb = isac_exp_codebook(&p->cfg, &info, err, sizeof err);
    assert_non_null(p->cb);
    p->env = isac_mdp_env_create(&p->cfg, p->r, p->cb, err, sizeof err);
    assert_non_null(p->env);
}

static void probe_close(struct probe *p)
{
    isac_mdp_env_destroy(p->env);
    isac_codebook_destroy(p->cb);
    isac_radio_close(p->r);
}

/* Episode ep, beams 3, 5, 7, ...: the best cell's statistic of every step. */
static void observe(struct probe *p, uint64_t ep, double lambda[NSTEP])
{
    char err[512];
    assert_int_equal(isac_mdp_env_reset(p->env, ep, err, sizeof err), 0);
    for (unsigned k = 0; k < NSTEP; k++) {
        struct isac_mdp_env_out o;
        assert_int_equal(isac_mdp_env_step(p->env, (3 + 2 * k) % 16, &o, err, sizeof err), 0);
        lambda[k] = o.obs.lambda;
    }
}

/* Episodes 0..2 with beams and lengths that differ from observe()'s. */
static void other_episodes(struct probe *p)
{
    char err[512];
    for (uint64_t ep = 0; ep < 3; ep++) {
        assert_int_equal(isac_mdp_env_reset(p->env, ep, err, sizeof err), 0);
        for (unsigned k = 0; k < 5 + 7 * ep; k++) {
            struct isac_mdp_env_out o;
            assert_int_equal(
                isac_mdp_env_step(p->env, (unsigned)(k * 5 + ep) % 16, &o, err, sizeof err), 0);
        }
    }
}

/* Same observations of episode 3 with and without episodes 0..2 before it? */
static int same_after_history(const char *spec)
{
    struct probe a, b;
    double la[NSTEP], lb[NSTEP];
    probe_open(&a, spec);
    observe(&a, 3, la);
    probe_close(&a);
    probe_open(&b, spec);
    other_episodes(&b);
    observe(&b, 3, lb);
    probe_close(&b);
    return !memcmp(la, lb, sizeof la);
}

static void test_common_random_numbers(void **s)
{
    (void)s;
    assert_true(same_after_history("sim:seed=5,episode_span=1"));
    assert_true(same_after_history("sim:seed=5,episode_span=0.5,targets=2"));
    assert_false(same_after_history("sim:seed=5"));
}

static void test_late_episode_refused(void **s)
{
    (void)s;
    struct probe p;
    char err[512];
    probe_open(&p, "sim:seed=5,episode_span=1");
    double l[NSTEP];
    observe(&p, 2, l);
    assert_int_not_equal(isac_mdp_env_reset(p.env, 1, err, sizeof err), 0);
    assert_non_null(strstr(err, "episode_span"));
    assert_null(strchr(err, '\n'));
    probe_close(&p);
}

static void test_run_follows_the_clock(void **s)
{
    (void)s;
    struct probe p;
    probe_open(&p, "sim:episode_span=0.5");
    p.cfg.episodes = 3;
    char err[512];
    json_t *out = NULL;
    assert_int_equal(isac_exp_run(&p.cfg, p.r, p.cb, NULL, NULL, &out, err, sizeof err), 0);
    assert_int_equal(json_array_size(json_object_get(out, "episodes")), 3);
    struct isac_radio_info info;
    int64_t now;
    assert_int_equal(isac_radio_get_info(p.r, &info), 0);
    assert_int_equal(isac_radio_get_time(p.r, &now), 0);
    assert_true(now >= (int64_t)(1.0 * info.sample_rate)); /* episode 2 started at 1 s */
    json_decref(out);
    probe_close(&p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_common_random_numbers),
        cmocka_unit_test(test_late_episode_refused),
        cmocka_unit_test(test_run_follows_the_clock),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
