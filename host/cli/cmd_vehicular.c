/* `isactb vehicular teacher`: the Bi-LSTMs' training data from the heuristic
 * (docs/vehicular.md "Teacher data"). */
#include <getopt.h>
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
    struct seqset s[2];
};

static int push(void *ctx, int net, unsigned len, const float *x, const float *y)
{
    struct sets *t = ctx;
    return seqset_push(&t->s[net], len, x, y);
}

static int write_split(const struct seqset *s, const char *dir, const char *name, double val,
                       char *err, size_t errlen)
{
    size_t nv = (size_t)(val * s->n + 0.5), nt = s->n - nv;
    struct seqset a, b;
    if (nv < 1 || nt < 1) {
        isac_seterr(err, errlen, "teacher: %zu sequences cannot be split %g for validation", s->n,
                    val);
        return -1;
    }
    if (seqset_split(s, nt, &a, &b)) {
        isac_seterr(err, errlen, "teacher: out of memory");
        return -1;
    }
    char p[4200];
    snprintf(p, sizeof p, "%s/%s_train.seq", dir, name);
    int rc = seqset_write(&a, p, err, errlen);
    snprintf(p, sizeof p, "%s/%s_val.seq", dir, name);
    if (rc == 0)
        rc = seqset_write(&b, p, err, errlen);
    seqset_free(&a);
    seqset_free(&b);
    return rc;
}

static int teacher(int argc, char **argv)
{
    static const struct option lo[] = {
        {"out", required_argument, 0, 'o'},      {"sequences", required_argument, 0, 'n'},
        {"kmin", required_argument, 0, 'a'},     {"kmax", required_argument, 0, 'b'},
        {"elements", required_argument, 0, 'e'}, {"seed", required_argument, 0, 's'},
        {"help", no_argument, 0, 'h'},           {0, 0, 0, 0}};
    const char *out = NULL;
    unsigned long n = 2000, kmin = 5, kmax = 50, N = 32, seed = 1;
    int c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":h", lo, NULL)) != -1) {
        switch (c) {
        case 'o': out = optarg; break;
        case 'n':
            if (cli_parse_uint("vehicular teacher", "--sequences", optarg, 4, 1000000, &n))
                return CLI_EUSAGE;
            break;
        case 'a':
            if (cli_parse_uint("vehicular teacher", "--kmin", optarg, 1, VEH_MAX_K, &kmin))
                return CLI_EUSAGE;
            break;
        case 'b':
            if (cli_parse_uint("vehicular teacher", "--kmax", optarg, 1, VEH_MAX_K, &kmax))
                return CLI_EUSAGE;
            break;
        case 'e':
            if (cli_parse_uint("vehicular teacher", "--elements", optarg, 2, VEH_MAX_N, &N))
                return CLI_EUSAGE;
            break;
        case 's':
            if (cli_parse_uint("vehicular teacher", "--seed", optarg, 0, 1000000000, &seed))
                return CLI_EUSAGE;
            break;
        case 'h':
            puts("usage: isactb vehicular teacher --out DIR [--sequences N] [--kmin K]\n"
                 "         [--kmax K] [--elements N] [--seed S]\n"
                 "  Runs the heuristic (Algorithm 3) on fixed drops of K vehicles (K uniform in\n"
                 "  kmin..kmax, default 5..50; N = 32 elements) with the tracker and level-0\n"
                 "  sensing, and writes its decisions as sequence sets (one sequence per slot,\n"
                 "  vehicles sorted by position): DIR/assign_{train,val}.seq and\n"
                 "  DIR/beam_{train,val}.seq, 10/13 for training and 3/13 for validation (the\n"
                 "  paper's 10,000 / 3,000). Default 2000 sequences. docs/vehicular.md.");
            return CLI_OK;
        case ':':
            return cli_usage("vehicular teacher", "option '%s' needs a value", argv[optind - 1]);
        default: return cli_usage("vehicular teacher", "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind < argc)
        return cli_usage("vehicular teacher", "unexpected argument '%s'", argv[optind]);
    if (!out)
        return cli_usage("vehicular teacher", "--out DIR is required");
    if (kmin > kmax)
        return cli_usage("vehicular teacher", "--kmin %lu above --kmax %lu", kmin, kmax);
    struct stat sb;
    if (stat(out, &sb) || !S_ISDIR(sb.st_mode))
        return cli_input_error("vehicular teacher", "%s: not a directory", out);
    struct vh_cfg cfg;
    vh_cfg_default(&cfg);
    cfg.elements = (unsigned)N;
    cfg.seed = seed;
    struct sets t;
    char err[512] = "";
    if (seqset_init(&t.s[0], VEH_FEAT_ASSIGN(N), 1, BILSTM_HEAD_BCE, 0) ||
        seqset_init(&t.s[1], VEH_FEAT_BEAM(N), VEH_OUT_BEAM(N), BILSTM_HEAD_MSE, 1))
        return cli_runtime_error("vehicular teacher", "cannot create the sequence sets");
    struct vh_teacher_sink sink = {&t, push};
    int rc = vh_teacher(&cfg, (unsigned)n, (unsigned)kmin, (unsigned)kmax, &sink, err, sizeof err);
    if (rc == ISAC_OK && (write_split(&t.s[0], out, "assign", 3.0 / 13.0, err, sizeof err) ||
                          write_split(&t.s[1], out, "beam", 3.0 / 13.0, err, sizeof err)))
        rc = ISAC_EIO;
    fprintf(stderr, "isactb vehicular teacher: %zu sequences (%zu vehicle steps)\n", t.s[0].n,
            t.s[0].steps);
    seqset_free(&t.s[0]);
    seqset_free(&t.s[1]);
    if (rc)
        return cli_runtime_error("vehicular teacher", "%s", err[0] ? err : isac_strerror(rc));
    return CLI_OK;
}

int cmd_vehicular(int argc, char **argv)
{
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        puts("usage: isactb vehicular teacher --out DIR ...   the Bi-LSTMs' training data\n"
             "  (isactb vehicular teacher --help; docs/vehicular.md). Evaluation:\n"
             "  isactb bench vehicular.");
        return argc < 2 ? CLI_EUSAGE : CLI_OK;
    }
    if (!strcmp(argv[1], "teacher"))
        return teacher(argc - 1, argv + 1);
    return cli_usage("vehicular", "unknown subcommand '%s' (available: teacher)", argv[1]);
}
