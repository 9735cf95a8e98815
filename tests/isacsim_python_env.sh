# Sourced by the end-to-end tests that load this build's isacsim plug-in into Debian's
# Python (python3-soapysdr, GNU Radio). isacsim_python_env IMPORT: skips the test (exit 77,
# a ctest SKIP) when the plug-in was not built or `IMPORT` fails in /usr/bin/python3;
# otherwise points SoapySDR at the plug-in and, for a sanitizer build, loads the ASan and
# UBSan runtimes into Python first (ISACTB_SLOW=1 tells the checks to use fewer samples).
# Needs ISACTB_BUILD_DIR (set by ctest).
isacsim_python_env() {
  local plug=${ISACTB_BUILD_DIR:?ISACTB_BUILD_DIR not set}/lib/soapy
  if [ ! -f "$plug/libisacsimSupport.so" ]; then
    echo "SKIP: isacsim plug-in not built (SoapySDR not found at configure time)"
    exit 77
  fi
  if ! /usr/bin/python3 -c "$1" 2>/dev/null; then
    echo "SKIP: /usr/bin/python3 cannot run: $1"
    exit 77
  fi
  export SOAPY_SDR_PLUGIN_PATH=$plug
  if nm -D "$plug/libisacsimSupport.so" 2>/dev/null | grep -q __asan_init; then
    export LD_PRELOAD="$(gcc -print-file-name=libasan.so) $(gcc -print-file-name=libubsan.so)"
    export ASAN_OPTIONS=detect_leaks=0
    export ISACTB_SLOW=1
  fi
}
