/* A program using the installed isactb library: generate an LFM probe (80 % of the sample rate),
 * delay it by 17.25 samples (windowed-sinc fractional delay), find the delay with the matched
 * filter, and pick the DFT beam of an 8-element ULA that points at 20 degrees.
 *
 *   cc consumer.c $(pkg-config --cflags --libs isactb) -o consumer      (shared library)
 *   cmake: find_package(isactb) + target_link_libraries(consumer PRIVATE isactb::isactb)
 *
 * Prints one line on stdout; exit status 0 when the estimates are right, 1 otherwise. */
#include <complex.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "array/array.h"
#include "array/codebook.h"
#include "dsp/fdelay.h"
#include "dsp/mf.h"
#include "dsp/waveform.h"

#define PROBE_LEN 63
#define WINDOW_LEN 160
#define TRUE_DELAY 17.25
#define PI 3.14159265358979323846

static int delay_of_echo(double *delay)
{
    struct isac_waveform_params p = {
        .kind = ISAC_WAVEFORM_LFM, .length = PROBE_LEN, .bandwidth = 0.8};
    float complex s[PROBE_LEN], x[WINDOW_LEN] = {0}, z[WINDOW_LEN];
    int rc = 1;
    isac_mf q = NULL;
    if (isac_waveform_generate(&p, s) != 0)
        goto done;
    isac_fdelay_add(x, WINDOW_LEN, s, PROBE_LEN, TRUE_DELAY, 1.0, 0.0);
    q = isac_mf_create(s, PROBE_LEN, WINDOW_LEN, ISAC_MF_PLAN_ESTIMATE);
    if (!q)
        goto done;
    size_t K = isac_mf_num_lags(q);
    if (isac_mf_execute(q, x, z) != 0 || isac_mf_delay_estimate(z, K, 0, K - 1, delay, NULL) != 0)
        goto done;
    rc = 0;
done:
    isac_mf_destroy(q);
    return rc;
}

int main(void)
{
    double delay = 0;
    if (delay_of_echo(&delay) != 0) {
        fprintf(stderr, "consumer: matched filter failed\n");
        return 1;
    }
    isac_array ula = isac_array_create_ula(8, 0.5);
    isac_codebook cb = ula ? isac_codebook_create_dft(ula, 16, -PI / 3, PI / 3) : NULL;
    if (!cb) {
        fprintf(stderr, "consumer: codebook failed\n");
        isac_array_destroy(ula);
        return 1;
    }
    unsigned beam = isac_codebook_best_beam(cb, 20.0 * PI / 180.0);
    double angle = isac_codebook_angle(cb, beam) * 180.0 / PI;
    printf("delay %.2f samples, beam %u of %u at %.1f deg\n", delay, beam, isac_codebook_size(cb),
           angle);
    int ok = fabs(delay - TRUE_DELAY) < 0.05 && fabs(angle - 20.0) < 5.0;
    isac_codebook_destroy(cb);
    isac_array_destroy(ula);
    return ok ? 0 : 1;
}
