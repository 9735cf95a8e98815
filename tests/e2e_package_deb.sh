#!/usr/bin/env bash
# `cpack -G DEB` from the already-built tree makes a package a Debian system can install:
#   - dpkg-deb reads it: name, version, architecture, and Depends naming the run-time
#     libraries (dpkg-shlibdeps) and PLPlot's cairo driver;
#   - it holds the command, libisactb, the headers, isactb.pc, the CMake package and (when
#     built) the isacsim SoapySDR module, all under one prefix;
#   - extracted with dpkg-deb -x, its isactb runs an experiment and its isacsim module
#     loads into SoapySDR.
# Installing it with dpkg on a clean system is not done here (that needs a root
# filesystem of its own); the extracted tree runs with the system's libraries only.
# Environment (set by ctest): ISACTB_BUILD_DIR, ISACTB_BIN.
set -euo pipefail

src=${ISACTB_SOURCE_DIR:-$(cd "$(dirname "$0")/.." && pwd)}
build=${ISACTB_BUILD_DIR:-$src/build}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/e2e_deb.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
fail() { echo "e2e_package_deb: $*" >&2; exit 1; }
command -v dpkg-deb >/dev/null || fail "dpkg-deb not found"

cpack -G DEB --config "$build/CPackConfig.cmake" -B "$tmp/pkg" >"$tmp/cpack.log" 2>&1 ||
    { cat "$tmp/cpack.log" >&2; fail "cpack -G DEB failed"; }
deb=$(ls "$tmp/pkg"/isactb_*.deb 2>/dev/null | head -n1)
[ -n "$deb" ] || fail "no isactb_*.deb in $tmp/pkg"

dpkg-deb -f "$deb" Package Version Architecture Depends >"$tmp/control" ||
    fail "dpkg-deb cannot read $deb"
grep -x "Package: isactb" "$tmp/control" >/dev/null || fail "package name: $(cat "$tmp/control")"
grep -E "^Architecture: $(dpkg --print-architecture)$" "$tmp/control" >/dev/null || fail "architecture: $(cat "$tmp/control")"
for dep in libc6 libfftw3-single3 libgsl libjansson4 libliquid libcyaml libplplot libssl3 plplot-driver-cairo; do
    grep -E "^Depends: .*\b$dep" "$tmp/control" >/dev/null || fail "Depends lacks $dep: $(grep Depends "$tmp/control")"
done

dpkg-deb -c "$deb" | awk '{print $6}' >"$tmp/files"
prefix=$(grep -E '/bin/isactb$' "$tmp/files" | sed 's|^\./||; s|/bin/isactb$||')
[ -n "$prefix" ] || fail "no bin/isactb in the package"
for re in "/libisactb\.so\.0$" "/libisactb\.a$" "/pkgconfig/isactb\.pc$" "/cmake/isactb/isactbConfig\.cmake$" \
    "^\./$prefix/include/isactb/dsp/mf\.h$" "^\./$prefix/share/doc/isactb/README\.md$"; do
    grep -E "$re" "$tmp/files" >/dev/null || fail "package lacks $re"
done
grep -vE "^\./($prefix(/|$)|$|usr/$)" "$tmp/files" | grep . && fail "files outside /$prefix"
if [ -f "$build/lib/soapy/libisacsimSupport.so" ]; then
    grep -E "/SoapySDR/modules[^/]*/libisacsimSupport\.so$" "$tmp/files" >/dev/null || fail "package lacks the isacsim module"
fi

dpkg-deb -x "$deb" "$tmp/root"
root="$tmp/root/$prefix"
(cd "$tmp" && "$root/bin/isactb" run --episodes 1 >"$tmp/run.out" 2>"$tmp/run.err") ||
    { cat "$tmp/run.err" >&2; fail "the packaged isactb run failed"; }
grep "episodes detected" "$tmp/run.out" "$tmp/run.err" >/dev/null || fail "the packaged isactb run printed no summary"
mod=$(find "$root" -name libisacsimSupport.so | head -n1)
if [ -n "$mod" ]; then
    # an ASan-built module loads into Python with the sanitizer runtimes preloaded
    preload=""
    if nm -D "$mod" 2>/dev/null | grep __asan_init >/dev/null; then
        preload="$(gcc -print-file-name=libasan.so) $(gcc -print-file-name=libubsan.so)"
    fi
    LD_PRELOAD="$preload" ASAN_OPTIONS=detect_leaks=0 SOAPY_SDR_PLUGIN_PATH=$(dirname "$mod") /usr/bin/python3 -c '
import SoapySDR, sys
sys.exit(0 if any(dict(r).get("driver") == "isacsim" for r in SoapySDR.Device.enumerate("driver=isacsim")) else 1)' ||
        fail "the packaged isacsim module does not load"
fi
echo "e2e_package_deb: ok ($(basename "$deb"), $(wc -l <"$tmp/files") entries)"
