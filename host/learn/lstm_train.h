/* Training of a Bi-LSTM (host/learn/lstm.h) on sequence sets (host/learn/lstm_data.h):
 * epochs of shuffled minibatches, Adam, and per-epoch metrics on the training and the
 * validation set (accuracy for the assignment net, MSE for the beam net: the curves of
 * seed 000's Figs. 5 and 6). Same network, configuration, data and seed: the same
 * weights bit for bit, for every thread count (lstm.h "Determinism"). */
#ifndef ISACTB_LEARN_LSTM_TRAIN_H
#define ISACTB_LEARN_LSTM_TRAIN_H

#include <stddef.h>
#include <stdint.h>

#include "learn/lstm.h"
#include "learn/lstm_data.h"

struct isac_lstm_train_cfg {
    uint64_t seed;   /* minibatch order (the weights come from isac_bilstm_create's seed) */
    unsigned epochs; /* 1..1000000 (default 50) */
    unsigned batch;  /* sequences per step, 1..the network's max_batch (default 32) */
    float lr;        /* Adam learning rate, (0, 1] (default 1e-3) */
    struct isac_adam_cfg adam; /* default 0.9, 0.999, 1e-8 */
};

void isac_lstm_train_cfg_defaults(struct isac_lstm_train_cfg *c);
/* 0, or -1 with one line in err naming the field. */
int isac_lstm_train_cfg_check(const struct isac_lstm_train_cfg *c, char *err, size_t errlen);

/* One epoch's row. train: metrics over the epoch's minibatches as they were seen
 * (loss and accuracy of each batch before its step, weighted by elements: the usual
 * running training curve, no extra pass); val: the whole validation set after the
 * epoch (NAN loss when there is none). */
struct isac_lstm_epoch {
    unsigned epoch; /* 1-based */
    struct isac_bilstm_metrics train, val;
};

struct isac_lstm_train_hooks {
    void *ctx;
    /* After each epoch (may be NULL). Return non-zero to stop training there. */
    int (*epoch)(void *ctx, const struct isac_lstm_epoch *e);
};

/* Train n on train (validated against the network: in, out, head, max_len), reporting on
 * val (may be NULL or empty). hist (may be NULL): room for c->epochs rows, filled with
 * the epochs run; *ran (may be NULL) their number. 0, or a negative isac_err with one line
 * in err (ISAC_EINVAL: the data do not fit the network; ISAC_EINTR: stopped by the hook;
 * the weights are then those after the last finished epoch). */
int isac_lstm_train(isac_bilstm n, const struct isac_lstm_train_cfg *c,
                    const struct isac_seqset *train, const struct isac_seqset *val,
                    const struct isac_lstm_train_hooks *h, struct isac_lstm_epoch *hist,
                    unsigned *ran, char *err, size_t errlen);

#endif
