#!/usr/bin/env bash
# `isactb bench mf --quick --json` runs and prints one well-formed object with the documented
# fields (docs/bench.md). Timing values are reported, never asserted.
set -euo pipefail
BIN=${ISACTB_BIN:?}
out=$("$BIN" bench mf --quick --json)
/usr/bin/python3 - "$out" <<'PYEOF'
import json, math, sys
d = json.loads(sys.argv[1])
mf = [r for r in d["rows"] if "ratio" in r]
grid = [r for r in d["rows"] if "grid_cells_per_s" in r]
assert mf and grid, "both MF and grid rows expected"
for r in mf:
    for k in ("channels", "cpi", "msamples_per_s", "fft_floor_msamples_per_s", "ratio"):
        assert k in r and math.isfinite(r[k]) and r[k] > 0, (k, r)
    # the ratio is the quotient of the two throughputs
    assert abs(r["ratio"] - r["fft_floor_msamples_per_s"] / r["msamples_per_s"]) < 0.01 * r["ratio"], r
for r in grid:
    assert r["grid_cells"] > 0 and r["grid_cells_per_s"] > 0, r
print(f"{len(mf)} MF rows, {len(grid)} grid rows")
PYEOF

# `isactb bench ma --quick --draws 1 --json`: one row per scheme with the documented fields
# (docs/ma.md); a region that cannot hold the array is one line and exit 2.
out=$("$BIN" bench ma --quick --draws 1 --threads 1 --json)
/usr/bin/python3 - "$out" <<'PYEOF'
import json, math, sys
d = json.loads(sys.argv[1])
names = [r["scheme"] for r in d["rows"]]
assert names == ["ulah", "ma_pga", "ma_pso", "ma_grid", "fpa", "random"], names
for r in d["rows"]:
    for k in ("sum_rate", "dod_lpcrlb", "constraints_met", "seconds"):
        assert k in r and math.isfinite(r[k]) and r[k] >= 0, (k, r)
    assert len(r["sum_rate_ci95"]) == 2 and len(r["dod_lpcrlb_ci95"]) == 2, r
assert d["draws"] == 1 and d["paper"]["table3_sum_rate"]["ulah"] == 14.5143
print("bench ma: %d schemes" % len(names))
PYEOF
set +e
err=$("$BIN" bench ma --region 3 --elements 8 --draws 1 2>&1 >/dev/null)
rc=$?
set -e
[ "$rc" = 2 ] || { echo "bench ma --region 3: exit $rc, expected 2"; exit 1; }
[ "$(printf '%s\n' "$err" | wc -l)" = 1 ] || { echo "expected one line: $err"; exit 1; }
case "$err" in
*"tx region [0, 3] holds at most 7 elements at dmin 0.5, asked for 8"*) ;;
*) echo "unexpected message: $err"; exit 1 ;;
esac
echo "bench ma bad region: $err"
