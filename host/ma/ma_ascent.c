/* Monotone projected ascent (ma_ascent.h). */
#include "ma/ma_ascent.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

double isac_ma_ascent(isac_ma_obj_fn f, isac_ma_proj_fn proj, void *ctx, double *v, unsigned n,
                      double h, unsigned iters, double *step)
{
    double g[ISAC_MA_ASCENT_MAXN], trial[ISAC_MA_ASCENT_MAXN];
    double fv = f(ctx, v);
    if (n > ISAC_MA_ASCENT_MAXN)
        return fv;
    for (unsigned it = 0; it < iters; it++) {
        double gn = 0;
        for (unsigned i = 0; i < n; i++) {
            double keep = v[i];
            v[i] = keep + h;
            double fp = f(ctx, v);
            v[i] = keep - h;
            double fm = f(ctx, v);
            v[i] = keep;
            g[i] = (fp - fm) / (2 * h);
            gn += g[i] * g[i];
        }
        if (!(gn > 0) || !isfinite(gn))
            break;
        int accepted = 0;
        for (int bt = 0; bt < 30; bt++) {
            for (unsigned i = 0; i < n; i++)
                trial[i] = v[i] + *step * g[i];
            if (proj)
                proj(ctx, trial);
            double ft = f(ctx, trial);
            if (ft > fv) {
                memcpy(v, trial, n * sizeof *v);
                fv = ft;
                accepted = 1;
                break;
            }
            *step *= 0.5;
        }
        if (!accepted)
            break;
        *step *= 2.0;
    }
    return fv;
}

static int cmp_desc(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x < y) - (x > y);
}

void isac_ma_project_simplex(double *p, unsigned n, double total)
{
    /* sort-based exact projection (Held, Wolfe and Crowder): the shift is
     * (sum of the r largest - total) / r for the largest r that keeps them positive */
    double u[ISAC_MA_ASCENT_MAXN], acc = 0, shift = 0;
    if (n > ISAC_MA_ASCENT_MAXN)
        return;
    memcpy(u, p, n * sizeof *u);
    qsort(u, n, sizeof *u, cmp_desc);
    for (unsigned r = 0; r < n; r++) {
        acc += u[r];
        double t = (acc - total) / (double)(r + 1);
        if (u[r] - t > 0)
            shift = t;
    }
    for (unsigned i = 0; i < n; i++)
        p[i] = p[i] > shift ? p[i] - shift : 0;
}
