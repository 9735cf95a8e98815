/* Fusion of per-AP unit outputs (detect/ap_unit.h) into one CPI's detection decision.
 *
 * Given the N receive APs' blocks of one CPI, in AP order:
 *   Lambda(P) = sum_n term_n(P) over the APs that see P (float, summed in AP order, so the
 *               map is bit for bit what one isac_grid_execute over all APs gives);
 *   N_P       = number of APs that see P; threshold(P) = chi2inv_{2 N_P}(1 - pfa)/2
 *               (+inf where N_P = 0: never detected);
 *   cells_over = cells with Lambda > threshold (about pfa * cells under H0).
 * Decision (docs/pipeline.md):
 *   - search (no focus): the most significant cell (smallest H0 tail, grid.h) is declared
 *     when that tail is below pfa / (cells seen by any AP): Bonferroni over the grid, so a
 *     false declaration happens in at most pfa of the noise-only CPIs;
 *   - confirmation (focus): only cells within focus radius, each at the per-cell pfa,
 *     Bonferroni over that neighbourhood (the paper's known-position detector).
 * P_D estimate: seed 004 eq. (24) for the chosen cell's N_P at the per-cell pfa and the
 * bias-corrected non-centrality max(0, 2 Lambda - 2 N_P); 0 without a declaration.
 *
 * A fusion object owns its maps; it holds no per-unit state, so the units may have run
 * anywhere. Units: metres, samples, probabilities.
 */
#ifndef ISACTB_DETECT_FUSION_H
#define ISACTB_DETECT_FUSION_H

#include <stddef.h>
#include <stdint.h>

#include "detect/ap_unit.h"
#include "detect/grid.h"

typedef struct isac_fusion_s *isac_fusion;

struct isac_fusion_config {
    unsigned N;                 /* receive APs, 1..GRID_MAX_APS */
    struct isac_grid_spec spec; /* the grid every unit computed its terms on (grid.h limits) */
    double pfa;                 /* per-cell false-alarm probability, [1e-12, 0.5] */
};

/* Confirmation dwell: test only cells near a declared position. */
struct isac_fusion_focus {
    double x, y;     /* m */
    double radius_m; /* m, >= 0 */
};

struct isac_fusion_result {
    int detected;        /* declaration (search) or confirmation (focus) */
    double lambda;       /* Lambda at the chosen cell (0 when a focus holds no seen cell) */
    double threshold;    /* that cell's per-cell threshold */
    unsigned num_aps;    /* N_P of that cell */
    double x, y;         /* its centre, m */
    double pd;           /* P_D estimate (0 when not detected) */
    unsigned cells_over; /* cells above their own threshold */
    size_t cells_seen;   /* cells seen by at least one AP */
    double noise_var[ISAC_GRID_MAX_APS]; /* per AP, from the blocks */
};

/* NULL on bad arguments or allocation failure. */
isac_fusion isac_fusion_create(const struct isac_fusion_config *cfg);
void isac_fusion_destroy(isac_fusion f);

/* out[n] (n < N) is AP n's block of one CPI: h.ap == n, same ncells as the grid, same cpi
 * and beam labels in all blocks; z is not read. focus NULL: search. ISAC_EINVAL when the
 * blocks do not fit together (nothing is changed then). */
int isac_fusion_execute(isac_fusion f, const struct isac_ap_unit_out *const *out,
                        const struct isac_fusion_focus *focus, struct isac_fusion_result *res);

/* Maps of the last execute, nx * ny cells (row-major as grid.h): Lambda and the per-cell
 * threshold (float; +inf where no AP sees the cell). */
const float *isac_fusion_stat(isac_fusion f);
const float *isac_fusion_threshold(isac_fusion f);

#endif
