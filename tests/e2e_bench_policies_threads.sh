#!/usr/bin/env bash
# Issue 16: `bench policies` runs episodes in parallel (runs of consecutive episodes cut
# independently of --threads, each on its own emulator, common random numbers through
# episode-aligned time). Its JSON (rows, paired differences) is identical for 1, 2 and 3
# threads; the cut is exercised with more episodes than runs per policy (8).
set -euo pipefail
BIN=${ISACTB_BIN:?}
PY=/usr/bin/python3
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
EP=10
# a strong, permissive condition keeps the episodes short (the check is identity, not speed)
for t in 1 2 3; do
    "$BIN" bench policies --json --power 30 --pfa 0.1 --episodes $EP --elements 4 \
        --policies scan,random,qnet --threads $t > "$tmp/bp$t.json"
done
$PY - "$tmp" $EP <<'PYEOF'
import json, sys
d, ep = sys.argv[1], int(sys.argv[2])
runs = [json.load(open(f"{d}/bp{t}.json")) for t in (1, 2, 3)]
for r in runs:
    r.pop("qnet_inference_ns", None)  # a timing
assert runs[0]["episodes"] == ep and len(runs[0]["rows"]) == 3, runs[0]
assert runs[0] == runs[1] == runs[2], "bench policies output depends on --threads"
print(f"ok: bench policies identical for 1, 2, 3 threads ({ep} episodes x 3 policies)")
PYEOF
