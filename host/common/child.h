/* Running fragile work in a child process (docs/reliability.md, "Figures").
 *
 * Drawing a figure goes through PLplot, cairo and fontconfig, which on an allocation
 * failure (a memory rlimit) may print several lines ("*** PLPLOT ERROR, IMMEDIATE EXIT
 * ***") and exit, or die of a signal. A figure is optional output: whatever happens while
 * drawing it must not take the command (its --json object, its other outputs) down with
 * it. isac_run_isolated runs fn(ctx) in a forked child whose stdout and stderr go to a
 * pipe: the caller gets ISAC_OK when fn returned 0, else ISAC_EIO with one line in err
 * (the child's own message, or "died of signal N (NAME)"), and the command decides the
 * exit status. stdio buffers are flushed before the fork so nothing is written twice.
 */
#ifndef ISACTB_COMMON_CHILD_H
#define ISACTB_COMMON_CHILD_H

#include <stddef.h>

/* fn returns 0 on success; a non-zero return may leave one line in the buffer passed to it
 * (err of at most 512 bytes), which becomes the message. */
int isac_run_isolated(int (*fn)(void *ctx, char *err, size_t errlen), void *ctx, char *err,
                      size_t errlen);

/* In the child: path is a temporary this child created; if the child ends by exit() before
 * isac_child_owns(NULL) (PLplot's plexit does), the file is removed. One at a time. */
void isac_child_owns(const char *path);

#endif
