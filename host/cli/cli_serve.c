/* --serve for run, replay and calib (cli_serve.h). */
#include "cli/cli_serve.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"

int cli_serve_parse(const char *cmd, const char *spec, char *addr, size_t addrlen, unsigned *port)
{
    const char *colon = strrchr(spec, ':'), *p = colon ? colon + 1 : spec;
    size_t alen = colon ? (size_t)(colon - spec) : 0;
    const char *a = spec;
    if (colon && alen >= 2 && spec[0] == '[' && spec[alen - 1] == ']') {
        a = spec + 1;
        alen -= 2;
    }
    if (colon && (!alen || alen >= addrlen))
        return cli_usage(cmd, "--serve: invalid address in '%s' (expected [ADDR:]PORT)", spec);
    char *end = NULL;
    unsigned long v = *p >= '0' && *p <= '9' ? strtoul(p, &end, 10) : 70000;
    if (!end || *end || v > 65535 || strlen(p) > 5)
        return cli_usage(cmd, "--serve: invalid port in '%s' (expected [ADDR:]PORT, PORT 0..65535)",
                         spec);
    if (colon) {
        memcpy(addr, a, alen);
        addr[alen] = '\0';
    } else {
        snprintf(addr, addrlen, "127.0.0.1");
    }
    *port = (unsigned)v;
    return CLI_OK;
}

int cli_serve_start(const char *cmd, const char *spec, const char *kind, live_view *out)
{
    char addr[64], err[256];
    unsigned port;
    *out = NULL;
    int rc = cli_serve_parse(cmd, spec, addr, sizeof addr, &port);
    if (rc)
        return rc;
    struct live_view_opts o = {.addr = addr, .port = port, .kind = kind};
    live_view v = live_view_create(&o, err, sizeof err);
    if (!v)
        return strstr(err, "not a numeric") ? cli_usage(cmd, "--serve: %s", err + strlen("serve: "))
                                            : cli_runtime_error(cmd, "--serve %s: %s", spec, err);
    int v6 = strchr(addr, ':') != NULL;
    fprintf(stderr, "isactb %s: live view at http://%s%s%s:%u/ (control token %s)\n", cmd,
            v6 ? "[" : "", addr, v6 ? "]" : "", live_view_port(v), live_view_token(v));
    if (strncmp(addr, "127.", 4) && strcmp(addr, "::1"))
        fprintf(stderr,
                "isactb %s: warning: the live view is reachable from other hosts (%s); "
                "it is read-only without the token\n",
                cmd, addr);
    *out = v;
    return CLI_OK;
}

void cli_serve_linger(const char *cmd, live_view v, double seconds, int (*should_stop)(void *ctx),
                      void *ctx)
{
    if (!v || seconds <= 0 || live_view_stop_requested(v) || (should_stop && should_stop(ctx)))
        return;
    fprintf(stderr,
            "isactb %s: the live view stays up for %.0f s (Ctrl-C or POST /api/stop ends it)\n",
            cmd, seconds);
    struct timespec t0, t;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (;;) {
        clock_gettime(CLOCK_MONOTONIC, &t);
        double el = (double)(t.tv_sec - t0.tv_sec) + 1e-9 * (double)(t.tv_nsec - t0.tv_nsec);
        if (el >= seconds || live_view_stop_requested(v) || (should_stop && should_stop(ctx)))
            return;
        nanosleep(&(struct timespec){0, 100000000}, NULL);
    }
}
