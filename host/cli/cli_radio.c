/* Opening radios from the command line, with the exit-status mapping of docs/cli.md. */
#include <stdio.h>

#include "cli/cli.h"
#include "common/err.h"

int cli_radio_open(const char *cmd, const char *spec, int spec_from_cli, radio *out)
{
    char err[512] = "";
    int rc = radio_open_ex(spec, out, err, sizeof err);
    if (rc == ISAC_OK)
        return CLI_OK;
    fprintf(stderr, "isactb %s: %s\n", cmd, err);
    switch (rc) {
    case ISAC_EINVAL: return spec_from_cli ? CLI_EUSAGE : CLI_EINPUT;
    case ISAC_EIO:
    case ISAC_EFORMAT: return CLI_EINPUT;
    default: return CLI_ERUNTIME;
    }
}
