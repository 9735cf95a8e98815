/* Transmit limits proven on what reaches a device: the soapy back end drives the fake
 * transmitter of tests/soapy_fakelog (a SoapySDR module built only for the tests, which
 * logs every setting and every writeStream call to a file). For each limit a burst the
 * limits forbid is refused with ISAC_ESAFETY and one line, and the device's log shows that
 * not one sample reached it; the same burst within the limits does reach it. Covers the
 * classes of issue 15: every TX channel's gain, the TX (not RX) frequency, the TX (not RX)
 * sample rate for the duty cycle, no exemption for a device that offers the emulator's
 * isactb_truth setting, an unknown full scale refused unless the site limits name one, and
 * a set whose member 0 is the transmitter. Skipped when the build has no SoapySDR. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <complex.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/err.h"
#include "radio/radio.h"
#include "radio/safety.h"

#ifdef ISACTB_HAVE_SOAPY

static char logdir[256];
static unsigned nlog;

static int setup(void **state)
{
    (void)state;
    const char *bin = getenv("ISACTB_BIN");
    if (bin) {
        char buf[4096], path[4200];
        snprintf(buf, sizeof buf, "%s", bin);
        char *dir = dirname(dirname(buf));
        snprintf(path, sizeof path, "%s/lib/soapy-test", dir);
        setenv("SOAPY_SDR_PLUGIN_PATH", path, 1);
    }
    snprintf(logdir, sizeof logdir, "/tmp/isactb_fakelog_XXXXXX");
    return mkdtemp(logdir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", logdir);
    return system(cmd) == 0 ? 0 : -1;
}

struct fake {
    isac_radio r;
    char log[300];
};

/* Open soapy:driver=fakelog with a fresh log file and extra arguments. */
static void fake_open(struct fake *f, const char *extra)
{
    snprintf(f->log, sizeof f->log, "%s/%u.log", logdir, nlog++);
    char spec[1024], err[512] = "";
    snprintf(spec, sizeof spec, "soapy:driver=fakelog,log=%s%s%s", f->log, *extra ? "," : "",
             extra);
    int rc = isac_radio_open_ex(spec, &f->r, err, sizeof err);
    if (rc)
        fail_msg("%s: %s", spec, err);
}

/* Lines of the log starting with prefix (0 when there is no log yet). */
static unsigned count(const char *log, const char *prefix)
{
    FILE *fp = fopen(log, "r");
    if (!fp)
        return 0;
    char line[512];
    unsigned n = 0;
    while (fgets(line, sizeof line, fp))
        n += !strncmp(line, prefix, strlen(prefix));
    fclose(fp);
    return n;
}

/* A burst of len samples of magnitude amp on every TX channel, far in the radio's future. */
static int burst(isac_radio r, float amp, size_t len, int64_t t0)
{
    struct isac_radio_info in;
    isac_radio_get_info(r, &in);
    float complex *x[8];
    for (unsigned c = 0; c < in.num_tx; c++) {
        x[c] = malloc(len * sizeof **x);
        for (size_t i = 0; i < len; i++)
            x[c][i] = amp * cexpf(I * (float)(0.01 * (double)i));
    }
    int rc = isac_radio_tx_burst(r, t0, (const float complex *const *)x, len);
    for (unsigned c = 0; c < in.num_tx; c++)
        free(x[c]);
    return rc;
}

/* The burst is refused with one line containing needle, and nothing reached the device. */
static void refused(struct fake *f, float amp, size_t len, const char *needle)
{
    int rc = burst(f->r, amp, len, 1000000);
    const char *e = isac_radio_last_error(f->r);
    if (rc != ISAC_ESAFETY || !strstr(e, needle) || strchr(e, '\n'))
        fail_msg("%s: rc %d, '%s' (want ISAC_ESAFETY and '%s')", f->log, rc, e, needle);
    assert_int_equal(count(f->log, "write "), 0);
}

static void allowed(struct fake *f, float amp, size_t len)
{
    int rc = burst(f->r, amp, len, 1000000);
    if (rc)
        fail_msg("%s: rc %d, '%s' (want the burst sent)", f->log, rc, isac_radio_last_error(f->r));
    assert_true(count(f->log, "write ") >= 1);
}

static void fake_close(struct fake *f)
{
    isac_radio_close(f->r);
    f->r = NULL;
}

static void install(isac_radio r, const char *json)
{
    struct isac_radio_limits l;
    char err[512] = "";
    if (isac_radio_limits_parse(json, strlen(json), "site.json", &l, err, sizeof err))
        fail_msg("limits: %s", err);
    assert_int_equal(isac_radio_set_limits(r, &l), ISAC_OK);
}

static void test_within_limits_reaches_device(void **st)
{
    (void)st;
    struct fake f;
    fake_open(&f, "");
    assert_string_equal(isac_radio_get_limits(f.r)->source, "default limits");
    allowed(&f, 0.5f, 1000);
    fake_close(&f);
}

/* isactb_tx_gain=5:15: channel 0 is within the 10 dB default, channel 1 is not. */
static void test_every_channel_gain(void **st)
{
    (void)st;
    struct fake f;
    fake_open(&f, "isactb_tx_gain=5:15");
    assert_int_equal(count(f.log, "set TX 1 gain 15"), 1); /* the setting did reach it */
    refused(&f, 0.5f, 1000, "TX channel 1 gain 15 dB above max_tx_gain_db 10 dB");
    fake_close(&f);
    fake_open(&f, "isactb_tx_gain=5:10");
    allowed(&f, 0.5f, 1000);
    fake_close(&f);
}

/* The RX side at 2.45 GHz (inside the defaults), the TX side at 5.0 GHz (outside). */
static void test_tx_frequency_not_rx(void **st)
{
    (void)st;
    struct fake f;
    fake_open(&f, "tx_freq=5.0e9");
    refused(&f, 0.5f, 1000, "TX channel 0 band 4.9995-5.0005 GHz");
    fake_close(&f);
}

/* 30,000 samples at a TX rate of 100 kS/s are 0.3 s: 30 % of the 1 s window, above the
 * 25 % default (at the 1 MS/s RX rate they would be 3 %). */
static void test_duty_cycle_at_tx_rate(void **st)
{
    (void)st;
    struct fake f;
    fake_open(&f, "tx_rate=1e5");
    refused(&f, 0.5f, 30000, "duty cycle 0.3 over the last 1 s above max_duty_cycle 0.25");
    allowed(&f, 0.5f, 20000); /* 20 %: within */
    fake_close(&f);
    fake_open(&f, "");
    allowed(&f, 0.5f, 30000); /* the same burst at 1 MS/s */
    fake_close(&f);
}

/* A device offering the emulator's isactb_truth setting is still a transmitter. */
static void test_no_exemption_by_device_setting(void **st)
{
    (void)st;
    struct fake f;
    fake_open(&f, "truth=1,freq=3.5e9");
    struct isac_radio_info in;
    isac_radio_get_info(f.r, &in);
    assert_true(in.caps & ISAC_RADIO_CAP_TRUTH);
    assert_string_equal(isac_radio_get_limits(f.r)->source, "default limits");
    refused(&f, 0.5f, 1000, "TX channel 0 band 3.4995-3.5005 GHz");
    fake_close(&f);
}

/* A device that does not state its full scale transmits only with a tx_full_scale entry. */
static void test_unknown_full_scale(void **st)
{
    (void)st;
    struct fake f;
    fake_open(&f, "native_fs=0");
    refused(&f, 0.5f, 1000, "full scale of soapy:fakelog-0001 unknown (add it to tx_full_scale");
    install(f.r, "{\"format\":\"isactb-site-limits\",\"version\":1,"
                 "\"tx_freq_ranges_hz\":[[2.4e9,2.5e9]],\"max_tx_power_dbm\":20,"
                 "\"max_tx_gain_db\":10,\"max_duty_cycle\":0.5,"
                 "\"tx_full_scale\":{\"soapy:fakelog-0001\":0.8}}");
    refused(&f, 0.9f, 1000, "sample magnitude 0.9 above full scale 0.8 (clipping)");
    allowed(&f, 0.7f, 1000);
    fake_close(&f);
    fake_open(&f, "");
    refused(&f, 1.2f, 1000, "above full scale 1 (clipping)"); /* a stated full scale */
    fake_close(&f);
}

/* Power counts every channel at its own gain: channel 1 at +25 dB dominates. */
static void test_power_every_channel_gain(void **st)
{
    (void)st;
    static const char *site = "{\"format\":\"isactb-site-limits\",\"version\":1,"
                              "\"tx_freq_ranges_hz\":[[2.4e9,2.5e9]],\"max_tx_power_dbm\":10,"
                              "\"max_tx_gain_db\":100,\"max_duty_cycle\":0.5}";
    struct fake f;
    fake_open(&f, "isactb_tx_gain=0:25");
    install(f.r, site);
    refused(&f, 0.5f, 1000, "above max_tx_power_dbm 10 dBm (site.json)");
    fake_close(&f);
    fake_open(&f, "isactb_tx_gain=0:0");
    install(f.r, site);
    allowed(&f, 0.5f, 1000);
    fake_close(&f);
}

/* A set transmits through member 0: its guard, and limits installed on the set, apply. */
static void test_set_member_guarded(void **st)
{
    (void)st;
    char log[300], spec[700], err[512] = "";
    snprintf(log, sizeof log, "%s/set.log", logdir);
    snprintf(spec, sizeof spec, "set:[soapy:driver=fakelog,log=%s,tx_freq=5.0e9]", log);
    isac_radio r = NULL;
    if (isac_radio_open_ex(spec, &r, err, sizeof err))
        fail_msg("%s: %s", spec, err);
    int rc = burst(r, 0.5f, 1000, 1000000);
    assert_int_equal(rc, ISAC_ESAFETY);
    assert_non_null(strstr(isac_radio_last_error(r), "TX channel 0 band"));
    assert_int_equal(count(log, "write "), 0);
    install(r, "{\"format\":\"isactb-site-limits\",\"version\":1,"
               "\"tx_freq_ranges_hz\":[[4.9e9,5.1e9]],\"max_tx_power_dbm\":10,"
               "\"max_tx_gain_db\":0,\"max_duty_cycle\":0.5}");
    rc = burst(r, 0.5f, 1000, 1000000);
    if (rc)
        fail_msg("set within the installed limits: rc %d, '%s'", rc, isac_radio_last_error(r));
    assert_true(count(log, "write ") >= 1);
    isac_radio_close(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_within_limits_reaches_device),
        cmocka_unit_test(test_every_channel_gain),
        cmocka_unit_test(test_tx_frequency_not_rx),
        cmocka_unit_test(test_duty_cycle_at_tx_rate),
        cmocka_unit_test(test_no_exemption_by_device_setting),
        cmocka_unit_test(test_unknown_full_scale),
        cmocka_unit_test(test_power_every_channel_gain),
        cmocka_unit_test(test_set_member_guarded),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}

#else
int main(void)
{
    printf("SKIP: built without SoapySDR\n");
    return 0;
}
#endif
