/* Rendering: TX bursts (with TX impairments) are stored; an RX window sums, for every
 * stored burst, path and RX AP, one fractionally delayed copy of the burst beamformed
 * toward the path's departure angle, spreads it over the AP's elements with the
 * arrival steering vector, then applies per-channel RX impairments, noise and faults.
 * Cost per path and AP: one isac_fdelay_add; per channel: one isac_fdelay_add (RX delay). */
#include <math.h>
#include <stdio.h>
#include <time.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "dsp/fdelay.h"
#include "sim/sim_internal.h"

/* Samples of padding around a window so the RX delay filter sees real neighbours. */
static size_t rx_pad(isac_sim s)
{
    return ISAC_FDELAY_HALF + (size_t)ceil(s->p.delay_max) + 2;
}

void sim_bursts_free(isac_sim s)
{
    for (size_t i = 0; i < s->nbursts; i++) {
        free(s->bursts[i].x);
        isac_array_destroy(s->bursts[i].tx);
    }
    free(s->bursts);
    s->bursts = NULL;
    s->nbursts = s->cap_bursts = 0;
}

/* Largest delay of any path (samples): the farthest scatterer in the square is the
 * bound; used to decide when a burst can no longer contribute. */
static double max_path_delay(isac_sim s)
{
    double lo = s->tx_ap.x - s->p.area / 2, hi = s->tx_ap.x + s->p.area / 2;
    double diag = (hi - lo) * M_SQRT2;
    return 2.5 * diag / ISAC_GEOM_C0 * s->p.fs + s->p.delay_max + 1.0;
}

static void prune_bursts(isac_sim s)
{
    double horizon = max_path_delay(s) + rx_pad(s) + ISAC_FDELAY_HALF;
    size_t j = 0;
    for (size_t i = 0; i < s->nbursts; i++) {
        struct sim_burst *b = &s->bursts[i];
        if ((double)(b->t + (int64_t)b->n) + horizon < (double)s->now) {
            free(b->x);
            isac_array_destroy(b->tx);
        } else
            s->bursts[j++] = *b;
    }
    s->nbursts = j;
}

void isac_sim_advance(isac_sim s, int64_t t)
{
    if (t > s->now)
        s->now = t;
    prune_bursts(s);
}

/* The emulated device stopped answering (hang_after): wait out the call's timeout as a
 * driver would (wall time; a signal ends the wait early so SIGINT is served promptly),
 * then report it. */
static int dead_device(isac_sim s, const char *call)
{
    if (!s->p.hang_after || s->captures < s->p.hang_after)
        return ISAC_OK;
    struct timespec ts = {(time_t)s->p.timeout_s,
                          (long)((s->p.timeout_s - floor(s->p.timeout_s)) * 1e9)};
    s->cnt.timeouts++;
    if (nanosleep(&ts, NULL)) { /* a signal: give up now, the caller polls its stop flag */
        snprintf(s->err, sizeof s->err,
                 "interrupted while %s waited for an answer (device stopped answering after "
                 "%llu captures)",
                 call, (unsigned long long)s->captures);
        return ISAC_ETIMEOUT;
    }
    snprintf(s->err, sizeof s->err,
             "timeout: %s got no answer within %g s (device stopped answering after %llu "
             "captures)",
             call, s->p.timeout_s, (unsigned long long)s->captures);
    return ISAC_ETIMEOUT;
}

int isac_sim_tx_burst(isac_sim s, int64_t t0, const float complex *const *x, size_t len)
{
    if (!s || (!x && len) || len > ((size_t)1 << 28))
        return ISAC_EINVAL;
    int hung = dead_device(s, "TX burst");
    if (hung)
        return hung;
    if (t0 < s->now) {
        s->cnt.late_commands++;
        snprintf(s->err, sizeof s->err, "late command: TX burst at tick %lld, time is %lld",
                 (long long)t0, (long long)s->now);
        return ISAC_ERADIO;
    }
    if (len == 0)
        return ISAC_OK;
    for (size_t i = 0; i < s->nbursts; i++) {
        const struct sim_burst *b = &s->bursts[i];
        if (t0 < b->t_user + (int64_t)b->len && b->t_user < t0 + (int64_t)len) {
            snprintf(s->err, sizeof s->err, "TX burst at tick %lld overlaps the burst at %lld",
                     (long long)t0, (long long)b->t_user);
            return ISAC_EINVAL;
        }
    }
    for (unsigned c = 0; c < s->M; c++)
        if (!x[c])
            return ISAC_EINVAL;
    prune_bursts(s);
    if (s->nbursts == s->cap_bursts) {
        size_t nc = s->cap_bursts ? 2 * s->cap_bursts : 8;
        struct sim_burst *nb = realloc(s->bursts, nc * sizeof *nb);
        if (!nb)
            return ISAC_ENOMEM;
        s->bursts = nb;
        s->cap_bursts = nc;
    }
    size_t pad = ISAC_FDELAY_HALF, n = len + 2 * pad + (size_t)ceil(s->p.delay_max) + 1;
    float complex *buf = calloc((size_t)s->M * n, sizeof *buf);
    /* the burst radiates from where the elements are now, even if they move before
     * its echoes are captured */
    isac_array tx = isac_array_copy(s->tx_arr);
    if (!buf || !tx) {
        free(buf);
        isac_array_destroy(tx);
        return ISAC_ENOMEM;
    }
    /* x~_c[i] = g_c x_c(i - pad - d_c): stored from tick t0 - pad */
    for (unsigned c = 0; c < s->M; c++)
        isac_fdelay_add(buf + (size_t)c * n, n, x[c], len, (double)pad + s->tx_delay[c],
                        sim_tx_coef(s, c), 0.0);
    s->bursts[s->nbursts++] = (struct sim_burst){t0 - (int64_t)pad, n, len, t0, buf, tx};
    return ISAC_OK;
}

/* ---- noise: a function of (seed, channel, tick) ---- */

/* Marsaglia polar method on the isac_rng stream (one 64-bit draw per attempt, two
 * 32-bit uniforms, single precision): CN(0, 1) samples without trig. The receiver
 * noise is the emulator's hot loop; 24-bit uniforms are ample for Gaussian noise.
 * cn01_fill writes n samples, exactly those of n successive calls of the one-sample
 * form (as cn01 was written before, kept in the comment below for reference):
 *     do { w = next(r); u = lo32(w) 2^-31; v = hi32(w) 2^-31; q = u u + v v; }
 *     while (q >= 1 || q == 0);
 *     f = sqrtf(-logf(q) / q); return f u + (f v) i;
 * It works in batches of NOISE_BATCH attempts: every attempt is drawn in order, the
 * accepted ones are packed without a branch (the 21 % rejections were mispredicted
 * branches), then the same logf, division and sqrtf per sample. Same operations on the same
 * values, so the same bits (the build contracts no FMA: ISO C mode). Attempts past the
 * n-th sample are drawn and dropped, so r is left in an unspecified state: callers
 * seed a fresh stream per noise block. */
#define NOISE_BATCH 64

static void cn01_fill(isac_rng *r, float complex *y, size_t n)
{
    float u[NOISE_BATCH], v[NOISE_BATCH], q[NOISE_BATCH];
    size_t got = 0;
    while (got < n) {
        size_t k = 0;
        for (size_t i = 0; i < NOISE_BATCH; i++) {
            uint64_t w = isac_rng_next(r);
            float a = (float)(int32_t)(uint32_t)w * 0x1.0p-31f;
            float b = (float)(int32_t)(uint32_t)(w >> 32) * 0x1.0p-31f;
            float s = a * a + b * b;
            u[k] = a;
            v[k] = b;
            q[k] = s;
            k += (size_t)((s < 1.0f) & (s != 0.0f));
        }
        if (k > n - got)
            k = n - got;
        float l[NOISE_BATCH];
        for (size_t i = 0; i < k; i++) /* libm calls apart: the loop below pipelines */
            l[i] = logf(q[i]);
        for (size_t i = 0; i < k; i++) {
            float f = sqrtf(-l[i] / q[i]); /* each part N(0, 1/2) */
            /* (not CMPLXF: glibc defines it for GCC only, and clang builds the fuzz targets) */
            y[got + i] = (f * u[i]) + (f * v[i]) * I;
        }
        got += k;
    }
}

void isac_sim_normal_fill(isac_rng *r, float complex *y, size_t n)
{
    cn01_fill(r, y, n);
}

void sim_noise_draw(isac_sim s, unsigned ch, int64_t t0, float complex *w, size_t len)
{
    float complex blk_w[SIM_NOISE_BLOCK];
    int64_t t = t0, end = t0 + (int64_t)len;
    while (t < end) {
        int64_t blk =
            t >= 0 ? t / SIM_NOISE_BLOCK : -((-t + SIM_NOISE_BLOCK - 1) / SIM_NOISE_BLOCK);
        int64_t bstart = blk * SIM_NOISE_BLOCK, bend = bstart + SIM_NOISE_BLOCK;
        isac_rng r;
        isac_rng_seed_stream(&r, s->p.seed ^ ((uint64_t)blk * 0x9e3779b97f4a7c15ULL),
                             SIM_STREAM(SIM_ST_NOISE, ch, 0));
        int64_t stop = bend < end ? bend : end;
        if (t == bstart) { /* a whole block prefix: straight into w */
            cn01_fill(&r, w + (t - t0), (size_t)(stop - t));
        } else {
            cn01_fill(&r, blk_w, (size_t)(stop - bstart));
            memcpy(w + (t - t0), blk_w + (t - bstart), (size_t)(stop - t) * sizeof *w);
        }
        t = stop;
    }
}

static void add_noise(isac_sim s, unsigned ch, int64_t t0, float complex *y, size_t len,
                      float scale)
{
    float complex w[SIM_NOISE_BLOCK];
    int64_t t = t0, end = t0 + (int64_t)len;
    while (t < end) {
        int64_t blk =
            t >= 0 ? t / SIM_NOISE_BLOCK : -((-t + SIM_NOISE_BLOCK - 1) / SIM_NOISE_BLOCK);
        int64_t bstart = blk * SIM_NOISE_BLOCK, bend = bstart + SIM_NOISE_BLOCK;
        isac_rng r;
        isac_rng_seed_stream(&r, s->p.seed ^ ((uint64_t)blk * 0x9e3779b97f4a7c15ULL),
                             SIM_STREAM(SIM_ST_NOISE, ch, 0));
        int64_t stop = bend < end ? bend : end;
        /* the block's samples from its start (the ones before t are skipped) */
        cn01_fill(&r, w, (size_t)(stop - bstart));
        const float *wf = (const float *)(w + (t - bstart));
        float *yf = (float *)(y + (t - t0));
        size_t n = (size_t)(stop - t);
        for (size_t i = 0; i < 2 * n; i++)
            yf[i] += scale * wf[i];
        t = stop;
    }
}

/* ---- signal ---- */

static float complex *scratch(isac_sim s, size_t n)
{
    if (s->scratch_len < n) {
        float complex *p = realloc(s->scratch, n * sizeof *p);
        if (!p)
            return NULL;
        s->scratch = p;
        s->scratch_len = n;
    }
    return s->scratch;
}

/* y[i] += a x[i] with explicit real arithmetic (vectorisable, no C99 complex
 * multiply with its NaN/Inf recovery path). */
static void cmac(float complex *restrict y, const float complex *restrict x, size_t n,
                 float complex a)
{
    float *yf = (float *)y;
    const float *xf = (const float *)x;
    float ar = crealf(a), ai = cimagf(a);
    for (size_t i = 0; i < n; i++) {
        float xr = xf[2 * i], xi = xf[2 * i + 1];
        yf[2 * i] += ar * xr - ai * xi;
        yf[2 * i + 1] += ar * xi + ai * xr;
    }
}

/* y[i] += g x(i - delay) for i < ny, with fdelay's interpolator (isac_fdelay_taps), for the
 * per-channel RX delay offsets: the caller guarantees that every tap stays inside x
 * (the accumulator rows carry rx_pad() samples of margin), so the filter runs as
 * ISAC_FDELAY_TAPS vectorisable AXPYs over the interleaved floats. */
static void chan_delay(float complex *y, size_t ny, const float complex *x, double delay,
                       float complex g, float *tmp)
{
    double sd = -delay, af = floor(sd);
    int64_t off = (int64_t)af - ISAC_FDELAY_HALF + 1;
    float h[ISAC_FDELAY_TAPS];
    isac_fdelay_taps(sd - af, h);
    memset(tmp, 0, 2 * ny * sizeof *tmp);
    const float *xf = (const float *)x;
    for (int t = 0; t < ISAC_FDELAY_TAPS; t++) {
        if (h[t] == 0.0f)
            continue;
        const float *src = xf + 2 * (off + t);
        float ht = h[t];
        for (size_t k = 0; k < 2 * ny; k++)
            tmp[k] += ht * src[k];
    }
    float *yf = (float *)y, gr = crealf(g), gi = cimagf(g);
    for (size_t i = 0; i < ny; i++) {
        float r = tmp[2 * i], q = tmp[2 * i + 1];
        yf[2 * i] += gr * r - gi * q;
        yf[2 * i + 1] += gr * q + gi * r;
    }
}

/* Beamform burst b toward phi0 with the TX positions it was sent from:
 * s[i] = sum_c a_c(phi0) x~_c[i]. */
static void beamform(isac_sim s, const struct sim_burst *b, double phi0, float complex *out)
{
    float complex a[ISAC_SIM_MAX_ELEMENTS];
    isac_array_steering(b->tx, phi0, a);
    memset(out, 0, b->n * sizeof *out);
    for (unsigned c = 0; c < s->M; c++)
        cmac(out, b->x + (size_t)c * b->n, b->n, a[c]);
}

static int row_wanted(const struct render_ctx *c, unsigned ch)
{
    return !c->want || c->want[ch];
}

/* Some channel of RX AP n is asked for (else its paths need not be rendered at all). */
static int ap_wanted(isac_sim s, const struct render_ctx *c, unsigned n)
{
    for (unsigned m = 0; m < s->M; m++)
        if (row_wanted(c, n * s->M + m))
            return 1;
    return 0;
}

/* Add one path of burst b into RX AP n's accumulator rows (the rows asked for). */
static void add_path(isac_sim s, struct render_ctx *c, const struct sim_burst *b,
                     const float complex *sb, unsigned n, const struct isac_sim_path *p)
{
    double nu = (p->doppler_hz + s->cfo_rx[n] - s->cfo_tx) / s->p.fs;
    /* Doppler phase is referenced to the burst start t_b = b->t_user; the CFO phase
     * to absolute tick 0 (the LOs run freely). */
    double cyc =
        nu * (double)(c->T0 - b->t_user) + (s->cfo_rx[n] - s->cfo_tx) / s->p.fs * (double)b->t_user;
    cyc -= floor(cyc);
    double complex g = p->gain * cexp(I * 2 * M_PI * cyc);
    double delay = (double)(b->t - c->T0) + p->delay_samples;
    if (delay > (double)c->Lx + ISAC_FDELAY_HALF || delay + (double)b->n + ISAC_FDELAY_HALF < 0)
        return;
    if (!ap_wanted(s, c, n))
        return;
    memset(c->u, 0, c->Lx * sizeof *c->u);
    isac_fdelay_add(c->u, c->Lx, sb, b->n, delay, g, nu);
    float complex a[ISAC_SIM_MAX_ELEMENTS];
    isac_array_steering(s->rx_arr, p->phin, a);
    for (unsigned m = 0; m < s->M; m++)
        if (row_wanted(c, n * s->M + m))
            cmac(c->acc + (size_t)(n * s->M + m) * c->Lx, c->u, c->Lx, a[m]);
}

void isac_sim_set_rx_aps(isac_sim s, uint32_t ap_mask)
{
    s->rx_aps = ap_mask & ((1u << ISAC_SIM_NUM_RX_APS) - 1);
}

static int rendered(isac_sim s, unsigned n)
{
    return s->rx_aps >> n & 1u;
}

static int render_burst(isac_sim s, struct render_ctx *c, const struct sim_burst *b)
{
    struct isac_sim_path p;
    for (unsigned k = 0; k < s->p.targets; k++) {
        double x, y, vx, vy;
        sim_target_state(s, k, b->t_user, &x, &y, &vx, &vy);
        double phi0 = isac_geom_phi(&s->tx_ap, x, y);
        beamform(s, b, phi0, c->sb);
        for (unsigned n = 0; n < ISAC_SIM_NUM_RX_APS; n++) {
            if (!rendered(s, n))
                continue;
            sim_make_path(s, x, y, vx, vy, n, sim_rcs_at(s, k, n, b->t_user), b->t_user, &p);
            add_path(s, c, b, c->sb, n, &p);
        }
    }
    for (unsigned q = 0; q < s->p.clutter; q++) {
        const struct sim_scatterer *sc = &s->clut[q];
        beamform(s, b, isac_geom_phi(&s->tx_ap, sc->x, sc->y), c->sb);
        for (unsigned n = 0; n < ISAC_SIM_NUM_RX_APS; n++) {
            if (!rendered(s, n))
                continue;
            sim_make_path(s, sc->x, sc->y, 0, 0, n, sc->alpha[n], b->t_user, &p);
            add_path(s, c, b, c->sb, n, &p);
        }
    }
    if (s->p.leak)
        for (unsigned n = 0; n < ISAC_SIM_NUM_RX_APS; n++) {
            if (!rendered(s, n))
                continue;
            sim_leak_path(s, n, &p);
            beamform(s, b, p.phi0, c->sb);
            add_path(s, c, b, c->sb, n, &p);
        }
    return ISAC_OK;
}

/* Render every burst reaching the window into the accumulator rows of *c (one per RX
 * channel, rx_pad() samples of margin each side); returns 1 when some burst contributed,
 * 0 when none did, ISAC_ENOMEM. */
static int render_signal(isac_sim s, int64_t t0, size_t len, float complex *const *want,
                         struct render_ctx *c)
{
    size_t P = rx_pad(s);
    *c = (struct render_ctx){t0 - (int64_t)P, len + 2 * P, NULL, NULL, NULL, want};
    double horizon = max_path_delay(s) + ISAC_FDELAY_HALF;
    size_t maxn = 0, used = 0;
    for (size_t i = 0; i < s->nbursts; i++) {
        const struct sim_burst *b = &s->bursts[i];
        if ((double)(b->t + (int64_t)b->n) + horizon < (double)c->T0 ||
            b->t > c->T0 + (int64_t)c->Lx)
            continue;
        used++;
        if (b->n > maxn)
            maxn = b->n;
    }
    if (!used)
        return 0;
    size_t need = (size_t)s->num_rx * c->Lx + c->Lx + maxn;
    float complex *buf = scratch(s, need);
    if (!buf)
        return ISAC_ENOMEM;
    c->acc = buf;
    c->u = buf + (size_t)s->num_rx * c->Lx;
    c->sb = c->u + c->Lx;
    /* The calibration paths write every row; the over-the-air paths only the rows asked for
     * (the stream's channels) of the APs rendered (isac_sim_set_rx_aps). */
    for (unsigned ch = 0; ch < s->num_rx; ch++)
        if (s->p.cal != ISAC_SIM_CAL_OFF || (rendered(s, ch / s->M) && row_wanted(c, ch)))
            memset(c->acc + (size_t)ch * c->Lx, 0, c->Lx * sizeof *c->acc);
    for (size_t i = 0; i < s->nbursts; i++) {
        const struct sim_burst *b = &s->bursts[i];
        if ((double)(b->t + (int64_t)b->n) + horizon < (double)c->T0 ||
            b->t > c->T0 + (int64_t)c->Lx)
            continue;
        if (s->p.cal != ISAC_SIM_CAL_OFF)
            sim_cal_render_burst(s, c, b);
        else
            render_burst(s, c, b);
    }
    return 1;
}

/* The per-channel rest of a capture, independent across channels (a pool task): the RX
 * impairments y[i] = g_ch acc(t0 + i - d_ch) of the rendered signal, then the channel's
 * noise, a function of (seed, channel, tick) only; so the samples are the same whichever
 * thread renders which channel. */
struct finish_ctx {
    isac_sim s;
    int64_t t0;
    float complex *const *y;
    size_t len;
    const struct render_ctx *c; /* NULL: no signal in the window */
    const unsigned *chans;      /* task i renders channel chans[i] */
    const float complex *noise; /* num_rx rows of len drawn ahead, or NULL */
};

/* y += scale w: what add_noise does with the samples it draws, bit for bit. */
static void add_drawn(float complex *y, const float complex *w, size_t len, float scale)
{
    float *yf = (float *)y;
    const float *wf = (const float *)w;
    for (size_t i = 0; i < 2 * len; i++)
        yf[i] += scale * wf[i];
}

static void finish_channel(void *ctx, unsigned i)
{
    const struct finish_ctx *f = ctx;
    isac_sim s = f->s;
    unsigned ch = f->chans[i];
    memset(f->y[ch], 0, f->len * sizeof(float complex));
    if (!rendered(s, ch / s->M))
        return; /* an AP nobody reads (isac_sim_set_rx_aps): zeros */
    if (f->c)
        chan_delay(f->y[ch], f->len, f->c->acc + (size_t)ch * f->c->Lx,
                   s->rx_delay[ch] - (double)rx_pad(s), (float complex)sim_rx_coef(s, ch),
                   s->chan_tmp + 2 * s->chan_tmp_len * ch);
    float scale = (float)pow(10.0, s->rx_gain_db[ch] / 20.0);
    if (s->p.noise && f->noise)
        add_drawn(f->y[ch], f->noise + (size_t)ch * f->len, f->len, scale);
    else if (s->p.noise)
        add_noise(s, ch, f->t0, f->y[ch], f->len, scale);
}

/* Per-channel filter scratch for windows of len samples. */
static int chan_scratch(isac_sim s, size_t len)
{
    if (s->chan_tmp_len >= len)
        return ISAC_OK;
    float *p = realloc(s->chan_tmp, (size_t)s->num_rx * 2 * len * sizeof *p);
    if (!p)
        return ISAC_ENOMEM;
    s->chan_tmp = p;
    s->chan_tmp_len = len;
    return ISAC_OK;
}

/* ---- faults ---- */

static void zero_gap(isac_sim s, float complex *const *y, size_t start, size_t n)
{
    for (unsigned ch = 0; ch < s->num_rx; ch++)
        if (y[ch])
            memset(y[ch] + start, 0, n * sizeof(float complex));
}

static int capture(isac_sim s, int64_t t0, float complex *const *y, size_t len,
                   struct isac_radio_rx_md *md, int some);

int isac_sim_rx_capture(isac_sim s, int64_t t0, float complex *const *y, size_t len,
                        struct isac_radio_rx_md *md)
{
    return capture(s, t0, y, len, md, 0);
}

int isac_sim_rx_capture_some(isac_sim s, int64_t t0, float complex *const *y, size_t len,
                             struct isac_radio_rx_md *md)
{
    return capture(s, t0, y, len, md, 1);
}

/* some = 0: every y[ch] must be a row; 1: NULL rows are channels not asked for. */
static int capture(isac_sim s, int64_t t0, float complex *const *y, size_t len,
                   struct isac_radio_rx_md *md, int some)
{
    if (!s || (!y && len) || !md || len > ((size_t)1 << 28))
        return ISAC_EINVAL;
    memset(md, 0, sizeof *md);
    md->start_tick = t0;
    int hung = dead_device(s, "RX capture");
    if (hung)
        return hung;
    if (t0 < s->now) {
        s->cnt.late_commands++;
        snprintf(s->err, sizeof s->err, "late command: RX window at tick %lld, time is %lld",
                 (long long)t0, (long long)s->now);
        return ISAC_ERADIO;
    }
    unsigned chans[ISAC_SIM_NUM_RX_APS * ISAC_SIM_MAX_ELEMENTS], nch = 0;
    for (unsigned ch = 0; ch < s->num_rx; ch++) {
        if (y[ch])
            chans[nch++] = ch;
        else if (!some)
            return ISAC_EINVAL;
    }
    /* noise drawn ahead for this window (isac_sim_prepare_rx), once any draw under way is
     * over: the pool is the capture's again */
    const float complex *noise = sim_prefetch_take(s, t0, len);
    /* fault draws: fixed consumption per capture keeps the stream aligned */
    double u_late = isac_rng_uniform(&s->fault_rng), u_ovf = isac_rng_uniform(&s->fault_rng),
           u_drop = isac_rng_uniform(&s->fault_rng), u_pos = isac_rng_uniform(&s->fault_rng),
           u_len = isac_rng_uniform(&s->fault_rng);
    s->now = t0 + (int64_t)len;
    if (u_late < s->p.late_rate) {
        s->cnt.late_commands++;
        s->cnt.dropped_samples += len;
        snprintf(s->err, sizeof s->err, "late command (injected): RX window at tick %lld lost",
                 (long long)t0);
        return ISAC_ERADIO;
    }
    struct render_ctx c;
    int used = render_signal(s, t0, len, some ? y : NULL, &c),
        rc = used < 0 ? used : chan_scratch(s, len);
    if (rc < 0)
        return rc;
    struct finish_ctx f = {s, t0, y, len, used == 1 ? &c : NULL, chans, noise};
    isac_pool_run(s->pool, nch, finish_channel, &f);
    int ovf = u_ovf < s->p.overflow_rate, drop = u_drop < s->p.drop_rate;
    if ((ovf || drop) && len > 0) {
        /* one gap of 1..min(len, 1024) samples at a uniform position */
        size_t maxg = len < 1024 ? len : 1024;
        size_t g = 1 + (size_t)(u_len * (double)maxg);
        if (g > maxg)
            g = maxg;
        size_t start = (size_t)(u_pos * (double)(len - g + 1));
        if (start > len - g)
            start = len - g;
        zero_gap(s, y, start, g);
        md->dropped_samples = g;
        md->drop_start_tick = t0 + (int64_t)start;
        md->overflow = ovf;
        s->cnt.dropped_samples += g;
        if (ovf)
            s->cnt.overflows++;
    }
    md->num_samples = len;
    s->captures++;
    prune_bursts(s);
    return ISAC_OK;
}
