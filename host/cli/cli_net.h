/* Transport options shared by isactb node and isactb fuse (docs/distributed.md). */
#ifndef ISACTB_CLI_NET_H
#define ISACTB_CLI_NET_H

#include "net/net_link.h"

struct cli_net_args {
    const char *keys;       /* --keys PREFIX: own keypair PREFIX.key */
    const char *server_key; /* --server-key FILE (node): the fuse's public key */
    const char *authorized; /* --authorized FILE (fuse): node public keys */
    int curve, insecure;    /* --curve: force CURVE (also on loopback); --insecure: allow
                               plain text on a non-loopback endpoint */
};

/* Security for endpoint: CURVE on unless the endpoint is loopback (or --curve forces it);
 * --insecure turns it off for other endpoints. Loads the key files into *o (authorized keys
 * into keys[]). Prints one line and returns a cli exit status on a missing or bad file. */
int cli_net_security(const char *cmd, const char *endpoint, int server,
                     const struct cli_net_args *a, struct net_link_opts *o,
                     char (*keys)[NET_KEY_Z85 + 1]);

#endif
