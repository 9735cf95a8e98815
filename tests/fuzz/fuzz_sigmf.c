/* Fuzz target: SigMF captures, metadata and data (capture/: sigmf_reader_open,
 * read_cpi, read_txref, verify_data), plus the recorded experiment and codebook that
 * replay loads from the global object (exp_config_from_json, codebook_from_json).
 *
 * Input: a small archive of the files of one recording directory. Each file starts with a
 * header line "%%% NAME" (NAME of [A-Za-z0-9._-], 1..64 characters, not starting with a
 * dot) and runs up to the newline before the next header. In a *.sigmf-collection file,
 * "@SHA:NAME@" is replaced by the SHA-512 of file NAME, so that mutated metadata still
 * reaches the reader's deeper checks instead of failing the collection's hash. */
#include <complex.h>

#include "fuzz_util.h"

#include "array/codebook.h"
#include "common/err.h"
#include "engine/config.h"
#include "hash.h"
#include "sigmf.h"

#define MAX_FILES 24
#define MAX_SAMPLES (1u << 20) /* per read: bigger windows are only opened, not read */

struct file {
    char name[65];
    const uint8_t *data;
    size_t size;
};

static int valid_name(const char *s, size_t n)
{
    if (n < 1 || n > 64 || s[0] == '.')
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!(s[i] == '.' || s[i] == '_' || s[i] == '-' || (s[i] >= '0' && s[i] <= '9') ||
              (s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z')))
            return 0;
    return 1;
}

static const uint8_t *find_header(const uint8_t *p, const uint8_t *end)
{
    for (; p + 5 <= end; p++)
        if (p[0] == '\n' && !memcmp(p + 1, "%%% ", 4))
            return p;
    return NULL;
}

static size_t split(const uint8_t *data, size_t size, struct file *f)
{
    const uint8_t *p = data, *end = data + size;
    if (size < 4 || memcmp(p, "%%% ", 4))
        return 0;
    size_t n = 0;
    while (p && n < MAX_FILES) {
        const uint8_t *name = p + 4, *nl = memchr(name, '\n', (size_t)(end - name));
        if (!nl || !valid_name((const char *)name, (size_t)(nl - name)))
            break;
        memcpy(f[n].name, name, (size_t)(nl - name));
        f[n].name[nl - name] = '\0';
        const uint8_t *next = find_header(nl + 1, end);
        f[n].data = nl + 1;
        f[n].size = (size_t)((next ? next : end) - (nl + 1));
        n++;
        p = next ? next + 1 : NULL;
    }
    return n;
}

/* Write a collection with its "@SHA:NAME@" placeholders resolved. */
static void write_collection(const char *dir, const struct file *c, const struct file *f, size_t n)
{
    size_t cap = c->size + 256 * 16 + 1, len = 0;
    char *out = malloc(cap);
    if (!out)
        abort();
    for (size_t i = 0; i < c->size;) {
        const char *s = (const char *)c->data + i;
        const char *close =
            i + 6 < c->size && !memcmp(s, "@SHA:", 5) ? memchr(s + 5, '@', c->size - i - 5) : NULL;
        size_t k = n;
        if (close)
            for (k = 0; k < n; k++)
                if (strlen(f[k].name) == (size_t)(close - s - 5) &&
                    !memcmp(f[k].name, s + 5, (size_t)(close - s - 5)))
                    break;
        if (k < n && len + 129 < cap) {
            char hex[129];
            isac_cap_hash_hex(ISAC_CAP_SHA512, f[k].data, f[k].size, hex);
            memcpy(out + len, hex, 128);
            len += 128;
            i += (size_t)(close - s) + 1;
        } else {
            if (len + 1 >= cap) {
                char *no = realloc(out, cap *= 2);
                if (!no)
                    abort();
                out = no;
            }
            out[len++] = *s;
            i++;
        }
    }
    fuzz_write_file(dir, c->name, out, len);
    free(out);
}

/* What replay does after opening: the recorded config and codebook. */
static void load_recorded(isac_sigmf_reader rd)
{
    const json_t *g = isac_sigmf_reader_global(rd);
    char err[512] = "";
    struct isac_exp_config cfg;
    isac_exp_config_defaults(&cfg);
    json_t *e = json_object_get(g, "isactb:experiment");
    if (e && isac_exp_config_from_json(e, &cfg, "capture", err, sizeof err))
        fuzz_check_message("exp_config_from_json", err);
    json_t *c = json_object_get(g, "isactb:codebook");
    err[0] = '\0';
    if (c) {
        isac_codebook cb = isac_codebook_from_json(c, "capture", err, sizeof err);
        if (!cb)
            fuzz_check_message("codebook_from_json", err);
        isac_codebook_destroy(cb);
    }
}

static void read_all(isac_sigmf_reader rd)
{
    struct isac_radio_info info;
    isac_sigmf_reader_radio_info(rd, &info);
    unsigned nrx = isac_sigmf_reader_num_rx(rd);
    size_t ncpi = isac_sigmf_reader_num_cpis(rd);
    if (nrx == 0 || nrx > ISAC_RADIO_MAX_CHANNELS)
        abort(); /* the reader promised a valid recording */
    for (size_t k = 0; k < ncpi && k < 64; k++) {
        struct isac_sigmf_cpi_info ci;
        if (isac_sigmf_reader_cpi_info(rd, k, &ci) != ISAC_OK)
            abort();
        (void)isac_sigmf_reader_cpi_annotation(rd, k);
        if (ci.len && ci.len <= MAX_SAMPLES / nrx) {
            float complex *buf = malloc(ci.len * nrx * sizeof *buf);
            float complex *rx[ISAC_RADIO_MAX_CHANNELS];
            for (unsigned ch = 0; ch < nrx; ch++)
                rx[ch] = buf + (size_t)ch * ci.len;
            struct isac_radio_rx_md md;
            if (buf)
                isac_sigmf_reader_read_cpi(rd, k, rx, ci.len, &md);
            free(buf);
        }
        if (ci.txlen && ci.txlen <= MAX_SAMPLES) {
            float complex *tx = malloc(ci.txlen * sizeof *tx);
            if (tx)
                isac_sigmf_reader_read_txref(rd, k, tx, ci.txlen);
            free(tx);
        }
    }
    isac_sigmf_reader_verify_data(rd);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct file f[MAX_FILES];
    size_t n = split(data, size, f);
    if (!n)
        return 0;
    const char *dir = fuzz_scratch_dir();
    fuzz_clear_dir();
    for (size_t i = 0; i < n; i++) {
        size_t l = strlen(f[i].name);
        if (l > 17 && !strcmp(f[i].name + l - 17, ".sigmf-collection"))
            write_collection(dir, &f[i], f, n);
        else
            fuzz_write_file(dir, f[i].name, f[i].data, f[i].size);
    }
    char err[1024] = "";
    isac_sigmf_reader rd = isac_sigmf_reader_open(dir, err, sizeof err);
    if (!rd) {
        fuzz_check_message("sigmf_reader_open", err);
        return 0;
    }
    load_recorded(rd);
    read_all(rd);
    isac_sigmf_reader_close(rd);
    return 0;
}
