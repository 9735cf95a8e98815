/* Output directories: exclusive lock, exclusive temporaries, rename without replace
 * (host/common/out_dir.h). */
#define _GNU_SOURCE
#include "common/out_dir.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/err.h"

int isac_dir_lock(const char *dir, char *err, size_t errlen)
{
    if (!dir || !*dir) {
        isac_seterr(err, errlen, "empty output directory name");
        return ISAC_EIO;
    }
    if (mkdir(dir, 0777) && errno != EEXIST) {
        isac_seterr(err, errlen, "%s: cannot create directory: %s", dir, strerror(errno));
        return ISAC_EIO;
    }
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
        isac_seterr(err, errlen, "%s: not a usable directory: %s", dir, strerror(errno));
        return ISAC_EIO;
    }
    if (flock(fd, LOCK_EX | LOCK_NB)) {
        if (errno == EWOULDBLOCK)
            isac_seterr(err, errlen,
                        "%s: in use by another isactb process (locked): refusing to write into it",
                        dir);
        else
            isac_seterr(err, errlen, "%s: cannot lock: %s", dir, strerror(errno));
        close(fd);
        return ISAC_EIO;
    }
    return fd;
}

void isac_dir_unlock(int fd)
{
    if (fd >= 0)
        close(fd); /* closing the last descriptor releases the flock */
}

/* A temporary left by an isactb process that was killed (SIGKILL, power loss) holds no
 * lock: every live writer keeps the flock taken in isac_create_excl until it renames or
 * deletes the file. Such a leftover is removed so that it cannot block the next run;
 * anything else under the name (a link, a non-regular file, another user's file, a
 * name that is not a temporary, or a file some process still holds) is left alone. */
static int remove_stale_temporary(const char *path)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    if (!strstr(base, ".tmp"))
        return 0;
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0)
        return 0;
    struct stat st;
    int stale = !fstat(fd, &st) && S_ISREG(st.st_mode) && st.st_uid == geteuid() &&
                !flock(fd, LOCK_EX | LOCK_NB);
    if (stale)
        stale = !unlink(path); /* still holding its lock: no writer can take it meanwhile */
    close(fd);
    return stale;
}

int isac_create_excl(const char *path, char *err, size_t errlen)
{
    for (int attempt = 0; attempt < 2; attempt++) {
        int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
        if (fd >= 0) {
            flock(fd, LOCK_EX | LOCK_NB); /* marks it live (remove_stale_temporary) */
            return fd;
        }
        int e = errno;
        if (e != EEXIST || attempt || !remove_stale_temporary(path)) {
            errno = e;
            break;
        }
    }
    if (errno == EEXIST || errno == ELOOP)
        isac_seterr(err, errlen, "%s: exists (not created by this run): refusing to reuse it",
                    path);
    else
        isac_seterr(err, errlen, "%s: cannot create: %s", path, strerror(errno));
    return ISAC_EIO;
}

FILE *isac_fcreate_excl(const char *path, char *err, size_t errlen)
{
    int fd = isac_create_excl(path, err, errlen);
    if (fd < 0)
        return NULL;
    FILE *f = fdopen(fd, "wb");
    if (!f) {
        isac_seterr(err, errlen, "%s: out of memory", path);
        close(fd);
        unlink(path); /* created just above by this run */
    }
    return f;
}

int isac_rename_noreplace(const char *from, const char *to, char *err, size_t errlen)
{
    if (renameat2(AT_FDCWD, from, AT_FDCWD, to, RENAME_NOREPLACE) == 0)
        return ISAC_OK;
    if (errno == EINVAL || errno == ENOSYS) {
        /* a file system without RENAME_NOREPLACE: link() refuses an existing name too */
        if (link(from, to) == 0) {
            unlink(from);
            return ISAC_OK;
        }
    }
    if (errno == EEXIST)
        isac_seterr(err, errlen, "%s: exists (not created by this run): refusing to replace it",
                    to);
    else
        isac_seterr(err, errlen, "%s: rename failed: %s", to, strerror(errno));
    return ISAC_EIO;
}
