/* capture/hash.h over libcrypto's EVP digests: a maintained, tested SHA-2 instead of
 * one written here. */
#include "hash.h"

#include <openssl/evp.h>
#include <stdio.h>

#include "common/err.h"
#include "common/file_open.h"

static void to_hex(const unsigned char *md, unsigned n, char *hex)
{
    static const char digits[] = "0123456789abcdef";
    for (unsigned i = 0; i < n; i++) {
        hex[2 * i] = digits[md[i] >> 4];
        hex[2 * i + 1] = digits[md[i] & 15];
    }
    hex[2 * n] = '\0';
}

int isac_cap_hash_init(struct isac_cap_hash *h, enum isac_cap_hash_alg alg)
{
    EVP_MD_CTX *c = EVP_MD_CTX_new();
    h->ctx = c;
    if (!c || !EVP_DigestInit_ex(c, alg == ISAC_CAP_SHA256 ? EVP_sha256() : EVP_sha512(), NULL)) {
        isac_cap_hash_free(h);
        return ISAC_ENOMEM;
    }
    return ISAC_OK;
}

void isac_cap_hash_update(struct isac_cap_hash *h, const void *data, size_t len)
{
    if (h->ctx && len)
        EVP_DigestUpdate(h->ctx, data, len);
}

int isac_cap_hash_peek(const struct isac_cap_hash *h, char *hex)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned n = 0;
    EVP_MD_CTX *copy = EVP_MD_CTX_new();
    int ok = copy && h->ctx && EVP_MD_CTX_copy_ex(copy, h->ctx) && EVP_DigestFinal_ex(copy, md, &n);
    EVP_MD_CTX_free(copy);
    if (!ok)
        return ISAC_ENOMEM;
    to_hex(md, n, hex);
    return ISAC_OK;
}

void isac_cap_hash_free(struct isac_cap_hash *h)
{
    EVP_MD_CTX_free(h->ctx);
    h->ctx = NULL;
}

int isac_cap_hash_hex(enum isac_cap_hash_alg alg, const void *data, size_t len, char *hex)
{
    struct isac_cap_hash h;
    int rc = isac_cap_hash_init(&h, alg);
    if (rc)
        return rc;
    isac_cap_hash_update(&h, data, len);
    rc = isac_cap_hash_peek(&h, hex);
    isac_cap_hash_free(&h);
    return rc;
}

int isac_cap_sha256_file(const char *path, char hex[ISAC_CAP_SHA256_HEX])
{
    /* a recorded input path may name anything by now: only a regular file is hashed */
    int frc;
    FILE *f = isac_fopen_input(path, &frc, NULL, 0);
    if (!f)
        return frc == ISAC_EFORMAT ? ISAC_EFORMAT : ISAC_EIO;
    struct isac_cap_hash h;
    int rc = isac_cap_hash_init(&h, ISAC_CAP_SHA256);
    unsigned char buf[65536];
    size_t n;
    while (!rc && (n = fread(buf, 1, sizeof buf, f)) > 0)
        isac_cap_hash_update(&h, buf, n);
    if (!rc && ferror(f))
        rc = ISAC_EIO;
    fclose(f);
    if (!rc)
        rc = isac_cap_hash_peek(&h, hex);
    isac_cap_hash_free(&h);
    return rc;
}
