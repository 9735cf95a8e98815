#!/bin/bash
# GNU Radio flowgraphs (gr-soapy source and sink with GRC's block defaults) against the
# isacsim device: tests/gnuradio_isacsim_check.py. Skipped (exit 77, ctest SKIP) when
# GNU Radio's Python modules are not installed (Debian: apt-get install gnuradio).
# Needs ISACTB_BUILD_DIR (set by ctest).
set -u
plug=${ISACTB_BUILD_DIR:?ISACTB_BUILD_DIR not set}/lib/soapy
if [ ! -f "$plug/libisacsimSupport.so" ]; then
    echo "SKIP: isacsim plug-in not built (SoapySDR not found at configure time)"
    exit 77
fi
if ! /usr/bin/python3 -c 'from gnuradio import soapy, analog, blocks, gr' 2>/dev/null; then
    echo "SKIP: GNU Radio (Debian package gnuradio, with gr-soapy) is not installed"
    exit 77
fi
export SOAPY_SDR_PLUGIN_PATH=$plug
if nm -D "$plug/libisacsimSupport.so" 2>/dev/null | grep -q __asan_init; then
    export LD_PRELOAD="$(gcc -print-file-name=libasan.so) $(gcc -print-file-name=libubsan.so)"
    export ASAN_OPTIONS=detect_leaks=0
    export ISACTB_SLOW=1
fi
# GNU Radio's preferences and logs stay out of the user's home.
export HOME=$(mktemp -d)
trap 'rm -rf "$HOME"' EXIT
/usr/bin/python3 "${ISACTB_SOURCE_DIR:-$(dirname "$0")/..}/tests/gnuradio_isacsim_check.py"
