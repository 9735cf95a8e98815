/* Monotone projected ascent on one block of real variables (used by every seed 002 step
 * that moves beams, powers or positions).
 *
 * One iteration: central-difference gradient g of f at v (step h per coordinate), then
 * backtracking on the step t: v' = proj(v + t g); v' is accepted only when f(v') > f(v),
 * else t is halved (up to 30 times; the block is then at a stationary point to within
 * the step, and iterations stop). After an accepted step t doubles for the next iteration.
 * So f never decreases: the PRE-SC-PGA monotonicity the paper proves for its AO holds by
 * construction here, and tests/test_ma_opt.c checks it per iteration.
 *
 * Numerical gradients: the objectives are smooth and cost microseconds (ma_lpcrlb.c), so
 * 2n evaluations per gradient are cheaper to get right than closed-form derivatives of the
 * Schur-complemented FIM; the gradient only proposes a direction, the acceptance test
 * uses the exact objective.
 */
#ifndef ISACTB_MA_ASCENT_H
#define ISACTB_MA_ASCENT_H

typedef double (*isac_ma_obj_fn)(void *ctx, const double *v);
typedef void (*isac_ma_proj_fn)(void *ctx, double *v);

#define ISAC_MA_ASCENT_MAXN 512u

/* Runs up to iters iterations on v (n <= ISAC_MA_ASCENT_MAXN, v feasible on entry: proj(v) = v).
 * *step is the initial t and receives the last one (carry it between calls). Returns the
 * final f(v). */
double isac_ma_ascent(isac_ma_obj_fn f, isac_ma_proj_fn proj, void *ctx, double *v, unsigned n,
                      double h, unsigned iters, double *step);

/* Euclidean projection of p (1 <= n <= ISAC_MA_ASCENT_MAXN) onto { p >= 0, sum p = total }
 * (exact, sort-based). */
void isac_ma_project_simplex(double *p, unsigned n, double total);

#endif
