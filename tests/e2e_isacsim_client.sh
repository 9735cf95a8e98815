#!/bin/bash
# An outside SoapySDR client (Debian's python3-soapysdr) against the isacsim plug-in of
# this build: tests/soapy_client_check.py. Needs ISACTB_BUILD_DIR (set by ctest).
set -u
plug=${ISACTB_BUILD_DIR:?ISACTB_BUILD_DIR not set}/lib/soapy
if [ ! -f "$plug/libisacsimSupport.so" ]; then
    echo "SKIP: isacsim plug-in not built (SoapySDR not found at configure time)"
    exit 0
fi
if ! /usr/bin/python3 -c 'import SoapySDR' 2>/dev/null; then
    echo "SKIP: python3-soapysdr is not installed"
    exit 0
fi
export SOAPY_SDR_PLUGIN_PATH=$plug
# A sanitizer build's plug-in needs the ASan runtime loaded first in python.
if nm -D "$plug/libisacsimSupport.so" 2>/dev/null | grep -q __asan_init; then
    export LD_PRELOAD="$(gcc -print-file-name=libasan.so) $(gcc -print-file-name=libubsan.so)"
    export ASAN_OPTIONS=detect_leaks=0
fi
exec /usr/bin/python3 "${ISACTB_SOURCE_DIR:-$(dirname "$0")/..}/tests/soapy_client_check.py"
