/* Seed 000's vehicular evaluation (docs/vehicular.md): the highway scene's vehicles,
 * tracker and users driven by an assignment/beamforming scheme (host/vehicular/
 * veh_scheme.h) for `isactb bench vehicular` and the LSTM teacher data.
 *
 * Per slot of T = slot_s:
 *   1. vehicles move: a fixed drop of K vehicles (uniform along the road, kept on it for
 *      the whole run, random direction, lane y = -/+2.5 m, speed N(30, 3^2) m/s) or Poisson
 *      traffic (host/track/traffic.h);
 *   2. the digital twin loads every confirmed track (one per vehicle: a second track of
 *      the same vehicle is left out) predicted one slot ahead, with its covariance and
 *      last slot's posterior covariance, into a isac_veh_prob and the scheme decides; the
 *      decision time (isac_veh_prob_set + decide, the thread's CPU time) is recorded;
 *   3. communication: each RSU composes its plan (isac_veh_plans) with one OFDM stream per
 *      served vehicle and the white probe; every served vehicle's receiver gets its own
 *      IQ (radio/sim/sim_user.h, line of sight, seed 000's alpha0 d^-2 path loss) and
 *      measures the SINR from pilots (host/comm/ofdm_rx.h) on `comm_every`-th slots; the
 *      model SINR (docs/comm.md) at the true positions every slot;
 *   4. sensing at level 0 (host/track/sense_model.h, the highway scene's `crb`): each RSU
 *      measures every vehicle whose strongest plan column gives a post-MF array SNR of at
 *      least det_snr_db; the tracker (host/track/tracker.h) takes the measurements; a PCRB
 *      per vehicle from its arrival (position deviation 0.1 m: Fig. 11's initial RCRB,
 *      speed 1 m/s) gives the RCRB, the range bound to the nearer RSU.
 * Throughput per vehicle and slot is log2(1 + SINR) (bit/symbol), 0 when not served.
 */
#ifndef ISACTB_ENGINE_VEHICULAR_H
#define ISACTB_ENGINE_VEHICULAR_H

#include <stddef.h>
#include <stdint.h>

#include "vehicular/veh.h"

struct isac_vh_cfg {
    const char *scheme;  /* isac_veh_scheme_find name */
    unsigned elements;   /* N (2..64) */
    unsigned cap;        /* streams per RSU */
    unsigned K;          /* fixed drop of K vehicles (1..VEH_MAX_K); 0: Poisson traffic */
    double rate[2];      /* Poisson arrivals per direction, veh/s */
    unsigned warmup;     /* slots before scoring (the tracker confirms after 3) */
    unsigned slots;      /* scored slots */
    unsigned comm_every; /* measure from samples every this many scored slots (>= 1) */
    uint64_t seed;
    double tx_power_db, ref_snr_db, sense_snr_db, det_snr_db, comm_share, nf_db;
    unsigned ofdm_symbols; /* data symbols of the OFDM burst (SINR from the preamble) */
    int no_comm;           /* 1: no communication at all (teacher data) */
    int sensing;           /* FP keeps the sensing constraint */
    unsigned fp_iter;
    const char *lstm_assign, *lstm_beam; /* lstm scheme: weights files (NULL: compiled in) */
    /* optional: called after each scored slot's decision, with the loaded problem;
     * returns < 0 (an error: the run fails with it), 0, or > 0 (stop the run here) */
    int (*teacher)(void *ctx, isac_veh_prob p);
    void *teacher_ctx;
};

/* N 32, cap 32, K 20, no Poisson, warmup 4, slots 10, comm_every 1, seed 1, transmit
 * 45 dB over ref -29.5 dB (15.5 dB for a unit-power stream at one antenna 30 m away),
 * sense 0 dB, detection 13 dB, comm share 0.8, NF 7 dB, 2 data symbols, sensing on,
 * fp_iter 15 (the FP's rounds; tolerance 1e-4 of fq). */
void isac_vh_cfg_default(struct isac_vh_cfg *c);

struct isac_vh_result {
    double thr_meas;  /* mean over scored (vehicle, slot) of log2(1 + SINR from pilots),
                         comm slots only, bit/symbol */
    double thr_model; /* the same with the model SINR, every scored slot */
    double decide_ms; /* mean decision time per scored slot (thread CPU time, ms) */
    double fp_rounds; /* mean FP rounds (gamma/y/F) per FP run */
    double flips;     /* mean accepted Algorithm 3 flips per scored slot */
    double served;    /* share of scored vehicle-slots served */
    unsigned long vehicle_slots, measured;
    /* per scored slot (slots entries, malloc'd): vehicles on the road, total model
     * throughput, total measured throughput (NAN on slots without samples), mean RCRB (m)
     * over the vehicles present */
    unsigned *s_k;
    double *s_model, *s_meas, *s_rcrb;
    /* RCRB (m) by slots since the vehicle's arrival (rcrb_len entries), over vehicles */
    double *rcrb_age;
    unsigned rcrb_len;
};
void isac_vh_result_free(struct isac_vh_result *r);

/* Teacher data for the Bi-LSTMs (host/vehicular/veh_features.h): fixed drops of K
 * vehicles, K uniform in kmin..kmax (<= 2 cap: every vehicle served) per run, run r with
 * seed base->seed * 1000 + r, the heuristic (Algorithm 3) deciding every scored slot,
 * no communication; each scored slot is one sequence for each net: push(ctx, 0, len,
 * x, y) for the assignment net (ISAC_VEH_FEAT_ASSIGN inputs, 1 output) and push(ctx, 1, ...)
 * for the beam net (ISAC_VEH_FEAT_BEAM inputs, 2N outputs), until `sequences` slots. */
struct isac_vh_teacher_sink {
    void *ctx;
    int (*push)(void *ctx, int net, unsigned len, const float *x, const float *y);
};
int isac_vh_teacher(const struct isac_vh_cfg *base, unsigned sequences, unsigned kmin,
                    unsigned kmax, const struct isac_vh_teacher_sink *sink, char *err,
                    size_t errlen);

/* Run one Monte Carlo run. ISAC_OK, or an error with one line in err. */
int isac_vh_run(const struct isac_vh_cfg *c, struct isac_vh_result *r, char *err, size_t errlen);

#endif
