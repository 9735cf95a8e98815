#!/usr/bin/env bash
# Record-then-replay gives identical decisions; every file of the recording passes the official
# SigMF schemas; detect re-runs the detector over the capture and agrees with the live run.
set -euo pipefail
BIN=${ISACTB_BIN:?}; SRC=${ISACTB_SOURCE_DIR:?}
PY=/usr/bin/python3
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT

"$BIN" run --config "$SRC/tests/data/small.yaml" --record --out "$tmp/cap" --json --quiet > "$tmp/run.json"
[ -f "$tmp/cap/isactb.sigmf-collection" ] || { echo "no collection written"; exit 1; }
ls "$tmp/cap"/timeline.* >/dev/null || { echo "no timeline figure"; exit 1; }
! ls "$tmp/cap" | grep -q '\.tmp' || { echo "temporary files left behind"; exit 1; }

"$BIN" replay "$tmp/cap" --json --quiet > "$tmp/replay.json"
"$BIN" replay "$tmp/cap/isactb-rx3.sigmf-meta" --json --quiet > "$tmp/replay2.json"
"$BIN" detect "$tmp/cap" --json > "$tmp/detect.json"

$PY - "$tmp" <<'PYEOF'
import json, sys
d = sys.argv[1]
run = json.load(open(f"{d}/run.json"))
for name in ("replay.json", "replay2.json"):
    rep = json.load(open(f"{d}/{name}"))
    assert run["episodes"] == rep["episodes"], f"{name}: replay decisions differ from the live run"
    assert rep["radio"].startswith("file:") and rep["recorded_radio"] == run["radio"]
det = json.load(open(f"{d}/detect.json"))
steps = sum(e["steps"] for e in run["episodes"])
assert det["cpis"] == steps, (det["cpis"], steps)
live = [s for e in run["episodes"] for s in e["detections"]]
for row, l in zip(det["rows"], live):
    for k in ("detected", "lambda", "x", "y", "num_aps"):
        assert row[k] == l[k], (row["cpi"], k, row[k], l[k])
print(f"replay identical over {steps} CPIs; detect agrees with the live detections")
PYEOF

$PY "$SRC/tests/sigmf_validate.py" "$SRC/../shared/spec/sigmf" "$tmp/cap"
