/* Bidirectional LSTM over variable-length sequences, with a dense ReLU head and a
 * per-step output, trained by backpropagation through time and Adam (seed 000, section
 * VI; docs/learning.md "Bi-LSTM"). Two such networks replace the assignment/beam
 * optimiser: an assignment net (per-step sigmoid, binary cross-entropy) and a beam net
 * (linear output, mean squared error, each beam projected onto the unit ball ||f|| <= 1).
 *
 * A sequence is the slot's vehicles sorted by position: step t of a sequence of len
 * steps is vehicle t, with `in` features; the network gives `out` values per step. Every
 * step sees both neighbours' sides through the two directions.
 *
 * Network (per step t, for each Bi-LSTM layer l = 0..layers-1, with input x_t of width
 * d_l: d_0 = in, d_l = 2 hidden for l > 0):
 *   z_t = W x_t + U h_{t-1} + b               (4 hidden rows, gate order i, f, g, o)
 *   i = sigma(z_i), f = sigma(z_f), g = tanh(z_g), o = sigma(z_o)
 *   c_t = f c_{t-1} + i g,  h_t = o tanh(c_t),  h_{-1} = c_{-1} = 0    (standard cell)
 * once from t = 0 up (forward direction) and once from t = len-1 down (backward
 * direction, its own W, U, b); the layer's output at t is [h_fwd_t, h_bwd_t]. Then
 * `ndense` dense ReLU layers and a linear output layer, applied at every step.
 * Heads:
 *   ISAC_BILSTM_HEAD_BCE: y = sigma(z) per output; loss = mean binary cross-entropy against
 *                    targets in [0, 1] (computed from the logit: stable at any z);
 *   ISAC_BILSTM_HEAD_MSE: y = z, or with ball_groups = G > 0 the out values split into G equal
 *                    consecutive groups (a beam's [Re f, Im f]) each projected onto the
 *                    unit ball, p(z) = z / max(1, ||z||) (differentiated through);
 *                    loss = mean squared error of y against the targets.
 * The mean runs over every valid (step, output) of the batch: padded steps do not exist
 * for the network (the backward direction starts at each sequence's own last step).
 *
 * Parameters, in this order (get_params / save / the C tables): for each layer l, for
 * direction fwd then bwd: W (4h x d_l, row-major), U (4h x h), b (4h); then for each
 * dense layer W (width x previous width), b; then the output W (out x previous), b.
 * Initialisation from the seed: W, U Xavier-uniform, b = 0 but the forget-gate bias 1
 * (Jozefowicz et al. 2015), dense layers He-uniform, output Xavier-uniform.
 *
 * Determinism: a batch is cut into fixed chunks of `chunk` sequences; each chunk's
 * gradient is computed on its own (in parallel with threads > 1) and the chunks are
 * summed in chunk order, so the gradient, and with it training, is the same bit for bit
 * for every thread count. OpenBLAS must run one thread (openblas_set_num_threads(1), as
 * `isactb train` does): the products are then a fixed function of their inputs.
 *
 * An object is not safe for concurrent calls (it owns its scratch); use one object per
 * thread for inference (isac_bilstm_clone).
 */
#ifndef ISACTB_LEARN_LSTM_H
#define ISACTB_LEARN_LSTM_H

#include <stddef.h>
#include <stdint.h>

#include "learn/nn.h" /* struct isac_adam_cfg */

#define ISAC_BILSTM_FORMAT "isactb-bilstm"
#define ISAC_BILSTM_VERSION 1
#define ISAC_BILSTM_MAX_LAYERS 4
#define ISAC_BILSTM_MAX_DENSE 4

enum isac_bilstm_head { ISAC_BILSTM_HEAD_BCE = 0, ISAC_BILSTM_HEAD_MSE = 1 };

struct isac_bilstm_cfg {
    unsigned in;                           /* features per step, 1..4096 */
    unsigned hidden;                       /* LSTM units per direction, 1..1024 */
    unsigned layers;                       /* stacked Bi-LSTM layers, 1..BILSTM_MAX_LAYERS */
    unsigned ndense;                       /* dense ReLU layers, 0..BILSTM_MAX_DENSE */
    unsigned dense[ISAC_BILSTM_MAX_DENSE]; /* their widths, 1..4096 */
    unsigned out;                          /* outputs per step, 1..4096 */
    enum isac_bilstm_head head;            /* BCE (assignment) or MSE (beams) */
    unsigned ball_groups;                  /* MSE head: unit-ball groups (0: none; divides out) */
    unsigned max_len;                      /* longest sequence accepted, 1..65536 */
    unsigned max_batch;                    /* most sequences per loss_grad call, 1..65536 */
    unsigned chunk;                        /* sequences per gradient chunk (0: 16), see above */
    unsigned threads;                      /* workers of loss_grad/evaluate (0 or 1: none) */
};

/* Fill c with defaults for in -> out: hidden 32, 1 layer, one dense layer of 32, BCE,
 * no ball, max_len 256, max_batch 64, chunk 16, 1 thread. */
void isac_bilstm_cfg_defaults(struct isac_bilstm_cfg *c, unsigned in, unsigned out);
/* 0, or -1 with one line in err naming the field and value. */
int isac_bilstm_cfg_check(const struct isac_bilstm_cfg *c, char *err, size_t errlen);

typedef struct isac_bilstm_s *isac_bilstm;

/* A new network with weights drawn from seed. NULL on a bad configuration (err says
 * which field) or memory. */
isac_bilstm isac_bilstm_create(const struct isac_bilstm_cfg *c, uint64_t seed, char *err,
                               size_t errlen);
/* A copy (weights, configuration; fresh Adam state), e.g. one per inference thread. */
isac_bilstm isac_bilstm_clone(isac_bilstm n);
void isac_bilstm_destroy(isac_bilstm n);

const struct isac_bilstm_cfg *isac_bilstm_get_cfg(isac_bilstm n);
size_t isac_bilstm_num_params(isac_bilstm n);
void isac_bilstm_get_params(isac_bilstm n,
                            float *p); /* isac_bilstm_num_params floats, layout above */
void isac_bilstm_set_params(isac_bilstm n, const float *p);
void isac_bilstm_get_grads(isac_bilstm n, float *g); /* gradient of the last loss_grad */
/* Thread count of loss_grad/evaluate (results do not depend on it). */
void isac_bilstm_set_threads(isac_bilstm n, unsigned threads);

/* One sequence (x: len x in floats, step-major) -> y (len x out): probabilities (BCE
 * head) or the projected outputs (MSE head). ISAC_OK, or ISAC_EINVAL when len is 0 or
 * above max_len. */
int isac_bilstm_forward(isac_bilstm n, unsigned len, const float *x, float *y);

/* A sequence of a batch: len steps (1..max_len), x (len x in), y targets (len x out,
 * for BCE each in [0, 1]; unused by isac_bilstm_forward). */
struct isac_bilstm_seq {
    unsigned len;
    const float *x;
    const float *y;
};

/* Loss and accuracy over a set of sequences. */
struct isac_bilstm_metrics {
    double loss;     /* mean over the valid (step, output) elements */
    double accuracy; /* BCE: share of elements with (y >= 0.5) == (target >= 0.5); MSE: NAN */
    double mse;      /* mean squared error of the final outputs (both heads) */
    size_t elements; /* valid (step, output) elements */
};

/* Mean loss of the nb sequences of seq (1..max_batch) and its gradient with respect to
 * every parameter (replacing the previous gradient); m (may be NULL) gets the batch's
 * metrics. ISAC_OK, ISAC_EINVAL (nb or a len out of range), ISAC_ENOMEM (a worker
 * thread could not start). */
int isac_bilstm_loss_grad(isac_bilstm n, const struct isac_bilstm_seq *seq, unsigned nb,
                          struct isac_bilstm_metrics *m);
/* The metrics of any number of sequences (forward only, in chunks). */
int isac_bilstm_evaluate(isac_bilstm n, const struct isac_bilstm_seq *seq, size_t ns,
                         struct isac_bilstm_metrics *m);

/* One Adam step (Kingma & Ba, bias correction folded into the step size, as nn.h's)
 * with learning rate lr on the gradient of the last loss_grad. */
void isac_bilstm_adam_step(isac_bilstm n, const struct isac_adam_cfg *a, float lr);

/* Benchmarks only (`isactb bench lstm`, decision time of a scheme): mean wall-clock
 * seconds of one isac_bilstm_forward of a len-step sequence of inputs drawn from seed (uniform
 * in [-1, 1]), repeated for at least min_s seconds (and at least 3 times). NAN when len
 * is out of range or memory runs out. */
double isac_bilstm_time_forward(isac_bilstm n, unsigned len, double min_s, uint64_t seed);

/* ---- storage ----
 * Weights file: JSON {"format": "isactb-bilstm", "version": 1, "in", "hidden",
 * "layers", "dense": [...], "out", "head": "bce"|"mse", "ball_groups", "params": [...],
 * "provenance": {...}} (docs/learning.md "Bi-LSTM weights"); floats exact. */
/* Write n to path through path.tmp and a rename (never over another run's temporary).
 * provenance_json: a JSON object text (may be NULL). 0, or -1 with one line in err. */
int isac_bilstm_save(isac_bilstm n, const char *path, const char *provenance_json, char *err,
                     size_t errlen);
/* Read and validate a weights file (every shape, every value finite); max_len,
 * max_batch, chunk and threads as in want (may be NULL: defaults). want, when not NULL
 * and its in/out non-zero, must also match in, out and head ("in: 130, expected 260").
 * NULL with one line in err naming the file, field and value. */
isac_bilstm isac_bilstm_load(const char *path, const struct isac_bilstm_cfg *want, char *err,
                             size_t errlen);

/* The network as compiled-in tables (generated by isac_bilstm_format_c). */
struct isac_bilstm_def {
    unsigned version; /* ISAC_BILSTM_VERSION */
    unsigned in, hidden, layers, ndense, dense[ISAC_BILSTM_MAX_DENSE], out;
    int head; /* enum isac_bilstm_head */
    unsigned ball_groups;
    size_t nparams;
    const float *params; /* nparams floats, layout above */
};
/* Shapes (nparams must be what they imply) and finite values. 0, or -1 with one line. */
int isac_bilstm_def_check(const struct isac_bilstm_def *d, char *err, size_t errlen);
/* A network from compiled-in tables (copied), after isac_bilstm_def_check; run-time fields
 * (max_len, max_batch, chunk, threads) from want (may be NULL: defaults). */
isac_bilstm isac_bilstm_from_def(const struct isac_bilstm_def *d,
                                 const struct isac_bilstm_cfg *want, char *err, size_t errlen);
/* Generated C source defining `const struct bilstm_def SYMBOL` (needs "learn/lstm.h"),
 * preceded by header_comment; floats with %a (exact). malloc'd; NULL on memory. */
char *isac_bilstm_format_c(isac_bilstm n, const char *symbol, const char *header_comment);

#endif
