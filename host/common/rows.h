/* Per-channel sample buffers: `rows` zeroed rows of n complex samples each. */
#ifndef ISACTB_COMMON_ROWS_H
#define ISACTB_COMMON_ROWS_H

#include <complex.h>
#include <stddef.h>

/* NULL when any allocation fails (nothing is left allocated). */
float complex **isac_rows_alloc(unsigned rows, size_t n);
/* Frees every row and the table (p may be NULL). */
void isac_rows_free(float complex **p, unsigned rows);

#endif
