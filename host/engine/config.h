/* Experiment configuration: what `isactb run` does, loaded from YAML
 * (experiments/default.yaml documents every field) and stored in every capture.
 *
 * Loading validates types (libcyaml schema) and ranges; every error is one line
 * "FILE:LINE: field: problem (value)". Fields absent from the file keep the defaults
 * of isac_exp_config_defaults(); command-line options override the file.
 */
#ifndef ISACTB_EXP_CONFIG_H
#define ISACTB_EXP_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

struct isac_exp_waveform_cfg {
    char kind[8];     /* "zc" | "lfm" | "mseq" */
    unsigned length;  /* probe length L, samples (zc/lfm: 64..65536; mseq: 2^m-1) */
    unsigned root;    /* Zadoff-Chu root, coprime with length */
    double bandwidth; /* LFM swept bandwidth, fraction of the sample rate (0, 1] */
};

struct isac_exp_grid_cfg {
    double spacing_m;    /* position-grid cell size, m (0.5..100) */
    double x_min, x_max; /* grid extent, m */
    double y_min, y_max;
    double baseline_guard_m; /* cells whose bistatic range is within this of the direct
                                TX->RX path are blind for that AP (leakage), m (>= 0) */
};

/* Element positions the processing assumes (wavelengths along each array's axis; the
 * `array:` section). The radio's own positions are the physical truth: where the radio
 * knows them (sim, file, the isacsim plug-in) these must match them; where it only
 * assumed a ULA (uhd, soapy: radio_info.positions_nominal) they replace it
 * (isac_exp_array_apply in exp/pipeline.h). n_tx/n_rx = 0: not given. */
#define ISAC_EXP_MAX_POSITIONS 256
#define ISAC_EXP_MIN_SPACING_WL                                                                    \
    0.1 /* = ISAC_RADIO_MIN_SPACING_WL (config.c does not see radio.h) */
struct isac_exp_array_cfg {
    unsigned n_tx, n_rx;
    double tx_positions_wl[ISAC_EXP_MAX_POSITIONS]; /* TX element m */
    double rx_positions_wl[ISAC_EXP_MAX_POSITIONS]; /* element m of EVERY receive AP */
};

struct isac_exp_config {
    char radio[256];    /* radio spec string (radio/radio.h) */
    char policy[16];    /* "scan" | "sweep" | "random" | "pso" | "qnet" (policy/policy.h) */
    char weights[256];  /* qnet weights: "builtin" (compiled in) or a weights file
                           written by `isactb train` (docs/learning.md) */
    uint64_t seed;      /* scenario/policy seed */
    unsigned episodes;  /* 1..100000 */
    unsigned max_steps; /* step limit per episode, 1..100000 */
    char codebook[256]; /* "dft" = generated for the TX array, or a codebook file */
    unsigned beams;     /* beams of the generated DFT codebook, 1..4096 */
    double pfa;         /* per-cell false-alarm probability (1e-12, 0.5] */
    double zeta;        /* P_D target that ends an episode (0, 1) */
    struct isac_exp_waveform_cfg waveform;
    unsigned window_guard;   /* RX samples captured beyond the probe length: the
                                matched filter sees lags 0..window_guard (1..65536) */
    unsigned noise_bins;     /* lags from the end of the window used to estimate the
                                noise variance (8..window_guard) */
    double step_interval_s;  /* time between CPIs, s (1e-5..10) */
    double confirm_radius_m; /* after a declaration, one confirmation dwell with the same
                                beam tests the cells within this radius at the per-cell
                                P_FA; the episode ends only if it confirms. 0: no dwell,
                                a declaration ends the episode (0 or 1..1000 m) */
    int direct_path_cancel;  /* project the TX -> RX direct path (leakage) out of every
                                channel before detection: 1 (default) or 0 */
    struct isac_exp_grid_cfg grid;
    struct isac_exp_array_cfg array;
};

void isac_exp_config_defaults(struct isac_exp_config *cfg);

/* Load PATH over the defaults. On error returns a negative isac_err and writes one
 * line into err. */
int isac_exp_config_load(const char *path, struct isac_exp_config *cfg, char *err, size_t errlen);

/* Range checks shared by the YAML loader, the CLI overrides and replay; src names the
 * origin in messages (file path or "command line"). */
int isac_exp_config_validate(const struct isac_exp_config *cfg, const char *src, char *err,
                             size_t errlen);

/* JSON round trip (the capture's global "isactb:experiment" object). */
json_t *isac_exp_config_to_json(const struct isac_exp_config *cfg);
int isac_exp_config_from_json(json_t *obj, struct isac_exp_config *cfg, const char *src, char *err,
                              size_t errlen);

#endif
