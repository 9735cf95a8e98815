/* Internals of the Bi-LSTM shared by lstm.c (compute) and lstm_io.c (storage); not a
 * public interface. */
#ifndef ISACTB_LEARN_LSTM_IMPL_H
#define ISACTB_LEARN_LSTM_IMPL_H

#include <stddef.h>

#include "learn/lstm.h"

/* One worker's activations and backward scratch for a chunk of at most `chunk`
 * sequences of at most max_len steps (R = chunk x max_len rows, time-major). */
struct isac_bilstm_work {
    float *X0;                           /* R x in: the chunk's inputs */
    float *Xr;                           /* R x max(in, 2h): reversed layer input */
    float *G[ISAC_BILSTM_MAX_LAYERS][2]; /* R x 4h: activated gates i, f, g, o */
    float *C[ISAC_BILSTM_MAX_LAYERS][2], *H[ISAC_BILSTM_MAX_LAYERS][2]; /* R x h, direction order */
    float *Y[ISAC_BILSTM_MAX_LAYERS];           /* R x 2h: layer outputs, natural order */
    float *A[ISAC_BILSTM_MAX_DENSE + 1];        /* R x width: dense outputs; last = logits */
    float *dZ, *dH, *dX, *dX2, *dY, *dA0, *dA1; /* backward scratch */
    float *dh, *dc;                             /* chunk x h: recurrent gradients */
    unsigned *len;                              /* chunk: the chunk's lengths */
};

/* Loss sums of one chunk, reduced in chunk order. */
struct isac_chunk_acc {
    double loss, sq;
    size_t correct, elements;
};

struct isac_bilstm_s {
    struct isac_bilstm_cfg c;
    unsigned chunk, nchunks; /* effective chunk; chunks of a max_batch batch */
    size_t np;
    float *p, *g, *m, *v; /* parameters, gradient, Adam moments */
    long t;               /* Adam steps */
    /* parameter offsets (lstm.h layout) */
    unsigned din[ISAC_BILSTM_MAX_LAYERS];
    size_t oW[ISAC_BILSTM_MAX_LAYERS][2], oU[ISAC_BILSTM_MAX_LAYERS][2],
        ob[ISAC_BILSTM_MAX_LAYERS][2];
    unsigned fin[ISAC_BILSTM_MAX_DENSE + 1], fout[ISAC_BILSTM_MAX_DENSE + 1];
    size_t oFW[ISAC_BILSTM_MAX_DENSE + 1], oFb[ISAC_BILSTM_MAX_DENSE + 1];
    float **cg;                   /* nchunks per-chunk gradients */
    struct isac_chunk_acc *closs; /* nchunks */
    struct isac_bilstm_work *w;   /* nw workspaces (one per thread) */
    unsigned nw;
};

/* A network of configuration c with zero parameters (storage fills them). */
isac_bilstm isac_bilstm_create_raw(const struct isac_bilstm_cfg *c, char *err, size_t errlen);

#endif
