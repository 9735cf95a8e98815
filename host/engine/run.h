/* The closed loop of `isactb run` and `isactb replay`: episodes of policy-chosen plans on
 * the episode engine (exp/episode.h), each step one pipeline step (exp/pipeline.h), until
 * the P_D estimate reaches zeta or the step limit. Optionally records every CPI as SigMF
 * (radio/sigmf.h; the engine's record hook).
 *
 * Time: step s of the run (counted over all episodes) transmits at tick
 * s * round(step_interval_s * sample_rate); the emulator's clock is this sample count.
 */
#ifndef ISACTB_EXP_RUN_H
#define ISACTB_EXP_RUN_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "array/codebook.h"
#include "engine/pipeline.h"
#include "engine/config.h"
#include "radio.h"
#include "sigmf.h"

/* A watcher of the loop (the live view, host/serve/run_view.h): sees every CPI and every
 * episode's end, in the loop's thread; must return quickly (it may block only while a
 * viewer paused the run). */
struct isac_episode_cpi;
struct isac_episode_status;
struct isac_run_observer {
    void *ctx;
    void (*cpi)(void *ctx, const struct isac_episode_cpi *c);
    void (*episode)(void *ctx, const struct isac_episode_status *s);
    /* Policy `name` decides from episode `episode` on (the first, and every change); may
     * be NULL. */
    void (*policy_changed)(void *ctx, const char *name, uint64_t episode);
};
struct isac_episode_engine_s;

struct isac_run_hooks {
    /* One human-readable progress line per step (no newline); may be NULL. */
    void (*progress)(void *ctx, const char *line);
    /* One line per finished episode (no newline): its outcome; may be NULL. */
    void (*episode_line)(void *ctx, const char *line);
    void *ctx;
    /* Polled between steps; a non-zero return stops the run cleanly (SIGINT). */
    int (*should_stop)(void *ctx);
    /* Called after every step with the pipeline (its grid map is valid until the next
     * step) and the step's result; may be NULL. */
    void (*on_step)(void *ctx, struct isac_pipeline_s *p, unsigned episode, unsigned step,
                    const struct isac_pipeline_result *res);
    /* Array calibration applied to every CPI (isac_pipeline_set_calibration); NULL = none. */
    const struct isac_chan_correction *calibration;
    /* Replay: the recorded record of the CPI the radio just returned (the `file`
     * back end's isac_radio_file_current_annotation). When set, every CPI's episode, step,
     * plan and decision are compared with it and the first difference fails the run
     * with ISAC_ERADIO "replay diverged at CPI k: recorded KEY X, replayed Y". NULL:
     * no check. */
    const json_t *(*recorded)(void *ctx);
    /* Threads processing each CPI (isac_pipeline_set_threads); 0: every online core. The
     * results do not depend on it. */
    unsigned threads;
    /* Live view; NULL: none. */
    const struct isac_run_observer *observer;
    /* isactb fuse (host/net/): the per-AP blocks come from the nodes (isac_pipeline_set_source),
     * and on_engine is called once with the episode engine before the first episode (the
     * source reads the episode and step from its status). NULL: the radio. */
    const struct isac_pipeline_source *source;
    void (*on_engine)(void *ctx, struct isac_episode_engine_s *e);
    /* Asked before every episode: the policy (a registry name) that decides it, or NULL to
     * keep the current one (the live view's "change policy" control; replay: the policy
     * the capture recorded for that episode). A change takes effect at the episode's
     * start, never within an episode. Episodes run by a policy other than cfg->policy
     * carry "policy" in the result and "isactb:policy" in every recorded CPI. */
    const char *(*policy_for)(void *ctx, uint64_t episode);
};

/* Run cfg->episodes episodes on radio r with codebook cb. When w is not NULL every CPI
 * is appended to it (the caller finishes or aborts it). On success *out receives the
 * result object documented in docs/cli.md ("episodes", "summary", "counters").
 * Returns ISAC_OK, or a negative isac_err with one line in err (radio fault: the
 * partial result is still returned in *out when available). */
int isac_exp_run(const struct isac_exp_config *cfg, isac_radio r, isac_codebook cb,
                 isac_sigmf_writer w, const struct isac_run_hooks *hooks, json_t **out, char *err,
                 size_t errlen);

/* The codebook a config asks for: "dft" -> generated for the radio's TX array
 * (at the positions of info->tx_pos_wl, cfg->beams beams over -90..90 deg), otherwise the
 * file cfg->codebook. NULL with one line in err. */
isac_codebook isac_exp_codebook(const struct isac_exp_config *cfg,
                                const struct isac_radio_info *info, char *err, size_t errlen);

/* The policy cfg->policy names (isac_policy_registry_find), with the options of this pipeline (pfa,
 * grid size, zeta) and, for qnet with weights other than "builtin", the weights file cfg->weights
 * read and validated into *qf (free with isac_qnet_file_free after isac_policy_destroy). NULL with
 * one line in err
 * ("FILE: version: 2 is not supported", ...). */
#include "policy/policy.h"
isac_policy isac_exp_policy_create(const struct isac_exp_config *cfg, isac_pipeline p,
                                   isac_codebook cb, struct isac_qnet_file *qf, char *err,
                                   size_t errlen);

#endif
