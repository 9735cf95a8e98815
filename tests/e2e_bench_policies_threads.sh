#!/usr/bin/env bash
# Issue 16: `bench policies` runs episodes in parallel (runs of consecutive episodes cut
# independently of --threads, each on its own emulator, common random numbers through
# episode-aligned time). Its JSON (rows, paired differences) is identical for 1, 2 and 3
# threads; the cut is exercised with more episodes than runs per policy (8).
set -euo pipefail
BIN=${ISACTB_BIN:?}
PY=/usr/bin/python3
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
EP=10; THREADS="1 2 3"
# Under ASan fewer runs (the Release run carries the full check).
if ldd "$BIN" | grep libasan >/dev/null; then EP=9; THREADS="1 3"; fi
# a strong, permissive condition keeps the episodes short (the check is identity, not speed)
for t in $THREADS; do
    "$BIN" bench policies --json --power 30 --pfa 0.1 --episodes $EP --elements 4 \
        --policies scan,random,qnet --threads $t > "$tmp/bp$t.json"
done
$PY - "$tmp" $EP <<'PYEOF'
import json, sys
d, ep = sys.argv[1], int(sys.argv[2])
import os
ts = [t for t in (1, 2, 3) if os.path.exists(f"{d}/bp{t}.json")]
runs = [json.load(open(f"{d}/bp{t}.json")) for t in ts]
for r in runs:
    r.pop("qnet_inference_ns", None)  # a timing
assert runs[0]["episodes"] == ep and len(runs[0]["rows"]) == 3, runs[0]
assert all(r == runs[0] for r in runs[1:]), "bench policies output depends on --threads"
print(f"ok: bench policies identical for threads {ts} ({ep} episodes x 3 policies)")
PYEOF
