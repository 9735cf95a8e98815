#!/usr/bin/env bash
# `cmake --install` of the already-built tree (DESTDIR + --prefix), then the installed tree
# as a third party uses it:
#   - the file set: command, libisactb.so/.a, headers, isactb.pc, CMake package, the
#     isacsim SoapySDR module under the prefix (when built), docs;
#   - every installed header compiles on its own;
#   - examples/consumer/consumer.c built with pkg-config (shared, and static with
#     `pkg-config --static`, which must name every library libisactb.a needs) and with
#     CMake (find_package(isactb): isactb::isactb and isactb::isactb_static); each runs
#     and checks its own estimates;
#   - the installed command runs an experiment;
#   - bad input: a malformed isactb.pc and a missing dependency of the CMake package give
#     one clear error naming what is wrong;
#   - examples/consumer configures with isactb as an add_subdirectory() (configure only:
#     a second full build is too slow for the suite).
# Environment (set by ctest): ISACTB_SOURCE_DIR, ISACTB_BUILD_DIR, ISACTB_BIN.
set -euo pipefail

src=${ISACTB_SOURCE_DIR:-$(cd "$(dirname "$0")/.." && pwd)}
build=${ISACTB_BUILD_DIR:-$src/build}
bin=${ISACTB_BIN:-$build/bin/isactb}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/e2e_install.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
fail() { echo "e2e_install: $*" >&2; exit 1; }

# A sanitizer build's library needs the sanitizer runtimes in every program that links it.
san_flags=""
if ldd "$bin" | grep libasan >/dev/null; then
    san_flags="-fsanitize=address,undefined"
fi

# ---- install with DESTDIR and a prefix ----
prefix=/opt/isactb-test
DESTDIR="$tmp/root" cmake --install "$build" --prefix "$prefix" >"$tmp/install.log" 2>&1 ||
    { cat "$tmp/install.log" >&2; fail "cmake --install failed"; }
P="$tmp/root$prefix"
libdir=$(sed -n 's/^libdir=\${prefix}\///p' "$build/isactb.pc")
[ -n "$libdir" ] || fail "no libdir in $build/isactb.pc"
for f in bin/isactb "$libdir/libisactb.a" "$libdir/pkgconfig/isactb.pc" \
    "$libdir/cmake/isactb/isactbConfig.cmake" "$libdir/cmake/isactb/isactbTargets.cmake" \
    include/isactb/dsp/mf.h include/isactb/array/codebook.h include/isactb/radio/radio.h \
    include/isactb/capture/sigmf.h include/isactb/calib/calib.h include/isactb/engine/run.h \
    share/doc/isactb/README.md share/doc/isactb/docs/architecture.md; do
    [ -f "$P/$f" ] || fail "not installed: $f"
done
so=$(readlink -f "$P/$libdir/libisactb.so")
[ -f "$so" ] || fail "not installed: $libdir/libisactb.so"
objdump -p "$so" | grep -E 'SONAME +libisactb\.so\.0$' >/dev/null || fail "libisactb.so: soname is not libisactb.so.0"
find "$P" -name '*_internal.h' | grep . && fail "private headers installed"
[ "$(ls "$tmp/root")" = opt ] && [ "$(ls "$tmp/root/opt")" = isactb-test ] ||
    fail "files installed outside DESTDIR/prefix: $(ls "$tmp/root")"
if [ -f "$build/lib/soapy/libisacsimSupport.so" ]; then
    mod=$(find "$P/$libdir/SoapySDR" -name libisacsimSupport.so 2>/dev/null | head -n1)
    [ -n "$mod" ] || fail "isacsim SoapySDR module not under $prefix/$libdir/SoapySDR"
    # an ASan-built module loads into Python with the sanitizer runtimes preloaded
    preload=""
    if nm -D "$mod" 2>/dev/null | grep __asan_init >/dev/null; then
        preload="$(gcc -print-file-name=libasan.so) $(gcc -print-file-name=libubsan.so)"
    fi
    LD_PRELOAD="$preload" ASAN_OPTIONS=detect_leaks=0 SOAPY_SDR_PLUGIN_PATH=$(dirname "$mod") /usr/bin/python3 -c '
import SoapySDR, sys
sys.exit(0 if any(dict(r).get("driver") == "isacsim" for r in SoapySDR.Device.enumerate("driver=isacsim")) else 1)' ||
        fail "the installed isacsim module does not enumerate"
fi
if [ -d "$build/man" ] && ls "$build/man"/*.1 >/dev/null 2>&1; then
    [ -n "$(ls "$P/share/man/man1/"*.1 2>/dev/null)" ] || fail "man pages not installed"
fi

# ---- every header compiles on its own ----
inc="$P/include/isactb"
(cd "$inc" && find . -name '*.h' | sed 's|^\./||' | sort) >"$tmp/headers"
[ "$(wc -l <"$tmp/headers")" -ge 40 ] || fail "only $(wc -l <"$tmp/headers") headers installed"
while read -r h; do
    printf '#include "%s"\nint main(void) { return 0; }\n' "$h" >"$tmp/hdr.c"
    cc -std=c17 -Wall -Wextra -Werror -fsyntax-only -I"$inc" -I"$inc/capture" -I"$inc/radio" \
        "$tmp/hdr.c" 2>"$tmp/hdr.err" || { cat "$tmp/hdr.err" >&2; fail "header $h does not compile on its own"; }
done <"$tmp/headers"

# ---- pkg-config: shared and static ----
consumer="$src/examples/consumer/consumer.c"
export PKG_CONFIG_PATH="$P/$libdir/pkgconfig"
cflags=$(pkg-config --cflags isactb)
# shellcheck disable=SC2086
cc -std=c17 -Wall -Wextra -Werror $san_flags "$consumer" $cflags $(pkg-config --libs isactb) \
    -Wl,-rpath,"$P/$libdir" -o "$tmp/consumer_pc"
ldd "$tmp/consumer_pc" | grep "$P/$libdir/libisactb.so.0" >/dev/null || fail "pkg-config consumer does not use the installed libisactb.so"
"$tmp/consumer_pc" >"$tmp/out_pc"
# static: libisactb.a by name, every other library from --static (Requires.private/Libs.private)
static_libs=$(pkg-config --static --libs isactb | sed 's/-lisactb\b/-l:libisactb.a/')
# shellcheck disable=SC2086
cc -std=c17 -Wall -Wextra -Werror $san_flags "$consumer" $cflags $static_libs -o "$tmp/consumer_pc_static" \
    2>"$tmp/static.err" || { cat "$tmp/static.err" >&2; fail "static link with pkg-config --static --libs isactb failed"; }
ldd "$tmp/consumer_pc_static" | grep libisactb >/dev/null && fail "static consumer still needs libisactb.so"
"$tmp/consumer_pc_static" >"$tmp/out_pc_static"
cmp -s "$tmp/out_pc" "$tmp/out_pc_static" || fail "shared and static consumers differ"
grep -E '^delay 17\.2[0-9] samples, beam [0-9]+ of 16 at ' "$tmp/out_pc" >/dev/null ||
    fail "consumer printed: $(cat "$tmp/out_pc")"

# ---- CMake package ----
cmake -S "$src/examples/consumer" -B "$tmp/cb" -DCMAKE_PREFIX_PATH="$P" \
    -DCMAKE_C_FLAGS="$san_flags" -DCMAKE_EXE_LINKER_FLAGS="$san_flags" >"$tmp/cb.log" 2>&1 &&
    cmake --build "$tmp/cb" >>"$tmp/cb.log" 2>&1 || { cat "$tmp/cb.log" >&2; fail "CMake consumer failed"; }
ldd "$tmp/cb/consumer" | grep "$P/$libdir/libisactb.so.0" >/dev/null || fail "CMake consumer does not use the installed libisactb.so"
ldd "$tmp/cb/consumer_static" | grep libisactb >/dev/null && fail "isactb::isactb_static links libisactb.so"
"$tmp/cb/consumer" | cmp -s - "$tmp/out_pc" || fail "CMake consumer output differs"
"$tmp/cb/consumer_static" | cmp -s - "$tmp/out_pc" || fail "CMake static consumer output differs"

# ---- the installed command ----
(cd "$tmp" && "$P/bin/isactb" run --episodes 2 >"$tmp/run.out" 2>"$tmp/run.err") ||
    { cat "$tmp/run.err" >&2; fail "installed isactb run failed"; }
grep -E "2/2 episodes detected|episodes detected" "$tmp/run.out" "$tmp/run.err" >/dev/null || fail "installed isactb run printed no summary"

# ---- bad input ----
# a .pc whose private requirement does not exist: pkg-config names it, non-zero exit
mkdir -p "$tmp/badpc"
sed 's/^Requires.private: /Requires.private: isactb-no-such-dep /' "$P/$libdir/pkgconfig/isactb.pc" >"$tmp/badpc/isactb.pc"
if PKG_CONFIG_PATH="$tmp/badpc" pkg-config --static --libs isactb >/dev/null 2>"$tmp/badpc.err"; then
    fail "pkg-config accepted a .pc with a missing requirement"
fi
grep "isactb-no-such-dep" "$tmp/badpc.err" >/dev/null || fail "pkg-config error does not name the missing package: $(cat "$tmp/badpc.err")"
# the installed .pc is well-formed; a truncated one (no Name/Version lines) is refused
pkg-config --validate isactb 2>"$tmp/validate.err" || { cat "$tmp/validate.err" >&2; fail "pkg-config --validate isactb failed"; }
head -n 5 "$P/$libdir/pkgconfig/isactb.pc" >"$tmp/badpc/isactb.pc"
if PKG_CONFIG_LIBDIR="$tmp/badpc" PKG_CONFIG_PATH="" pkg-config --cflags isactb >/dev/null 2>"$tmp/badpc2.err"; then
    fail "pkg-config accepted a truncated isactb.pc"
fi
grep "isactb" "$tmp/badpc2.err" >/dev/null || fail "pkg-config error does not name isactb: $(cat "$tmp/badpc2.err")"
# find_package(isactb) without the libraries the static library needs: one message naming them
if PKG_CONFIG_LIBDIR="$tmp/nowhere" PKG_CONFIG_PATH="" cmake -S "$src/examples/consumer" -B "$tmp/cbad" \
    -DCMAKE_PREFIX_PATH="$P" >"$tmp/cbad.log" 2>&1; then
    fail "find_package(isactb) succeeded without its dependencies"
fi
tr '\n' ' ' <"$tmp/cbad.log" | tr -s ' ' | grep -E "isactb: pkg-config module\(s\) fftw3f, gsl, .* not found" >/dev/null ||
    { cat "$tmp/cbad.log" >&2; fail "find_package(isactb) error does not name the missing modules"; }

# ---- add_subdirectory (configure only) ----
cmake -S "$src/examples/consumer" -B "$tmp/sub" -DISACTB_SOURCE_DIR="$src" >"$tmp/sub.log" 2>&1 ||
    { cat "$tmp/sub.log" >&2; fail "add_subdirectory(isactb) configure failed"; }
grep -q "consumer" "$tmp/sub/Makefile" || fail "add_subdirectory build has no consumer target"
[ -f "$tmp/sub/isactb/isactb.pc" ] || fail "add_subdirectory: isactb's files not under the parent's build dir"
echo "e2e_install: ok ($(wc -l <"$tmp/headers") headers; $(cat "$tmp/out_pc"))"
