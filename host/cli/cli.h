/* Shared helpers of the isactb command line (a thin layer over libisactb).
 *
 * Exit statuses (a contract, docs/cli.md): 0 success, 1 bad input (file, field or
 * value), 2 usage (unknown command or option, malformed argument), 3 radio or
 * runtime fault. Human progress goes to stderr; --json prints one object on stdout.
 */
#ifndef ISACTB_CLI_CLI_H
#define ISACTB_CLI_CLI_H

#include <stdint.h>

#include "cli/cli_opt.h"

enum cli_exit { CLI_OK = 0, CLI_EINPUT = 1, CLI_EUSAGE = 2, CLI_ERUNTIME = 3 };

/* One-line usage error on stderr: "isactb CMD: message"; returns CLI_EUSAGE. */
int cli_usage(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* One-line input error on stderr; returns CLI_EINPUT. */
int cli_input_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* One-line runtime error on stderr; returns CLI_ERUNTIME. */
int cli_runtime_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Strict number parsing of option values: the whole string must be a number in
 * [lo, hi]. On failure prints "isactb CMD: OPTION: invalid value 'S' (expected ...)"
 * and returns -1. */
int cli_parse_uint(const char *cmd, const char *opt, const char *s, unsigned long lo,
                   unsigned long hi, unsigned long *out);
int cli_parse_u64(const char *cmd, const char *opt, const char *s, uint64_t *out);
int cli_parse_double(const char *cmd, const char *opt, const char *s, double lo, double hi,
                     double *out);

/* A fraction as "12 %" / "12.5 %" (prec decimals), or "n/a" when it is not finite (no
 * episode, no sample): summaries never print "nan %". cli_number: the same for a number. */
const char *cli_percent(char *buf, size_t len, double frac, int prec);
const char *cli_number(char *buf, size_t len, double v, int prec);

/* The closed loop's summary line ("isactb CMD: 3/4 episodes detected (75 %), mean steps
 * 12.5") from a result's "summary": a result, so on stdout; on stderr when stdout carries
 * the --json object; nothing with --json --quiet. */
#include <jansson.h>
void cli_run_summary(const char *cmd, const json_t *result, int json, int quiet);

/* 1 when path names an existing directory. */
/* --threads N (0..256; 0 = every online core) into *threads (>= 1); CLI_EUSAGE with one
 * line otherwise. Commands default to every online core; results never depend on it. */
int cli_parse_threads(const char *cmd, const char *s, unsigned *threads);
int cli_dir_exists(const char *path);

/* Open a radio from a spec string. On failure prints one line and returns the exit
 * status: usage (2) for a malformed --radio spec given on the command line, bad input
 * (1) for one from a file or an unreadable capture, runtime (3) when the device
 * cannot be opened. */
#include "radio.h"
int cli_radio_open(const char *cmd, const char *spec, int spec_from_cli, isac_radio *out);
/* The site's transmit limits ($ISACTB_SITE_LIMITS, else /etc/isactb/site-limits.json when
 * it exists), loaded and validated the same way for every command that reads them: a
 * broken file is one line and CLI_EINPUT. *have = 0 when there is no file. */
#include "safety.h"
int cli_site_limits(const char *cmd, struct isac_radio_limits *lim, int *have);
/* cli_site_limits, then installed on r (cli_radio_open does this for every radio). */
int cli_site_limits_apply(const char *cmd, isac_radio r);

/* Open a capture (directory, .sigmf-collection or .sigmf-meta) with its recorded
 * experiment config ("isactb:experiment") and codebook ("isactb:codebook"). On failure
 * prints one line naming file, field and value, and returns CLI_EINPUT. */
#include "array/codebook.h"
#include "engine/config.h"
#include "sigmf.h"
int cli_capture_open(const char *cmd, const char *path, isac_sigmf_reader *rd,
                     struct isac_exp_config *cfg, isac_codebook *cb);

/* Calibration records applied by run/replay (host/cli/cli_calib.c, docs/calibration.md). */
#include "calib/record.h"
struct cli_calibration {
    int applied, stale;
    char path[4200];                 /* record file (or capture field) applied */
    struct isac_calib_record *rec;   /* owned */
    struct isac_chan_correction *pc; /* owned; what the pipeline applies */
};
/* given: a record FILE (must load and match: else one-line error, exit 1), a DIRECTORY to
 * search, or NULL for $ISACTB_CALIB_DIR / ~/.local/share/isactb/calib. No match: a warning
 * (none for a radio with ISAC_RADIO_CAP_IDEAL) and c->applied = 0. disabled: nothing applied. */
int cli_calibration_resolve(const char *cmd, struct cli_calibration *c, const char *given,
                            int disabled, const struct isac_radio_info *info);
/* The "isactb:calibration" object a capture carries ({"file", "record"}). */
int cli_calibration_from_capture(const char *cmd, struct cli_calibration *c, const json_t *obj,
                                 const char *src);
json_t *cli_calibration_json(const struct cli_calibration *c);    /* for the capture */
json_t *cli_calibration_summary(const struct cli_calibration *c); /* for the result JSON */
void cli_calibration_free(struct cli_calibration *c);

/* The capture `isactb run --record` writes (its shared records, input hashes and
 * calibration; host/cli/cmd_run.c); isactb fuse records the same way. NULL with one line
 * on stderr. */
isac_sigmf_writer cli_run_open_recording(const char *dir, const char *config_path,
                                         const struct isac_exp_config *cfg,
                                         const struct isac_radio_info *info, isac_codebook cb,
                                         const struct cli_calibration *cal);

/* Subcommands: argv[0] is the subcommand name. Each returns an enum cli_exit. */
int cmd_codebook(int argc, char **argv);
int cmd_bench(int argc, char **argv);      /* host/cli/cmd_bench.c */
int bench_soak(int argc, char **argv);     /* host/cli/bench_soak.c: isactb bench soak */
int bench_policies(int argc, char **argv); /* host/cli/cmd_bench_policies.c */
int bench_replay(int argc, char **argv);   /* host/cli/bench_replay.c */
int bench_sim(int argc, char **argv);      /* host/cli/bench_sim.c */
int cmd_run(int argc, char **argv);        /* host/cli/cmd_run.c */
int cmd_replay(int argc, char **argv);     /* host/cli/cmd_replay.c */
int cmd_detect(int argc, char **argv);     /* host/cli/cmd_detect.c */
int cmd_info(int argc, char **argv);       /* host/cli/cmd_info.c */
int cmd_calib(int argc, char **argv);      /* host/cli/cmd_calib.c */
int cmd_train(int argc, char **argv);      /* host/cli/cmd_train.c */
int cmd_node(int argc, char **argv);       /* host/cli/cmd_node.c: isactb node */
int cmd_fuse(int argc, char **argv);       /* host/cli/cmd_fuse.c: isactb fuse */
int cmd_keys(int argc, char **argv);       /* host/cli/cmd_keys.c: isactb keys */
int bench_fuse(int argc, char **argv);     /* host/cli/bench_fuse.c: isactb bench fuse */

#endif
