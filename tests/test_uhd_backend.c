/* The uhd back end without a device: spec parsing (device args vs isactb keys,
 * subdevice specs, clock/time sources and the time-set default, lists), the shared
 * channel-map / AP-layout parsers of the hardware back ends, UHD error mapping and
 * one-line texts, and (when built with UHD) the clear one-line failure with exit
 * status 3 of `isactb info/run --radio uhd:...` when no USRP is found. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "common/err.h"
#include "radio/radio.h"
#include "radio/radio_uhd_config.h"
#include "radio/radio_uhd_soapy_common.h"

static void test_parse_defaults(void **state)
{
    (void)state;
    struct radio_uhd_config c;
    char err[256] = "";
    assert_int_equal(radio_uhd_parse("type=x300,addr=192.168.40.2", &c, err, sizeof err), ISAC_OK);
    assert_string_equal(c.a.pass, "type=x300,addr=192.168.40.2");
    assert_int_equal(c.a.num_own, 0);
    assert_int_equal(c.time_set, UHD_TS_NOW);
    assert_string_equal(c.otw, "sc16");
    assert_string_equal(c.clock, "");
    assert_true(c.lead == 0.2 && c.timeout == 1.0 && c.rate == 0 && c.freq == 0);
    assert_int_equal(c.txrx_delay, 0);
    assert_int_equal(radio_uhd_parse("", &c, err, sizeof err), ISAC_OK);
    assert_string_equal(c.a.pass, "");
}

static void test_parse_full(void **state)
{
    (void)state;
    struct radio_uhd_config c;
    char err[256] = "";
    const char *spec = "type=x300,addr=10.0.0.2,isactb_rx=0-3,isactb_aps=2x2,"
                       "isactb_rx_subdev=A:0 A:1 B:0 B:1,isactb_clock=external,"
                       "isactb_time=external,isactb_rate=25e6,isactb_freq=3.5e9,"
                       "isactb_rx_gain=30:30:28:28,isactb_lo_source=companion,"
                       "isactb_lo_export=0,isactb_txrx_delay=-12,master_clock_rate=200e6,"
                       "isactb_otw=sc8";
    assert_int_equal(radio_uhd_parse(spec, &c, err, sizeof err), ISAC_OK);
    assert_string_equal(c.a.pass, "type=x300,addr=10.0.0.2,master_clock_rate=200e6");
    assert_string_equal(c.rx_subdev, "A:0 A:1 B:0 B:1");
    assert_string_equal(c.clock, "external");
    assert_int_equal(c.time_set, UHD_TS_UNKNOWN_PPS); /* external time -> PPS by default */
    assert_true(c.rate == 25e6 && c.freq == 3.5e9);
    assert_string_equal(c.lo_source, "companion");
    assert_int_equal(c.txrx_delay, -12);
    assert_string_equal(c.otw, "sc8");
    assert_string_equal(fe_get(&c.a, "rx_gain"), "30:30:28:28");
    assert_int_equal(
        radio_uhd_parse("isactb_time=gpsdo,isactb_time_set=next_pps", &c, err, sizeof err),
        ISAC_OK);
    assert_int_equal(c.time_set, UHD_TS_NEXT_PPS);
}

static void parse_bad(const char *spec, const char *needle)
{
    struct radio_uhd_config c;
    char err[256] = "";
    int rc = radio_uhd_parse(spec, &c, err, sizeof err);
    printf("'%s' -> %d: %s\n", spec, rc, err);
    assert_int_equal(rc, ISAC_EINVAL);
    assert_non_null(strstr(err, needle));
    assert_null(strchr(err, '\n'));
}

static void test_parse_errors(void **state)
{
    (void)state;
    parse_bad("type=b200,isactb_bogus=1", "unknown argument 'isactb_bogus'");
    parse_bad("isactb_clock=atomic", "internal|external|gpsdo|mimo");
    parse_bad("isactb_time_set=later", "now|next_pps|unknown_pps");
    parse_bad("isactb_txrx_delay=1.5", "whole number");
    parse_bad("isactb_rate=-5", "isactb_rate=-5");
    parse_bad("isactb_rate=1e6,isactb_rate=2e6", "duplicated");
    parse_bad("type=b200,,addr=1", "stray ','");
    parse_bad("type", "expected key=value");
    parse_bad("isactb_otw=fc64", "sc16|sc12|sc8");
}

static void test_channel_lists(void **state)
{
    (void)state;
    unsigned ch[ISAC_RADIO_MAX_CHANNELS], n;
    char err[256];
    assert_int_equal(
        fe_parse_channels("0-3:8:10-11", 16, ch, ISAC_RADIO_MAX_CHANNELS, &n, err, sizeof err),
        ISAC_OK);
    assert_int_equal(n, 7);
    unsigned want[] = {0, 1, 2, 3, 8, 10, 11};
    assert_memory_equal(ch, want, sizeof want);
    assert_int_equal(fe_parse_channels("5:1", 16, ch, ISAC_RADIO_MAX_CHANNELS, &n, err, sizeof err),
                     ISAC_OK);
    assert_true(n == 2 && ch[0] == 5 && ch[1] == 1); /* order is the radio's channel order */
    assert_int_equal(fe_parse_channels("3-1", 16, ch, 8, &n, err, sizeof err), ISAC_EINVAL);
    assert_int_equal(fe_parse_channels("0:0", 16, ch, 8, &n, err, sizeof err), ISAC_EINVAL);
    assert_non_null(strstr(err, "repeated"));
    assert_int_equal(fe_parse_channels("0-4", 4, ch, 8, &n, err, sizeof err), ISAC_EINVAL);
    assert_non_null(strstr(err, "has 4"));
    assert_int_equal(fe_parse_channels("a", 4, ch, 8, &n, err, sizeof err), ISAC_EINVAL);
    assert_int_equal(fe_parse_channels("1,2", 4, ch, 8, &n, err, sizeof err), ISAC_EINVAL);
}

static void test_aps_values_words(void **state)
{
    (void)state;
    unsigned cnt[ISAC_RADIO_MAX_APS], n;
    char err[256];
    assert_int_equal(fe_parse_aps("4x16", 64, cnt, &n, err, sizeof err), ISAC_OK);
    assert_true(n == 4 && cnt[3] == 16);
    assert_int_equal(fe_parse_aps("16:16:8", 40, cnt, &n, err, sizeof err), ISAC_OK);
    assert_true(n == 3 && cnt[2] == 8);
    assert_int_equal(fe_parse_aps("4x16", 32, cnt, &n, err, sizeof err), ISAC_EINVAL);
    assert_non_null(strstr(err, "32 RX channels"));
    assert_int_equal(fe_parse_aps("17x1", 17, cnt, &n, err, sizeof err), ISAC_EINVAL);
    assert_int_equal(fe_parse_aps("0x4", 0, cnt, &n, err, sizeof err), ISAC_EINVAL);
    double v[4];
    assert_int_equal(fe_parse_values("30", 4, 0, 100, v, err, sizeof err), ISAC_OK);
    assert_true(v[0] == 30 && v[3] == 30);
    assert_int_equal(fe_parse_values("1:2:3:4", 4, 0, 100, v, err, sizeof err), ISAC_OK);
    assert_true(v[3] == 4);
    assert_int_equal(fe_parse_values("1:2", 4, 0, 100, v, err, sizeof err), ISAC_EINVAL);
    assert_int_equal(fe_parse_values("200", 1, 0, 100, v, err, sizeof err), ISAC_EINVAL);
    char w[3][32];
    assert_int_equal(fe_parse_words("TX/RX:RX2:RX1", 3, w, err, sizeof err), ISAC_OK);
    assert_string_equal(w[0], "TX/RX");
    assert_string_equal(w[2], "RX1");
    struct isac_geom_ap ap;
    assert_int_equal(fe_parse_geom("100:400:45", &ap, err, sizeof err), ISAC_OK);
    assert_true(ap.x == 100 && ap.y == 400 && fabs(ap.axis_rad - M_PI / 4) < 1e-15);
    assert_int_equal(fe_parse_geom("100:400", &ap, err, sizeof err), ISAC_EINVAL);
}

static void test_layout(void **state)
{
    (void)state;
    struct fe_args a;
    struct isac_radio_info in;
    char err[256] = "";
    static const char *const keys[] = {"aps", "tx_ap", "rx_ap*", "spacing", "emulated_freq", NULL};
    /* default: one AP with every RX channel, seed-004 geometry */
    memset(&in, 0, sizeof in);
    in.num_rx = 4;
    assert_int_equal(fe_args_split("t", "", keys, &a, err, sizeof err), ISAC_OK);
    assert_int_equal(fe_layout("t", &a, &in, err, sizeof err), ISAC_OK);
    assert_true(in.num_rx_aps == 1 && in.rx_ap_elements[0] == 4 && in.element_spacing_wl == 0.5);
    assert_true(in.tx_ap.x == 250 && in.rx_ap[0].x == 100 && in.emulated_freq == 28e9);
    /* RX AP 0 faces the TX AP: its broadside (axis - 90 deg) points at (250, 250) */
    assert_true(fabs(in.rx_ap[0].axis_rad - 3 * M_PI / 4) < 1e-12);
    /* more than 4 APs need explicit geometry */
    memset(&in, 0, sizeof in);
    in.num_rx = 5;
    assert_int_equal(fe_args_split("t", "isactb_aps=5x1", keys, &a, err, sizeof err), ISAC_OK);
    assert_int_equal(fe_layout("t", &a, &in, err, sizeof err), ISAC_EINVAL);
    assert_non_null(strstr(err, "isactb_rx_ap4"));
    memset(&in, 0, sizeof in);
    in.num_rx = 5;
    assert_int_equal(fe_args_split("t", "isactb_aps=5x1,isactb_rx_ap4=0:0:90,isactb_spacing=0.7",
                                   keys, &a, err, sizeof err),
                     ISAC_OK);
    assert_int_equal(fe_layout("t", &a, &in, err, sizeof err), ISAC_OK);
    assert_true(in.num_rx_aps == 5 && in.element_spacing_wl == 0.7);
    /* the JSON a device describes its layout with round-trips */
    in.caps = ISAC_RADIO_CAP_LO_SHARED;
    in.noise_var = 1.0;
    char *j = fe_layout_to_json(&in, 1);
    struct isac_radio_info back;
    int clocked = 0;
    memset(&back, 0, sizeof back);
    assert_int_equal(fe_layout_from_json(j, &back, &clocked, err, sizeof err), ISAC_OK);
    free(j);
    assert_true(clocked == 1 && back.num_rx_aps == 5 &&
                back.rx_ap[4].axis_rad == in.rx_ap[4].axis_rad);
    assert_true(back.caps & ISAC_RADIO_CAP_LO_SHARED);
    assert_int_equal(fe_layout_from_json("{\"rx_ap\":[]}", &back, &clocked, err, sizeof err),
                     ISAC_EFORMAT);
}

static void test_error_mapping(void **state)
{
    (void)state;
    assert_int_equal(radio_uhd_map_error(0, 0), ISAC_OK);
    assert_int_equal(radio_uhd_map_error(43, 0), ISAC_EINVAL);  /* VALUE */
    assert_int_equal(radio_uhd_map_error(11, 0), ISAC_EINVAL);  /* KEY */
    assert_int_equal(radio_uhd_map_error(20, 0), ISAC_ENOTSUP); /* NOT_IMPLEMENTED */
    assert_int_equal(radio_uhd_map_error(30, 0), ISAC_ERADIO);  /* IO */
    assert_int_equal(radio_uhd_map_error(100, 0), ISAC_ERADIO); /* UNKNOWN */
    assert_int_equal(radio_uhd_map_error(11, 1), ISAC_ERADIO);  /* make: no device */
    char out[64];
    radio_uhd_one_line("  LookupError: KeyError:\n  No devices found for\n----->\tx  \n", out,
                       sizeof out);
    assert_string_equal(out, "LookupError: KeyError: No devices found for -----> x");
}

/* Run the tool; returns its exit status and the first stderr line. */
static int run_tool(const char *args, char *line, size_t len)
{
    const char *bin = getenv("ISACTB_BIN");
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "%s %s 2>&1 >/dev/null", bin, args);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    size_t lines = 0;
    char buf[1024];
    line[0] = '\0';
    while (fgets(buf, sizeof buf, p))
        if (lines++ == 0)
            snprintf(line, len, "%s", buf);
    int st = pclose(p);
    printf("isactb %s -> %d (%zu stderr lines): %s", args, WEXITSTATUS(st), lines, line);
    assert_int_equal(lines, 1); /* one line, no UHD log chatter */
    return WEXITSTATUS(st);
}

static void test_no_device(void **state)
{
    (void)state;
#ifdef ISACTB_HAVE_UHD
    char err[512] = "";
    isac_radio r = NULL;
    /* 192.0.2.0/24 is TEST-NET-1: never a USRP */
    int rc = isac_radio_open_ex("uhd:type=x300,addr=192.0.2.1,isactb_rx=0:1", &r, err, sizeof err);
    printf("%s\n", err);
    assert_int_equal(rc, ISAC_ERADIO);
    assert_null(r);
    assert_null(strchr(err, '\n'));
    assert_non_null(strstr(err, "no UHD device found for 'type=x300,addr=192.0.2.1'"));
    if (!getenv("ISACTB_BIN"))
        return;
    char line[1024];
    assert_int_equal(run_tool("info --radio uhd:type=x300,addr=192.0.2.1", line, sizeof line), 3);
    assert_non_null(strstr(line, "no UHD device found"));
    assert_int_equal(run_tool("info --radio uhd:type=b200 --json", line, sizeof line), 3);
    assert_int_equal(run_tool("run --radio uhd:type=b200 --episodes 1 --quiet", line, sizeof line),
                     3);
    assert_int_equal(run_tool("info --radio uhd:isactb_clock=atomic", line, sizeof line), 2);
    assert_non_null(strstr(line, "isactb_clock"));
#else
    skip();
#endif
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_defaults),   cmocka_unit_test(test_parse_full),
        cmocka_unit_test(test_parse_errors),     cmocka_unit_test(test_channel_lists),
        cmocka_unit_test(test_aps_values_words), cmocka_unit_test(test_layout),
        cmocka_unit_test(test_error_mapping),    cmocka_unit_test(test_no_device),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
