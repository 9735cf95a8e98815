#!/bin/bash
# An outside SoapySDR client (Debian's python3-soapysdr) against the isacsim plug-in of
# this build: tests/soapy_client_check.py. Needs ISACTB_BUILD_DIR (set by ctest).
set -u
. "$(dirname "$0")/isacsim_python_env.sh"
isacsim_python_env 'import SoapySDR'
exec /usr/bin/python3 "${ISACTB_SOURCE_DIR:-$(dirname "$0")/..}/tests/soapy_client_check.py"
