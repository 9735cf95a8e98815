/* Fusion of per-AP unit outputs (see fusion.h). */
#include "detect/fusion.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_sf_gamma.h>

#include "common/err.h"
#include "detect/glrt.h"

struct isac_fusion_s {
    struct isac_grid_spec spec;
    unsigned N;
    size_t ncells;
    double pfa;
    double thr_n[ISAC_GRID_MAX_APS + 1]; /* threshold by N_P */
    float *stat, *thr;
    uint8_t *ncell; /* N_P per cell, from the blocks' visibility */
    double *thr_cell;
};

isac_fusion isac_fusion_create(const struct isac_fusion_config *cfg)
{
    if (!cfg || cfg->N < 1 || cfg->N > ISAC_GRID_MAX_APS ||
        !(cfg->pfa >= 1e-12 && cfg->pfa <= 0.5) || cfg->spec.nx == 0 || cfg->spec.ny == 0 ||
        !(cfg->spec.dx > 0) || !(cfg->spec.dy > 0))
        return NULL;
    isac_fusion f = calloc(1, sizeof *f);
    if (!f)
        return NULL;
    f->spec = cfg->spec;
    f->N = cfg->N;
    f->pfa = cfg->pfa;
    f->ncells = (size_t)cfg->spec.nx * cfg->spec.ny;
    f->thr_n[0] = INFINITY;
    for (unsigned n = 1; n <= f->N; n++)
        f->thr_n[n] = isac_glrt_threshold_n(n, f->pfa);
    f->stat = calloc(f->ncells, sizeof *f->stat);
    f->thr = calloc(f->ncells, sizeof *f->thr);
    f->ncell = calloc(f->ncells, 1);
    f->thr_cell = calloc(f->ncells, sizeof *f->thr_cell);
    if (f->stat && f->thr && f->ncell && f->thr_cell)
        return f;
    isac_fusion_destroy(f);
    return NULL;
}

void isac_fusion_destroy(isac_fusion f)
{
    if (!f)
        return;
    free(f->stat);
    free(f->thr);
    free(f->ncell);
    free(f->thr_cell);
    free(f);
}

const float *isac_fusion_stat(isac_fusion f)
{
    return f->stat;
}
const float *isac_fusion_threshold(isac_fusion f)
{
    return f->thr;
}

static int blocks_fit(isac_fusion f, const struct isac_ap_unit_out *const *out)
{
    for (unsigned n = 0; n < f->N; n++) {
        const struct isac_ap_unit_out *o = out[n];
        if (!o || !o->term || !o->visible || o->h.ap != n || o->h.ncells != f->ncells ||
            o->h.cpi != out[0]->h.cpi || o->h.beam != out[0]->h.beam)
            return 0;
    }
    return 1;
}

/* Lambda and N_P per cell: AP by AP, in index order, as isac_grid_execute sums them. */
static void sum_terms(isac_fusion f, const struct isac_ap_unit_out *const *out)
{
    memset(f->stat, 0, f->ncells * sizeof *f->stat);
    memset(f->ncell, 0, f->ncells);
    for (unsigned n = 0; n < f->N; n++) {
        const float *restrict t = out[n]->term;
        const uint8_t *restrict v = out[n]->visible;
        for (size_t c = 0; c < f->ncells; c++)
            if (v[c]) {
                f->stat[c] += t[c];
                f->ncell[c]++;
            }
    }
}

/* Per-cell thresholds; returns the cells seen by any AP and counts those over threshold. */
static size_t thresholds(isac_fusion f, unsigned *cells_over)
{
    size_t seen = 0;
    unsigned over = 0;
    for (size_t c = 0; c < f->ncells; c++) {
        f->thr_cell[c] = f->thr_n[f->ncell[c]];
        f->thr[c] = (float)f->thr_cell[c];
        over += f->stat[c] > f->thr_cell[c];
        seen += f->ncell[c] > 0;
    }
    *cells_over = over;
    return seen;
}

/* H0 tail of a cell: P(Gamma(N, 1) > Lambda), 1 for a cell no AP sees. */
static double cell_tail(double lambda, unsigned n_aps)
{
    return n_aps ? gsl_sf_gamma_inc_Q((double)n_aps, lambda > 0 ? lambda : 0.0) : 1.0;
}

/* Confirmation: only the cells within radius_m of the declared position, each at the
 * paper's per-cell P_FA, Bonferroni over that small neighbourhood. */
static void decide_local(isac_fusion f, const struct isac_fusion_focus *fo,
                         struct isac_fusion_result *res)
{
    size_t best = SIZE_MAX, nlocal = 0;
    double best_tail = 2.0;
    for (size_t c = 0; c < f->ncells; c++) {
        double x, y;
        isac_grid_spec_cell_center(&f->spec, c, &x, &y);
        unsigned n = f->ncell[c];
        if (!n || hypot(x - fo->x, y - fo->y) > fo->radius_m)
            continue;
        nlocal++;
        double t = cell_tail(f->stat[c], n);
        if (t < best_tail) {
            best_tail = t;
            best = c;
        }
    }
    if (best == SIZE_MAX)
        return;
    res->num_aps = f->ncell[best];
    res->lambda = f->stat[best];
    res->threshold = f->thr[best];
    isac_grid_spec_cell_center(&f->spec, best, &res->x, &res->y);
    res->detected = best_tail < f->pfa / (double)nlocal;
}

/* The per-cell CFAR test (seed 004 eq. (18)) runs in every cell, so a noise-only grid of C
 * cells shows about C * pfa false cells per CPI. Declaring "a target is here" needs a
 * grid-wide false-alarm probability of pfa: Bonferroni over the cells, i.e. the best
 * cell's H0 tail below pfa / C. */
static void decide_search(isac_fusion f, struct isac_fusion_result *res)
{
    struct isac_grid_best best;
    isac_grid_find_best(&f->spec, f->N, f->ncell, f->thr_cell, f->stat, &best);
    res->detected = best.n_aps > 0 && best.log10_p < log10(f->pfa) - log10((double)res->cells_seen);
    res->lambda = best.stat;
    res->threshold = best.threshold;
    res->num_aps = best.n_aps;
    res->x = best.x;
    res->y = best.y;
}

int isac_fusion_execute(isac_fusion f, const struct isac_ap_unit_out *const *out,
                        const struct isac_fusion_focus *focus, struct isac_fusion_result *res)
{
    if (!f || !out || !res || !blocks_fit(f, out))
        return ISAC_EINVAL;
    memset(res, 0, sizeof *res);
    for (unsigned n = 0; n < f->N; n++)
        res->noise_var[n] = out[n]->h.noise_var;
    sum_terms(f, out);
    res->cells_seen = thresholds(f, &res->cells_over);
    if (focus)
        decide_local(f, focus, res);
    else
        decide_search(f, res);
    /* P_D of the paper's per-cell detector (eq. (24)) at the bias-corrected plug-in
     * non-centrality of 2*Lambda (E[2 Lambda] = 2N + delta); 0 without a detection, since
     * the best cell of a noise-only grid would otherwise report a sizeable P_D. */
    double delta = 2.0 * res->lambda - 2.0 * res->num_aps;
    res->pd = res->detected ? isac_glrt_pd(res->num_aps, f->pfa, delta > 0 ? delta : 0.0) : 0.0;
    return ISAC_OK;
}
