/* V2I scene and EKF prediction for the seed 002 optimisers (ma_v2i.h). */
#include "ma/ma_v2i.h"

#include <math.h>
#include <string.h>

#include "common/err.h"
#include "common/rng.h"
#include "track/ekf.h"

void isac_ma_v2i_opts_default(struct isac_ma_v2i_opts *o)
{
    o->road_offset = 15.0;
    o->x_span = 30.0;
    o->min_gap = 10.0;
    o->v_lo = 15.0;
    o->v_hi = 30.0;
    o->slots = 8;
    o->slot_s = 0.05;
    o->q = 1.0;
    o->su = 0.003;
    o->sd = 0.2;
    o->sr = 0.5;
    o->d0 = 30.0;
    o->radar_snr0 = 10.0;
    o->comm_snr0 = 320.0;
}

static void eta_of(const double *x, double eta[3], double G[12])
{
    double px = x[0], py = x[1], d2 = px * px + py * py, d = sqrt(d2);
    eta[0] = atan2(py, px);
    eta[1] = d;
    eta[2] = -x[2];
    double g[12] = {-py / d2, px / d2, 0, 0, px / d, py / d, 0, 0, 0, 0, -1, 0};
    memcpy(G, g, sizeof g);
}

static void budgets(const struct isac_ma_v2i_opts *o, struct isac_ma_vehicle *v)
{
    double r = o->d0 / v->d;
    v->snr_r = o->radar_snr0 * r * r * r * r;
    v->snr_c = o->comm_snr0 * r * r;
}

int isac_ma_v2i_draw(const struct isac_ma_scene *s, const struct isac_ma_v2i_opts *o, uint64_t seed,
                     struct isac_ma_vehicle *pred, struct isac_ma_vehicle *truth)
{
    if (!(o->road_offset > 0) || !(o->x_span > 0) || !(o->v_lo > 0) || o->v_hi < o->v_lo ||
        o->slots < 1 || !(o->slot_s > 0) || !(o->q > 0) || !(o->su > 0) || !(o->sd > 0) ||
        !(o->sr > 0) || !(o->d0 > 0) || o->min_gap * (s->K - 1) >= 2 * o->x_span)
        return ISAC_EINVAL;
    isac_rng rng;
    isac_rng_seed(&rng, seed);
    double X[ISAC_MA_MAX_VEH];
    for (unsigned k = 0; k < s->K; k++) {
        int ok;
        do { /* rejection: keep vehicles min_gap apart */
            X[k] = (2 * isac_rng_uniform(&rng) - 1) * o->x_span;
            ok = 1;
            for (unsigned j = 0; j < k; j++)
                ok &= fabs(X[k] - X[j]) >= o->min_gap;
        } while (!ok);
    }
    const struct isac_trk_rsu rsu = {0.0, 0.0};
    for (unsigned k = 0; k < s->K; k++) {
        double spd = o->v_lo + (o->v_hi - o->v_lo) * isac_rng_uniform(&rng);
        double xt[4] = {X[k], o->road_offset, -spd, 0.0};
        struct isac_trk_ekf f;
        memset(&f, 0, sizeof f);
        for (int i = 0; i < 4; i++) {
            f.x[i] = xt[i] + isac_rng_normal(&rng);
            f.P[5 * i] = 1.0;
        }
        for (unsigned n = 0; n < o->slots; n++) {
            xt[0] += xt[2] * o->slot_s;
            isac_trk_ekf_predict(&f, o->slot_s, o->q, o->q);
            double z[3];
            isac_trk_h(xt, &rsu, z, NULL);
            struct isac_trk_meas m = {.rsu = 0,
                                      .u = z[0] + o->su * isac_rng_normal(&rng),
                                      .d = z[1] + o->sd * isac_rng_normal(&rng),
                                      .r = z[2] + o->sr * isac_rng_normal(&rng),
                                      .su = o->su,
                                      .sd = o->sd,
                                      .sr = o->sr,
                                      .truth_id = (int)k};
            if (isac_trk_ekf_update(&f, &rsu, &m, NULL) != ISAC_OK)
                return ISAC_EINVAL;
        }
        xt[0] += xt[2] * o->slot_s; /* slot n: the prediction stage designs for it */
        isac_trk_ekf_predict(&f, o->slot_s, o->q, o->q);
        double eta[3], G[12], GP[12], M[9], Minv[9];
        eta_of(f.x, eta, G);
        for (int i = 0; i < 3; i++)
            for (int j = 0; j < 4; j++) {
                GP[4 * i + j] = 0;
                for (int a = 0; a < 4; a++)
                    GP[4 * i + j] += G[4 * i + a] * f.P[4 * a + j];
            }
        for (int i = 0; i < 3; i++)
            for (int j = 0; j < 3; j++) {
                M[3 * i + j] = 0;
                for (int a = 0; a < 4; a++)
                    M[3 * i + j] += GP[4 * i + a] * G[4 * j + a];
            }
        if (isac_trk_inv(M, Minv, 3) != ISAC_OK)
            return ISAC_EINVAL;
        struct isac_ma_vehicle *v = &pred[k];
        memset(v, 0, sizeof *v);
        v->theta = eta[0];
        v->d = eta[1];
        v->v = eta[2];
        for (int i = 0; i < 3; i++)
            v->jp[i] = Minv[4 * i];
        budgets(o, v);
        if (truth) {
            double et[3], Gt[12];
            eta_of(xt, et, Gt);
            truth[k] = *v;
            truth[k].theta = et[0];
            truth[k].d = et[1];
            truth[k].v = et[2];
            budgets(o, &truth[k]);
        }
    }
    return ISAC_OK;
}
