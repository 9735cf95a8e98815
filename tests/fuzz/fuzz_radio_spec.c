/* Fuzz target: radio spec strings (radio/radio.c radio_open_ex and the shared argument
 * helpers). Input: the spec text (a NUL ends it early). The sim back end is opened and
 * closed; specs naming the file, soapy or uhd back ends go through the argument helpers
 * only (opening them would touch files or hardware discovery). */
#include "fuzz_util.h"

#include "common/err.h"
#include "radio.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 4096)
        return 0;
    char spec[4097];
    memcpy(spec, data, size);
    spec[size] = '\0';
    char err[512] = "", val[128];
    const char *colon = strchr(spec, ':');
    const char *args = colon ? colon + 1 : "";
    static const char *const keys[] = {"seed", "driver", "addr", "type", NULL};
    /* the helpers never crash on any argument text; refusals are one line for the text
     * they can be given (radio_open_ex refuses control characters before any back end
     * parses its arguments) */
    int ctl = 0;
    for (size_t i = 0; args[i]; i++)
        ctl |= (unsigned char)args[i] < 0x20 || args[i] == 0x7f;
    if (isac_radio_args_check("fuzz", args, keys, err, sizeof err) < 0 && !ctl)
        fuzz_check_message("radio_args_check", err);
    isac_radio_arg_get(args, "seed", val, sizeof val);
    double d;
    uint64_t u;
    err[0] = '\0';
    if (isac_radio_arg_double("fuzz", args, "seed", 0, -1e9, 1e9, &d, err, sizeof err) < 0 && !ctl)
        fuzz_check_message("radio_arg_double", err);
    err[0] = '\0';
    if (isac_radio_arg_u64("fuzz", args, "seed", 0, 0, UINT64_MAX, &u, err, sizeof err) < 0 && !ctl)
        fuzz_check_message("radio_arg_u64", err);
    if (!strncmp(spec, "file", 4) || !strncmp(spec, "soapy", 5) || !strncmp(spec, "uhd", 3))
        return 0;
    isac_radio r = NULL;
    err[0] = '\0';
    int rc = isac_radio_open_ex(spec, &r, err, sizeof err);
    if (rc != ISAC_OK) {
        fuzz_check_message("radio_open_ex", err);
        if (r)
            abort();
        return 0;
    }
    struct isac_radio_info info;
    if (isac_radio_get_info(r, &info) != ISAC_OK || info.num_rx == 0 ||
        info.num_rx > ISAC_RADIO_MAX_CHANNELS)
        abort();
    isac_radio_close(r);
    return 0;
}
