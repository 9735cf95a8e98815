/* SHA-256 and SHA-512 as lowercase hex, through OpenSSL's EVP interface (libcrypto).
 * SHA-512 is what SigMF uses (core:sha512, core:streams hashes); SHA-256 is what a
 * capture records for the inputs its decisions depend on (docs/capture-format.md). */
#ifndef ISACTB_CAPTURE_HASH_H
#define ISACTB_CAPTURE_HASH_H

#include <stddef.h>

enum isac_cap_hash_alg { ISAC_CAP_SHA256, ISAC_CAP_SHA512 };

#define ISAC_CAP_SHA256_HEX 65  /* 64 hex digits + NUL */
#define ISAC_CAP_SHA512_HEX 129 /* 128 hex digits + NUL */

/* Incremental digest. The context is libcrypto's (opaque here so that only hash.c
 * includes OpenSSL headers). */
struct isac_cap_hash {
    void *ctx;
};

/* ISAC_OK or ISAC_ENOMEM. */
int isac_cap_hash_init(struct isac_cap_hash *h, enum isac_cap_hash_alg alg);
void isac_cap_hash_update(struct isac_cap_hash *h, const void *data, size_t len);
/* The digest of everything so far, without ending h (the writer hashes data files
 * while they grow and needs the digest at finish time only). hex must hold
 * ISAC_CAP_SHA512_HEX (or ISAC_CAP_SHA256_HEX) bytes. ISAC_OK or ISAC_ENOMEM. */
int isac_cap_hash_peek(const struct isac_cap_hash *h, char *hex);
void isac_cap_hash_free(struct isac_cap_hash *h);

/* One-shot digest of a buffer. ISAC_OK or ISAC_ENOMEM. */
int isac_cap_hash_hex(enum isac_cap_hash_alg alg, const void *data, size_t len, char *hex);
/* SHA-256 of a whole file. ISAC_EIO when it cannot be opened or read. */
int isac_cap_sha256_file(const char *path, char hex[ISAC_CAP_SHA256_HEX]);

#endif
