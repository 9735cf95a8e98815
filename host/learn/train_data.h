/* The data collection of `isactb train` (seed 004 Algorithm 1 line 1): transitions in
 * episode order with the episode each belongs to, kept in memory and in a file so that
 * one collection (an hour of a real radio) can train many times (`--save-data`,
 * `--data`).
 *
 * File (text, one transition per line, docs/learning.md "Data files"):
 *   # isactb-transitions 1 beams=Q tau=T
 *   episode,mu,pd,fg,a,mu_next,pd_next,fg_next,done,target
 *   0,17,0.0412,0,3,15,0.0577,1,0,40
 *   ...
 * P_D with 9 significant digits (a float round-trips exactly); target 65535 when
 * unknown. Rewards are not stored: they follow from the MDP parameters of the run that
 * reads the file. Reading validates every field (ranges, mu_next = mu + Delta(a) wrapped,
 * episodes non-decreasing); a refusal is one line naming file, line, field and value. */
#ifndef ISACTB_LEARN_TRAIN_DATA_H
#define ISACTB_LEARN_TRAIN_DATA_H

#include <stddef.h>
#include <stdint.h>

#include "learn/ddqn.h"

struct isac_train_data {
    struct isac_transition *t;
    uint32_t *episode; /* episode of t[i], non-decreasing */
    size_t n, cap;
};

/* Append t of episode ep. 0 or ISAC_ENOMEM. */
int isac_train_data_push(struct isac_train_data *d, const struct isac_transition *t, uint32_t ep);
void isac_train_data_free(struct isac_train_data *d);

/* Write d (Q beams, tau) to path through path.tmp and a rename. 0, or -1 with one line. */
int isac_train_data_write(const struct isac_train_data *d, unsigned Q, unsigned tau,
                          const char *path, char *err, size_t errlen);
/* Read path into *d (empty on entry) for Q beams and tau; rewards from m. 0, or -1 with
 * one line in err (d left empty). */
int isac_train_data_read(const char *path, unsigned Q, const struct isac_mdp_params *m,
                         struct isac_train_data *d, char *err, size_t errlen);

#endif
