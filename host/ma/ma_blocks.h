/* Block steps of seed 002's alternating optimisation: one call moves one block of the
 * design (the K beams, the powers, the Tx positions or the Rx positions) by monotone
 * projected ascent (ma_ascent.h) on an objective of the whole design, and never lowers it.
 *
 * Projections: beams -> unit norm per group (digest (37f)); powers -> the simplex
 * sum p = P_T, p >= 0 (37e); positions -> the exact minimum-spacing projection of the
 * segment (isac_ma_project, (37a)-(37d)). The design passed in must already be feasible.
 */
#ifndef ISACTB_MA_BLOCKS_H
#define ISACTB_MA_BLOCKS_H

#include "ma/ma_lpcrlb.h"

typedef double (*isac_ma_design_fn)(void *ctx, const struct isac_ma_design *d);

enum isac_ma_block { ISAC_MA_BLOCK_BEAMS, ISAC_MA_BLOCK_POWER, ISAC_MA_BLOCK_TX, ISAC_MA_BLOCK_RX };

/* Up to iters ascent iterations on block b of d for objective f; *step carries the step
 * size between calls (start with 0: a block default is used). Returns f(d) after. */
double isac_ma_block_step(const struct isac_ma_scene *s, enum isac_ma_block b, isac_ma_design_fn f,
                          void *ctx, struct isac_ma_design *d, unsigned iters, double *step);

#endif
