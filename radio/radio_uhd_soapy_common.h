/* Private helpers shared by the hardware back ends (radio_soapy.c, radio_uhd.c): the
 * isactb-owned keys of a hardware radio spec and the array layout they describe.
 * Pure C, no SoapySDR/UHD dependency: always built, so the parsing is testable on a
 * machine without either library (tests/test_uhd_backend.c).
 *
 * Spec syntax (docs/frontends.md): "BACKEND:k=v,k=v,...". Keys starting with
 * "isactb_" belong to isactb; every other key is passed verbatim to the device
 * (SoapySDR kwargs or UHD device args). Values cannot contain ',' (the separator), so
 * lists inside a value use ':' ("isactb_rx=0-3:8", "isactb_rx_gain=30:30:25:25").
 */
#ifndef ISACTB_RADIO_UHD_SOAPY_COMMON_H
#define ISACTB_RADIO_UHD_SOAPY_COMMON_H

#include <complex.h>
#include <stddef.h>
#include <stdint.h>

#include "radio.h"

#define FE_PREFIX "isactb_"
#define FE_MAX_KEYS 64

/* One parsed "key=value" entry (key without the isactb_ prefix for own keys). */
struct fe_kv {
    char key[48];
    char val[256];
};

/* The spec arguments split into isactb's own keys and the device's pass-through text. */
struct fe_args {
    struct fe_kv own[FE_MAX_KEYS];
    unsigned num_own;
    char pass[1024]; /* "k=v,k=v" for the device, prefix keys removed */
};

/* Split args; own keys are checked against allowed (names without the prefix, NULL
 * terminated; an entry ending in '*' matches any suffix, e.g. "rx_ap*").
 * ISAC_EINVAL with one line in err for a malformed entry, an unknown or duplicated
 * isactb_ key, or text too long. */
int fe_args_split(const char *backend, const char *args, const char *const *allowed,
                  struct fe_args *out, char *err, size_t errlen);
/* Value of own key (without prefix) or NULL when absent. */
const char *fe_get(const struct fe_args *a, const char *key);

/* Typed own-key getters: absent -> *out = def, return 0; valid -> 1; malformed or
 * outside [lo, hi] -> ISAC_EINVAL naming "isactb_KEY=VALUE" in err. */
int fe_get_double(const char *backend, const struct fe_args *a, const char *key, double def,
                  double lo, double hi, double *out, char *err, size_t errlen);
int fe_get_choice(const char *backend, const struct fe_args *a, const char *key,
                  const char *const *words, int def, int *out, char *err, size_t errlen);

/* Channel list "0-3:8:10-11" (items N or N-M, ascending or not, no repeats), every
 * channel < limit. Writes *n channels into out (capacity maxn). ISAC_EINVAL otherwise. */
int fe_parse_channels(const char *s, unsigned limit, unsigned *out, unsigned maxn, unsigned *n,
                      char *err, size_t errlen);
/* Receive-AP layout: "NxM" (N arrays of M consecutive channels) or "a:b:c" (one count
 * per array). Counts >= 1, at most ISAC_RADIO_MAX_APS arrays, summing to num_rx. */
int fe_parse_aps(const char *s, unsigned num_rx, unsigned *counts, unsigned *naps, char *err,
                 size_t errlen);
/* AP geometry "X:Y:AXIS_DEG" (metres, metres, degrees from +x). */
int fe_parse_geom(const char *s, struct isac_geom_ap *ap, char *err, size_t errlen);
/* Per-channel numbers: one value for all n channels, or exactly n values "a:b:...". */
int fe_parse_values(const char *s, unsigned n, double lo, double hi, double *out, char *err,
                    size_t errlen);
/* Per-channel words (antenna names ...): one for all, or exactly n; each < 32 chars. */
int fe_parse_words(const char *s, unsigned n, char (*out)[32], char *err, size_t errlen);

/* Fill the array part of info (num_rx_aps, rx_ap_elements, rx_ap, tx_ap,
 * element_spacing_wl, emulated_freq) from the own keys aps, tx_ap, rx_apN, spacing,
 * emulated_freq. Defaults: one receive AP holding every RX channel; the seed-004
 * cell-free geometry (TX AP at (250, 250) m, axis 0; RX APs 0..3 at (100, 100),
 * (100, 400), (400, 100), (400, 400) m facing the TX AP) for APs 0..3, explicit
 * isactb_rx_apN required for N >= 4; spacing 0.5 wavelength; emulated carrier 28 GHz.
 * Fields already set in info (num_rx_aps > 0: a layout the device described) are the
 * defaults instead. info->num_rx must be set. */
int fe_layout(const char *backend, const struct fe_args *a, struct isac_radio_info *info, char *err,
              size_t errlen);

/* Parse a device-described layout (JSON text of the "isactb_layout" device setting:
 * docs/frontends.md) into info's array, power and noise fields. ISAC_EFORMAT on bad text. */
int fe_layout_from_json(const char *json, struct isac_radio_info *info, int *sample_clocked,
                        char *err, size_t errlen);
/* Channel selection on a described layout (docs/ma.md, emulation mode (b)): when only
 * some of the device's channels are streamed (isactb_rx / isactb_tx), keep the layout's
 * positions of exactly those channels (rx_map[i], tx_map[i]: device channel of stream
 * channel i; info->num_rx / num_tx set) and re-split the receive channels over the APs
 * they belong to (an AP with no selected channel is dropped). A layout without per-channel
 * positions, or one that is not the device's full channel set, is left to fe_layout's
 * ULA. ISAC_EINVAL with one line when the selected RX channels are not grouped by AP in
 * ascending AP order (a receive array's channels are consecutive). */
int fe_layout_select(const char *json, struct isac_radio_info *info, const size_t *rx_map,
                     const size_t *tx_map, char *err, size_t errlen);
/* The JSON text fe_layout_from_json reads, for the emulator plug-in (malloc'd). */
char *fe_layout_to_json(const struct isac_radio_info *info, int sample_clocked);

#endif

/* Place r samples just read at offset got of an RX window of len samples (nch
 * channels y[ch]) whose stream timestamp is tick `at` while `want` was expected: a
 * forward jump is a gap, zero-filled and added to md->dropped_samples (first gap also
 * sets md->drop_start_tick = md->start_tick + got) and *dropped. Returns the new fill
 * level (<= len), or -1 when the timestamp went back (a device fault). */
long long fe_place(float complex *const *y, unsigned nch, size_t len, size_t got, size_t r,
                   long long at, long long want, struct isac_radio_rx_md *md, uint64_t *dropped);

/* Hardware description of an opened soapy/uhd radio for `isactb info` (channels with
 * rates, gains, frequency ranges and antennas; clock and time sources; sensors) as
 * malloc'd JSON text; ISAC_ENOTSUP for other back ends (or builds without them). */
int radio_hw_describe_json(isac_radio r, char **json_out);
