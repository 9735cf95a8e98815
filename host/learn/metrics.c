#include "learn/metrics.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static void hist(const double *x, size_t n, unsigned bins, double *h)
{
    for (unsigned i = 0; i < bins; i++)
        h[i] = 0.5;
    for (size_t i = 0; i < n; i++) {
        double v = x[i] < 0 ? 0 : x[i] > 1 ? 1 : x[i];
        unsigned k = (unsigned)(v * bins);
        h[k < bins ? k : bins - 1] += 1;
    }
    double s = 0;
    for (unsigned i = 0; i < bins; i++)
        s += h[i];
    for (unsigned i = 0; i < bins; i++)
        h[i] /= s;
}

double isac_metric_kl(const double *a, size_t na, const double *b, size_t nb, unsigned bins)
{
    if (!na || !nb || bins < 1 || bins > 100000)
        return NAN;
    double *ha = malloc(2 * bins * sizeof *ha);
    if (!ha)
        return NAN;
    double *hb = ha + bins, kl = 0;
    hist(a, na, bins, ha);
    hist(b, nb, bins, hb);
    for (unsigned i = 0; i < bins; i++)
        kl += ha[i] * log(ha[i] / hb[i]);
    free(ha);
    return kl;
}

static int cmp(const void *x, const void *y)
{
    double a = *(const double *)x, b = *(const double *)y;
    return (a > b) - (a < b);
}

double isac_metric_w1(const double *a, size_t na, const double *b, size_t nb)
{
    if (!na || !nb)
        return NAN;
    double *s = malloc((na + nb) * sizeof *s);
    if (!s)
        return NAN;
    double *t = s + na;
    memcpy(s, a, na * sizeof *s);
    memcpy(t, b, nb * sizeof *t);
    qsort(s, na, sizeof *s, cmp);
    qsort(t, nb, sizeof *t, cmp);
    /* Integrate |F_a - F_b| over the merged breakpoints. */
    size_t i = 0, j = 0;
    double w = 0, x = fmin(s[0], t[0]);
    while (i < na || j < nb) {
        double nx = (j >= nb || (i < na && s[i] <= t[j])) ? s[i] : t[j];
        w += fabs((double)i / na - (double)j / nb) * (nx - x);
        x = nx;
        while (i < na && s[i] == x)
            i++;
        while (j < nb && t[j] == x)
            j++;
    }
    free(s);
    return w;
}

static double kmean(const double *a, size_t na, const double *b, size_t nb, double s)
{
    double acc = 0, g = -1.0 / (2 * s * s);
    for (size_t i = 0; i < na; i++)
        for (size_t j = 0; j < nb; j++)
            acc += exp(g * (a[i] - b[j]) * (a[i] - b[j]));
    return acc / ((double)na * nb);
}

double isac_metric_mmd(const double *a, size_t na, const double *b, size_t nb, double s)
{
    if (!na || !nb || !(s > 0))
        return NAN;
    double m2 = kmean(a, na, a, na, s) + kmean(b, nb, b, nb, s) - 2 * kmean(a, na, b, nb, s);
    return sqrt(m2 > 0 ? m2 : 0);
}
