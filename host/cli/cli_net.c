#include "cli/cli_net.h"

#include <string.h>

#include "cli/cli.h"
#include "common/err.h"

int cli_net_security(const char *cmd, const char *endpoint, int server,
                     const struct cli_net_args *a, struct net_link_opts *o,
                     char (*keys)[NET_KEY_Z85 + 1])
{
    char err[600];
    o->curve = a->curve || (!net_endpoint_loopback(endpoint) && !a->insecure);
    if (a->curve && a->insecure)
        return cli_usage(cmd, "--curve and --insecure are exclusive");
    if (!o->curve)
        return CLI_OK;
    if (!net_curve_available())
        return cli_runtime_error(cmd, "%s needs CURVE, but this libzmq has none (zmq_has)",
                                 endpoint);
    if (!a->keys)
        return cli_usage(cmd,
                         "%s is not a loopback endpoint: CURVE needs --keys PREFIX (isactb keys), "
                         "or --insecure for plain text",
                         endpoint);
    char path[4200];
    snprintf(path, sizeof path, "%s.key", a->keys);
    if (net_keys_load(path, &o->keys, err, sizeof err))
        return cli_input_error(cmd, "--keys: %s", err);
    if (server) {
        if (!a->authorized)
            return cli_usage(cmd, "CURVE needs --authorized FILE (the nodes' public keys)");
        if (net_authorized_load(a->authorized, keys, &o->n_authorized, err, sizeof err))
            return cli_input_error(cmd, "--authorized: %s", err);
        o->authorized = (const char(*)[NET_KEY_Z85 + 1]) keys;
        return CLI_OK;
    }
    if (!a->server_key)
        return cli_usage(cmd, "CURVE needs --server-key FILE (the fuse's public key)");
    if (net_pubkey_load(a->server_key, o->server_key, err, sizeof err))
        return cli_input_error(cmd, "--server-key: %s", err);
    return CLI_OK;
}
