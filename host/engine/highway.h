/* The `highway` scene of seed 000 (docs/tracking.md, docs/comm.md): two RSUs beside a
 * road, vehicles that are both sensing targets and communication users, tracked by an EKF
 * per vehicle and served by predictive beamforming.
 *
 * Per slot of slot_s seconds:
 *   1. traffic moves (Poisson arrivals, host/track/traffic.h) or the scripted `users` move;
 *   2. predictive beamforming (the baseline plan): every confirmed track's state predicted
 *      one slot ahead is assigned to the nearest RSU; each RSU serves at most `streams`
 *      tracks (nearest first) with a matched beam toward the predicted position; the plan
 *      gives each served stream comm_share / K of the power and the omnidirectional probe
 *      (element 0) the rest;
 *   3. communication from samples: each RSU's burst (one OFDM stream per served vehicle,
 *      stream id = vehicle id, plus the probe) is composed with the plan, rendered at each
 *      served vehicle's true position by the user channel (radio/sim/sim_user.h) and
 *      received by that vehicle's own receiver (host/comm/ofdm_rx.h): SINR from pilots and
 *      EVM, bit and block errors, goodput; the model SINR comes from the true geometry;
 *   4. sensing (level 0, host/track/sense_model.h): every vehicle on the road is measured by
 *      each RSU whose strongest beam toward it (any served stream's beam, or the probe)
 *      gives a post-MF array SNR of at least det_snr_db; measurements feed the tracker
 *      (host/track/tracker.h), and a PCRB per vehicle runs along its true trajectory.
 *
 * Link budget: comm SNR of a unit-power stream at a single antenna, 30 m away, is
 * ref_snr_db + tx_power_db (path gain alpha0 d^-2, seed 000 eq. 9; Table I's alpha0 =
 * sigma_c^2 gives ref_snr_db = -29.5 dB, the digest's "-13 dB" being that plus 16 dB of a
 * 32-element array); the sensing post-MF per-element SNR at 30 m with the beam on the
 * vehicle is sense_snr_db + tx_power_db.
 */
#ifndef ISACTB_ENGINE_HIGHWAY_H
#define ISACTB_ENGINE_HIGHWAY_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "comm/ofdm.h"

#define ISAC_HWY_MAX_USERS 64
#define ISAC_HWY_MAX_RSUS 4
#define ISAC_HWY_SENSE_MF 0
#define ISAC_HWY_SENSE_CRB 1

struct isac_hwy_user_cfg {
    double x, y, vx, vy, nf_db, cfo_hz, k_db;
};

struct isac_hwy_config {
    uint64_t seed;
    double duration_s, slot_s;
    double road_length_m, road_width_m;
    double rate[2];               /* arrivals per second per direction */
    double speed_mean, speed_std; /* m/s */
    unsigned n_rsu;
    double rsu[ISAC_HWY_MAX_RSUS][2]; /* positions, m; arrays along +x */
    double fc, fs;                    /* carrier, sample rate (= bandwidth) */
    unsigned elements;                /* Nt = Nr */
    unsigned streams;                 /* comm streams an RSU can precode (<= elements) */
    double tx_power_db, ref_snr_db, sense_snr_db, det_snr_db;
    double comm_share;              /* power fraction of the comm streams, (0, 1) */
    double nf_db, cfo_max_hz, k_db; /* users: noise figure, max |CFO|, Rician K (inf: LoS) */
    double qx, qy;                  /* tracker process noise PSD */
    /* sensing: ISAC_HWY_SENSE_MF measures from rendered echoes (host/track/sense_mf.h), or
     * ISAC_HWY_SENSE_CRB draws at the Cramer-Rao level (host/track/sense_model.h) */
    int sense_model;
    double sense_fs;       /* sensing burst sample rate, Hz */
    double sense_band;     /* its occupied bandwidth, Hz (<= 0.8 sense_fs) */
    unsigned sense_len;    /* probe length, samples */
    unsigned sense_bursts; /* 1 (no range rate) or 2 (range rate from the phase step) */
    double sense_gap_s;    /* spacing of the two bursts, s */
    struct isac_ofdm_params ofdm;
    unsigned n_users; /* scripted users (0: Poisson traffic) */
    struct isac_hwy_user_cfg users[ISAC_HWY_MAX_USERS];
};

void isac_hwy_config_defaults(struct isac_hwy_config *c);

/* 1 when the YAML file at path declares `scene: highway` at its top level. */
int isac_hwy_config_is_highway(const char *path);

/* Load and validate; ISAC_EINVAL / ISAC_EFORMAT / ISAC_EIO with one line naming the file,
 * the field and the value in err. */
int isac_hwy_config_load(const char *path, struct isac_hwy_config *c, char *err, size_t errlen);
/* The same from YAML text (src names it in errors), and the text of a file (malloc'd,
 * NUL-terminated; NULL with one line in err when it is missing, not a regular file or
 * larger than ISAC_HWY_CONFIG_MAX_BYTES). */
#define ISAC_HWY_CONFIG_MAX_BYTES (1u << 20)
int isac_hwy_config_load_text(const char *text, const char *src, struct isac_hwy_config *c,
                              char *err, size_t errlen);
char *isac_hwy_config_read_text(const char *path, size_t *len, char *err, size_t errlen);
int isac_hwy_config_validate(const struct isac_hwy_config *c, const char *src, char *err,
                             size_t errlen);
json_t *isac_hwy_config_to_json(const struct isac_hwy_config *c);

/* Captures of a highway run (docs/tracking.md "Captures"): DIR/highway.sigmf-data holds
 * every user's received IQ (cf32_le, one segment per reception), DIR/highway.sigmf-meta
 * the experiment text, the seed, per slot the vehicles and the sensing measurements, and
 * the run's result. Replay feeds the recorded IQ to the users' receivers and the recorded
 * measurements to the tracker, and must give the recorded result exactly. */
typedef struct isac_hwy_io_s *isac_hwy_io;
/* 1 when dir holds DIR/highway.sigmf-meta. */
int isac_hwy_capture_exists(const char *dir);
/* Start recording into dir (created by the caller; refused when a capture is there).
 * yaml_text: the experiment file's text, kept verbatim. */
isac_hwy_io isac_hwy_record_open(const char *dir, const char *yaml_text,
                                 const struct isac_hwy_config *c, char *err, size_t errlen);
/* Open a capture; c receives its experiment (with the recorded seed). */
isac_hwy_io isac_hwy_replay_open(const char *dir, struct isac_hwy_config *c, char *err,
                                 size_t errlen);
const json_t *isac_hwy_io_recorded_result(isac_hwy_io io);
/* Recording: write the meta with result and rename data then meta into place. */
int isac_hwy_io_finish(isac_hwy_io io, const json_t *result, char *err, size_t errlen);
/* Close; an unfinished recording is removed (its temporary files). */
void isac_hwy_io_close(isac_hwy_io io);

/* Per-slot history kept for the figures. */
struct isac_hwy_series;
void isac_hwy_series_free(struct isac_hwy_series *s);

/* Run the scene; *result gets {"scene", "slots", "users": [...], "tracking": {...}}.
 * series (optional) receives the history for isac_hwy_report_figures. */
int isac_hwy_run(const struct isac_hwy_config *c, json_t **result, struct isac_hwy_series **series,
                 char *err, size_t errlen);
/* The same, recording into io (HWY record) or fed by it (replay); io NULL = isac_hwy_run. */
int isac_hwy_run_io(const struct isac_hwy_config *c, isac_hwy_io io, json_t **result,
                    struct isac_hwy_series **series, char *err, size_t errlen);

/* A watcher of the slots (the live view, host/serve/hwy_view.h), called in the run's thread
 * after every slot; a non-zero return stops the run (ISAC_EIO, "stopped at slot N"). */
struct isac_trk_track;
struct isac_array_s;
struct isac_tx_plan_s;
struct isac_hwy_user_slot {
    unsigned id, rsu;     /* vehicle (= stream id) and the RSU that served it */
    double sinr_db;       /* measured by its receiver from the samples */
    double model_sinr_db; /* from the true geometry */
};
struct isac_hwy_slot_view {
    unsigned slot, slots;                /* this slot (0-based) and the run's number of slots */
    double t_s;                          /* time at the slot's end */
    unsigned vehicles;                   /* on the road */
    unsigned detections;                 /* sensing measurements of this slot */
    const struct isac_trk_track *tracks; /* the tracker's tracks after this slot */
    unsigned ntracks;
    const struct isac_hwy_user_slot *users; /* vehicles served this slot */
    unsigned nusers;
    const struct isac_array_s *arr;     /* an RSU's array */
    const struct isac_tx_plan_s *plan0; /* RSU 0's plan this slot (NULL: it served nobody) */
};
struct isac_hwy_observer {
    void *ctx;
    int (*slot)(void *ctx, const struct isac_hwy_slot_view *v);
};
/* isac_hwy_run_io with an observer (NULL: none). */
int isac_hwy_run_watch(const struct isac_hwy_config *c, isac_hwy_io io,
                       const struct isac_hwy_observer *obs, json_t **result,
                       struct isac_hwy_series **series, char *err, size_t errlen);
/* DIR/highway_tracks, highway_rmse, highway_sinr (.png or .svg). */
int isac_hwy_report_figures(const struct isac_hwy_series *s, const struct isac_hwy_config *c,
                            const char *dir, char *err, size_t errlen);

/* The comm chain for `isactb bench comm`: K users, reps bursts; fills ns per burst for the
 * modulation + composition and per receiver. */
int isac_hwy_bench_comm(unsigned users, unsigned reps, double *mod_ns, double *rx_ns,
                        double *render_ns, char *err, size_t errlen);

#endif
