/* Fuzz target: codebook files (host/array/codebook_file.c codebook_load, which parses
 * the JSON and validates it with codebook_from_json). An accepted codebook is saved and
 * reloaded: the writer's output must be accepted by the loader. Input: the file text. */
#include <complex.h>
#include <math.h>

#include "fuzz_util.h"

#include "array/codebook.h"
#include "common/err.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *dir = fuzz_scratch_dir();
    fuzz_write_file(dir, "cb.json", data, size);
    char path[256], out[256], err[512] = "";
    snprintf(path, sizeof path, "%s/cb.json", dir);
    isac_codebook cb = isac_codebook_load(path, err, sizeof err);
    if (!cb) {
        fuzz_check_message("codebook_load", err);
        return 0;
    }
    /* touch every weight: a loaded codebook's arrays have the advertised shape */
    double acc = 0;
    for (unsigned q = 0; q < isac_codebook_size(cb); q++)
        for (unsigned m = 0; m < isac_codebook_elements(cb); m++)
            acc += cabsf(isac_codebook_weights(cb, q)[m]);
    if (isnan(acc))
        abort();
    snprintf(out, sizeof out, "%s/cb-out.json", dir);
    if (isac_codebook_save(cb, out, err, sizeof err) == ISAC_OK) {
        isac_codebook again = isac_codebook_load(out, err, sizeof err);
        if (!again) {
            fprintf(stderr, "a saved codebook is refused on reload: %s\n", err);
            abort();
        }
        isac_codebook_destroy(again);
    }
    isac_codebook_destroy(cb);
    return 0;
}
