/* The episode engine: the one closed loop of isactb. `run`, `replay` (the same loop on
 * the file radio), the training environment (exp/mdp_env.h), `bench policies` and
 * `bench soak` all run it; what differs between them is configuration (struct
 * isac_episode_rules) and hooks (struct isac_episode_hooks), never a copy of the loop.
 *
 * One CPI of the loop:
 *   plan      the policy's decision (or the choose hook's, for training), or the plan of
 *             the declaration being confirmed
 *   step      isac_pipeline_step at the engine's tick (exp/pipeline.h), then tick += step_ticks
 *   record    the record hook (the only place a CPI is written to a capture)
 *   on_step   the caller's view of the CPI (logs, progress, memory probes)
 *   observe   isac_policy_observe, and the observation the next decision gets as prev
 *   dwell     a declaration the policy may stop on (isac_policy_may_stop) starts one
 *             confirmation dwell with the same plan near the declared position, when
 *             rules.confirm_radius_m > 0 and the step budget allows it
 *   terminal  ISAC_EPISODE_END_CONFIRMED: declared with P_D >= zeta (after the dwell when there
 *             is one); ISAC_EPISODE_END_DECLARED: any declaration the policy may stop on
 * until terminal, rules.max_steps CPIs, or should_stop. Steps count CPIs (a dwell is one).
 *
 * Time: CPI s transmits at the engine's tick, which advances by step_ticks =
 * max(round(step_interval_s * fs), W) per CPI; ISAC_EPISODE_START_SCENE lets a scenario radio
 * move it forward at each episode start (isac_radio_start_episode, sim:episode_span).
 */
#ifndef ISACTB_EXP_EPISODE_H
#define ISACTB_EXP_EPISODE_H

#include <stddef.h>
#include <stdint.h>

#include "array/codebook.h"
#include "engine/config.h"
#include "engine/pipeline.h"
#include "plan/plan.h"
#include "policy/policy.h"
#include "radio.h"

typedef struct isac_episode_engine_s *isac_episode_engine;
struct isac_episode_status;

enum isac_episode_end {
    ISAC_EPISODE_END_CONFIRMED = 0, /* declared (confirmed by the dwell) with P_D >= zeta */
    ISAC_EPISODE_END_DECLARED = 1   /* any declaration the policy may stop on (soak) */
};

enum isac_episode_start {
    /* isac_radio_start_episode on a ISAC_RADIO_CAP_SCENARIO radio (a new scene; its clock may jump
     * forward), nothing on others: run, replay, training, bench policies */
    ISAC_EPISODE_START_SCENE = 0,
    /* isac_radio_new_episode from the second episode on (ISAC_ENOTSUP ignored), the clock runs
     * on: the soak, whose first episode is the scene the radio opened with */
    ISAC_EPISODE_START_NEXT_SCENE = 1
};

struct isac_episode_rules {
    unsigned max_steps;      /* CPIs per episode; 0: no limit (a caller-driven env) */
    double zeta;             /* P_D an episode must reach (ISAC_EPISODE_END_CONFIRMED) */
    double confirm_radius_m; /* > 0: a declaration is confirmed by one dwell; 0: none */
    enum isac_episode_end end;
    enum isac_episode_start start;
};
/* The rules of `isactb run` for an experiment: max_steps, zeta, confirm_radius_m. */
void isac_episode_rules_from_config(struct isac_episode_rules *r,
                                    const struct isac_exp_config *cfg);

/* What the hooks see after a CPI (valid during the call). */
struct isac_episode_cpi {
    isac_pipeline p; /* its RX windows and grid hold this CPI until the next step */
    uint64_t episode;
    unsigned step;                           /* 0-based CPI index in the episode */
    const struct isac_tx_plan_s *plan;       /* transmitted */
    const struct isac_pipeline_focus *focus; /* the dwell's, NULL for a search CPI */
    const struct isac_pipeline_result *res;
    int64_t tick; /* of the TX burst and RX window */
};

struct isac_episode_hooks {
    void *ctx;
    /* Polled before every CPI; non-zero stops: isac_episode_advance returns ISAC_EPISODE_STOPPED.
     */
    int (*should_stop)(void *ctx);
    /* Chooses the plan instead of the policy (training's actions); *plan must stay valid
     * until the next choose call (a dwell re-transmits it); a non-zero return aborts
     * with that code. NULL: the policy decides. */
    int (*choose)(void *ctx, const struct isac_policy_obs *prev,
                  const struct isac_tx_plan_s **plan);
    /* Records the CPI (the capture writer) or checks it against a recording (replay); a
     * negative isac_err aborts with that code and one line written to err (ISAC_EIO: the
     * write failed; ISAC_ERADIO: replay diverged from the recording). */
    int (*record)(void *ctx, const struct isac_episode_cpi *c, char *err, size_t errlen);
    void (*on_step)(void *ctx, const struct isac_episode_cpi *c);
    /* After every episode isac_episode_run_episodes ran (also one cut short by an error or a
     * stop, not one whose start failed). */
    void (*on_episode)(void *ctx, const struct isac_episode_status *s);
};

/* Returned by episode_advance/episode_run when should_stop asked to stop. */
#define ISAC_EPISODE_STOPPED 1

/* The engine over pipeline p, radio r and the codebook cb the pipeline was made with (all
 * borrowed). step_ticks from cfg->step_interval_s and the radio's sample rate. NULL with
 * one line in err. */
isac_episode_engine isac_episode_engine_create(isac_pipeline p, isac_radio r, isac_codebook cb,
                                               const struct isac_exp_config *cfg,
                                               const struct isac_episode_rules *rules, char *err,
                                               size_t errlen);
void isac_episode_engine_destroy(isac_episode_engine e);

/* Start episode ep: the radio per rules.start, isac_policy_reset(pol, ep) (pol may be NULL),
 * a fresh episode state. Negative isac_err with one line in err on a radio fault. */
int isac_episode_begin(isac_episode_engine e, isac_policy pol, uint64_t ep, char *err,
                       size_t errlen);
/* Run the loop. decisions > 0: stop once that many decisions were made and their dwells
 * are done (one MDP step: decisions = 1; the end or a pending dwell of an earlier
 * call is cleared first); 0: until the episode ends. ISAC_OK, ISAC_EPISODE_STOPPED, or a negative
 * isac_err with one line in err ("episode E step S: why"). */
int isac_episode_advance(isac_episode_engine e, isac_policy pol, const struct isac_episode_hooks *h,
                         unsigned decisions, char *err, size_t errlen);
/* isac_episode_begin + isac_episode_advance(0). */
int isac_episode_run(isac_episode_engine e, isac_policy pol, uint64_t ep,
                     const struct isac_episode_hooks *h, char *err, size_t errlen);

/* Episodes first, first + 1, ... (count 0: until should_stop or an error), each
 * isac_episode_run, with on_episode after each. */
int isac_episode_run_episodes(isac_episode_engine e, isac_policy pol, uint64_t first,
                              uint64_t count, const struct isac_episode_hooks *h, char *err,
                              size_t errlen);
/* Replace the rules (the training env runs caller-driven steps without a step limit and
 * policy episodes with one). */
void isac_episode_engine_set_rules(isac_episode_engine e, const struct isac_episode_rules *rules);

/* State of the current episode. */
struct isac_episode_status {
    uint64_t episode;
    unsigned steps;             /* CPIs so far */
    int terminal;               /* the episode ended (confirmed / declared) */
    int confirming;             /* the next CPI is a confirmation dwell */
    int have_obs;               /* obs holds the last CPI */
    struct isac_policy_obs obs; /* last CPI's observation */
    int64_t tick;               /* of the next CPI */
    int64_t step_ticks;
};
const struct isac_episode_status *isac_episode_engine_status(isac_episode_engine e);
/* The plan of codebook beam q (made once per beam, owned by the engine); NULL when q is
 * outside the codebook. */
const struct isac_tx_plan_s *isac_episode_engine_beam_plan(isac_episode_engine e, unsigned q);

#endif
