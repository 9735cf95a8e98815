#!/usr/bin/env bash
# Issue 16 from the command line: run, replay and detect give the same decisions and
# numbers with 1 and 2 threads (--threads); replay accepts recorded reals that differ in
# their last float32 bits (relative 1e-6, what another FFT size or CPU gives) and still
# stops on a real difference (relative 1e-3); `bench replay` records a default capture in
# a temporary directory, prints its documented fields and removes the directory; `bench
# sim` prints its fields; bad --threads values are usage errors.
set -euo pipefail
BIN=${ISACTB_BIN:?}
PY=/usr/bin/python3
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
# Under ASan the same checks on less data (the Release run carries them in full).
EPISODES=2; REPEAT=1
if ldd "$BIN" | grep libasan >/dev/null; then EPISODES=1; fi

"$BIN" run --episodes $EPISODES --record --out "$tmp/cap" --json --quiet --threads 1 > "$tmp/run.json"
for t in 1 2; do
    "$BIN" replay "$tmp/cap" --json --quiet --threads $t > "$tmp/replay$t.json"
    "$BIN" detect "$tmp/cap" --json --threads $t > "$tmp/detect$t.json"
done
$PY - "$tmp" <<'PYEOF'
import json, sys
d = sys.argv[1]
run = json.load(open(f"{d}/run.json"))
r1, r2 = (json.load(open(f"{d}/replay{t}.json")) for t in (1, 2))
assert run["episodes"] == r1["episodes"] == r2["episodes"]
assert r1["timing"]["threads"] == 1 and r2["timing"]["threads"] == 2
t = run["timing"]
steps = sum(e["steps"] for e in run["episodes"])
assert t["cpis"] == steps and t["cpi_per_s"] > 0 and t["schedule_cpi_per_s"] == 1000.0, t
assert 0 <= t["late_cpis"] <= steps and t["max_lateness_ms"] >= 0, t
assert json.load(open(f"{d}/detect1.json")) == json.load(open(f"{d}/detect2.json"))
# last-bit noise in a recorded real is tolerated; a real difference is not
for name, rel in (("near", 1e-6), ("far", 1e-3)):
    import shutil
    shutil.copytree(f"{d}/cap", f"{d}/{name}")
    p = f"{d}/{name}/isactb.sigmf-collection"
    c = json.load(open(p))
    c["collection"]["isactb:cpis"][2]["isactb:detection"]["lambda"] *= 1 + rel
    json.dump(c, open(p, "w"))
PYEOF
"$BIN" replay "$tmp/near" --quiet > /dev/null
set +e; "$BIN" replay "$tmp/far" --quiet > /dev/null 2> "$tmp/err"; rc=$?; set -e
[ $rc -eq 3 ] || { echo "far: exit $rc, expected 3"; cat "$tmp/err"; exit 1; }
grep -q "replay diverged at CPI 2: recorded detection" "$tmp/err" || { cat "$tmp/err"; exit 1; }

mkdir "$tmp/t"
TMPDIR="$tmp/t" "$BIN" bench replay --episodes 1 --repeat $REPEAT --threads 2 --json > "$tmp/bench.json" 2> "$tmp/err"
$PY - "$tmp" <<'PYEOF'
import json, os, sys
d = sys.argv[1]
b = json.load(open(f"{d}/bench.json"))
for k in ("cpis", "seconds", "cpi_per_s", "floor_cpi_per_s", "ratio", "threads", "peak_rss_mb"):
    assert k in b, k
assert b["cpis"] > 0 and b["seconds"] > 0 and b["cpi_per_s"] > 0 and b["floor_cpi_per_s"] > 0
assert b["threads"] == 2 and b["peak_rss_mb"] > 0 and b["channels"] == 64
assert b["window"] == 4352 and b["fft_size"] == 4608
assert abs(b["ratio"] - b["floor_cpi_per_s"] / b["cpi_per_s"]) < 1e-3 * b["ratio"]
assert os.listdir(f"{d}/t") == [], os.listdir(f"{d}/t")   # the temporary capture is gone
PYEOF

"$BIN" bench sim --json --cpis 2 --elements 2 --cpi 256 --threads 2 > "$tmp/sim.json"
$PY - "$tmp/sim.json" <<'PYEOF'
import json, sys
b = json.load(open(sys.argv[1]))
assert b["channels"] == 8 and b["window"] == 512 and b["threads"] == 2, b
assert b["samples_per_s"] > 0 and b["floor_samples_per_s"] > 0
assert abs(b["ratio"] - b["floor_samples_per_s"] / b["samples_per_s"]) < 1e-3 * b["ratio"]
PYEOF

for bad in x -1 257; do
    for cmd in "run" "replay $tmp/cap" "detect $tmp/cap" "bench replay $tmp/cap" "bench sim" \
        "train" "bench policies"; do
        set +e; $BIN $cmd --threads $bad > /dev/null 2> "$tmp/err"; rc=$?; set -e
        [ $rc -eq 2 ] || { echo "$cmd --threads $bad: exit $rc, expected 2"; cat "$tmp/err"; exit 1; }
        [ "$(wc -l < "$tmp/err")" -eq 1 ] || { echo "expected one line:"; cat "$tmp/err"; exit 1; }
    done
done
echo "e2e_threads_replay: ok"
