#!/bin/bash
# The isacsim SoapySDR device driven through the soapy back end makes exactly the same
# decisions (beams, detections, P_D: the "episodes" arrays) as the in-process sim radio
# with the same scenario, including injected gaps/overflows (the Soapy overflow and
# timestamp-jump path). Needs ISACTB_BIN and ISACTB_BUILD_DIR (set by ctest).
set -u
bin=${ISACTB_BIN:?ISACTB_BIN not set}
plug=${ISACTB_BUILD_DIR:?ISACTB_BUILD_DIR not set}/lib/soapy
if [ ! -f "$plug/libisacsimSupport.so" ]; then
    echo "SKIP: isacsim plug-in not built (SoapySDR not found at configure time)"
    exit 0
fi
export SOAPY_SDR_PLUGIN_PATH=$plug
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
run_pair() { # scenario args, policy
    "$bin" run --radio "sim:$1" --seed 5 --policy "$2" --episodes 2 --json --quiet >"$tmp/a.json" || { echo "FAIL: sim run ($1) exit $?"; fail=1; return; }
    "$bin" run --radio "soapy:driver=isacsim,$1" --seed 5 --policy "$2" --episodes 2 --json --quiet >"$tmp/b.json" || { echo "FAIL: soapy run ($1) exit $?"; fail=1; return; }
    /usr/bin/python3 - "$tmp/a.json" "$tmp/b.json" "$1" <<'PY' || fail=1
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
steps = sum(len(e["beams"]) for e in a["episodes"])
if a["episodes"] != b["episodes"]:
    print(f"FAIL: {sys.argv[3]}: episodes differ between sim and soapy:driver=isacsim")
    sys.exit(1)
if a["counters"] != b["counters"]:
    print(f"FAIL: {sys.argv[3]}: counters differ: {a['counters']} vs {b['counters']}")
    sys.exit(1)
if steps < 2:
    print(f"FAIL: {sys.argv[3]}: only {steps} steps: nothing compared")
    sys.exit(1)
print(f"ok: {sys.argv[3]}: {steps} identical steps, counters {b['counters']}")
PY
}
run_pair "seed=7,targets=2" random
run_pair "seed=9,drop_rate=0.3,overflow_rate=0.3" sweep
# The faults above must have produced gaps, or the gap path was not exercised.
if [ ! -s "$tmp/b.json" ] || grep -q '"dropped_samples":0,' "$tmp/b.json"; then echo "FAIL: no gap injected"; fail=1; fi
exit $fail
