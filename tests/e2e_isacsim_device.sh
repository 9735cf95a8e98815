#!/bin/bash
# The isacsim SoapySDR device through Debian's python3-soapysdr as any SoapySDR client
# uses it: formats, gains, rates, antennas, corrections, hardware time, timed and
# continuous TX (tests/soapy_isacsim_device_check.py). Needs ISACTB_BUILD_DIR (ctest).
set -u
. "$(dirname "$0")/isacsim_python_env.sh"
isacsim_python_env 'import SoapySDR'
exec /usr/bin/python3 "${ISACTB_SOURCE_DIR:-$(dirname "$0")/..}/tests/soapy_isacsim_device_check.py"
