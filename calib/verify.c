/* Beam-pattern verification against a pilot (verify.h). */
#include "calib/verify.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"

#define RAD2DEG (180.0 / M_PI)

static void to_db(double *p, unsigned n)
{
    double mx = 0;
    for (unsigned i = 0; i < n; i++)
        mx = fmax(mx, p[i]);
    for (unsigned i = 0; i < n; i++)
        p[i] = 10 * log10(fmax(p[i], 1e-30) / mx);
}

/* Aperture / (M - 1): the spacing of the ULA with the same main-lobe width, which the
 * side-lobe search of isac_calib_pattern_stats needs (0.5 for one element). */
static double mean_spacing(isac_array a)
{
    unsigned M = isac_array_size(a);
    const double *p = isac_array_positions(a);
    double lo = p[0], hi = p[0];
    for (unsigned m = 1; m < M; m++) {
        lo = fmin(lo, p[m]);
        hi = fmax(hi, p[m]);
    }
    return M > 1 ? (hi - lo) / (M - 1) : 0.5;
}

/* Pattern statistics from a dB pattern (isac_calib_pattern_stats wants linear power). */
static void stats(const double *db, const double *phi, unsigned Q, unsigned M, double d,
                  double theta, struct isac_calib_pattern_stats *st)
{
    double *lin = malloc(Q * sizeof *lin);
    if (!lin)
        return;
    for (unsigned q = 0; q < Q; q++)
        lin[q] = pow(10.0, db[q] / 10);
    isac_calib_pattern_stats(lin, phi, Q, M, d, theta, st);
    free(lin);
}

int isac_calib_verify(isac_radio r, const struct isac_calib_session *s, double theta,
                      const struct isac_chan_correction *cal, isac_codebook cb, unsigned ap,
                      struct isac_calib_verify_result *out, char *err, size_t errlen)
{
    struct isac_radio_info info;
    memset(out, 0, sizeof *out);
    if (isac_radio_get_info(r, &info) || !cb)
        return ISAC_EINVAL;
    unsigned Q = isac_codebook_size(cb), M = info.num_tx;
    isac_array tx = isac_radio_tx_array(&info);
    double complex a[ISAC_RADIO_MAX_CHANNELS];
    if (!tx)
        return ISAC_EINVAL;
    isac_array_steering_d(tx, theta, a);
    double d = mean_spacing(tx);
    isac_array_destroy(tx);
    out->Q = Q;
    out->phi_deg = calloc(Q, sizeof(double));
    out->theory_db = calloc(Q, sizeof(double));
    out->raw_db = calloc(Q, sizeof(double));
    out->cal_db = cal ? calloc(Q, sizeof(double)) : NULL;
    double *phi = calloc(Q, sizeof *phi);
    if (!out->phi_deg || !out->theory_db || !out->raw_db || (cal && !out->cal_db) || !phi) {
        free(phi);
        isac_calib_verify_free(out);
        return ISAC_ENOMEM;
    }
    for (unsigned q = 0; q < Q; q++) {
        phi[q] = isac_codebook_angle(cb, q);
        out->phi_deg[q] = phi[q] * RAD2DEG;
        double complex acc = 0;
        for (unsigned m = 0; m < M; m++)
            acc += a[m] * isac_codebook_weights(cb, q)[m];
        out->theory_db[q] = creal(acc * conj(acc));
    }
    int rc = isac_calib_measure_patterns(r, s, theta, NULL, cb, ap, out->raw_db, NULL, NULL, err,
                                         errlen);
    if (rc == ISAC_OK && cal)
        rc = isac_calib_measure_patterns(r, s, theta, cal, cb, ap, out->cal_db, NULL, NULL, err,
                                         errlen);
    if (rc == ISAC_OK) {
        to_db(out->theory_db, Q);
        to_db(out->raw_db, Q);
        stats(out->theory_db, phi, Q, M, d, theta, &out->theory);
        stats(out->raw_db, phi, Q, M, d, theta, &out->raw);
        if (cal) {
            to_db(out->cal_db, Q);
            stats(out->cal_db, phi, Q, M, d, theta, &out->cal);
        }
        double u = sin(theta) + 1.0 / (M * d);
        out->beamwidth_deg = (u < 1 ? asin(u) - theta : M_PI / 2 - theta) * RAD2DEG;
    }
    free(phi);
    if (rc)
        isac_calib_verify_free(out);
    return rc;
}

void isac_calib_verify_free(struct isac_calib_verify_result *v)
{
    free(v->phi_deg);
    free(v->theory_db);
    free(v->cal_db);
    free(v->raw_db);
    memset(v, 0, sizeof *v);
}
