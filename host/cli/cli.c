#include "cli/cli.h"
#include "common/err.h"

#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

/* Every error goes out as exactly one line: the message is formatted with isac_vseterr,
 * which writes every control byte (a newline in an echoed value, an escape sequence) as
 * '?' (docs/reliability.md, "Every error is one line"). */
static void vreport(const char *cmd, const char *fmt, va_list ap)
{
    char msg[2048];
    isac_vseterr(msg, sizeof msg, fmt, ap);
    fprintf(stderr, "isactb %s: %s\n", cmd, msg);
}

static void report(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void report(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vreport(cmd, fmt, ap);
    va_end(ap);
}

int cli_usage(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vreport(cmd, fmt, ap);
    va_end(ap);
    return CLI_EUSAGE;
}

int cli_input_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vreport(cmd, fmt, ap);
    va_end(ap);
    return CLI_EINPUT;
}

int cli_runtime_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vreport(cmd, fmt, ap);
    va_end(ap);
    return CLI_ERUNTIME;
}

int cli_parse_uint(const char *cmd, const char *opt, const char *s, unsigned long lo,
                   unsigned long hi, unsigned long *out)
{
    char *end = NULL;
    errno = 0;
    unsigned long v = (s && *s && *s != '-') ? strtoul(s, &end, 10) : 0;
    if (!s || !*s || *s == '-' || errno || !end || *end || v < lo || v > hi) {
        report(cmd, "%s: invalid value '%s' (expected an integer in %lu..%lu)", opt, s ? s : "", lo,
               hi);
        return -1;
    }
    *out = v;
    return 0;
}

int cli_parse_u64(const char *cmd, const char *opt, const char *s, uint64_t *out)
{
    char *end = NULL;
    errno = 0;
    unsigned long long v = (s && *s && *s != '-') ? strtoull(s, &end, 0) : 0;
    if (!s || !*s || *s == '-' || errno || !end || *end) {
        report(cmd, "%s: invalid value '%s' (expected a non-negative integer)", opt, s ? s : "");
        return -1;
    }
    *out = (uint64_t)v;
    return 0;
}

int cli_parse_double(const char *cmd, const char *opt, const char *s, double lo, double hi,
                     double *out)
{
    char *end = NULL;
    errno = 0;
    double v = (s && *s) ? strtod(s, &end) : NAN;
    if (!s || !*s || errno || !end || *end || !isfinite(v) || v < lo || v > hi) {
        report(cmd, "%s: invalid value '%s' (expected a number in [%g, %g])", opt, s ? s : "", lo,
               hi);
        return -1;
    }
    *out = v;
    return 0;
}

int cli_dir_exists(const char *path)
{
    struct stat st;
    return path && stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

const char *cli_percent(char *buf, size_t len, double frac, int prec)
{
    if (isfinite(frac))
        snprintf(buf, len, "%.*f %%", prec, 100 * frac);
    else
        snprintf(buf, len, "n/a");
    return buf;
}

const char *cli_number(char *buf, size_t len, double v, int prec)
{
    if (isfinite(v))
        snprintf(buf, len, "%.*f", prec, v);
    else
        snprintf(buf, len, "n/a");
    return buf;
}

void cli_run_summary(const char *cmd, const json_t *result, int json, int quiet)
{
    if (json && quiet)
        return;
    const json_t *s = json_object_get(result, "summary");
    long long det = (long long)json_integer_value(json_object_get(s, "detected")),
              n = (long long)json_integer_value(json_object_get(s, "episodes"));
    char pct[32], steps[32];
    cli_percent(pct, sizeof pct, n ? (double)det / (double)n : NAN, 0);
    cli_number(steps, sizeof steps, n ? json_number_value(json_object_get(s, "steps_mean")) : NAN,
               1);
    fprintf(json ? stderr : stdout, "isactb %s: %lld/%lld episodes detected (%s), mean steps %s\n",
            cmd, det, n, pct, steps);
}
