/* Fuzz target: site limits files (radio/radio_safety.c radio_limits_parse). An accepted
 * file must describe limits the guard can enforce (ranges ordered, finite numbers).
 * Input: the file text. */
#include <math.h>

#include "fuzz_util.h"

#include "common/err.h"
#include "safety.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct isac_radio_limits l;
    char err[512] = "";
    if (isac_radio_limits_parse((const char *)data, size, "fuzz.json", &l, err, sizeof err)) {
        fuzz_check_message("radio_limits_parse", err);
        return 0;
    }
    if (l.num_ranges < 1 || l.num_ranges > ISAC_RADIO_LIMITS_MAX_RANGES ||
        !isfinite(l.max_tx_power_dbm) || !isfinite(l.max_tx_gain_db) ||
        !(l.max_duty_cycle > 0 && l.max_duty_cycle <= 1) || !(l.duty_window_s > 0))
        abort();
    for (unsigned i = 0; i < l.num_ranges; i++)
        if (!(l.ranges_hz[i][0] > 0 && l.ranges_hz[i][0] < l.ranges_hz[i][1]))
            abort();
    return 0;
}
