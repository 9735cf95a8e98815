/* The highway scene runner (see highway.h). */
#include "engine/highway.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "array/array.h"
#include "comm/ofdm_rx.h"
#include "common/err.h"
#include "common/rng.h"
#include "dsp/waveform.h"
#include "engine/highway_io.h"
#include "engine/highway_series.h"
#include "plan/plan.h"
#include "sim/sim_echo.h"
#include "sim/sim_user.h"
#include "track/sense_mf.h"
#include "track/sense_model.h"
#include "track/tracker.h"
#include "track/traffic.h"

#define HWY_SEARCH 64 /* receiver timing search, samples */
#define HWY_LEAD 16   /* capture starts this many samples before the burst */
#define HWY_REF_D 30.0
#define HWY_PL_1M (-70.0) /* seed 000 Table I alpha0; cancels out of every SNR */

struct veh {
    unsigned id;
    double s[4]; /* px, py, vx, vy */
    struct isac_sim_user u;
};

struct ustat {
    int seen;
    unsigned slots_present, slots_served;
    double S, N, Smod, Nmod, inv_evm;
    uint64_t bits, errs, ok_bits;
    unsigned blocks, blocks_ok;
    int pcrb_on;
    struct isac_trk_pcrb pc;
};

struct hwy {
    const struct isac_hwy_config *c;
    isac_hwy_io io; /* NULL, or recording into / replaying from a capture */
    char *err;
    size_t errlen;
    isac_array arr;
    isac_ofdm tx;
    size_t L, ny;
    isac_tracker trk;
    isac_hw_traffic traffic;
    struct isac_trk_rsu rsu[ISAC_HWY_MAX_RSUS];
    struct isac_sense_model sm;
    isac_rng rng_meas;
    struct ustat *st;
    unsigned nst;
    struct veh *v;
    unsigned nv;
    /* tracking sums */
    double se_r, sb_r, se_a, sb_a;
    unsigned long samples, detections;
    /* burst scratch */
    float complex **u, **x, *y;
    uint8_t **pay, *dec;
    struct isac_hwy_series *ser;
    /* sensing from samples (sense_model mf) */
    isac_sense_mf smf;
    float complex **sx;    /* [element][sense_len] burst */
    float complex **sy[2]; /* [burst][element][window] receive */
    /* the slot's view for an observer (obs NULL: not kept) */
    const struct isac_hwy_observer *obs;
    struct isac_hwy_user_slot us[ISAC_HWY_MAX_RSUS * 64];
    unsigned nus, slot_meas;
    isac_tx_plan plan0;
};

static double tx_power_dbm(const struct isac_hwy_config *c)
{
    double n0 = -174.0 + c->nf_db + 10.0 * log10(c->fs);
    double pl = HWY_PL_1M - 20.0 * log10(HWY_REF_D);
    return c->ref_snr_db + c->tx_power_db + n0 - pl;
}

static struct ustat *stat_of(struct hwy *h, unsigned id)
{
    if (id >= h->nst) {
        unsigned n = id + 64;
        struct ustat *p = realloc(h->st, n * sizeof(*p));
        if (!p)
            return NULL;
        memset(p + h->nst, 0, (n - h->nst) * sizeof(*p));
        h->st = p;
        h->nst = n;
    }
    h->st[id].seen = 1;
    return &h->st[id];
}

/* The vehicles on the road this slot (traffic, or the scripted users moved to slot n). */
static int truth_live(struct hwy *h, unsigned n, struct isac_hwy_truth *t, unsigned *nt)
{
    const struct isac_hwy_config *c = h->c;
    *nt = 0;
    if (!c->n_users) {
        int rc = isac_hw_traffic_step(h->traffic);
        if (rc)
            return rc;
        unsigned nv;
        const struct isac_hw_vehicle *tv = isac_hw_traffic_vehicles(h->traffic, &nv);
        for (unsigned i = 0; i < nv; i++) {
            isac_rng r;
            isac_rng_seed_stream(&r, c->seed ^ 0xcf0cf0ull, tv[i].id);
            double cfo = (2.0 * isac_rng_uniform(&r) - 1.0) * c->cfo_max_hz;
            t[(*nt)++] = (struct isac_hwy_truth){
                tv[i].id, {tv[i].x, tv[i].y, tv[i].vx, tv[i].vy}, c->nf_db, cfo, c->k_db};
        }
        return ISAC_OK;
    }
    double tn = (n + 1) * c->slot_s;
    for (unsigned i = 0; i < c->n_users; i++) {
        const struct isac_hwy_user_cfg *uc = &c->users[i];
        double px = uc->x + uc->vx * tn, py = uc->y + uc->vy * tn;
        if (fabs(px) > 0.5 * c->road_length_m || fabs(py) > 0.5 * c->road_width_m)
            continue;
        t[(*nt)++] =
            (struct isac_hwy_truth){i, {px, py, uc->vx, uc->vy}, uc->nf_db, uc->cfo_hz, uc->k_db};
    }
    return ISAC_OK;
}

static int gather(struct hwy *h, unsigned n)
{
    const struct isac_hwy_config *c = h->c;
    struct isac_hwy_truth *t = malloc(ISAC_HW_MAX_VEHICLES * sizeof(*t));
    unsigned nt = 0;
    int rc;
    if (!t)
        rc = ISAC_ENOMEM;
    else if (h->io && h->io->mode == ISAC_HWY_IO_REPLAY)
        rc = isac_hwy_io_get_truth(h->io, n, t, &nt, h->err, h->errlen);
    else
        rc = truth_live(h, n, t, &nt);
    if (rc == ISAC_OK && h->io && h->io->mode == ISAC_HWY_IO_RECORD)
        rc = isac_hwy_io_put_truth(h->io, n, t, nt);
    /* the user channel evaluates positions at the burst tick: place them for tick tb */
    int64_t tb = (int64_t)n * (int64_t)llround(c->slot_s * c->fs);
    h->nv = 0;
    for (unsigned i = 0; i < nt && rc == ISAC_OK; i++) {
        struct veh *v = &h->v[h->nv++];
        v->id = t[i].id;
        memcpy(v->s, t[i].s, sizeof v->s);
        v->u = (struct isac_sim_user){v->s[0] - v->s[2] * (double)tb / c->fs,
                                      v->s[1] - v->s[3] * (double)tb / c->fs,
                                      v->s[2],
                                      v->s[3],
                                      t[i].nf_db,
                                      t[i].cfo_hz,
                                      t[i].k_db,
                                      4,
                                      50e-9};
        struct ustat *st = stat_of(h, v->id);
        if (!st)
            rc = ISAC_ENOMEM;
        else
            st->slots_present++;
    }
    free(t);
    return rc;
}

static struct veh *veh_by_id(struct hwy *h, int id)
{
    for (unsigned i = 0; i < h->nv; i++)
        if ((int)h->v[i].id == id)
            return &h->v[i];
    return NULL;
}

/* Served set of RSU r: up to `streams` confirmed tracks nearest to it among those whose
 * predicted position is nearest to r; out[k] = vehicle, phi[k] = predicted angle. */
struct served {
    unsigned K;
    struct veh *veh[64];
    double phi[64];
    double dist[64];
};

static void schedule(struct hwy *h, struct served *sv)
{
    const struct isac_hwy_config *c = h->c;
    unsigned nt;
    const struct isac_trk_track *t = isac_tracker_tracks(h->trk, &nt);
    unsigned char taken[ISAC_HW_MAX_VEHICLES] = {0};
    for (unsigned r = 0; r < c->n_rsu; r++)
        sv[r].K = 0;
    for (;;) { /* repeatedly add the globally nearest (track, its nearest RSU) pair */
        double best = INFINITY;
        unsigned bi = 0, br = 0;
        for (unsigned i = 0; i < nt; i++) {
            if (!t[i].confirmed || i >= ISAC_HW_MAX_VEHICLES || taken[i])
                continue;
            double px = t[i].f.x[0] + t[i].f.x[2] * c->slot_s;
            double py = t[i].f.x[1] + t[i].f.x[3] * c->slot_s;
            unsigned rn = 0;
            double dn = INFINITY;
            for (unsigned r = 0; r < c->n_rsu; r++) {
                double d = hypot(px - h->rsu[r].x, py - h->rsu[r].y);
                if (d < dn) {
                    dn = d;
                    rn = r;
                }
            }
            if (sv[rn].K >= c->streams) {
                taken[i] = 1;
                continue;
            }
            if (dn < best) {
                best = dn;
                bi = i;
                br = rn;
            }
        }
        if (!isfinite(best))
            break;
        taken[bi] = 1;
        struct veh *v = veh_by_id(h, t[bi].truth_id);
        int dup = 0;
        for (unsigned r = 0; r < c->n_rsu && v; r++)
            for (unsigned k = 0; k < sv[r].K; k++)
                dup |= sv[r].veh[k] == v;
        if (!v || dup)
            continue;
        double px = t[bi].f.x[0] + t[bi].f.x[2] * c->slot_s;
        double py = t[bi].f.x[1] + t[bi].f.x[3] * c->slot_s;
        struct isac_geom_ap ap = {h->rsu[br].x, h->rsu[br].y, 0.0};
        sv[br].veh[sv[br].K] = v;
        sv[br].phi[sv[br].K] = isac_geom_phi(&ap, px, py);
        sv[br].dist[sv[br].K] = best;
        sv[br].K++;
    }
}

static isac_tx_plan make_plan(struct hwy *h, const struct served *sv)
{
    const struct isac_hwy_config *c = h->c;
    isac_tx_plan p = isac_tx_plan_create(c->elements, sv->K, 1);
    if (!p)
        return NULL;
    float complex *W = isac_tx_plan_precoder(p, 0);
    double *pw = isac_tx_plan_powers(p);
    for (unsigned k = 0; k < sv->K; k++) {
        isac_array_tx_weights(h->arr, sv->phi[k], W + (size_t)k * c->elements);
        pw[k] = c->comm_share / sv->K;
    }
    W[(size_t)sv->K * c->elements] = 1.0f; /* probe: element 0 alone, omnidirectional */
    pw[sv->K] = sv->K ? 1.0 - c->comm_share : 1.0;
    return p;
}

static void link_of(struct hwy *h, unsigned r, struct isac_sim_user_link *ln)
{
    const struct isac_hwy_config *c = h->c;
    ln->tx = h->arr;
    ln->ap = (struct isac_geom_ap){h->rsu[r].x, h->rsu[r].y, 0.0};
    ln->tx_power_dbm = tx_power_dbm(c);
    ln->fc = c->fc;
    ln->fs = c->fs;
    ln->pl_db_1m = HWY_PL_1M;
    ln->pl_exp = 2.0;
    ln->seed = c->seed ^ ((uint64_t)(r + 1) << 56);
}

/* One RSU's burst to its served vehicles, each received from its own IQ. */
static int comm_rsu(struct hwy *h, unsigned r, const struct served *sv, unsigned n)
{
    const struct isac_hwy_config *c = h->c;
    if (sv->K == 0)
        return ISAC_OK;
    isac_tx_plan p = make_plan(h, sv);
    if (!p)
        return ISAC_ENOMEM;
    int rc = ISAC_OK;
    size_t pl = (size_t)c->ofdm.num_symbols * isac_ofdm_payload_bytes(h->tx);
    for (unsigned k = 0; k < sv->K; k++) {
        isac_ofdm_payload_random(h->tx, c->seed ^ ((uint64_t)n << 20), sv->veh[k]->id, h->pay[k]);
        isac_ofdm_modulate(h->tx, sv->veh[k]->id, h->pay[k], h->u[k]);
    }
    struct isac_waveform_params wp = {.kind = ISAC_WAVEFORM_QPSK,
                                      .length = (unsigned)h->L,
                                      .seed = c->seed ^ ((uint64_t)n << 8) ^ r};
    isac_waveform_generate(&wp, h->u[sv->K]);
    const float complex *uu[65];
    for (unsigned s = 0; s <= sv->K; s++)
        uu[s] = h->u[s];
    if ((rc = isac_tx_plan_compose(p, uu, h->L, h->x)) != ISAC_OK)
        goto out;
    struct isac_sim_user_link ln;
    link_of(h, r, &ln);
    int64_t tb = (int64_t)n * (int64_t)llround(c->slot_s * c->fs);
    const float complex *xx[64];
    for (unsigned m = 0; m < c->elements; m++)
        xx[m] = h->x[m];
    /* model-SINR inputs: precoder columns times sqrt(power) */
    float complex vb[65][64];
    const float complex *vv[65];
    double psd[65];
    const float complex *W = isac_tx_plan_precoder_const(p, 0);
    const double *pw = isac_tx_plan_powers_const(p);
    for (unsigned s = 0; s <= sv->K; s++) {
        for (unsigned m = 0; m < c->elements; m++)
            vb[s][m] = W[(size_t)s * c->elements + m] * (float)sqrt(pw[s]);
        vv[s] = vb[s];
        psd[s] = s < sv->K ? isac_ofdm_psd_factor(h->tx) : 1.0;
    }
    int ks[4096];
    for (unsigned i = 0; i < c->ofdm.occupied; i++)
        ks[i] = isac_ofdm_subcarrier(h->tx, i);
    for (unsigned k = 0; k < sv->K && rc == ISAC_OK; k++) {
        struct veh *v = sv->veh[k];
        if (h->io && h->io->mode == ISAC_HWY_IO_REPLAY) {
            rc = isac_hwy_io_get_rx(h->io, n, r, v->id, h->y, h->ny, h->err, h->errlen);
        } else {
            rc = isac_sim_user_render(&ln, &v->u, v->id, xx, h->L, tb, h->y, h->ny, tb - HWY_LEAD,
                                      1);
            if (rc == ISAC_OK && h->io)
                rc = isac_hwy_io_put_rx(h->io, n, r, v->id, tb - HWY_LEAD, h->y, h->ny);
        }
        if (rc)
            break;
        char err[128];
        isac_ofdm_rx rx = isac_ofdm_rx_create(&c->ofdm, v->id, HWY_SEARCH, err, sizeof err);
        if (!rx) {
            rc = ISAC_ENOMEM;
            break;
        }
        struct isac_ofdm_rx_result res;
        rc = isac_ofdm_rx_process(rx, h->y, h->ny, h->dec, NULL, &res);
        isac_ofdm_rx_destroy(rx);
        if (rc)
            break;
        double sig, intf;
        isac_sim_user_model_sinr(&ln, &v->u, v->id, tb, vv, psd, sv->K + 1, k, ks, c->ofdm.occupied,
                                 c->ofdm.nfft, &sig, &intf);
        struct ustat *st = stat_of(h, v->id);
        if (!st) {
            rc = ISAC_ENOMEM;
            break;
        }
        uint64_t e = 0;
        for (size_t i = 0; i < pl; i++)
            e += (uint64_t)__builtin_popcount((unsigned)(h->dec[i] ^ h->pay[k][i]));
        st->slots_served++;
        st->S += res.signal_power;
        st->N += res.noise_power;
        st->Smod += sig;
        st->Nmod += intf + 1.0;
        st->inv_evm += 1.0 / res.sinr_evm;
        st->bits += 8 * pl;
        st->errs += e;
        st->blocks += res.blocks;
        st->blocks_ok += res.blocks_ok;
        st->ok_bits += (uint64_t)res.blocks_ok * 8u * isac_ofdm_payload_bytes(h->tx);
        rc = isac_hwy_series_sinr(h->ser, (n + 1) * c->slot_s, v->id,
                                  10 * log10(res.signal_power / res.noise_power),
                                  10 * log10(sig / (intf + 1.0)));
        if (h->obs && h->nus < sizeof h->us / sizeof *h->us)
            h->us[h->nus++] = (struct isac_hwy_user_slot){
                v->id, r, 10 * log10(res.signal_power / res.noise_power),
                10 * log10(sig / (intf + 1.0))};
    }
out:
    if (h->obs && r == 0) { /* kept for the observer's pattern until the next slot */
        isac_tx_plan_destroy(h->plan0);
        h->plan0 = p;
        p = NULL;
    }
    isac_tx_plan_destroy(p);
    return rc;
}

/* Relative transmit gain toward phi of RSU r's best stream in plan-free form: the served
 * beams (power comm_share/K each) and the probe. */
static double sense_gain(struct hwy *h, const struct served *sv, unsigned r, double phi)
{
    const struct isac_hwy_config *c = h->c;
    double M = c->elements, best = (sv[r].K ? 1.0 - c->comm_share : 1.0) / M;
    float complex w[64];
    for (unsigned k = 0; k < sv[r].K; k++) {
        isac_array_tx_weights(h->arr, sv[r].phi[k], w);
        double g = c->comm_share / sv[r].K * isac_array_tx_gain(h->arr, w, phi) / M;
        best = g > best ? g : best;
    }
    return best;
}

/* Live: the level-0 measurements of this slot, in vehicle-major order, with the PCRB of
 * each vehicle updated as they are drawn. */
static int measure_live(struct hwy *h, const struct served *sv, struct isac_trk_meas *m,
                        unsigned *nm)
{
    const struct isac_hwy_config *c = h->c;
    double det = pow(10.0, c->det_snr_db / 10.0);
    *nm = 0;
    for (unsigned i = 0; i < h->nv; i++) {
        struct veh *v = &h->v[i];
        for (unsigned r = 0; r < c->n_rsu; r++) {
            struct isac_geom_ap ap = {h->rsu[r].x, h->rsu[r].y, 0.0};
            double phi = isac_geom_phi(&ap, v->s[0], v->s[1]);
            double d = hypot(v->s[0] - ap.x, v->s[1] - ap.y);
            double g = sense_gain(h, sv, r, phi);
            double snr = pow(10.0, h->sm.snr_ref_db / 10.0) * pow(HWY_REF_D / d, 4.0) * g;
            if (snr * c->elements < det)
                continue;
            isac_sense_model_measure(&h->sm, &h->rsu[r], r, v->s, g, (int)v->id, &h->rng_meas,
                                     &m[(*nm)++]);
        }
    }
    return ISAC_OK;
}

/* Scoring only: the vehicle nearest to a detection in (u, d), within two resolution cells,
 * or -1 (a false alarm or a merged echo the tracker will have to cope with). */
static int label(struct hwy *h, unsigned r, const struct isac_trk_meas *m)
{
    const struct isac_hwy_config *c = h->c;
    double cell = 299792458.0 / (2.0 * c->sense_band), ucell = 2.0 / c->elements;
    double best = 4.0;
    int id = -1;
    for (unsigned i = 0; i < h->nv; i++) {
        double z[3];
        isac_trk_h(h->v[i].s, &h->rsu[r], z, NULL);
        double e = pow((z[0] - m->u) / ucell, 2) + pow((z[1] - m->d) / cell, 2);
        if (e < best) {
            best = e;
            id = (int)h->v[i].id;
        }
    }
    return id;
}

/* Live, sense_model mf: each RSU sends its slot plan with a probe code per column
 * (sense_bursts bursts), the emulator renders every vehicle's echo at the RSU's receive
 * array, and the RSU's matched filter and detector measure (u, d, r) without truth. */
static int measure_mf(struct hwy *h, const struct served *sv, unsigned n, struct isac_trk_meas *m,
                      unsigned cap, unsigned *nm)
{
    const struct isac_hwy_config *c = h->c;
    struct isac_sim_echo_target *tg = malloc((h->nv + 1) * sizeof(*tg));
    int rc = tg ? ISAC_OK : ISAC_ENOMEM;
    for (unsigned i = 0; i < h->nv && rc == ISAC_OK; i++)
        tg[i] =
            (struct isac_sim_echo_target){h->v[i].s[0], h->v[i].s[1], h->v[i].s[2], h->v[i].s[3]};
    *nm = 0;
    for (unsigned r = 0; r < c->n_rsu && rc == ISAC_OK; r++) {
        isac_tx_plan p = make_plan(h, &sv[r]);
        if (!p) {
            rc = ISAC_ENOMEM;
            break;
        }
        unsigned S = sv[r].K + 1;
        const float complex *uu[65];
        for (unsigned s = 0; s < S; s++)
            uu[s] = isac_sense_mf_code(h->smf, s);
        rc = isac_tx_plan_compose(p, uu, c->sense_len, h->sx);
        struct isac_sim_echo_link ln = {h->arr,      h->rsu[r].x,
                                        h->rsu[r].y, c->sense_fs,
                                        c->fc,       pow(10.0, h->sm.snr_ref_db / 10.0),
                                        HWY_REF_D};
        const float complex *xx[64];
        for (unsigned e = 0; e < c->elements; e++)
            xx[e] = h->sx[e];
        size_t W = isac_sense_mf_window(h->smf);
        for (unsigned b = 0; b < c->sense_bursts && rc == ISAC_OK; b++) {
            uint64_t ns = c->seed ^ 0xec40ec40ull ^ ((uint64_t)n << 24) ^ ((uint64_t)r << 16) ^ b;
            rc = isac_sim_echo_render(&ln, tg, h->nv, xx, c->sense_len, b * c->sense_gap_s,
                                      h->sy[b], W, ns);
        }
        const float complex *const *yy[2] = {(const float complex *const *)h->sy[0],
                                             (const float complex *const *)h->sy[1]};
        unsigned nd = 0;
        if (rc == ISAC_OK)
            rc = isac_sense_mf_detect(h->smf, isac_tx_plan_precoder_const(p, 0),
                                      isac_tx_plan_powers_const(p), S, yy, r, m + *nm, cap - *nm,
                                      &nd);
        for (unsigned k = 0; k < nd; k++)
            m[*nm + k].truth_id = label(h, r, &m[*nm + k]);
        *nm += nd;
        isac_tx_plan_destroy(p);
    }
    free(tg);
    return rc;
}

/* The PCRB of every vehicle on the road: prediction, then the information of each of its
 * measurements (any source), in measurement order. */
static void pcrb_update(struct hwy *h, const struct isac_trk_meas *m, unsigned nm)
{
    const struct isac_hwy_config *c = h->c;
    for (unsigned i = 0; i < h->nv; i++) {
        struct veh *v = &h->v[i];
        struct ustat *st = stat_of(h, v->id);
        if (st->pcrb_on)
            isac_trk_pcrb_predict(&st->pc, c->slot_s, c->qx, c->qy);
        for (unsigned k = 0; k < nm; k++) {
            if (m[k].truth_id != (int)v->id || m[k].rsu >= c->n_rsu)
                continue;
            if (!st->pcrb_on) {
                const double P0[16] = {4, 0, 0, 0, 0, 4, 0, 0, 0, 0, 1600, 0, 0, 0, 0, 1};
                isac_trk_pcrb_init(&st->pc, P0);
                st->pcrb_on = 1;
            }
            isac_trk_pcrb_measure(&st->pc, v->s, &h->rsu[m[k].rsu], m[k].su, m[k].sd, m[k].sr);
        }
    }
}

static int sense_and_track(struct hwy *h, const struct served *sv, unsigned n)
{
    const struct isac_hwy_config *c = h->c;
    struct isac_trk_meas *m = NULL;
    unsigned nm = 0;
    int rc;
    if (h->io && h->io->mode == ISAC_HWY_IO_REPLAY) {
        rc = isac_hwy_io_get_meas(h->io, n, &m, &nm, h->err, h->errlen);
    } else {
        unsigned cap = (h->nv + 32) * c->n_rsu;
        m = malloc((size_t)cap * sizeof(*m));
        if (!m)
            rc = ISAC_ENOMEM;
        else if (c->sense_model == ISAC_HWY_SENSE_MF)
            rc = measure_mf(h, sv, n, m, cap, &nm);
        else
            rc = measure_live(h, sv, m, &nm);
        if (rc == ISAC_OK && h->io)
            rc = isac_hwy_io_put_meas(h->io, n, m, nm);
    }
    if (rc) {
        free(m);
        return rc;
    }
    pcrb_update(h, m, nm);
    h->detections += nm;
    h->slot_meas = nm;
    rc = isac_tracker_step(h->trk, m, nm);
    free(m);
    if (rc)
        return rc;
    /* errors of the confirmed tracks against their vehicles, and the bound */
    unsigned nt;
    const struct isac_trk_track *t = isac_tracker_tracks(h->trk, &nt);
    double se = 0, sb = 0;
    unsigned cnt = 0;
    for (unsigned i = 0; i < nt && rc == ISAC_OK; i++) {
        struct veh *v = t[i].confirmed ? veh_by_id(h, t[i].truth_id) : NULL;
        rc = isac_hwy_series_point(h->ser, (n + 1) * c->slot_s, 1, t[i].id, t[i].f.x[0],
                                   t[i].f.x[1]);
        struct ustat *st = v ? stat_of(h, v->id) : NULL;
        double C[16];
        if (!v || !st->pcrb_on || isac_trk_pcrb_cov(&st->pc, C))
            continue;
        unsigned rn = fabs(v->s[1] - h->rsu[0].y) <= fabs(v->s[1] - h->rsu[c->n_rsu - 1].y)
                          ? 0
                          : c->n_rsu - 1;
        double ze[3], zt[3], br, ba;
        isac_trk_h(t[i].f.x, &h->rsu[rn], ze, NULL);
        isac_trk_h(v->s, &h->rsu[rn], zt, NULL);
        isac_trk_bound_range_angle(C, v->s, &h->rsu[rn], &br, &ba);
        double er = ze[1] - zt[1], ea = asin(fmax(-1, fmin(1, ze[0]))) - asin(zt[0]);
        h->se_r += er * er;
        h->sb_r += br * br;
        h->se_a += ea * ea;
        h->sb_a += ba * ba;
        h->samples++;
        se += er * er;
        sb += br * br;
        cnt++;
    }
    for (unsigned i = 0; i < h->nv && rc == ISAC_OK; i++)
        rc = isac_hwy_series_point(h->ser, (n + 1) * c->slot_s, 0, h->v[i].id, h->v[i].s[0],
                                   h->v[i].s[1]);
    if (rc == ISAC_OK && cnt)
        rc = isac_hwy_series_rmse(h->ser, (n + 1) * c->slot_s, sqrt(se / cnt), sqrt(sb / cnt));
    return rc;
}

static void hwy_free(struct hwy *h)
{
    unsigned S = h->c->streams + 1;
    for (unsigned s = 0; h->u && s < S; s++)
        free(h->u[s]);
    for (unsigned m = 0; h->x && m < h->c->elements; m++)
        free(h->x[m]);
    for (unsigned s = 0; h->pay && s < S; s++)
        free(h->pay[s]);
    free(h->u);
    free(h->x);
    free(h->pay);
    free(h->y);
    free(h->dec);
    free(h->st);
    free(h->v);
    for (unsigned m = 0; h->sx && m < h->c->elements; m++)
        free(h->sx[m]);
    free(h->sx);
    for (unsigned b = 0; b < 2; b++) {
        for (unsigned m = 0; h->sy[b] && m < h->c->elements; m++)
            free(h->sy[b][m]);
        free(h->sy[b]);
    }
    isac_sense_mf_destroy(h->smf);
    isac_tx_plan_destroy(h->plan0);
    isac_tracker_destroy(h->trk);
    isac_hw_traffic_destroy(h->traffic);
    isac_ofdm_destroy(h->tx);
    isac_array_destroy(h->arr);
}

/* The RSUs' matched filter and detector, and the sensing burst buffers. */
static int sense_init(struct hwy *h, char *err, size_t errlen)
{
    const struct isac_hwy_config *c = h->c;
    double dmax = 0; /* farthest road corner from any RSU, plus a margin */
    for (unsigned r = 0; r < c->n_rsu; r++)
        for (int sx = -1; sx <= 1; sx += 2)
            for (int sy = -1; sy <= 1; sy += 2)
                dmax = fmax(dmax, hypot(sx * 0.5 * c->road_length_m - c->rsu[r][0],
                                        sy * 0.5 * c->road_width_m - c->rsu[r][1]));
    size_t lags = (size_t)ceil(2.0 * (dmax + 10.0) / 299792458.0 * c->sense_fs) + 2;
    if (lags > c->sense_len) {
        isac_seterr(err, errlen,
                    "highway: sense_len: %u shorter than the %zu range bins the road needs",
                    c->sense_len, lags);
        return ISAC_EINVAL;
    }
    struct isac_sense_mf_params p = {c->streams + 1,  c->sense_len,         lags,
                                     c->sense_fs,     c->sense_band,        c->fc,
                                     c->sense_gap_s,  c->sense_bursts,      c->det_snr_db,
                                     4 * c->elements, c->seed ^ 0x5e45e0ull};
    if (!(h->smf = isac_sense_mf_create(&p, h->arr, err, errlen)))
        return ISAC_EINVAL;
    size_t W = isac_sense_mf_window(h->smf);
    h->sx = calloc(c->elements, sizeof(*h->sx));
    if (!h->sx)
        goto nomem;
    for (unsigned m = 0; m < c->elements; m++)
        if (!(h->sx[m] = calloc(c->sense_len, sizeof(float complex))))
            goto nomem;
    for (unsigned b = 0; b < c->sense_bursts; b++) {
        if (!(h->sy[b] = calloc(c->elements, sizeof(*h->sy[b]))))
            goto nomem;
        for (unsigned m = 0; m < c->elements; m++)
            if (!(h->sy[b][m] = calloc(W, sizeof(float complex))))
                goto nomem;
    }
    return ISAC_OK;
nomem:
    isac_seterr(err, errlen, "highway: out of memory");
    return ISAC_ENOMEM;
}

static int hwy_init(struct hwy *h, const struct isac_hwy_config *c, char *err, size_t errlen)
{
    memset(h, 0, sizeof(*h));
    h->c = c;
    h->arr = isac_array_create_ula(c->elements, 0.5);
    h->tx = isac_ofdm_create(&c->ofdm, err, errlen);
    if (!h->arr || !h->tx)
        return ISAC_EINVAL;
    h->L = isac_ofdm_burst_length(h->tx);
    h->ny = h->L + HWY_SEARCH + HWY_LEAD + 64;
    for (unsigned r = 0; r < c->n_rsu; r++)
        h->rsu[r] = (struct isac_trk_rsu){c->rsu[r][0], c->rsu[r][1]};
    struct isac_trk_params tp;
    isac_trk_params_default(&tp);
    tp.slot_s = c->slot_s;
    tp.qx = c->qx;
    tp.qy = c->qy;
    tp.x_min = -0.5 * c->road_length_m;
    tp.x_max = 0.5 * c->road_length_m;
    tp.y_min = -0.5 * c->road_width_m;
    tp.y_max = 0.5 * c->road_width_m;
    h->trk = isac_tracker_create(&tp, h->rsu, c->n_rsu);
    if (!c->n_users) {
        struct isac_hw_traffic_params p;
        isac_hw_traffic_params_default(&p);
        p.length_m = c->road_length_m;
        p.width_m = c->road_width_m;
        p.rate[0] = c->rate[0];
        p.rate[1] = c->rate[1];
        p.speed_mean = c->speed_mean;
        p.speed_std = c->speed_std;
        p.slot_s = c->slot_s;
        p.seed = c->seed;
        if (!(h->traffic = isac_hw_traffic_create(&p, err, errlen)))
            return ISAC_EINVAL;
    }
    h->sm = (struct isac_sense_model){c->sense_snr_db + c->tx_power_db,
                                      HWY_REF_D,
                                      c->elements,
                                      c->fs,
                                      (double)h->L / c->fs,
                                      c->fc};
    isac_rng_seed_stream(&h->rng_meas, c->seed, 0x5e75e);
    unsigned S = c->streams + 1;
    size_t pl = (size_t)c->ofdm.num_symbols * isac_ofdm_payload_bytes(h->tx);
    h->u = calloc(S, sizeof(*h->u));
    h->x = calloc(c->elements, sizeof(*h->x));
    h->pay = calloc(S, sizeof(*h->pay));
    h->y = calloc(h->ny, sizeof(*h->y));
    h->dec = calloc(pl, 1);
    h->v = calloc(ISAC_HW_MAX_VEHICLES, sizeof(*h->v));
    if (!h->trk || !h->u || !h->x || !h->pay || !h->y || !h->dec || !h->v)
        goto nomem;
    for (unsigned s = 0; s < S; s++)
        if (!(h->u[s] = calloc(h->L, sizeof(float complex))) || !(h->pay[s] = calloc(pl, 1)))
            goto nomem;
    for (unsigned m = 0; m < c->elements; m++)
        if (!(h->x[m] = calloc(h->L, sizeof(float complex))))
            goto nomem;
    if (c->sense_model == ISAC_HWY_SENSE_MF)
        return sense_init(h, err, errlen);
    return ISAC_OK;
nomem:
    isac_seterr(err, errlen, "highway: out of memory");
    return ISAC_ENOMEM;
}

static json_t *num_or_null(double v)
{
    return isfinite(v) ? json_real(v) : json_null();
}

static json_t *result_json(struct hwy *h, unsigned slots)
{
    const struct isac_hwy_config *c = h->c;
    json_t *users = json_array();
    for (unsigned id = 0; id < h->nst; id++) {
        const struct ustat *s = &h->st[id];
        if (!s->seen)
            continue;
        int served = s->slots_served > 0;
        json_t *u = json_object();
        json_object_set_new(u, "id", json_integer(id));
        json_object_set_new(u, "sinr_db_measured",
                            served ? num_or_null(10 * log10(s->S / s->N)) : json_null());
        json_object_set_new(u, "sinr_db_model",
                            served ? num_or_null(10 * log10(s->Smod / s->Nmod)) : json_null());
        json_object_set_new(u, "sinr_db_evm",
                            served ? num_or_null(10 * log10(s->slots_served / s->inv_evm))
                                   : json_null());
        json_object_set_new(u, "ber", served ? json_real((double)s->errs / s->bits) : json_null());
        json_object_set_new(
            u, "bler", served ? json_real(1.0 - (double)s->blocks_ok / s->blocks) : json_null());
        json_object_set_new(u, "goodput_bps",
                            json_real((double)s->ok_bits / (s->slots_present * c->slot_s)));
        json_object_set_new(u, "slots_present", json_integer(s->slots_present));
        json_object_set_new(u, "slots_served", json_integer(s->slots_served));
        json_array_append_new(users, u);
    }
    double ns = h->samples ? (double)h->samples : NAN;
    json_t *trk = json_object();
    json_object_set_new(trk, "rmse_range_m", num_or_null(sqrt(h->se_r / ns)));
    json_object_set_new(trk, "pcrb_range_m", num_or_null(sqrt(h->sb_r / ns)));
    json_object_set_new(trk, "rmse_angle_deg", num_or_null(sqrt(h->se_a / ns) * 180 / M_PI));
    json_object_set_new(trk, "pcrb_angle_deg", num_or_null(sqrt(h->sb_a / ns) * 180 / M_PI));
    json_object_set_new(trk, "tracks", json_integer(isac_tracker_births(h->trk)));
    json_object_set_new(trk, "tracks_ended", json_integer(isac_tracker_ends(h->trk)));
    json_object_set_new(trk, "samples", json_integer((json_int_t)h->samples));
    json_object_set_new(trk, "detections", json_integer((json_int_t)h->detections));
    json_t *o = json_object();
    json_object_set_new(o, "scene", json_string("highway"));
    json_object_set_new(o, "seed", json_integer((json_int_t)c->seed));
    json_object_set_new(o, "slots", json_integer(slots));
    unsigned seen = 0;
    for (unsigned id = 0; id < h->nst; id++)
        seen += (unsigned)h->st[id].seen;
    json_object_set_new(o, "vehicles", json_integer(seen));
    json_object_set_new(o, "users", users);
    json_object_set_new(o, "tracking", trk);
    json_object_set_new(o, "config", isac_hwy_config_to_json(c));
    return o;
}

int isac_hwy_run(const struct isac_hwy_config *c, json_t **result, struct isac_hwy_series **series,
                 char *err, size_t errlen)
{
    return isac_hwy_run_io(c, NULL, result, series, err, errlen);
}

int isac_hwy_run_io(const struct isac_hwy_config *c, isac_hwy_io io, json_t **result,
                    struct isac_hwy_series **series, char *err, size_t errlen)
{
    return isac_hwy_run_watch(c, io, NULL, result, series, err, errlen);
}

/* The observer's view of slot n; non-zero: stop. */
static int watch_slot(struct hwy *h, unsigned n, unsigned slots)
{
    unsigned nt;
    const struct isac_trk_track *t = isac_tracker_tracks(h->trk, &nt);
    struct isac_hwy_slot_view v = {.slot = n,
                                   .slots = slots,
                                   .t_s = (n + 1) * h->c->slot_s,
                                   .vehicles = h->nv,
                                   .detections = h->slot_meas,
                                   .tracks = t,
                                   .ntracks = nt,
                                   .users = h->us,
                                   .nusers = h->nus,
                                   .arr = h->arr,
                                   .plan0 = h->plan0};
    int stop = h->obs->slot(h->obs->ctx, &v);
    h->nus = 0;
    isac_tx_plan_destroy(h->plan0);
    h->plan0 = NULL;
    if (stop)
        isac_seterr(h->err, h->errlen, "highway: stopped at slot %u", n);
    return stop ? ISAC_EIO : ISAC_OK;
}

int isac_hwy_run_watch(const struct isac_hwy_config *c, isac_hwy_io io,
                       const struct isac_hwy_observer *obs, json_t **result,
                       struct isac_hwy_series **series, char *err, size_t errlen)
{
    struct hwy h;
    *result = NULL;
    if (err && errlen)
        err[0] = '\0';
    if (series)
        *series = NULL;
    if (isac_hwy_config_validate(c, "highway", err, errlen))
        return ISAC_EINVAL;
    int rc = hwy_init(&h, c, err, errlen);
    h.io = io;
    h.obs = obs;
    h.err = err;
    h.errlen = errlen;
    if (rc == ISAC_OK && !(h.ser = isac_hwy_series_create()))
        rc = ISAC_ENOMEM;
    unsigned slots = (unsigned)llround(c->duration_s / c->slot_s);
    for (unsigned n = 0; n < slots && rc == ISAC_OK; n++) {
        struct served sv[ISAC_HWY_MAX_RSUS];
        if ((rc = gather(&h, n)))
            break;
        schedule(&h, sv);
        for (unsigned r = 0; r < c->n_rsu && rc == ISAC_OK; r++)
            rc = comm_rsu(&h, r, &sv[r], n);
        if (rc == ISAC_OK)
            rc = sense_and_track(&h, sv, n);
        if (rc == ISAC_OK && obs)
            rc = watch_slot(&h, n, slots);
    }
    if (rc == ISAC_OK) {
        *result = result_json(&h, slots);
        if (series) {
            *series = h.ser;
            h.ser = NULL;
        }
    } else if (!err[0]) {
        isac_seterr(err, errlen, "highway: %s", isac_strerror(rc));
    }
    isac_hwy_series_free(h.ser);
    hwy_free(&h);
    return rc;
}

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e9 + ts.tv_nsec;
}

int isac_hwy_bench_comm(unsigned users, unsigned reps, double *mod_ns, double *rx_ns,
                        double *render_ns, char *err, size_t errlen)
{
    struct isac_hwy_config c;
    isac_hwy_config_defaults(&c);
    if (users < 1 || users > c.streams || reps < 1) {
        isac_seterr(err, errlen, "bench comm: users %u outside 1..%u", users, c.streams);
        return ISAC_EINVAL;
    }
    struct hwy h;
    int rc = hwy_init(&h, &c, err, errlen);
    struct served sv = {0};
    struct veh vv[64];
    for (unsigned k = 0; k < users; k++) {
        double x = -25.0 + 50.0 * k / users;
        vv[k] = (struct veh){k, {x, -2.5, 30, 0}, {x, -2.5, 30, 0, 7, 500, INFINITY, 0, 0}};
        sv.veh[k] = &vv[k];
        struct isac_geom_ap ap = {0, -30, 0};
        sv.phi[k] = isac_geom_phi(&ap, x, -2.5);
    }
    sv.K = users;
    double tm = 0, tr = 0, tx = 0;
    if (rc != ISAC_OK) {
        hwy_free(&h);
        return rc;
    }
    struct isac_sim_user_link ln;
    link_of(&h, 1, &ln);
    for (unsigned it = 0; it < reps && rc == ISAC_OK; it++) {
        double t0 = now_ns();
        isac_tx_plan p = make_plan(&h, &sv);
        for (unsigned k = 0; k < users; k++) {
            isac_ofdm_payload_random(h.tx, it, k, h.pay[k]);
            isac_ofdm_modulate(h.tx, k, h.pay[k], h.u[k]);
        }
        struct isac_waveform_params wp = {
            .kind = ISAC_WAVEFORM_QPSK, .length = (unsigned)h.L, .seed = it};
        isac_waveform_generate(&wp, h.u[users]);
        const float complex *uu[65];
        for (unsigned s = 0; s <= users; s++)
            uu[s] = h.u[s];
        rc = p ? isac_tx_plan_compose(p, uu, h.L, h.x) : ISAC_ENOMEM;
        isac_tx_plan_destroy(p);
        double t1 = now_ns();
        tm += t1 - t0;
        const float complex *xx[64];
        for (unsigned m = 0; m < c.elements; m++)
            xx[m] = h.x[m];
        for (unsigned k = 0; k < users && rc == ISAC_OK; k++) {
            double a = now_ns();
            rc = isac_sim_user_render(&ln, &vv[k].u, k, xx, h.L, 0, h.y, h.ny, -HWY_LEAD, 1);
            double b = now_ns();
            isac_ofdm_rx rx = isac_ofdm_rx_create(&c.ofdm, k, HWY_SEARCH, err, errlen);
            struct isac_ofdm_rx_result res;
            rc = rc   ? rc
                 : rx ? isac_ofdm_rx_process(rx, h.y, h.ny, h.dec, NULL, &res)
                      : ISAC_ENOMEM;
            isac_ofdm_rx_destroy(rx);
            tx += b - a;
            tr += now_ns() - b;
        }
    }
    hwy_free(&h);
    *mod_ns = tm / reps;
    *rx_ns = tr / ((double)reps * users);
    *render_ns = tx / ((double)reps * users);
    return rc;
}
