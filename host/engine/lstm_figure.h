/* Training curves of Bi-LSTM networks (host/learn/lstm_train.h) as one figure: the
 * assignment network's accuracy per epoch (seed 000 Fig. 5) or the beam network's MSE
 * per epoch (Fig. 6), for one or several runs (e.g. one per number of vehicles K), each
 * with its validation curve (solid) and training curve (dashed). */
#ifndef ISACTB_ENGINE_LSTM_FIGURE_H
#define ISACTB_ENGINE_LSTM_FIGURE_H

#include <stddef.h>

#include "learn/lstm_train.h"

struct isac_lstm_curve {
    const char *label;               /* legend text, e.g. "K = 20" (may be NULL) */
    const struct isac_lstm_epoch *e; /* its epochs */
    unsigned n;                      /* how many (>= 1) */
};

/* DIR/BASE.png (or .svg, engine/figure.h), drawn in a child process. head: which metric
 * (ISAC_BILSTM_HEAD_BCE: accuracy in %, ISAC_BILSTM_HEAD_MSE: MSE on a log axis). nc: 1..8 curves.
 * ISAC_OK, or a negative isac_err with one line in err. */
int isac_lstm_figure(const char *dir, const char *base, enum isac_bilstm_head head,
                     const struct isac_lstm_curve *c, unsigned nc, char *err, size_t errlen);

#endif
