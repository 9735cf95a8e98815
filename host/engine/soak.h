/* The soak of `isactb bench soak` (docs/reliability.md, "Soak"; docs/bench.md): a long
 * closed-loop run of the real pipeline on the episode engine (exp/episode.h), with the
 * process's memory sampled after a warm-up and at the end.
 *
 * Every CPI is one pipeline step with the experiment's policy choosing beams (default
 * policy options); every CPI is a search (no confirmation dwell), an episode ends after
 * max_steps CPIs or a declaration the policy may stop on, and the next scene is drawn
 * with the clock running on. Nothing accumulates per CPI by design.
 */
#ifndef ISACTB_EXP_SOAK_H
#define ISACTB_EXP_SOAK_H

#include <stddef.h>
#include <stdint.h>

#include "array/codebook.h"
#include "engine/config.h"
#include "radio.h"

/* The default radio of the soak: 4 elements per AP, 1 % drops and 1 % overflows. */
#define ISAC_EXP_SOAK_RADIO "sim:elements=4,drop_rate=0.01,overflow_rate=0.01"

/* The reduced soak configuration: isac_exp_config_defaults with ISAC_EXP_SOAK_RADIO, 8 beams,
 * 16 steps, a 256-sample probe, window guard 256, 64 noise bins, a 20 m grid. */
void isac_exp_soak_config_defaults(struct isac_exp_config *c);

struct isac_exp_soak_mem {
    long rss_kb;  /* resident set, KiB (/proc/self/statm; -1 unknown) */
    long heap_kb; /* malloc'd bytes in use, arena + mmap (mallinfo2), KiB */
};
struct isac_exp_soak_mem isac_exp_soak_mem_now(void);

struct isac_exp_soak_opts {
    unsigned long cpis;   /* CPIs in all (> warmup) */
    unsigned long warmup; /* CPIs before the first memory sample and the clock start */
    unsigned long leak;   /* bytes leaked per CPI after the warm-up on purpose (0: none) */
    /* Optional stop request (a signal handler's flag): when it reads non-zero the soak
     * ends after the current CPI with ISAC_EXP_SOAK_STOPPED. NULL: never. */
    const volatile int *stop;
};

struct isac_exp_soak_result {
    double secs;                     /* wall-clock seconds after the warm-up */
    double air_s;                    /* air time of those CPIs, seconds (ticks / sample rate) */
    struct isac_exp_soak_mem m0, m1; /* after the warm-up, at the end */
    uint64_t episodes;               /* episodes started */
    uint64_t dropped;                /* samples dropped by the radio */
    unsigned long cpis;              /* CPIs run (o->cpis unless stopped) */
};

enum isac_exp_soak_status {
    ISAC_EXP_SOAK_OK = 0,
    ISAC_EXP_SOAK_EINPUT = 1,
    ISAC_EXP_SOAK_ERUNTIME = 2,
    ISAC_EXP_SOAK_STOPPED = 3 /* o->stop was raised: res->cpis CPIs ran, memory not judged */
};

/* Run o->cpis CPIs on radio r and codebook cb with the experiment cfg: ISAC_EXP_SOAK_OK with
 * res filled; ISAC_EXP_SOAK_EINPUT (unknown policy, pipeline or engine refused) or
 * ISAC_EXP_SOAK_ERUNTIME (the loop failed), with one line in err. */
int isac_exp_soak_run(const struct isac_exp_soak_opts *o, const struct isac_exp_config *cfg,
                      isac_radio r, isac_codebook cb, struct isac_exp_soak_result *res, char *err,
                      size_t errlen);

#endif
