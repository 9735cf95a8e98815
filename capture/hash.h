/* SHA-256 and SHA-512 as lowercase hex, through OpenSSL's EVP interface (libcrypto).
 * SHA-512 is what SigMF uses (core:sha512, core:streams hashes); SHA-256 is what a
 * capture records for the inputs its decisions depend on (docs/capture-format.md). */
#ifndef ISACTB_CAPTURE_HASH_H
#define ISACTB_CAPTURE_HASH_H

#include <stddef.h>

enum cap_hash_alg { CAP_SHA256, CAP_SHA512 };

#define CAP_SHA256_HEX 65  /* 64 hex digits + NUL */
#define CAP_SHA512_HEX 129 /* 128 hex digits + NUL */

/* Incremental digest. The context is libcrypto's (opaque here so that only hash.c
 * includes OpenSSL headers). */
struct cap_hash {
    void *ctx;
};

/* ISAC_OK or ISAC_ENOMEM. */
int cap_hash_init(struct cap_hash *h, enum cap_hash_alg alg);
void cap_hash_update(struct cap_hash *h, const void *data, size_t len);
/* The digest of everything so far, without ending h (the writer hashes data files
 * while they grow and needs the digest at finish time only). hex must hold
 * CAP_SHA512_HEX (or CAP_SHA256_HEX) bytes. ISAC_OK or ISAC_ENOMEM. */
int cap_hash_peek(const struct cap_hash *h, char *hex);
void cap_hash_free(struct cap_hash *h);

/* One-shot digest of a buffer. ISAC_OK or ISAC_ENOMEM. */
int cap_hash_hex(enum cap_hash_alg alg, const void *data, size_t len, char *hex);
/* SHA-256 of a whole file. ISAC_EIO when it cannot be opened or read. */
int cap_sha256_file(const char *path, char hex[CAP_SHA256_HEX]);

#endif
