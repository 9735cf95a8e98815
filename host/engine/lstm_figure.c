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
    enum isac_bilstm_head head;
    const struct isac_lstm_curve *c;
    unsigned nc;
};

/* The plotted value of one epoch row (train or validation); NAN when absent. */
static double metric(enum isac_bilstm_head head, const struct isac_bilstm_metrics *m)
{
    double v = head == ISAC_BILSTM_HEAD_BCE ? 100.0 * m->accuracy : m->mse;
    if (head == ISAC_BILSTM_HEAD_MSE)
        v = v > 0 ? log10(v) : NAN;
    return v;
}

/* The PLplot calls of the figure (isac_figure_write calls it once per format). */
struct lstm_fig_plot {
    const struct lstm_fig_job *j;
    unsigned emax;
    double lo, hi;
};

static void lstm_fig_plot(void *ctx)
{
    const struct lstm_fig_plot *f = ctx;
    const struct lstm_fig_job *j = f->j;
    int mse = j->head == ISAC_BILSTM_HEAD_MSE;
    isac_figure_axes(0, f->emax, f->lo, f->hi, 0);
    isac_figure_labels("epoch", mse ? "log10 MSE" : "accuracy (%)",
                       mse ? "Beam network: MSE per epoch"
                           : "Assignment network: accuracy per epoch");
    PLFLT *x = malloc((f->emax + 1) * sizeof *x), *y = malloc((f->emax + 1) * sizeof *y);
    const char *text[18];
    int colour[18], kind[18];
    int n = 0;
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
                plstring(m, x, y, ISAC_FIGURE_DOT);
        }
        pllsty(1);
        text[n] = j->c[k].label ? j->c[k].label : "network";
        colour[n] = 2 + (int)(k % 8);
        kind[n++] = ISAC_FIGURE_LINE;
    }
    text[n] = "validation";
    colour[n] = 1;
    kind[n++] = ISAC_FIGURE_LINE;
    text[n] = "training";
    colour[n] = 1;
    kind[n++] = ISAC_FIGURE_DASHED;
    isac_figure_legend(n, text, colour, kind, NULL, ISAC_FIGURE_RIGHT);
    free(x);
    free(y);
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
    if (j->head == ISAC_BILSTM_HEAD_BCE) {
        lo = fmax(0, floor(lo / 5) * 5);
        hi = 100;
    } else {
        lo = floor(lo);
        hi = fmax(ceil(hi), lo + 1);
    }
    struct lstm_fig_plot f = {j, emax, lo, hi};
    return isac_figure_write(j->dir, j->base, 700, 1, lstm_fig_plot, &f, err, errlen);
}

int isac_lstm_figure(const char *dir, const char *base, enum isac_bilstm_head head,
                     const struct isac_lstm_curve *c, unsigned nc, char *err, size_t errlen)
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
