/* The closed loop on the default experiment: over 20 episodes at the default power with the
 * sweep policy, the target is detected in at least 95 % of them, and every declared
 * detection that ends an episode lies at the target (within 30 m, two range-resolution cells, of
 * the truth); the same seed gives the same decisions; the random policy is seeded. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "engine/run.h"
#include "sim/sim.h"

struct check {
    isac_radio r;
    unsigned final_detections, misplaced;
    double worst_m;
    double zeta;
};

/* Count the detections that end an episode (a confirmation dwell that confirms with
 * P_D >= zeta) and how far each lies from the target's true position at that tick. */
static void on_step(void *ctx, isac_pipeline p, unsigned ep, unsigned step,
                    const struct isac_pipeline_result *res)
{
    (void)p;
    struct check *c = ctx;
    if (!(res->confirm && res->detected && res->pd >= c->zeta))
        return;
    struct isac_sim_path t;
    assert_int_equal(isac_sim_target_path(isac_radio_get_state(c->r), 0, 0, res->tick, &t), 0);
    double err = hypot(res->x - t.x, res->y - t.y);
    c->final_detections++;
    c->misplaced += err > 30.0;
    if (err > 30.0)
        printf("  misplaced: episode %u step %u beam %u at (%.0f, %.0f), truth (%.0f, %.0f)\n", ep,
               step, res->beam, res->x, res->y, t.x, t.y);
    if (err > c->worst_m)
        c->worst_m = err;
}

static json_t *run(const struct isac_exp_config *cfg, struct check *c)
{
    char err[512];
    isac_radio r = isac_radio_open(cfg->radio, err, sizeof err);
    assert_non_null(r);
    struct isac_radio_info info;
    isac_radio_get_info(r, &info);
    isac_codebook cb = isac_exp_codebook(cfg, &info, err, sizeof err);
    assert_non_null(cb);
    struct check local = {.r = r, .zeta = cfg->zeta};
    struct isac_run_hooks h = {.on_step = on_step, .ctx = &local};
    json_t *out = NULL;
    if (isac_exp_run(cfg, r, cb, NULL, &h, &out, err, sizeof err))
        fail_msg("%s", err);
    if (c)
        *c = local;
    isac_codebook_destroy(cb);
    isac_radio_close(r);
    return out;
}

static void test_default_sweep_detects(void **state)
{
    (void)state;
    struct isac_exp_config cfg;
    isac_exp_config_defaults(&cfg);
    struct check c;
    json_t *out = run(&cfg, &c);
    json_t *s = json_object_get(out, "summary");
    double rate = json_real_value(json_object_get(s, "detection_rate"));
    printf("sweep, 20 episodes: detection rate %.2f, mean steps %.1f, %u final detections, worst "
           "position error %.1f m\n",
           rate, json_real_value(json_object_get(s, "steps_mean")), c.final_detections, c.worst_m);
    assert_true(rate >= 0.95);
    assert_int_equal(c.final_detections, (unsigned)llround(rate * 20));
    assert_int_equal(c.misplaced, 0);
    json_decref(out);
}

static void test_same_seed_same_decisions(void **state)
{
    (void)state;
    struct isac_exp_config cfg;
    isac_exp_config_defaults(&cfg);
    cfg.episodes = 3;
    cfg.max_steps = 20;
    snprintf(cfg.policy, sizeof cfg.policy, "random");
    json_t *a = run(&cfg, NULL), *b = run(&cfg, NULL);
    assert_true(json_equal(json_object_get(a, "episodes"), json_object_get(b, "episodes")));
    cfg.seed = 2;
    json_t *c = run(&cfg, NULL);
    assert_false(json_equal(json_object_get(a, "episodes"), json_object_get(c, "episodes")));
    json_decref(a);
    json_decref(b);
    json_decref(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_default_sweep_detects),
        cmocka_unit_test(test_same_seed_same_decisions),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
