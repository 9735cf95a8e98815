/* Opening a capture for replay/detect: the reader, its experiment config and codebook. */
#include <stdio.h>

#include "cli/cli.h"
#include "common/err.h"

int cli_capture_open(const char *cmd, const char *path, sigmf_reader *rd, struct exp_config *cfg,
                     codebook *cb)
{
    char err[512] = "";
    *cb = NULL;
    *rd = sigmf_reader_open(path, err, sizeof err);
    if (!*rd)
        return cli_input_error(cmd, "%s", err);
    const json_t *g = sigmf_reader_global(*rd);
    const char *src = sigmf_reader_path(*rd);
    if (exp_config_from_json(json_object_get(g, "isactb:experiment"), cfg, src, err, sizeof err))
        goto bad;
    json_t *cbj = json_object_get(g, "isactb:codebook");
    if (!cbj) {
        snprintf(err, sizeof err, "%s: isactb:codebook: missing", src);
        goto bad;
    }
    if (!(*cb = codebook_from_json(cbj, src, err, sizeof err)))
        goto bad;
    return CLI_OK;
bad:
    sigmf_reader_close(*rd);
    *rd = NULL;
    return cli_input_error(cmd, "%s", err);
}
