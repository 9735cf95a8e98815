#!/bin/bash
# The closed loop with movable-antenna beams (docs/ma.md, issue 19 parts 1, 2 and 5):
#  (a) `sim`, a movable 8-element array: a continuous `codebook ma` codebook; every CPI's
#      plan moves the elements; the capture records the positions per CPI, the replay
#      reproduces every decision (verified replay), a tampered recorded position stops it
#      at that CPI (exit 3); the loop detects from the emulated samples;
#  (c) element selection: a grid codebook (4 of 17 elements on a 0.25-wavelength grid)
#      on `sim` and on the `isacsim` SoapySDR device makes the same decisions (the
#      device renders the same samples), and on isacsim with receive-channel selection
#      (mode (b): 6 of each AP's 17 channels) `info` reports the selected positions and
#      the loop runs on them;
#  refusals, one line each: a region too small for N elements at d_min, a moving codebook
#  on a front end that cannot move elements, a grid codebook on another grid, RX channels
#  not grouped by AP. Needs ISACTB_BIN and ISACTB_BUILD_DIR (set by ctest).
set -euo pipefail
BIN=${ISACTB_BIN:?}
plug=${ISACTB_BUILD_DIR:?}/lib/soapy
PY=/usr/bin/python3
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
EP=6
ldd "$BIN" 2>/dev/null | grep libasan >/dev/null && EP=3 # not -q: see e2e_soak_short.sh

one_line() { # expected exit, pattern, command...
    local want=$1 pat=$2
    shift 2
    set +e
    "$@" >/dev/null 2>"$T/err"
    local rc=$?
    set -e
    [ $rc -eq "$want" ] || { echo "FAIL: exit $rc (want $want): $*"; cat "$T/err"; exit 1; }
    [ "$(wc -l <"$T/err")" -eq 1 ] || { echo "FAIL: not one line: $*"; cat "$T/err"; exit 1; }
    grep -q -- "$pat" "$T/err" || { echo "FAIL: '$pat' not in:"; cat "$T/err"; exit 1; }
}

# ---- codebooks (and the bad-region refusal)
one_line 2 "--elements 8: 8 elements at --dmin 1 need a region of 7 wavelengths, --region is 5" \
    "$BIN" codebook ma --elements 8 --region 5 --dmin 1 --out "$T/x.json"
"$BIN" codebook ma --elements 8 --region 8 --dmin 0.5 --beams 16 --out "$T/ma.json" 2>/dev/null
"$BIN" codebook ma --elements 4 --region 4 --dmin 0.5 --grid-step 0.25 --mode grid --beams 12 \
    --out "$T/grid.json" 2>/dev/null
[ ! -e "$T/x.json" ] || { echo "FAIL: refused codebook written"; exit 1; }

# ---- mode (a) on sim: record, verified replay, tampered position
cat >"$T/ma.yaml" <<EOF
radio: "sim:elements=8"
policy: scan
seed: 11
episodes: $EP
max_steps: 32
codebook: $T/ma.json
EOF
"$BIN" run --config "$T/ma.yaml" --record --out "$T/cap" --json --quiet >"$T/run.json"
"$BIN" replay "$T/cap" --json --quiet >"$T/rep.json"
$PY - "$T" <<'PYEOF'
import json, sys
t = sys.argv[1]
run, rep = (json.load(open(f"{t}/{n}.json")) for n in ("run", "rep"))
assert run["episodes"] == rep["episodes"], "replay decisions differ"
coll = json.load(open(f"{t}/cap/isactb.sigmf-collection"))["collection"]
cb = json.load(open(f"{t}/ma.json"))
cpis = coll["isactb:cpis"]
last = None
for k, c in enumerate(cpis):
    p = c["isactb:plan"]
    pos = p["positions_wl"]
    pos = last if pos == "unchanged" else pos
    want = cb["beams"][p["beam"]]["positions_wl"]
    assert pos == want, (k, pos, want)
    last = pos
moved = len({tuple(cb["beams"][c["isactb:plan"]["beam"]]["positions_wl"]) for c in cpis})
det = sum(e["detected"] for e in run["episodes"])
assert det >= 1, "the MA loop detected nothing"
print(f"mode (a): {len(cpis)} CPIs from {moved} element layouts recorded and replayed; "
      f"{det}/{len(run['episodes'])} episodes confirmed a target")
# tamper: move one element of CPI 3 by 0.01 wavelength
for c in cpis[3:]:
    if c["isactb:plan"]["positions_wl"] != "unchanged":
        c["isactb:plan"]["positions_wl"][2] += 0.01
        break
json.dump({"collection": coll}, open(f"{t}/coll.json", "w"))
PYEOF
cp "$T/coll.json" "$T/cap/isactb.sigmf-collection"
set +e
"$BIN" replay "$T/cap" --quiet >/dev/null 2>"$T/err"
rc=$?
set -e
[ $rc -eq 3 ] && grep -q "replay diverged at CPI" "$T/err" || {
    echo "FAIL: tampered position: exit $rc"
    cat "$T/err"
    exit 1
}
echo "tampered recorded position: replay stops (exit 3)"

# ---- mode (c): sim and isacsim, same decisions
POS=$($PY -c "print(':'.join('%g' % (k * 0.25) for k in range(17)))")
cat >"$T/g.yaml" <<EOF
policy: scan
seed: 5
episodes: 2
max_steps: 24
codebook: $T/grid.json
EOF
"$BIN" run --config "$T/g.yaml" --radio "sim:elements=17,positions=$POS" --json --quiet >"$T/a.json"
one_line 1 "positions_wl\[1\]: 0.25, but the radio's TX element 1 is at 0.5" \
    "$BIN" run --config "$T/g.yaml" --radio "sim:elements=17" --quiet
if [ ! -f "$plug/libisacsimSupport.so" ]; then
    echo "SKIP (isacsim parts): plug-in not built (SoapySDR not found at configure time)"
    exit 0
fi
export SOAPY_SDR_PLUGIN_PATH=$plug
"$BIN" run --config "$T/g.yaml" --radio "soapy:driver=isacsim,elements=17,positions=$POS" \
    --no-calibration --json --quiet >"$T/b.json"
$PY - "$T" <<'PYEOF'
import json, sys
t = sys.argv[1]
a, b = (json.load(open(f"{t}/{n}.json"))["episodes"] for n in "ab")
assert a == b, "isacsim decisions differ from sim's"
print(f"mode (c): sim and isacsim identical over {sum(len(e['beams']) for e in a)} CPIs, "
      f"{sum(e['detected'] for e in a)}/{len(a)} confirmed")
PYEOF
one_line 1 "the beams move elements but radio 'soapy:driver=isacsim,elements=8' cannot" \
    "$BIN" run --config "$T/ma.yaml" --radio "soapy:driver=isacsim,elements=8" --no-calibration --quiet

# ---- mode (b) + (c) on isacsim: 6 of each AP's 17 channels
RX=$($PY -c "print(':'.join(str(n * 17 + k) for n in range(4) for k in (0, 3, 5, 9, 12, 16)))")
SPEC="soapy:driver=isacsim,elements=17,positions=$POS,isactb_rx=$RX"
"$BIN" info --radio "$SPEC" --json >"$T/info.json"
"$BIN" run --config "$T/g.yaml" --radio "$SPEC" --no-calibration --json --quiet >"$T/c.json"
$PY - "$T" <<'PYEOF'
import json, math, sys
t = sys.argv[1]
info = json.load(open(f"{t}/info.json"))
lam = 299792458.0 / info["emulated_freq_hz"]
want = [0, 0.75, 1.25, 2.25, 3.0, 4.0]
rx = [a for a in info["arrays"] if a["role"] == "rx"]
assert info["num_rx"] == 24 and len(rx) == 4, (info["num_rx"], len(rx))
for a in rx:
    p0 = a["positions_m"][0]
    got = [math.dist(p, p0) / lam for p in a["positions_m"]]
    assert all(abs(g - w) < 1e-4 for g, w in zip(got, want)), got  # positions_m: 1e-8 m
c = json.load(open(f"{t}/c.json"))["episodes"]
print(f"mode (b)+(c) on isacsim: RX arrays at {want} wl, {sum(len(e['beams']) for e in c)} CPIs, "
      f"{sum(e['detected'] for e in c)}/{len(c)} confirmed")
PYEOF
BAD=$($PY -c "print(':'.join(str(n * 17 + k) for n in (0, 2, 1, 3) for k in (0, 3)))")
one_line 2 "channel 17 is listed after a channel of a later receive AP" \
    "$BIN" run --config "$T/g.yaml" --radio "soapy:driver=isacsim,elements=17,positions=$POS,isactb_rx=$BAD" \
    --no-calibration --quiet
echo "refusals: one line each"
