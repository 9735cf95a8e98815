#!/bin/bash
# The isacsim SoapySDR device through Debian's python3-soapysdr as any SoapySDR client
# uses it: formats, gains, rates, antennas, corrections, hardware time, timed and
# continuous TX (tests/soapy_isacsim_device_check.py). Needs ISACTB_BUILD_DIR (ctest).
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
    export ISACTB_SLOW=1
fi
exec /usr/bin/python3 "${ISACTB_SOURCE_DIR:-$(dirname "$0")/..}/tests/soapy_isacsim_device_check.py"
