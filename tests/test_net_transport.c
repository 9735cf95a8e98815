/* The node <-> fuse transport (host/net/): message framing refuses every malformed,
 * truncated, corrupted and oversized frame; key files are written 0600 through a temporary
 * file and never overwritten; real ZeroMQ sockets on loopback count and log bad frames and
 * keep receiving; CURVE refuses a client whose key is not authorized and carries an
 * authorized one; and a live `isactb fuse --spawn` process survives garbage, oversized
 * frames and a bogus HELLO sent at it, counting them, while its run completes. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/err.h"
#include "net/net_keys.h"
#include "net/net_link.h"
#include "net/net_msg.h"
#include <zmq.h>

static int zmq_curve_keypair_wrap(struct net_keypair *k)
{
    return zmq_curve_keypair(k->public_key, k->secret_key);
}

static size_t pack(uint16_t type, const char *payload, uint8_t *buf, size_t cap)
{
    struct net_msg_hdr h = {.version = NET_MSG_VERSION,
                            .type = type,
                            .ap = 2,
                            .flags = 1,
                            .seq = 77,
                            .time_ns = 123456789,
                            .tick = -5,
                            .size = (uint32_t)strlen(payload)};
    size_t len = 0;
    assert_int_equal(net_msg_pack(&h, payload, buf, cap, &len), ISAC_OK);
    return len;
}

static void test_msg_roundtrip(void **state)
{
    (void)state;
    uint8_t buf[256];
    size_t len = pack(NET_MSG_CMD, "{\"x\":1}", buf, sizeof buf);
    assert_int_equal(len, NET_MSG_HDR + 7);
    struct net_msg_hdr h;
    const void *pl;
    char why[200];
    assert_int_equal(net_msg_parse(buf, len, 4096, &h, &pl, why, sizeof why), ISAC_OK);
    assert_int_equal(h.type, NET_MSG_CMD);
    assert_int_equal(h.ap, 2);
    assert_int_equal(h.seq, 77);
    assert_int_equal(h.tick, -5);
    assert_int_equal(h.size, 7);
    assert_memory_equal(pl, "{\"x\":1}", 7);
    size_t small;
    assert_int_equal(net_msg_pack(&h, pl, buf, 10, &small), ISAC_EINVAL);
    h.type = 0;
    assert_int_equal(net_msg_pack(&h, pl, buf, sizeof buf, &small), ISAC_EINVAL);
}

static void test_msg_refusals(void **state)
{
    (void)state;
    uint8_t buf[256], bad[256];
    size_t len = pack(NET_MSG_TERMS, "payload bytes", buf, sizeof buf);
    struct net_msg_hdr h;
    const void *pl;
    char why[200];
    /* every single-byte corruption anywhere in the frame is refused (FNV-1a changes for any
     * one-byte change; magic, version, type and size are checked before it) */
    for (size_t i = 0; i < len; i++)
        for (int bit = 0; bit < 8; bit += 3) {
            memcpy(bad, buf, len);
            bad[i] ^= (uint8_t)(1u << bit);
            why[0] = '\0';
            assert_int_equal(net_msg_parse(bad, len, 4096, &h, &pl, why, sizeof why), ISAC_EFORMAT);
            assert_non_null(why[0] ? why : NULL);
            assert_null(strchr(why, '\n'));
        }
    /* every truncation and an extension */
    for (size_t n = 0; n < len; n++)
        assert_int_equal(net_msg_parse(buf, n, 4096, &h, &pl, why, sizeof why), ISAC_EFORMAT);
    memcpy(bad, buf, len);
    bad[len] = 0;
    assert_int_equal(net_msg_parse(bad, len + 1, 4096, &h, &pl, why, sizeof why), ISAC_EFORMAT);
    /* oversized: refused before anything is read */
    assert_int_equal(net_msg_parse(buf, len, len - 1, &h, &pl, why, sizeof why), ISAC_EINVAL);
    assert_non_null(strstr(why, "oversized"));
    /* another version and an unknown type, with a valid checksum */
    struct net_msg_hdr v = {.type = NET_MSG_BYE};
    size_t n;
    assert_int_equal(net_msg_pack(&v, NULL, bad, sizeof bad, &n), ISAC_OK);
    bad[4] = 2;
    assert_int_equal(net_msg_parse(bad, n, 4096, &h, &pl, why, sizeof why), ISAC_EFORMAT);
    assert_non_null(strstr(why, "version"));
    assert_int_equal(net_msg_pack(&v, NULL, bad, sizeof bad, &n), ISAC_OK);
    bad[6] = 99;
    assert_int_equal(net_msg_parse(bad, n, 4096, &h, &pl, why, sizeof why), ISAC_EFORMAT);
    assert_non_null(strstr(why, "type"));
}

static void test_keys_files(void **state)
{
    (void)state;
    char dir[] = "/tmp/isactb-keys-XXXXXX", prefix[128], path[160];
    assert_non_null(mkdtemp(dir));
    snprintf(prefix, sizeof prefix, "%s/node", dir);
    struct net_keypair kp, back;
    char err[600];
    assert_int_equal(net_keys_generate(prefix, &kp, err, sizeof err), ISAC_OK);
    struct stat st;
    snprintf(path, sizeof path, "%s.key", prefix);
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    assert_int_equal(net_keys_load(path, &back, err, sizeof err), ISAC_OK);
    assert_string_equal(back.public_key, kp.public_key);
    assert_string_equal(back.secret_key, kp.secret_key);
    /* never overwritten; no temporary file left behind */
    assert_int_equal(net_keys_generate(prefix, &back, err, sizeof err), ISAC_EIO);
    assert_non_null(strstr(err, "exists"));
    char cmd[300];
    snprintf(cmd, sizeof cmd, "ls %s | grep -c tmp > /dev/null", dir);
    assert_int_not_equal(system(cmd), 0);
    /* a secret key others can read is refused */
    chmod(path, 0644);
    assert_int_equal(net_keys_load(path, &back, err, sizeof err), ISAC_EFORMAT);
    assert_non_null(strstr(err, "chmod 600"));
    char pub[NET_KEY_Z85 + 1];
    snprintf(path, sizeof path, "%s.pub", prefix);
    assert_int_equal(net_pubkey_load(path, pub, err, sizeof err), ISAC_OK);
    assert_string_equal(pub, kp.public_key);
    /* authorized keys: comments and blank lines skipped, a bad line named */
    snprintf(path, sizeof path, "%s/authorized", dir);
    FILE *f = fopen(path, "w");
    fprintf(f, "# nodes\n\n%s\n", kp.public_key);
    fclose(f);
    char keys[4][NET_KEY_Z85 + 1];
    unsigned n = 0;
    assert_int_equal(net_authorized_load(path, keys, &n, err, sizeof err), ISAC_OK);
    assert_int_equal(n, 1);
    f = fopen(path, "a");
    fprintf(f, "not-a-key\n");
    fclose(f);
    assert_int_equal(net_authorized_load(path, keys, &n, err, sizeof err), ISAC_EFORMAT);
    assert_non_null(strstr(err, "line 4"));
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
}

/* Poll a and b in turn until a delivers a message or timeout (the server must be polled
 * for ZAP to be answered while the client waits). */
static int recv_pump(net_link a, net_link b, struct net_rx *m, int ms)
{
    struct net_rx dummy;
    for (int t = 0; t < ms; t += 40) {
        int rc = net_link_recv(a, 20, m);
        if (rc)
            return rc;
        if (b)
            net_link_recv(b, 20, &dummy);
    }
    return 0;
}

static void test_link_counts_bad_frames(void **state)
{
    (void)state;
    char err[600];
    struct net_link_opts so = {.max_msg = 4096, .log_name = "test server"};
    net_link s = net_link_server("tcp://127.0.0.1:*", &so, err, sizeof err);
    assert_non_null(s);
    struct net_link_opts co = {.log_name = "test client"};
    net_link c = net_link_client(net_link_endpoint(s), &co, err, sizeof err);
    assert_non_null(c);
    uint8_t junk[5000];
    memset(junk, 0x5a, sizeof junk);
    assert_int_equal(net_link_send_raw(c, junk, 10), ISAC_OK); /* short garbage */
    size_t len = pack(NET_MSG_HELLO, "{}", junk, sizeof junk);
    junk[len - 1] ^= 1;
    assert_int_equal(net_link_send_raw(c, junk, len), ISAC_OK);  /* corrupted */
    assert_int_equal(net_link_send_raw(c, junk, 5000), ISAC_OK); /* over the 4096 bound */
    struct net_msg_hdr h = {.type = NET_MSG_HELLO, .ap = NET_AP_NONE, .size = 2};
    assert_int_equal(net_link_send(c, NULL, 0, &h, "ok"), ISAC_OK);
    struct net_rx m;
    assert_int_equal(recv_pump(s, NULL, &m, 3000), 1);
    assert_int_equal(m.h.type, NET_MSG_HELLO);
    assert_memory_equal(m.payload, "ok", 2);
    const struct net_link_counters *k = net_link_counters(s);
    assert_int_equal(k->malformed, 2);
    assert_int_equal(k->oversized, 1);
    assert_int_equal(k->received, 1);
    /* the reply reaches the client by its routing id */
    h = (struct net_msg_hdr){.type = NET_MSG_WELCOME, .size = 3};
    assert_int_equal(net_link_send(s, m.peer, m.peer_len, &h, "yes"), ISAC_OK);
    assert_int_equal(recv_pump(c, NULL, &m, 3000), 1);
    assert_int_equal(m.h.type, NET_MSG_WELCOME);
    /* an unknown peer: counted, not fatal */
    assert_int_equal(net_link_send(s, (const uint8_t *)"nobody", 6, &h, "yes"), ISAC_EIO);
    assert_int_equal(net_link_counters(s)->send_failed, 1);
    net_link_destroy(c);
    net_link_destroy(s);
}

static void test_link_curve(void **state)
{
    (void)state;
    if (!net_curve_available())
        skip();
    char err[600];
    struct net_keypair server, good, bad;
    assert_int_equal(zmq_curve_keypair_wrap(&server), 0);
    assert_int_equal(zmq_curve_keypair_wrap(&good), 0);
    assert_int_equal(zmq_curve_keypair_wrap(&bad), 0);
    char allowed[1][NET_KEY_Z85 + 1];
    memcpy(allowed[0], good.public_key, sizeof allowed[0]);
    struct net_link_opts so = {.curve = 1,
                               .keys = server,
                               .authorized = allowed,
                               .n_authorized = 1,
                               .log_name = "test server"};
    net_link s = net_link_server("tcp://127.0.0.1:*", &so, err, sizeof err);
    assert_non_null(s);
    struct net_link_opts bo = {.curve = 1, .keys = bad, .log_name = "test bad client"};
    memcpy(bo.server_key, server.public_key, sizeof bo.server_key);
    net_link b = net_link_client(net_link_endpoint(s), &bo, err, sizeof err);
    assert_non_null(b);
    struct net_msg_hdr h = {.type = NET_MSG_HELLO, .size = 5};
    net_link_send(b, NULL, 0, &h, "intru");
    struct net_rx m;
    for (int i = 0; i < 100 && !net_link_refused(b); i++)
        assert_int_equal(recv_pump(s, b, &m, 40), 0); /* nothing from the bad key arrives */
    assert_non_null(net_link_refused(b));
    assert_true(net_link_counters(s)->refused_keys >= 1);
    assert_int_equal(net_link_counters(s)->received, 0);
    net_link_destroy(b);
    struct net_link_opts go = {.curve = 1, .keys = good, .log_name = "test good client"};
    memcpy(go.server_key, server.public_key, sizeof go.server_key);
    net_link g = net_link_client(net_link_endpoint(s), &go, err, sizeof err);
    assert_non_null(g);
    h = (struct net_msg_hdr){.type = NET_MSG_HELLO, .size = 6};
    assert_int_equal(net_link_send(g, NULL, 0, &h, "member"), ISAC_OK);
    assert_int_equal(recv_pump(s, g, &m, 5000), 1);
    assert_memory_equal(m.payload, "member", 6);
    assert_null(net_link_refused(g));
    net_link_destroy(g);
    net_link_destroy(s);
}

/* A live fuse with 4 spawned nodes gets garbage, an oversized frame and a bogus HELLO from
 * a fifth peer: it counts them, logs them and finishes its run (exit 0). */
static void test_fuse_survives_bad_peers(void **state)
{
    (void)state;
    const char *bin = getenv("ISACTB_BIN");
    if (!bin)
        skip();
    char ep[64], stats[64], err[600];
    snprintf(ep, sizeof ep, "tcp://127.0.0.1:%d", 42000 + (int)(getpid() % 20000));
    snprintf(stats, sizeof stats, "/tmp/isactb-fuse-stats-%d.json", (int)getpid());
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        if (!freopen("/dev/null", "w", stdout))
            _exit(126);
        execl(bin, "isactb", "fuse", "--bind", ep, "--spawn", "4", "--episodes", "2", "--quiet",
              "--stats", stats, (char *)NULL);
        _exit(127);
    }
    struct net_link_opts co = {.log_name = "test intruder"};
    net_link c = net_link_client(ep, &co, err, sizeof err);
    assert_non_null(c);
    uint8_t *big = calloc(1, NET_MSG_MAX_DEFAULT + 1024);
    assert_non_null(big);
    assert_int_equal(net_link_send_raw(c, "garbage", 7), ISAC_OK);
    assert_int_equal(net_link_send_raw(c, big, NET_MSG_MAX_DEFAULT + 1024), ISAC_OK);
    struct net_msg_hdr h = {.type = NET_MSG_HELLO, .size = 15};
    assert_int_equal(net_link_send(c, NULL, 0, &h, "{\"role\":\"evil\"}"), ISAC_OK);
    h = (struct net_msg_hdr){.type = NET_MSG_TERMS, .ap = 0, .size = 4};
    assert_int_equal(net_link_send(c, NULL, 0, &h, "junk"), ISAC_OK);
    int st = 0;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    net_link_destroy(c);
    free(big);
    assert_true(WIFEXITED(st));
    assert_int_equal(WEXITSTATUS(st), 0);
    json_t *j = json_load_file(stats, 0, NULL);
    unlink(stats);
    assert_non_null(j);
    assert_true(json_integer_value(json_object_get(j, "malformed")) >= 1);
    assert_true(json_integer_value(json_object_get(j, "oversized")) >= 1);
    assert_true(json_integer_value(json_object_get(j, "unexpected")) >= 1); /* TERMS, no HELLO */
    assert_int_equal(json_integer_value(json_object_get(j, "blocks_missing")), 0);
    assert_true(json_integer_value(json_object_get(j, "cpis")) > 0);
    json_decref(j);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_msg_roundtrip), cmocka_unit_test(test_msg_refusals),
        cmocka_unit_test(test_keys_files),    cmocka_unit_test(test_link_counts_bad_frames),
        cmocka_unit_test(test_link_curve),    cmocka_unit_test(test_fuse_survives_bad_peers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
