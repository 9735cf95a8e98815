/* --threads N, shared by the commands that process CPIs (run, replay, detect, train, bench). */
#include "cli/cli.h"
#include "common/pool.h"

int cli_parse_threads(const char *cmd, const char *s, unsigned *threads)
{
    unsigned long v;
    if (cli_parse_uint(cmd, "--threads", s, 0, ISAC_POOL_MAX_THREADS, &v))
        return CLI_EUSAGE;
    *threads = v ? (unsigned)v : isac_pool_online_cores();
    return CLI_OK;
}
