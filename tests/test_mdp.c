/* The beam-selection MDP of seed 004 section III (host/learn/mdp.h) and its environment
 * on the real pipeline (host/engine/mdp_env.h):
 *  - action map and wrap (the paper's Fig. 7: 62 + 5 -> 3), feedback flag eq. (27),
 *    reward eq. (28), potential eqs. (29)-(30) with the paper's defaults, embedding
 *    eq. (32), variant sigmoid eq. (33), each against values computed by hand;
 *  - potential-based shaping telescopes: the shaped return of any episode equals the raw
 *    return minus Phi(s_0) (so it cannot change which policy is optimal);
 *  - the observed P_D is small on noise and equals the pipeline's estimate on a
 *    declaration;
 *  - isac_mdp_env_run_episode reproduces `isactb run` (isac_exp_run) step for step for sweep,
 *    pso and qnet: the same environment as the live loop. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <string.h>

#include "engine/mdp_env.h"
#include "engine/run.h"
#include "learn/mdp.h"

static void test_actions_wrap(void **s)
{
    (void)s;
    int want[10] = {-5, -4, -3, -2, -1, 1, 2, 3, 4, 5};
    for (unsigned k = 0; k < 10; k++) {
        assert_int_equal(isac_mdp_action_delta(5, k), want[k]);
        assert_int_equal(isac_mdp_action_index(5, want[k]), (int)k);
    }
    assert_int_equal(isac_mdp_action_delta(5, 10), 0);
    assert_int_equal(isac_mdp_action_index(5, 0), -1);
    assert_int_equal(isac_mdp_action_index(5, 6), -1);
    assert_int_equal(isac_mdp_apply(62, 5, 64), 3); /* Fig. 7 */
    assert_int_equal(isac_mdp_apply(1, -4, 64), 61);
    assert_int_equal(isac_mdp_apply(10, 3, 64), 13);
    assert_int_equal(isac_mdp_wrap_delta(62, 3, 64), 5);
    assert_int_equal(isac_mdp_wrap_delta(3, 62, 64), -5);
}

static void test_feedback_reward(void **s)
{
    (void)s;
    struct isac_mdp_params m;
    isac_mdp_params_defaults(&m);
    assert_int_equal(m.tau, 5);
    assert_true(m.b0 == 5 && m.b1 == 1 && m.b2 == 5 && m.b3 == 5 && m.rho == 0.99);
    assert_int_equal(isac_mdp_feedback(1, 0.9, 0.1, 3), 0);
    assert_int_equal(isac_mdp_feedback(0, 0.5, 0.1, 3), 1);
    assert_int_equal(isac_mdp_feedback(0, 0.5, 0.1, -3), -1);
    assert_int_equal(isac_mdp_feedback(0, 0.1, 0.5, 2), -1);
    assert_int_equal(isac_mdp_feedback(0, 0.3, 0.3, 2), 0);
    assert_true(isac_mdp_reward(&m, 0.89) == -1.0);
    assert_true(isac_mdp_reward(&m, 0.9) == 5.0);
    /* Phi(p) = 1 / (1 + e^{-5 p}): Phi(0) = 0.5, Phi(1) = 0.9933071490757153 */
    assert_true(fabs(isac_mdp_potential(&m, 0) - 0.5) < 1e-15);
    assert_true(fabs(isac_mdp_potential(&m, 1) - 0.9933071490757153) < 1e-15);
    /* r_sh(0.2 -> 0.6) = 0.99 Phi(0.6) - Phi(0.2) = 0.99 * 0.9525741268 - 0.7310585786 */
    assert_true(fabs(isac_mdp_shaping(&m, 0.2, 0.6, 0) -
                     (0.99 * 0.9525741268224334 - 0.7310585786300049)) < 1e-12);
    assert_true(fabs(isac_mdp_shaping(&m, 0.2, 0.95, 1) + 0.7310585786300049) < 1e-12);
}

static void test_embedding_sigmoid(void **s)
{
    (void)s;
    assert_true(fabs(isac_mdp_sigmoid_variant(5, 0)) < 1e-15);
    assert_true(fabs(isac_mdp_sigmoid_variant(5, 1) - 1) < 1e-15);
    /* (1/(1+e^-0.5) - 0.5) / (1/(1+e^-5) - 0.5) = 0.1224593312 / 0.4933071491 */
    assert_true(fabs(isac_mdp_sigmoid_variant(5, 0.1) - 0.12245933120185459 / 0.49330714907571527) <
                1e-12);
    for (double p = 0; p < 1; p += 0.01) /* monotone, steeper than identity near 0 */
        assert_true(isac_mdp_sigmoid_variant(5, p + 0.01) > isac_mdp_sigmoid_variant(5, p));
    assert_true(isac_mdp_sigmoid_variant(5, 0.1) > 0.2);
    float e[16];
    isac_mdp_embed(7, 16, e);
    for (unsigned i = 1; i <= 8; i++) {
        double f = pow(1000.0, -2.0 * i / 16);
        assert_true(fabsf(e[2 * i - 2] - (float)cos(7 * f)) < 1e-7f);
        assert_true(fabsf(e[2 * i - 1] - (float)sin(7 * f)) < 1e-7f);
    }
    struct isac_mdp_params m;
    isac_mdp_params_defaults(&m);
    float x[18];
    isac_mdp_state_input(&m, 7, 0.1, -1, x);
    assert_true(x[16] == (float)isac_mdp_sigmoid_variant(5, 0.1) && x[17] == -1.0f);
}

/* Any trajectory: sum_t rho^t (r_t + r_sh_t) = sum_t rho^t r_t - Phi(s_0). */
static void test_shaping_telescopes(void **s)
{
    (void)s;
    struct isac_mdp_params m;
    isac_mdp_params_defaults(&m);
    double pd[6] = {0.03, 0.2, 0.05, 0.4, 0.7, 0.97};
    double raw = 0, shaped = 0, g = 1;
    for (int t = 0; t < 5; t++) {
        int term = t == 4;
        double r = isac_mdp_reward(&m, pd[t + 1]);
        raw += g * r;
        shaped += g * (r + isac_mdp_shaping(&m, pd[t], pd[t + 1], term));
        g *= m.rho;
    }
    assert_true(fabs(shaped - (raw - isac_mdp_potential(&m, pd[0]))) < 1e-12);
}

static void test_observed_pd(void **s)
{
    (void)s;
    assert_true(isac_mdp_observed_pd(1, 0.97, 50, 4, 1e-3, 6561) == 0.97);
    /* noise: best of 6561 cells near the Gamma(4) 1/6561 quantile (~14.6) */
    double noise = isac_mdp_observed_pd(0, 0, 14.6, 4, 1e-3, 6561);
    assert_true(noise > 0 && noise < 0.1);
    double near = isac_mdp_observed_pd(0, 0, 22, 4, 1e-3, 6561);
    assert_true(near > 0.3 && near > noise);
    assert_true(isac_mdp_observed_pd(0, 0, 0, 0, 1e-3, 6561) == 0);
}

/* isac_mdp_env_run_episode against isac_exp_run, episode by episode. */
static void same_as_run(const char *pol)
{
    struct isac_exp_config cfg;
    isac_exp_config_defaults(&cfg);
    cfg.episodes = 3;
    snprintf(cfg.policy, sizeof cfg.policy, "%s", pol);
    char err[512];
    isac_radio r = isac_radio_open(cfg.radio, err, sizeof err);
    assert_non_null(r);
    struct isac_radio_info info;
    isac_radio_get_info(r, &info);
    isac_codebook cb = isac_exp_codebook(&cfg, &info, err, sizeof err);
    assert_non_null(cb);
    json_t *out = NULL;
    assert_int_equal(isac_exp_run(&cfg, r, cb, NULL, NULL, &out, err, sizeof err), 0);
    isac_radio_close(r);
    r = isac_radio_open(cfg.radio, err, sizeof err);
    isac_mdp_env env = isac_mdp_env_create(&cfg, r, cb, err, sizeof err);
    assert_non_null(env);
    struct isac_policy_args a;
    isac_policy_args_defaults(&a, isac_codebook_size(cb), cfg.seed);
    isac_mdp_env_policy_opts(env, &a.opts);
    isac_policy p = isac_policy_create_named(pol, &a);
    assert_non_null(p);
    for (unsigned e = 0; e < cfg.episodes; e++) {
        unsigned steps;
        int succ;
        assert_int_equal(
            isac_mdp_env_run_episode(env, p, e, cfg.max_steps, &steps, &succ, err, sizeof err), 0);
        json_t *ep = json_array_get(json_object_get(out, "episodes"), e);
        assert_int_equal(steps, json_integer_value(json_object_get(ep, "steps")));
        assert_int_equal(succ, json_is_true(json_object_get(ep, "detected")));
    }
    isac_policy_destroy(p);
    isac_mdp_env_destroy(env);
    json_decref(out);
    isac_codebook_destroy(cb);
    isac_radio_close(r);
}

/* The exhaustive sweep (seed 004 section V-C): a round measures every beam without acting on
 * declarations, then commits to the round's best observation; a miss starts a new round. */
static void test_sweep_round(void **s)
{
    (void)s;
    const unsigned Q = 8;
    struct isac_policy_args a;
    isac_policy_args_defaults(&a, Q, 1);
    isac_policy p = isac_policy_create_named("sweep", &a);
    assert_non_null(p);
    for (int round = 0; round < 2; round++) {
        struct isac_policy_obs obs;
        unsigned best = round ? 2 : 5;
        for (unsigned k = 0; k < Q; k++) {
            assert_int_equal(isac_policy_next(p, k || round ? &obs : NULL), k);
            assert_int_equal(isac_policy_may_stop(p), 0);
            /* beam `best` declares with P_D 0.95; beam 6 has the larger Lambda but no
             * declaration (observed P_D from Lambda alone stays lower) */
            obs = (struct isac_policy_obs){.beam = k,
                                           .pd = k == best ? 0.95 : 0,
                                           .lambda = k == best ? 30
                                                     : k == 6  ? 20
                                                               : 3,
                                           .num_aps = 4,
                                           .detected = k == best};
        }
        assert_int_equal(isac_policy_next(p, &obs), best);
        assert_int_equal(isac_policy_may_stop(p), 1);
        obs = (struct isac_policy_obs){
            .beam = best, .pd = 0.5, .lambda = 25, .num_aps = 4, .detected = 1};
    }
    isac_policy_destroy(p);
    /* every other policy may stop at every step */
    p = isac_policy_create_named("scan", &a);
    assert_int_equal(isac_policy_next(p, NULL), 0);
    assert_int_equal(isac_policy_may_stop(p), 1);
    isac_policy_destroy(p);
}

static void test_env_is_the_run_loop(void **s)
{
    (void)s;
    same_as_run("scan");
    same_as_run("sweep");
    same_as_run("pso");
    same_as_run("qnet");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_actions_wrap),        cmocka_unit_test(test_feedback_reward),
        cmocka_unit_test(test_embedding_sigmoid),   cmocka_unit_test(test_shaping_telescopes),
        cmocka_unit_test(test_observed_pd),         cmocka_unit_test(test_sweep_round),
        cmocka_unit_test(test_env_is_the_run_loop),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
