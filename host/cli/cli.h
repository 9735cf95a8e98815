/* Shared helpers of the isactb command line (a thin layer over libisactb).
 *
 * Exit statuses (a contract, docs/cli.md): 0 success, 1 bad input (file, field or
 * value), 2 usage (unknown command or option, malformed argument), 3 radio or
 * runtime fault. Human progress goes to stderr; --json prints one object on stdout.
 */
#ifndef ISACTB_CLI_CLI_H
#define ISACTB_CLI_CLI_H

#include <stdint.h>

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

/* Subcommands: argv[0] is the subcommand name. Each returns an enum cli_exit. */
int cmd_codebook(int argc, char **argv);
int cmd_bench(int argc, char **argv); /* host/cli/cmd_bench.c */

#endif
