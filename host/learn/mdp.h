/* The beam-selection MDP of seed 004 section III-A/B, on the testbed.
 *
 *   state   s_t = (mu_t, P_D^t, f_g^t): beam index, observed detection probability,
 *           feedback flag (eq. (27)).
 *   action  a_t = Delta mu in {-tau..-1, 1..tau}; action index k in 0..2 tau-1 maps to
 *           Delta = k - tau for k < tau and k - tau + 1 otherwise. The new index
 *           WRAPS around the codebook: mu_{t+1} = (mu_t + Delta) mod Q. The paper's
 *           Fig. 7 shows the wrap (beam 62 + 5 -> beam 3); a clamp would also freeze
 *           the agent at the codebook edges.
 *   reward  r_t = -1 while P_D < zeta, b0 when the episode ends with P_D >= zeta
 *           (eq. (28)); shaping r_sh = rho Phi(s_{t+1}) - Phi(s_t) with
 *           Phi = b1 / (1 + exp(-b2 P_D)) (eqs. (29)-(30)); Phi of a terminal state is 0
 *           (Ng et al.'s condition for policy invariance of potential shaping in
 *           episodic tasks).
 *   network input: the sinusoidal embedding of mu (eq. (32), emb_dim values), the
 *           variant sigmoid of P_D (eq. (33)) and f_g: emb_dim + 2 floats.
 *
 * The observed P_D^t (docs/learning.md): the pipeline's own estimate when it declared a
 * target at that step; otherwise the analytic P_D of the grid-wide declaration test
 * (per-cell pfa / cells) at the plug-in non-centrality max(0, 2 lambda - 2 N) of the
 * grid's best cell. That value is small for noise (the best of C noise cells sits
 * near the 1/C quantile, below the pfa/C threshold) and rises as the beam approaches
 * the target, which is the informative feedback the paper's P_D^t provides.
 *
 * Pure functions, no state.
 */
#ifndef ISACTB_POLICY_MDP_H
#define ISACTB_POLICY_MDP_H

#include <stddef.h>

#define ISAC_MDP_MAX_TAU 64u  /* largest tau accepted */
#define ISAC_MDP_MAX_EMB 256u /* largest embedding size accepted */

struct isac_mdp_params {
    unsigned tau; /* action range, 1..MDP_MAX_TAU (paper: 5) */
    unsigned emb; /* embedding size I of eq. (32), even, 2..MDP_MAX_EMB (default 16) */
    double b0;    /* terminal reward (> 0; paper 5) */
    double b1;    /* shaping amplitude (>= 0; paper 1) */
    double b2;    /* shaping steepness (paper 5) */
    double b3;    /* input sigmoid steepness of eq. (33) (> 0; paper 5) */
    double rho;   /* discount factor in (0, 1] (paper 0.99) */
    double zeta;  /* P_D target (0, 1) */
};

/* The paper's defaults: tau 5, emb 16, b0 5, b1 1, b2 = b3 = 5, rho 0.99, zeta 0.9. */
void isac_mdp_params_defaults(struct isac_mdp_params *m);
/* 0 when every field is in range; -1 otherwise. */
int isac_mdp_params_check(const struct isac_mdp_params *m);

/* Delta mu of action index k (0..2 tau-1); 0 for an invalid k. */
int isac_mdp_action_delta(unsigned tau, unsigned k);
/* Action index of Delta mu (|delta| in 1..tau); -1 otherwise. */
int isac_mdp_action_index(unsigned tau, int delta);
/* (mu + delta) mod Q in 0..Q-1 (wrap). */
unsigned isac_mdp_apply(unsigned mu, int delta, unsigned Q);
/* Signed shortest Delta from mu to nu on the wrapped index circle of Q beams
 * (-(Q/2)..(Q-1)/2). */
int isac_mdp_wrap_delta(unsigned mu, unsigned nu, unsigned Q);

/* The visited-beam rule of the deployed qnet policy (docs/learning.md, "Memory at
 * deployment"): the action of largest q (2 tau values) whose beam mu + Delta was not yet
 * transmitted this episode (visited[beam] != 0: transmitted; Q entries), the plain argmax
 * when all 2 tau were. Ties: the lowest action index. */
unsigned isac_mdp_masked_argmax(const float *q, unsigned tau, unsigned mu, unsigned Q,
                                const unsigned char *visited);

/* Eq. (27): 0 at t = 0 (first), else sgn((pd - pd_prev) * delta). */
int isac_mdp_feedback(int first, double pd, double pd_prev, int delta);
/* Eq. (28): -1 below zeta, b0 at or above. */
double isac_mdp_reward(const struct isac_mdp_params *m, double pd);
/* Eq. (30). */
double isac_mdp_potential(const struct isac_mdp_params *m, double pd);
/* Eq. (29) with Phi(terminal) = 0. */
double isac_mdp_shaping(const struct isac_mdp_params *m, double pd, double pd_next,
                        int next_terminal);
/* Eq. (33): maps [0, 1] onto [0, 1], steep near 0. */
double isac_mdp_sigmoid_variant(double b3, double pd);
/* Eq. (32): out[2i-1] = cos(mu / 1000^(2i/I)), out[2i] = sin(...), i = 1..I/2 (the
 * paper's 1-based indices; 0-based out[2i-2], out[2i-1]). I = emb, even. mu may be
 * any real (the twin embeds signed beam offsets with it). */
void isac_mdp_embed(double mu, unsigned emb, float *out);
/* Network input of state (mu, pd, fg): emb + 2 floats. */
void isac_mdp_state_input(const struct isac_mdp_params *m, unsigned mu, double pd, int fg,
                          float *out);

/* Observed P_D^t from one pipeline step (see above). detected/pd_declared: the
 * pipeline's declaration and estimate; lambda, num_aps: best cell; pfa: per-cell
 * false-alarm probability; cells: cells of the searched grid (>= 1). */
double isac_mdp_observed_pd(int detected, double pd_declared, double lambda, unsigned num_aps,
                            double pfa, double cells);
/* The same with the threshold on 2 Lambda precomputed: thr2 = 2 isac_glrt_threshold_n(num_aps,
 * pfa / cells) (the quantile is most of the cost; a policy caches it per num_aps). Equal to
 * isac_mdp_observed_pd bit for bit. */
double isac_mdp_observed_pd_thr(int detected, double pd_declared, double lambda, unsigned num_aps,
                                double thr2);

#endif
