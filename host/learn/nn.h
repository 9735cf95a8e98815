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

#define NN_MAX_LAYERS 8

enum nn_act { NN_LINEAR = 0, NN_RELU = 1, NN_LEAKY = 2, NN_SIGMOID = 3 };

typedef struct mlp_s *mlp;

struct adam_cfg {
    float beta1, beta2; /* moment decays in [0, 1) (paper Table I: 0.9/0.999, GAN 0.5/0.999) */
    float eps;          /* denominator guard (1e-8) */
};

/* layers 1..NN_MAX_LAYERS; sizes[0..layers] widths (1..4096); acts[l] of layer l;
 * max_batch: largest batch of forward/backward (1..65536). Weights He/Xavier-uniform
 * from rng. NULL on bad arguments or memory. */
mlp mlp_create(unsigned layers, const unsigned *sizes, const enum nn_act *acts, unsigned max_batch,
               isac_rng *rng);
void mlp_destroy(mlp m);

unsigned mlp_width(mlp m, unsigned i); /* sizes[i], i = 0..layers */
size_t mlp_num_params(mlp m);

/* Forward B rows of x; the output (B x sizes[L]) is returned (valid until the next
 * forward). Keeps activations for mlp_backward. NULL when B > max_batch. */
const float *mlp_forward(mlp m, const float *x, unsigned B);
/* Backward of the last forward: dy = dLoss/doutput (B x sizes[L]); accumulates
 * parameter gradients; dx (B x sizes[0], may be NULL) receives dLoss/dinput. */
void mlp_backward(mlp m, const float *dy, float *dx);
void mlp_zero_grad(mlp m);
/* One Adam step with learning rate lr on the accumulated gradients. */
void mlp_adam_step(mlp m, const struct adam_cfg *a, float lr);

void mlp_get_params(mlp m, float *p); /* mlp_num_params floats */
void mlp_set_params(mlp m, const float *p);
void mlp_get_grads(mlp m, float *g); /* accumulated gradients, same layout */

#endif
