/* Throughput benchmarks of the receive chain (the kernels of `isactb bench mf`,
 * docs/bench.md). No radio is involved: synthetic echoes in noise, FFTW_MEASURE plans.
 *
 * isac_bench_mf_row(C, L): per CPI of probe length L and C receive channels,
 *   (a) isac_mf_execute_multi() over the C channels (capture window W = 2L, K = L + 1 range
 *       bins, FFT size N = 2L) then isac_glrt_profile() at every range bin for one angle
 *       hypothesis per receive AP (channels grouped into APs of min(C, 4) elements);
 *   (b) the floor: one in-place forward and one inverse FFTW transform of size N per
 *       channel, nothing else.
 * isac_bench_grid_row(side): isac_grid_execute() over side x side cells of a 400 m x 400 m area,
 *   ISAC_BENCH_GRID_APS receive APs of ISAC_BENCH_GRID_M elements, CPI ISAC_BENCH_GRID_CPI.
 *
 * Each time is the best (minimum) per-run time in SECONDS over cfg->batches timed
 * batches of >= cfg->batch_s seconds each (CLOCK_MONOTONIC; (a) and (b) alternate).
 * Inputs are seeded: only the times vary between runs.
 */
#ifndef ISACTB_BENCH_BENCH_H
#define ISACTB_BENCH_BENCH_H

#include <stddef.h>

#define ISAC_BENCH_GRID_APS 4u    /* receive APs of the grid benchmark */
#define ISAC_BENCH_GRID_M 4u      /* elements per receive AP */
#define ISAC_BENCH_GRID_CPI 4096u /* CPI length L of the grid benchmark (K = L + 1 bins) */

struct isac_bench_cfg {
    double batch_s; /* minimum duration of one timed batch, seconds */
    int batches;    /* timed batches per figure (minimum taken), 1..16 */
};

/* One MF + GLRT row. */
struct isac_bench_row {
    unsigned C;           /* receive channels */
    size_t L;             /* CPI (probe) length, samples */
    double t_mf, t_floor; /* seconds per CPI: MF + GLRT, and the bare-FFT floor */
};

/* One grid-search row. */
struct isac_bench_grid_row {
    unsigned C;   /* channels (ISAC_BENCH_GRID_APS x ISAC_BENCH_GRID_M) */
    size_t L;     /* CPI length (ISAC_BENCH_GRID_CPI) */
    size_t cells; /* grid cells (side x side) */
    double t;     /* seconds per isac_grid_execute */
};

/* Time the MF + GLRT chain and its FFT floor for C channels (1..256, multiple of
 * min(C, 4)) and CPI length L. ISAC_OK or an ISAC_E* code (row untouched). */
int isac_bench_mf_row(unsigned C, size_t L, const struct isac_bench_cfg *cfg,
                      struct isac_bench_row *row);

/* Time the grid search over side x side cells. ISAC_OK or an ISAC_E* code. */
int isac_bench_grid_row(unsigned side, const struct isac_bench_cfg *cfg,
                        struct isac_bench_grid_row *row);

/* The FFT floor of one replayed CPI (isactb bench replay): C channels, each one forward
 * and one inverse out-of-place FFTW transform of N points (ESTIMATE plans, like the
 * pipeline's matched filter), the channels split evenly over `threads` threads
 * (common/pool.h; 0: every online core). *t receives the best seconds per CPI.
 * ISAC_EINVAL on bad arguments, ISAC_ENOMEM. */
int isac_bench_fft_floor_cpi(unsigned C, size_t N, unsigned threads,
                             const struct isac_bench_cfg *cfg, double *t);

/* Throughput of a row at per-CPI time t (row->t_mf or row->t_floor): millions of
 * samples per second over all channels, C * L / t / 1e6. The FFT floor ratio is
 * t_mf / t_floor (>= 1: how far the chain is from bare FFTs). */
double isac_bench_msps(const struct isac_bench_row *row, double t);

#endif
