/* Opening radios from the command line, with the exit-status mapping of docs/cli.md,
 * and the site's transmit limits (docs/reliability.md, "Transmit safety"). */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "cli/cli.h"
#include "common/err.h"
#include "safety.h"

/* The site limits file: $ISACTB_SITE_LIMITS, else this file when it exists, else none
 * (the radio keeps isac_radio_limits_for() its description). */
#define SITE_LIMITS_FILE "/etc/isactb/site-limits.json"

int cli_site_limits(const char *cmd, struct isac_radio_limits *lim, int *have)
{
    *have = 0;
    const char *path = getenv("ISACTB_SITE_LIMITS");
    if (!path || !*path)
        path = access(SITE_LIMITS_FILE, F_OK) == 0 ? SITE_LIMITS_FILE : NULL;
    if (!path)
        return CLI_OK;
    char err[512] = "";
    int rc = isac_radio_limits_load(path, lim, err, sizeof err);
    if (rc == ISAC_OK) {
        *have = 1;
        return CLI_OK;
    }
    fprintf(stderr, "isactb %s: site limits: %s\n", cmd, err[0] ? err : isac_strerror(rc));
    return rc == ISAC_ENOMEM ? CLI_ERUNTIME : CLI_EINPUT;
}

int cli_site_limits_apply(const char *cmd, isac_radio r)
{
    struct isac_radio_limits lim;
    int have = 0, rc = cli_site_limits(cmd, &lim, &have);
    if (rc || !have)
        return rc;
    if (isac_radio_set_limits(r, &lim) == ISAC_OK)
        return CLI_OK;
    fprintf(stderr, "isactb %s: site limits: out of memory\n", cmd);
    return CLI_ERUNTIME;
}

int cli_radio_open(const char *cmd, const char *spec, int spec_from_cli, isac_radio *out)
{
    char err[512] = "";
    int rc = isac_radio_open_ex(spec, out, err, sizeof err);
    if (rc == ISAC_OK) {
        int lrc = cli_site_limits_apply(cmd, *out);
        if (lrc != CLI_OK) {
            isac_radio_close(*out);
            *out = NULL;
        }
        return lrc;
    }
    fprintf(stderr, "isactb %s: %s\n", cmd, err);
    switch (rc) {
    case ISAC_EINVAL: return spec_from_cli ? CLI_EUSAGE : CLI_EINPUT;
    case ISAC_EIO:
    case ISAC_EFORMAT: return CLI_EINPUT;
    default: return CLI_ERUNTIME;
    }
}
