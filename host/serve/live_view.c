/* The live view's server, ring and publisher (live_view.h). */
#include "serve/live_view.h"

#include <arpa/inet.h>
#include <errno.h>
#include <jansson.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <openssl/crypto.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "common/err.h"
#include "serve/web_assets.h"

#define BODY_MAX 4096             /* control requests carry no body; more is refused */
#define HEADER_MEMORY (16 * 1024) /* per connection: request line + headers */
#define KEEPALIVE_S 1             /* an SSE comment this often keeps proxies and MHD awake */

struct live_view_s {
    struct MHD_Daemon *d;
    char addr[INET6_ADDRSTRLEN], kind[16], token[33];
    char hosts[3][80]; /* Host header values accepted when bound to loopback ("" = any) */
    unsigned port;
    double min_interval_s;
    /* loop side (only the loop thread touches last_due) */
    double last_due;
    struct view_frame ring[VIEW_QUEUE_LEN];
    atomic_uint_fast64_t head, tail; /* frames committed / consumed */
    sem_t work;                      /* posted per commit; the publisher waits on it */
    atomic_uint_fast64_t decimated, dropped, published, viewers, viewers_max, skipped;
    atomic_int paused, stop, stopping;
    /* policies offered to POST /api/policy, and the index asked for (-1: none) */
    char policy_names[LIVE_VIEW_MAX_POLICIES][32];
    const char *policy_ptrs[LIVE_VIEW_MAX_POLICIES];
    unsigned num_policies;
    atomic_int policy_asked;
    pthread_t publisher;
    int publisher_started;
    /* the latest encoded frame */
    pthread_mutex_t lm;
    pthread_cond_t lc;
    char *text;
    size_t len;
    uint64_t seq;
};

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static void deadline_in(struct timespec *ts, double s)
{
    clock_gettime(CLOCK_REALTIME, ts);
    long ns = ts->tv_nsec + (long)(s * 1e9);
    ts->tv_sec += ns / 1000000000L;
    ts->tv_nsec = ns % 1000000000L;
}

int live_view_token_equal(const char *expected, const char *given)
{
    /* the length is public (tokens are 32 hex digits); the bytes are compared by
     * libcrypto's constant-time CRYPTO_memcmp */
    size_t n = strlen(expected);
    return given && strlen(given) == n && CRYPTO_memcmp(expected, given, n) == 0;
}

/* ---------------------------------------------------------------- loop side */

int live_view_due(live_view v, int force)
{
    double t = now_s();
    if (force || t - v->last_due >= v->min_interval_s) {
        v->last_due = t;
        return 1;
    }
    atomic_fetch_add(&v->decimated, 1);
    return 0;
}

struct view_frame *live_view_slot(live_view v)
{
    uint64_t h = atomic_load_explicit(&v->head, memory_order_relaxed);
    if (h - atomic_load_explicit(&v->tail, memory_order_acquire) >= VIEW_QUEUE_LEN) {
        atomic_fetch_add(&v->dropped, 1);
        return NULL;
    }
    struct view_frame *f = &v->ring[h % VIEW_QUEUE_LEN];
    view_frame_clear(f);
    return f;
}

void live_view_commit(live_view v)
{
    atomic_fetch_add_explicit(&v->head, 1, memory_order_release);
    sem_post(&v->work);
}

int live_view_publish_now(live_view v, void (*fill)(void *ctx, struct view_frame *f), void *ctx)
{
    double until = now_s() + 2;
    while (atomic_load(&v->head) - atomic_load(&v->tail) >= VIEW_QUEUE_LEN && now_s() < until)
        nanosleep(&(struct timespec){0, 5000000}, NULL);
    struct view_frame *f = live_view_slot(v);
    if (!f)
        return ISAC_EIO;
    v->last_due = now_s();
    fill(ctx, f);
    live_view_commit(v);
    /* encoded before returning: the counters the caller reads next include it */
    until = now_s() + 2;
    while (atomic_load(&v->tail) < atomic_load(&v->head) && now_s() < until)
        nanosleep(&(struct timespec){0, 2000000}, NULL);
    return ISAC_OK;
}

void live_view_counters(live_view v, struct live_view_counters *c)
{
    c->published = atomic_load(&v->published);
    c->decimated = atomic_load(&v->decimated);
    c->dropped = atomic_load(&v->dropped);
    c->viewers = atomic_load(&v->viewers);
    c->viewers_max = atomic_load(&v->viewers_max);
    c->viewer_skipped = atomic_load(&v->skipped);
}

int live_view_stop_requested(live_view v)
{
    return v && atomic_load(&v->stop);
}

int live_view_paused(live_view v)
{
    return v && atomic_load(&v->paused);
}

void live_view_paused_wait(live_view v, int (*should_stop)(void *ctx), void *ctx)
{
    while (v && atomic_load(&v->paused) && !atomic_load(&v->stop) &&
           !(should_stop && should_stop(ctx)))
        nanosleep(&(struct timespec){0, 100000000}, NULL);
}

/* ---------------------------------------------------------------- publisher */

static void *publish_loop(void *arg)
{
    live_view v = arg;
    for (;;) {
        struct timespec ts;
        deadline_in(&ts, 0.25);
        sem_timedwait(&v->work, &ts);
        uint64_t t;
        while ((t = atomic_load_explicit(&v->tail, memory_order_relaxed)) <
               atomic_load_explicit(&v->head, memory_order_acquire)) {
            struct view_frame *f = &v->ring[t % VIEW_QUEUE_LEN];
            struct live_view_counters c;
            live_view_counters(v, &c);
            c.published++;
            char *s = view_frame_encode(f, v->seq + 1, &c);
            json_decref(f->meta);
            f->meta = NULL;
            if (s) {
                pthread_mutex_lock(&v->lm);
                free(v->text);
                v->text = s;
                v->len = strlen(s);
                v->seq++;
                pthread_cond_broadcast(&v->lc);
                pthread_mutex_unlock(&v->lm);
                atomic_fetch_add(&v->published, 1);
            } else {
                atomic_fetch_add(&v->dropped, 1);
            }
            /* the loop may refill the slot from here on */
            atomic_store_explicit(&v->tail, t + 1, memory_order_release);
        }
        if (atomic_load(&v->stopping))
            return NULL;
    }
}

/* ---------------------------------------------------------------- HTTP */

struct request {
    size_t body; /* bytes of request body seen (discarded) */
};

struct viewer {
    live_view v;
    uint64_t sent; /* seq of the last frame sent */
    char *buf;
    size_t len, off, cap;
    int hello;
};

static void add_common_headers(struct MHD_Response *r)
{
    MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(r, "Content-Security-Policy",
                            "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'");
    MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
    MHD_add_response_header(r, "Cache-Control", "no-store");
}

static enum MHD_Result reply(struct MHD_Connection *con, unsigned status, const char *type,
                             const char *body, const char *allow)
{
    struct MHD_Response *r =
        MHD_create_response_from_buffer(strlen(body), (void *)body, MHD_RESPMEM_MUST_COPY);
    if (!r)
        return MHD_NO;
    add_common_headers(r);
    MHD_add_response_header(r, "Content-Type", type);
    if (allow)
        MHD_add_response_header(r, "Allow", allow);
    enum MHD_Result rc = MHD_queue_response(con, status, r);
    MHD_destroy_response(r);
    return rc;
}

/* A JSON body (jansson, compact, one line): takes the reference to o. */
static enum MHD_Result reply_json(struct MHD_Connection *con, json_t *o)
{
    char *text = o ? json_dumps(o, JSON_COMPACT) : NULL;
    json_decref(o);
    size_t n = text ? strlen(text) : 0;
    char *body = text ? realloc(text, n + 2) : NULL;
    if (!body) {
        free(text);
        return MHD_NO;
    }
    memcpy(body + n, "\n", 2);
    enum MHD_Result rc = reply(con, 200, "application/json", body, NULL);
    free(body);
    return rc;
}

static enum MHD_Result reply_text(struct MHD_Connection *con, unsigned status, const char *msg)
{
    char body[160];
    snprintf(body, sizeof body, "%u %s\n", status, msg);
    return reply(con, status, "text/plain; charset=utf-8", body, NULL);
}

static int viewer_fill(struct viewer *w, const char *head, const char *data, size_t dlen)
{
    size_t need = strlen(head) + dlen + 3;
    if (need > w->cap) {
        char *b = realloc(w->buf, need);
        if (!b)
            return -1;
        w->buf = b;
        w->cap = need;
    }
    size_t h = strlen(head);
    memcpy(w->buf, head, h);
    memcpy(w->buf + h, data, dlen);
    memcpy(w->buf + h + dlen, "\n\n", 3);
    w->len = h + dlen + 2; /* the NUL is not sent */
    w->off = 0;
    return 0;
}

/* The SSE body: the latest frame whenever there is a newer one than the last sent, a
 * keep-alive comment every KEEPALIVE_S otherwise; the stream ends when the view stops
 * (after its last frame). Blocking here is what thread-per-connection mode is for. */
static ssize_t sse_read(void *cls, uint64_t pos, char *buf, size_t max)
{
    (void)pos;
    struct viewer *w = cls;
    live_view v = w->v;
    if (w->off >= w->len) {
        int rc = 0;
        if (!w->hello) {
            w->hello = 1;
            rc = viewer_fill(w, "retry: 1000\n", "", 0);
        } else {
            pthread_mutex_lock(&v->lm);
            struct timespec ts;
            deadline_in(&ts, KEEPALIVE_S);
            int waited = 0;
            while (v->seq == w->sent && !atomic_load(&v->stopping) && waited != ETIMEDOUT)
                waited = pthread_cond_timedwait(&v->lc, &v->lm, &ts);
            if (v->seq != w->sent && v->text) {
                char head[64];
                if (w->sent && v->seq > w->sent + 1)
                    atomic_fetch_add(&v->skipped, v->seq - w->sent - 1);
                snprintf(head, sizeof head,
                         "id: %llu\nevent: frame\ndata: ", (unsigned long long)v->seq);
                rc = viewer_fill(w, head, v->text, v->len);
                w->sent = v->seq;
            } else if (atomic_load(&v->stopping)) {
                pthread_mutex_unlock(&v->lm);
                return MHD_CONTENT_READER_END_OF_STREAM;
            } else {
                rc = viewer_fill(w, ": keep-alive\n", "", 0);
            }
            pthread_mutex_unlock(&v->lm);
        }
        if (rc)
            return MHD_CONTENT_READER_END_WITH_ERROR;
    }
    size_t n = w->len - w->off < max ? w->len - w->off : max;
    memcpy(buf, w->buf + w->off, n);
    w->off += n;
    return (ssize_t)n;
}

static void sse_free(void *cls)
{
    struct viewer *w = cls;
    atomic_fetch_sub(&w->v->viewers, 1);
    free(w->buf);
    free(w);
}

static enum MHD_Result serve_events(live_view v, struct MHD_Connection *con)
{
    struct viewer *w = calloc(1, sizeof *w);
    if (!w)
        return reply_text(con, 503, "Service Unavailable");
    w->v = v;
    struct MHD_Response *r =
        MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 16 * 1024, sse_read, w, sse_free);
    if (!r) {
        free(w);
        return reply_text(con, 503, "Service Unavailable");
    }
    uint64_t n = atomic_fetch_add(&v->viewers, 1) + 1, m = atomic_load(&v->viewers_max);
    while (n > m && !atomic_compare_exchange_weak(&v->viewers_max, &m, n))
        ;
    add_common_headers(r);
    MHD_add_response_header(r, "Content-Type", "text/event-stream");
    enum MHD_Result rc = MHD_queue_response(con, 200, r);
    MHD_destroy_response(r);
    return rc;
}

static enum MHD_Result serve_state(live_view v, struct MHD_Connection *con)
{
    pthread_mutex_lock(&v->lm);
    char *copy = v->text ? strdup(v->text) : NULL;
    pthread_mutex_unlock(&v->lm);
    enum MHD_Result rc;
    if (copy) {
        rc = reply(con, 200, "application/json", copy, NULL);
    } else {
        rc = reply_json(con,
                        json_pack("{s:i,s:s,s:s}", "seq", 0, "kind", v->kind, "state", "starting"));
    }
    free(copy);
    return rc;
}

static enum MHD_Result serve_asset(struct MHD_Connection *con, const struct web_asset *a)
{
    struct MHD_Response *r =
        MHD_create_response_from_buffer(a->len, (void *)a->data, MHD_RESPMEM_PERSISTENT);
    if (!r)
        return MHD_NO;
    add_common_headers(r);
    MHD_add_response_header(r, "Content-Type", a->mime);
    enum MHD_Result rc = MHD_queue_response(con, 200, r);
    MHD_destroy_response(r);
    return rc;
}

int live_view_offer_policies(live_view v, const char *const *names, unsigned n)
{
    if (!v || !names || n < 1 || n > LIVE_VIEW_MAX_POLICIES)
        return ISAC_EINVAL;
    for (unsigned i = 0; i < n; i++)
        if (!names[i] || !names[i][0] || strlen(names[i]) >= sizeof v->policy_names[i])
            return ISAC_EINVAL;
    for (unsigned i = 0; i < n; i++) {
        snprintf(v->policy_names[i], sizeof v->policy_names[i], "%s", names[i]);
        v->policy_ptrs[i] = v->policy_names[i];
    }
    v->num_policies = n;
    return ISAC_OK;
}

const char *live_view_take_policy(live_view v)
{
    if (!v)
        return NULL;
    int i = atomic_exchange(&v->policy_asked, -1);
    return i >= 0 && (unsigned)i < v->num_policies ? v->policy_names[i] : NULL;
}

unsigned live_view_policies(live_view v, const char *const **names)
{
    *names = v ? v->policy_ptrs : NULL;
    return v ? v->num_policies : 0;
}

/* POST /api/policy?name=NAME (token checked by the caller): takes effect from the next
 * episode, so an episode's decisions always come from one policy (replay reproduces it). */
static enum MHD_Result ask_policy(live_view v, struct MHD_Connection *con)
{
    if (!v->num_policies)
        return reply_text(con, 409, "Conflict: this command has no policy to change");
    const char *name = MHD_lookup_connection_value(con, MHD_GET_ARGUMENT_KIND, "name");
    for (unsigned i = 0; name && i < v->num_policies; i++)
        if (!strcmp(name, v->policy_names[i])) {
            atomic_store(&v->policy_asked, (int)i);
            char body[96];
            snprintf(body, sizeof body, "{\"policy_next\":\"%s\"}\n", v->policy_names[i]);
            return reply(con, 200, "application/json", body, NULL);
        }
    return reply_text(con, 400,
                      name ? "Bad Request: unknown policy name"
                           : "Bad Request: policy needs ?name=NAME");
}

static enum MHD_Result control(live_view v, struct MHD_Connection *con, const char *what)
{
    const char *tok = MHD_lookup_connection_value(con, MHD_HEADER_KIND, "X-Isactb-Token");
    const char *auth = MHD_lookup_connection_value(con, MHD_HEADER_KIND, "Authorization");
    if (!tok && auth && !strncmp(auth, "Bearer ", 7))
        tok = auth + 7;
    if (!tok)
        return reply_text(con, 401, "Unauthorized: controls need the token printed at start");
    if (!live_view_token_equal(v->token, tok))
        return reply_text(con, 403, "Forbidden: wrong token");
    if (!strcmp(what, "policy"))
        return ask_policy(v, con);
    if (!strcmp(what, "pause"))
        atomic_store(&v->paused, 1);
    else if (!strcmp(what, "resume"))
        atomic_store(&v->paused, 0);
    else
        atomic_store(&v->stop, 1);
    return reply_json(con, json_pack("{s:b,s:b}", "paused", atomic_load(&v->paused) != 0, "stop",
                                     atomic_load(&v->stop) != 0));
}

/* Loopback binds answer only to their own names (DNS rebinding: a page of another
 * origin resolving to 127.0.0.1 must not read the view). */
static int host_ok(live_view v, struct MHD_Connection *con)
{
    if (!v->hosts[0][0])
        return 1;
    const char *h = MHD_lookup_connection_value(con, MHD_HEADER_KIND, "Host");
    for (int i = 0; h && i < 3; i++)
        if (v->hosts[i][0] && !strcmp(h, v->hosts[i]))
            return 1;
    return 0;
}

static enum MHD_Result route(live_view v, struct MHD_Connection *con, const char *url,
                             const char *method, const struct request *rq)
{
    int get = !strcmp(method, "GET") || !strcmp(method, "HEAD"), post = !strcmp(method, "POST");
    if (!host_ok(v, con))
        return reply_text(con, 421, "Misdirected Request: unknown Host");
    if (rq->body > BODY_MAX)
        return reply_text(con, 413, "Content Too Large");
    if (!strcmp(url, "/"))
        url = "/index.html";
    for (size_t i = 0; i < web_assets_count; i++)
        if (!strcmp(url, web_assets[i].path))
            return get ? serve_asset(con, &web_assets[i])
                       : reply(con, 405, "text/plain", "405 Method Not Allowed\n", "GET, HEAD");
    if (!strcmp(url, "/events") || !strcmp(url, "/api/state")) {
        if (!get)
            return reply(con, 405, "text/plain", "405 Method Not Allowed\n", "GET, HEAD");
        return url[1] == 'e' ? serve_events(v, con) : serve_state(v, con);
    }
    static const char *const ctl[] = {"pause", "resume", "stop", "policy"};
    for (size_t i = 0; i < sizeof ctl / sizeof *ctl; i++)
        if (!strncmp(url, "/api/", 5) && !strcmp(url + 5, ctl[i]))
            return post ? control(v, con, ctl[i])
                        : reply(con, 405, "text/plain", "405 Method Not Allowed\n", "POST");
    return reply_text(con, 404, "Not Found");
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *con, const char *url,
                                  const char *method, const char *version, const char *upload,
                                  size_t *upload_size, void **req_cls)
{
    (void)version;
    (void)upload;
    struct request *rq = *req_cls;
    if (!rq) { /* headers only: say so to see the body (if any) first */
        if (!(rq = calloc(1, sizeof *rq)))
            return MHD_NO;
        *req_cls = rq;
        return MHD_YES;
    }
    if (*upload_size) {
        rq->body += *upload_size;
        *upload_size = 0;
        return MHD_YES;
    }
    return route(cls, con, url, method, rq);
}

static void on_completed(void *cls, struct MHD_Connection *con, void **req_cls,
                         enum MHD_RequestTerminationCode code)
{
    (void)cls;
    (void)con;
    (void)code;
    free(*req_cls);
    *req_cls = NULL;
}

/* ---------------------------------------------------------------- life cycle */

static int parse_addr(live_view v, const struct live_view_opts *o, struct sockaddr_storage *ss,
                      int *v6, char *err, size_t errlen)
{
    const char *a = o->addr ? o->addr : "127.0.0.1";
    memset(ss, 0, sizeof *ss);
    struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
    struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
    *v6 = 0;
    if (inet_pton(AF_INET, a, &s4->sin_addr) == 1) {
        s4->sin_family = AF_INET;
        s4->sin_port = htons((uint16_t)o->port);
    } else if (inet_pton(AF_INET6, a, &s6->sin6_addr) == 1) {
        s6->sin6_family = AF_INET6;
        s6->sin6_port = htons((uint16_t)o->port);
        *v6 = 1;
    } else {
        isac_seterr(err, errlen, "serve: address '%s' is not a numeric IPv4 or IPv6 address", a);
        return ISAC_EINVAL;
    }
    snprintf(v->addr, sizeof v->addr, "%s", a);
    return ISAC_OK;
}

static void loopback_hosts(live_view v, int v6)
{
    int loop4 = !v6 && !strncmp(v->addr, "127.", 4), loop6 = v6 && !strcmp(v->addr, "::1");
    if (!loop4 && !loop6)
        return;
    if (loop6)
        snprintf(v->hosts[0], sizeof v->hosts[0], "[::1]:%u", v->port);
    else
        snprintf(v->hosts[0], sizeof v->hosts[0], "%s:%u", v->addr, v->port);
    snprintf(v->hosts[1], sizeof v->hosts[1], "localhost:%u", v->port);
    snprintf(v->hosts[2], sizeof v->hosts[2], "%s", loop6 ? "[::1]" : v->addr);
}

live_view live_view_create(const struct live_view_opts *o, char *err, size_t errlen)
{
    live_view v = calloc(1, sizeof *v);
    struct sockaddr_storage ss;
    unsigned char rnd[16];
    int v6;
    if (!v) {
        isac_seterr(err, errlen, "serve: out of memory");
        return NULL;
    }
    atomic_init(&v->policy_asked, -1);
    if (o->port > 65535 || parse_addr(v, o, &ss, &v6, err, errlen)) {
        if (o->port > 65535)
            isac_seterr(err, errlen, "serve: port %u outside 0..65535", o->port);
        free(v);
        return NULL;
    }
    if (getrandom(rnd, sizeof rnd, 0) != (ssize_t)sizeof rnd) {
        isac_seterr(err, errlen, "serve: no random bytes for the control token");
        free(v);
        return NULL;
    }
    for (int i = 0; i < 16; i++)
        snprintf(v->token + 2 * i, 3, "%02x", rnd[i]);
    snprintf(v->kind, sizeof v->kind, "%s", o->kind ? o->kind : "run");
    double hz =
        o->max_rate_hz > 0 && o->max_rate_hz < VIEW_MAX_RATE_HZ ? o->max_rate_hz : VIEW_MAX_RATE_HZ;
    v->min_interval_s = 1.0 / hz;
    v->last_due = -1e9;
    pthread_mutex_init(&v->lm, NULL);
    pthread_cond_init(&v->lc, NULL);
    sem_init(&v->work, 0, 0);
    if (pthread_create(&v->publisher, NULL, publish_loop, v)) {
        isac_seterr(err, errlen, "serve: cannot start the publisher thread");
        live_view_destroy(v);
        return NULL;
    }
    v->publisher_started = 1;
    unsigned flags =
        MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION | (v6 ? MHD_USE_IPv6 : 0);
    v->d = MHD_start_daemon(
        flags, (uint16_t)o->port, NULL, NULL, on_request, v, MHD_OPTION_SOCK_ADDR,
        (struct sockaddr *)&ss, MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)HEADER_MEMORY,
        MHD_OPTION_CONNECTION_LIMIT, (unsigned)VIEW_MAX_CONNECTIONS, MHD_OPTION_CONNECTION_TIMEOUT,
        (unsigned)60, MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL, MHD_OPTION_END);
    const union MHD_DaemonInfo *di =
        v->d ? MHD_get_daemon_info(v->d, MHD_DAEMON_INFO_BIND_PORT) : NULL;
    if (!di) {
        isac_seterr(err, errlen, "serve: cannot listen on %s port %u (%s)", v->addr, o->port,
                    errno ? strerror(errno) : "libmicrohttpd refused");
        live_view_destroy(v);
        return NULL;
    }
    v->port = di->port;
    loopback_hosts(v, v6);
    return v;
}

void live_view_destroy(live_view v)
{
    if (!v)
        return;
    atomic_store(&v->stopping, 1);
    if (v->publisher_started) {
        sem_post(&v->work);
        pthread_join(v->publisher, NULL);
    }
    pthread_mutex_lock(&v->lm);
    pthread_cond_broadcast(&v->lc);
    pthread_mutex_unlock(&v->lm);
    if (v->d)
        MHD_stop_daemon(v->d);
    for (int i = 0; i < VIEW_QUEUE_LEN; i++)
        view_frame_free(&v->ring[i]);
    free(v->text);
    sem_destroy(&v->work);
    pthread_cond_destroy(&v->lc);
    pthread_mutex_destroy(&v->lm);
    free(v);
}

unsigned live_view_port(live_view v)
{
    return v->port;
}

json_t *live_view_stats_json(live_view v, uint64_t cpis)
{
    struct live_view_counters c;
    live_view_counters(v, &c);
    return json_pack("{s:I,s:I,s:I,s:I,s:I,s:I}", "cpis", (json_int_t)cpis, "published",
                     (json_int_t)c.published, "decimated", (json_int_t)c.decimated, "dropped",
                     (json_int_t)c.dropped, "viewers_max", (json_int_t)c.viewers_max,
                     "viewer_skipped", (json_int_t)c.viewer_skipped);
}

const char *live_view_token(live_view v)
{
    return v->token;
}

const char *live_view_address(live_view v)
{
    return v->addr;
}
