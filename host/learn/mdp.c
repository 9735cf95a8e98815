#include "learn/mdp.h"

#include <math.h>

#include "detect/glrt.h"

void isac_mdp_params_defaults(struct isac_mdp_params *m)
{
    *m = (struct isac_mdp_params){
        .tau = 5, .emb = 16, .b0 = 5, .b1 = 1, .b2 = 5, .b3 = 5, .rho = 0.99, .zeta = 0.9};
}

int isac_mdp_params_check(const struct isac_mdp_params *m)
{
    if (m->tau < 1 || m->tau > ISAC_MDP_MAX_TAU || m->emb < 2 || m->emb > ISAC_MDP_MAX_EMB ||
        m->emb % 2)
        return -1;
    if (!(m->b0 > 0) || !(m->b1 >= 0) || !isfinite(m->b2) || !(m->b3 > 0) || !isfinite(m->b3))
        return -1;
    if (!(m->rho > 0 && m->rho <= 1) || !(m->zeta > 0 && m->zeta < 1) || !isfinite(m->b0) ||
        !isfinite(m->b1))
        return -1;
    return 0;
}

int isac_mdp_action_delta(unsigned tau, unsigned k)
{
    if (k >= 2 * tau)
        return 0;
    return k < tau ? (int)k - (int)tau : (int)k - (int)tau + 1;
}

int isac_mdp_action_index(unsigned tau, int delta)
{
    if (delta == 0 || delta < -(int)tau || delta > (int)tau)
        return -1;
    return delta < 0 ? delta + (int)tau : delta + (int)tau - 1;
}

unsigned isac_mdp_apply(unsigned mu, int delta, unsigned Q)
{
    long v = ((long)mu + delta) % (long)Q;
    return (unsigned)(v < 0 ? v + (long)Q : v);
}

int isac_mdp_wrap_delta(unsigned mu, unsigned nu, unsigned Q)
{
    long d = ((long)nu - (long)mu) % (long)Q;
    if (d < 0)
        d += Q;
    if (d > ((long)Q - 1) / 2)
        d -= Q;
    return (int)d;
}

int isac_mdp_feedback(int first, double pd, double pd_prev, int delta)
{
    if (first)
        return 0;
    double v = (pd - pd_prev) * delta;
    return (v > 0) - (v < 0);
}

double isac_mdp_reward(const struct isac_mdp_params *m, double pd)
{
    return pd >= m->zeta ? m->b0 : -1.0;
}

double isac_mdp_potential(const struct isac_mdp_params *m, double pd)
{
    return m->b1 / (1.0 + exp(-m->b2 * pd));
}

double isac_mdp_shaping(const struct isac_mdp_params *m, double pd, double pd_next,
                        int next_terminal)
{
    double phi_next = next_terminal ? 0.0 : isac_mdp_potential(m, pd_next);
    return m->rho * phi_next - isac_mdp_potential(m, pd);
}

double isac_mdp_sigmoid_variant(double b3, double pd)
{
    return (1.0 / (1.0 + exp(-b3 * pd)) - 0.5) / (1.0 / (1.0 + exp(-b3)) - 0.5);
}

unsigned isac_mdp_masked_argmax(const float *q, unsigned tau, unsigned mu, unsigned Q,
                                const unsigned char *visited)
{
    unsigned best = 0, free_best = 0;
    int found = 0;
    for (unsigned k = 0; k < 2 * tau; k++) {
        if (q[k] > q[best])
            best = k;
        if (!visited[isac_mdp_apply(mu, isac_mdp_action_delta(tau, k), Q)] &&
            (!found || q[k] > q[free_best])) {
            free_best = k;
            found = 1;
        }
    }
    return found ? free_best : best;
}

void isac_mdp_embed(double mu, unsigned emb, float *out)
{
    for (unsigned i = 1; i <= emb / 2; i++) {
        double f = pow(1000.0, -2.0 * i / (double)emb);
        out[2 * i - 2] = (float)cos(mu * f);
        out[2 * i - 1] = (float)sin(mu * f);
    }
}

void isac_mdp_state_input(const struct isac_mdp_params *m, unsigned mu, double pd, int fg,
                          float *out)
{
    isac_mdp_embed(mu, m->emb, out);
    out[m->emb] = (float)isac_mdp_sigmoid_variant(m->b3, pd);
    out[m->emb + 1] = (float)fg;
}

double isac_mdp_observed_pd(int detected, double pd_declared, double lambda, unsigned num_aps,
                            double pfa, double cells)
{
    if (detected)
        return pd_declared;
    if (num_aps == 0 || !(lambda > 0) || !(pfa > 0) || !(cells >= 1))
        return 0.0;
    return isac_mdp_observed_pd_thr(0, 0.0, lambda, num_aps,
                                    2.0 * isac_glrt_threshold_n(num_aps, pfa / cells));
}

double isac_mdp_observed_pd_thr(int detected, double pd_declared, double lambda, unsigned num_aps,
                                double thr2)
{
    if (detected)
        return pd_declared;
    if (num_aps == 0 || !(lambda > 0) || !(thr2 > 0))
        return 0.0;
    double delta = 2.0 * lambda - 2.0 * num_aps;
    double pd = isac_ncx2_sf(thr2, 2.0 * num_aps, delta > 0 ? delta : 0.0); /* = isac_glrt_pd() */
    return isfinite(pd) ? pd : 0.0;
}
