/* SigMF captures: SHA-512 vectors, writer/reader round trip with drops (bit-exact,
 * gaps zero-filled), temp-then-rename crash safety, the `file` radio back end, and
 * every malformed-input case giving its one-line message.
 *
 * `test_sigmf --write DIR` writes the reference capture (the one the round trip
 * checks) into DIR and exits: tests/e2e_sigmf_schema.sh validates it against the
 * official SigMF schemas. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "array/array.h"
#include "array/codebook.h"
#include "common/err.h"
#include "common/rng.h"
#include "hash.h"
#include "radio_file.h"
#include "sigmf.h"

#define NRX 6
#define NCPI 12
#define LEN 256
#define TXLEN 64
#define NAME "cap"

/* ----------------------------------------------------------- fixtures */

static struct isac_radio_info ref_info(void)
{
    struct isac_radio_info in;
    memset(&in, 0, sizeof in);
    snprintf(in.driver, sizeof in.driver, "sim");
    snprintf(in.serial, sizeof in.serial, "sim-7");
    in.caps = ISAC_RADIO_CAP_TIMED_TX | ISAC_RADIO_CAP_TIMED_RX | ISAC_RADIO_CAP_TRUTH;
    in.sample_rate = 20e6;
    in.center_freq = 2.4e9;
    in.emulated_freq = 28e9;
    in.bandwidth = 18e6;
    in.num_tx = 4;
    in.num_rx = NRX;
    in.num_rx_aps = 2;
    in.rx_ap_elements[0] = 4;
    in.rx_ap_elements[1] = 2;
    in.element_spacing_wl = 0.5;
    in.tx_ap = (struct isac_geom_ap){0, 0, 0.25};
    in.rx_ap[0] = (struct isac_geom_ap){400, 0, 1.5};
    in.rx_ap[1] = (struct isac_geom_ap){0, 400, -0.5};
    in.tx_power_dbm = 20;
    in.noise_dbm = NAN; /* unknown: omitted from the JSON, read back as NaN */
    in.noise_var = 1e-3;
    return in;
}

/* Drop pattern of CPI k: {offset into the window, count}; count 0 = none. */
static void drop_of(int k, size_t *off, size_t *cnt)
{
    static const size_t tab[NCPI][2] = {{0, 0},   {100, 50}, {0, 0}, {0, 30}, {200, 56}, {0, 0},
                                        {0, LEN}, {0, 0},    {1, 1}, {0, 0},  {0, 0},    {255, 1}};
    *off = tab[k][0];
    *cnt = tab[k][1];
}

static int64_t tick_of(int k)
{
    return 1000 + (int64_t)k * 1000 + (k > 5 ? 777 : 0);
}
static size_t txlen_of(int k)
{
    return k == 2 ? 0 : TXLEN;
}

/* Samples of CPI k (radio buffer: the gap already zero-filled as radio.h says). */
static void cpi_samples(int k, float complex rx[NRX][LEN], float complex tx[TXLEN])
{
    isac_rng g;
    isac_rng_seed_stream(&g, 2024, (uint64_t)k);
    size_t off, cnt;
    drop_of(k, &off, &cnt);
    for (int ch = 0; ch < NRX; ch++)
        for (int i = 0; i < LEN; i++)
            rx[ch][i] = ((size_t)i >= off && (size_t)i < off + cnt)
                            ? 0
                            : (float complex)isac_rng_cnormal(&g, 1.0);
    for (int i = 0; i < TXLEN; i++)
        tx[i] = (float complex)isac_rng_cnormal(&g, 1.0);
}

static const double phase_deg[NRX] = {0, 12.5, -40, 179.9, 3, -90};

static int write_reference(const char *dir, size_t ncpi, char *err, size_t errlen)
{
    struct isac_radio_info in = ref_info();
    json_t *glob = json_pack("{s:{s:s,s:i}}", "isactb:config", "policy", "sweep", "episodes", 3);
    struct isac_sigmf_writer_desc d = {&in, glob, phase_deg, "unit-test capture", "isactb tests",
                                       NULL};
    isac_sigmf_writer w = isac_sigmf_writer_create(dir, NAME, &d, err, errlen);
    json_decref(glob);
    if (!w)
        return ISAC_EINVAL;
    static float complex rx[NRX][LEN], tx[TXLEN];
    for (size_t k = 0; k < ncpi; k++) {
        cpi_samples((int)k, rx, tx);
        const float complex *p[NRX];
        for (int ch = 0; ch < NRX; ch++)
            p[ch] = rx[ch];
        size_t off, cnt;
        drop_of((int)k, &off, &cnt);
        struct isac_radio_rx_md md = {tick_of((int)k), LEN, cnt, tick_of((int)k) + (int64_t)off,
                                      k == 4};
        json_t *ann = json_pack("{s:i,s:[f,f],s:{s:f},s:[{s:f,s:f}]}", "isactb:beam", (int)k % 5,
                                "isactb:weights", 0.5, -0.5, "isactb:waveform", "bandwidth", 18e6,
                                "isactb:detections", "x", 10.0 * (double)k, "stat", 3.5);
        struct isac_sigmf_cpi c = {tick_of((int)k),  p,   LEN,  &md, tick_of((int)k) - 100, tx,
                                   txlen_of((int)k), ann, NULL, NULL};
        int rc = isac_sigmf_writer_append_cpi(w, &c);
        json_decref(ann);
        if (rc) {
            snprintf(err, errlen, "%s", isac_sigmf_writer_last_error(w));
            isac_sigmf_writer_abort(w);
            return rc;
        }
    }
    return isac_sigmf_writer_finish(w, err, errlen);
}

static char *make_tmpdir(void)
{
    const char *t = getenv("TMPDIR");
    char buf[512];
    snprintf(buf, sizeof buf, "%s/test_sigmf.XXXXXX", t && *t ? t : "/tmp");
    char *p = mkdtemp(buf);
    assert_non_null(p);
    return strdup(p);
}

static void rm_rf(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *de;
    char p[1024];
    while ((de = readdir(d)))
        if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..")) {
            snprintf(p, sizeof p, "%s/%s", dir, de->d_name);
            unlink(p);
        }
    closedir(d);
    rmdir(dir);
}

static int count_suffix(const char *dir, const char *suffix)
{
    DIR *d = opendir(dir);
    int n = 0;
    struct dirent *de;
    size_t m = strlen(suffix);
    while (d && (de = readdir(d))) {
        size_t k = strlen(de->d_name);
        n += k >= m && !strcmp(de->d_name + k - m, suffix);
    }
    if (d)
        closedir(d);
    return n;
}

static int count_files(const char *dir)
{
    return count_suffix(dir, "") - 2; /* minus . and .. */
}

static char *path(const char *dir, const char *file)
{
    static char buf[4][1024];
    static int i;
    i = (i + 1) % 4;
    snprintf(buf[i], sizeof buf[i], "%s/%s", dir, file);
    return buf[i];
}

/* ------------------------------------------------ SHA-512 / SHA-256 (libcrypto) */

static void test_sha512_vectors(void **st)
{
    (void)st;
    char hex[129];
    isac_cap_hash_hex(ISAC_CAP_SHA512, "", 0, hex);
    assert_string_equal(hex, "cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce"
                             "47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e");
    isac_cap_hash_hex(ISAC_CAP_SHA256, "abc", 3, hex); /* FIPS 180-2 B.1 */
    assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    isac_cap_hash_hex(ISAC_CAP_SHA512, "abc", 3, hex);
    assert_string_equal(hex, "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
                             "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f");
    const char *m =
        "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopq"
        "klmnopqrlmnopqrsmnopqrstnopqrstu"; /* 112 bytes: two-block padding */
    isac_cap_hash_hex(ISAC_CAP_SHA512, m, strlen(m), hex);
    assert_string_equal(hex, "8e959b75dae313da8cf4f72814fc143f8f7779c6eb9f7fa17299aeadb6889018"
                             "501d289e4900f7e4331b99dec4b5433ac7d329eeb6dd26545e96e55b874be909");
    /* 1000 bytes (i*7+3) mod 256 fed in uneven pieces; golden from Python hashlib */
    unsigned char buf[1000];
    for (int i = 0; i < 1000; i++)
        buf[i] = (unsigned char)((i * 7 + 3) & 255);
    struct isac_cap_hash s;
    assert_int_equal(isac_cap_hash_init(&s, ISAC_CAP_SHA512), ISAC_OK);
    for (size_t off = 0, step = 1; off < 1000; off += step, step = step * 3 % 257 + 1)
        isac_cap_hash_update(&s, buf + off, off + step > 1000 ? 1000 - off : step);
    assert_int_equal(isac_cap_hash_peek(&s, hex), ISAC_OK);
    isac_cap_hash_free(&s);
    assert_string_equal(hex, "00e36fccf193e59697a92b5ab24666ce6326d7fa16bf10832d0991ddc591112e"
                             "9dfa6a636950ed9c4d67344a760654c2ff7785e1d60094d651038735b5dccabd");
}

/* ------------------------------------------------------------ round trip */

static void check_reference(isac_sigmf_reader r, size_t ncpi)
{
    assert_int_equal(isac_sigmf_reader_num_cpis(r), ncpi);
    assert_int_equal(isac_sigmf_reader_num_rx(r), NRX);
    assert_true(isac_sigmf_reader_sample_rate(r) == 20e6);
    struct isac_radio_info a = ref_info(), b;
    isac_sigmf_reader_radio_info(r, &b);
    assert_string_equal(b.driver, "sim");
    assert_string_equal(b.serial, "sim-7");
    assert_int_equal(b.caps, a.caps);
    assert_true(b.num_rx_aps == 2 && b.rx_ap_elements[0] == 4 && b.rx_ap_elements[1] == 2);
    assert_true(b.rx_ap[1].y == 400 && b.rx_ap[1].axis_rad == -0.5 && b.tx_ap.axis_rad == 0.25);
    assert_true(b.emulated_freq == 28e9 && b.tx_power_dbm == 20 && isnan(b.noise_dbm));
    assert_true(b.noise_var == 1e-3 && b.bandwidth == 18e6 && b.element_spacing_wl == 0.5);
    const json_t *g = isac_sigmf_reader_global(r);
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(g, "isactb:config"), "policy")), "sweep");
    static float complex rx[NRX][LEN], want[NRX][LEN], tx[TXLEN], wtx[TXLEN];
    float complex *p[NRX];
    for (int ch = 0; ch < NRX; ch++)
        p[ch] = rx[ch];
    for (size_t k = 0; k < ncpi; k++) {
        cpi_samples((int)k, want, wtx);
        for (int ch = 0; ch < NRX; ch++)
            for (int i = 0; i < LEN; i++)
                rx[ch][i] = 12345.0f; /* the reader must overwrite every sample */
        struct isac_radio_rx_md md;
        assert_int_equal(isac_sigmf_reader_read_cpi(r, k, p, LEN, &md), ISAC_OK);
        assert_memory_equal(rx, want, sizeof rx); /* bit-exact, gap zero-filled */
        size_t off, cnt;
        drop_of((int)k, &off, &cnt);
        assert_int_equal(md.start_tick, tick_of((int)k));
        assert_int_equal(md.num_samples, LEN);
        assert_int_equal(md.dropped_samples, cnt);
        if (cnt)
            assert_int_equal(md.drop_start_tick, tick_of((int)k) + (int64_t)off);
        assert_int_equal(md.overflow, k == 4);
        struct isac_sigmf_cpi_info ci;
        assert_int_equal(isac_sigmf_reader_cpi_info(r, k, &ci), ISAC_OK);
        assert_int_equal(ci.txlen, txlen_of((int)k));
        assert_int_equal(ci.tx_tick, tick_of((int)k) - 100);
        assert_int_equal(ci.num_gaps, cnt ? 1 : 0);
        assert_int_equal(isac_sigmf_reader_read_txref(r, k, tx, ci.txlen), ISAC_OK);
        assert_memory_equal(tx, wtx, ci.txlen * sizeof *tx);
        const json_t *ann = isac_sigmf_reader_cpi_annotation(r, k);
        assert_int_equal(json_integer_value(json_object_get(ann, "isactb:beam")), (int)k % 5);
        assert_int_equal(json_integer_value(json_object_get(ann, "isactb:tick")), tick_of((int)k));
        assert_true(json_is_array(json_object_get(ann, "isactb:detections")));
    }
    assert_int_equal(isac_sigmf_reader_read_cpi(r, ncpi, p, LEN, NULL), ISAC_EINVAL);
    assert_int_equal(isac_sigmf_reader_read_cpi(r, 0, p, LEN - 1, NULL), ISAC_EINVAL);
    assert_int_equal(isac_sigmf_reader_verify_data(r), ISAC_OK);
}

static void test_roundtrip(void **st)
{
    (void)st;
    char *dir = make_tmpdir(), err[600];
    assert_int_equal(write_reference(dir, NCPI, err, sizeof err), ISAC_OK);
    assert_int_equal(count_files(dir), 1 + 2 * (NRX + 1)); /* no temporaries left */
    assert_int_equal(count_suffix(dir, ".tmp"), 0);
    const char *opens[] = {dir, path(dir, NAME ".sigmf-collection"),
                           path(dir, NAME "-rx3.sigmf-meta"), path(dir, NAME "-txref.sigmf-meta")};
    for (int i = 0; i < 4; i++) {
        isac_sigmf_reader r = isac_sigmf_reader_open(opens[i], err, sizeof err);
        if (!r)
            fail_msg("open %s: %s", opens[i], err);
        check_reference(r, NCPI);
        isac_sigmf_reader_close(r);
    }
    /* the data files hold exactly the kept samples: 12 windows of 256 minus the drops */
    struct stat sb;
    assert_int_equal(stat(path(dir, NAME "-rx0.sigmf-data"), &sb), 0);
    assert_int_equal(sb.st_size, (NCPI * LEN - (50 + 30 + 56 + LEN + 1 + 1)) * 8);
    rm_rf(dir);
    free(dir);
}

/* finish() at any CPI boundary, including with no CPI at all. */
static void test_finish_early(void **st)
{
    (void)st;
    char *dir = make_tmpdir(), err[600];
    assert_int_equal(write_reference(dir, 0, err, sizeof err), ISAC_OK);
    isac_sigmf_reader r = isac_sigmf_reader_open(dir, err, sizeof err);
    if (!r)
        fail_msg("%s", err);
    assert_int_equal(isac_sigmf_reader_num_cpis(r), 0);
    isac_sigmf_reader_close(r);
    rm_rf(dir);
    assert_int_equal(mkdir(dir, 0755), 0);
    assert_int_equal(write_reference(dir, 5, err, sizeof err), ISAC_OK);
    r = isac_sigmf_reader_open(dir, err, sizeof err);
    if (!r)
        fail_msg("%s", err);
    check_reference(r, 5);
    isac_sigmf_reader_close(r);
    /* a finished capture is never overwritten */
    struct isac_radio_info in = ref_info();
    struct isac_sigmf_writer_desc d = {.info = &in};
    assert_null(isac_sigmf_writer_create(dir, NAME, &d, err, sizeof err));
    assert_non_null(strstr(err, NAME ".sigmf-collection: exists: refusing to overwrite"));
    rm_rf(dir);
    free(dir);
}

/* Plans round trip through a capture: codebook beams as {"beam": q}, full plans with
 * element positions (recorded as "unchanged" when they repeat) and comm streams. */
static void test_plan_roundtrip(void **st)
{
    (void)st;
    char *dir = make_tmpdir(), err[600];
    struct isac_radio_info in = ref_info();
    isac_array a = isac_array_create_ula(in.num_tx, 0.5);
    isac_codebook cb = isac_codebook_create_dft(a, 16, -M_PI / 2, M_PI / 2);
    isac_array_destroy(a);
    assert_non_null(cb);
    isac_tx_plan plans[5] = {isac_tx_plan_from_beam(cb, 3), isac_tx_plan_from_beam(cb, 5),
                             isac_tx_plan_from_beam(cb, 5), isac_tx_plan_from_beam(cb, 9),
                             isac_tx_plan_create(in.num_tx, 1, 1)};
    double pos[ISAC_RADIO_MAX_CHANNELS];
    for (unsigned m = 0; m < in.num_tx; m++)
        pos[m] = 0.5 * m + (m == 1 ? 0.125 : 0);
    assert_int_equal(isac_tx_plan_set_positions(plans[1], pos), ISAC_OK);
    assert_int_equal(isac_tx_plan_set_positions(plans[2], pos), ISAC_OK); /* unchanged */
    pos[0] = -0.25;
    assert_int_equal(isac_tx_plan_set_positions(plans[3], pos), ISAC_OK);
    float complex *P = isac_tx_plan_precoder(plans[4], 0);
    for (unsigned i = 0; i < in.num_tx * 2; i++)
        P[i] = (float)(i + 1) * 0.1f - 0.2f * I;
    struct isac_sigmf_writer_desc d = {.info = &in};
    isac_sigmf_writer w = isac_sigmf_writer_create(dir, NAME, &d, err, sizeof err);
    assert_non_null(w);
    static float complex rx[NRX][LEN], tx[TXLEN];
    const float complex *p[NRX];
    for (int ch = 0; ch < NRX; ch++)
        p[ch] = rx[ch];
    for (int k = 0; k < 5; k++) {
        cpi_samples(k, rx, tx);
        struct isac_sigmf_cpi c = {tick_of(k), p,     LEN,  NULL, tick_of(k),
                                   tx,         TXLEN, NULL, NULL, plans[k]};
        assert_int_equal(isac_sigmf_writer_append_cpi(w, &c), ISAC_OK);
    }
    assert_int_equal(isac_sigmf_writer_finish(w, err, sizeof err), ISAC_OK);
    isac_sigmf_reader r = isac_sigmf_reader_open(dir, err, sizeof err);
    if (!r)
        fail_msg("%s", err);
    for (size_t k = 0; k < 5; k++) {
        isac_tx_plan got = isac_sigmf_reader_cpi_plan(r, k, cb, err, sizeof err);
        if (!got)
            fail_msg("CPI %zu: %s", k, err);
        assert_true(isac_tx_plan_equal(got, plans[k]));
        isac_tx_plan_destroy(got);
    }
    const json_t *p2 = json_object_get(isac_sigmf_reader_cpi_annotation(r, 0), "isactb:plan");
    assert_true(json_integer_value(json_object_get(p2, "beam")) == 3 && json_object_size(p2) == 1);
    isac_sigmf_reader_close(r);
    char cpath[700];
    snprintf(cpath, sizeof cpath, "%s/" NAME ".sigmf-collection", dir);
    json_error_t je;
    json_t *coll = json_load_file(cpath, 0, &je); /* repeated positions stored once */
    assert_non_null(coll);
    json_t *rec2 =
        json_array_get(json_object_get(json_object_get(coll, "collection"), "isactb:cpis"), 2);
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(rec2, "isactb:plan"), "positions_wl")),
        "unchanged");
    json_decref(coll);
    for (int k = 0; k < 5; k++)
        isac_tx_plan_destroy(plans[k]);
    isac_codebook_destroy(cb);
    rm_rf(dir);
    free(dir);
}

/* While recording (or after a crash) nothing looks complete; abort removes everything. */
static void test_abort_leaves_nothing(void **st)
{
    (void)st;
    char *dir = make_tmpdir(), err[600];
    struct isac_radio_info in = ref_info();
    struct isac_sigmf_writer_desc d = {.info = &in};
    isac_sigmf_writer w = isac_sigmf_writer_create(dir, NAME, &d, err, sizeof err);
    assert_non_null(w);
    static float complex rx[NRX][LEN], tx[TXLEN];
    const float complex *p[NRX];
    for (int ch = 0; ch < NRX; ch++)
        p[ch] = rx[ch];
    for (int k = 0; k < 3; k++) {
        cpi_samples(0, rx, tx);
        struct isac_sigmf_cpi c = {tick_of(k), p,     LEN,  NULL, tick_of(k),
                                   tx,         TXLEN, NULL, NULL, NULL};
        assert_int_equal(isac_sigmf_writer_append_cpi(w, &c), ISAC_OK);
    }
    assert_int_equal(isac_sigmf_writer_num_cpis(w), 3);
    /* mid-run: only .sigmf-data.tmp files, which the reader refuses */
    assert_int_equal(count_suffix(dir, ".sigmf-meta"), 0);
    assert_int_equal(count_suffix(dir, ".sigmf-data"), 0);
    assert_int_equal(count_suffix(dir, ".sigmf-collection"), 0);
    assert_int_equal(count_suffix(dir, ".sigmf-data.tmp"), NRX + 1);
    assert_null(isac_sigmf_reader_open(dir, err, sizeof err));
    char want[1100];
    snprintf(want, sizeof want, "%s: no .sigmf-collection file: not a finished capture", dir);
    assert_string_equal(err, want);
    isac_sigmf_writer_abort(w);
    assert_int_equal(count_files(dir), 0);
    rm_rf(dir);
    free(dir);
}

static void test_writer_rejects(void **st)
{
    (void)st;
    char *dir = make_tmpdir(), err[600];
    struct isac_radio_info in = ref_info();
    struct isac_sigmf_writer_desc d = {.info = &in};
    assert_null(isac_sigmf_writer_create(dir, "a/b", &d, err, sizeof err));
    assert_non_null(strstr(err, "name 'a/b' invalid"));
    json_t *bad = json_pack("{s:i}", "config", 1);
    d.global = bad;
    assert_null(isac_sigmf_writer_create(dir, NAME, &d, err, sizeof err));
    assert_string_equal(err, "desc->global key 'config' is not in the isactb: namespace");
    json_decref(bad);
    d.global = NULL;
    in.rx_ap_elements[1] = 3;
    assert_null(isac_sigmf_writer_create(dir, NAME, &d, err, sizeof err));
    assert_string_equal(err, "sigmf writer: rx_ap_elements sum to 7, num_rx is 6");
    in = ref_info();
    isac_sigmf_writer w = isac_sigmf_writer_create(dir, NAME, &d, err, sizeof err);
    assert_non_null(w);
    static float complex rx[NRX][LEN], tx[TXLEN];
    const float complex *p[NRX];
    for (int ch = 0; ch < NRX; ch++)
        p[ch] = rx[ch];
    json_t *reserved = json_pack("{s:i}", "isactb:tick", 5);
    struct isac_sigmf_cpi c = {100, p, LEN, NULL, 100, tx, TXLEN, reserved, NULL, NULL};
    assert_int_equal(isac_sigmf_writer_append_cpi(w, &c), ISAC_EINVAL);
    assert_string_equal(isac_sigmf_writer_last_error(w),
                        "CPI annotation key 'isactb:tick' is set by the writer itself");
    json_decref(reserved);
    c.annotation = NULL;
    struct isac_radio_rx_md md = {100, LEN, 10, 100 + LEN - 5, 0};
    c.md = &md;
    assert_int_equal(isac_sigmf_writer_append_cpi(w, &c), ISAC_EINVAL);
    assert_non_null(strstr(isac_sigmf_writer_last_error(w), "outside the window"));
    c.md = NULL;
    assert_int_equal(isac_sigmf_writer_append_cpi(w, &c), ISAC_OK);
    c.tick = 100 + LEN - 1; /* overlaps the previous window */
    c.tx_tick = 1000;
    assert_int_equal(isac_sigmf_writer_append_cpi(w, &c), ISAC_EINVAL);
    assert_non_null(strstr(isac_sigmf_writer_last_error(w), "overlapping the previous CPI"));
    assert_int_equal(isac_sigmf_writer_num_cpis(w), 1);
    /* rejected CPIs left no trace: the capture holds exactly one */
    assert_int_equal(isac_sigmf_writer_finish(w, err, sizeof err), ISAC_OK);
    isac_sigmf_reader r = isac_sigmf_reader_open(dir, err, sizeof err);
    if (!r)
        fail_msg("%s", err);
    assert_int_equal(isac_sigmf_reader_num_cpis(r), 1);
    isac_sigmf_reader_close(r);
    rm_rf(dir);
    free(dir);
}

/* -------------------------------------------------------- file back end */

static void test_file_backend(void **st)
{
    (void)st;
    char *dir = make_tmpdir(), err[600], spec[1100];
    assert_int_equal(write_reference(dir, NCPI, err, sizeof err), ISAC_OK);
    snprintf(spec, sizeof spec, "file:%s", dir);
    isac_radio r = isac_radio_open(spec, err, sizeof err);
    if (!r)
        fail_msg("%s", err);
    struct isac_radio_info info;
    assert_int_equal(isac_radio_get_info(r, &info), ISAC_OK);
    assert_string_equal(info.driver, "file");
    assert_string_equal(info.serial, "sim-7");
    assert_int_equal(info.caps,
                     ISAC_RADIO_CAP_REPLAY | ISAC_RADIO_CAP_TIMED_RX | ISAC_RADIO_CAP_TIMED_TX);
    assert_int_equal(info.num_rx, NRX);
    assert_null(isac_radio_file_current_annotation(r));
    static float complex rx[NRX][LEN], want[NRX][LEN], tx[TXLEN];
    float complex *p[NRX];
    const float complex *tp[4] = {tx, tx, tx, tx};
    for (int ch = 0; ch < NRX; ch++)
        p[ch] = rx[ch];
    struct isac_radio_rx_md md;
    uint64_t dropped = 0;
    for (int k = 0; k < NCPI; k++) {
        int64_t now;
        assert_int_equal(isac_radio_get_time(r, &now), ISAC_OK);
        assert_int_equal(now, tick_of(k));
        assert_int_equal(isac_radio_tx_burst(r, now - 100, tp, TXLEN), ISAC_OK);
        assert_int_equal(isac_radio_rx_capture(r, now, p, LEN, &md), ISAC_OK);
        cpi_samples(k, want, tx);
        assert_memory_equal(rx, want, sizeof rx);
        dropped += md.dropped_samples;
        const json_t *a = isac_radio_file_current_annotation(r);
        assert_int_equal(json_integer_value(json_object_get(a, "isactb:cpi")), k);
        assert_int_equal(isac_radio_file_cpi_index(isac_radio_get_state(r)), k);
    }
    struct isac_radio_counters cnt;
    assert_int_equal(isac_radio_get_counters(r, &cnt), ISAC_OK);
    assert_int_equal(cnt.dropped_samples, dropped);
    assert_int_equal(cnt.overflows, 1);
    assert_int_equal(isac_radio_rx_capture(r, tick_of(NCPI), p, LEN, &md), ISAC_EIO);
    assert_string_equal(isac_radio_last_error(r), "end of recording after 12 CPIs");
    isac_radio_close(r);

    r = isac_radio_open(spec, err, sizeof err);
    assert_non_null(r);
    assert_int_equal(isac_radio_rx_capture(r, tick_of(0), p, LEN, &md), ISAC_OK);
    assert_int_equal(isac_radio_rx_capture(r, tick_of(1) + 3, p, LEN, &md), ISAC_ERADIO);
    char want_msg[200];
    snprintf(want_msg, sizeof want_msg,
             "replay diverged at CPI 1: requested tick %lld (256 samples), recorded tick %lld "
             "(256 samples)",
             (long long)tick_of(1) + 3, (long long)tick_of(1));
    assert_string_equal(isac_radio_last_error(r), want_msg);
    assert_int_equal(isac_radio_set_center_freq(r, 2.4e9), ISAC_OK);
    assert_int_equal(isac_radio_set_center_freq(r, 2.5e9), ISAC_ERADIO);
    isac_radio_close(r);

    assert_null(isac_radio_open("file:", err, sizeof err));
    assert_non_null(strstr(err, "file: missing PATH"));
    rm_rf(dir);
    free(dir);
}

/* ------------------------------------------------------- bad inputs */

struct badcase {
    const char *what;
    void (*mutate)(const char *dir);
    const char *file;    /* file the message must name (relative to dir) */
    const char *message; /* expected text after "FILE: " (prefix match when ends in '*') */
};

static json_t *load(const char *dir, const char *file)
{
    json_error_t je;
    json_t *j = json_load_file(path(dir, file), 0, &je);
    assert_non_null(j);
    return j;
}

/* Rewrite a meta file and re-hash it in the collection, so the intended check fires. */
static void store_text(const char *dir, const char *file, const char *text)
{
    FILE *f = fopen(path(dir, file), "wb");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    char hex[129], base[256];
    isac_cap_hash_hex(ISAC_CAP_SHA512, text, strlen(text), hex);
    snprintf(base, sizeof base, "%.*s", (int)(strlen(file) - strlen(".sigmf-meta")), file);
    json_t *c = load(dir, NAME ".sigmf-collection"), *s;
    size_t i;
    json_array_foreach(json_object_get(json_object_get(c, "collection"), "core:streams"), i,
                       s) if (!strcmp(json_string_value(json_array_get(s, 0)), base))
        json_array_set_new(s, 1, json_string(hex));
    assert_int_equal(json_dump_file(c, path(dir, NAME ".sigmf-collection"), JSON_INDENT(2)), 0);
    json_decref(c);
}

static void store(const char *dir, const char *file, json_t *j)
{
    char *t = json_dumps(j, JSON_INDENT(2));
    store_text(dir, file, t);
    free(t);
    json_decref(j);
}

#define COLL NAME ".sigmf-collection"

/* Record k of the collection's isactb:cpis (j: the loaded collection). */
static json_t *cpi_of(json_t *coll, size_t k)
{
    return json_array_get(json_object_get(json_object_get(coll, "collection"), "isactb:cpis"), k);
}

/* Rewrite the collection (nothing hashes it). */
static void store_coll(const char *dir, json_t *j)
{
    assert_int_equal(json_dump_file(j, path(dir, COLL), JSON_COMPACT), 0);
    json_decref(j);
}

#define RX(k) NAME "-rx" #k ".sigmf-meta"

static void m_datatype(const char *d)
{
    json_t *j = load(d, RX(3));
    json_object_set_new(json_object_get(j, "global"), "core:datatype", json_string("ci16_le"));
    store(d, RX(3), j);
}
static void m_truncate(const char *d)
{
    assert_int_equal(truncate(path(d, NAME "-rx0.sigmf-data"), 16384), 0);
}
static void m_odd_size(const char *d)
{
    assert_int_equal(truncate(path(d, NAME "-rx2.sigmf-data"), 16383), 0);
}
static void m_no_data(const char *d)
{
    unlink(path(d, NAME "-rx1.sigmf-data"));
}
static void m_no_meta(const char *d)
{
    unlink(path(d, NAME "-txref.sigmf-meta"));
}
static void m_no_collection(const char *d)
{
    unlink(path(d, NAME ".sigmf-collection"));
}
static void m_malformed(const char *d)
{
    store_text(d, RX(2), "{\n  \"global\": {\"core:version\": 1.2,,\n}");
}
static void m_bad_collection(const char *d)
{
    FILE *f = fopen(path(d, NAME ".sigmf-collection"), "w");
    fputs("{\"collection\": [", f);
    fclose(f);
}
static void m_rate_type(const char *d)
{
    json_t *j = load(d, RX(0));
    json_object_set_new(json_object_get(j, "global"), "core:sample_rate", json_string("fast"));
    store(d, RX(0), j);
}
static void m_rate_differs(const char *d)
{
    json_t *j = load(d, RX(2));
    json_object_set_new(json_object_get(j, "global"), "core:sample_rate", json_real(10e6));
    store(d, RX(2), j);
}
static void m_version(const char *d)
{
    json_t *j = load(d, RX(4));
    json_object_set_new(json_object_get(j, "global"), "core:version", json_string("2.0.0"));
    store(d, RX(4), j);
}
static void m_num_elements(const char *d)
{
    json_t *j = load(d, RX(5));
    json_object_set_new(json_object_get(j, "global"), "spatial:num_elements", json_integer(7));
    store(d, RX(5), j);
}
static void m_drop_stream(const char *d)
{
    json_t *c = load(d, NAME ".sigmf-collection");
    json_array_remove(json_object_get(json_object_get(c, "collection"), "core:streams"), 5);
    assert_int_equal(json_dump_file(c, path(d, NAME ".sigmf-collection"), 0), 0);
    json_decref(c);
}
static void m_dup_channel(const char *d)
{
    json_t *j = load(d, RX(4));
    json_object_set_new(json_object_get(j, "global"), "spatial:channel_index", json_integer(1));
    store(d, RX(4), j);
}
static void m_overlap(const char *d)
{
    json_t *j = load(d, COLL);
    json_object_set_new(json_object_get(cpi_of(j, 1), "isactb:drop"), "count", json_integer(40));
    store_coll(d, j);
}
static void m_out_of_range(const char *d)
{
    json_t *j = load(d, COLL);
    json_object_set_new(cpi_of(j, 11), "isactb:num_samples", json_integer(100000));
    json_object_del(cpi_of(j, 11), "isactb:drop");
    store_coll(d, j);
}
static void m_window(const char *d)
{
    json_t *j = load(d, COLL);
    json_object_set_new(cpi_of(j, 2), "isactb:tick", json_integer(2100));
    store_coll(d, j);
}
static void m_mapping(const char *d)
{
    json_t *j = load(d, COLL);
    json_object_set_new(cpi_of(j, 2), "isactb:tick", json_integer(3010));
    store_coll(d, j);
}
static void m_no_drop(const char *d)
{
    json_t *j = load(d, COLL);
    json_object_del(cpi_of(j, 1), "isactb:drop");
    store_coll(d, j);
}
static void m_count_differs(const char *d)
{
    json_t *j = load(d, COLL);
    json_object_set_new(cpi_of(j, 11), "isactb:tx_samples", json_integer(100000));
    store_coll(d, j);
}
static void m_hash(const char *d)
{
    FILE *f = fopen(path(d, RX(0)), "a");
    fputs(" ", f);
    fclose(f);
}
static void m_radio(const char *d)
{
    json_t *j = load(d, COLL);
    json_object_set_new(json_object_get(json_object_get(j, "collection"), "isactb:radio"), "num_rx",
                        json_string("six"));
    store_coll(d, j);
}
static void m_capture_order(const char *d)
{
    json_t *j = load(d, RX(0));
    json_object_set_new(json_array_get(json_object_get(j, "captures"), 3), "core:global_index",
                        json_integer(10));
    store(d, RX(0), j);
}
static void m_top_key(const char *d)
{
    json_t *j = load(d, RX(0));
    json_object_set_new(j, "extra", json_true());
    store(d, RX(0), j);
}

static void m_caltype(const char *d)
{
    json_t *j = load(d, RX(2));
    json_object_set_new(json_array_get(json_object_get(j, "captures"), 1), "spatial:calibration",
                        json_pack("{s:s}", "caltype", "noise"));
    store(d, RX(2), j);
}
static void m_phase_offset(const char *d)
{
    json_t *j = load(d, RX(1));
    json_object_set_new(json_array_get(json_object_get(j, "captures"), 0), "spatial:phase_offset",
                        json_string("12.5"));
    store(d, RX(1), j);
}

static const struct badcase cases[] = {
    {"caltype", m_caltype, RX(2),
     "captures[1] spatial:calibration.caltype 'noise' is not tone, xcorr, ref or other"},
    {"phase_offset", m_phase_offset, RX(1),
     "captures[0] spatial:phase_offset '12.5' is not a number of degrees in [-360, 360]"},
    {"datatype", m_datatype, RX(3), "core:datatype 'ci16_le' not supported (expected cf32_le)"},
    {"truncated", m_truncate, NAME "-rx0.sigmf-data",
     "truncated: 16384 bytes, the CPIs need 21424"},
    {"odd size", m_odd_size, NAME "-rx2.sigmf-data",
     "size 16383 bytes is not a whole number of cf32_le samples"},
    {"missing data", m_no_data, NAME "-rx1.sigmf-data", "cannot open: No such file or directory"},
    {"missing meta", m_no_meta, NAME "-txref.sigmf-meta", "cannot open: No such file or directory"},
    {"missing collection", m_no_collection, "",
     "no .sigmf-collection file: not a finished capture"},
    {"malformed meta", m_malformed, RX(2),
     "malformed JSON at line 2 column 34: string or '}' expected near ','"},
    {"malformed collection", m_bad_collection, NAME ".sigmf-collection",
     "malformed JSON at line 1 column 16: *"},
    {"wrong type", m_rate_type, RX(0), "core:sample_rate 'fast' is not a number"},
    {"rate differs", m_rate_differs, RX(2), "core:sample_rate 10000000 differs from *"},
    {"version", m_version, RX(4), "core:version '2.0.0' not supported (expected 1.2.0)"},
    {"num_elements", m_num_elements, RX(5),
     "spatial:num_elements 7 but the collection lists 6 rx recordings"},
    {"channel count", m_drop_stream, RX(0),
     "spatial:num_elements 6 but the collection lists 5 rx recordings"},
    {"duplicate channel", m_dup_channel, RX(4), "spatial:channel_index 1 repeats *"},
    {"drop count", m_overlap, RX(0),
     "isactb:cpis[1] samples at file offset 462 map to ticks [3000, 3010) outside the window "
     "[2000, 2256)"},
    {"out of range", m_out_of_range, NAME "-rx0.sigmf-data",
     "truncated: 21424 bytes, the CPIs need 819384"},
    {"window", m_window, COLL,
     "isactb:cpis[2] isactb:tick 2100 overlaps the window of CPI 1 (ends at 2256)"},
    {"mapping", m_mapping, RX(0),
     "isactb:cpis[2] samples at file offset 462 map to ticks [3000, 3256) outside the window "
     "[3010, 3266)"},
    {"drop record", m_no_drop, RX(0),
     "isactb:cpis[1] samples at file offset 462 map to ticks [3000, 3050) outside the window "
     "[2000, 2256)"},
    {"probe length", m_count_differs, NAME "-txref.sigmf-data",
     "truncated: 5632 bytes, the CPIs need 805120"},
    {"hash", m_hash, NAME ".sigmf-collection", "core:streams[0] hash does not match *"},
    {"radio", m_radio, COLL, "isactb:radio.num_rx 'six' is not an integer"},
    {"captures", m_capture_order, RX(0), "captures[3] core:global_index 10 overlaps captures[2]*"},
    {"top key", m_top_key, RX(0), "unexpected top-level key 'extra'"},
};

static void test_bad_inputs(void **st)
{
    (void)st;
    int failures = 0;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const struct badcase *bc = &cases[i];
        char *dir = make_tmpdir(), err[600], want[1200];
        assert_int_equal(write_reference(dir, NCPI, err, sizeof err), ISAC_OK);
        bc->mutate(dir);
        isac_sigmf_reader r = isac_sigmf_reader_open(dir, err, sizeof err);
        if (r)
            fail_msg("case '%s': opened without error", bc->what);
        if (*bc->file)
            snprintf(want, sizeof want, "%s/%s: %s", dir, bc->file, bc->message);
        else
            snprintf(want, sizeof want, "%s: %s", dir, bc->message);
        size_t n = strlen(want);
        int prefix = want[n - 1] == '*';
        if (prefix ? strncmp(err, want, n - 1) : strcmp(err, want)) {
            print_error("case '%s':\n  got  '%s'\n  want '%s'\n", bc->what, err, want);
            failures++;
        }
        assert_null(strchr(err, '\n')); /* one line */
        rm_rf(dir);
        free(dir);
    }
    assert_int_equal(failures, 0);
}

/* ------------------------------------------ third-party minimal example */

static void put_file(const char *dir, const char *file, const void *data, size_t len)
{
    FILE *f = fopen(path(dir, file), "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    fclose(f);
}

/* Per-CPI calibration segments (spatial extension 2.1) go on every RX segment of the CPI
 * (both sides of a gap) and nowhere else; phase offsets can be set after the captures. */
static void test_calibration_segments(void **st)
{
    (void)st;
    char *dir = make_tmpdir(), err[600];
    struct isac_radio_info in = ref_info();
    struct isac_sigmf_writer_desc d = {.info = &in};
    isac_sigmf_writer w = isac_sigmf_writer_create(dir, NAME, &d, err, sizeof err);
    assert_non_null(w);
    static float complex rx[NRX][LEN], tx[TXLEN];
    const float complex *p[NRX];
    for (int ch = 0; ch < NRX; ch++)
        p[ch] = rx[ch];
    cpi_samples(1, rx, tx);
    static const char *const bad[][2] = {
        {"{\"spatial:calibration\": {\"caltype\": \"noise\"}}", "caltype 'noise'"},
        {"{\"spatial:calibration\": {\"caltype\": \"ref\", \"gain\": 1}}",
         "calibration.gain is not"},
        {"{\"spatial:calibration\": {\"caltype\": \"ref\", \"bearing\": {\"azimuth\": \"n\"}}}",
         "bearing.azimuth unknown or not a number"},
        {"{\"spatial:calibration\": {\"caltype\": \"tone\", \"cal_geometry\": {\"point\": [1, "
         "2]}}}",
         "cal_geometry is not a cartesian_point"},
        {"{\"spatial:phase_offset\": 3}", "exactly spatial:calibration"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        json_t *seg = json_loads(bad[i][0], 0, NULL);
        assert_non_null(seg);
        struct isac_sigmf_cpi c = {.tick = 100,
                                   .rx = p,
                                   .len = LEN,
                                   .tx_tick = 100,
                                   .txref = tx,
                                   .txlen = TXLEN,
                                   .segment = seg};
        assert_int_equal(isac_sigmf_writer_append_cpi(w, &c), ISAC_EINVAL);
        assert_non_null(strstr(isac_sigmf_writer_last_error(w), bad[i][1]));
        json_decref(seg);
    }
    json_t *seg =
        json_pack("{s:{s:s,s:{s:f},s:{s:[f,f,f]}}}", "spatial:calibration", "caltype", "xcorr",
                  "bearing", "azimuth", 20.0, "cal_geometry", "point", 1.0, 2.0, 0.0);
    struct isac_radio_rx_md md = {100, LEN, 10, 150, 0};
    struct isac_sigmf_cpi c = {.tick = 100,
                               .rx = p,
                               .len = LEN,
                               .md = &md,
                               .tx_tick = 100,
                               .txref = tx,
                               .txlen = TXLEN,
                               .segment = seg};
    assert_int_equal(isac_sigmf_writer_append_cpi(w, &c), ISAC_OK);
    c = (struct isac_sigmf_cpi){.tick = 1000,
                                .rx = p,
                                .len = LEN,
                                .tx_tick = 1000,
                                .txref = tx,
                                .txlen = TXLEN}; /* a data CPI: no calibration field */
    assert_int_equal(isac_sigmf_writer_append_cpi(w, &c), ISAC_OK);
    double big[NRX] = {0, 1, 2, 3, 400, 5};
    assert_int_equal(isac_sigmf_writer_set_rx_phase_offset(w, big), ISAC_EINVAL);
    assert_non_null(
        strstr(isac_sigmf_writer_last_error(w), "rx_phase_offset_deg[4] 400 out of range"));
    assert_int_equal(isac_sigmf_writer_set_rx_phase_offset(w, phase_deg), ISAC_OK);
    assert_int_equal(isac_sigmf_writer_finish(w, err, sizeof err), ISAC_OK);
    for (int ch = 0; ch < NRX; ch++) {
        char f[64];
        snprintf(f, sizeof f, NAME "-rx%d.sigmf-meta", ch);
        json_t *m = load(dir, f), *caps = json_object_get(m, "captures");
        assert_int_equal(json_array_size(caps), 3); /* head, tail after the gap, data CPI */
        for (size_t i = 0; i < 3; i++) {
            json_t *cal = json_object_get(json_array_get(caps, i), "spatial:calibration");
            assert_true(i < 2 ? json_equal(cal, json_object_get(seg, "spatial:calibration"))
                              : !cal);
            assert_true(json_real_value(json_object_get(json_array_get(caps, i),
                                                        "spatial:phase_offset")) == phase_deg[ch]);
        }
        json_decref(m);
    }
    json_t *t = load(dir, NAME "-txref.sigmf-meta");
    assert_null(
        json_object_get(json_array_get(json_object_get(t, "captures"), 0), "spatial:calibration"));
    json_decref(t);
    json_decref(seg);
    isac_sigmf_reader r = isac_sigmf_reader_open(dir, err, sizeof err);
    assert_non_null(r);
    isac_sigmf_reader_close(r);
    rm_rf(dir);
    free(dir);
}

/* The smallest capture the reader accepts (docs/capture-format.md section 13, last
 * paragraph: no experiment, no codebook, so `detect` would refuse it; the detectable
 * minimal example of section 13 is tests/thirdparty_capture.py's), written by hand with
 * only the reader's required fields (format 2.0.0), or the same capture in the layout of
 * format 1.0.0
 * (every meta carried isactb:radio and one annotation per CPI; the collection nothing
 * of isactb's), which this reader refuses. */
static void write_minimal(const char *dir, int old)
{
    char hex[3][129];
    const char *isac_radio =
        "\"isactb:radio\": {\"sample_rate\": 1000000, \"center_freq\": 2.4e9, "
        "\"num_tx\": 1, \"num_rx\": 2, \"rx_ap_elements\": [2], \"rx_aps\": "
        "[{\"x\": 100, \"y\": 0, \"axis_rad\": 1.5708}], \"tx_ap\": {\"x\": 0, "
        "\"y\": 0, \"axis_rad\": 1.5708}, \"element_spacing_wl\": 0.5}";
    const char *ver = old ? "1.0.0" : "2.0.0";
    char meta[2048], g_radio[600];
    snprintf(g_radio, sizeof g_radio, ", %s", isac_radio);
    for (int ch = 0; ch < 2; ch++) {
        snprintf(meta, sizeof meta,
                 "{\"global\": {\"core:datatype\": \"cf32_le\", \"core:version\": \"1.2.0\", "
                 "\"core:sample_rate\": 1000000, \"core:recorder\": \"mytool\", "
                 "\"core:collection\": \"ex\", \"core:extensions\": [{\"name\": \"spatial\", "
                 "\"version\": \"1.1.0\", \"optional\": true}, {\"name\": \"isactb\", "
                 "\"version\": \"%s\", \"optional\": true}], \"spatial:num_elements\": 2, "
                 "\"spatial:channel_index\": %d, \"isactb:stream\": \"rx\", \"isactb:rx_ap\": 0, "
                 "\"isactb:ap_element\": %d%s},\n"
                 "\"captures\": [{\"core:sample_start\": 0, \"core:global_index\": 0, "
                 "\"core:frequency\": 2.4e9}, {\"core:sample_start\": 2, \"core:global_index\": 3, "
                 "\"core:frequency\": 2.4e9}],\n"
                 "\"annotations\": [%s]}\n",
                 ver, ch, ch, old ? g_radio : "",
                 old ? "{\"core:sample_start\": 0, \"core:sample_count\": 3, "
                       "\"isactb:tick\": 0, \"isactb:num_samples\": 4, \"isactb:drop\": "
                       "{\"start_tick\": 2, \"count\": 1}}"
                     : "");
        put_file(dir, ch ? "ex-rx1.sigmf-meta" : "ex-rx0.sigmf-meta", meta, strlen(meta));
        isac_cap_hash_hex(ISAC_CAP_SHA512, meta, strlen(meta), hex[ch]);
        float complex x[3] = {1 + 2 * I, 3 + 4 * I, (float)(5 + ch) - 6 * I};
        put_file(dir, ch ? "ex-rx1.sigmf-data" : "ex-rx0.sigmf-data", x, sizeof x);
    }
    snprintf(meta, sizeof meta,
             "{\"global\": {\"core:datatype\": \"cf32_le\", \"core:version\": \"1.2.0\", "
             "\"core:sample_rate\": 1000000, \"core:collection\": \"ex\", \"core:extensions\": "
             "[{\"name\": \"isactb\", \"version\": \"%s\", \"optional\": true}], "
             "\"isactb:stream\": \"txref\"%s}, \"captures\": [{\"core:sample_start\": 0, "
             "\"core:global_index\": 0}], \"annotations\": [%s]}",
             ver, old ? g_radio : "",
             old ? "{\"core:sample_start\": 0, \"core:sample_count\": 2, \"isactb:tick\": 0, "
                   "\"isactb:num_samples\": 4}"
                 : "");
    put_file(dir, "ex-txref.sigmf-meta", meta, strlen(meta));
    isac_cap_hash_hex(ISAC_CAP_SHA512, meta, strlen(meta), hex[2]);
    float complex t[2] = {1, -1};
    put_file(dir, "ex-txref.sigmf-data", t, sizeof t);
    char shared[1200];
    snprintf(shared, sizeof shared,
             ", %s, \"isactb:cpis\": [{\"isactb:tick\": 0, \"isactb:num_samples\": 4, "
             "\"isactb:tx_samples\": 2, \"isactb:drop\": {\"start_tick\": 2, \"count\": 1}}]",
             isac_radio);
    snprintf(meta, sizeof meta,
             "{\"collection\": {\"core:version\": \"1.2.0\", \"core:extensions\": [{\"name\": "
             "\"spatial\", \"version\": \"1.1.0\", \"optional\": true}, {\"name\": \"isactb\", "
             "\"version\": \"%s\", \"optional\": true}], \"core:streams\": [[\"ex-rx0\", "
             "\"%s\"], [\"ex-rx1\", \"%s\"], [\"ex-txref\", \"%s\"]], "
             "\"spatial:element_geometry\": [{\"point\": [100, 0, 0]}, {\"point\": [100.0002, "
             "0.0625, 0]}]%s}}",
             ver, hex[0], hex[1], hex[2], old ? "" : shared);
    put_file(dir, "ex.sigmf-collection", meta, strlen(meta));
}

/* A capture of the previous layout is refused with one line naming both versions. */
static void test_old_format_refused(void **st)
{
    (void)st;
    char *dir = make_tmpdir(), err[600], want[800];
    write_minimal(dir, 1);
    assert_null(isac_sigmf_reader_open(dir, err, sizeof err));
    snprintf(want, sizeof want,
             "%s/ex.sigmf-collection: isactb capture format 1.0.0 not supported (this isactb "
             "reads 2.0.0; re-record it)",
             dir);
    assert_string_equal(err, want);
    rm_rf(dir);
    free(dir);
}

static void test_minimal_example(void **st)
{
    (void)st;
    char *dir = make_tmpdir(), err[600];
    write_minimal(dir, 0);
    isac_sigmf_reader r = isac_sigmf_reader_open(path(dir, "ex-rx1.sigmf-meta"), err, sizeof err);
    if (!r)
        fail_msg("%s", err);
    assert_int_equal(isac_sigmf_reader_num_cpis(r), 1);
    float complex y0[4], y1[4], tx[2], *y[2] = {y0, y1};
    struct isac_radio_rx_md md;
    assert_int_equal(isac_sigmf_reader_read_cpi(r, 0, y, 4, &md), ISAC_OK);
    assert_true(y0[0] == 1 + 2 * I && y0[1] == 3 + 4 * I && y0[2] == 0 && y0[3] == 5 - 6 * I);
    assert_true(y1[3] == 6 - 6 * I);
    assert_int_equal(md.dropped_samples, 1);
    assert_int_equal(md.drop_start_tick, 2);
    assert_int_equal(isac_sigmf_reader_read_txref(r, 0, tx, 2), ISAC_OK);
    assert_true(tx[0] == 1 && tx[1] == -1);
    struct isac_radio_info in;
    isac_sigmf_reader_radio_info(r, &in);
    assert_true(in.emulated_freq == 2.4e9 && in.bandwidth == 1e6 && isnan(in.noise_dbm));
    isac_sigmf_reader_close(r);
    rm_rf(dir);
    free(dir);
}

/* SigMF: an extension marked required ("optional": false) that the reader does not
 * implement must be refused with one line; the same extension marked optional is ignored. */
static void test_required_extension(void **st)
{
    (void)st;
    char *dir = make_tmpdir(), err[600], want[800];
    for (int optional = 0; optional < 2; optional++) {
        write_minimal(dir, 0);
        json_t *c = load(dir, "ex.sigmf-collection");
        json_t *ext = json_object_get(json_object_get(c, "collection"), "core:extensions");
        json_array_insert_new(ext, 0,
                              json_pack("{s:s,s:s,s:b}", "name", "antenna", "version", "1.0.0",
                                        "optional", optional));
        assert_int_equal(json_dump_file(c, path(dir, "ex.sigmf-collection"), 0), 0);
        json_decref(c);
        isac_sigmf_reader r = isac_sigmf_reader_open(dir, err, sizeof err);
        if (optional) {
            if (!r)
                fail_msg("%s", err);
            isac_sigmf_reader_close(r);
            continue;
        }
        assert_null(r);
        snprintf(want, sizeof want,
                 "%s/ex.sigmf-collection: core:extensions[0]: required extension 'antenna' "
                 "1.0.0 is not implemented (isactb reads spatial 1.x and isactb; an extension "
                 "it may ignore must say \"optional\": true)",
                 dir);
        assert_string_equal(err, want);
    }
    rm_rf(dir);
    free(dir);
}

int main(int argc, char **argv)
{
    if (argc == 3 && !strcmp(argv[1], "--write")) {
        char err[600];
        int rc = write_reference(argv[2], NCPI, err, sizeof err);
        if (rc)
            fprintf(stderr, "test_sigmf: %s\n", err);
        return rc ? 1 : 0;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sha512_vectors),       cmocka_unit_test(test_roundtrip),
        cmocka_unit_test(test_finish_early),         cmocka_unit_test(test_abort_leaves_nothing),
        cmocka_unit_test(test_writer_rejects),       cmocka_unit_test(test_file_backend),
        cmocka_unit_test(test_bad_inputs),           cmocka_unit_test(test_minimal_example),
        cmocka_unit_test(test_calibration_segments), cmocka_unit_test(test_old_format_refused),
        cmocka_unit_test(test_plan_roundtrip),       cmocka_unit_test(test_required_extension),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
