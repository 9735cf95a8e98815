/* Fuzz target: Q-network weights files (host/learn/qnet.c qnet_file_parse). An accepted
 * file must pass qnet_def_check, run one inference with finite Q values, and survive its
 * own formatting (isac_qnet_format_json) unchanged in shape. Input: the file text. */
#include <math.h>

#include "fuzz_util.h"

#include "learn/qnet.h"

#define MAX_UNITS 4096 /* inference is only run on nets of a sane size */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct isac_qnet_file f;
    char err[512] = "";
    if (isac_qnet_file_parse((const char *)data, size, 0, 0, &f, err, sizeof err)) {
        fuzz_check_message("qnet_file_parse", err);
        return 0;
    }
    const struct isac_qnet_def *d = &f.def;
    if (isac_qnet_def_check(d, 0, 0, err, sizeof err)) {
        fprintf(stderr, "a parsed weights file fails qnet_def_check: %s\n", err);
        abort();
    }
    unsigned in = d->l[0].in, units = d->l[0].out + d->l[1].out + d->l[2].out;
    if (in <= MAX_UNITS && units <= MAX_UNITS && d->tau && 2 * d->tau <= MAX_UNITS) {
        float *x = calloc(in, sizeof *x), *q = calloc(2 * (size_t)d->tau, sizeof *q),
              *s = calloc(units, sizeof *s);
        if (x && q && s) {
            for (unsigned i = 0; i < in; i++)
                x[i] = 0.5f;
            isac_qnet_q_values(d, x, q, s);
            (void)isac_qnet_argmax(q, 2 * d->tau);
        }
        free(x);
        free(q);
        free(s);
    }
    char *text = isac_qnet_format_json(d, NULL);
    if (text) {
        struct isac_qnet_file g;
        if (isac_qnet_file_parse(text, strlen(text), d->tau, d->emb, &g, err, sizeof err)) {
            fprintf(stderr, "a formatted weights file is refused: %s\n", err);
            abort();
        }
        isac_qnet_file_free(&g);
        free(text);
    }
    isac_qnet_file_free(&f);
    return 0;
}
