/* --serve [ADDR:]PORT of run, replay and calib, and `isactb bench serve`
 * (docs/live-view.md): starting the live view (host/serve/live_view.h) from the command
 * line, printing where it is and its control token, keeping it up after the command. */
#ifndef ISACTB_CLI_CLI_SERVE_H
#define ISACTB_CLI_CLI_SERVE_H

#include <stddef.h>

#include "serve/live_view.h"

/* Parse "PORT", "ADDR:PORT" or "[IPV6]:PORT" (PORT 0..65535; 0 = any free port). Default
 * address 127.0.0.1. CLI_OK or CLI_EUSAGE with one line "isactb CMD: --serve: ...". */
int cli_serve_parse(const char *cmd, const char *spec, char *addr, size_t addrlen, unsigned *port);
/* Start the view of kind ("run", "replay", "calib") at spec and print on stderr
 * "isactb CMD: live view at http://ADDR:PORT/ (control token TOKEN)". CLI_OK, CLI_EUSAGE
 * (bad spec) or CLI_ERUNTIME (cannot listen), one line each. */
int cli_serve_start(const char *cmd, const char *spec, const char *kind, live_view *out);
/* After the command: keep serving the last frame for seconds (0: return at once), or until
 * a viewer with the token stops it or should_stop(ctx) (may be NULL) is non-zero. */
void cli_serve_linger(const char *cmd, live_view v, double seconds, int (*should_stop)(void *ctx),
                      void *ctx);

/* isactb bench serve (host/cli/bench_serve.c). */
int bench_serve(int argc, char **argv);

#endif
