/* Confidence bounds for statistical tests (header-only, tests only).
 *
 * stat_cp_interval(): two-sided Clopper-Pearson ("exact") interval for a binomial
 * proportion: k successes in n trials, confidence 1 - alpha:
 *     lo = Beta^-1(alpha/2; k, n-k+1)      (0 when k = 0)
 *     hi = Beta^-1(1-alpha/2; k+1, n-k)    (1 when k = n)
 * The beta quantiles are found by bisection on gsl_cdf_beta_P rather than with
 * gsl_cdf_beta_Pinv/Qinv: in GSL 2.7 those abort ("inverse failed to converge") for
 * ordinary arguments such as k = 2, n = 698, alpha = 1e-3.
 *
 * stat_check_rate(): the usual test assertion. It asks whether the NOMINAL
 * probability p0 lies inside the interval computed from the observed count, i.e.
 * the test fails with probability <= alpha when the implementation is right.
 */
#ifndef ISACTB_TESTS_STAT_BOUNDS_H
#define ISACTB_TESTS_STAT_BOUNDS_H

#include <gsl/gsl_cdf.h>
#include <stdint.h>
#include <stdio.h>

/* Quantile of Beta(a, b) at probability q, by bisection to 1e-15. */
static inline double stat_beta_quantile(double q, double a, double b)
{
    double lo = 0.0, hi = 1.0;
    for (int it = 0; it < 200 && hi - lo > 1e-15; it++) {
        double mid = 0.5 * (lo + hi);
        if (gsl_cdf_beta_P(mid, a, b) < q)
            lo = mid;
        else
            hi = mid;
    }
    return 0.5 * (lo + hi);
}

/* Two-sided Clopper-Pearson interval for k successes in n >= 1 trials at confidence
 * 1 - alpha (alpha in (0, 1), 1e-3 for the 99.9% intervals the tests use). */
static inline void stat_cp_interval(uint64_t k, uint64_t n, double alpha, double *lo, double *hi)
{
    double kd = (double)k, nd = (double)n;
    *lo = k == 0 ? 0.0 : stat_beta_quantile(0.5 * alpha, kd, nd - kd + 1.0);
    *hi = k >= n ? 1.0 : stat_beta_quantile(1.0 - 0.5 * alpha, kd + 1.0, nd - kd);
}

/* 1 if p0 lies inside the 1 - alpha Clopper-Pearson interval of k/n, else 0.
 * Prints one line either way (cmocka shows it on failure) so the measured numbers
 * can be quoted. */
static inline int stat_check_rate(const char *what, uint64_t k, uint64_t n, double p0, double alpha)
{
    double lo, hi;
    stat_cp_interval(k, n, alpha, &lo, &hi);
    int ok = p0 >= lo && p0 <= hi;
    printf("%-40s %8llu/%-9llu = %.5g  CI%.1f%% [%.5g, %.5g]  nominal %.5g  %s\n", what,
           (unsigned long long)k, (unsigned long long)n, (double)k / (double)n,
           100.0 * (1.0 - alpha), lo, hi, p0, ok ? "ok" : "OUTSIDE");
    return ok;
}

#endif
