/* Opening input files safely: non-blocking open, fstat, regular files only
 * (host/common/file_open.h). */
#include "common/file_open.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/err.h"

const char *isac_file_kind(unsigned mode)
{
    if (S_ISFIFO(mode))
        return "a FIFO";
    if (S_ISSOCK(mode))
        return "a socket";
    if (S_ISDIR(mode))
        return "a directory";
    if (S_ISCHR(mode))
        return "a character device";
    if (S_ISBLK(mode))
        return "a block device";
    return "not a regular file";
}

int isac_open_input(const char *path, char *err, size_t errlen)
{
    if (!path || !*path) {
        isac_seterr(err, errlen, "empty file name");
        return ISAC_EIO;
    }
    /* O_NONBLOCK: opening a FIFO without a writer (or a device) must not wait. A socket
     * cannot be opened at all (ENXIO), which is the same refusal. */
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) {
        if (errno == ENXIO)
            isac_seterr(err, errlen, "%s: not a regular file (a socket)", path);
        else
            isac_seterr(err, errlen, "%s: cannot open: %s", path, strerror(errno));
        return errno == ENXIO ? ISAC_EFORMAT : ISAC_EIO;
    }
    struct stat st;
    if (fstat(fd, &st)) {
        isac_seterr(err, errlen, "%s: cannot stat: %s", path, strerror(errno));
        close(fd);
        return ISAC_EIO;
    }
    if (!S_ISREG(st.st_mode)) {
        isac_seterr(err, errlen, "%s: not a regular file (%s)", path, isac_file_kind(st.st_mode));
        close(fd);
        return ISAC_EFORMAT;
    }
    int fl = fcntl(fd, F_GETFL);
    if (fl < 0 || fcntl(fd, F_SETFL, fl & ~O_NONBLOCK)) {
        isac_seterr(err, errlen, "%s: fcntl: %s", path, strerror(errno));
        close(fd);
        return ISAC_EIO;
    }
    return fd;
}

FILE *isac_fopen_input(const char *path, int *rc, char *err, size_t errlen)
{
    int fd = isac_open_input(path, err, errlen);
    FILE *f = fd >= 0 ? fdopen(fd, "rb") : NULL;
    if (fd >= 0 && !f) {
        isac_seterr(err, errlen, "%s: out of memory", path);
        close(fd);
        fd = ISAC_ENOMEM;
    }
    if (rc)
        *rc = f ? 0 : fd;
    return f;
}

int isac_read_input(const char *path, size_t max, char **text, size_t *len, char *err,
                    size_t errlen)
{
    *text = NULL;
    *len = 0;
    int fd = isac_open_input(path, err, errlen);
    if (fd < 0)
        return fd;
    struct stat st;
    int rc = ISAC_OK;
    char *buf = NULL;
    size_t n = 0;
    if (fstat(fd, &st) == 0 && (size_t)st.st_size > max) {
        isac_seterr(err, errlen, "%s: larger than %zu bytes", path, max);
        rc = ISAC_EFORMAT;
        goto out;
    }
    size_t cap = (size_t)st.st_size + 1;
    buf = malloc(cap + 1);
    if (!buf) {
        isac_seterr(err, errlen, "%s: out of memory (%zu bytes)", path, cap);
        rc = ISAC_ENOMEM;
        goto out;
    }
    for (;;) {
        if (n == cap) { /* the file grew while being read */
            if (cap > max) {
                isac_seterr(err, errlen, "%s: larger than %zu bytes", path, max);
                rc = ISAC_EFORMAT;
                goto out;
            }
            char *nb = realloc(buf, 2 * cap + 1);
            if (!nb) {
                isac_seterr(err, errlen, "%s: out of memory", path);
                rc = ISAC_ENOMEM;
                goto out;
            }
            buf = nb;
            cap *= 2;
        }
        ssize_t r = read(fd, buf + n, cap - n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            isac_seterr(err, errlen, "%s: read error: %s", path, strerror(errno));
            rc = ISAC_EIO;
            goto out;
        }
        if (r == 0)
            break;
        n += (size_t)r;
    }
    if (n > max) {
        isac_seterr(err, errlen, "%s: larger than %zu bytes", path, max);
        rc = ISAC_EFORMAT;
        goto out;
    }
    buf[n] = '\0';
    *text = buf;
    *len = n;
    buf = NULL;
out:
    free(buf);
    close(fd);
    return rc;
}
