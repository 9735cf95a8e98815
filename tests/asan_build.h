/* 1 in a build instrumented by AddressSanitizer (gcc's __SANITIZE_ADDRESS__ or clang's
 * __has_feature): the tests then run their claims on smaller samples, the Release build
 * carrying the statistics. */
#ifndef ISACTB_TESTS_ASAN_BUILD_H
#define ISACTB_TESTS_ASAN_BUILD_H

static inline int asan_build(void)
{
#if defined(__SANITIZE_ADDRESS__)
    return 1;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
    return 1;
#endif
#endif
    return 0;
}

#endif
