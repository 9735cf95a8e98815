/* Communication users of the sim emulator (sim.h: isac_sim_user_capture). */
#include <string.h>

#include "common/err.h"
#include "sim/sim_internal.h"
#include "sim/sim_user.h"

void isac_sim_user_link_of(isac_sim s, struct isac_sim_user_link *l)
{
    l->tx = s->tx_arr;
    l->ap = s->tx_ap;
    l->tx_power_dbm = s->p.tx_power_dbm;
    l->fc = s->p.fc;
    l->fs = s->p.fs;
    l->pl_db_1m = -34.5; /* docs/link-budget.md, one hop */
    l->pl_exp = 3.7;
    l->seed = s->p.seed;
}

int isac_sim_user_capture(isac_sim s, const struct isac_sim_user *u, unsigned uid, int64_t t0,
                          float complex *y, size_t len)
{
    if (!s || !u || (!y && len))
        return ISAC_EINVAL;
    if (isac_sim_user_validate(u, uid, s->err, sizeof s->err) != ISAC_OK)
        return ISAC_EINVAL;
    memset(y, 0, len * sizeof(*y));
    struct isac_sim_user_link l;
    isac_sim_user_link_of(s, &l);
    const float complex *x[ISAC_SIM_MAX_ELEMENTS];
    for (size_t i = 0; i < s->nbursts; i++) {
        const struct sim_burst *b = &s->bursts[i];
        l.tx = b->tx; /* the positions the burst was sent from */
        for (unsigned c = 0; c < s->M; c++)
            x[c] = b->x + (size_t)c * b->n;
        int rc = isac_sim_user_add(&l, u, uid, x, b->n, b->t, y, len, t0);
        if (rc)
            return rc;
    }
    if (s->p.noise)
        isac_sim_user_noise(&l, uid, t0, y, len);
    return ISAC_OK;
}
