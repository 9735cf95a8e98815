/* Emulated communication users (see sim_user.h). */
#include "sim/sim_user.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/rng.h"
#include "dsp/fdelay.h"

#define SALT_USER_NOISE 0x6a09e667f3bcc908ull
#define SALT_USER_FADE 0xbb67ae8584caa73bull
#define USER_NOISE_BLOCK 4096

int isac_sim_user_validate(const struct isac_sim_user *u, unsigned uid, char *err, size_t errlen)
{
    if (!isfinite(u->x) || !isfinite(u->y) || fabs(u->x) > 1e6 || fabs(u->y) > 1e6) {
        isac_seterr(err, errlen, "user %u: position (%g, %g) not finite within 1e6 m", uid, u->x,
                    u->y);
        return ISAC_EINVAL;
    }
    if (!isfinite(u->vx) || !isfinite(u->vy) || hypot(u->vx, u->vy) > 100.0) {
        isac_seterr(err, errlen, "user %u: velocity (%g, %g) above 100 m/s", uid, u->vx, u->vy);
        return ISAC_EINVAL;
    }
    if (!(u->nf_db >= 0.0 && u->nf_db <= 30.0)) {
        isac_seterr(err, errlen, "user %u: nf_db %g outside 0..30", uid, u->nf_db);
        return ISAC_EINVAL;
    }
    if (!(fabs(u->cfo_hz) <= 1e5)) {
        isac_seterr(err, errlen, "user %u: cfo_hz %g outside -1e5..1e5", uid, u->cfo_hz);
        return ISAC_EINVAL;
    }
    if (isnan(u->k_db) || u->k_db < -30.0) {
        isac_seterr(err, errlen, "user %u: k_db %g below -30", uid, u->k_db);
        return ISAC_EINVAL;
    }
    if (u->scatter_taps > ISAC_SIM_USER_MAX_TAPS) {
        isac_seterr(err, errlen, "user %u: scatter_taps %u above %d", uid, u->scatter_taps,
                    ISAC_SIM_USER_MAX_TAPS);
        return ISAC_EINVAL;
    }
    if (!(u->delay_spread_s >= 0.0 && u->delay_spread_s <= 1e-5)) {
        isac_seterr(err, errlen, "user %u: delay_spread_s %g outside 0..1e-5", uid,
                    u->delay_spread_s);
        return ISAC_EINVAL;
    }
    return ISAC_OK;
}

static int los_only(const struct isac_sim_user *u)
{
    return !(u->k_db < 100.0) || u->scatter_taps == 0;
}

unsigned isac_sim_user_paths(const struct isac_sim_user_link *l, const struct isac_sim_user *u,
                             unsigned uid, int64_t tb, struct isac_sim_user_path *paths)
{
    double t = (double)tb / l->fs;
    double px = u->x + u->vx * t, py = u->y + u->vy * t;
    double d = isac_geom_dist(l->ap.x, l->ap.y, px, py);
    double dd = d > 0 ? ((px - l->ap.x) * u->vx + (py - l->ap.y) * u->vy) / d : 0.0;
    d = d < 1.0 ? 1.0 : d;
    double beta_db = l->pl_db_1m - 10.0 * l->pl_exp * log10(d);
    double n0_dbm = -174.0 + u->nf_db + 10.0 * log10(l->fs);
    double amp = pow(10.0, (l->tx_power_dbm + beta_db - n0_dbm) / 20.0);
    double doppler = (-(l->fc / ISAC_GEOM_C0) * dd + u->cfo_hz) / l->fs;
    double delay = d / ISAC_GEOM_C0 * l->fs;
    int los = los_only(u);
    double k = los ? INFINITY : pow(10.0, u->k_db / 10.0);
    double los_frac = los ? 1.0 : k / (k + 1.0);
    paths[0].phi = isac_geom_phi(&l->ap, px, py);
    paths[0].delay = delay;
    paths[0].gain =
        sqrt(los_frac) * amp * cexp(-2.0 * M_PI * I * fmod(d * l->fc / ISAC_GEOM_C0, 1.0));
    paths[0].doppler = doppler;
    if (los)
        return 1;
    /* block fading: the scattered paths of this burst, from (seed, user, burst tick) */
    isac_rng r;
    isac_rng_seed_stream(&r, l->seed ^ SALT_USER_FADE ^ ((uint64_t)uid << 40), (uint64_t)tb);
    double w[ISAC_SIM_USER_MAX_TAPS], wsum = 0;
    for (unsigned i = 0; i < u->scatter_taps; i++) {
        double ex = -log(1.0 - isac_rng_uniform(&r)) * u->delay_spread_s * l->fs;
        paths[1 + i].delay = delay + ex;
        paths[1 + i].phi = (isac_rng_uniform(&r) * 2.0 - 1.0) * M_PI / 3.0;
        paths[1 + i].doppler = doppler;
        w[i] = u->delay_spread_s > 0 ? exp(-ex / (u->delay_spread_s * l->fs)) : 1.0;
        wsum += w[i];
    }
    for (unsigned i = 0; i < u->scatter_taps; i++) {
        double var = (1.0 - los_frac) * amp * amp * w[i] / wsum;
        paths[1 + i].gain = isac_rng_cnormal(&r, var);
    }
    return 1 + u->scatter_taps;
}

/* CN(0, 1) noise as a function of (seed, user, tick): blocks of USER_NOISE_BLOCK ticks,
 * each from its own stream, so any window gives the same samples. */
static void add_noise(const struct isac_sim_user_link *l, unsigned uid, int64_t t0,
                      float complex *y, size_t ny)
{
    int64_t t = t0, end = t0 + (int64_t)ny;
    while (t < end) {
        int64_t blk =
            t >= 0 ? t / USER_NOISE_BLOCK : -((-t + USER_NOISE_BLOCK - 1) / USER_NOISE_BLOCK);
        int64_t bstart = blk * USER_NOISE_BLOCK, bend = bstart + USER_NOISE_BLOCK;
        isac_rng r;
        isac_rng_seed_stream(&r, l->seed ^ SALT_USER_NOISE ^ ((uint64_t)uid << 48), (uint64_t)blk);
        for (int64_t k = bstart; k < t; k++)
            (void)isac_rng_cnormal(&r, 1.0);
        int64_t stop = bend < end ? bend : end;
        for (; t < stop; t++)
            y[t - t0] += (float complex)isac_rng_cnormal(&r, 1.0);
    }
}

int isac_sim_user_add(const struct isac_sim_user_link *l, const struct isac_sim_user *u,
                      unsigned uid, const float complex *const *x, size_t L, int64_t tb,
                      float complex *y, size_t ny, int64_t t0)
{
    if (!l || !u || !x || !y || L == 0 || !l->tx)
        return ISAC_EINVAL;
    unsigned M = isac_array_size(l->tx);
    struct isac_sim_user_path paths[1 + ISAC_SIM_USER_MAX_TAPS];
    unsigned np = isac_sim_user_paths(l, u, uid, tb, paths);
    float complex *a = malloc(M * sizeof(*a));
    float complex *s = malloc(L * sizeof(*s));
    if (!a || !s) {
        free(a);
        free(s);
        return ISAC_ENOMEM;
    }
    for (unsigned p = 0; p < np; p++) {
        isac_array_steering(l->tx, paths[p].phi, a);
        for (size_t n = 0; n < L; n++) {
            float complex acc = 0;
            for (unsigned m = 0; m < M; m++)
                acc += a[m] * x[m][n];
            s[n] = acc;
        }
        /* output index i is tick t0 + i; the burst's sample n is tick tb + n; the Doppler
         * phase is referenced to the burst start */
        double delay = paths[p].delay + (double)(tb - t0);
        double complex g =
            paths[p].gain * cexp(-2.0 * M_PI * I * paths[p].doppler * (double)(tb - t0));
        isac_fdelay_add(y, ny, s, L, delay, g, paths[p].doppler);
    }
    free(a);
    free(s);
    return ISAC_OK;
}

void isac_sim_user_noise(const struct isac_sim_user_link *l, unsigned uid, int64_t t0,
                         float complex *y, size_t ny)
{
    add_noise(l, uid, t0, y, ny);
}

int isac_sim_user_render(const struct isac_sim_user_link *l, const struct isac_sim_user *u,
                         unsigned uid, const float complex *const *x, size_t L, int64_t tb,
                         float complex *y, size_t ny, int64_t t0, int noise)
{
    if (!y)
        return ISAC_EINVAL;
    memset(y, 0, ny * sizeof(*y));
    int rc = isac_sim_user_add(l, u, uid, x, L, tb, y, ny, t0);
    if (rc == ISAC_OK && noise)
        add_noise(l, uid, t0, y, ny);
    return rc;
}

double isac_sim_user_model_sinr(const struct isac_sim_user_link *l, const struct isac_sim_user *u,
                                unsigned uid, int64_t tb, const float complex *const *v,
                                const double *psd, unsigned S, unsigned target, const int *k,
                                unsigned nk, unsigned nfft, double *signal, double *interference)
{
    unsigned M = isac_array_size(l->tx);
    struct isac_sim_user_path paths[1 + ISAC_SIM_USER_MAX_TAPS];
    unsigned np = isac_sim_user_paths(l, u, uid, tb, paths);
    double complex *av = calloc((size_t)np * S, sizeof(*av));
    float complex *a = malloc(M * sizeof(*a));
    double sig = 0, intf = 0;
    if (!av || !a)
        goto out;
    for (unsigned p = 0; p < np; p++) {
        isac_array_steering(l->tx, paths[p].phi, a);
        for (unsigned s = 0; s < S; s++) {
            double complex acc = 0;
            for (unsigned m = 0; m < M && v[s]; m++)
                acc += (double complex)a[m] * v[s][m];
            av[p * S + s] = paths[p].gain * acc;
        }
    }
    for (unsigned i = 0; i < nk; i++)
        for (unsigned s = 0; s < S; s++) {
            double complex h = 0;
            for (unsigned p = 0; p < np; p++)
                h += av[p * S + s] * cexp(-2.0 * M_PI * I * k[i] * paths[p].delay / nfft);
            double pw = psd[s] * creal(h * conj(h));
            if (s == target)
                sig += pw;
            else
                intf += pw;
        }
    sig /= nk;
    intf /= nk;
out:
    free(av);
    free(a);
    if (signal)
        *signal = sig;
    if (interference)
        *interference = intf;
    return sig / (intf + 1.0);
}
