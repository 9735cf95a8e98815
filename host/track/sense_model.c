/* Level-0 sensing measurements (see sense_model.h). */
#include "track/sense_model.h"

#include <math.h>
#include <stddef.h>

#define C0 299792458.0

void isac_sense_model_sd(const struct isac_sense_model *m, double d, double g, double *su,
                         double *sd, double *sr)
{
    double snr = pow(10.0, m->snr_ref_db / 10.0) * pow(m->d_ref_m / fmax(d, 1.0), 4.0) * g;
    snr = fmax(snr, 1e-12);
    double N = m->nr, arr = snr * N; /* coherent over the receive elements */
    double brms = m->bandwidth / sqrt(12.0), trms = m->burst_s / sqrt(12.0);
    double s_tau = 1.0 / sqrt(8.0 * M_PI * M_PI * brms * brms * arr);
    double s_f = 1.0 / sqrt(8.0 * M_PI * M_PI * trms * trms * arr);
    *sd = C0 * s_tau / 2.0;
    *sr = C0 * s_f / (2.0 * m->fc);
    *su = N > 1 ? 1.0 / sqrt(2.0 * snr * M_PI * M_PI * N * (N * N - 1.0) / 12.0) : 1.0;
}

void isac_sense_model_measure(const struct isac_sense_model *m, const struct isac_trk_rsu *r,
                              unsigned ri, const double *x, double g, int truth_id, isac_rng *rng,
                              struct isac_trk_meas *out)
{
    double z[3];
    isac_trk_h(x, r, z, NULL);
    out->rsu = ri;
    out->truth_id = truth_id;
    isac_sense_model_sd(m, z[1], g, &out->su, &out->sd, &out->sr);
    out->u = z[0] + out->su * isac_rng_normal(rng);
    out->d = z[1] + out->sd * isac_rng_normal(rng);
    out->r = z[2] + out->sr * isac_rng_normal(rng);
}
