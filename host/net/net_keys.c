#include "net/net_keys.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zmq.h>

#include "common/err.h"
#include "common/file_open.h"

int net_curve_available(void)
{
    return zmq_has("curve") != 0;
}

int net_key_valid(const char *s)
{
    uint8_t bin[32];
    if (!s || strlen(s) != NET_KEY_Z85)
        return 0;
    return zmq_z85_decode(bin, s) != NULL;
}

/* Write text to path with mode via a temporary file in the same directory + rename; the
 * destination must not exist (link(2) would race less, but rename keeps it simple and the
 * existence check is what protects a user's key). */
static int write_atomic(const char *path, const char *text, mode_t mode, char *err, size_t errlen)
{
    char tmp[4200];
    if (access(path, F_OK) == 0) {
        isac_seterr(err, errlen, "%s: exists (not overwritten)", path);
        return ISAC_EIO;
    }
    if ((size_t)snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid()) >= sizeof tmp) {
        isac_seterr(err, errlen, "%s: path too long", path);
        return ISAC_EIO;
    }
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL, mode);
    size_t n = strlen(text);
    int ok = fd >= 0 && fchmod(fd, mode) == 0 && write(fd, text, n) == (ssize_t)n && fsync(fd) == 0;
    int e = errno;
    if (fd >= 0 && close(fd) != 0)
        ok = 0;
    if (ok && rename(tmp, path) == 0)
        return ISAC_OK;
    if (ok)
        e = errno;
    unlink(tmp);
    isac_seterr(err, errlen, "%s: cannot write: %s", path, strerror(e));
    return ISAC_EIO;
}

int net_keys_generate(const char *prefix, struct net_keypair *kp, char *err, size_t errlen)
{
    if (!net_curve_available()) {
        isac_seterr(err, errlen, "keys: this libzmq has no CURVE support (zmq_has(\"curve\") = 0)");
        return ISAC_ENOTSUP;
    }
    if (zmq_curve_keypair(kp->public_key, kp->secret_key) != 0) {
        isac_seterr(err, errlen, "keys: zmq_curve_keypair: %s", zmq_strerror(errno));
        return ISAC_EIO;
    }
    char path[4096], text[256];
    snprintf(path, sizeof path, "%s.key", prefix);
    snprintf(text, sizeof text, "public %s\nsecret %s\n", kp->public_key, kp->secret_key);
    int rc = write_atomic(path, text, 0600, err, errlen);
    explicit_bzero(text, sizeof text);
    if (rc)
        return rc;
    snprintf(path, sizeof path, "%s.pub", prefix);
    snprintf(text, sizeof text, "%s\n", kp->public_key);
    return write_atomic(path, text, 0644, err, errlen);
}

/* Next line of f without its newline (and trailing spaces); 0 at the end. */
static int next_line(FILE *f, char *buf, size_t cap)
{
    if (!fgets(buf, (int)cap, f))
        return 0;
    size_t n = strlen(buf);
    while (n && (buf[n - 1] == '\n' || buf[n - 1] == '\r' || buf[n - 1] == ' '))
        buf[--n] = '\0';
    return 1;
}

int net_keys_load(const char *path, struct net_keypair *kp, char *err, size_t errlen)
{
    struct stat st;
    FILE *f = isac_fopen_input(path, NULL, err, errlen); /* regular files only */
    if (!f)
        return ISAC_EIO;
    if (fstat(fileno(f), &st) != 0) {
        isac_seterr(err, errlen, "%s: cannot read: %s", path, strerror(errno));
        fclose(f);
        return ISAC_EIO;
    }
    if (st.st_mode & 077) {
        fclose(f);
        isac_seterr(err, errlen, "%s: mode %03o gives others access to a secret key (chmod 600)",
                    path, (unsigned)(st.st_mode & 0777));
        return ISAC_EFORMAT;
    }
    char line[256];
    int rc = ISAC_OK, have = 0;
    for (unsigned ln = 1; rc == ISAC_OK && next_line(f, line, sizeof line); ln++) {
        char *dst = !strncmp(line, "public ", 7)   ? kp->public_key
                    : !strncmp(line, "secret ", 7) ? kp->secret_key
                                                   : NULL;
        if (!dst || !net_key_valid(line + 7)) {
            isac_seterr(err, errlen,
                        "%s: line %u: expected 'public KEY' or 'secret KEY' (40 Z85 "
                        "characters)",
                        path, ln);
            rc = ISAC_EFORMAT;
            break;
        }
        memcpy(dst, line + 7, NET_KEY_Z85 + 1);
        have |= dst == kp->public_key ? 1 : 2;
    }
    explicit_bzero(line, sizeof line);
    fclose(f);
    if (rc == ISAC_OK && have != 3) {
        isac_seterr(err, errlen, "%s: %s line missing", path, have & 1 ? "secret" : "public");
        rc = ISAC_EFORMAT;
    }
    return rc;
}

int net_pubkey_load(const char *path, char key[NET_KEY_Z85 + 1], char *err, size_t errlen)
{
    FILE *f = isac_fopen_input(path, NULL, err, errlen); /* regular files only */
    char line[256];
    if (!f)
        return ISAC_EIO;
    int rc = ISAC_EFORMAT;
    while (next_line(f, line, sizeof line)) {
        const char *k = !strncmp(line, "public ", 7) ? line + 7 : line;
        if (!strncmp(line, "secret ", 7))
            continue;
        if (net_key_valid(k)) {
            memcpy(key, k, NET_KEY_Z85 + 1);
            rc = ISAC_OK;
        }
        break;
    }
    explicit_bzero(line, sizeof line);
    fclose(f);
    if (rc)
        isac_seterr(err, errlen, "%s: no public key (expected 40 Z85 characters on the first line)",
                    path);
    return rc;
}

int net_authorized_load(const char *path, char (*keys)[NET_KEY_Z85 + 1], unsigned *n, char *err,
                        size_t errlen)
{
    FILE *f = isac_fopen_input(path, NULL, err, errlen); /* regular files only */
    char line[256];
    *n = 0;
    if (!f)
        return ISAC_EIO;
    int rc = ISAC_OK;
    for (unsigned ln = 1; next_line(f, line, sizeof line); ln++) {
        if (!line[0] || line[0] == '#')
            continue;
        if (!net_key_valid(line) || *n >= NET_MAX_AUTHORIZED) {
            isac_seterr(err, errlen, "%s: line %u: %s", path, ln,
                        *n >= NET_MAX_AUTHORIZED ? "more than 256 keys"
                                                 : "not a public key (40 Z85 characters)");
            rc = ISAC_EFORMAT;
            break;
        }
        memcpy(keys[(*n)++], line, NET_KEY_Z85 + 1);
    }
    fclose(f);
    return rc;
}
