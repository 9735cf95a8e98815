/* The evaluation behind `isactb bench policies` (docs/cli.md, docs/learning.md): steps
 * to detection of beam-selection policies on sim scenario seeds, per condition (transmit
 * power, P_FA), with common random numbers so that policies are compared pairwise.
 *
 * Per condition every policy runs `episodes` episodes (0..episodes-1) on a fresh
 * emulator "sim:seed=S,power=P,elements=M,episode_span=1" (episode-aligned time: every
 * policy meets the same scene, noise and fluctuation draws at the same step of the same
 * episode) with the default experiment and the given P_FA. Steps are CPIs (dwells
 * included) until the episode ended, max_steps of the default experiment at most.
 */
#ifndef ISACTB_EXP_POLICY_BENCH_H
#define ISACTB_EXP_POLICY_BENCH_H

#include <stddef.h>
#include <stdint.h>

#include "learn/qnet.h"

#define ISAC_POLICY_BENCH_MAX 16 /* policies of one bench, variants included */

/* A policy of the bench. */
struct isac_policy_bench_policy {
    char name[32];            /* row name: the registry name, or qnet_VARIANT */
    const char *kind;         /* registry name of the policy it runs */
    struct isac_qnet_file qf; /* weights (storage NULL: the compiled-in network) */
};

/* One policy under one condition. */
struct isac_policy_bench_row {
    unsigned pol;        /* index into the policy list */
    double power, pfa;   /* condition: dBm, per-cell P_FA */
    double mean, p95;    /* mean and 95th percentile (nearest rank) of the steps */
    double success;      /* fraction of episodes that ended in a confirmed detection */
    double mean_success; /* mean steps of the successful episodes (NAN: none) */
    double sem;          /* standard error of the mean steps (sample sd / sqrt(n); NAN: n < 2) */
};

/* Paired comparison of the qnet policy (a) with policy b on the same episodes:
 * diff = mean over episodes of steps_b - steps_a (> 0: qnet needs fewer steps). */
struct isac_policy_bench_cmp {
    unsigned a, b;
    double power, pfa, diff, sem;
};

/* Every registered policy, in the registry's order, leaving room for 3 variants
 * (at most ISAC_POLICY_BENCH_MAX - 3). pols must be zeroed. Returns the count. */
unsigned isac_policy_bench_registry(struct isac_policy_bench_policy *pols);

/* Read and validate a weights file into p (kind "qnet"): 1 loaded, 0 the file cannot be
 * opened (errno kept), -1 refused (one line "PATH: reason" in err). */
int isac_policy_bench_load_weights(const char *path, struct isac_policy_bench_policy *p, char *err,
                                   size_t errlen);

/* DIR/qnet_VARIANT.weights as policy "qnet_VARIANT": as isac_policy_bench_load_weights. */
int isac_policy_bench_load_variant(const char *dir, const char *variant,
                                   struct isac_policy_bench_policy *p, char *err, size_t errlen);

/* Keep only the policies named in the comma-separated list (order kept, the others'
 * weights freed): 0, or -1 when none is named (the list is then unchanged). */
int isac_policy_bench_select(const char *list, struct isac_policy_bench_policy *pols,
                             unsigned *npol);

/* Called after each row of a condition (NULL: none). */
typedef void (*isac_policy_bench_row_fn)(void *ctx, const struct isac_policy_bench_policy *p,
                                         const struct isac_policy_bench_row *row);

/* One condition: every policy over episodes 0..episodes-1 of scenario seed scen with
 * `elements` antennas per AP. Appends npol rows to rows[*nrows...]; steps[k * episodes
 * + e] receives the steps policy k used in episode e. threads: episodes run in parallel
 * on a pool of that many threads (0: every core), in runs of consecutive episodes cut
 * independently of the thread count, each on its own emulator (common random numbers:
 * episode-aligned time); the rows and steps are the same for any threads, and those of
 * one emulator per policy running every episode in order. ISAC_OK, or an isac_err with
 * one line in err (the first failing run's). */
int isac_policy_bench_condition(double power, double pfa, uint64_t scen, unsigned elements,
                                unsigned threads, unsigned episodes,
                                const struct isac_policy_bench_policy *pols, unsigned npol,
                                struct isac_policy_bench_row *rows, unsigned *nrows,
                                unsigned *steps, isac_policy_bench_row_fn on_row, void *ctx,
                                char *err, size_t errlen);

/* The paired differences of policy "qnet" against every other policy of a condition,
 * from its steps (isac_policy_bench_condition): appended to cmps[*ncmp...] (npol - 1 at most;
 * none without a policy named "qnet"). */
void isac_policy_bench_paired(const struct isac_policy_bench_policy *pols, unsigned npol,
                              const unsigned *steps, unsigned episodes, double power, double pfa,
                              struct isac_policy_bench_cmp *cmps, unsigned *ncmp);

/* Nanoseconds per qnet decision (policy_next: observed P_D, state input, forward pass,
 * argmax) of the compiled-in network: the minimum over 7 batches of 20000 decisions. */
double isac_policy_bench_qnet_inference_ns(void);

/* The figure (PLplot) at path (DIR/NAME.png) and as DIR/NAME.svg: mean steps versus
 * transmit power (P_FA 1e-3) and versus P_FA (20 dBm), one line per policy, names[k] in
 * the legend for policy k. Drawn in a child process (host/common/child.h): ISAC_OK, or
 * ISAC_EIO with one line in err. */
int isac_policy_bench_figure(const char *path, const struct isac_policy_bench_row *rows, unsigned n,
                             unsigned npol, const char *const *names, char *err, size_t errlen);

#endif
