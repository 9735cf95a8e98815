/* isactb keys: a CURVE keypair for the node <-> fuse transport (host/net/net_keys.h). */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "common/err.h"
#include "net/net_keys.h"

static const struct cli_opt KEYS_OPTS[] = {
    {"out", 'o', "PREFIX",
     "write PREFIX.key (0600, public and secret key) and PREFIX.pub (required)"},
    {0}};
const struct cli_cmd cli_cmd_keys = {
    "keys",
    NULL,
    "a CURVE keypair for node/fuse (docs/distributed.md); prints the public key",
    KEYS_OPTS,
    NULL,
    "A node's PREFIX.pub goes into the fuse's --authorized file; the fuse's is each node's\n"
    "--server-key. Existing files are not overwritten."};

int cmd_keys(int argc, char **argv)
{
    const char *out = NULL;
    struct cli_parser p;
    cli_parser_init(&p, &cli_cmd_keys, argc, argv);
    for (int c; (c = cli_next(&p)) != CLI_END;) {
        switch (c) {
        case 'o': out = p.arg; break;
        case CLI_HELP: return CLI_OK;
        default: return CLI_EUSAGE;
        }
    }
    if (p.next < argc)
        return cli_usage("keys", "unexpected argument '%s'", argv[p.next]);
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
