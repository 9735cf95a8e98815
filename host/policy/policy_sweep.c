/* sweep: seed 004's exhaustive beam sweeping (policy.h): a measuring round over every beam
 * that may not stop, then the round's best beam, which may. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "policy/policy.h"

/* Position in the round (0..Q-1 measuring, Q: the committed beam). */
struct sweep {
    unsigned Q;
    struct isac_policy_opts o;
    struct isac_policy_pd_cache pdc;
    unsigned next; /* index of the next step of the round, 0..Q */
    int measuring; /* the last step chosen was a measuring step */
    unsigned best; /* beam of the round's best observation so far */
    double best_pd, best_lambda;
};

static void *sweep_create(const struct isac_policy_args *a)
{
    struct sweep *s = calloc(1, sizeof *s);
    if (s) {
        s->Q = a->num_beams;
        s->o = a->opts;
    }
    return s;
}

static void sweep_reset(void *st, uint64_t episode)
{
    struct sweep *s = st;
    (void)episode;
    s->next = 0;
    s->measuring = 0;
    s->best = 0;
    s->best_pd = s->best_lambda = 0;
}

static int sweep_decide(void *st, const struct isac_policy_obs *prev,
                        struct isac_policy_decision *d)
{
    struct sweep *s = st;
    if (prev && s->measuring) {
        double pd = isac_policy_pd_cached(&s->pdc, &s->o, prev);
        if (pd > s->best_pd || (pd == s->best_pd && prev->lambda > s->best_lambda)) {
            s->best = prev->beam;
            s->best_pd = pd;
            s->best_lambda = prev->lambda;
        }
    }
    if (s->next == 0) { /* a new round: nothing measured yet */
        s->best_pd = -1.0;
        s->best_lambda = -INFINITY;
    }
    if (s->next < s->Q) {
        s->measuring = 1;
        d->beam = s->next++;
        return ISAC_OK;
    }
    s->measuring = 0;
    s->next = 0; /* the round after a miss starts over */
    d->beam = s->best;
    return ISAC_OK;
}

static int sweep_may_stop(void *st)
{
    return !((const struct sweep *)st)->measuring;
}

const struct isac_policy_vtable policy_sweep = {
    .name = "sweep",
    .summary = "seed 004's exhaustive sweep: a whole round, then its best beam",
    .caps = ISAC_POLICY_CAP_CODEBOOK | ISAC_POLICY_CAP_PD_FEEDBACK | ISAC_POLICY_CAP_MAY_HOLD,
    .create = sweep_create,
    .reset = sweep_reset,
    .decide = sweep_decide,
    .may_stop = sweep_may_stop,
    .destroy = free,
};
