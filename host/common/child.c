/* Running fragile work (figures) in a child process (host/common/child.h). */
#define _GNU_SOURCE
#include "common/child.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/err.h"

/* The temporary the child is writing (set only in the child, which is single threaded):
 * state that must be global because exit() handlers take no argument. */
static char child_owned[4200];

void isac_child_owns(const char *path)
{
    snprintf(child_owned, sizeof child_owned, "%s", path ? path : "");
    /* told to the parent too: if the child dies of a signal, the parent removes the file */
    char line[4300];
    int n = snprintf(line, sizeof line, "\n@@own:%s\n", child_owned);
    if (n > 0) {
        ssize_t w = write(STDERR_FILENO, line, (size_t)n);
        (void)w; /* a closed pipe: nothing to tell */
    }
}

static void child_cleanup(void)
{
    if (child_owned[0])
        unlink(child_owned);
}

/* The child: stdout and stderr into the pipe; its own message first when fn fails. */
static void child_main(int wfd, int (*fn)(void *, char *, size_t), void *ctx)
{
    dup2(wfd, STDOUT_FILENO);
    dup2(wfd, STDERR_FILENO);
    close(wfd);
    child_owned[0] = '\0';
    atexit(child_cleanup); /* PLplot's fatal errors exit(): the temporary goes with them */
    char why[512] = "";
    int rc = fn(ctx, why, sizeof why);
    if (rc) {
        char line[600];
        int n = snprintf(line, sizeof line, "\n@@msg:%s\n", why[0] ? why : "failed");
        if (n > 0 && write(STDERR_FILENO, line, (size_t)n) < 0)
            rc = 1;
    }
    _exit(rc ? 1 : 0); /* no atexit handlers, no buffers of the parent flushed twice */
}

/* The message of a failed child from what it printed: its own "@@" line, else the first line
 * that is not PLplot's banner; control bytes as '?' by isac_seterr. */
static void child_message(const char *out, char *msg, size_t len)
{
    const char *at = strstr(out, "\n@@msg:");
    if (at) {
        at += 7;
        snprintf(msg, len, "%.*s", (int)strcspn(at, "\n"), at);
        return;
    }
    for (const char *p = out; *p;) {
        size_t n = strcspn(p, "\n");
        if (n && !memmem(p, n, "PLPLOT ERROR", 12) && !memmem(p, n, "Program aborted", 15) &&
            strncmp(p, "@@", 2)) {
            snprintf(msg, len, "%.*s", (int)(n > 300 ? 300 : n), p);
            return;
        }
        p += n + (p[n] == '\n');
    }
    snprintf(msg, len, "failed without a message");
}

int isac_run_isolated(int (*fn)(void *ctx, char *err, size_t errlen), void *ctx, char *err,
                      size_t errlen)
{
    int fds[2];
    fflush(NULL);
    if (pipe(fds)) {
        isac_seterr(err, errlen, "cannot create a pipe: %s", strerror(errno));
        return ISAC_EIO;
    }
    pid_t pid = fork();
    if (pid < 0) {
        isac_seterr(err, errlen, "cannot start the drawing process: %s", strerror(errno));
        close(fds[0]);
        close(fds[1]);
        return ISAC_EIO;
    }
    if (pid == 0) {
        close(fds[0]);
        child_main(fds[1], fn, ctx);
    }
    close(fds[1]);
    char out[65536];
    size_t n = 0;
    for (;;) { /* read everything (keep the first 8 KiB) so the child never blocks */
        char buf[4096];
        ssize_t r = read(fds[0], buf, sizeof buf);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        size_t k = (size_t)r < sizeof out - 1 - n ? (size_t)r : sizeof out - 1 - n;
        memcpy(out + n, buf, k);
        n += k;
    }
    out[n] = '\0';
    close(fds[0]);
    int st = 0;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
        ;
    if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
        return ISAC_OK;
    /* the temporary the child held when it failed (it created it: ours to remove) */
    const char *own = NULL;
    for (const char *q = out; (q = strstr(q, "\n@@own:")); q += 7)
        own = q + 7;
    if (own && *own != '\n') {
        char path[4200];
        snprintf(path, sizeof path, "%.*s", (int)strcspn(own, "\n"), own);
        unlink(path);
    }
    char msg[400];
    if (WIFSIGNALED(st))
        snprintf(msg, sizeof msg, "died of signal %d (%s)", WTERMSIG(st), strsignal(WTERMSIG(st)));
    else
        child_message(out, msg, sizeof msg);
    isac_seterr(err, errlen, "%s", msg);
    return ISAC_EIO;
}
