/* Per-AP processing unit: one receive AP's samples in, its matched-filter outputs and its
 * terms of the position-grid GLRT out (DESIGN.md "The core model": units -> fusion).
 *
 * A unit owns everything it touches per CPI (FFTW plans, scratch, the AP's grid tables), so
 * units of different APs share no mutable state and may execute on different threads,
 * processes or hosts. Creating and destroying units plans FFTW, which is not thread-safe:
 * keep isac_ap_unit_create / isac_ap_unit_destroy serialised (execute may run concurrently).
 *
 * Per CPI, for AP n with M elements (channels rx[0..M-1], W samples each):
 *   1. calibration slice (optional): y'_m(t) = rx_weight[m] y_m(t - rx_delay[m])
 *      (windowed-sinc fractional delay, dsp/fdelay.h);
 *   2. matched filter per element (mf/mf.h): z_m[k], k = 0..K-1, K = W - L + 1;
 *   3. direct-path cancellation (optional): g_m = <y'_m, r> / <r, r> with r the probe at the
 *      direct TX -> RX_n delay (+ lag0_delay); z_m -= g_m MF(r);
 *   4. noise variance sigma^2 = mean |z_m[k]|^2 over the last noise_bins lags of all elements;
 *   5. per grid cell P the AP's GLRT term  |a(phi_n)^H y_n(P)|^2 / (sigma^2 M)  (detect/grid.h:
 *      same delay sampling, field of view and baseline guard), 0 where the AP does not see P.
 * Fusion (detect/fusion.h) adds the terms of all APs in AP order: Lambda(P) = sum_n term_n(P).
 *
 * Every unit of one CPI receives the same probe (the transmit plan's sensing stream, fixed
 * at create time today) and the same (cpi, beam) label, which fusion checks.
 */
#ifndef ISACTB_DETECT_AP_UNIT_H
#define ISACTB_DETECT_AP_UNIT_H

#include <complex.h>
#include <stddef.h>
#include <stdint.h>

#include "array/array.h"
#include "detect/grid.h"
#include "array/geom.h"

#define ISAC_AP_UNIT_MAX_M 4096u /* elements per AP */

typedef struct isac_ap_unit_s *isac_ap_unit;

/* The calibration slice of one AP (calib/record.h, engine/pipeline.h describe the record). */
struct isac_ap_unit_calibration {
    const float complex *rx_weight; /* M weights, finite, |w| <= 1e3 */
    const double *rx_delay;         /* M delays, samples, 0..64 */
};

struct isac_ap_unit_config {
    unsigned ap;                /* index of this AP among the receive APs, < ISAC_GRID_MAX_APS */
    isac_array arr;             /* receive array (M = isac_array_size elements, 1..AP_UNIT_MAX_M),
                              read at create time only */
    struct isac_geom_ap tx, rx; /* transmit AP and this receive AP poses (m, rad) */
    double fs;                  /* sample rate, Hz, > 0 */
    const float complex *probe; /* sensing probe s[0..L-1] (copied), ||s|| > 0 */
    size_t L;                   /* probe length, samples, 1..2^24 */
    size_t W;                   /* RX window, samples, L + 1 .. 2^25 (K = W - L + 1 >= 2) */
    unsigned noise_bins;        /* lags for sigma^2, 1..K */
    int direct_path_cancel;     /* 1: project the direct path out (step 3) */
    const struct isac_ap_unit_calibration *cal; /* NULL: raw chain (no step 1) */
    double lag0_delay;                          /* system delay of MF lag 0, samples, 0..(W - L)/2
                                                   (0 without calibration) */
    struct isac_grid_spec spec;                 /* the position grid (grid.h limits) */
    double max_angle;                           /* field of view, rad, (0, pi/2] */
    enum isac_grid_interp interp;               /* delay sampling (grid.h) */
    double rho1;                                /* LINEAR: adjacent-bin noise correlation, [0, 1) */
    double baseline_guard_m;                    /* grid.h baseline guard, m, >= 0 */
};

/* Output of one unit for one CPI: a small header and flat arrays. It is the unit of
 * exchange between a node and fusion; ap_unit_out_pack/unpack give its wire form. */
struct isac_ap_unit_hdr {
    uint32_t ap;       /* receive AP index */
    uint32_t M;        /* elements, 1..AP_UNIT_MAX_M */
    uint32_t K;        /* MF lags per element, 2..2^24 */
    uint32_t ncells;   /* grid cells (nx * ny), 1..2^28 */
    uint32_t beam;     /* label: beam (transmit plan) of the CPI */
    uint32_t has_mf;   /* 1 if z holds the MF outputs */
    uint64_t cpi;      /* label: CPI sequence number */
    double noise_var;  /* sigma^2 per element and lag (sample units |y|^2), > 0 */
    double lag0_delay; /* samples, the unit's system delay (documentation of the block) */
};

struct isac_ap_unit_out {
    struct isac_ap_unit_hdr h;
    float *term;            /* ncells: the AP's GLRT term per cell, >= 0; 0 where not visible */
    uint8_t *visible;       /* ncells: 1 where the AP sees the cell (grid.h visibility) */
    float complex *dp_gain; /* M: direct-path gain removed per element (0 without cancellation) */
    float complex *z;       /* M * K: MF outputs after cancellation, element m at z + m K;
                               NULL when has_mf = 0 */
};

/* NULL on bad arguments (any value outside the ranges above) or allocation failure. */
isac_ap_unit isac_ap_unit_create(const struct isac_ap_unit_config *cfg);
void isac_ap_unit_destroy(isac_ap_unit u);

/* 1 where this AP sees the cell (fixed by geometry; ncells entries owned by the unit). */
const uint8_t *isac_ap_unit_visibility(isac_ap_unit u);

/* An output block shaped for the unit (with MF outputs); free with isac_ap_unit_out_destroy. */
struct isac_ap_unit_out *isac_ap_unit_out_create(isac_ap_unit u);
/* A zeroed block of that shape (header sizes set, has_mf = with_mf); NULL outside the
 * header's ranges or on allocation failure. */
struct isac_ap_unit_out *isac_ap_unit_out_alloc(unsigned M, size_t K, size_t ncells, int with_mf);

/* One CPI: rx[m] (m < M) points at W samples of element m. out must come from
 * isac_ap_unit_out_create(u). ISAC_EFORMAT when a sample is not finite (out is then not
 * touched); ISAC_EINVAL on bad arguments or a non-finite noise estimate (samples whose
 * power overflows). */
int isac_ap_unit_execute(isac_ap_unit u, const float complex *const *rx, uint64_t cpi,
                         uint32_t beam, struct isac_ap_unit_out *out);

/* ---- wire form (ap_unit_wire.c) ----
 * Little-endian: magic "ISAU", version, total length, the header fields, term (ncells
 * float32), dp_gain (2M float32), z (2MK float32, only if has_mf), visible (ncells bytes),
 * then a 64-bit FNV-1a checksum of everything before it. */
#define ISAC_AP_UNIT_WIRE_MAGIC 0x55415349u /* "ISAU" read as little-endian uint32 */
#define ISAC_AP_UNIT_WIRE_VERSION 1u

/* Bytes isac_ap_unit_out_pack writes (with_mf: include z; needs o->z). */
size_t isac_ap_unit_out_packed_size(const struct isac_ap_unit_out *o, int with_mf);
/* Serialise o into buf (cap bytes). *len receives the size. ISAC_EINVAL on a NULL argument,
 * with_mf without z, or cap too small. */
int isac_ap_unit_out_pack(const struct isac_ap_unit_out *o, int with_mf, void *buf, size_t cap,
                          size_t *len);
/* Parse a block: checks magic, version, lengths, checksum and every field's range (terms
 * finite and >= 0, visibility 0/1, noise_var finite > 0). On success *out is a new block
 * (isac_ap_unit_out_destroy). ISAC_EFORMAT on anything malformed, ISAC_ENOMEM. */
int isac_ap_unit_out_unpack(const void *buf, size_t len, struct isac_ap_unit_out **out);
/* Free a block from isac_ap_unit_out_create or isac_ap_unit_out_unpack (NULL is fine). */
void isac_ap_unit_out_destroy(struct isac_ap_unit_out *o);

#endif
