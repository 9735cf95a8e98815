/* Private state of a veh_prob (host/vehicular/veh.h), shared by its files. */
#ifndef ISACTB_VEHICULAR_VEH_INTERNAL_H
#define ISACTB_VEHICULAR_VEH_INTERNAL_H

#include <complex.h>

#include "vehicular/veh.h"

struct veh_pair {
    double u, d;                 /* direction cosine, range (m) at the predicted state */
    double alpha, s2;            /* channel gain and noise + probe power (veh.h) */
    double lambda;               /* sensing constraint on ||Pi f||^2 (0: inactive) */
    double complex a[VEH_MAX_N]; /* a(u) / sqrt(N): a_m = exp(j 2 pi p_m u) / sqrt(N) */
};

struct veh_prob_s {
    struct veh_params p;
    unsigned K;
    double pc[VEH_MAX_N]; /* element positions about the phase centre, wavelengths */
    double pos[VEH_MAX_N];
    struct veh_vehicle *v;         /* [VEH_MAX_K] */
    struct veh_pair *pr[VEH_RSUS]; /* [VEH_MAX_K] */
    double complex *F[VEH_RSUS];   /* [VEH_MAX_K][N] beams */
    int xi[VEH_MAX_K];
    struct veh_stats st;
    /* FP scratch */
    double complex *A, *h, *tmp;
    double *eig;
    unsigned *set;
};

/* Pi(u) f and Pi(u)^H x for pair pr (N entries). */
void veh_pi_apply(const struct veh_prob_s *p, const struct veh_pair *pr, const double complex *f,
                  double complex *out);
void veh_pi_adj_apply(const struct veh_prob_s *p, const struct veh_pair *pr,
                      const double complex *x, double complex *out);
/* Matched beam conj(a(u)) / sqrt(N) into f. */
void veh_matched(const struct veh_prob_s *p, const struct veh_pair *pr, double complex *f);
/* g^H f = sqrt(alpha) sqrt(N) a^T f (received amplitude at the pair's vehicle). */
double complex veh_gain(const struct veh_prob_s *p, const struct veh_pair *pr,
                        const double complex *f);

#endif
