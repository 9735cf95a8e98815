#include "array/array.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

struct isac_array_s {
    unsigned M;
    double *pos;
};

isac_array isac_array_create(const double *pos_wl, unsigned M)
{
    if (!pos_wl || M == 0 || M > 4096)
        return NULL;
    for (unsigned m = 0; m < M; m++)
        if (!isfinite(pos_wl[m]) || fabs(pos_wl[m]) > 1e4)
            return NULL;
    isac_array a = malloc(sizeof *a);
    if (!a)
        return NULL;
    a->pos = malloc(M * sizeof *a->pos);
    if (!a->pos) {
        free(a);
        return NULL;
    }
    memcpy(a->pos, pos_wl, M * sizeof *a->pos);
    a->M = M;
    return a;
}

isac_array isac_array_create_ula(unsigned M, double spacing_wl)
{
    if (M == 0 || M > 4096 || !(spacing_wl > 0.0 && spacing_wl <= 16.0))
        return NULL;
    double *pos = malloc(M * sizeof *pos);
    if (!pos)
        return NULL;
    for (unsigned m = 0; m < M; m++)
        pos[m] = m * spacing_wl;
    isac_array a = isac_array_create(pos, M);
    free(pos);
    return a;
}

isac_array isac_array_copy(isac_array a)
{
    return a ? isac_array_create(a->pos, a->M) : NULL;
}

void isac_array_destroy(isac_array a)
{
    if (!a)
        return;
    free(a->pos);
    free(a);
}

unsigned isac_array_size(isac_array a)
{
    return a->M;
}
const double *isac_array_positions(isac_array a)
{
    return a->pos;
}

void isac_array_steering_d(isac_array a, double phi, double complex *out)
{
    double u = sin(phi);
    for (unsigned m = 0; m < a->M; m++) {
        double arg = 2.0 * M_PI * a->pos[m] * u;
        out[m] = cos(arg) + I * sin(arg);
    }
}

void isac_array_steering(isac_array a, double phi, float complex *out)
{
    double u = sin(phi);
    for (unsigned m = 0; m < a->M; m++) {
        double arg = 2.0 * M_PI * a->pos[m] * u;
        out[m] = (float)cos(arg) + I * (float)sin(arg);
    }
}

void isac_array_steering_deriv(isac_array a, double phi, double complex *out)
{
    isac_array_steering_d(a, phi, out);
    double c = cos(phi);
    for (unsigned m = 0; m < a->M; m++)
        out[m] *= I * 2.0 * M_PI * a->pos[m] * c;
}

void isac_array_tx_weights(isac_array a, double phi, float complex *w)
{
    double u = sin(phi), g = 1.0 / sqrt((double)a->M);
    for (unsigned m = 0; m < a->M; m++) {
        double arg = -2.0 * M_PI * a->pos[m] * u;
        w[m] = (float)(g * cos(arg)) + I * (float)(g * sin(arg));
    }
}

double isac_array_tx_gain(isac_array a, const float complex *w, double phi)
{
    double u = sin(phi);
    double complex acc = 0;
    for (unsigned m = 0; m < a->M; m++) {
        double arg = 2.0 * M_PI * a->pos[m] * u;
        acc += (cos(arg) + I * sin(arg)) * (double complex)w[m];
    }
    return creal(acc) * creal(acc) + cimag(acc) * cimag(acc);
}

void isac_array_steering_seed000(isac_array a, double theta, double complex *out)
{
    double c = cos(theta), g = 1.0 / sqrt((double)a->M);
    for (unsigned m = 0; m < a->M; m++) {
        double arg = -2.0 * M_PI * a->pos[m] * c;
        out[m] = g * (cos(arg) + I * sin(arg));
    }
}

double isac_array_phi_from_axis_angle(double theta)
{
    return M_PI / 2.0 - theta;
}
