/* isactb keys: a CURVE keypair for the node <-> fuse transport (host/net/net_keys.h). */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "common/err.h"
#include "net/net_keys.h"

static const char *const KEYS_USAGE =
    "usage: isactb keys --out PREFIX\n"
    "  Writes PREFIX.key (mode 0600: public and secret key) and PREFIX.pub (the public key to\n"
    "  give to the other side: a node's goes into the fuse's --authorized file, the fuse's is\n"
    "  each node's --server-key). Existing files are not overwritten.\n";

int cmd_keys(int argc, char **argv)
{
    const char *out = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            fputs(KEYS_USAGE, stdout);
            return CLI_OK;
        }
        if (!strcmp(argv[i], "--out") && i + 1 < argc)
            out = argv[++i];
        else if (!strcmp(argv[i], "--out"))
            return cli_usage("keys", "option '--out' needs a value");
        else
            return cli_usage("keys", "unknown option '%s'", argv[i]);
    }
    if (!out || !out[0])
        return cli_usage("keys", "--out PREFIX is required");
    struct net_keypair kp;
    char err[600];
    int rc = net_keys_generate(out, &kp, err, sizeof err);
    explicit_bzero(&kp.secret_key, sizeof kp.secret_key);
    if (rc)
        return rc == ISAC_ENOTSUP ? cli_runtime_error("keys", "%s", err)
                                  : cli_input_error("keys", "%s", err);
    printf("%s\n", kp.public_key);
    return CLI_OK;
}
