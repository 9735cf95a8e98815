/* Spec parsing and error mapping of the `uhd` back end, free of UHD headers so that
 * they are built (and tested) on machines without libuhd (tests/test_uhd_backend.c).
 *
 * Spec: "uhd:DEVICE_ARGS[,isactb_KEY=VALUE...]" (docs/frontends.md): keys without the
 * isactb_ prefix form the UHD device address ("type=x300,addr=192.168.40.2"), the
 * isactb_ keys are below (lists use ':' because ',' separates the arguments).
 */
#ifndef ISACTB_RADIO_UHD_CONFIG_H
#define ISACTB_RADIO_UHD_CONFIG_H

#include <stddef.h>

#include "radio_uhd_soapy_common.h"

enum uhd_time_set { UHD_TS_NOW = 0, UHD_TS_NEXT_PPS = 1, UHD_TS_UNKNOWN_PPS = 2 };

struct radio_uhd_config {
    struct fe_args a;      /* own keys and the device address (a.pass) */
    char rx_subdev[128];   /* isactb_rx_subdev: RX subdevice spec ("A:0 B:0"), "" keep */
    char tx_subdev[128];   /* isactb_tx_subdev */
    char clock[32];        /* isactb_clock: internal|external|gpsdo|mimo, "" keep */
    char time[32];         /* isactb_time: internal|external|gpsdo|mimo, "" keep */
    int time_set;          /* isactb_time_set: now|next_pps|unknown_pps; default
                              unknown_pps when isactb_time is external or gpsdo, else now */
    double rate;           /* isactb_rate: Hz, 0 keep (1 .. 1e10) */
    double freq;           /* isactb_freq: Hz, 0 keep (1 .. 1e12) */
    double bw;             /* isactb_bw: Hz, 0 keep */
    double mcr;            /* isactb_mcr: master clock rate, Hz, 0 keep */
    char lo_source[32];    /* isactb_lo_source: RX LO source of every channel, "" keep */
    char tx_lo_source[32]; /* isactb_tx_lo_source */
    char otw[8];           /* isactb_otw: sc16 (default) | sc12 | sc8 */
    double lead;           /* isactb_lead: s from the end of open to tick 0, 0..60, default 0.2 */
    double tune_lead;      /* isactb_tune_lead: s ahead of now for the timed tune, default 0.1 */
    double timeout;        /* isactb_timeout: s of slack per streaming call, default 1 */
    long long txrx_delay;  /* isactb_txrx_delay: samples added to every RX window start */
    int lo_shared; /* isactb_lo_shared: 0|1, declares shared LOs (ISAC_RADIO_CAP_LO_SHARED) */
};

/* Parse args (the part after "uhd:"). ISAC_EINVAL with one line in err. Channel
 * lists, gains, antennas and LO export lists stay as text in cfg->a until the device's
 * channel counts are known (fe_parse_channels / fe_parse_values / fe_parse_words). */
int radio_uhd_parse(const char *args, struct radio_uhd_config *cfg, char *err, size_t errlen);

/* isac_err of a uhd_error code (uhd/error.h values): 0 -> ISAC_OK; a value the device
 * refused (INDEX, KEY, LOOKUP, TYPE, VALUE) -> ISAC_EINVAL; NOT_IMPLEMENTED ->
 * ISAC_ENOTSUP; everything else (USB, IO, OS, RUNTIME, ..., UNKNOWN) -> ISAC_ERADIO.
 * `at_make` = 1 for uhd_usrp_make, whose every failure means "no such device"
 * (ISAC_ERADIO). */
int radio_uhd_map_error(int uhd_error, int at_make);

/* Copy text into out as one line: newlines and tabs become spaces, runs collapse,
 * ends are trimmed (UHD's exception texts span several lines). */
void radio_uhd_one_line(const char *text, char *out, size_t outlen);

#endif
