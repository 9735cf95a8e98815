/* Private state of a isac_veh_prob (host/vehicular/veh.h), shared by its files. */
#ifndef ISACTB_VEHICULAR_VEH_INTERNAL_H
#define ISACTB_VEHICULAR_VEH_INTERNAL_H

#include <complex.h>

#include "vehicular/veh.h"

struct veh_pair {
    double u, d;                      /* direction cosine, range (m) at the predicted state */
    double alpha, s2;                 /* channel gain and noise + probe power (veh.h) */
    double lambda;                    /* sensing constraint on ||Pi f||^2 (0: inactive) */
    double complex a[ISAC_VEH_MAX_N]; /* a(u) / sqrt(N): a_m = exp(j 2 pi p_m u) / sqrt(N) */
};

struct isac_veh_prob_s {
    struct isac_veh_params p;
    unsigned K;
    double pc[ISAC_VEH_MAX_N]; /* element positions about the phase centre, wavelengths */
    double pos[ISAC_VEH_MAX_N];
    struct isac_veh_vehicle *v;         /* [ISAC_VEH_MAX_K] */
    struct veh_pair *pr[ISAC_VEH_RSUS]; /* [ISAC_VEH_MAX_K] */
    double complex *F[ISAC_VEH_RSUS];   /* [ISAC_VEH_MAX_K][N] beams */
    int xi[ISAC_VEH_MAX_K];
    struct isac_veh_stats st;
    /* FP scratch */
    double complex *A, *h, *tmp;
    double *eig;
    unsigned *set;
};

/* Pi(u) f and Pi(u)^H x for pair pr (N entries). */
void veh_pi_apply(const struct isac_veh_prob_s *p, const struct veh_pair *pr,
                  const double complex *f, double complex *out);
void veh_pi_adj_apply(const struct isac_veh_prob_s *p, const struct veh_pair *pr,
                      const double complex *x, double complex *out);
/* Matched beam conj(a(u)) / sqrt(N) into f. */
void veh_matched(const struct isac_veh_prob_s *p, const struct veh_pair *pr, double complex *f);
/* g^H f = sqrt(alpha) sqrt(N) a^T f (received amplitude at the pair's vehicle). */
double complex veh_gain(const struct isac_veh_prob_s *p, const struct veh_pair *pr,
                        const double complex *f);

#endif
