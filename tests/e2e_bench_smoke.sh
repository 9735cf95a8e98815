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
