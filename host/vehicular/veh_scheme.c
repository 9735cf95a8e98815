/* Scheme registry and the plans of a decision (veh_scheme.h). */
#include "vehicular/veh_scheme.h"

#include <string.h>

#include "common/err.h"
#include "vehicular/veh_lstm.h"

static void *st_none(const struct isac_veh_params *p, char *err, size_t errlen)
{
    (void)p;
    (void)err;
    (void)errlen;
    return (void *)1; /* stateless: any non-NULL token */
}

static void st_free(void *st)
{
    (void)st;
}

static int d_distance(void *st, isac_veh_prob p)
{
    (void)st;
    return isac_veh_assign_distance(p, 0);
}

static int d_distance_fp(void *st, isac_veh_prob p)
{
    (void)st;
    return isac_veh_assign_distance(p, 1);
}

static int d_greedy(void *st, isac_veh_prob p)
{
    (void)st;
    return isac_veh_assign_greedy(p);
}

static int d_heuristic(void *st, isac_veh_prob p)
{
    (void)st;
    return isac_veh_assign_heuristic(p);
}

static const struct isac_veh_scheme_vt vt_distance = {
    "distance", "nearest RSU, matched beams (baseline)", st_none, d_distance, st_free};
static const struct isac_veh_scheme_vt vt_distance_fp = {
    "distance_fp", "nearest RSU, FP beams with the sensing constraint", st_none, d_distance_fp,
    st_free};
static const struct isac_veh_scheme_vt vt_greedy = {"greedy", "Algorithm 2 (greedy), FP beams",
                                                    st_none, d_greedy, st_free};
static const struct isac_veh_scheme_vt vt_heuristic = {
    "heuristic", "Algorithm 3 (heuristic flips, per-RSU caps), FP beams", st_none, d_heuristic,
    st_free};

static const struct isac_veh_scheme_vt *const builtin[] = {
    &vt_distance, &vt_distance_fp, &vt_greedy, &vt_heuristic, &isac_veh_lstm_scheme,
};

const struct isac_veh_scheme_vt *const *isac_veh_scheme_list(unsigned *n)
{
    *n = sizeof(builtin) / sizeof(builtin[0]);
    return builtin;
}

const struct isac_veh_scheme_vt *isac_veh_scheme_find(const char *name)
{
    for (size_t i = 0; name && i < sizeof(builtin) / sizeof(builtin[0]); i++)
        if (!strcmp(builtin[i]->name, name))
            return builtin[i];
    return NULL;
}

int isac_veh_plans(isac_veh_prob p, isac_tx_plan plans[ISAC_VEH_RSUS],
                   unsigned col_vehicle[ISAC_VEH_RSUS][ISAC_VEH_MAX_CAP])
{
    const struct isac_veh_params *pa = isac_veh_prob_params(p);
    unsigned N = pa->n, K = isac_veh_prob_count(p);
    for (unsigned i = 0; i < ISAC_VEH_RSUS; i++)
        plans[i] = NULL;
    for (unsigned i = 0; i < ISAC_VEH_RSUS; i++) {
        unsigned Ki = 0;
        for (unsigned k = 0; k < K; k++)
            if (isac_veh_xi(p, k) == (int)i && Ki < ISAC_VEH_MAX_CAP)
                col_vehicle[i][Ki++] = k;
        plans[i] = isac_tx_plan_create(N, Ki, 1);
        if (!plans[i])
            goto nomem;
        float complex *W = isac_tx_plan_precoder(plans[i], 0);
        double *pw = isac_tx_plan_powers(plans[i]);
        for (unsigned c = 0; c < Ki; c++) {
            const double complex *f = isac_veh_beam(p, i, col_vehicle[i][c]);
            for (unsigned m = 0; m < N; m++)
                W[(size_t)c * N + m] = (float complex)f[m];
            pw[c] = pa->beam_power;
        }
        W[(size_t)Ki * N] = 1.0f; /* probe: element 0 alone, omnidirectional */
        pw[Ki] = pa->probe_power;
    }
    return ISAC_OK;
nomem:
    for (unsigned i = 0; i < ISAC_VEH_RSUS; i++) {
        isac_tx_plan_destroy(plans[i]);
        plans[i] = NULL;
    }
    return ISAC_ENOMEM;
}
