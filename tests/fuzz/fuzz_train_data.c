/* Fuzz target: collections of `isactb train --data` (host/learn/train_data.c
 * train_data_read) for 16 beams and tau 5. An accepted file must hold valid transitions
 * (indices in range, mu_next = mu + Delta(a) wrapped, P_D in [0, 1], episodes
 * non-decreasing) and survive its own write/read round trip unchanged. Input: the file
 * text. */
#include <math.h>

#include "fuzz_util.h"

#include "learn/train_data.h"

static void check_valid(const struct isac_train_data *d, const struct isac_mdp_params *m)
{
    for (size_t i = 0; i < d->n; i++) {
        const struct isac_transition *t = &d->t[i];
        int ok = t->mu < 16 && t->mu_next < 16 && t->a < 2 * m->tau &&
                 isac_mdp_apply(t->mu, isac_mdp_action_delta(m->tau, t->a), 16) == t->mu_next &&
                 t->pd >= 0 && t->pd <= 1 && t->pd_next >= 0 && t->pd_next <= 1 && isfinite(t->r) &&
                 (t->target < 16 || t->target == ISAC_TRANSITION_NO_TARGET) &&
                 (!i || d->episode[i] >= d->episode[i - 1]);
        if (!ok) {
            fprintf(stderr, "an accepted collection holds an invalid transition at %zu\n", i);
            abort();
        }
    }
}

static int same(const struct isac_train_data *a, const struct isac_train_data *b)
{
    if (a->n != b->n)
        return 0;
    for (size_t i = 0; i < a->n; i++) {
        const struct isac_transition *x = &a->t[i], *y = &b->t[i];
        if (a->episode[i] != b->episode[i] || x->mu != y->mu || x->mu_next != y->mu_next ||
            x->fg != y->fg || x->fg_next != y->fg_next || x->a != y->a || x->done != y->done ||
            x->target != y->target || x->pd != y->pd || x->pd_next != y->pd_next || x->r != y->r)
            return 0;
    }
    return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *dir = fuzz_scratch_dir();
    fuzz_write_file(dir, "data.csv", data, size);
    char path[256], back_path[256], err[512] = "";
    snprintf(path, sizeof path, "%s/data.csv", dir);
    snprintf(back_path, sizeof back_path, "%s/back.csv", dir);
    struct isac_mdp_params m;
    isac_mdp_params_defaults(&m);
    struct isac_train_data d = {0}, b = {0};
    if (isac_train_data_read(path, 16, &m, &d, err, sizeof err)) {
        fuzz_check_message("train_data_read", err);
        return 0;
    }
    check_valid(&d, &m);
    if (isac_train_data_write(&d, 16, m.tau, back_path, err, sizeof err) ||
        isac_train_data_read(back_path, 16, &m, &b, err, sizeof err) || !same(&d, &b)) {
        fprintf(stderr, "an accepted collection fails its write/read round trip: %s\n", err);
        abort();
    }
    isac_train_data_free(&d);
    isac_train_data_free(&b);
    return 0;
}
