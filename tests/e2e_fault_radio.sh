#!/usr/bin/env bash
# Radio faults injected through the emulator end a run with a clear status, never a hang,
# and leave a valid capture of what was captured (docs/reliability.md, "Faults"):
#  - drops and overflows: the run completes (exit 0), the counters report them, and the
#    capture records every gap (core:global_index jumps, isactb:drop) and replays;
#  - late commands: exit 3 with one line naming the late command; capture finalised;
#  - a radio that stops answering mid-run (sim hang_after): every call times out after the
#    per-call timeout, exit 3 with one "timeout" line, capture finalised with the CPIs
#    captured before the hang.
set -uo pipefail
. "$(dirname "$0")/fault_common.sh"
cfg="$SRC/tests/data/small.yaml"

# -- drops and overflows
run_bounded 300 "$tmp/drop.json" "$tmp/drop.err" -- "$BIN" run --config "$cfg" \
  --radio sim:elements=8,drop_rate=0.5,overflow_rate=0.3 --record --out "$tmp/drop" --json --quiet
[ "$rc" -eq 0 ] || { bad "drops: exit $rc"; cat "$tmp/drop.err"; }
n=$(capture_ok "$tmp/drop" 1)
$PY - "$tmp/drop.json" "$tmp/drop" <<'PYEOF' || bad "drops not recorded"
import glob, json, sys
run = json.load(open(sys.argv[1]))
c = run["counters"]
assert c["dropped_samples"] > 0 and c["overflows"] > 0, c
meta = json.load(open(f"{sys.argv[2]}/isactb-rx0.sigmf-meta"))
# CPI records (with isactb:drop) are the collection's, once for all channels (format 2.0.0)
coll = json.load(open(f"{sys.argv[2]}/isactb.sigmf-collection"))["collection"]
caps, anns = meta["captures"], coll["isactb:cpis"]
drops = [a for a in anns if "isactb:drop" in a]
lost = sum(a["isactb:drop"]["count"] for a in drops)
# a gap inside a window ends its captures segment; the next one's global_index jumps
# past the lost samples: more segments than CPIs
jumps = len(caps) - len(anns)
assert drops, "no CPI record carries isactb:drop"
assert lost == c["dropped_samples"], (lost, c["dropped_samples"])
assert jumps > 0, (len(caps), len(anns))
print(f"drops: {c['dropped_samples']} samples lost (all recorded), {c['overflows']} overflows; "
      f"{len(drops)} CPIs with isactb:drop, {jumps} extra captures segments")
PYEOF
run_bounded 300 "$tmp/rep.json" "$tmp/rep.err" -- "$BIN" replay "$tmp/drop" --json --quiet
[ "$rc" -eq 0 ] || { bad "replay of a capture with drops: exit $rc"; cat "$tmp/rep.err"; }
$PY -c 'import json,sys; a=json.load(open(sys.argv[1])); b=json.load(open(sys.argv[2])); assert a["episodes"]==b["episodes"]' \
  "$tmp/drop.json" "$tmp/rep.json" || bad "replay over drops differs from the live run"

# -- late commands: the first window that comes back late stops the run
run_bounded 300 "$tmp/late.out" "$tmp/late.err" -- "$BIN" run --config "$cfg" \
  --radio sim:elements=8,seed=3,late_rate=0.2 --episodes 50 --record --out "$tmp/late" --quiet
[ "$rc" -eq 3 ] || bad "late: exit $rc, want 3"
one_line "$tmp/late.err" "late command"
n=$(capture_ok "$tmp/late" 0)
echo "late: exit $rc after $n CPIs: $(cat "$tmp/late.err")"

# -- a radio that stops answering after 7 captures (per-call timeout 0.3 s)
start=$(date +%s)
run_bounded 60 "$tmp/hang.json" "$tmp/hang.err" -- "$BIN" run --config "$cfg" \
  --radio sim:elements=8,hang_after=7,timeout=0.3 --episodes 50 --record --out "$tmp/hang" --json --quiet
end=$(date +%s)
[ "$rc" -eq 3 ] || bad "hang: exit $rc, want 3"
one_line "$tmp/hang.err" "got no answer within 0.3 s"
n=$(capture_ok "$tmp/hang" 7)
[ "$n" = 7 ] || bad "hang: capture holds $n CPIs, want the 7 answered"
$PY -c 'import json,sys; c=json.load(open(sys.argv[1]))["counters"]; assert c["timeouts"]==1, c' "$tmp/hang.json" \
  || bad "hang: the JSON result does not count the timeout"
echo "hang: exit $rc in $((end - start)) s with $n CPIs: $(cat "$tmp/hang.err")"
finish_test
