/* C side of the isacsim plug-in: a thin layer over isac_radio_open("sim:...") (see header). */
#include "isacsim_c.h"

#include <complex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "radio.h"
#include "radio_uhd_soapy_common.h"
#include "sim/sim.h"

struct isacsim_s {
    isac_radio r;
    struct isac_radio_info info;
};

int isacsim_open(const char *sim_args, isacsim **out, char *err, size_t errlen)
{
    char spec[1100];
    *out = NULL;
    snprintf(spec, sizeof spec, "sim%s%s", sim_args && *sim_args ? ":" : "",
             sim_args ? sim_args : "");
    isacsim *s = calloc(1, sizeof *s);
    if (!s)
        return ISAC_ENOMEM;
    int rc = isac_radio_open_ex(spec, &s->r, err, errlen);
    if (rc == ISAC_OK)
        rc = isac_radio_get_info(s->r, &s->info);
    if (rc) {
        isacsim_close(s);
        return rc;
    }
    *out = s;
    return ISAC_OK;
}

void isacsim_close(isacsim *s)
{
    if (!s)
        return;
    isac_radio_close(s->r);
    free(s);
}

void isacsim_describe(isacsim *s, struct isacsim_desc *d)
{
    isac_radio_get_info(s->r, &s->info);
    d->fs = s->info.sample_rate;
    d->center_freq = s->info.center_freq;
    d->freq_min = s->info.freq_min;
    d->freq_max = s->info.freq_max;
    d->emulated_freq = s->info.emulated_freq;
    d->num_tx = s->info.num_tx;
    d->num_rx = s->info.num_rx;
    snprintf(d->serial, sizeof d->serial, "%s", s->info.serial);
}

/* The emulator's clock is its sample counter: sample_clocked = 1. */
char *isacsim_layout_json(isacsim *s, double noise_scale, double tx_gain_db)
{
    /* The plug-in's CF32 stream has full scale 1 (getNativeStreamFormat says so): the
     * client's transmit guard needs a known full scale for its clipping check. */
    struct isac_radio_info in = s->info;
    if (!(in.full_scale > 0))
        in.full_scale = 1.0;
    in.noise_var *= noise_scale;
    in.tx_power_dbm += tx_gain_db;
    return fe_layout_to_json(&in, 1);
}

char *isacsim_truth_json(isacsim *s)
{
    char *txt = NULL;
    return isac_radio_truth_json(s->r, &txt) == ISAC_OK ? txt : NULL;
}

int isacsim_new_episode(isacsim *s, uint64_t episode)
{
    return isac_radio_new_episode(s->r, episode);
}

int64_t isacsim_now(isacsim *s)
{
    int64_t t = 0;
    isac_radio_get_time(s->r, &t);
    return t;
}

void isacsim_advance(isacsim *s, int64_t t)
{
    isac_sim_advance(isac_radio_get_state(s->r), t);
}

int isacsim_tx(isacsim *s, int64_t t0, const float *const *x, size_t len)
{
    return isac_radio_tx_burst(s->r, t0, (const float complex *const *)x, len);
}

int isacsim_rx(isacsim *s, int64_t t0, float *const *y, size_t len, struct isacsim_rx_md *md)
{
    struct isac_radio_rx_md m;
    /* The `sim` back end's own call: it renders only the rows given (y[ch] != NULL). */
    int rc = isac_sim_rx_capture_some(isac_radio_get_state(s->r), t0, (float complex *const *)y,
                                      len, &m);
    md->dropped_samples = m.dropped_samples;
    md->drop_start_tick = m.drop_start_tick;
    md->overflow = m.overflow;
    return rc;
}

int isacsim_retune(isacsim *s, double hz)
{
    int rc = isac_radio_set_center_freq(s->r, hz);
    isac_radio_get_info(s->r, &s->info);
    return rc;
}

const char *isacsim_last_error(isacsim *s)
{
    return isac_radio_last_error(s->r);
}
