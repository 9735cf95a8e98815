#include "common/rows.h"

#include <stdlib.h>

float complex **isac_rows_alloc(unsigned rows, size_t n)
{
    float complex **p = calloc(rows, sizeof *p);
    for (unsigned i = 0; p && i < rows; i++)
        if (!(p[i] = calloc(n, sizeof **p))) {
            isac_rows_free(p, i);
            return NULL;
        }
    return p;
}

void isac_rows_free(float complex **p, unsigned rows)
{
    for (unsigned i = 0; p && i < rows; i++)
        free(p[i]);
    free(p);
}
