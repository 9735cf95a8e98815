/* Small fully connected networks for the trainers of host/learn: dense layers with
 * ReLU / leaky ReLU / sigmoid / linear activations, batched forward and backward
 * through OpenBLAS cblas_sgemm, and Adam.
 *
 * Layout: layer l maps in_l -> out_l, W_l is out_l x in_l row-major, b_l has out_l
 * entries; a batch is B rows of in_0 floats. All arithmetic is float; with one
 * OpenBLAS thread (the trainer sets it) a forward/backward pass is a deterministic
 * function of its inputs, which is what makes training reproducible bit for bit.
 * Parameters serialise in layer order, W then b.
 */
#ifndef ISACTB_LEARN_NN_H
#define ISACTB_LEARN_NN_H

#include <stddef.h>

#include "common/rng.h"

#define ISAC_NN_MAX_LAYERS 8

enum isac_nn_act { ISAC_NN_LINEAR = 0, ISAC_NN_RELU = 1, ISAC_NN_LEAKY = 2, ISAC_NN_SIGMOID = 3 };

typedef struct isac_mlp_s *isac_mlp;

struct isac_adam_cfg {
    float beta1, beta2; /* moment decays in [0, 1) (paper Table I: 0.9/0.999, GAN 0.5/0.999) */
    float eps;          /* denominator guard (1e-8) */
};

/* layers 1..NN_MAX_LAYERS; sizes[0..layers] widths (1..4096); acts[l] of layer l;
 * max_batch: largest batch of forward/backward (1..65536). Weights He/Xavier-uniform
 * from rng. NULL on bad arguments or memory. */
isac_mlp isac_mlp_create(unsigned layers, const unsigned *sizes, const enum isac_nn_act *acts,
                         unsigned max_batch, isac_rng *rng);
void isac_mlp_destroy(isac_mlp m);

unsigned isac_mlp_width(isac_mlp m, unsigned i); /* sizes[i], i = 0..layers */
size_t isac_mlp_num_params(isac_mlp m);

/* Forward B rows of x; the output (B x sizes[L]) is returned (valid until the next
 * forward). Keeps activations for isac_mlp_backward. NULL when B > max_batch. */
const float *isac_mlp_forward(isac_mlp m, const float *x, unsigned B);
/* Backward of the last forward: dy = dLoss/doutput (B x sizes[L]); accumulates
 * parameter gradients; dx (B x sizes[0], may be NULL) receives dLoss/dinput. */
void isac_mlp_backward(isac_mlp m, const float *dy, float *dx);
void isac_mlp_zero_grad(isac_mlp m);
/* One Adam step with learning rate lr on the accumulated gradients. */
void isac_mlp_adam_step(isac_mlp m, const struct isac_adam_cfg *a, float lr);

void isac_mlp_get_params(isac_mlp m, float *p); /* isac_mlp_num_params floats */
void isac_mlp_set_params(isac_mlp m, const float *p);
void isac_mlp_get_grads(isac_mlp m, float *g); /* accumulated gradients, same layout */

#endif
