/* Radar echoes of point targets (see sim_echo.h). */
#include "sim/sim_echo.h"

#include <math.h>
#include <stdlib.h>

#include "common/err.h"
#include "common/rng.h"
#include "dsp/fdelay.h"

#define C0 299792458.0

int isac_sim_echo_render(const struct isac_sim_echo_link *ln, const struct isac_sim_echo_target *tg,
                         unsigned nt, const float complex *const *x, size_t len, double t0_s,
                         float complex **y, size_t ny, uint64_t noise_seed)
{
    if (!ln || !ln->arr || !x || !y || !len || !ny || (nt && !tg) || !(ln->fs > 0))
        return ISAC_EINVAL;
    unsigned M = isac_array_size(ln->arr);
    float complex *s = malloc(len * sizeof(*s)), *e = malloc(ny * sizeof(*e));
    float complex *a = malloc(M * sizeof(*a));
    int rc = (s && e && a) ? ISAC_OK : ISAC_ENOMEM;
    for (unsigned n = 0; n < M && rc == ISAC_OK; n++) {
        isac_rng r;
        isac_rng_seed_stream(&r, noise_seed, n);
        for (size_t i = 0; i < ny; i++)
            y[n][i] = (float complex)isac_rng_cnormal(&r, 1.0);
    }
    for (unsigned k = 0; k < nt && rc == ISAC_OK; k++) {
        double px = tg[k].x + tg[k].vx * t0_s - ln->ap_x;
        double py = tg[k].y + tg[k].vy * t0_s - ln->ap_y;
        double d = hypot(px, py);
        if (!(d > 0.5))
            continue;
        double rdot = (px * tg[k].vx + py * tg[k].vy) / d;
        isac_array_steering(ln->arr, asin(fmax(-1.0, fmin(1.0, px / d))), a);
        for (size_t i = 0; i < len; i++) { /* the signal radiated toward the target */
            float complex acc = 0;
            for (unsigned m = 0; m < M; m++)
                acc += a[m] * x[m][i];
            s[i] = acc;
        }
        double amp = sqrt(ln->snr_ref / ((double)M * len)) * pow(ln->d_ref / d, 2.0);
        double ph = fmod(-4.0 * M_PI * ln->fc * d / C0, 2.0 * M_PI);
        double complex g = amp * cexp(I * ph);
        for (size_t i = 0; i < ny; i++)
            e[i] = 0;
        isac_fdelay_add(e, ny, s, len, 2.0 * d * ln->fs / C0, (float complex)g,
                        -2.0 * ln->fc * rdot / C0 / ln->fs);
        for (unsigned n = 0; n < M; n++)
            for (size_t i = 0; i < ny; i++)
                y[n][i] += a[n] * e[i];
    }
    free(s);
    free(e);
    free(a);
    return rc;
}
