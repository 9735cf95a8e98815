#include "learn/train_data.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/out_dir.h"
#include "common/file_open.h"

#define TD_MAGIC "# isactb-transitions 1"
#define TD_COLUMNS "episode,mu,pd,fg,a,mu_next,pd_next,fg_next,done,target"

int isac_train_data_push(struct isac_train_data *d, const struct isac_transition *t, uint32_t ep)
{
    if (d->n == d->cap) {
        size_t cap = d->cap ? 2 * d->cap : 1024;
        struct isac_transition *n = realloc(d->t, cap * sizeof *n);
        if (!n)
            return ISAC_ENOMEM;
        d->t = n;
        uint32_t *e = realloc(d->episode, cap * sizeof *e);
        if (!e)
            return ISAC_ENOMEM;
        d->episode = e;
        d->cap = cap;
    }
    d->t[d->n] = *t;
    d->episode[d->n++] = ep;
    return ISAC_OK;
}

void isac_train_data_free(struct isac_train_data *d)
{
    free(d->t);
    free(d->episode);
    memset(d, 0, sizeof *d);
}

int isac_train_data_write(const struct isac_train_data *d, unsigned Q, unsigned tau,
                          const char *path, char *err, size_t errlen)
{
    char tmp[4096];
    if (snprintf(tmp, sizeof tmp, "%s.tmp", path) >= (int)sizeof tmp) {
        isac_seterr(err, errlen, "%s: path too long", path);
        return -1;
    }
    FILE *f = isac_fcreate_excl(tmp, err, errlen); /* never another run's file */
    if (!f)
        return -1;
    fprintf(f, "%s beams=%u tau=%u\n%s\n", TD_MAGIC, Q, tau, TD_COLUMNS);
    for (size_t i = 0; i < d->n; i++) {
        const struct isac_transition *t = &d->t[i];
        fprintf(f, "%u,%u,%.9g,%d,%u,%u,%.9g,%d,%u,%u\n", (unsigned)d->episode[i], t->mu,
                (double)t->pd, t->fg, t->a, t->mu_next, (double)t->pd_next, t->fg_next, t->done,
                t->target);
    }
    int bad = ferror(f);
    bad |= fclose(f) != 0;
    if (bad || rename(tmp, path)) {
        isac_seterr(err, errlen, "%s: cannot write: %s", path, strerror(errno));
        remove(tmp);
        return -1;
    }
    return 0;
}

/* One comma-separated field of s as a number in [lo, hi]; advances *s past it. */
static int field(const char **s, double lo, double hi, int integer, double *v)
{
    char *end;
    errno = 0;
    *v = strtod(*s, &end);
    if (end == *s || errno || !isfinite(*v) || *v < lo || *v > hi || (integer && *v != floor(*v)))
        return -1;
    *s = *end == ',' ? end + 1 : end;
    return *end == ',' || *end == '\0' || *end == '\n' ? 0 : -1;
}

static const char *const COLS[] = {"episode", "mu",      "pd",      "fg",   "a",
                                   "mu_next", "pd_next", "fg_next", "done", "target"};

/* Parse one data line into t / ep; -1 with the failing column index in *col. */
static int parse_line(const char *s, unsigned Q, const struct isac_mdp_params *m,
                      struct isac_transition *t, uint32_t *ep, unsigned *col)
{
    double v[10];
    const double lo[10] = {0, 0, 0, -1, 0, 0, 0, -1, 0, 0};
    const double hi[10] = {4294967295.0, Q - 1, 1, 1, 2 * m->tau - 1, Q - 1, 1, 1, 1, 65535};
    for (unsigned k = 0; k < 10; k++) {
        *col = k;
        if (field(&s, lo[k], hi[k], k != 2 && k != 6, &v[k]))
            return -1;
    }
    *col = 10;
    if (*s != '\0' && *s != '\n')
        return -1;
    *col = 5;
    if (isac_mdp_apply((unsigned)v[1], isac_mdp_action_delta(m->tau, (unsigned)v[4]), Q) !=
        (unsigned)v[5])
        return -1;
    *col = 9;
    if (v[9] >= Q && v[9] != ISAC_TRANSITION_NO_TARGET)
        return -1;
    *ep = (uint32_t)v[0];
    *t = (struct isac_transition){.mu = (uint16_t)v[1],
                                  .mu_next = (uint16_t)v[5],
                                  .fg = (int8_t)v[3],
                                  .fg_next = (int8_t)v[7],
                                  .a = (uint8_t)v[4],
                                  .done = (uint8_t)v[8],
                                  .target = (uint16_t)v[9],
                                  .pd = (float)v[2],
                                  .pd_next = (float)v[6]};
    t->r = isac_ddqn_shaped_reward(m, t->pd, t->pd_next, t->done);
    return 0;
}

static int read_header(FILE *f, const char *path, unsigned Q, unsigned tau, char *err,
                       size_t errlen)
{
    char line[256];
    unsigned q, ta;
    if (!fgets(line, sizeof line, f) || strncmp(line, TD_MAGIC " ", strlen(TD_MAGIC) + 1) ||
        sscanf(line + strlen(TD_MAGIC), " beams=%u tau=%u", &q, &ta) != 2) {
        isac_seterr(err, errlen,
                    "%s:1: not an isactb transitions file (expected '%s beams=Q tau=T')", path,
                    TD_MAGIC);
        return -1;
    }
    if (q != Q || ta != tau) {
        isac_seterr(err, errlen, "%s:1: beams=%u tau=%u, but this run has beams=%u tau=%u", path, q,
                    ta, Q, tau);
        return -1;
    }
    if (!fgets(line, sizeof line, f) || strncmp(line, TD_COLUMNS, strlen(TD_COLUMNS))) {
        isac_seterr(err, errlen, "%s:2: expected the column line '%s'", path, TD_COLUMNS);
        return -1;
    }
    return 0;
}

int isac_train_data_read(const char *path, unsigned Q, const struct isac_mdp_params *m,
                         struct isac_train_data *d, char *err, size_t errlen)
{
    FILE *f = isac_fopen_input(path, NULL, err, errlen); /* regular files only */
    if (!f)
        return -1;
    int rc = read_header(f, path, Q, m->tau, err, errlen);
    char line[512];
    for (size_t no = 3; !rc && fgets(line, sizeof line, f); no++) {
        struct isac_transition t;
        uint32_t ep;
        unsigned col;
        if (!strchr(line, '\n') && !feof(f)) {
            isac_seterr(err, errlen, "%s:%zu: line too long", path, no);
            rc = -1;
        } else if (parse_line(line, Q, m, &t, &ep, &col)) {
            line[strcspn(line, "\n")] = '\0';
            isac_seterr(err, errlen, "%s:%zu: %s: invalid or out of range in '%.80s'", path, no,
                        col < 10 ? COLS[col] : "end of line", line);
            rc = -1;
        } else if (d->n && ep < d->episode[d->n - 1]) {
            isac_seterr(err, errlen, "%s:%zu: episode: %u after %u (must not decrease)", path, no,
                        (unsigned)ep, (unsigned)d->episode[d->n - 1]);
            rc = -1;
        } else if (isac_train_data_push(d, &t, ep)) {
            isac_seterr(err, errlen, "%s: out of memory", path);
            rc = -1;
        }
    }
    if (!rc && ferror(f)) {
        isac_seterr(err, errlen, "%s: read error", path);
        rc = -1;
    }
    if (!rc && d->n < 2) {
        isac_seterr(err, errlen, "%s: %zu transitions (at least 2 needed)", path, d->n);
        rc = -1;
    }
    fclose(f);
    if (rc)
        isac_train_data_free(d);
    return rc;
}
