/* Distribution distances between two 1-D samples (seed 004 Table II, eqs. (47)-(49)):
 * generated values a[] against real values b[], both in [0, 1] (P_D).
 *
 *   KL   D(p_a || p_b) of histograms over [0, 1] (bins equal-width bins, each count
 *        + 0.5 before normalising so an empty bin does not make it infinite), nats;
 *   W1   Wasserstein-1 of the empirical distributions (exact: the area between the two
 *        empirical CDFs);
 *   MMD  maximum mean discrepancy with the Gaussian kernel exp(-(x-y)^2 / (2 s^2)):
 *        sqrt of the biased (V-statistic) estimate of MMD^2, which is the sup of
 *        eq. (49) over the RKHS unit ball.
 * Pure; the inputs are not modified.
 */
#ifndef ISACTB_LEARN_METRICS_H
#define ISACTB_LEARN_METRICS_H

#include <stddef.h>

double isac_metric_kl(const double *a, size_t na, const double *b, size_t nb, unsigned bins);
double isac_metric_w1(const double *a, size_t na, const double *b, size_t nb);
double isac_metric_mmd(const double *a, size_t na, const double *b, size_t nb, double s);

#endif
