/* Minibatch training of a Bi-LSTM on sequence sets (lstm_train.h). */
#include "learn/lstm_train.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/rng.h"

void isac_lstm_train_cfg_defaults(struct isac_lstm_train_cfg *c)
{
    c->seed = 1;
    c->epochs = 50;
    c->batch = 32;
    c->lr = 1e-3f;
    c->adam = (struct isac_adam_cfg){0.9f, 0.999f, 1e-8f};
}

#define FAIL(...)                                                                                  \
    do {                                                                                           \
        isac_seterr(err, errlen, __VA_ARGS__);                                                     \
        return -1;                                                                                 \
    } while (0)

int isac_lstm_train_cfg_check(const struct isac_lstm_train_cfg *c, char *err, size_t errlen)
{
    if (c->epochs < 1 || c->epochs > 1000000)
        FAIL("epochs: %u outside 1..1000000", c->epochs);
    if (c->batch < 1 || c->batch > 65536)
        FAIL("batch: %u outside 1..65536", c->batch);
    if (!(c->lr > 0 && c->lr <= 1))
        FAIL("lr: %g outside (0, 1]", (double)c->lr);
    if (!(c->adam.beta1 >= 0 && c->adam.beta1 < 1) || !(c->adam.beta2 >= 0 && c->adam.beta2 < 1))
        FAIL("adam: betas %g, %g outside [0, 1)", (double)c->adam.beta1, (double)c->adam.beta2);
    if (!(c->adam.eps > 0))
        FAIL("adam: eps %g is not positive", (double)c->adam.eps);
    return 0;
}

/* The data must fit the network. 0, or -1 with one line naming the set and field. */
static int check_fit(isac_bilstm n, const struct isac_seqset *s, const char *name, char *err,
                     size_t errlen)
{
    const struct isac_bilstm_cfg *c = isac_bilstm_get_cfg(n);
    if (s->in != c->in)
        FAIL("%s: in: %u features per step, the network takes %u", name, s->in, c->in);
    if (s->out != c->out)
        FAIL("%s: out: %u targets per step, the network gives %u", name, s->out, c->out);
    if (s->head != (unsigned)c->head)
        FAIL("%s: head: %s targets for a %s network", name,
             s->head ? "regression" : "classification",
             c->head ? "regression (mse)" : "classification (bce)");
    if (s->max_len > c->max_len)
        FAIL("%s: max_len: a sequence of %u steps, the network takes at most %u", name, s->max_len,
             c->max_len);
    return 0;
}

/* Views of every sequence of s (malloc'd; NULL on memory). */
static struct isac_bilstm_seq *views(const struct isac_seqset *s)
{
    struct isac_bilstm_seq *v = malloc((s->n ? s->n : 1) * sizeof *v);
    for (size_t i = 0; v && i < s->n; i++)
        v[i] = isac_seqset_get(s, i);
    return v;
}

static void acc_add(struct isac_bilstm_metrics *sum, const struct isac_bilstm_metrics *m)
{
    double e = (double)m->elements;
    sum->loss += m->loss * e;
    sum->mse += m->mse * e;
    sum->accuracy += isnan(m->accuracy) ? 0 : m->accuracy * e;
    sum->elements += m->elements;
}

/* One epoch over train in the order perm; running metrics into *m. */
static int epoch_run(isac_bilstm n, const struct isac_lstm_train_cfg *c,
                     const struct isac_bilstm_seq *all, const size_t *perm, size_t ntrain,
                     struct isac_bilstm_seq *batch, struct isac_bilstm_metrics *m)
{
    struct isac_bilstm_metrics sum = {0};
    for (size_t first = 0; first < ntrain; first += c->batch) {
        unsigned nb = (unsigned)(ntrain - first < c->batch ? ntrain - first : c->batch);
        for (unsigned k = 0; k < nb; k++)
            batch[k] = all[perm[first + k]];
        struct isac_bilstm_metrics bm;
        int rc = isac_bilstm_loss_grad(n, batch, nb, &bm);
        if (rc)
            return rc;
        acc_add(&sum, &bm);
        isac_bilstm_adam_step(n, &c->adam, c->lr);
    }
    double e = (double)sum.elements;
    m->loss = sum.loss / e;
    m->mse = sum.mse / e;
    m->accuracy = isac_bilstm_get_cfg(n)->head == ISAC_BILSTM_HEAD_BCE ? sum.accuracy / e : NAN;
    m->elements = sum.elements;
    return ISAC_OK;
}

int isac_lstm_train(isac_bilstm n, const struct isac_lstm_train_cfg *c,
                    const struct isac_seqset *train, const struct isac_seqset *val,
                    const struct isac_lstm_train_hooks *h, struct isac_lstm_epoch *hist,
                    unsigned *ran, char *err, size_t errlen)
{
    if (ran)
        *ran = 0;
    if (isac_lstm_train_cfg_check(c, err, errlen))
        return ISAC_EINVAL;
    if (c->batch > isac_bilstm_get_cfg(n)->max_batch) {
        isac_seterr(err, errlen, "batch: %u above the network's max_batch %u", c->batch,
                    isac_bilstm_get_cfg(n)->max_batch);
        return ISAC_EINVAL;
    }
    if (train->n < 1) {
        isac_seterr(err, errlen, "training set: no sequences");
        return ISAC_EINVAL;
    }
    int has_val = val && val->n > 0;
    if (check_fit(n, train, "training set", err, errlen) ||
        (has_val && check_fit(n, val, "validation set", err, errlen)))
        return ISAC_EINVAL;
    struct isac_bilstm_seq *tv = views(train), *vv = has_val ? views(val) : NULL,
                           *batch = malloc(c->batch * sizeof *batch);
    size_t *perm = malloc(train->n * sizeof *perm);
    int rc = ISAC_OK;
    if (!tv || (has_val && !vv) || !batch || !perm) {
        isac_seterr(err, errlen, "out of memory");
        rc = ISAC_ENOMEM;
        goto out;
    }
    isac_rng r;
    isac_rng_seed_stream(&r, c->seed, 0x4c53544d); /* "LSTM": the minibatch order's stream */
    for (size_t i = 0; i < train->n; i++)
        perm[i] = i;
    for (unsigned e = 1; e <= c->epochs; e++) {
        for (size_t i = train->n; i > 1; i--) { /* Fisher-Yates, a fresh order every epoch */
            size_t j = (size_t)isac_rng_below(&r, i), t = perm[i - 1];
            perm[i - 1] = perm[j];
            perm[j] = t;
        }
        struct isac_lstm_epoch row = {.epoch = e};
        row.val = (struct isac_bilstm_metrics){NAN, NAN, NAN, 0};
        rc = epoch_run(n, c, tv, perm, train->n, batch, &row.train);
        if (!rc && has_val)
            rc = isac_bilstm_evaluate(n, vv, val->n, &row.val);
        if (rc) {
            isac_seterr(err, errlen, "epoch %u: %s", e, isac_strerror(rc));
            goto out;
        }
        if (hist)
            hist[e - 1] = row;
        if (ran)
            *ran = e;
        if (h && h->epoch && h->epoch(h->ctx, &row)) {
            isac_seterr(err, errlen, "stopped after epoch %u", e);
            rc = ISAC_EINTR;
            goto out;
        }
    }
out:
    free(tv);
    free(vv);
    free(batch);
    free(perm);
    return rc;
}
