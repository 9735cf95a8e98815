/* Ground truth of the emulator as JSON (docs/emulator.md, "Ground truth"). */
#include <jansson.h>
#include <math.h>
#include <stdlib.h>

#include "sim/sim_internal.h"

#define RAD2DEG (180.0 / M_PI)

static json_t *chan_array(isac_sim s, unsigned n, int rx, int field)
{
    json_t *a = json_array();
    for (unsigned c = 0; c < n; c++) {
        struct isac_sim_chan_truth t = rx ? isac_sim_rx_truth(s, c) : isac_sim_tx_truth(s, c);
        double v = field == 0 ? t.phase_rad * RAD2DEG : field == 1 ? t.gain_db : t.delay_samples;
        json_array_append_new(a, json_real(v));
    }
    return a;
}

static json_t *xy(double x, double y)
{
    return json_pack("[f,f]", x, y);
}

static json_t *track_json(isac_sim s, unsigned k)
{
    const struct sim_target *t = &s->tgt[k];
    json_t *a = json_array();
    /* the waypoints drawn so far (the last one is where the current leg ends) */
    for (size_t i = 0; i < t->nlegs; i++)
        json_array_append_new(a, json_pack("{s:I,s:f,s:f,s:f,s:f}", "tick",
                                           (json_int_t)t->legs[i].t0, "x", t->legs[i].x, "y",
                                           t->legs[i].y, "vx", t->legs[i].vx, "vy", t->legs[i].vy));
    return a;
}

static json_t *path_json(isac_sim s, const struct isac_sim_path *p, double snr, double snr_mean)
{
    json_t *o =
        json_pack("{s:f,s:f,s:f,s:f,s:f,s:f,s:[f,f]}", "range_m", p->range_m, "delay_samples",
                  p->delay_samples, "phi0_deg", p->phi0 * RAD2DEG, "phin_deg", p->phin * RAD2DEG,
                  "doppler_hz", p->doppler_hz, "gain_db", 20 * log10(cabs(p->gain) + 1e-300),
                  "gain", creal(p->gain), cimag(p->gain));
    (void)s;
    if (snr >= 0) {
        json_object_set_new(o, "snr_bf_db", json_real(10 * log10(snr + 1e-300)));
        json_object_set_new(o, "snr_bf_mean_db", json_real(10 * log10(snr_mean + 1e-300)));
    }
    return o;
}

static json_t *targets_json(isac_sim s)
{
    json_t *arr = json_array();
    for (unsigned k = 0; k < s->p.targets; k++) {
        double x, y, vx, vy;
        sim_target_state(s, k, s->now, &x, &y, &vx, &vy);
        json_t *rcs = json_array(), *per_ap = json_array();
        for (unsigned n = 0; n < ISAC_SIM_NUM_RX_APS; n++) {
            struct isac_sim_path p;
            isac_sim_target_path(s, k, n, s->now, &p);
            json_array_append_new(rcs, json_pack("[f,f]", creal(p.alpha), cimag(p.alpha)));
            json_array_append_new(per_ap, path_json(s, &p, isac_sim_target_snr(s, k, n, s->now, 0),
                                                    isac_sim_target_snr(s, k, n, s->now, 1)));
        }
        json_array_append_new(arr, json_pack("{s:o,s:o,s:f,s:o,s:o,s:o}", "position", xy(x, y),
                                             "velocity", xy(vx, vy), "speed", hypot(vx, vy), "rcs",
                                             rcs, "per_ap", per_ap, "track", track_json(s, k)));
    }
    return arr;
}

char *isac_sim_truth_json(isac_sim s)
{
    static const char *const rcs_names[] = {"swerling1", "swerling2", "fixed"};
    json_t *o = json_object();
    json_object_set_new(o, "seed", json_integer((json_int_t)s->p.seed));
    json_object_set_new(o, "episode", json_integer((json_int_t)s->episode));
    json_object_set_new(o, "tick", json_integer((json_int_t)s->now));
    json_object_set_new(o, "episode_tick", json_integer((json_int_t)s->episode_t0));
    json_object_set_new(o, "impairments", json_boolean(s->p.impairments));
    json_object_set_new(o, "lo_shared", json_boolean(s->p.lo_shared));
    json_object_set_new(o, "retunes", json_integer((json_int_t)s->retunes));
    json_object_set_new(o, "rx_phase_deg", chan_array(s, s->num_rx, 1, 0));
    json_object_set_new(o, "rx_gain_db", chan_array(s, s->num_rx, 1, 1));
    json_object_set_new(o, "rx_delay_samples", chan_array(s, s->num_rx, 1, 2));
    json_object_set_new(o, "tx_phase_deg", chan_array(s, s->M, 0, 0));
    json_object_set_new(o, "tx_gain_db", chan_array(s, s->M, 0, 1));
    json_object_set_new(o, "tx_delay_samples", chan_array(s, s->M, 0, 2));
    json_t *cfo = json_array();
    for (unsigned n = 0; n < ISAC_SIM_NUM_RX_APS; n++)
        json_array_append_new(cfo, json_real(s->cfo_rx[n]));
    json_object_set_new(o, "cfo_hz", json_pack("{s:f,s:o}", "tx", s->cfo_tx, "rx", cfo));
    json_object_set_new(o, "noise_var", json_real(s->p.noise ? 1.0 : 0.0));
    json_t *nv = json_array();
    for (unsigned c = 0; c < s->num_rx; c++)
        json_array_append_new(nv, json_real(s->p.noise ? pow(10.0, s->rx_gain_db[c] / 10.0) : 0.0));
    json_object_set_new(o, "rx_noise_var", nv);
    json_object_set_new(o, "noise_dbm", json_real(s->noise_dbm));
    json_object_set_new(o, "cpi_ref", json_integer(s->p.cpi));
    json_object_set_new(o, "pg_db", json_real(s->p.pg_db));
    json_object_set_new(o, "rcs_model", json_string(rcs_names[s->p.rcs]));
    json_object_set_new(o, "sigma_alpha2_db", json_real(s->p.rcs_db));
    json_object_set_new(o, "targets", targets_json(s));
    json_t *cl = json_array();
    for (unsigned q = 0; q < s->p.clutter; q++) {
        json_t *al = json_array();
        for (unsigned n = 0; n < ISAC_SIM_NUM_RX_APS; n++)
            json_array_append_new(
                al, json_pack("[f,f]", creal(s->clut[q].alpha[n]), cimag(s->clut[q].alpha[n])));
        json_array_append_new(
            cl, json_pack("{s:o,s:o}", "position", xy(s->clut[q].x, s->clut[q].y), "rcs", al));
    }
    json_object_set_new(o, "clutter", cl);
    json_t *lk = json_array();
    if (s->p.leak)
        for (unsigned n = 0; n < ISAC_SIM_NUM_RX_APS; n++) {
            struct isac_sim_path p;
            sim_leak_path(s, n, &p);
            json_array_append_new(lk, path_json(s, &p, -1, -1));
        }
    json_object_set_new(o, "leakage", lk);
    char *txt = json_dumps(o, JSON_COMPACT | JSON_REAL_PRECISION(10));
    json_decref(o);
    return txt;
}
