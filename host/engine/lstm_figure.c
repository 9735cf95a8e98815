#include "engine/lstm_figure.h"

#include <math.h>
#include <plplot/plplot.h>
#include <stdio.h>
#include <stdlib.h>

#include "common/child.h"
#include "common/err.h"
#include "engine/figure.h"

struct lstm_fig_job {
    const char *dir, *base;
    enum bilstm_head head;
    const struct lstm_curve *c;
    unsigned nc;
};

/* The plotted value of one epoch row (train or validation); NAN when absent. */
static double metric(enum bilstm_head head, const struct bilstm_metrics *m)
{
    double v = head == BILSTM_HEAD_BCE ? 100.0 * m->accuracy : m->mse;
    if (head == BILSTM_HEAD_MSE)
        v = v > 0 ? log10(v) : NAN;
    return v;
}

static int lstm_fig_draw(void *ctx, char *err, size_t errlen)
{
    const struct lstm_fig_job *j = ctx;
    unsigned emax = 1;
    double lo = INFINITY, hi = -INFINITY;
    for (unsigned k = 0; k < j->nc; k++)
        for (unsigned i = 0; i < j->c[k].n; i++) {
            emax = j->c[k].e[i].epoch > emax ? j->c[k].e[i].epoch : emax;
            for (int v = 0; v < 2; v++) {
                double y = metric(j->head, v ? &j->c[k].e[i].val : &j->c[k].e[i].train);
                if (isfinite(y)) {
                    lo = fmin(lo, y);
                    hi = fmax(hi, y);
                }
            }
        }
    if (!isfinite(lo)) {
        isac_seterr(err, errlen, "%s/%s: no finite value to plot", j->dir, j->base);
        return ISAC_EINVAL;
    }
    if (j->head == BILSTM_HEAD_BCE) {
        lo = fmax(0, floor(lo / 5) * 5);
        hi = 100;
    } else {
        lo = floor(lo);
        hi = fmax(ceil(hi), lo + 1);
    }
    struct figure f;
    int rc = figure_begin(&f, j->dir, j->base, 700, 1, err, errlen);
    if (rc)
        return rc;
    plcol0(1);
    plenv(0, emax, lo, hi, 0, j->head == BILSTM_HEAD_MSE ? 20 : 0);
    pllab("epoch", j->head == BILSTM_HEAD_BCE ? "accuracy (%)" : "MSE",
          j->head == BILSTM_HEAD_BCE
              ? "Assignment network: accuracy (solid: validation, dashed: training)"
              : "Beam network: MSE (solid: validation, dashed: training)");
    PLFLT *x = malloc((emax + 1) * sizeof *x), *y = malloc((emax + 1) * sizeof *y);
    for (unsigned k = 0; x && y && k < j->nc; k++) {
        plcol0(2 + (int)(k % 8));
        for (int v = 1; v >= 0; v--) {
            PLINT m = 0;
            for (unsigned i = 0; i < j->c[k].n; i++) {
                double yy = metric(j->head, v ? &j->c[k].e[i].val : &j->c[k].e[i].train);
                if (isfinite(yy)) {
                    x[m] = j->c[k].e[i].epoch;
                    y[m++] = yy;
                }
            }
            pllsty(v ? 1 : 2);
            if (m > 1)
                plline(m, x, y);
            else if (m == 1)
                plpoin(m, x, y, 17);
        }
        pllsty(1);
        if (j->c[k].label)
            plmtex("rv", -12.0, 0.95 - 0.06 * k, 0.0, j->c[k].label);
    }
    free(x);
    free(y);
    return figure_end(&f, err, errlen);
}

int lstm_figure(const char *dir, const char *base, enum bilstm_head head,
                const struct lstm_curve *c, unsigned nc, char *err, size_t errlen)
{
    if (nc < 1 || nc > 8) {
        isac_seterr(err, errlen, "%s/%s: %u curves (1..8)", dir, base, nc);
        return ISAC_EINVAL;
    }
    for (unsigned k = 0; k < nc; k++)
        if (!c[k].e || c[k].n < 1) {
            isac_seterr(err, errlen, "%s/%s: curve %u has no epochs", dir, base, k);
            return ISAC_EINVAL;
        }
    struct lstm_fig_job j = {dir, base, head, c, nc};
    return isac_run_isolated(lstm_fig_draw, &j, err, errlen);
}
