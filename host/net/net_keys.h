/* CURVE key files of the node <-> fuse transport (`isactb keys`, docs/distributed.md).
 *
 * A keypair is two files written by net_keys_generate:
 *   PREFIX.key  mode 0600: two lines "public Z85" and "secret Z85" (40 Z85 characters each,
 *               zmq_curve_keypair); it never leaves the host it was made on;
 *   PREFIX.pub  mode 0644: one line "Z85", the public key to give to the other side.
 * Each file is written to a temporary name in the same directory, flushed and renamed, so
 * a crash never leaves a half-written key looking complete; an existing file is not
 * overwritten. An authorized-keys file (the fuse's list of node keys) is public keys one
 * per line; blank lines and lines starting with '#' are skipped.
 */
#ifndef ISACTB_NET_KEYS_H
#define ISACTB_NET_KEYS_H

#include <stddef.h>

#define NET_KEY_Z85 40         /* characters of a Z85 CURVE key */
#define NET_MAX_AUTHORIZED 256 /* keys in an authorized-keys file */

struct net_keypair {
    char public_key[NET_KEY_Z85 + 1];
    char secret_key[NET_KEY_Z85 + 1];
};

/* 1 when libzmq was built with CURVE (zmq_has("curve")). */
int net_curve_available(void);

/* Make a keypair and write PREFIX.key / PREFIX.pub. ISAC_EIO (a file exists, cannot be
 * written), ISAC_ENOTSUP (no CURVE in libzmq); one line in err. */
int net_keys_generate(const char *prefix, struct net_keypair *kp, char *err, size_t errlen);
/* Read a PREFIX.key file (its mode must not give group/other access). ISAC_EFORMAT /
 * ISAC_EIO with one line naming the file, line and value. */
int net_keys_load(const char *path, struct net_keypair *kp, char *err, size_t errlen);
/* Read one public key: a .pub file (one line) or a .key file's public line. */
int net_pubkey_load(const char *path, char key[NET_KEY_Z85 + 1], char *err, size_t errlen);
/* Read an authorized-keys file into keys[0..*n-1] (at most NET_MAX_AUTHORIZED). */
int net_authorized_load(const char *path, char (*keys)[NET_KEY_Z85 + 1], unsigned *n, char *err,
                        size_t errlen);
/* 1 when s is 40 characters of the Z85 alphabet that decode to 32 bytes. */
int net_key_valid(const char *s);

#endif
