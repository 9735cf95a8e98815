/* Movable-antenna geometry: region checks, exact projection, baselines (ma_geom.h). */
#include "ma/ma_geom.h"

#include <math.h>

#include "common/err.h"

#define MA_TOL 1e-9

int isac_ma_region_check(const struct isac_ma_region *r, unsigned n, char *err, size_t errlen)
{
    if (!r || !isfinite(r->xmin) || !isfinite(r->xmax) || !(r->xmax > r->xmin)) {
        isac_seterr(err, errlen, "region: xmax (%g) must be finite and above xmin (%g)",
                    r ? r->xmax : NAN, r ? r->xmin : NAN);
        return ISAC_EINVAL;
    }
    if (!isfinite(r->dmin) || !(r->dmin > 0.0)) {
        isac_seterr(err, errlen, "region: dmin %g must be > 0", r->dmin);
        return ISAC_EINVAL;
    }
    if (n < 1 || n > ISAC_MA_MAX_ELEMENTS) {
        isac_seterr(err, errlen, "region: element count %u outside 1..%u", n, ISAC_MA_MAX_ELEMENTS);
        return ISAC_EINVAL;
    }
    double len = r->xmax - r->xmin;
    if (len + MA_TOL < (double)(n - 1) * r->dmin) {
        unsigned most = (unsigned)floor(len / r->dmin + MA_TOL) + 1u;
        isac_seterr(err, errlen,
                    "region [%g, %g] holds at most %u elements at dmin %g, asked for %u", r->xmin,
                    r->xmax, most, r->dmin, n);
        return ISAC_EINVAL;
    }
    return ISAC_OK;
}

int isac_ma_positions_check(const struct isac_ma_region *r, const double *x, unsigned n, char *err,
                            size_t errlen)
{
    int rc = isac_ma_region_check(r, n, err, errlen);
    if (rc != ISAC_OK)
        return rc;
    for (unsigned i = 0; i < n; i++) {
        if (!isfinite(x[i]) || x[i] < r->xmin - MA_TOL || x[i] > r->xmax + MA_TOL) {
            isac_seterr(err, errlen, "positions: element %u at %g is outside the region [%g, %g]",
                        i, x[i], r->xmin, r->xmax);
            return ISAC_EINVAL;
        }
        if (i > 0 && x[i] - x[i - 1] < r->dmin - MA_TOL) {
            isac_seterr(err, errlen,
                        "positions: element %u at %g is %g from element %u, below dmin %g", i, x[i],
                        x[i] - x[i - 1], i - 1, r->dmin);
            return ISAC_EINVAL;
        }
    }
    return ISAC_OK;
}

/* Pool-adjacent-violators: y <- nearest non-decreasing vector (equal weights). */
static void pava(double *y, unsigned n)
{
    double mean[ISAC_MA_MAX_ELEMENTS];
    unsigned cnt[ISAC_MA_MAX_ELEMENTS], nb = 0;
    for (unsigned i = 0; i < n; i++) {
        mean[nb] = y[i];
        cnt[nb] = 1;
        nb++;
        while (nb > 1 && mean[nb - 2] > mean[nb - 1]) {
            double m = (mean[nb - 2] * cnt[nb - 2] + mean[nb - 1] * cnt[nb - 1]) /
                       (double)(cnt[nb - 2] + cnt[nb - 1]);
            cnt[nb - 2] += cnt[nb - 1];
            mean[nb - 2] = m;
            nb--;
        }
    }
    unsigned i = 0;
    for (unsigned b = 0; b < nb; b++)
        for (unsigned c = 0; c < cnt[b]; c++)
            y[i++] = mean[b];
}

int isac_ma_project(const struct isac_ma_region *r, double *x, unsigned n)
{
    if (isac_ma_region_check(r, n, NULL, 0) != ISAC_OK)
        return ISAC_EINVAL;
    double y[ISAC_MA_MAX_ELEMENTS];
    double hi = r->xmax - (double)(n - 1) * r->dmin;
    for (unsigned i = 0; i < n; i++)
        y[i] = isfinite(x[i]) ? x[i] - (double)i * r->dmin : r->xmin;
    pava(y, n);
    for (unsigned i = 0; i < n; i++) {
        double v = y[i] < r->xmin ? r->xmin : y[i] > hi ? hi : y[i];
        x[i] = v + (double)i * r->dmin;
    }
    return ISAC_OK;
}

double isac_ma_min_spacing(const double *x, unsigned n)
{
    double m = INFINITY;
    for (unsigned i = 1; i < n; i++)
        if (x[i] - x[i - 1] < m)
            m = x[i] - x[i - 1];
    return m;
}

unsigned isac_ma_spacing_violations(const double *x, unsigned n, double dmin)
{
    unsigned v = 0;
    for (unsigned i = 0; i < n; i++)
        for (unsigned j = i + 1; j < n; j++)
            if (fabs(x[j] - x[i]) < dmin - MA_TOL)
                v++;
    return v;
}

int isac_ma_uniform(const struct isac_ma_region *r, unsigned n, double pitch, double *x)
{
    if (isac_ma_region_check(r, n, NULL, 0) != ISAC_OK || !(pitch >= r->dmin - MA_TOL))
        return ISAC_EINVAL;
    double span = (double)(n - 1) * pitch;
    if (span > r->xmax - r->xmin + MA_TOL)
        return ISAC_EINVAL;
    double x0 = 0.5 * (r->xmin + r->xmax) - 0.5 * span;
    for (unsigned i = 0; i < n; i++)
        x[i] = x0 + (double)i * pitch;
    return ISAC_OK;
}

int isac_ma_random(const struct isac_ma_region *r, unsigned n, isac_rng *rng, double *x)
{
    if (isac_ma_region_check(r, n, NULL, 0) != ISAC_OK)
        return ISAC_EINVAL;
    double slack = (r->xmax - r->xmin) - (double)(n - 1) * r->dmin;
    for (unsigned i = 0; i < n; i++) { /* insertion sort of n uniforms */
        double u = isac_rng_uniform(rng) * slack;
        unsigned j = i;
        while (j > 0 && x[j - 1] > u) {
            x[j] = x[j - 1];
            j--;
        }
        x[j] = u;
    }
    for (unsigned i = 0; i < n; i++)
        x[i] += r->xmin + (double)i * r->dmin;
    return ISAC_OK;
}

int isac_ma_quantise(const struct isac_ma_region *r, double pitch, double *x, unsigned n)
{
    if (isac_ma_region_check(r, n, NULL, 0) != ISAC_OK || !(pitch > 0.0))
        return ISAC_EINVAL;
    double q = r->dmin / pitch;
    if (fabs(q - round(q)) > 1e-6)
        return ISAC_EINVAL;
    isac_ma_project(r, x, n);
    double hi = floor((r->xmax - (double)(n - 1) * r->dmin - r->xmin) / pitch + 1e-9);
    for (unsigned i = 0; i < n; i++) {
        double k = round((x[i] - (double)i * r->dmin - r->xmin) / pitch);
        k = k < 0 ? 0 : k > hi ? hi : k;
        x[i] = r->xmin + k * pitch + (double)i * r->dmin;
    }
    return ISAC_OK;
}
