/* The Bi-LSTM's backward pass (host/learn/lstm.h) against central finite differences,
 * for every parameter block (both directions of every layer: W, U, b; each dense layer;
 * the output layer), on batches of sequences of different lengths cut into several
 * chunks (so the padding masks and the backward direction's per-sequence start are
 * exercised), for both heads: sigmoid/BCE and linear/MSE with the unit-ball projection
 * (with some groups above norm 1, so the projection's derivative is checked too).
 * Also: a sequence's outputs do not depend on the batch it is in (masking), and
 * changing the last step changes the first step's output (the backward direction is
 * wired), changing the first changes the last (the forward one).
 *
 * The network computes in float; central differences of the loss (accumulated in double)
 * at h = 1e-3 and h = 3e-4, and per parameter the one closer to the analytic value: a
 * row whose ReLU pre-activation (or beam norm, for the projection) lies within h of its
 * kink spoils a difference at that step size (seen: 4 % off at 1e-3, 1e-4 at 3e-4), but
 * a wrong derivative is wrong at every step size. Each block must match with relative
 * error ||g_fd - g|| / ||g|| <= 1e-2 (float rounding and O(h^2) truncation give
 * 1e-5..5e-3); the errors are printed (a wrong derivative gives errors of order 1). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <cblas.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/rng.h"
#include "learn/lstm.h"

#define NSEQ 5
/* Output bias of the first unit-ball group: its beams sit around norm 1.1, mostly
 * projected, while the other group stays inside the ball. (Scaling the output weights
 * up instead would push outputs out too, but multiplies the loss's curvature, and a
 * finite difference across a ReLU or projection kink is then no longer a derivative.) */
#define BALL_SHIFT 1.1f
static const unsigned LENS[NSEQ] = {4, 1, 6, 3, 5};

struct batch {
    float x[NSEQ][6 * 8], y[NSEQ][6 * 8];
    struct isac_bilstm_seq s[NSEQ];
};

static void make_batch(struct batch *b, const struct isac_bilstm_cfg *c, uint64_t seed,
                       float yscale)
{
    isac_rng r;
    isac_rng_seed(&r, seed);
    for (unsigned i = 0; i < NSEQ; i++) {
        for (unsigned k = 0; k < LENS[i] * c->in; k++)
            b->x[i][k] = (float)(2 * isac_rng_uniform(&r) - 1);
        for (unsigned k = 0; k < LENS[i] * c->out; k++)
            b->y[i][k] = c->head == ISAC_BILSTM_HEAD_BCE
                             ? (float)(isac_rng_uniform(&r) < 0.5)
                             : (float)((2 * isac_rng_uniform(&r) - 1) * yscale);
        b->s[i] = (struct isac_bilstm_seq){LENS[i], b->x[i], b->y[i]};
    }
}

static double loss_at(isac_bilstm n, const struct batch *b)
{
    struct isac_bilstm_metrics m;
    assert_int_equal(isac_bilstm_evaluate(n, b->s, NSEQ, &m), 0);
    return m.loss;
}

/* Block boundaries in the documented parameter order. */
static unsigned blocks(const struct isac_bilstm_cfg *c, size_t *start, const char **name)
{
    static char names[64][32];
    unsigned nb = 0;
    size_t o = 0, h = c->hidden, prev = 2 * h;
    for (unsigned l = 0; l < c->layers; l++) {
        size_t d = l == 0 ? c->in : 2 * h;
        for (unsigned dir = 0; dir < 2; dir++) {
            const char *dn = dir ? "bwd" : "fwd";
            snprintf(names[nb], 32, "L%u %s W", l, dn);
            start[nb++] = o;
            o += 4 * h * d;
            snprintf(names[nb], 32, "L%u %s U", l, dn);
            start[nb++] = o;
            o += 4 * h * h;
            snprintf(names[nb], 32, "L%u %s b", l, dn);
            start[nb++] = o;
            o += 4 * h;
        }
    }
    for (unsigned k = 0; k <= c->ndense; k++) {
        size_t w = k < c->ndense ? c->dense[k] : c->out;
        snprintf(names[nb], 32, "%s%u W", k < c->ndense ? "dense" : "out", k);
        start[nb++] = o;
        o += w * prev;
        snprintf(names[nb], 32, "%s%u b", k < c->ndense ? "dense" : "out", k);
        start[nb++] = o;
        o += w;
        prev = w;
    }
    start[nb] = o;
    for (unsigned i = 0; i < nb; i++)
        name[i] = names[i];
    return nb;
}

/* Finite-difference check of every parameter; returns the worst block error. */
static unsigned blocks(const struct isac_bilstm_cfg *c, size_t *start, const char **name);

/* Set the first output bias (group 0's first component) to shift. */
static void shift_output(const struct isac_bilstm_cfg *c, float *p, float shift)
{
    size_t st[64];
    const char *nm[64];
    unsigned nb = blocks(c, st, nm);
    p[st[nb - 1]] = shift;
}

static double gradcheck(const struct isac_bilstm_cfg *c, uint64_t seed, float out_shift,
                        float yscale)
{
    char err[256];
    isac_bilstm n = isac_bilstm_create(c, seed, err, sizeof err);
    assert_non_null(n);
    size_t np = isac_bilstm_num_params(n);
    float *p = malloc(np * sizeof *p), *g = malloc(np * sizeof *g);
    double *fd = malloc(np * sizeof *fd);
    isac_bilstm_get_params(n, p);
    if (out_shift != 0.0f) { /* some beams beyond the unit ball */
        shift_output(c, p, out_shift);
        isac_bilstm_set_params(n, p);
    }
    struct batch b;
    make_batch(&b, c, seed + 100, yscale);
    struct isac_bilstm_metrics m;
    assert_int_equal(isac_bilstm_loss_grad(n, b.s, NSEQ, &m), 0);
    assert_true(fabs(m.loss - loss_at(n, &b)) <= 1e-12 * fabs(m.loss) + 1e-12);
    isac_bilstm_get_grads(n, g);
    const float hs[2] = {1e-3f, 3e-4f};
    for (size_t i = 0; i < np; i++) {
        float p0 = p[i];
        for (unsigned k = 0; k < 2; k++) {
            p[i] = p0 + hs[k];
            isac_bilstm_set_params(n, p);
            double lp = loss_at(n, &b);
            p[i] = p0 - hs[k];
            isac_bilstm_set_params(n, p);
            double lm = loss_at(n, &b);
            double d = (lp - lm) / ((double)(p0 + hs[k]) - (double)(p0 - hs[k]));
            if (k == 0 || fabs(d - g[i]) < fabs(fd[i] - g[i]))
                fd[i] = d;
        }
        p[i] = p0;
    }
    isac_bilstm_set_params(n, p);
    size_t st[64];
    const char *nm[64];
    unsigned nb = blocks(c, st, nm);
    assert_int_equal(st[nb], np);
    double worst = 0;
    for (unsigned k = 0; k < nb; k++) {
        double num = 0, den = 0;
        for (size_t i = st[k]; i < st[k + 1]; i++) {
            num += (fd[i] - g[i]) * (fd[i] - g[i]);
            den += (double)g[i] * g[i];
        }
        double rel = sqrt(num) / fmax(sqrt(den), 1e-9);
        printf("  %-12s %5zu params  |g| %.3e  rel err %.2e\n", nm[k], st[k + 1] - st[k], sqrt(den),
               rel);
        if (getenv("GC_DEBUG") && rel > 1e-2)
            for (size_t i = st[k]; i < st[k + 1]; i++)
                printf("    [%zu] fd %.6e g %.6e\n", i - st[k], fd[i], (double)g[i]);
        assert_true(den > 0); /* every block takes part */
        worst = fmax(worst, rel);
    }
    if (worst > 1e-2)
        fail_msg("relative error %.3g", worst);
    free(p);
    free(g);
    free(fd);
    isac_bilstm_destroy(n);
    return worst;
}

static void test_grad_bce_two_layers(void **s)
{
    (void)s;
    struct isac_bilstm_cfg c;
    isac_bilstm_cfg_defaults(&c, 3, 2);
    c.hidden = 4;
    c.layers = 2;
    c.ndense = 1;
    c.dense[0] = 5;
    c.max_len = 8;
    c.max_batch = 8;
    c.chunk = 2; /* 3 chunks of the 5 sequences */
    printf("BCE head, 2 Bi-LSTM layers, 1 dense layer:\n");
    printf("worst block error %.2e\n", gradcheck(&c, 11, 0.0f, 1.0f));
}

static void test_grad_mse_ball(void **s)
{
    (void)s;
    struct isac_bilstm_cfg c;
    isac_bilstm_cfg_defaults(&c, 2, 4);
    c.hidden = 3;
    c.layers = 1;
    c.ndense = 2;
    c.dense[0] = 6;
    c.dense[1] = 5;
    c.head = ISAC_BILSTM_HEAD_MSE;
    c.ball_groups = 2;
    c.max_len = 8;
    c.max_batch = 8;
    c.chunk = 3;
    /* some groups projected, some inside the ball: counted below */
    char err[256];
    isac_bilstm n = isac_bilstm_create(&c, 21, err, sizeof err);
    size_t np = isac_bilstm_num_params(n);
    float *p = malloc(np * sizeof *p);
    isac_bilstm_get_params(n, p);
    shift_output(&c, p, BALL_SHIFT);
    isac_bilstm_set_params(n, p);
    struct batch b;
    make_batch(&b, &c, 121, 0.5f);
    unsigned on = 0, inside = 0;
    for (unsigned i = 0; i < NSEQ; i++) {
        float y[6 * 4];
        assert_int_equal(isac_bilstm_forward(n, LENS[i], b.x[i], y), 0);
        for (unsigned t = 0; t < LENS[i] * 2; t++) {
            double q = y[2 * t] * y[2 * t] + y[2 * t + 1] * y[2 * t + 1];
            assert_true(q <= 1.0 + 1e-5);
            on += q > 1.0 - 1e-5;
            inside += q < 1.0 - 1e-3;
        }
    }
    printf("MSE head with ball groups: %u groups projected, %u inside the ball\n", on, inside);
    assert_true(on > 0 && inside > 0);
    free(p);
    isac_bilstm_destroy(n);
    printf("MSE head (ball), 1 layer, 2 dense layers:\n");
    printf("worst block error %.2e\n", gradcheck(&c, 21, BALL_SHIFT, 0.5f));
}

static void test_grad_mse_plain(void **s)
{
    (void)s;
    struct isac_bilstm_cfg c;
    isac_bilstm_cfg_defaults(&c, 2, 3);
    c.hidden = 5;
    c.layers = 1;
    c.ndense = 0;
    c.head = ISAC_BILSTM_HEAD_MSE;
    c.max_len = 6;
    c.max_batch = 5;
    c.chunk = 5; /* one chunk */
    printf("MSE head, no dense layer:\n");
    printf("worst block error %.2e\n", gradcheck(&c, 31, 0.0f, 1.0f));
}

/* A sequence's outputs are the same alone and in a padded batch; both directions carry
 * information end to end. */
static void test_masking_and_directions(void **s)
{
    (void)s;
    struct isac_bilstm_cfg c;
    isac_bilstm_cfg_defaults(&c, 3, 2);
    c.hidden = 4;
    c.layers = 2;
    c.max_len = 8;
    c.max_batch = 8;
    c.chunk = 8;
    char err[256];
    isac_bilstm n = isac_bilstm_create(&c, 5, err, sizeof err);
    struct batch b;
    make_batch(&b, &c, 7, 1.0f);
    /* batch loss = element-weighted mean of the sequences' own losses */
    double sum = 0;
    size_t el = 0;
    for (unsigned i = 0; i < NSEQ; i++) {
        struct isac_bilstm_metrics m;
        assert_int_equal(isac_bilstm_evaluate(n, &b.s[i], 1, &m), 0);
        sum += m.loss * m.elements;
        el += m.elements;
    }
    struct isac_bilstm_metrics all;
    assert_int_equal(isac_bilstm_evaluate(n, b.s, NSEQ, &all), 0);
    assert_int_equal(all.elements, el);
    printf("batch loss %.9f, per-sequence mean %.9f\n", all.loss, sum / el);
    assert_true(fabs(all.loss - sum / el) <= 1e-6 * fabs(all.loss));
    /* the longest sequence (6 steps): perturb the last step, the first output moves */
    float y0[12], y1[12], x[18];
    memcpy(x, b.x[2], sizeof x);
    assert_int_equal(isac_bilstm_forward(n, 6, x, y0), 0);
    x[15] += 0.5f;
    assert_int_equal(isac_bilstm_forward(n, 6, x, y1), 0);
    assert_true(y0[0] != y1[0]);
    memcpy(x, b.x[2], sizeof x);
    x[0] += 0.5f;
    assert_int_equal(isac_bilstm_forward(n, 6, x, y1), 0);
    assert_true(y0[10] != y1[10]);
    /* lengths outside 1..max_len are refused */
    assert_int_equal(isac_bilstm_forward(n, 0, x, y1), -1);
    assert_int_equal(isac_bilstm_forward(n, 9, x, y1), -1);
    isac_bilstm_destroy(n);
}

int main(void)
{
    openblas_set_num_threads(1);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_grad_bce_two_layers),
        cmocka_unit_test(test_grad_mse_ball),
        cmocka_unit_test(test_grad_mse_plain),
        cmocka_unit_test(test_masking_and_directions),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
