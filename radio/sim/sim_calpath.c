/* Calibration paths of the emulator (sim.h, enum isac_sim_cal): what a bench calibration
 * session wires up instead of the antennas. Each path adds, for one stored TX burst
 * (TX impairments already applied), its contribution to the RX accumulators; the
 * per-channel RX impairments, noise and faults then act as on any other signal.
 *
 * Level: a unit-power sample on ONE TX channel arrives with per-sample SNR cal_snr at
 * each receiver (amplitude 10^(cal_snr/20) in units of the reference noise, before
 * the channel gains, which scale signal and noise alike).
 * Frequency offset: the cables join the TX AP's LO to each RX AP's, so the CFO
 * difference cfo_rx[n] - cfo_tx applies (common to every channel of an AP), with the
 * phase referenced to absolute tick 0 as for over-the-air paths. */
#include <math.h>
#include <string.h>

#include "dsp/fdelay.h"
#include "sim/sim_internal.h"

/* u = A e^{j phi(T0)} src(t - (b->t - T0)) with the AP's CFO; returns the row in c->u. */
static void cable(isac_sim s, struct render_ctx *c, const struct sim_burst *b,
                  const float complex *src, unsigned n)
{
    double nu = (s->cfo_rx[n] - s->cfo_tx) / s->p.fs;
    double cyc = nu * (double)c->T0;
    cyc -= floor(cyc);
    double complex g = pow(10.0, s->p.cal_snr_db / 20.0) * cexp(I * 2 * M_PI * cyc);
    memset(c->u, 0, c->Lx * sizeof *c->u);
    isac_fdelay_add(c->u, c->Lx, src, b->n, (double)(b->t - c->T0), g, nu);
}

static void add_row(float complex *y, const float complex *x, size_t n, double complex a)
{
    float complex af = (float complex)a;
    for (size_t i = 0; i < n; i++)
        y[i] += af * x[i];
}

static int overlaps(const struct render_ctx *c, const struct sim_burst *b)
{
    double delay = (double)(b->t - c->T0);
    return !(delay > (double)c->Lx + ISAC_FDELAY_HALF ||
             delay + (double)b->n + ISAC_FDELAY_HALF < 0);
}

/* TX channel 0 into every RX channel. */
static void rx_splitter(isac_sim s, struct render_ctx *c, const struct sim_burst *b)
{
    for (unsigned n = 0; n < ISAC_SIM_NUM_RX_APS; n++) {
        cable(s, c, b, b->x, n);
        for (unsigned m = 0; m < s->M; m++)
            add_row(c->acc + (size_t)(n * s->M + m) * c->Lx, c->u, c->Lx, 1.0);
    }
}

/* Sum of every TX channel into RX channel 0. */
static void tx_coupler(isac_sim s, struct render_ctx *c, const struct sim_burst *b)
{
    memset(c->sb, 0, b->n * sizeof *c->sb);
    for (unsigned k = 0; k < s->M; k++)
        add_row(c->sb, b->x + (size_t)k * b->n, b->n, 1.0);
    cable(s, c, b, c->sb, 0);
    add_row(c->acc, c->u, c->Lx, 1.0);
}

/* a^T(theta) x~ re-radiated to every AP, arriving from theta. */
static void pilot(isac_sim s, struct render_ctx *c, const struct sim_burst *b)
{
    double theta = s->p.pilot_deg * M_PI / 180.0;
    double complex at[ISAC_SIM_MAX_ELEMENTS], ar[ISAC_SIM_MAX_ELEMENTS];
    isac_array_steering_d(b->tx, theta, at); /* the positions the burst was sent from */
    isac_array_steering_d(s->rx_arr, theta, ar);
    memset(c->sb, 0, b->n * sizeof *c->sb);
    for (unsigned k = 0; k < s->M; k++)
        add_row(c->sb, b->x + (size_t)k * b->n, b->n, at[k]);
    for (unsigned n = 0; n < ISAC_SIM_NUM_RX_APS; n++) {
        cable(s, c, b, c->sb, n);
        for (unsigned m = 0; m < s->M; m++)
            add_row(c->acc + (size_t)(n * s->M + m) * c->Lx, c->u, c->Lx, ar[m]);
    }
}

void sim_cal_render_burst(isac_sim s, struct render_ctx *c, const struct sim_burst *b)
{
    if (!overlaps(c, b))
        return;
    switch (s->p.cal) {
    case ISAC_SIM_CAL_RX_SPLITTER: rx_splitter(s, c, b); break;
    case ISAC_SIM_CAL_TX_COUPLER: tx_coupler(s, c, b); break;
    case ISAC_SIM_CAL_PILOT: pilot(s, c, b); break;
    default: break;
    }
}
