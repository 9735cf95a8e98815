/* C side of the isacsim SoapySDR plug-in: the `sim` radio behind a complex-free C
 * interface that C++ can include (radio.h uses C99 `float complex`, which C++ lacks).
 * Samples are interleaved float pairs (I, Q), the layout of both `float complex` and
 * SoapySDR's CF32. Ticks are samples of the emulator's sample clock. Every function
 * returns ISAC_OK or a negative isac_err (host/common/err.h). Not thread safe: the
 * plug-in serialises calls. */
#ifndef ISACTB_RADIO_SOAPY_ISACSIM_ISACSIM_C_H
#define ISACTB_RADIO_SOAPY_ISACSIM_ISACSIM_C_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct isacsim_s isacsim;

struct isacsim_desc {
    double fs;                 /* sample rate, Hz */
    double center_freq;        /* IF carrier, Hz */
    double freq_min, freq_max; /* tunable range, Hz */
    double emulated_freq;      /* emulated carrier, Hz */
    unsigned num_tx, num_rx;   /* channels */
    char serial[64];           /* "sim-<seed>" */
};

struct isacsim_rx_md {
    uint64_t dropped_samples; /* gap length inside the window (zeros), 0 none */
    int64_t drop_start_tick;  /* first tick of the gap */
    int overflow;             /* the gap is an overflow (else a plain drop) */
};

/* sim_args: the `sim` back end's argument text ("seed=7,targets=2", "" for defaults). */
int isacsim_open(const char *sim_args, isacsim **out, char *err, size_t errlen);
void isacsim_close(isacsim *s);
void isacsim_describe(isacsim *s, struct isacsim_desc *d);
/* malloc'd JSON: the array layout (radio_uhd_soapy_common.h format) / the ground truth.
 * The layout describes the device as set: noise_var is the emulator's times noise_scale
 * (the device's RX gain and rate scaling of the samples), tx_power_dbm its plus
 * tx_gain_db. */
char *isacsim_layout_json(isacsim *s, double noise_scale, double tx_gain_db);
char *isacsim_truth_json(isacsim *s);
int isacsim_new_episode(isacsim *s, uint64_t episode);
int64_t isacsim_now(isacsim *s);
/* The device idles until tick t (isac_sim_advance): a continuous transmitter with no receiver
 * running moves the clock to the end of what it sent. */
void isacsim_advance(isacsim *s, int64_t t);
/* x[ch] for ch < num_tx: len interleaved complex samples each. */
int isacsim_tx(isacsim *s, int64_t t0, const float *const *x, size_t len);
/* y[ch] for ch < num_rx; y[ch] == NULL: channel ch is not rendered at all (the rows given
 * are bit for bit those of a capture of every channel). */
int isacsim_rx(isacsim *s, int64_t t0, float *const *y, size_t len, struct isacsim_rx_md *md);
int isacsim_retune(isacsim *s, double hz);
const char *isacsim_last_error(isacsim *s);

#ifdef __cplusplus
}
#endif

#endif
