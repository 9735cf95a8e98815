/* Opening a capture for replay/detect: the reader, its experiment config and codebook, and
 * the check that the stored TX reference is the probe the pipeline will correlate with. */
#include <complex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "common/err.h"
#include "engine/pipeline.h"
#include "engine/run.h"

/* A CPI's own isactb:waveform (optional) must describe the experiment's probe. */
static int check_cpi_waveform(const json_t *wf, const struct isac_exp_config *cfg, const char *src,
                              size_t k, char *err, size_t errlen)
{
    if (!wf)
        return ISAC_OK;
    const char *kind = json_string_value(json_object_get(wf, "kind"));
    json_t *len = json_object_get(wf, "length");
    int bad = !kind || strcmp(kind, cfg->waveform.kind) ||
              (len && json_integer_value(len) != (json_int_t)cfg->waveform.length);
    if (!bad && !strcmp(kind, "zc") && json_object_get(wf, "root"))
        bad = json_integer_value(json_object_get(wf, "root")) != (json_int_t)cfg->waveform.root;
    if (!bad && !strcmp(kind, "lfm") && json_object_get(wf, "bandwidth"))
        bad = json_number_value(json_object_get(wf, "bandwidth")) != cfg->waveform.bandwidth;
    if (!bad)
        return ISAC_OK;
    char *txt = json_dumps(wf, JSON_COMPACT);
    isac_seterr(err, errlen,
                "%s: isactb:cpis[%zu] isactb:waveform %s differs from isactb:experiment.waveform "
                "(%s, length %u)",
                src, k, txt ? txt : "?", cfg->waveform.kind, cfg->waveform.length);
    free(txt);
    return ISAC_EFORMAT;
}

/* Every CPI that stores a TX reference must store the experiment's probe (the samples the
 * matched filter correlates with), within ISAC_SIGMF_TXREF_TOL per sample. */
static int check_txref(isac_sigmf_reader rd, const struct isac_exp_config *cfg, char *err,
                       size_t errlen)
{
    const char *src = isac_sigmf_reader_path(rd);
    float complex *probe = NULL, *got = NULL;
    size_t L = 0;
    char why[256];
    int rc = isac_exp_probe_generate(cfg, &probe, &L, why, sizeof why);
    if (rc) {
        isac_seterr(err, errlen, "%s: isactb:experiment.%s", src, why);
        return rc == ISAC_ENOMEM ? ISAC_ENOMEM : ISAC_EFORMAT;
    }
    if (!(got = malloc(L * sizeof *got)))
        rc = ISAC_ENOMEM;
    for (size_t k = 0; rc == ISAC_OK && k < isac_sigmf_reader_num_cpis(rd); k++) {
        struct isac_sigmf_cpi_info ci;
        isac_sigmf_reader_cpi_info(rd, k, &ci);
        const json_t *ann = isac_sigmf_reader_cpi_annotation(rd, k);
        if (ci.tx_tick != ci.tick) {
            isac_seterr(err, errlen,
                        "%s: isactb:cpis[%zu] isactb:tx_tick %lld differs from isactb:tick %lld: "
                        "detect and replay take MF lag 0 at the window's first tick",
                        src, k, (long long)ci.tx_tick, (long long)ci.tick);
            rc = ISAC_EFORMAT;
            break;
        }
        if ((rc = check_cpi_waveform(json_object_get(ann, "isactb:waveform"), cfg, src, k, err,
                                     errlen)) ||
            !ci.txlen)
            continue;
        if (ci.txlen != L) {
            isac_seterr(err, errlen,
                        "%s: isactb:cpis[%zu] isactb:tx_samples %zu, but the probe of "
                        "isactb:experiment.waveform (%s) has %zu samples",
                        src, k, ci.txlen, cfg->waveform.kind, L);
            rc = ISAC_EFORMAT;
        } else if ((rc = isac_sigmf_reader_read_txref(rd, k, got, L))) {
            isac_seterr(err, errlen, "%s", isac_sigmf_reader_last_error(rd));
        } else {
            double d = 0;
            size_t i = isac_sigmf_txref_mismatch(got, probe, L, &d);
            if (i < L) {
                isac_seterr(err, errlen,
                            "%s: CPI %zu: TX reference sample %zu is (%.6g, %.6g), the %s probe of "
                            "isactb:experiment.waveform has (%.6g, %.6g) (difference %.3g > %g): "
                            "the stored probe is not the one the matched filter uses",
                            src, k, i, crealf(got[i]), cimagf(got[i]), cfg->waveform.kind,
                            crealf(probe[i]), cimagf(probe[i]), d, ISAC_SIGMF_TXREF_TOL);
                rc = ISAC_EFORMAT;
            }
        }
    }
    if (rc == ISAC_ENOMEM)
        isac_seterr(err, errlen, "%s: out of memory checking the TX reference", src);
    free(probe);
    free(got);
    return rc;
}

int cli_capture_open(const char *cmd, const char *path, isac_sigmf_reader *rd,
                     struct isac_exp_config *cfg, isac_codebook *cb)
{
    char err[700] = "";
    *cb = NULL;
    *rd = isac_sigmf_reader_open(path, err, sizeof err);
    if (!*rd)
        return cli_input_error(cmd, "%s", err);
    const json_t *g = isac_sigmf_reader_global(*rd);
    const char *src = isac_sigmf_reader_path(*rd);
    json_t *exp = json_object_get(g, "isactb:experiment"), *none = NULL;
    if (!exp) /* absent: every field at its default (docs/capture-format.md) */
        exp = none = json_object();
    int rc = isac_exp_config_from_json(exp, cfg, src, err, sizeof err);
    json_decref(none);
    if (rc)
        goto bad;
    json_t *cbj = json_object_get(g, "isactb:codebook");
    if (!cbj && strcmp(cfg->codebook, "dft")) {
        snprintf(err, sizeof err,
                 "%s: isactb:codebook: missing (required unless isactb:experiment.codebook is "
                 "\"dft\")",
                 src);
        goto bad;
    }
    if (!cbj) { /* the DFT codebook `run` generates for the recorded TX array */
        struct isac_radio_info info;
        char why[512];
        isac_sigmf_reader_radio_info(*rd, &info);
        if (!(*cb = isac_exp_codebook(cfg, &info, why, sizeof why))) {
            snprintf(err, sizeof err, "%s: isactb:codebook (generated): %s", src, why);
            goto bad;
        }
    } else if (!(*cb = isac_codebook_from_json(cbj, src, err, sizeof err)))
        goto bad;
    if (check_txref(*rd, cfg, err, sizeof err) == ISAC_OK)
        return CLI_OK;
bad:
    isac_codebook_destroy(*cb);
    *cb = NULL;
    isac_sigmf_reader_close(*rd);
    *rd = NULL;
    return cli_input_error(cmd, "%s", err);
}
