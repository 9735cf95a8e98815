/* Training the Bi-LSTM (host/learn/lstm.h, lstm_train.h):
 *  - Adam against a hand computation: the first step moves every parameter by
 *    lr g / (|g| + eps / sqrt(1 - beta2)) (m = (1-b1) g, v = (1-b2) g^2, step size
 *    lr sqrt(1-b2)/(1-b1)), the second by the formula evaluated in double;
 *  - determinism: the same seeds give the same weights bit for bit after training, with
 *    1, 2 and 3 worker threads (chunks reduced in a fixed order); another seed differs;
 *  - a task that needs both directions: label each step 1 when its value exceeds both
 *    neighbours (a missing neighbour counts as lower), values i.i.d. uniform. A model that
 *    sees only one side cannot beat 7/8 on inner steps (forward-only Bayes rule: predict 1
 *    iff x_t > x_{t-1} and x_t > 1/2, error E[min(x_t, 1-x_t); x_t > x_{t-1}] = 1/8; the
 *    backward-only one is the mirror image). The trained Bi-LSTM must reach an inner-step
 *    accuracy whose 99.9 % Clopper-Pearson lower bound is above 0.95 on fresh sequences. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <cblas.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/rng.h"
#include "learn/lstm.h"
#include "learn/lstm_data.h"
#include "learn/lstm_train.h"
#include "stat_bounds.h"

/* Local-maximum task: n sequences of 3..12 steps. */
static void peaks(struct isac_seqset *s, size_t n, uint64_t seed)
{
    assert_int_equal(isac_seqset_init(s, 1, 1, ISAC_BILSTM_HEAD_BCE, 0), 0);
    isac_rng r;
    isac_rng_seed(&r, seed);
    float x[12], y[12];
    for (size_t i = 0; i < n; i++) {
        unsigned len = 3 + (unsigned)isac_rng_below(&r, 10);
        for (unsigned t = 0; t < len; t++)
            x[t] = (float)isac_rng_uniform(&r);
        for (unsigned t = 0; t < len; t++)
            y[t] = (t == 0 || x[t] > x[t - 1]) && (t == len - 1 || x[t] > x[t + 1]);
        for (unsigned t = 0; t < len; t++)
            x[t] = 2 * x[t] - 1; /* centred input */
        assert_int_equal(isac_seqset_push(s, len, x, y), 0);
    }
}

static void test_adam_reference(void **st)
{
    (void)st;
    struct isac_bilstm_cfg c;
    isac_bilstm_cfg_defaults(&c, 2, 1);
    c.hidden = 2;
    c.ndense = 0;
    c.max_len = 4;
    c.max_batch = 2;
    char err[256];
    isac_bilstm n = isac_bilstm_create(&c, 3, err, sizeof err);
    assert_non_null(n);
    size_t np = isac_bilstm_num_params(n);
    float *p0 = malloc(np * sizeof(float)), *p1 = malloc(np * sizeof(float)),
          *g1 = malloc(np * sizeof(float)), *g2 = malloc(np * sizeof(float)),
          *p2 = malloc(np * sizeof(float));
    float x[2][8] = {{0.5f, -1, 0.25f, 0.75f, -0.5f, 0.1f}, {1, 1, -1, 0.3f}},
          y[2][4] = {{1, 0, 1}, {0, 1}};
    struct isac_bilstm_seq b[2] = {{3, x[0], y[0]}, {2, x[1], y[1]}};
    const struct isac_adam_cfg a = {0.9f, 0.999f, 1e-8f};
    const double lr = 0.01;
    isac_bilstm_get_params(n, p0);
    assert_int_equal(isac_bilstm_loss_grad(n, b, 2, NULL), 0);
    isac_bilstm_get_grads(n, g1);
    isac_bilstm_adam_step(n, &a, (float)lr);
    isac_bilstm_get_params(n, p1);
    double worst = 0;
    for (size_t i = 0; i < np; i++) {
        double want = p0[i] - lr * g1[i] / (fabs(g1[i]) + 1e-8 / sqrt(0.001));
        /* in units of the float spacing at p: the update itself is float arithmetic */
        worst = fmax(worst, fabs(p1[i] - want) / (FLT_EPSILON * fmax(fabs(want), lr)));
    }
    printf("step 1: max |p - hand| = %.2f float epsilons of |p| (lr %.3g)\n", worst, lr);
    assert_true(worst <= 2);
    /* step 2 in double from the same gradients */
    assert_int_equal(isac_bilstm_loss_grad(n, b, 2, NULL), 0);
    isac_bilstm_get_grads(n, g2);
    isac_bilstm_adam_step(n, &a, (float)lr);
    isac_bilstm_get_params(n, p2);
    worst = 0;
    for (size_t i = 0; i < np; i++) {
        double m = 0.9 * (0.1 * g1[i]) + 0.1 * g2[i];
        double v = 0.999 * (0.001 * (double)g1[i] * g1[i]) + 0.001 * (double)g2[i] * g2[i];
        double step = lr * sqrt(1 - 0.999 * 0.999) / (1 - 0.9 * 0.9);
        double want = p1[i] - step * m / (sqrt(v) + 1e-8);
        worst = fmax(worst, fabs(p2[i] - want) / (FLT_EPSILON * fmax(fabs(want), lr)));
    }
    printf("step 2: max |p - hand| = %.2f float epsilons of |p|\n", worst);
    assert_true(worst <= 2);
    free(p0);
    free(p1);
    free(p2);
    free(g1);
    free(g2);
    isac_bilstm_destroy(n);
}

/* Train a small net for 2 epochs; return its parameters (malloc'd). */
static float *train_small(uint64_t wseed, uint64_t oseed, unsigned threads, size_t *np)
{
    struct isac_seqset s;
    peaks(&s, 100, 77);
    struct isac_bilstm_cfg c;
    isac_bilstm_cfg_defaults(&c, 1, 1);
    c.hidden = 6;
    c.layers = 2;
    c.dense[0] = 5;
    c.max_len = 12;
    c.max_batch = 20;
    c.chunk = 4;
    c.threads = threads;
    char err[256];
    isac_bilstm n = isac_bilstm_create(&c, wseed, err, sizeof err);
    assert_non_null(n);
    struct isac_lstm_train_cfg tc;
    isac_lstm_train_cfg_defaults(&tc);
    tc.seed = oseed;
    tc.epochs = 2;
    tc.batch = 20;
    assert_int_equal(isac_lstm_train(n, &tc, &s, NULL, NULL, NULL, NULL, err, sizeof err), 0);
    *np = isac_bilstm_num_params(n);
    float *p = malloc(*np * sizeof *p);
    isac_bilstm_get_params(n, p);
    isac_bilstm_destroy(n);
    isac_seqset_free(&s);
    return p;
}

static void test_same_seed_same_bits(void **st)
{
    (void)st;
    size_t np;
    float *a = train_small(1, 2, 1, &np), *b = train_small(1, 2, 1, &np),
          *c = train_small(1, 2, 2, &np), *d = train_small(1, 2, 3, &np),
          *e = train_small(1, 3, 1, &np), *f = train_small(4, 2, 1, &np);
    assert_memory_equal(a, b, np * sizeof *a);
    assert_memory_equal(a, c, np * sizeof *a);     /* 2 threads */
    assert_memory_equal(a, d, np * sizeof *a);     /* 3 threads */
    assert_memory_not_equal(a, e, np * sizeof *a); /* another minibatch order */
    assert_memory_not_equal(a, f, np * sizeof *a); /* other initial weights */
    free(a);
    free(b);
    free(c);
    free(d);
    free(e);
    free(f);
}

struct curve {
    double first_val, last_val;
};

static int on_epoch(void *ctx, const struct isac_lstm_epoch *e)
{
    struct curve *cv = ctx;
    if (e->epoch == 1)
        cv->first_val = e->val.accuracy;
    cv->last_val = e->val.accuracy;
    printf("  epoch %2u  train loss %.4f acc %.4f   val loss %.4f acc %.4f\n", e->epoch,
           e->train.loss, e->train.accuracy, e->val.loss, e->val.accuracy);
    return 0;
}

static void test_needs_both_directions(void **st)
{
    (void)st;
    struct isac_seqset tr, va, te;
    peaks(&tr, 1500, 1001);
    peaks(&va, 300, 1002);
    peaks(&te, 2000, 1003);
    struct isac_bilstm_cfg c;
    isac_bilstm_cfg_defaults(&c, 1, 1);
    c.hidden = 12;
    c.dense[0] = 12;
    c.max_len = 12;
    c.max_batch = 32;
    char err[256];
    isac_bilstm n = isac_bilstm_create(&c, 9, err, sizeof err);
    assert_non_null(n);
    struct isac_lstm_train_cfg tc;
    isac_lstm_train_cfg_defaults(&tc);
    tc.seed = 10;
    tc.epochs = 12;
    tc.batch = 32;
    tc.lr = 1e-2f;
    struct curve cv;
    struct isac_lstm_train_hooks h = {&cv, on_epoch};
    struct isac_lstm_epoch hist[12];
    unsigned ran;
    assert_int_equal(isac_lstm_train(n, &tc, &tr, &va, &h, hist, &ran, err, sizeof err), 0);
    assert_int_equal(ran, 12);
    assert_true(cv.last_val > cv.first_val);
    /* fresh sequences, inner steps only (the bound 7/8 is for them) */
    uint64_t k = 0, m = 0;
    float y[12];
    for (size_t i = 0; i < te.n; i++) {
        struct isac_bilstm_seq q = isac_seqset_get(&te, i);
        assert_int_equal(isac_bilstm_forward(n, q.len, q.x, y), 0);
        for (unsigned t = 1; t + 1 < q.len; t++) {
            k += (y[t] >= 0.5f) == (q.y[t] >= 0.5f);
            m++;
        }
    }
    double lo, hi;
    stat_cp_interval(k, m, 1e-3, &lo, &hi);
    printf("inner-step accuracy %.4f (%llu / %llu), 99.9 %% interval [%.4f, %.4f]; one-sided "
           "models <= 0.875\n",
           (double)k / m, (unsigned long long)k, (unsigned long long)m, lo, hi);
    assert_true(lo > 0.95);
    isac_bilstm_destroy(n);
    isac_seqset_free(&tr);
    isac_seqset_free(&va);
    isac_seqset_free(&te);
}

int main(void)
{
    openblas_set_num_threads(1);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_adam_reference),
        cmocka_unit_test(test_same_seed_same_bits),
        cmocka_unit_test(test_needs_both_directions),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
