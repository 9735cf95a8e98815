/* The dueling Q-network of seed 004 (Fig. 3, eq. (34)) as plain float tables, its
 * inference in C, and its two storage forms:
 *
 *   - a weights file (JSON, format "isactb-qnet", version 1; docs/learning.md): read by
 *     `isactb run --policy qnet --weights FILE`, written by `isactb train`;
 *   - generated C source (`static const float` arrays and one `const struct qnet_def`),
 *     compiled into the library (codebooks/qnet_default_weights.c).
 *
 * Network: input x = [embedding(mu) (emb), sigma_v(P_D), f_g] (host/learn/mdp.h),
 * FC h1 ReLU, FC h2 ReLU, then one linear layer h2 -> 1 + 2 tau whose first output is
 * the value U(s) and the others the advantages A(s, a) (the value and advantage heads
 * share that layer's input; stacking their rows is the same network).
 * Q(s, a) = U(s) + A(s, a) - max_a' A(s, a') (eq. (34)). Paper sizes: h1 32, h2 16.
 *
 * Parsing and formatting are pure (buffers in, buffers out); the caller does the I/O.
 */
#ifndef ISACTB_LEARN_QNET_H
#define ISACTB_LEARN_QNET_H

#include <stddef.h>

#define ISAC_QNET_FORMAT "isactb-qnet"
#define ISAC_QNET_VERSION 1
#define ISAC_QNET_LAYERS 3

struct isac_qnet_layer_def {
    unsigned in, out;
    int act;        /* enum isac_nn_act: 1 ReLU (hidden), 0 linear (last) */
    const float *W; /* out x in, row-major */
    const float *b; /* out */
};

struct isac_qnet_def {
    unsigned version; /* ISAC_QNET_VERSION */
    unsigned tau;     /* action range; 2 tau actions */
    unsigned emb;     /* embedding size I */
    double b3;        /* input sigmoid steepness (eq. (33)) the net was trained with */
    struct isac_qnet_layer_def l[ISAC_QNET_LAYERS];
};

/* Shapes, activations and finiteness. When want_tau / want_emb are non-zero they must
 * match too. 0, or -1 with one line in err naming what is wrong. */
int isac_qnet_def_check(const struct isac_qnet_def *d, unsigned want_tau, unsigned want_emb,
                        char *err, size_t errlen);

/* Q values of one input x (emb + 2 floats) into q (2 tau floats). scratch: at least
 * l[0].out + l[1].out + l[2].out floats. */
void isac_qnet_q_values(const struct isac_qnet_def *d, const float *x, float *q, float *scratch);
/* Index of the largest entry (first on ties). */
unsigned isac_qnet_argmax(const float *q, unsigned n);

/* A parsed weights file: owns its arrays. */
struct isac_qnet_file {
    struct isac_qnet_def def;
    float *storage;
};

/* Parse a weights file held in memory (len bytes). 0, or -1 with one line in err
 * ("version: 2 is not supported", "layers[1].weights: 511 values, expected 512",
 * "layers[0].bias[3]: not finite", ...). want_tau / want_emb as in qnet_def_check. */
int isac_qnet_file_parse(const char *text, size_t len, unsigned want_tau, unsigned want_emb,
                         struct isac_qnet_file *out, char *err, size_t errlen);
void isac_qnet_file_free(struct isac_qnet_file *f);

/* Weights file text of d (malloc'd, NUL-terminated); provenance_json: a JSON object
 * text stored under "provenance" (may be NULL). NULL on memory failure. */
char *isac_qnet_format_json(const struct isac_qnet_def *d, const char *provenance_json);
/* Generated C source defining `const struct qnet_def SYMBOL` (needs "learn/qnet.h"),
 * preceded by the comment header_comment (one or more lines, no comment markers).
 * Floats printed with %a: exact. malloc'd; NULL on memory failure. */
char *isac_qnet_format_c(const struct isac_qnet_def *d, const char *symbol,
                         const char *header_comment);

/* The network compiled into the library (codebooks/qnet_default_weights.c). */
extern const struct isac_qnet_def isac_qnet_default;

#endif
