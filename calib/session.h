/* Calibration sessions on a radio: transmit the reference bursts, capture, and run the
 * estimators of calib.h. The radio must be wired for the measurement (bench) or, on
 * the emulator, opened with the matching path: rx and delay need `cal=rx_splitter`,
 * tx `cal=tx_coupler`, manifold and verify `cal=pilot` (docs/calibration.md).
 *
 * Every function returns ISAC_OK or a negative isac_err with one line in err.
 */
#ifndef ISACTB_CALIB_SESSION_H
#define ISACTB_CALIB_SESSION_H

#include "calib/calib.h"
#include "array/codebook.h"
#include "dsp/correction.h"
#include "radio.h"
#include "sigmf.h"

struct isac_calib_session {
    struct isac_calib_ref ref; /* reference waveform (isac_calib_ref_default) */
    unsigned maxlag;     /* integer delay search, samples (default 32; TX combs: < N/(2 num_tx)) */
    double coarse_delay; /* expected system delay, samples (0..guard-32): the RX window opens
                            this much after the burst's analysis start */
    unsigned ref_rx;     /* TX: the reference receiver's RX channel (default 0) */
    /* Optional (NULL): every capture of the session is appended to this recording as one
     * CPI (not owned; docs/calibration.md, "Recorded sessions"): the RX windows the
     * estimator sees, TX channel 0's burst as txref, the annotation "isactb:calib_cpi"
     * (which reference was injected) and, on every RX segment, "spatial:calibration". */
    isac_sigmf_writer capture;
    /* Optional stop request (a signal handler's flag): when it reads non-zero, the next
     * capture is not made and the session returns ISAC_EINTR ("interrupted"). */
    const volatile int *stop;
};
void isac_calib_session_default(struct isac_calib_session *s);

/* ---- recorded sessions (replay with the `file` radio) ----
 * On a radio with ISAC_RADIO_CAP_REPLAY (file:CAPTURE) the session functions below take each
 * capture from the next recorded CPI instead of scheduling one, and refuse a CPI whose
 * "isactb:calib_cpi" does not describe the reference this step injects (ISAC_EFORMAT,
 * "isactb:calib_cpi.FIELD ..." in err): the estimate equals the live one bit for bit. */

/* The global object "isactb:calib_session" of a recorded session of `kind` ("rx", "tx",
 * "delay"); sequential: TX one at a time. New reference or NULL (ENOMEM). */
json_t *isac_calib_session_to_json(const struct isac_calib_session *s, const char *kind,
                                   int sequential);
/* Inverse: checks obj (the capture's "isactb:calib_session", may be NULL) is a session of
 * `kind` and loads its parameters into s (capture left NULL) and *sequential.
 * ISAC_EFORMAT with "isactb:calib_session[.FIELD] VALUE problem" in err. */
int isac_calib_session_from_json(const json_t *obj, const char *kind, struct isac_calib_session *s,
                                 int *sequential, char *err, size_t errlen);
/* Method name of a session kind as in the record ("splitter-eigenvector",
 * "coupler-comb", "coupler-sequential", "splitter-delay"). */
const char *isac_calib_session_method(const char *kind, int sequential);

/* RX: every receive array from one splitter capture; out[num_rx]. */
int isac_calib_measure_rx(isac_radio r, const struct isac_calib_session *s,
                          struct isac_calib_chan *out, char *err, size_t errlen);
/* TX: orthogonal combs on every TX channel at once (sequential = 0) or one channel at a
 * time paired with channel 0 (sequential = 1); out[num_tx]. */
int isac_calib_measure_tx(isac_radio r, const struct isac_calib_session *s, int sequential,
                          struct isac_calib_chan *out, char *err, size_t errlen);
/* TX-to-RX system delay (TX channel 0 -> first element of each receive AP), samples,
 * over the loopback (splitter); delay[num_rx_aps], std may be NULL. */
int isac_calib_measure_delay(isac_radio r, const struct isac_calib_session *s, double *delay,
                             double *std, char *err, size_t errlen);
/* Array manifold from a pilot at theta (rad from broadside, over the air): RX gains of
 * every array relative to the ideal steering vector (out[num_rx]) and, when tx_out is
 * not NULL, the TX array's (tx_out[num_tx], received on the ref_rx channel). */
int isac_calib_measure_manifold(isac_radio r, const struct isac_calib_session *s, double theta,
                                struct isac_calib_chan *rx_out, struct isac_calib_chan *tx_out,
                                char *err, size_t errlen);

/* Beam patterns against a pilot at theta: every TX beam q of cb is sent (with the
 * calibration cal applied, NULL = none) and received by RX array `ap`, beamformed toward
 * theta: tx_pattern[q] (linear power); from the capture of beam 0 the RX array's
 * pattern is formed over the steering angles of rx_cb (an M-element codebook, may be
 * NULL): rx_pattern[q'] = |w_q'^T y|^2 summed over the capture. */
int isac_calib_measure_patterns(isac_radio r, const struct isac_calib_session *s, double theta,
                                const struct isac_chan_correction *cal, isac_codebook cb,
                                unsigned ap, double *tx_pattern, isac_codebook rx_cb,
                                double *rx_pattern, char *err, size_t errlen);

#endif
