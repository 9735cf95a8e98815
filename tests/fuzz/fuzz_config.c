/* Fuzz target: experiment YAML configs (host/engine/config.c exp_config_load), then the
 * JSON round trip a capture stores (isac_exp_config_to_json / exp_config_from_json). The input
 * is the YAML text. */
#include "fuzz_util.h"

#include "common/err.h"
#include "engine/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *dir = fuzz_scratch_dir();
    fuzz_write_file(dir, "config.yaml", data, size);
    char path[256], err[512] = "";
    snprintf(path, sizeof path, "%s/config.yaml", dir);
    struct isac_exp_config cfg;
    isac_exp_config_defaults(&cfg);
    int rc = isac_exp_config_load(path, &cfg, err, sizeof err);
    if (rc) {
        fuzz_check_message("exp_config_load", err);
        return 0;
    }
    /* an accepted config must survive the capture's JSON round trip unchanged */
    json_t *j = isac_exp_config_to_json(&cfg);
    struct isac_exp_config back;
    isac_exp_config_defaults(&back);
    if (!j || isac_exp_config_from_json(j, &back, "round trip", err, sizeof err)) {
        fprintf(stderr, "accepted config fails its JSON round trip: %s\n", err);
        abort();
    }
    json_decref(j);
    return 0;
}
