/* Seed 000's vehicular evaluation run (vehicular.h). */
#include "engine/vehicular.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "array/array.h"
#include "comm/ofdm.h"
#include "comm/ofdm_rx.h"
#include "common/err.h"
#include "common/rng.h"
#include "dsp/waveform.h"
#include "plan/plan.h"
#include "sim/sim_user.h"
#include "track/sense_model.h"
#include "track/tracker.h"
#include "track/traffic.h"
#include "vehicular/veh_features.h"
#include "vehicular/veh_scheme.h"

#define VH_REF_D 30.0
#define VH_PL_1M (-70.0) /* Table I alpha0; cancels out of every SNR */
#define VH_SEARCH 64
#define VH_LEAD 16
#define VH_MAXV 1024

void isac_vh_cfg_default(struct isac_vh_cfg *c)
{
    memset(c, 0, sizeof(*c));
    c->scheme = "heuristic";
    c->elements = 32;
    c->cap = 32;
    c->K = 20;
    c->warmup = 4;
    c->slots = 10;
    c->comm_every = 1;
    c->seed = 1;
    c->tx_power_db = 45.0;
    c->ref_snr_db = -29.5;
    c->sense_snr_db = 0.0;
    c->det_snr_db = 13.0;
    c->comm_share = 0.8;
    c->nf_db = 7.0;
    c->ofdm_symbols = 2;
    c->sensing = 1;
    c->fp_iter = 15;
}

void isac_vh_result_free(struct isac_vh_result *r)
{
    free(r->s_k);
    free(r->s_model);
    free(r->s_meas);
    free(r->s_rcrb);
    free(r->rcrb_age);
    memset(r, 0, sizeof(*r));
}

struct truth {
    unsigned id;
    double s[4];
    double cfo;
};

struct vstate { /* per vehicle id */
    int on;
    unsigned age;
    struct isac_trk_pcrb pc;
};

struct tmem { /* per track id: last decision and measurements (the DT's own memory) */
    int prev_rsu;
    float complex f[ISAC_VEH_MAX_N];
    double meas[ISAC_VEH_RSUS][3];
    int has[ISAC_VEH_RSUS];
};

struct vh {
    const struct isac_vh_cfg *c;
    struct isac_veh_params vp;
    const struct isac_veh_scheme_vt *vt;
    void *sst;
    isac_veh_prob prob;
    isac_array arr;
    isac_ofdm tx;
    size_t L, ny;
    isac_tracker trk;
    isac_hw_traffic traffic;
    struct isac_trk_rsu rsu[ISAC_VEH_RSUS];
    struct isac_sense_model sm;
    isac_rng rng;
    struct truth *v, *drop;
    unsigned nv, ndrop;
    struct vstate *vs;
    unsigned nvs;
    struct tmem *tm;
    unsigned ntm;
    float complex **u, **x, *y;
    uint8_t *pay, *dec;
    /* the slot's design: track index and vehicle of each loaded problem entry */
    unsigned trk_of[ISAC_VEH_MAX_K];
    int veh_of[ISAC_VEH_MAX_K];
    unsigned *age_n; /* vehicles seen at each age (RCRB average) */
};

/* CPU time of this thread: the decision's cost, not the shared machine's load */
static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec * 1e-6;
}

static int grow(void **p, unsigned *n, unsigned want, size_t sz)
{
    if (want < *n)
        return ISAC_OK;
    unsigned m = want + 256;
    void *q = realloc(*p, (size_t)m * sz);
    if (!q)
        return ISAC_ENOMEM;
    memset((char *)q + (size_t)*n * sz, 0, (size_t)(m - *n) * sz);
    *p = q;
    *n = m;
    return ISAC_OK;
}

static void vh_free(struct vh *h)
{
    for (unsigned s = 0; h->u && s <= h->c->cap; s++)
        free(h->u[s]);
    for (unsigned m = 0; h->x && m < h->c->elements; m++)
        free(h->x[m]);
    free(h->u);
    free(h->x);
    free(h->y);
    free(h->pay);
    free(h->dec);
    free(h->v);
    free(h->drop);
    free(h->vs);
    free(h->tm);
    if (h->vt && h->sst)
        h->vt->destroy(h->sst);
    isac_veh_prob_destroy(h->prob);
    isac_tracker_destroy(h->trk);
    isac_hw_traffic_destroy(h->traffic);
    isac_ofdm_destroy(h->tx);
    isac_array_destroy(h->arr);
}

static double tx_power_dbm(const struct isac_vh_cfg *c)
{
    double n0 = -174.0 + c->nf_db + 10.0 * log10(20e6);
    return c->ref_snr_db + c->tx_power_db + n0 - (VH_PL_1M - 20.0 * log10(VH_REF_D));
}

static int vh_init(struct vh *h, const struct isac_vh_cfg *c, char *err, size_t errlen)
{
    memset(h, 0, sizeof(*h));
    h->c = c;
    if (!(h->vt = isac_veh_scheme_find(c->scheme))) {
        isac_seterr(err, errlen, "vehicular: scheme: unknown '%s'", c->scheme);
        return ISAC_EINVAL;
    }
    if (c->elements < 2 || c->elements > ISAC_VEH_MAX_N || c->cap < 1 ||
        c->cap > ISAC_VEH_MAX_CAP || c->K > ISAC_VEH_MAX_K || c->comm_every < 1 || c->slots < 1) {
        isac_seterr(err, errlen,
                    "vehicular: elements %u, cap %u, K %u, comm_every %u or slots %u "
                    "out of range",
                    c->elements, c->cap, c->K, c->comm_every, c->slots);
        return ISAC_EINVAL;
    }
    struct isac_veh_params *vp = &h->vp;
    isac_veh_params_default(vp);
    vp->n = c->elements;
    vp->cap = c->cap;
    vp->comm_snr_db = c->ref_snr_db + c->tx_power_db;
    vp->beam_power = c->comm_share / c->cap;
    vp->probe_power = 1.0 - c->comm_share;
    vp->sensing = c->sensing;
    vp->fp_iter = c->fp_iter;
    vp->lstm_assign = c->lstm_assign;
    vp->lstm_beam = c->lstm_beam;
    h->sm = (struct isac_sense_model){
        c->sense_snr_db + c->tx_power_db, VH_REF_D, c->elements, 200e6, 0, 30e9};
    struct isac_ofdm_params op;
    isac_ofdm_params_default(&op);
    op.num_symbols = c->ofdm_symbols;
    h->tx = isac_ofdm_create(&op, err, errlen);
    h->arr = isac_array_create_ula(c->elements, 0.5);
    if (!h->tx || !h->arr)
        return ISAC_EINVAL;
    h->L = isac_ofdm_burst_length(h->tx);
    h->ny = h->L + VH_SEARCH + VH_LEAD + 64;
    h->sm.burst_s = (double)h->L / 20e6;
    vp->sm = h->sm;
    vp->psd = isac_ofdm_psd_factor(h->tx);
    for (unsigned i = 0; i < ISAC_VEH_RSUS; i++)
        h->rsu[i] = (struct isac_trk_rsu){vp->rsu[i][0], vp->rsu[i][1]};
    if (!(h->prob = isac_veh_prob_create(vp, err, errlen)))
        return ISAC_EINVAL;
    if (!(h->sst = h->vt->create(vp, err, errlen)))
        return ISAC_EINVAL;
    struct isac_trk_params tp;
    isac_trk_params_default(&tp);
    h->trk = isac_tracker_create(&tp, h->rsu, ISAC_VEH_RSUS);
    isac_rng_seed_stream(&h->rng, c->seed, 0x7e41c1e);
    h->v = calloc(VH_MAXV, sizeof(*h->v));
    h->drop = calloc(ISAC_VEH_MAX_K, sizeof(*h->drop));
    if (c->K == 0) {
        struct isac_hw_traffic_params p;
        isac_hw_traffic_params_default(&p);
        p.rate[0] = c->rate[0];
        p.rate[1] = c->rate[1];
        p.seed = c->seed;
        if (!(h->traffic = isac_hw_traffic_create(&p, err, errlen)))
            return ISAC_EINVAL;
    } else {
        /* fixed drop: kept on the road for the whole run */
        double span = 30.0 * (c->warmup + c->slots + 1) * 0.02 * 1.2;
        for (unsigned k = 0; k < c->K; k++) {
            int dir = isac_rng_uniform(&h->rng) < 0.5;
            double sp = fmax(1.0, 30.0 + 3.0 * isac_rng_normal(&h->rng));
            double x = -30.0 + (60.0 - span) * isac_rng_uniform(&h->rng);
            h->drop[k] = (struct truth){k, {dir ? -x : x, dir ? 2.5 : -2.5, dir ? -sp : sp, 0}, 0};
        }
        h->ndrop = c->K;
    }
    unsigned S = c->cap + 1;
    h->u = calloc(S, sizeof(*h->u));
    h->x = calloc(c->elements, sizeof(*h->x));
    h->y = calloc(h->ny, sizeof(*h->y));
    size_t pl = (size_t)op.num_symbols * isac_ofdm_payload_bytes(h->tx);
    h->pay = calloc(pl, 1);
    h->dec = calloc(pl, 1);
    if (!h->trk || !h->v || !h->drop || !h->u || !h->x || !h->y || !h->pay || !h->dec)
        goto nomem;
    for (unsigned s = 0; s < S; s++)
        if (!(h->u[s] = calloc(h->L, sizeof(float complex))))
            goto nomem;
    for (unsigned m = 0; m < c->elements; m++)
        if (!(h->x[m] = calloc(h->L, sizeof(float complex))))
            goto nomem;
    return ISAC_OK;
nomem:
    isac_seterr(err, errlen, "vehicular: out of memory");
    return ISAC_ENOMEM;
}

static int move(struct vh *h, unsigned n)
{
    h->nv = 0;
    if (h->traffic) {
        int rc = isac_hw_traffic_step(h->traffic);
        if (rc)
            return rc;
        unsigned nv;
        const struct isac_hw_vehicle *tv = isac_hw_traffic_vehicles(h->traffic, &nv);
        for (unsigned i = 0; i < nv && h->nv < VH_MAXV; i++)
            h->v[h->nv++] = (struct truth){tv[i].id, {tv[i].x, tv[i].y, tv[i].vx, tv[i].vy}, 0};
    } else {
        double t = (n + 1) * 0.02;
        for (unsigned k = 0; k < h->ndrop; k++) {
            struct truth v = h->drop[k];
            v.s[0] += v.s[2] * t;
            h->v[h->nv++] = v;
        }
    }
    for (unsigned i = 0; i < h->nv; i++) { /* CFO of the vehicle's receiver */
        isac_rng r;
        isac_rng_seed_stream(&r, h->c->seed ^ 0xcf0cf0ull, h->v[i].id);
        h->v[i].cfo = (2.0 * isac_rng_uniform(&r) - 1.0) * 2000.0;
    }
    return ISAC_OK;
}

static int veh_index(struct vh *h, int id)
{
    for (unsigned i = 0; i < h->nv; i++)
        if ((int)h->v[i].id == id)
            return (int)i;
    return -1;
}

/* Load the confirmed tracks (one per vehicle) predicted one slot ahead and decide. */
static int design(struct vh *h, double *ms)
{
    unsigned nt;
    const struct isac_trk_track *t = isac_tracker_tracks(h->trk, &nt);
    static const struct isac_veh_vehicle zero;
    struct isac_veh_vehicle *vv = malloc(ISAC_VEH_MAX_K * sizeof(*vv));
    if (!vv)
        return ISAC_ENOMEM;
    double F[16], Q[16];
    isac_trk_cv_model(0.02, h->vp.qx, h->vp.qy, F, Q);
    unsigned K = 0;
    for (unsigned j = 0; j < nt && K < ISAC_VEH_MAX_K; j++) {
        if (!t[j].confirmed)
            continue;
        int vi = veh_index(h, t[j].truth_id), dup = 0;
        for (unsigned k = 0; k < K; k++)
            dup |= h->veh_of[k] == vi;
        if (vi < 0 || dup)
            continue;
        struct isac_veh_vehicle *v = &vv[K];
        *v = zero;
        v->id = t[j].id;
        struct isac_trk_ekf e = t[j].f;
        memcpy(v->Pprev, e.P, sizeof(e.P));
        isac_trk_ekf_predict(&e, 0.02, h->vp.qx, h->vp.qy);
        memcpy(v->x, e.x, sizeof(e.x));
        memcpy(v->P, e.P, sizeof(e.P));
        v->prev_rsu = ISAC_VEH_NONE;
        if (grow((void **)&h->tm, &h->ntm, t[j].id, sizeof(*h->tm)) == ISAC_OK) {
            const struct tmem *m = &h->tm[t[j].id];
            v->prev_rsu = m->prev_rsu - 1; /* stored +1 so that 0 means none */
            memcpy(v->prev_f, m->f, sizeof(v->prev_f));
            memcpy(v->meas, m->meas, sizeof(v->meas));
            memcpy(v->has_meas, m->has, sizeof(v->has_meas));
        }
        h->trk_of[K] = j;
        h->veh_of[K] = vi;
        K++;
    }
    double t0 = now_ms();
    int rc = isac_veh_prob_set(h->prob, vv, K);
    if (rc == ISAC_OK)
        rc = h->vt->decide(h->sst, h->prob);
    *ms = now_ms() - t0;
    free(vv);
    return rc;
}

/* Remember each loaded track's decision for next slot's features. */
static void remember(struct vh *h)
{
    unsigned K = isac_veh_prob_count(h->prob), N = h->vp.n;
    for (unsigned k = 0; k < K; k++) {
        unsigned id = isac_veh_prob_vehicle(h->prob, k)->id;
        if (id >= h->ntm)
            continue;
        struct tmem *m = &h->tm[id];
        int i = isac_veh_xi(h->prob, k);
        m->prev_rsu = i + 1;
        for (unsigned e = 0; e < N; e++)
            m->f[e] =
                i == ISAC_VEH_NONE ? 0 : (float complex)isac_veh_beam(h->prob, (unsigned)i, k)[e];
    }
}

static void link_of(struct vh *h, unsigned r, struct isac_sim_user_link *ln)
{
    ln->tx = h->arr;
    ln->ap = (struct isac_geom_ap){h->rsu[r].x, h->rsu[r].y, 0.0};
    ln->tx_power_dbm = tx_power_dbm(h->c);
    ln->fc = 30e9;
    ln->fs = 20e6;
    ln->pl_db_1m = VH_PL_1M;
    ln->pl_exp = 2.0;
    ln->seed = h->c->seed ^ ((uint64_t)(r + 1) << 56);
}

/* One RSU's plan: the model SINR of each served vehicle, and from samples when `meas`. */
static int comm_rsu(struct vh *h, unsigned r, isac_tx_plan p, const unsigned *colv, unsigned n,
                    int meas, double *thr_model, double *thr_meas)
{
    unsigned K = isac_tx_plan_num_comm(p), N = h->vp.n;
    if (K == 0)
        return ISAC_OK;
    struct isac_sim_user_link ln;
    link_of(h, r, &ln);
    int64_t tb = (int64_t)n * 400000; /* 20 ms at 20 MHz */
    const float complex *W = isac_tx_plan_precoder_const(p, 0);
    const double *pw = isac_tx_plan_powers_const(p);
    float complex vb[ISAC_VEH_MAX_CAP + 1][ISAC_VEH_MAX_N];
    const float complex *vv[ISAC_VEH_MAX_CAP + 1];
    double psd[ISAC_VEH_MAX_CAP + 1];
    for (unsigned s = 0; s <= K; s++) {
        for (unsigned m = 0; m < N; m++)
            vb[s][m] = W[(size_t)s * N + m] * (float)sqrt(pw[s]);
        vv[s] = vb[s];
        psd[s] = s < K ? isac_ofdm_psd_factor(h->tx) : 1.0;
    }
    int ks[128];
    const struct isac_ofdm_params *op = isac_ofdm_get_params(h->tx);
    for (unsigned i = 0; i < op->occupied; i++)
        ks[i] = isac_ofdm_subcarrier(h->tx, i);
    int rc = ISAC_OK;
    if (meas) {
        for (unsigned k = 0; k < K && rc == ISAC_OK; k++) {
            const struct truth *v = &h->v[h->veh_of[colv[k]]];
            isac_ofdm_payload_random(h->tx, h->c->seed ^ ((uint64_t)n << 20), v->id, h->pay);
            rc = isac_ofdm_modulate(h->tx, v->id, h->pay, h->u[k]);
        }
        struct isac_waveform_params wp = {.kind = ISAC_WAVEFORM_QPSK,
                                          .length = (unsigned)h->L,
                                          .seed = h->c->seed ^ ((uint64_t)n << 8) ^ r};
        isac_waveform_generate(&wp, h->u[K]);
        const float complex *uu[ISAC_VEH_MAX_CAP + 1];
        for (unsigned s = 0; s <= K; s++)
            uu[s] = h->u[s];
        if (rc == ISAC_OK)
            rc = isac_tx_plan_compose(p, uu, h->L, h->x);
    }
    const float complex *xx[ISAC_VEH_MAX_N];
    for (unsigned m = 0; m < N; m++)
        xx[m] = h->x[m];
    for (unsigned k = 0; k < K && rc == ISAC_OK; k++) {
        const struct truth *v = &h->v[h->veh_of[colv[k]]];
        double t = (double)tb / 20e6;
        struct isac_sim_user u = {v->s[0] - v->s[2] * t,
                                  v->s[1] - v->s[3] * t,
                                  v->s[2],
                                  v->s[3],
                                  h->c->nf_db,
                                  v->cfo,
                                  INFINITY,
                                  0,
                                  0};
        double sig, intf;
        isac_sim_user_model_sinr(&ln, &u, v->id, tb, vv, psd, K + 1, k, ks, op->occupied, op->nfft,
                                 &sig, &intf);
        *thr_model += log2(1.0 + sig / (intf + 1.0));
        if (!meas)
            continue;
        rc = isac_sim_user_render(&ln, &u, v->id, xx, h->L, tb, h->y, h->ny, tb - VH_LEAD, 1);
        char e[128];
        isac_ofdm_rx rx = rc ? NULL : isac_ofdm_rx_create(op, v->id, VH_SEARCH, e, sizeof e);
        if (!rx) {
            rc = rc ? rc : ISAC_ENOMEM;
            break;
        }
        struct isac_ofdm_rx_result res;
        rc = isac_ofdm_rx_process(rx, h->y, h->ny, h->dec, NULL, &res);
        isac_ofdm_rx_destroy(rx);
        if (rc == ISAC_OK)
            *thr_meas += log2(1.0 + fmax(res.signal_power / res.noise_power, 0.0));
    }
    return rc;
}

/* Level-0 sensing with the slot's plans, the tracker, the per-vehicle PCRB; *rcrb gets
 * the mean RCRB over the vehicles present. */
static int sense(struct vh *h, isac_tx_plan *plans, double *rcrb, struct isac_vh_result *res)
{
    const struct isac_vh_cfg *c = h->c;
    unsigned N = h->vp.n;
    double det = pow(10.0, c->det_snr_db / 10.0);
    struct isac_trk_meas *m = malloc((size_t)(h->nv + 1) * ISAC_VEH_RSUS * sizeof(*m));
    if (!m)
        return ISAC_ENOMEM;
    unsigned nm = 0;
    for (unsigned i = 0; i < h->nv; i++) {
        const struct truth *v = &h->v[i];
        for (unsigned r = 0; r < ISAC_VEH_RSUS; r++) {
            struct isac_geom_ap ap = {h->rsu[r].x, h->rsu[r].y, 0.0};
            double phi = isac_geom_phi(&ap, v->s[0], v->s[1]);
            double d = hypot(v->s[0] - ap.x, v->s[1] - ap.y), g = 0;
            unsigned S = isac_tx_plan_num_streams(plans[r]);
            const float complex *W = isac_tx_plan_precoder_const(plans[r], 0);
            const double *pw = isac_tx_plan_powers_const(plans[r]);
            for (unsigned s = 0; s < S; s++)
                g = fmax(g, pw[s] * isac_array_tx_gain(h->arr, W + (size_t)s * N, phi) / N);
            double snr = pow(10.0, h->sm.snr_ref_db / 10.0) * pow(VH_REF_D / d, 4.0) * g;
            if (snr * N < det)
                continue;
            isac_sense_model_measure(&h->sm, &h->rsu[r], r, v->s, g, (int)v->id, &h->rng, &m[nm++]);
        }
    }
    /* the DT's memory of each confirmed track's latest measurement per RSU (nearest in
     * the Mahalanobis sense of its prediction), for the learning features */
    unsigned nt;
    const struct isac_trk_track *t = isac_tracker_tracks(h->trk, &nt);
    for (unsigned j = 0; j < nt; j++) {
        if (!t[j].confirmed || grow((void **)&h->tm, &h->ntm, t[j].id, sizeof(*h->tm)))
            continue;
        struct isac_trk_ekf e = t[j].f;
        isac_trk_ekf_predict(&e, 0.02, h->vp.qx, h->vp.qy);
        struct tmem *tm = &h->tm[t[j].id];
        for (unsigned r = 0; r < ISAC_VEH_RSUS; r++) {
            double best = 16.27;
            tm->has[r] = 0;
            for (unsigned q = 0; q < nm; q++) {
                if (m[q].rsu != r)
                    continue;
                double dd = isac_trk_ekf_distance(&e, &h->rsu[r], &m[q]);
                if (dd < best) {
                    best = dd;
                    tm->has[r] = 1;
                    tm->meas[r][0] = m[q].u;
                    tm->meas[r][1] = m[q].d;
                    tm->meas[r][2] = m[q].r;
                }
            }
        }
    }
    /* PCRB along each vehicle's true trajectory from its arrival */
    double sum = 0;
    unsigned cnt = 0;
    int rc = ISAC_OK;
    for (unsigned i = 0; i < h->nv && rc == ISAC_OK; i++) {
        const struct truth *v = &h->v[i];
        if ((rc = grow((void **)&h->vs, &h->nvs, v->id, sizeof(*h->vs))))
            break;
        struct vstate *st = &h->vs[v->id];
        if (!st->on) {
            const double P0[16] = {0.01, 0, 0, 0, 0, 0.01, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1};
            isac_trk_pcrb_init(&st->pc, P0);
            st->on = 1;
            st->age = 0;
        } else {
            isac_trk_pcrb_predict(&st->pc, 0.02, h->vp.qx, h->vp.qy);
            st->age++;
        }
        for (unsigned q = 0; q < nm; q++)
            if (m[q].truth_id == (int)v->id)
                isac_trk_pcrb_measure(&st->pc, v->s, &h->rsu[m[q].rsu], m[q].su, m[q].sd, m[q].sr);
        double C[16], br, ba;
        if (isac_trk_pcrb_cov(&st->pc, C))
            continue;
        unsigned rn = fabs(v->s[1] - h->rsu[0].y) <= fabs(v->s[1] - h->rsu[1].y) ? 0 : 1;
        isac_trk_bound_range_angle(C, v->s, &h->rsu[rn], &br, &ba);
        sum += br;
        cnt++;
        if (st->age < res->rcrb_len) {
            res->rcrb_age[st->age] += br;
            h->age_n[st->age]++;
        }
    }
    *rcrb = cnt ? sum / cnt : NAN;
    if (rc == ISAC_OK)
        rc = isac_tracker_step(h->trk, m, nm);
    free(m);
    return rc;
}

int isac_vh_run(const struct isac_vh_cfg *c, struct isac_vh_result *r, char *err, size_t errlen)
{
    memset(r, 0, sizeof(*r));
    struct vh h;
    int rc = vh_init(&h, c, err, errlen);
    unsigned total = c->warmup + c->slots;
    r->rcrb_len = total;
    r->s_k = calloc(c->slots, sizeof(*r->s_k));
    r->s_model = calloc(c->slots, sizeof(double));
    r->s_meas = calloc(c->slots, sizeof(double));
    r->s_rcrb = calloc(c->slots, sizeof(double));
    r->rcrb_age = calloc(total, sizeof(double));
    unsigned *age_n = calloc(total, sizeof(unsigned));
    h.age_n = age_n;
    if (rc == ISAC_OK &&
        (!r->s_k || !r->s_model || !r->s_meas || !r->s_rcrb || !r->rcrb_age || !age_n))
        rc = ISAC_ENOMEM;
    double sum_model = 0, sum_meas = 0, dec_ms = 0;
    unsigned long meas_vs = 0, served = 0, fp_runs = 0, fp_iters = 0, flips = 0;
    int c_stop = 0;
    for (unsigned n = 0; n < total && rc == ISAC_OK; n++) {
        int scored = n >= c->warmup;
        unsigned sn = n - c->warmup;
        int meas = scored && sn % c->comm_every == 0;
        if ((rc = move(&h, n)))
            break;
        double ms;
        if ((rc = design(&h, &ms)))
            break;
        if (scored && c->teacher && (rc = c->teacher(c->teacher_ctx, h.prob))) {
            if (rc > 0) { /* the teacher has what it wants */
                rc = ISAC_OK;
                c_stop = 1;
            }
            break;
        }
        remember(&h);
        isac_tx_plan plans[ISAC_VEH_RSUS];
        unsigned colv[ISAC_VEH_RSUS][ISAC_VEH_MAX_CAP];
        if ((rc = isac_veh_plans(h.prob, plans, colv)))
            break;
        double tm = 0, tq = 0;
        for (unsigned i = 0; i < ISAC_VEH_RSUS && rc == ISAC_OK && !c->no_comm; i++)
            rc = comm_rsu(&h, i, plans[i], colv[i], n, meas, &tm, &tq);
        double rcrb = NAN;
        if (rc == ISAC_OK)
            rc = sense(&h, plans, &rcrb, r);
        for (unsigned i = 0; i < ISAC_VEH_RSUS; i++)
            isac_tx_plan_destroy(plans[i]);
        if (!scored)
            continue;
        r->s_k[sn] = h.nv;
        r->s_model[sn] = tm;
        r->s_meas[sn] = meas ? tq : NAN;
        r->s_rcrb[sn] = rcrb;
        sum_model += tm;
        dec_ms += ms;
        fp_runs += isac_veh_prob_stats(h.prob)->fp_runs;
        fp_iters += isac_veh_prob_stats(h.prob)->fp_iters;
        flips += isac_veh_prob_stats(h.prob)->flips;
        r->vehicle_slots += h.nv;
        served += isac_veh_served(h.prob, 0) + isac_veh_served(h.prob, 1);
        if (meas) {
            sum_meas += tq;
            meas_vs += h.nv;
        }
    }
    (void)c_stop;
    if (rc == ISAC_OK) {
        double vsl = r->vehicle_slots ? (double)r->vehicle_slots : NAN;
        r->thr_model = sum_model / vsl;
        r->thr_meas = meas_vs ? sum_meas / meas_vs : NAN;
        r->decide_ms = dec_ms / c->slots;
        r->served = served / vsl;
        r->measured = meas_vs;
        r->fp_rounds = fp_runs ? (double)fp_iters / fp_runs : 0.0;
        r->flips = (double)flips / c->slots;
        for (unsigned a = 0; a < total; a++)
            r->rcrb_age[a] = age_n[a] ? r->rcrb_age[a] / age_n[a] : NAN;
    } else {
        if (err && !err[0])
            isac_seterr(err, errlen, "vehicular: %s", isac_strerror(rc));
        isac_vh_result_free(r);
    }
    free(age_n);
    vh_free(&h);
    return rc;
}

struct teach {
    const struct isac_vh_teacher_sink *sink;
    unsigned want, got;
    float *x, *y;
};

static int teach_slot(void *ctx, isac_veh_prob p)
{
    struct teach *t = ctx;
    unsigned K = isac_veh_prob_count(p), N = isac_veh_prob_params(p)->n, order[ISAC_VEH_MAX_K];
    if (K == 0)
        return 0;
    isac_veh_order(p, order);
    float *ya = t->y, *yb = t->y + K;
    if (isac_veh_labels(p, order, ya, yb))
        return 0; /* someone not served: not a teaching example */
    isac_veh_features(p, order, 0, t->x);
    int rc = t->sink->push(t->sink->ctx, 0, K, t->x, ya);
    isac_veh_features(p, order, 1, t->x);
    if (rc == 0)
        rc = t->sink->push(t->sink->ctx, 1, K, t->x, yb);
    (void)N;
    if (rc)
        return rc < 0 ? rc : ISAC_EINVAL;
    return ++t->got >= t->want ? 1 : 0;
}

int isac_vh_teacher(const struct isac_vh_cfg *base, unsigned sequences, unsigned kmin,
                    unsigned kmax, const struct isac_vh_teacher_sink *sink, char *err,
                    size_t errlen)
{
    if (kmin < 1 || kmax < kmin || kmax > 2 * base->cap || kmax > ISAC_VEH_MAX_K || !sequences) {
        isac_seterr(err, errlen, "vehicular teacher: K range %u..%u outside 1..2 cap (%u)", kmin,
                    kmax, 2 * base->cap);
        return ISAC_EINVAL;
    }
    unsigned N = base->elements;
    struct teach t = {
        sink, sequences, 0,
        malloc((size_t)ISAC_VEH_MAX_K * ISAC_VEH_FEAT_BEAM(ISAC_VEH_MAX_N) * sizeof(float)),
        malloc((size_t)ISAC_VEH_MAX_K * (1 + ISAC_VEH_OUT_BEAM(ISAC_VEH_MAX_N)) * sizeof(float))};
    int rc = t.x && t.y ? ISAC_OK : ISAC_ENOMEM;
    isac_rng rng;
    isac_rng_seed_stream(&rng, base->seed, 0x7eac4e5);
    (void)N;
    for (unsigned r = 0; rc == ISAC_OK && t.got < t.want; r++) {
        struct isac_vh_cfg c = *base;
        c.scheme = "heuristic";
        c.K = kmin + (unsigned)isac_rng_below(&rng, kmax - kmin + 1);
        c.seed = base->seed * 1000 + r;
        c.no_comm = 1;
        c.teacher = teach_slot;
        c.teacher_ctx = &t;
        struct isac_vh_result res;
        rc = isac_vh_run(&c, &res, err, errlen);
        if (rc == ISAC_OK)
            isac_vh_result_free(&res);
    }
    free(t.x);
    free(t.y);
    return rc;
}
