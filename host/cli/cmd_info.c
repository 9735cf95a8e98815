/* isactb info [--radio SPEC] [--json]: describe a radio (channels, rates, gains,
 * frequency range, APs and their geometry, capabilities) and, for the emulator, its
 * ground truth. Exit 2 for a malformed spec, 3 when the device cannot be opened. */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "common/err.h"
#include "radio/radio.h"
#include "radio/radio_uhd_soapy_common.h"

static const struct cli_opt INFO_OPTS[] = {CLI_OPT_RADIO('r'), CLI_OPT_JSON('j'), {0}};
const struct cli_cmd cli_cmd_info = {
    "info",
    NULL,
    "describe a radio: channels, rates, gains, frequency range, APs, capabilities (sim: truth)",
    INFO_OPTS,
    NULL,
    NULL};

static const struct {
    unsigned flag;
    const char *name;
} CAPS[] = {
    {ISAC_RADIO_CAP_TIMED_TX, "timed_tx"}, {ISAC_RADIO_CAP_TIMED_RX, "timed_rx"},
    {ISAC_RADIO_CAP_HW_TIME, "hw_time"},   {ISAC_RADIO_CAP_LO_SHARED, "lo_shared"},
    {ISAC_RADIO_CAP_TRUTH, "truth"},       {ISAC_RADIO_CAP_SCENARIO, "scenario"},
    {ISAC_RADIO_CAP_REPLAY, "replay"},     {ISAC_RADIO_CAP_IDEAL, "ideal"},
    {ISAC_RADIO_CAP_MOVABLE, "movable"},
};

static json_t *positions_wl_json(const double *p, unsigned n)
{
    json_t *a = json_array();
    for (unsigned i = 0; a && i < n; i++)
        json_array_append_new(a, json_real(p[i]));
    return a;
}

static json_t *ap_json(const struct isac_geom_ap *ap, unsigned elements, unsigned first)
{
    return json_pack("{s:f,s:f,s:f,s:i,s:i}", "x_m", ap->x, "y_m", ap->y, "axis_deg",
                     ap->axis_rad * 180.0 / M_PI, "elements", (int)elements, "first_channel",
                     (int)first);
}

/* One array: its elements in metres in the scene frame, the AP's position plus the
 * element's offset along the AP's axis (wavelength c / emulated carrier). */
static json_t *array_json(const char *role, int ap, const struct isac_geom_ap *g,
                          const double *pos_wl, unsigned M, double lambda)
{
    json_t *pts = json_array();
    for (unsigned m = 0; pts && m < M; m++) {
        double d = pos_wl[m] * lambda;
        json_array_append_new(pts, json_pack("[f,f,f]", g->x + d * cos(g->axis_rad),
                                             g->y + d * sin(g->axis_rad), 0.0));
    }
    return json_pack("{s:s,s:i,s:o*,s:o}", "role", role, "ap", ap, "positions_m", pts,
                     "positions_wl", positions_wl_json(pos_wl, M));
}

static json_t *arrays_json(const struct isac_radio_info *in)
{
    double f = in->emulated_freq > 0 ? in->emulated_freq : in->center_freq;
    double lambda = f > 0 ? ISAC_GEOM_C0 / f : 0;
    json_t *a = json_array();
    if (in->num_tx)
        json_array_append_new(a,
                              array_json("tx", 0, &in->tx_ap, in->tx_pos_wl, in->num_tx, lambda));
    for (unsigned n = 0; n < in->num_rx_aps && n < ISAC_RADIO_MAX_APS; n++)
        json_array_append_new(a, array_json("rx", (int)n, &in->rx_ap[n],
                                            in->rx_pos_wl + isac_radio_rx_first_channel(in, n),
                                            in->rx_ap_elements[n], lambda));
    return a;
}

static json_t *info_json(const char *spec, const struct isac_radio_info *in)
{
    json_t *caps = json_array(), *aps = json_array(), *o;
    for (size_t i = 0; i < sizeof CAPS / sizeof CAPS[0]; i++)
        if (in->caps & CAPS[i].flag)
            json_array_append_new(caps, json_string(CAPS[i].name));
    unsigned first = 0;
    for (unsigned n = 0; n < in->num_rx_aps && n < ISAC_RADIO_MAX_APS; n++) {
        json_array_append_new(aps, ap_json(&in->rx_ap[n], in->rx_ap_elements[n], first));
        first += in->rx_ap_elements[n];
    }
    o = json_pack("{s:s,s:s,s:s,s:o,s:f,s:f,s:f,s:f,s:[f,f],s:f,s:f,s:i,s:i,s:i,s:f,s:o,s:o,"
                  "s:f,s:f,s:f}",
                  "radio", spec, "driver", in->driver, "serial", in->serial, "capabilities", caps,
                  "sample_rate_hz", in->sample_rate, "bandwidth_hz", in->bandwidth,
                  "center_freq_hz", in->center_freq, "emulated_freq_hz", in->emulated_freq,
                  "freq_range_hz", in->freq_min, in->freq_max, "rx_gain_db", in->rx_gain_db,
                  "tx_gain_db", in->tx_gain_db, "num_tx", (int)in->num_tx, "num_rx",
                  (int)in->num_rx, "num_rx_aps", (int)in->num_rx_aps, "element_spacing_wl",
                  in->element_spacing_wl, "tx_ap", ap_json(&in->tx_ap, in->num_tx, 0), "rx_aps",
                  aps, "tx_power_dbm", in->tx_power_dbm, "noise_dbm", in->noise_dbm, "noise_var",
                  in->noise_var);
    if (o)
        json_object_set_new(o, "arrays", arrays_json(in));
    return o;
}

static void print_human(const struct isac_radio_info *in)
{
    printf("radio      %s (%s)\n", in->driver, in->serial);
    printf("channels   %u TX, %u RX in %u receive APs\n", in->num_tx, in->num_rx, in->num_rx_aps);
    printf("rates      %.6g S/s, bandwidth %.6g Hz\n", in->sample_rate, in->bandwidth);
    printf("frequency  center %.6g Hz (range %.6g..%.6g Hz), emulated carrier %.6g Hz\n",
           in->center_freq, in->freq_min, in->freq_max, in->emulated_freq);
    printf("gains      RX %.1f dB, TX %.1f dB; TX power %.1f dBm; noise %.2f dBm per sample\n",
           in->rx_gain_db, in->tx_gain_db, in->tx_power_dbm, in->noise_dbm);
    printf("TX AP      (%.1f, %.1f) m, axis %.1f deg, %u elements at", in->tx_ap.x, in->tx_ap.y,
           in->tx_ap.axis_rad * 180 / M_PI, in->num_tx);
    for (unsigned m = 0; m < in->num_tx && m < ISAC_RADIO_MAX_CHANNELS; m++)
        printf(" %.3g", in->tx_pos_wl[m]);
    printf(" wl%s\n", in->positions_nominal ? " (assumed ULA)" : "");
    for (unsigned n = 0; n < in->num_rx_aps && n < ISAC_RADIO_MAX_APS; n++)
        printf("RX AP %u    (%.1f, %.1f) m, axis %.1f deg, %u elements\n", n, in->rx_ap[n].x,
               in->rx_ap[n].y, in->rx_ap[n].axis_rad * 180 / M_PI, in->rx_ap_elements[n]);
    printf("caps      ");
    for (size_t i = 0; i < sizeof CAPS / sizeof CAPS[0]; i++)
        if (in->caps & CAPS[i].flag)
            printf(" %s", CAPS[i].name);
    printf("\n");
}

int cmd_info(int argc, char **argv)
{
    const char *spec = "sim";
    int as_json = 0;
    struct cli_parser p;
    cli_parser_init(&p, &cli_cmd_info, argc, argv);
    for (int c; (c = cli_next(&p)) != CLI_END;) {
        switch (c) {
        case 'r': spec = p.arg; break;
        case 'j': as_json = 1; break;
        case CLI_HELP: return CLI_OK;
        default: return CLI_EUSAGE;
        }
    }
    if (p.next < argc)
        return cli_usage("info", "unexpected argument '%s'", argv[p.next]);
    char err[512];
    isac_radio r = NULL;
    int rc = isac_radio_open_ex(spec, &r, err, sizeof err);
    if (rc == ISAC_EINVAL)
        return cli_usage("info", "%s", err);
    if (rc)
        return cli_runtime_error("info", "%s", err);
    if ((rc = cli_site_limits_apply("info", r))) { /* validated as every command does */
        isac_radio_close(r);
        return rc;
    }
    struct isac_radio_info in;
    rc = isac_radio_get_info(r, &in);
    if (rc) {
        isac_radio_close(r);
        return cli_runtime_error("info", "radio '%s': %s", spec, isac_strerror(rc));
    }
    json_t *truth = NULL;
    if (in.caps & ISAC_RADIO_CAP_TRUTH) {
        char *txt = NULL;
        if (isac_radio_truth_json(r, &txt) == ISAC_OK && txt)
            truth = json_loads(txt, 0, NULL);
        free(txt);
    }
    /* soapy/uhd: channels, gain/frequency ranges, clock and time sources, sensors */
    json_t *hw = NULL;
    char *hwtxt = NULL;
    if (radio_hw_describe_json(r, &hwtxt) == ISAC_OK && hwtxt)
        hw = json_loads(hwtxt, 0, NULL);
    free(hwtxt);
    isac_radio_close(r);
    if (!as_json) {
        print_human(&in);
        if (hw) {
            char *t = json_dumps(hw, JSON_COMPACT);
            printf("hardware   %s\n", t ? t : "");
            free(t);
        }
        json_decref(hw);
        json_decref(truth);
        return CLI_OK;
    }
    json_t *o = info_json(spec, &in);
    if (truth)
        json_object_set_new(o, "truth", truth);
    if (hw)
        json_object_set_new(o, "hardware", hw);
    char *txt = o ? json_dumps(o, JSON_INDENT(2) | JSON_REAL_PRECISION(10)) : NULL;
    json_decref(o);
    if (!txt)
        return cli_runtime_error("info", "cannot format the JSON output");
    puts(txt);
    free(txt);
    return CLI_OK;
}
