/* Shared helpers of the fuzz targets (tests/fuzz/fuzz_*.c).
 *
 * Each target defines LLVMFuzzerTestOneInput() and is built twice (tests/fuzz/CMakeLists.txt):
 * with clang's libFuzzer + ASan + UBSan for fuzzing (scripts/fuzz), and with replay_main.c
 * as an ordinary program that ctest runs over the seed corpus and every regression input
 * (tests/fuzz/corpus/TARGET, tests/fuzz/regress/TARGET) under any compiler.
 *
 * A target checks the parser's contract, not just the absence of crashes: a refusal must
 * come with a non-empty one-line message (abort() otherwise, which the fuzzer reports).
 */
#ifndef ISACTB_TESTS_FUZZ_UTIL_H
#define ISACTB_TESTS_FUZZ_UTIL_H

#include <stddef.h>
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The contract of every loader's error text: one non-empty line. With
 * ISACTB_FUZZ_VERBOSE set, every refusal is printed (to check what a seed reaches). */
static inline void fuzz_check_message(const char *what, const char *err)
{
    if (getenv("ISACTB_FUZZ_VERBOSE"))
        fprintf(stderr, "%s: %s\n", what, err);
    if (!err[0] || strchr(err, '\n')) {
        fprintf(stderr, "%s: refusal without a one-line message: '%s'\n", what, err);
        abort();
    }
}

static char fuzz_dir_[64];

/* Remove every file of the scratch directory (it holds no subdirectories). */
static inline void fuzz_clear_dir(void)
{
    DIR *d = fuzz_dir_[0] ? opendir(fuzz_dir_) : NULL;
    struct dirent *e;
    while (d && (e = readdir(d))) {
        char p[600];
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
            snprintf(p, sizeof p, "%s/%s", fuzz_dir_, e->d_name);
            unlink(p);
        }
    }
    if (d)
        closedir(d);
}

static inline void fuzz_remove_dir(void)
{
    fuzz_clear_dir();
    rmdir(fuzz_dir_);
}

/* A private scratch directory of this process (created once, removed at exit). */
static inline const char *fuzz_scratch_dir(void)
{
    if (!fuzz_dir_[0]) {
        snprintf(fuzz_dir_, sizeof fuzz_dir_, "/tmp/isactb-fuzz-XXXXXX");
        if (!mkdtemp(fuzz_dir_)) {
            perror("mkdtemp");
            abort();
        }
        atexit(fuzz_remove_dir);
    }
    return fuzz_dir_;
}

/* Write size bytes into dir/name; abort on failure (the harness, not the input, failed). */
static inline void fuzz_write_file(const char *dir, const char *name, const void *data, size_t size)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    if (!f || (size && fwrite(data, 1, size, f) != size) || fclose(f)) {
        perror(path);
        abort();
    }
}

#endif
