/* The digital twin of seed 004 section IV-A: a conditional GAN learning
 * p(P_D^{t+1} | u_t), u_t = [mu_{t+1}, mu_t, P_D^t, f_g^t] (eqs. (38)-(39)).
 *
 * Condition features c(u_t): embedding(mu_{t+1}), embedding(mu_t) (eq. (32)),
 * sigma_v(P_D^t) (eq. (33)), f_g^t and the one-hot of the action mu_{t+1} - mu_t (a
 * function of u_t, given explicitly because the hit probability depends mostly on the
 * step size).
 * Generator G(z | u): [z (zdim N(0,1)), c] -> g1 ReLU -> g2 ReLU -> 1 sigmoid (P_D).
 * Discriminator D(p | u): [p, sigma_v(p), c] -> d1 leaky ReLU -> d2 leaky ReLU -> 1
 * sigmoid. Paper sizes: G 128/64, D 64/128, three FC layers each; the paper's batch
 * normalisation is left out (the batches are small and the mapping is 1-D).
 * Training (Algorithm 1 lines 4-9): per minibatch, one discriminator ascent step on
 * eq. (39), then one generator step on the non-saturating form -log D(G(z|u))
 * (Goodfellow et al.: same fixed point as min log(1 - D(G)), usable gradients early).
 * Adam (0.5, 0.999), batch 64, 100 epochs (Table I); generator learning rate 2e-4 (Table
 * I), discriminator 1e-3 (lr_d; the two time-scale update rule of Heusel et al. 2017).
 * With Table I's common 2e-4 the discriminator stays at chance level (loss 1.386 from the
 * first epochs), the generator drifts without a signal and compresses the noise-level
 * P_D (0.02..0.2) to a narrow spike: held-out KL / W1 / MMD 0.43 / 0.036 / 0.24 on the
 * default experiment's data, 0.027 / 0.014 / 0.034 with lr_d = 1e-3 (docs/learning.md).
 * Option logit (off by default): the sample's log-odds as a third discriminator feature;
 * measured, it fits the bulk too but, with lr_d = 1e-3, drops the rare terminal mode
 * (P_D >= zeta, 1.4 % of the real transitions, the only event that ends a twin
 * episode), and the twin-trained agents get worse.
 *
 * Option scene (isactb's extension, on by default in `isactb train`): the paper's u_t
 * holds no target, so a twin of p(P_D^{t+1} | u_t) is a memoryless world: a beam that
 * just saw the target is no more likely to see it again than any other, and a twin
 * episode rarely ends. With scene = 1 the condition adds the signed offsets of mu_{t+1}
 * and mu_t from the episode's target beam (one-hot classes -8..8 and "farther"): the
 * twin learns p(P_D^{t+1} | u_t, target) and a twin episode draws its target once, as a
 * real scene does. The target comes from the radio's ground truth when it has one
 * (the emulator; `--twin-scene truth`, the default) or is estimated from the data alone
 * (isac_train_label_episode: the beam that confirmed a detection, else the beam of the
 * episode's highest observed P_D), which works with recordings from hardware.
 * Measured (docs/learning.md, "The scene"): with it the twin's episodes end and its
 * near-target detections match the data's; the twin-trained agent is still not better
 * than the offline one.
 */
#ifndef ISACTB_LEARN_CGAN_H
#define ISACTB_LEARN_CGAN_H

#include <stddef.h>
#include <stdint.h>

#include "common/rng.h"
#include "learn/ddqn.h"
#include "learn/nn.h"

struct isac_cgan_cfg {
    unsigned zdim;             /* latent size (4) */
    unsigned g1, g2;           /* generator widths (128, 64) */
    unsigned d1, d2;           /* discriminator widths (64, 128) */
    unsigned batch;            /* 64 */
    float lr;                  /* generator learning rate (2e-4) */
    float lr_d;                /* discriminator learning rate (1e-3; >= 0, 0: lr) */
    unsigned logit;            /* 1: log-odds of the sample as a discriminator feature (0) */
    unsigned scene;            /* 1: the condition also holds the beam offsets from the scene's
                                  target beam (see above); 0: the paper's u_t only */
    struct isac_adam_cfg adam; /* (0.5, 0.999, 1e-8) */
};

typedef struct isac_cgan_s *isac_cgan;

/* m: MDP parameters (emb, tau, b3); num_beams Q. NULL on bad sizes or memory. */
isac_cgan isac_cgan_create(const struct isac_cgan_cfg *c, const struct isac_mdp_params *m,
                           unsigned num_beams, uint64_t seed);
void isac_cgan_destroy(isac_cgan g);

/* One epoch over data[0..n) in a shuffled order drawn from rng; mean losses of D
 * (-(log D(real) + log(1 - D(fake))), 2 log 2 = 1.386 at equilibrium) and G
 * (-log D(fake), log 2 = 0.693) into *ld, *lg. */
int isac_cgan_train_epoch(isac_cgan g, const struct isac_transition *data, size_t n, isac_rng *rng,
                          double *ld, double *lg);
/* The condition of one transition: u_t = [mu_next, mu, pd, fg], the action index a
 * (mu -> mu_next) and the scene's target beam (used with isac_cgan_cfg.scene;
 * ISAC_TRANSITION_NO_TARGET or any value >= Q: unknown). */
struct isac_cgan_cond {
    unsigned mu, mu_next, a;
    double pd;
    int fg;
    unsigned target;
};
/* The condition of a stored transition (its state, action and target). */
struct isac_cgan_cond isac_cgan_cond_of(const struct isac_transition *t);
/* One sample of P_D^{t+1} given u; noise from rng. */
double isac_cgan_sample(isac_cgan g, const struct isac_cgan_cond *u, isac_rng *rng);

#endif
