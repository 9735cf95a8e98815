#!/usr/bin/env bash
# Element positions end to end: `info --json` lists every array with its element
# positions in metres in the scene frame; a run on a non-uniform array recorded as SigMF
# carries the positions, and its replay (with the recorded positions) reproduces the live
# decisions; an array: section that contradicts the radio is refused in one line.
set -euo pipefail
BIN=${ISACTB_BIN:?}; SRC=${ISACTB_SOURCE_DIR:?}
PY=/usr/bin/python3
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
POS=0:0.5:1.25:1.75:2.75:3.5:4:5

"$BIN" info --radio "sim:elements=8,positions=$POS" --json > "$tmp/info.json"
"$BIN" info --json > "$tmp/info_ula.json"
"$BIN" run --config "$SRC/tests/data/positions.yaml" --record --out "$tmp/cap" --json --quiet > "$tmp/run.json"
"$BIN" replay "$tmp/cap" --json --quiet > "$tmp/replay.json"

$PY - "$tmp" <<'PYEOF'
import json, math, sys
d = sys.argv[1]
pos = [0, 0.5, 1.25, 1.75, 2.75, 3.5, 4, 5]
for name, want, M in (("info.json", pos, 8), ("info_ula.json", [m / 2 for m in range(16)], 16)):
    info = json.load(open(f"{d}/{name}"))
    lam = 299792458.0 / info["emulated_freq_hz"]
    arrays = info["arrays"]
    assert [a["role"] for a in arrays] == ["tx"] + ["rx"] * info["num_rx_aps"], arrays
    assert "movable" in info["capabilities"]
    aps = [info["tx_ap"]] + info["rx_aps"]
    for a, ap in zip(arrays, aps):
        assert len(a["positions_m"]) == M and a["ap"] == (0 if a["role"] == "tx" else aps.index(ap) - 1)
        ax = math.radians(ap["axis_deg"])
        for p, x in zip(a["positions_m"], want):
            exp = (ap["x_m"] + x * lam * math.cos(ax), ap["y_m"] + x * lam * math.sin(ax), 0.0)
            assert all(abs(u - v) < 1e-6 for u, v in zip(p, exp)), (name, a["role"], p, exp)
run = json.load(open(f"{d}/run.json"))
rep = json.load(open(f"{d}/replay.json"))
assert run["episodes"] == rep["episodes"], "replay decisions differ from the live run"
coll = json.load(open(f"{d}/cap/isactb.sigmf-collection"))["collection"]
geo = coll["spatial:element_geometry"]
assert len(geo) == 32
radio = coll["isactb:radio"]  # shared records live once, in the collection
assert radio["tx_positions_wl"] == pos and radio["rx_positions_wl"] == pos * 4, radio
steps = sum(e["steps"] for e in run["episodes"])
print(f"info arrays in metres; replay identical over {steps} CPIs with the recorded positions")
PYEOF

# the radio's positions are the truth: a config that says otherwise is refused
sed 's/2.75, 3.5/2.5, 3.5/' "$SRC/tests/data/positions.yaml" | head -11 > "$tmp/bad.yaml"
if "$BIN" run --config "$tmp/bad.yaml" --quiet 2> "$tmp/err"; then echo "mismatch accepted"; exit 1; fi
grep -q "array.tx_positions_wl\[4\]: 2.5 differs" "$tmp/err" || { cat "$tmp/err"; exit 1; }
[ "$(wc -l < "$tmp/err")" -eq 1 ] || { cat "$tmp/err"; exit 1; }
echo "mismatching array: section refused"
