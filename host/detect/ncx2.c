/* Non-central chi-square survival function and the GLRT's analytic P_D.
 *
 * Method (see glrt.h for the error bound): with lam = delta/2,
 *     P(X > x) = sum_j Pois(j; lam) Q(k/2 + j, x/2),
 * Q the regularised upper incomplete gamma function (the chi2(k + 2j) tail).
 * The sum is evaluated outward from the Poisson mode j0 = floor(lam), upward and
 * downward, so the largest terms come first and nothing underflows at the start
 * (p_j0 >= 1/(e sqrt(2 pi (lam+1))) is never tiny). Each direction stops when a
 * geometric bound on the Poisson mass not yet summed drops below 0.5e-12: since the
 * neglected Q factors are in [0, 1], the truncation error is at most 1e-12. The
 * central tails come from GSL's gsl_sf_gamma_inc_Q (relative accuracy ~1e-14, no
 * error handler calls in underflow: it returns 0), so with a few thousand terms
 * the rounding error stays below 1e-10 in absolute terms.
 */
#include "detect/glrt.h"

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_sf_gamma.h>
#include <math.h>

#define NCX2_MASS_TOL 0.5e-12

static double central_sf(double a, double y)
{
    /* a = dof/2 > 0, y = x/2 > 0 */
    return gsl_sf_gamma_inc_Q(a, y);
}

/* Sum of p_j Q(a + j, y) for j > j0, given p_j0; stops on the mass bound. */
static double sum_up(double lam, double a, double y, double j0, double p0)
{
    double s = 0.0, p = p0;
    for (double j = j0 + 1.0;; j += 1.0) {
        p *= lam / j;
        s += p * central_sf(a + j, y);
        /* ratio p_{i+1}/p_i = lam/(i+1) shrinks with i: geometric tail bound */
        double r = lam / (j + 1.0);
        if (r < 1.0 && p * r / (1.0 - r) < NCX2_MASS_TOL)
            break;
        if (p == 0.0)
            break;
    }
    return s;
}

/* Sum of p_j Q(a + j, y) for 0 <= j < j0, given p_j0. */
static double sum_down(double lam, double a, double y, double j0, double p0)
{
    double s = 0.0, p = p0;
    for (double j = j0 - 1.0; j >= 0.0; j -= 1.0) {
        p *= (j + 1.0) / lam;
        s += p * central_sf(a + j, y);
        /* ratio p_{i-1}/p_i = i/lam <= j/lam for i <= j: geometric tail bound */
        double r = j / lam;
        if (r < 1.0 && p * r / (1.0 - r) < NCX2_MASS_TOL)
            break;
    }
    return s;
}

double ncx2_sf(double x, double k, double delta)
{
    if (!(k > 0.0) || !(delta >= 0.0) || isnan(x))
        return NAN;
    if (x <= 0.0)
        return 1.0;
    if (isinf(x))
        return 0.0;
    double a = 0.5 * k, y = 0.5 * x;
    if (delta == 0.0)
        return central_sf(a, y);
    double lam = 0.5 * delta;
    double j0 = floor(lam);
    double p0 = exp(-lam + j0 * log(lam) - lgamma(j0 + 1.0));
    double s = p0 * central_sf(a + j0, y);
    s += sum_up(lam, a, y, j0, p0);
    s += sum_down(lam, a, y, j0, p0);
    if (s > 1.0)
        s = 1.0;
    return s;
}

double glrt_pd(unsigned N, double pfa, double delta)
{
    if (N == 0 || !(pfa > 0.0 && pfa < 1.0) || !(delta >= 0.0))
        return NAN;
    double t2 = 2.0 * glrt_threshold_n(N, pfa); /* threshold on 2*Lambda */
    return ncx2_sf(t2, 2.0 * N, delta);
}

double glrt_delta_from_snr(unsigned N, const double *snr)
{
    if (!snr)
        return NAN;
    double s = 0.0;
    for (unsigned n = 0; n < N; n++)
        s += snr[n];
    return 2.0 * s;
}
