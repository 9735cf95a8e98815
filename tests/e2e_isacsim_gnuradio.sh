#!/bin/bash
# GNU Radio flowgraphs (gr-soapy source and sink with GRC's block defaults) against the
# isacsim device: tests/gnuradio_isacsim_check.py. Skipped (exit 77, ctest SKIP) when
# GNU Radio's Python modules are not installed (Debian: apt-get install gnuradio).
# Needs ISACTB_BUILD_DIR (set by ctest).
set -u
. "$(dirname "$0")/isacsim_python_env.sh"
isacsim_python_env 'from gnuradio import soapy, analog, blocks, gr'
# GNU Radio's preferences and logs stay out of the user's home.
export HOME=$(mktemp -d)
trap 'rm -rf "$HOME"' EXIT
/usr/bin/python3 "${ISACTB_SOURCE_DIR:-$(dirname "$0")/..}/tests/gnuradio_isacsim_check.py"
