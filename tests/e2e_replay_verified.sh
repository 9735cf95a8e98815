#!/usr/bin/env bash
# Verified replay (docs/capture-format.md "Input hashes", docs/cli.md replay): a changed or
# missing input (qnet weights, calibration record) is refused before anything runs with
# one line naming the file and both hashes (exit 1); a tampered per-CPI decision stops
# the replay at that CPI (exit 3). Also: a short recording's metadata is under 1.5 % of
# its IQ bytes, and the capture validates against the official SigMF schemas.
set -euo pipefail
BIN=${ISACTB_BIN:?}; SRC=${ISACTB_SOURCE_DIR:?}
PY=/usr/bin/python3
SPEC=$SRC/../shared/spec/sigmf
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT

# --- weights: record with a copy, replay passes, then rewrite it (still a valid file)
cp "$SRC/codebooks/qnet_default.weights" "$tmp/w.weights"
"$BIN" run --policy qnet --weights "$tmp/w.weights" --episodes 2 --record --out "$tmp/cap" \
    --json --quiet > "$tmp/run.json"
"$BIN" replay "$tmp/cap" --json --quiet > "$tmp/replay.json"
$PY - "$tmp" <<'PYEOF'
import json, sys
d = sys.argv[1]
assert json.load(open(f"{d}/run.json"))["episodes"] == json.load(open(f"{d}/replay.json"))["episodes"]
w = json.load(open(f"{d}/w.weights"))
json.dump(w, open(f"{d}/w.weights", "w"), indent=1)   # same numbers, other bytes
PYEOF
old=$(sha256sum < "$SRC/codebooks/qnet_default.weights" | cut -d' ' -f1)
new=$(sha256sum < "$tmp/w.weights" | cut -d' ' -f1)
set +e; "$BIN" replay "$tmp/cap" --quiet > /dev/null 2> "$tmp/err"; rc=$?; set -e
[ $rc -eq 1 ] || { echo "changed weights: exit $rc, expected 1"; cat "$tmp/err"; exit 1; }
[ "$(wc -l < "$tmp/err")" -eq 1 ] || { echo "expected one line:"; cat "$tmp/err"; exit 1; }
grep -qx "isactb replay: $tmp/w.weights: sha256 recorded $old, now $new" "$tmp/err" \
    || { echo "unexpected message:"; cat "$tmp/err"; exit 1; }
rm "$tmp/w.weights"
set +e; "$BIN" replay "$tmp/cap" --quiet > /dev/null 2> "$tmp/err"; rc=$?; set -e
[ $rc -eq 1 ] && grep -qx "isactb replay: $tmp/w.weights: sha256 recorded $old, now missing" "$tmp/err" \
    || { echo "missing weights: exit $rc"; cat "$tmp/err"; exit 1; }

# --- metadata size: every .sigmf-meta and the collection under 1.5 % of the IQ bytes
# (1.04 % measured: the collection holds every shared and per-CPI record once; each meta
# adds one short viewer annotation per CPI, ~190 bytes against 34 816 IQ bytes)
$PY - "$tmp/cap" <<'PYEOF'
import glob, os, sys
d = sys.argv[1]
meta = sum(os.path.getsize(f) for f in glob.glob(f"{d}/*.sigmf-meta") + glob.glob(f"{d}/*.sigmf-collection"))
iq = sum(os.path.getsize(f) for f in glob.glob(f"{d}/*.sigmf-data"))
assert meta < 0.015 * iq, f"metadata {meta} bytes is {100 * meta / iq:.3f} % of {iq} IQ bytes"
PYEOF
if [ -d "$SPEC" ]; then $PY "$SRC/tests/sigmf_validate.py" "$SPEC" "$tmp/cap" > /dev/null; fi

# --- a tampered decision: replay stops at that CPI with exit 3
cp "$SRC/codebooks/qnet_default.weights" "$tmp/w.weights"
cp -r "$tmp/cap" "$tmp/tampered"
$PY - "$tmp/tampered/isactb.sigmf-collection" <<'PYEOF'
import json, sys
p = sys.argv[1]
c = json.load(open(p))
c["collection"]["isactb:cpis"][3]["isactb:detection"]["lambda"] += 0.5
json.dump(c, open(p, "w"))
PYEOF
set +e; "$BIN" replay "$tmp/tampered" --quiet > /dev/null 2> "$tmp/err"; rc=$?; set -e
[ $rc -eq 3 ] || { echo "tampered decision: exit $rc, expected 3"; cat "$tmp/err"; exit 1; }
grep -q "^isactb replay: replay diverged at CPI 3: recorded detection {.*}, replayed detection {.*}$" "$tmp/err" \
    || { echo "unexpected message:"; cat "$tmp/err"; exit 1; }
"$BIN" replay "$tmp/cap" --quiet > /dev/null   # the untouched capture still replays

# --- calibration record: recorded with the run, rewritten afterwards
"$BIN" calib rx --radio sim:impairments=1 --out "$tmp/rx.json" > /dev/null 2>&1
"$BIN" run --radio sim:impairments=1 --calibration "$tmp/rx.json" --episodes 1 --record \
    --out "$tmp/calcap" --quiet > /dev/null 2>&1
"$BIN" replay "$tmp/calcap" --quiet > /dev/null 2>&1
$PY -c "import json,sys; r=json.load(open(sys.argv[1])); json.dump(r, open(sys.argv[1],'w'), indent=3)" "$tmp/rx.json"
set +e; "$BIN" replay "$tmp/calcap" --quiet > /dev/null 2> "$tmp/err"; rc=$?; set -e
[ $rc -eq 1 ] && grep -q "^isactb replay: $tmp/rx.json: sha256 recorded [0-9a-f]\{64\}, now [0-9a-f]\{64\}$" "$tmp/err" \
    || { echo "changed calibration: exit $rc"; cat "$tmp/err"; exit 1; }
echo "e2e_replay_verified: ok"
