/* `isactb vehicular teacher`: the Bi-LSTMs' training data from the heuristic
 * (docs/vehicular.md "Teacher data"). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli.h"
#include "cli/cmd_vehicular.h"
#include "common/err.h"
#include "engine/vehicular.h"
#include "learn/lstm_data.h"
#include "vehicular/veh_features.h"

struct sets {
    struct isac_seqset s[2];
};

static int push(void *ctx, int net, unsigned len, const float *x, const float *y)
{
    struct sets *t = ctx;
    return isac_seqset_push(&t->s[net], len, x, y);
}

static int write_split(const struct isac_seqset *s, const char *dir, const char *name, double val,
                       char *err, size_t errlen)
{
    size_t nv = (size_t)(val * s->n + 0.5), nt = s->n - nv;
    struct isac_seqset a, b;
    if (nv < 1 || nt < 1) {
        isac_seterr(err, errlen, "teacher: %zu sequences cannot be split %g for validation", s->n,
                    val);
        return -1;
    }
    if (isac_seqset_split(s, nt, &a, &b)) {
        isac_seterr(err, errlen, "teacher: out of memory");
        return -1;
    }
    char p[4200];
    snprintf(p, sizeof p, "%s/%s_train.seq", dir, name);
    int rc = isac_seqset_write(&a, p, err, errlen);
    snprintf(p, sizeof p, "%s/%s_val.seq", dir, name);
    if (rc == 0)
        rc = isac_seqset_write(&b, p, err, errlen);
    isac_seqset_free(&a);
    isac_seqset_free(&b);
    return rc;
}

static const struct cli_opt VEHICULAR_TEACHER_OPTS[] = {
    {"out", 'o', "DIR", "existing directory for the four sequence files (required)"},
    {"sequences", 'n', "N", "sequences (slots) in all, 4..1000000 (default 2000)"},
    {"kmin", 'a', "K", "fewest vehicles per drop (default 5)"},
    {"kmax", 'b', "K", "most vehicles per drop (default 50)"},
    {"elements", 'e', "N", "elements per RSU (default 32)"},
    {"seed", 's', "S", "seed of the drops (default 1)"},
    {0}};
const struct cli_cmd cli_cmd_vehicular_teacher = {
    "vehicular teacher",
    NULL,
    "Algorithm 3's decisions as the Bi-LSTMs' training data (docs/vehicular.md)",
    VEHICULAR_TEACHER_OPTS,
    NULL,
    "Fixed drops of K vehicles (K uniform in kmin..kmax) with the tracker and level-0 sensing;\n"
    "DIR/assign_{train,val}.seq and DIR/beam_{train,val}.seq, 10/13 training, 3/13 validation."};

static int teacher(int argc, char **argv)
{
    const char *out = NULL;
    unsigned long n = 2000, kmin = 5, kmax = 50, N = 32, seed = 1;
    int c;
    struct cli_parser cp;
    cli_parser_init(&cp, &cli_cmd_vehicular_teacher, argc, argv);
    while ((c = cli_next(&cp)) != CLI_END) {
        switch (c) {
        case 'o': out = cp.arg; break;
        case 'n':
            if (cli_parse_uint("vehicular teacher", "--sequences", cp.arg, 4, 1000000, &n))
                return CLI_EUSAGE;
            break;
        case 'a':
            if (cli_parse_uint("vehicular teacher", "--kmin", cp.arg, 1, ISAC_VEH_MAX_K, &kmin))
                return CLI_EUSAGE;
            break;
        case 'b':
            if (cli_parse_uint("vehicular teacher", "--kmax", cp.arg, 1, ISAC_VEH_MAX_K, &kmax))
                return CLI_EUSAGE;
            break;
        case 'e':
            if (cli_parse_uint("vehicular teacher", "--elements", cp.arg, 2, ISAC_VEH_MAX_N, &N))
                return CLI_EUSAGE;
            break;
        case 's':
            if (cli_parse_uint("vehicular teacher", "--seed", cp.arg, 0, 1000000000, &seed))
                return CLI_EUSAGE;
            break;
        case CLI_HELP: return CLI_OK;
        default: return CLI_EUSAGE;
        }
    }
    if (cp.next < argc)
        return cli_usage("vehicular teacher", "unexpected argument '%s'", argv[cp.next]);
    if (!out)
        return cli_usage("vehicular teacher", "--out DIR is required");
    if (kmin > kmax)
        return cli_usage("vehicular teacher", "--kmin %lu above --kmax %lu", kmin, kmax);
    struct stat sb;
    if (stat(out, &sb) || !S_ISDIR(sb.st_mode))
        return cli_input_error("vehicular teacher", "%s: not a directory", out);
    struct isac_vh_cfg cfg;
    isac_vh_cfg_default(&cfg);
    cfg.elements = (unsigned)N;
    cfg.seed = seed;
    struct sets t;
    char err[512] = "";
    if (isac_seqset_init(&t.s[0], ISAC_VEH_FEAT_ASSIGN(N), 1, ISAC_BILSTM_HEAD_BCE, 0) ||
        isac_seqset_init(&t.s[1], ISAC_VEH_FEAT_BEAM(N), ISAC_VEH_OUT_BEAM(N), ISAC_BILSTM_HEAD_MSE,
                         1))
        return cli_runtime_error("vehicular teacher", "cannot create the sequence sets");
    struct isac_vh_teacher_sink sink = {&t, push};
    int rc =
        isac_vh_teacher(&cfg, (unsigned)n, (unsigned)kmin, (unsigned)kmax, &sink, err, sizeof err);
    if (rc == ISAC_OK && (write_split(&t.s[0], out, "assign", 3.0 / 13.0, err, sizeof err) ||
                          write_split(&t.s[1], out, "beam", 3.0 / 13.0, err, sizeof err)))
        rc = ISAC_EIO;
    fprintf(stderr, "isactb vehicular teacher: %zu sequences (%zu vehicle steps)\n", t.s[0].n,
            t.s[0].steps);
    isac_seqset_free(&t.s[0]);
    isac_seqset_free(&t.s[1]);
    if (rc)
        return cli_runtime_error("vehicular teacher", "%s", err[0] ? err : isac_strerror(rc));
    return CLI_OK;
}

const struct cli_cmd cli_cmd_vehicular = {
    "vehicular",
    "SUBCOMMAND ...",
    "seed 000's vehicular schemes: the LSTM training data",
    NULL,
    NULL,
    "Evaluation: isactb bench vehicular (docs/vehicular.md)."};

int cmd_vehicular(int argc, char **argv)
{
    int rc = cli_group(&cli_cmd_vehicular, argc, argv);
    if (rc >= 0)
        return rc;
    return teacher(argc - 1, argv + 1);
}
