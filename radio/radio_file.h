/* The `file` radio back end: a SigMF capture (capture/sigmf.h) replayed through the radio
 * interface (radio.h). */
#ifndef ISACTB_RADIO_RADIO_FILE_H
#define ISACTB_RADIO_RADIO_FILE_H

#include <complex.h>
#include <jansson.h>
#include <stddef.h>

#include "radio.h"

/* The `file` back end (spec "file:PATH", PATH as for sigmf_reader_open). It reports
 * ISAC_RADIO_CAP_REPLAY | ISAC_RADIO_CAP_TIMED_RX | ISAC_RADIO_CAP_TIMED_TX and the recorded
 * isactb:radio (driver "file", the recorded serial). rx_capture(t0, len) returns the
 * next recorded CPI and fails with ISAC_ERADIO "replay diverged at CPI k: ..." when t0
 * or len differ from the recording; after the last CPI it fails with ISAC_EIO "end of
 * recording after N CPIs". tx_burst is accepted and not checked (nothing transmits).
 * get_time returns the tick of the next recorded CPI (or the end of the last one);
 * set_center_freq accepts only the recorded carrier. */
extern const struct isac_radio_ops isac_radio_file_ops;

/* Given the back-end state of a `file` radio (the void *state of isac_radio_ops): the
 * annotation of the CPI returned by the last successful rx_capture (borrowed), or
 * NULL before the first one; and the index of that CPI (-1 before the first). */
const json_t *isac_radio_file_annotation(void *state);
long isac_radio_file_cpi_index(void *state);
/* Same for an opened radio: NULL unless r is a `file` radio that returned a CPI. */
const json_t *isac_radio_file_current_annotation(isac_radio r);

/* The TX reference (txref samples) of the CPI the last rx_capture of the `file` radio r
 * returned: *recorded = its recorded length (0: none stored); when that equals len the
 * samples are read into tx[0..len-1]. ISAC_EINVAL when r is not a `file` radio or no CPI
 * was returned yet, ISAC_EIO when the data cannot be read (isac_radio_last_error). */
int isac_radio_file_current_txref(isac_radio r, float complex *tx, size_t len, size_t *recorded);

#endif
