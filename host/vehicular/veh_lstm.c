/* The `lstm` vehicular scheme (veh_lstm.h). */
#include "vehicular/veh_lstm.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "learn/lstm.h"
#include "vehicular/veh_features.h"

#ifdef ISACTB_HAVE_VEH_LSTM
extern const struct isac_bilstm_def veh_lstm_assign_def, veh_lstm_beam_def;
#endif

struct vl {
    isac_bilstm assign, beam;
    float *x, *y;
};

static void vl_destroy(void *st)
{
    struct vl *v = st;
    if (!v)
        return;
    isac_bilstm_destroy(v->assign);
    isac_bilstm_destroy(v->beam);
    free(v->x);
    free(v->y);
    free(v);
}

static isac_bilstm open_net(const char *path, const struct isac_bilstm_def *def, unsigned in,
                            unsigned out, int head, char *err, size_t errlen)
{
    struct isac_bilstm_cfg want;
    isac_bilstm_cfg_defaults(&want, in, out);
    want.head = (enum isac_bilstm_head)head;
    want.max_len = ISAC_VEH_MAX_K;
    want.max_batch = 1;
    if (path)
        return isac_bilstm_load(path, &want, err, errlen);
    if (!def) {
        isac_seterr(err, errlen, "lstm: no nets compiled in for %u elements; pass weights files",
                    (out == 1 ? in - 15 : out) / 2);
        return NULL;
    }
    if (def->in != in || def->out != out) {
        isac_seterr(err, errlen, "lstm: compiled-in net has %u inputs, %u wanted (elements)",
                    def->in, in);
        return NULL;
    }
    return isac_bilstm_from_def(def, &want, err, errlen);
}

static void *vl_create(const struct isac_veh_params *p, char *err, size_t errlen)
{
    struct vl *v = calloc(1, sizeof(*v));
    if (!v)
        return NULL;
    const struct isac_bilstm_def *da = NULL, *db = NULL;
#ifdef ISACTB_HAVE_VEH_LSTM
    da = &veh_lstm_assign_def;
    db = &veh_lstm_beam_def;
#endif
    unsigned N = p->n;
    v->assign =
        open_net(p->lstm_assign, da, ISAC_VEH_FEAT_ASSIGN(N), 1, ISAC_BILSTM_HEAD_BCE, err, errlen);
    if (v->assign)
        v->beam = open_net(p->lstm_beam, db, ISAC_VEH_FEAT_BEAM(N), ISAC_VEH_OUT_BEAM(N),
                           ISAC_BILSTM_HEAD_MSE, err, errlen);
    v->x = malloc((size_t)ISAC_VEH_MAX_K * ISAC_VEH_FEAT_BEAM(ISAC_VEH_MAX_N) * sizeof(float));
    v->y = malloc((size_t)ISAC_VEH_MAX_K * ISAC_VEH_OUT_BEAM(ISAC_VEH_MAX_N) * sizeof(float));
    if (!v->assign || !v->beam || !v->x || !v->y) {
        vl_destroy(v);
        return NULL;
    }
    return v;
}

struct conf {
    double c;
    unsigned t;
};

static int conf_desc(const void *a, const void *b)
{
    const struct conf *x = a, *y = b;
    if (x->c != y->c)
        return x->c > y->c ? -1 : 1;
    return x->t < y->t ? -1 : (x->t > y->t);
}

static int vl_decide(void *st, isac_veh_prob p)
{
    struct vl *v = st;
    unsigned K = isac_veh_prob_count(p), N = isac_veh_prob_params(p)->n,
             cap = isac_veh_prob_params(p)->cap;
    unsigned order[ISAC_VEH_MAX_K], cnt[ISAC_VEH_RSUS] = {0};
    for (unsigned k = 0; k < K; k++)
        isac_veh_set_xi(p, k, ISAC_VEH_NONE);
    if (K == 0)
        return ISAC_OK;
    isac_veh_order(p, order);
    isac_veh_features(p, order, 0, v->x);
    int rc = isac_bilstm_forward(v->assign, K, v->x, v->y);
    if (rc)
        return rc;
    struct conf cf[ISAC_VEH_MAX_K];
    for (unsigned t = 0; t < K; t++)
        cf[t] = (struct conf){fabs(v->y[t] - 0.5), t};
    qsort(cf, K, sizeof(*cf), conf_desc);
    for (unsigned j = 0; j < K; j++) {
        unsigned t = cf[j].t, i = v->y[t] >= 0.5f ? 0u : 1u;
        if (cnt[i] >= cap)
            i = 1 - i;
        if (cnt[i] >= cap)
            continue;
        cnt[i]++;
        isac_veh_set_xi(p, order[t], (int)i);
    }
    isac_veh_features(p, order, 1, v->x);
    if ((rc = isac_bilstm_forward(v->beam, K, v->x, v->y)))
        return rc;
    for (unsigned t = 0; t < K; t++) {
        int i = isac_veh_xi(p, order[t]);
        if (i != ISAC_VEH_NONE)
            isac_veh_beam_from_frame(p, (unsigned)i, order[t], v->y + (size_t)t * 2 * N,
                                     isac_veh_beam(p, (unsigned)i, order[t]));
    }
    return ISAC_OK;
}

const struct isac_veh_scheme_vt isac_veh_lstm_scheme = {
    "lstm", "two Bi-LSTMs (assignment, beams) trained on the heuristic's decisions", vl_create,
    vl_decide, vl_destroy};
