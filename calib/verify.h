/* `isactb calib verify`: sweep a TX codebook against a pilot at a known angle and compare
 * the measured beam pattern with theory, with and without the calibration. */
#ifndef ISACTB_CALIB_VERIFY_H
#define ISACTB_CALIB_VERIFY_H

#include "calib/session.h"

struct isac_calib_verify_result {
    unsigned Q;        /* beams */
    double *phi_deg;   /* steering angle of beam q, degrees */
    double *theory_db; /* |a^T(theta) w_q|^2, dB re its peak */
    double *cal_db;    /* measured with the calibration, dB re peak (NULL without one) */
    double *raw_db;    /* measured without calibration, dB re peak */
    struct isac_calib_pattern_stats theory, cal, raw;
    double
        beamwidth_deg; /* null-to-null half width at the pilot: asin(sin theta + 1/(M d)) - theta */
};

/* The radio must carry a pilot at theta (rad; emulator: cal=pilot,pilot_deg=...). cal
 * may be NULL (only the raw pattern is measured). Receive array `ap`. */
int isac_calib_verify(isac_radio r, const struct isac_calib_session *s, double theta,
                      const struct isac_chan_correction *cal, isac_codebook cb, unsigned ap,
                      struct isac_calib_verify_result *out, char *err, size_t errlen);
void isac_calib_verify_free(struct isac_calib_verify_result *v);

#endif
