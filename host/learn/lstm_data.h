/* Sequence datasets for the Bi-LSTM (host/learn/lstm.h): sequences of variable length
 * held in memory as contiguous arrays with per-sequence offsets, and their file.
 *
 * File (binary, little-endian; docs/learning.md "Sequence data files"):
 *   offset  0  char[8]  magic "ISACSEQ1"
 *           8  u32      version (1)
 *          12  u32      in: features per step (1..4096)
 *          16  u32      out: targets per step (1..4096)
 *          20  u32      head: 0 classification (BCE targets in [0, 1]), 1 regression (MSE)
 *          24  u32      ball_groups: regression targets grouped into unit-ball vectors
 *                       (0: none; must divide out; each group's norm <= 1 + 1e-4)
 *          28  u32      max_len: longest sequence (1..65536); every len must be <= it
 *          32  u64      count: sequences (1..2^32)
 *          40  per sequence: u32 len (1..max_len), then len x in float32 features
 *              (step-major), then len x out float32 targets
 *   and nothing after the last sequence.
 * Reading validates every field and value (finite, ranges, truncation, trailing bytes);
 * a refusal is one line naming the file, the field (sequence, step, index) and the value.
 * Writing goes through path.tmp and a rename. */
#ifndef ISACTB_LEARN_LSTM_DATA_H
#define ISACTB_LEARN_LSTM_DATA_H

#include <stddef.h>
#include <stdint.h>

#include "learn/lstm.h"

#define ISAC_SEQSET_MAGIC "ISACSEQ1"
#define ISAC_SEQSET_VERSION 1

struct isac_seqset {
    unsigned in, out;
    unsigned head;        /* enum isac_bilstm_head the targets are meant for */
    unsigned ball_groups; /* see the file format */
    unsigned max_len;     /* longest sequence pushed so far */
    size_t n, cap;        /* sequences */
    size_t *off;          /* first step of sequence i */
    unsigned *len;        /* its steps */
    float *x, *y;         /* steps x in, steps x out */
    size_t steps, steps_cap;
};

/* An empty set for in -> out (1..4096 each) with the given head and ball_groups.
 * ISAC_OK or ISAC_EINVAL. */
int isac_seqset_init(struct isac_seqset *s, unsigned in, unsigned out, enum isac_bilstm_head head,
                     unsigned ball_groups);
/* Append one sequence of len (1..65536) steps: x (len x in), y (len x out), copied.
 * ISAC_OK, ISAC_EINVAL (len, a non-finite value, a BCE target outside [0, 1]) or
 * ISAC_ENOMEM. */
int isac_seqset_push(struct isac_seqset *s, unsigned len, const float *x, const float *y);
void isac_seqset_free(struct isac_seqset *s);
/* Sequence i as a isac_bilstm_seq (pointing into s). */
struct isac_bilstm_seq isac_seqset_get(const struct isac_seqset *s, size_t i);
/* Split s into the first n_first sequences and the rest (copies; both initialised here).
 * ISAC_OK, ISAC_EINVAL (n_first not in 1..n-1) or ISAC_ENOMEM. */
int isac_seqset_split(const struct isac_seqset *s, size_t n_first, struct isac_seqset *a,
                      struct isac_seqset *b);

/* Write s (at least one sequence). 0, or -1 with one line in err. */
int isac_seqset_write(const struct isac_seqset *s, const char *path, char *err, size_t errlen);
/* Read path into *s (initialised here; freed again on failure). 0, or -1 with one line in
 * err: "FILE: sequence 12: len: 0 outside 1..64", "FILE: sequence 3 step 2: x[5]: nan is
 * not finite", "FILE: count: 5 sequences announced, the file ends in sequence 4", ... */
int isac_seqset_read(const char *path, struct isac_seqset *s, char *err, size_t errlen);

#endif
