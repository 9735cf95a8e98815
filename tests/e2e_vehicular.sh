#!/bin/bash
# isactb vehicular teacher -> isactb train lstm -> isactb bench vehicular with those nets,
# on a tiny scale; and the commands' refusals of bad input (docs/vehicular.md, docs/cli.md).
set -euo pipefail
BIN=${ISACTB_BIN:?}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT

# bad input: one line, non-zero exit, nothing written
if "$BIN" vehicular teacher --sequences 4 2>"$T/e"; then exit 1; fi
grep -q -- "--out DIR is required" "$T/e"
if "$BIN" vehicular teacher --out "$T/none" 2>"$T/e"; then exit 1; fi
[ "$(wc -l <"$T/e")" -eq 1 ] && grep -q "not a directory" "$T/e"
if "$BIN" bench vehicular --schemes distance,nosuch 2>"$T/e"; then exit 1; fi
grep -q "unknown scheme 'nosuch'" "$T/e"
if "$BIN" vehicular frobnicate 2>"$T/e"; then exit 1; fi

# teacher data: 8 slots of 3..6 vehicles, 16 elements
mkdir "$T/d"
"$BIN" vehicular teacher --out "$T/d" --sequences 8 --kmin 3 --kmax 6 --elements 16 --seed 4 \
    2>"$T/log"
for f in assign_train assign_val beam_train beam_val; do [ -s "$T/d/$f.seq" ]; done
if ls "$T/d" | grep tmp >/dev/null; then exit 1; fi
# the same seed gives the same files
mkdir "$T/d2"
"$BIN" vehicular teacher --out "$T/d2" --sequences 8 --kmin 3 --kmax 6 --elements 16 --seed 4 \
    2>/dev/null
cmp "$T/d/beam_train.seq" "$T/d2/beam_train.seq"

# the nets, trained for two epochs on it
"$BIN" train lstm --data "$T/d/assign_train.seq" --val "$T/d/assign_val.seq" --epochs 2 \
    --hidden 8 --out "$T/d/assign.weights" --quiet >/dev/null
"$BIN" train lstm --data "$T/d/beam_train.seq" --val "$T/d/beam_val.seq" --epochs 2 \
    --hidden 8 --out "$T/d/beam.weights" --quiet >/dev/null

# the lstm scheme from those weights beside the baseline; every vehicle served
"$BIN" bench vehicular --json --runs 2 --parts k --k 4 --elements 16 --schemes distance,lstm \
    --lstm-weights "$T/d" >"$T/b.json"
# 16-element nets cannot serve 32-element rows: the row says so
"$BIN" bench vehicular --json --runs 2 --parts k --k 4 --schemes distance,lstm \
    --lstm-weights "$T/d" >"$T/c.json"
/usr/bin/python3 - "$T/b.json" "$T/c.json" <<'PY'
import json, sys
rows = {r["scheme"]: r for r in json.load(open(sys.argv[1]))["rows"]}
for s in ("distance", "lstm"):
    r = rows[s]
    assert r["K"] == 4 and r["elements"] == 16 and r["runs"] == 2, r
    assert r["throughput_measured"]["mean"] > 0, r
    assert r["served_share"]["mean"] > 0.99, r
    m, q = r["throughput_model"]["mean"], r["throughput_measured"]["mean"]
    assert abs(m - q) < 0.1 * m, r
rows = {r["scheme"]: r for r in json.load(open(sys.argv[2]))["rows"]}
assert "skipped" in rows["lstm"] and "distance" in rows, rows
PY
echo "e2e_vehicular: ok"
