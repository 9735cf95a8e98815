/* Fuzz target: calibration records (calib/record.c calib_record_load, which parses the
 * JSON and validates it with isac_calib_record_from_json). An accepted record must survive its
 * own JSON round trip, be matched against a radio without crashing, and either convert to
 * a pipeline correction or be refused with one line. Input: the file text. */
#include "fuzz_util.h"

#include "calib/record.h"
#include "common/err.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *dir = fuzz_scratch_dir();
    fuzz_write_file(dir, "cal.json", data, size);
    char path[256], err[512] = "";
    snprintf(path, sizeof path, "%s/cal.json", dir);
    static struct isac_calib_record rec, back;
    if (isac_calib_record_load(path, &rec, err, sizeof err)) {
        fuzz_check_message("calib_record_load", err);
        return 0;
    }
    json_t *j = isac_calib_record_to_json(&rec);
    if (!j || isac_calib_record_from_json(j, "round trip", &back, err, sizeof err)) {
        fprintf(stderr, "an accepted record fails its JSON round trip: %s\n", err);
        abort();
    }
    json_decref(j);
    struct isac_radio_info info;
    memset(&info, 0, sizeof info);
    snprintf(info.driver, sizeof info.driver, "sim");
    snprintf(info.serial, sizeof info.serial, "sim-1");
    info.num_rx = 16;
    info.num_tx = 4;
    info.num_rx_aps = 4;
    for (unsigned n = 0; n < 4; n++)
        info.rx_ap_elements[n] = 4;
    info.sample_rate = 20e6;
    info.center_freq = 2.45e9;
    err[0] = '\0';
    if (isac_calib_record_match(&rec, &info, "fuzz", err, sizeof err))
        fuzz_check_message("calib_record_match", err);
    (void)isac_calib_record_stale(&rec, 1.8e9);
    static struct isac_chan_correction pc;
    err[0] = '\0';
    if (isac_calib_record_to_pipeline(&rec, &pc, err, sizeof err))
        fuzz_check_message("calib_record_to_pipeline", err);
    return 0;
}
