/* The highway experiment file (experiments/highway.yaml; docs/tracking.md lists the keys). */
#include "engine/highway.h"

#include <cyaml/cyaml.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/file_open.h"
#include "engine/yaml_load.h"

void isac_hwy_config_defaults(struct isac_hwy_config *c)
{
    memset(c, 0, sizeof(*c));
    c->seed = 1;
    c->duration_s = 2.0;
    c->slot_s = 0.02;
    c->road_length_m = 60.0;
    c->road_width_m = 10.0;
    c->rate[0] = c->rate[1] = 5.0;
    c->speed_mean = 30.0;
    c->speed_std = 3.0;
    c->n_rsu = 2;
    c->rsu[0][0] = 0.0;
    c->rsu[0][1] = 30.0;
    c->rsu[1][0] = 0.0;
    c->rsu[1][1] = -30.0;
    c->fc = 30e9;
    c->fs = 20e6;
    c->elements = 16;
    c->streams = 8;
    c->tx_power_db = 30.0;
    c->ref_snr_db = -29.5;
    c->sense_snr_db = 0.0;
    c->det_snr_db = 13.0;
    c->comm_share = 0.8;
    c->nf_db = 7.0;
    c->cfo_max_hz = 2000.0;
    c->k_db = 100.0; /* >= 100 dB: line of sight only (radio/sim/sim_user.h) */
    c->qx = 4.0;
    c->qy = 0.25;
    c->sense_model = ISAC_HWY_SENSE_MF;
    c->sense_fs = 250e6;
    c->sense_band = 200e6;
    c->sense_len = 512;
    c->sense_bursts = 2;
    c->sense_gap_s = 40e-6;
    isac_ofdm_params_default(&c->ofdm);
}

/* ---- YAML ---- */

struct raw_user {
    double *position, *velocity;
    unsigned position_count, velocity_count;
    double *nf_db, *cfo_hz, *k_db;
};
struct raw_rsu {
    double *x, *y;
};
struct raw_ofdm {
    unsigned *nfft, *cp, *occupied, *pilot_spacing, *symbols;
    char *modulation;
};
struct raw_hwy {
    char *scene;
    uint64_t *seed;
    double *duration_s, *slot_s, *road_length_m, *road_width_m, *speed_mean, *speed_std;
    double *arrival_rate;
    unsigned arrival_rate_count;
    struct raw_rsu *rsus;
    unsigned rsus_count;
    double *fc, *fs;
    unsigned *elements, *streams;
    double *tx_power_db, *ref_snr_db, *sense_snr_db, *det_snr_db, *comm_share;
    double *nf_db, *cfo_max_hz, *k_db, *qx, *qy;
    char *sense_model;
    double *sense_fs, *sense_bandwidth, *sense_gap_s;
    unsigned *sense_len, *sense_bursts;
    struct raw_ofdm *ofdm;
    struct raw_user *users;
    unsigned users_count;
};

#define OPT CYAML_FLAG_OPTIONAL
static const cyaml_schema_value_t float_entry = {CYAML_VALUE_FLOAT(CYAML_FLAG_DEFAULT, double)};
static const cyaml_schema_field_t user_fields[] = {
    CYAML_FIELD_SEQUENCE("position", OPT | CYAML_FLAG_POINTER, struct raw_user, position,
                         &float_entry, 0, 8),
    CYAML_FIELD_SEQUENCE("velocity", OPT | CYAML_FLAG_POINTER, struct raw_user, velocity,
                         &float_entry, 0, 8),
    CYAML_FIELD_FLOAT_PTR("nf_db", OPT, struct raw_user, nf_db),
    CYAML_FIELD_FLOAT_PTR("cfo_hz", OPT, struct raw_user, cfo_hz),
    CYAML_FIELD_FLOAT_PTR("k_db", OPT, struct raw_user, k_db),
    CYAML_FIELD_END};
static const cyaml_schema_value_t user_entry = {
    CYAML_VALUE_MAPPING(CYAML_FLAG_DEFAULT, struct raw_user, user_fields)};
static const cyaml_schema_field_t rsu_fields[] = {
    CYAML_FIELD_FLOAT_PTR("x", OPT, struct raw_rsu, x),
    CYAML_FIELD_FLOAT_PTR("y", OPT, struct raw_rsu, y), CYAML_FIELD_END};
static const cyaml_schema_value_t rsu_entry = {
    CYAML_VALUE_MAPPING(CYAML_FLAG_DEFAULT, struct raw_rsu, rsu_fields)};
static const cyaml_schema_field_t ofdm_fields[] = {
    CYAML_FIELD_UINT_PTR("nfft", OPT, struct raw_ofdm, nfft),
    CYAML_FIELD_UINT_PTR("cp", OPT, struct raw_ofdm, cp),
    CYAML_FIELD_UINT_PTR("occupied", OPT, struct raw_ofdm, occupied),
    CYAML_FIELD_UINT_PTR("pilot_spacing", OPT, struct raw_ofdm, pilot_spacing),
    CYAML_FIELD_UINT_PTR("symbols", OPT, struct raw_ofdm, symbols),
    CYAML_FIELD_STRING_PTR("modulation", OPT, struct raw_ofdm, modulation, 1, 31),
    CYAML_FIELD_END};
static const cyaml_schema_field_t hwy_fields[] = {
    CYAML_FIELD_STRING_PTR("scene", OPT, struct raw_hwy, scene, 1, 31),
    CYAML_FIELD_UINT_PTR("seed", OPT, struct raw_hwy, seed),
    CYAML_FIELD_FLOAT_PTR("duration_s", OPT, struct raw_hwy, duration_s),
    CYAML_FIELD_FLOAT_PTR("slot_s", OPT, struct raw_hwy, slot_s),
    CYAML_FIELD_FLOAT_PTR("road_length_m", OPT, struct raw_hwy, road_length_m),
    CYAML_FIELD_FLOAT_PTR("road_width_m", OPT, struct raw_hwy, road_width_m),
    CYAML_FIELD_SEQUENCE("arrival_rate", OPT | CYAML_FLAG_POINTER, struct raw_hwy, arrival_rate,
                         &float_entry, 0, 8),
    CYAML_FIELD_FLOAT_PTR("speed_mean", OPT, struct raw_hwy, speed_mean),
    CYAML_FIELD_FLOAT_PTR("speed_std", OPT, struct raw_hwy, speed_std),
    CYAML_FIELD_SEQUENCE("rsus", OPT | CYAML_FLAG_POINTER, struct raw_hwy, rsus, &rsu_entry, 0, 16),
    CYAML_FIELD_FLOAT_PTR("fc", OPT, struct raw_hwy, fc),
    CYAML_FIELD_FLOAT_PTR("fs", OPT, struct raw_hwy, fs),
    CYAML_FIELD_UINT_PTR("elements", OPT, struct raw_hwy, elements),
    CYAML_FIELD_UINT_PTR("streams", OPT, struct raw_hwy, streams),
    CYAML_FIELD_FLOAT_PTR("tx_power_db", OPT, struct raw_hwy, tx_power_db),
    CYAML_FIELD_FLOAT_PTR("ref_snr_db", OPT, struct raw_hwy, ref_snr_db),
    CYAML_FIELD_FLOAT_PTR("sense_snr_db", OPT, struct raw_hwy, sense_snr_db),
    CYAML_FIELD_FLOAT_PTR("det_snr_db", OPT, struct raw_hwy, det_snr_db),
    CYAML_FIELD_FLOAT_PTR("comm_share", OPT, struct raw_hwy, comm_share),
    CYAML_FIELD_FLOAT_PTR("nf_db", OPT, struct raw_hwy, nf_db),
    CYAML_FIELD_FLOAT_PTR("cfo_max_hz", OPT, struct raw_hwy, cfo_max_hz),
    CYAML_FIELD_FLOAT_PTR("k_db", OPT, struct raw_hwy, k_db),
    CYAML_FIELD_FLOAT_PTR("qx", OPT, struct raw_hwy, qx),
    CYAML_FIELD_FLOAT_PTR("qy", OPT, struct raw_hwy, qy),
    CYAML_FIELD_STRING_PTR("sense_model", OPT, struct raw_hwy, sense_model, 1, 31),
    CYAML_FIELD_FLOAT_PTR("sense_fs", OPT, struct raw_hwy, sense_fs),
    CYAML_FIELD_FLOAT_PTR("sense_bandwidth", OPT, struct raw_hwy, sense_bandwidth),
    CYAML_FIELD_UINT_PTR("sense_len", OPT, struct raw_hwy, sense_len),
    CYAML_FIELD_UINT_PTR("sense_bursts", OPT, struct raw_hwy, sense_bursts),
    CYAML_FIELD_FLOAT_PTR("sense_gap_s", OPT, struct raw_hwy, sense_gap_s),
    CYAML_FIELD_MAPPING_PTR("ofdm", OPT, struct raw_hwy, ofdm, ofdm_fields),
    CYAML_FIELD_SEQUENCE("users", OPT | CYAML_FLAG_POINTER, struct raw_hwy, users, &user_entry, 0,
                         1024),
    CYAML_FIELD_END};
static const cyaml_schema_value_t hwy_schema = {
    CYAML_VALUE_MAPPING(CYAML_FLAG_POINTER, struct raw_hwy, hwy_fields)};

int isac_hwy_config_is_highway(const char *path)
{
    /* a FIFO or device is refused by the config loader that runs next, never read here */
    FILE *f = path ? isac_fopen_input(path, NULL, NULL, 0) : NULL;
    if (!f)
        return 0;
    char buf[512];
    int found = 0;
    while (!found && fgets(buf, sizeof buf, f)) {
        if (strncmp(buf, "scene:", 6))
            continue;
        const char *v = buf + 6 + strspn(buf + 6, " \t\"'");
        found = !strncmp(v, "highway", 7);
    }
    fclose(f);
    return found;
}

#define MERGE(dst, src)                                                                            \
    do {                                                                                           \
        if (src)                                                                                   \
            (dst) = *(src);                                                                        \
    } while (0)

/* Copy what the file gives; errors that need the raw form (missing position, bad
 * counts, unknown names) are reported here. */
static int merge_raw(struct isac_hwy_config *c, const struct raw_hwy *r, const char *src, char *err,
                     size_t errlen)
{
    if (r->scene && strcmp(r->scene, "highway")) {
        isac_seterr(err, errlen, "%s: scene: '%s' is not 'highway'", src, r->scene);
        return ISAC_EINVAL;
    }
    MERGE(c->seed, r->seed);
    MERGE(c->duration_s, r->duration_s);
    MERGE(c->slot_s, r->slot_s);
    MERGE(c->road_length_m, r->road_length_m);
    MERGE(c->road_width_m, r->road_width_m);
    MERGE(c->speed_mean, r->speed_mean);
    MERGE(c->speed_std, r->speed_std);
    MERGE(c->fc, r->fc);
    MERGE(c->fs, r->fs);
    MERGE(c->elements, r->elements);
    MERGE(c->streams, r->streams);
    MERGE(c->tx_power_db, r->tx_power_db);
    MERGE(c->ref_snr_db, r->ref_snr_db);
    MERGE(c->sense_snr_db, r->sense_snr_db);
    MERGE(c->det_snr_db, r->det_snr_db);
    MERGE(c->comm_share, r->comm_share);
    MERGE(c->nf_db, r->nf_db);
    MERGE(c->cfo_max_hz, r->cfo_max_hz);
    MERGE(c->k_db, r->k_db);
    MERGE(c->qx, r->qx);
    MERGE(c->qy, r->qy);
    MERGE(c->sense_fs, r->sense_fs);
    MERGE(c->sense_band, r->sense_bandwidth);
    MERGE(c->sense_len, r->sense_len);
    MERGE(c->sense_bursts, r->sense_bursts);
    MERGE(c->sense_gap_s, r->sense_gap_s);
    if (r->sense_model) {
        if (!strcmp(r->sense_model, "mf")) {
            c->sense_model = ISAC_HWY_SENSE_MF;
        } else if (!strcmp(r->sense_model, "crb")) {
            c->sense_model = ISAC_HWY_SENSE_CRB;
        } else {
            isac_seterr(err, errlen, "%s: sense_model: '%s' is not mf or crb", src, r->sense_model);
            return ISAC_EINVAL;
        }
    }
    if (r->arrival_rate) {
        if (r->arrival_rate_count != 2) {
            isac_seterr(err, errlen, "%s: arrival_rate: %u values, expected 2 (one per direction)",
                        src, r->arrival_rate_count);
            return ISAC_EINVAL;
        }
        c->rate[0] = r->arrival_rate[0];
        c->rate[1] = r->arrival_rate[1];
    }
    if (r->rsus) {
        if (r->rsus_count < 1 || r->rsus_count > ISAC_HWY_MAX_RSUS) {
            isac_seterr(err, errlen, "%s: rsus: %u entries, expected 1..%d", src, r->rsus_count,
                        ISAC_HWY_MAX_RSUS);
            return ISAC_EINVAL;
        }
        c->n_rsu = r->rsus_count;
        for (unsigned i = 0; i < r->rsus_count; i++) {
            if (!r->rsus[i].x || !r->rsus[i].y) {
                isac_seterr(err, errlen, "%s: rsus[%u]: %s missing", src, i,
                            r->rsus[i].x ? "y" : "x");
                return ISAC_EINVAL;
            }
            c->rsu[i][0] = *r->rsus[i].x;
            c->rsu[i][1] = *r->rsus[i].y;
        }
    }
    if (r->ofdm) {
        MERGE(c->ofdm.nfft, r->ofdm->nfft);
        MERGE(c->ofdm.cp, r->ofdm->cp);
        MERGE(c->ofdm.occupied, r->ofdm->occupied);
        MERGE(c->ofdm.pilot_spacing, r->ofdm->pilot_spacing);
        MERGE(c->ofdm.num_symbols, r->ofdm->symbols);
        if (r->ofdm->modulation && isac_comm_mod_parse(r->ofdm->modulation, &c->ofdm.mod)) {
            isac_seterr(err, errlen, "%s: ofdm.modulation: '%s' unknown (qpsk, 16qam)", src,
                        r->ofdm->modulation);
            return ISAC_EINVAL;
        }
    }
    if (r->users) {
        if (r->users_count > ISAC_HWY_MAX_USERS) {
            isac_seterr(err, errlen, "%s: users: %u users, at most %d", src, r->users_count,
                        ISAC_HWY_MAX_USERS);
            return ISAC_EINVAL;
        }
        c->n_users = r->users_count;
        for (unsigned i = 0; i < r->users_count; i++) {
            const struct raw_user *u = &r->users[i];
            struct isac_hwy_user_cfg *d = &c->users[i];
            if (!u->position) {
                isac_seterr(err, errlen, "%s: users[%u].position: missing", src, i);
                return ISAC_EINVAL;
            }
            if (u->position_count != 2 || (u->velocity && u->velocity_count != 2)) {
                isac_seterr(err, errlen, "%s: users[%u].%s: %u values, expected [x, y]", src, i,
                            u->position_count != 2 ? "position" : "velocity",
                            u->position_count != 2 ? u->position_count : u->velocity_count);
                return ISAC_EINVAL;
            }
            d->x = u->position[0];
            d->y = u->position[1];
            d->vx = u->velocity ? u->velocity[0] : 0.0;
            d->vy = u->velocity ? u->velocity[1] : 0.0;
            d->nf_db = u->nf_db ? *u->nf_db : c->nf_db;
            d->cfo_hz = u->cfo_hz ? *u->cfo_hz : 0.0;
            d->k_db = u->k_db ? *u->k_db : c->k_db;
        }
    }
    return ISAC_OK;
}

#define RANGE(field, val, lo, hi)                                                                  \
    do {                                                                                           \
        if (!((val) >= (lo) && (val) <= (hi))) {                                                   \
            isac_seterr(err, errlen, "%s: %s: %g outside %g..%g", src, field, (double)(val),       \
                        (double)(lo), (double)(hi));                                               \
            return ISAC_EINVAL;                                                                    \
        }                                                                                          \
    } while (0)

int isac_hwy_config_validate(const struct isac_hwy_config *c, const char *src, char *err,
                             size_t errlen)
{
    RANGE("duration_s", c->duration_s, 0.001, 3600);
    RANGE("slot_s", c->slot_s, 1e-3, 1.0);
    RANGE("road_length_m", c->road_length_m, 1, 1e4);
    RANGE("road_width_m", c->road_width_m, 1, 100);
    RANGE("arrival_rate", c->rate[0], 0, 1000);
    RANGE("arrival_rate", c->rate[1], 0, 1000);
    RANGE("speed_mean", c->speed_mean, 1, 100);
    RANGE("speed_std", c->speed_std, 0, 30);
    RANGE("fc", c->fc, 1e8, 3e11);
    RANGE("fs", c->fs, 1e5, 1e9);
    RANGE("elements", c->elements, 1, 64);
    RANGE("streams", c->streams, 1, c->elements < 64 ? c->elements : 64);
    RANGE("tx_power_db", c->tx_power_db, -100, 100);
    RANGE("ref_snr_db", c->ref_snr_db, -100, 100);
    RANGE("sense_snr_db", c->sense_snr_db, -100, 100);
    RANGE("det_snr_db", c->det_snr_db, -20, 60);
    RANGE("comm_share", c->comm_share, 0.01, 0.99);
    RANGE("nf_db", c->nf_db, 0, 30);
    RANGE("cfo_max_hz", c->cfo_max_hz, 0, 1e5);
    RANGE("qx", c->qx, 1e-6, 1e4);
    RANGE("qy", c->qy, 1e-6, 1e4);
    RANGE("sense_fs", c->sense_fs, 1e6, 4e9);
    RANGE("sense_bandwidth", c->sense_band, 1e5, 0.8 * c->sense_fs);
    RANGE("sense_len", c->sense_len, 64, 8192);
    RANGE("sense_bursts", c->sense_bursts, 1, 2);
    RANGE("sense_gap_s", c->sense_gap_s, 1e-7, 1e-2);
    if (isnan(c->k_db) || c->k_db < -30) {
        isac_seterr(err, errlen, "%s: k_db: %g below -30", src, c->k_db);
        return ISAC_EINVAL;
    }
    for (unsigned i = 0; i < c->n_rsu; i++)
        if (!isfinite(c->rsu[i][0]) || !isfinite(c->rsu[i][1]) ||
            fabs(c->rsu[i][1]) <= 0.5 * c->road_width_m) {
            isac_seterr(err, errlen, "%s: rsus[%u]: (%g, %g) not beside the road (|y| > %g)", src,
                        i, c->rsu[i][0], c->rsu[i][1], 0.5 * c->road_width_m);
            return ISAC_EINVAL;
        }
    char why[256];
    if (isac_ofdm_params_validate(&c->ofdm, why, sizeof why)) {
        isac_seterr(err, errlen, "%s: %s", src, why);
        return ISAC_EINVAL;
    }
    unsigned cap = c->streams * c->n_rsu;
    if (c->n_users > cap) {
        isac_seterr(err, errlen,
                    "%s: users: %u users, but %u RSUs x %u streams can precode at most %u", src,
                    c->n_users, c->n_rsu, c->streams, cap);
        return ISAC_EINVAL;
    }
    double hx = 0.5 * c->road_length_m, hy = 0.5 * c->road_width_m;
    for (unsigned i = 0; i < c->n_users; i++) {
        const struct isac_hwy_user_cfg *u = &c->users[i];
        if (!(fabs(u->x) <= hx && fabs(u->y) <= hy)) {
            isac_seterr(err, errlen,
                        "%s: users[%u].position: (%g, %g) outside the scene (x -%g..%g, y -%g..%g)",
                        src, i, u->x, u->y, hx, hx, hy, hy);
            return ISAC_EINVAL;
        }
        if (!isfinite(u->vx) || !isfinite(u->vy) || hypot(u->vx, u->vy) > 100) {
            isac_seterr(err, errlen, "%s: users[%u].velocity: (%g, %g) above 100 m/s", src, i,
                        u->vx, u->vy);
            return ISAC_EINVAL;
        }
        RANGE("users[].nf_db", u->nf_db, 0, 30);
        RANGE("users[].cfo_hz", u->cfo_hz, -1e5, 1e5);
    }
    return ISAC_OK;
}

/* Parse YAML text (src names it in errors). */
static int load_text(const uint8_t *text, size_t len, const char *src, struct isac_hwy_config *c,
                     char *err, size_t errlen)
{
    isac_hwy_config_defaults(c);
    struct raw_hwy *raw = NULL;
    int yrc =
        isac_yaml_load_one((const char *)text, len, src, &hwy_schema, (void **)&raw, err, errlen);
    if (yrc)
        return yrc;
    int rc = raw ? merge_raw(c, raw, src, err, errlen) : ISAC_OK;
    isac_yaml_free_one(&hwy_schema, raw);
    return rc ? rc : isac_hwy_config_validate(c, src, err, errlen);
}

char *isac_hwy_config_read_text(const char *path, size_t *len, char *err, size_t errlen)
{
    char *text = NULL;
    if (!path) {
        isac_seterr(err, errlen, "(none): no config file");
        return NULL;
    }
    return isac_read_input(path, ISAC_HWY_CONFIG_MAX_BYTES, &text, len, err, errlen) ? NULL : text;
}

int isac_hwy_config_load(const char *path, struct isac_hwy_config *c, char *err, size_t errlen)
{
    size_t len = 0;
    char *text = isac_hwy_config_read_text(path, &len, err, errlen);
    if (!text) {
        isac_hwy_config_defaults(c);
        return ISAC_EIO;
    }
    int rc = load_text((const uint8_t *)text, len, path, c, err, errlen);
    free(text);
    return rc;
}

int isac_hwy_config_load_text(const char *text, const char *src, struct isac_hwy_config *c,
                              char *err, size_t errlen)
{
    return load_text((const uint8_t *)text, strlen(text), src, c, err, errlen);
}

json_t *isac_hwy_config_to_json(const struct isac_hwy_config *c)
{
    json_t *o = json_pack(
        "{s:s,s:I,s:f,s:f,s:f,s:f,s:[f,f],s:f,s:f,s:f,s:f,s:i,s:i,s:f,s:f,s:f,s:f,s:f,s:f,s:f}",
        "scene", "highway", "seed", (json_int_t)c->seed, "duration_s", c->duration_s, "slot_s",
        c->slot_s, "road_length_m", c->road_length_m, "road_width_m", c->road_width_m,
        "arrival_rate", c->rate[0], c->rate[1], "speed_mean", c->speed_mean, "speed_std",
        c->speed_std, "fc", c->fc, "fs", c->fs, "elements", (int)c->elements, "streams",
        (int)c->streams, "tx_power_db", c->tx_power_db, "ref_snr_db", c->ref_snr_db, "sense_snr_db",
        c->sense_snr_db, "det_snr_db", c->det_snr_db, "comm_share", c->comm_share, "nf_db",
        c->nf_db, "cfo_max_hz", c->cfo_max_hz);
    if (!o)
        return NULL;
    json_object_set_new(o, "modulation", json_string(isac_comm_mod_name(c->ofdm.mod)));
    json_object_set_new(o, "users", json_integer(c->n_users));
    json_object_set_new(o, "sense_model",
                        json_string(c->sense_model == ISAC_HWY_SENSE_MF ? "mf" : "crb"));
    if (c->sense_model == ISAC_HWY_SENSE_MF) {
        json_object_set_new(o, "sense_fs", json_real(c->sense_fs));
        json_object_set_new(o, "sense_bandwidth", json_real(c->sense_band));
        json_object_set_new(o, "sense_len", json_integer(c->sense_len));
        json_object_set_new(o, "sense_bursts", json_integer(c->sense_bursts));
        json_object_set_new(o, "sense_gap_s", json_real(c->sense_gap_s));
    }
    return o;
}
