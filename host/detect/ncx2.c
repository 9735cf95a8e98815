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

/* The central tails of neighbouring orders differ by one Poisson-like term,
 *     Q(b + 1, y) = Q(b, y) + d(b),   d(b) = y^b e^-y / Gamma(b + 1),   d(b + 1) = d(b) y / (b +
 * 1), so one GSL call at the mode gives every other order by recurrence (Ding's scheme): the sum
 * costs one incomplete gamma function instead of one per term, which is what makes the qnet
 * policy's observed P_D cheap enough for a decision in well under 2 us. Upward the recurrence adds
 * positive terms; downward it subtracts, so the absolute rounding error stays below (terms) x 1e-16
 * x Q(b0, y), far inside the 1e-10 budget above. */
struct tail {
    double q; /* Q(b, y) */
    double d; /* d(b) */
    double b;
};

static struct tail tail_at(double b, double y)
{
    struct tail t = {central_sf(b, y), exp(b * log(y) - y - lgamma(b + 1.0)), b};
    return t;
}

/* Sum of p_j Q(a + j, y) for j > j0, given p_j0; stops on the mass bound. */
static double sum_up(double lam, double y, double j0, double p0, struct tail t)
{
    double s = 0.0, p = p0;
    for (double j = j0 + 1.0;; j += 1.0) {
        p *= lam / j;
        t.q += t.d; /* Q(b + 1) */
        t.b += 1.0;
        t.d *= y / t.b; /* d(b + 1) = d(b) y / (b + 1), t.b already advanced */
        s += p * (t.q < 1.0 ? t.q : 1.0);
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
static double sum_down(double lam, double y, double j0, double p0, struct tail t)
{
    double s = 0.0, p = p0;
    for (double j = j0 - 1.0; j >= 0.0; j -= 1.0) {
        p *= (j + 1.0) / lam;
        t.d *= t.b / y; /* d(b - 1) */
        t.b -= 1.0;
        t.q -= t.d; /* Q(b - 1) */
        s += p * (t.q > 0.0 ? t.q : 0.0);
        /* ratio p_{i-1}/p_i = i/lam <= j/lam for i <= j: geometric tail bound */
        double r = j / lam;
        if (r < 1.0 && p * r / (1.0 - r) < NCX2_MASS_TOL)
            break;
    }
    return s;
}

double isac_ncx2_sf(double x, double k, double delta)
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
    struct tail t = tail_at(a + j0, y);
    double s = p0 * t.q;
    s += sum_up(lam, y, j0, p0, t);
    s += sum_down(lam, y, j0, p0, t);
    if (s > 1.0)
        s = 1.0;
    return s;
}

double isac_glrt_pd(unsigned N, double pfa, double delta)
{
    if (N == 0 || !(pfa > 0.0 && pfa < 1.0) || !(delta >= 0.0))
        return NAN;
    double t2 = 2.0 * isac_glrt_threshold_n(N, pfa); /* threshold on 2*Lambda */
    return isac_ncx2_sf(t2, 2.0 * N, delta);
}

double isac_glrt_delta_from_snr(unsigned N, const double *snr)
{
    if (!snr)
        return NAN;
    double s = 0.0;
    for (unsigned n = 0; n < N; n++)
        s += snr[n];
    return 2.0 * s;
}
