#!/usr/bin/env bash
# isactb node / fuse over ZeroMQ with real processes (docs/distributed.md):
#  1. `fuse --spawn N --json` prints byte for byte what `run --json` prints (same experiment
#     and seed; 4 APs on 4 nodes, 8 APs on 8 and on 3 nodes (several APs per node), 16 APs
#     on 16 nodes), and a fuse recording holds the same IQ as the run's;
#  2. a node killed mid-run: the fuse keeps running, counts the lost AP blocks, marks the
#     CPIs, takes the restarted node back; the capture validates and replays bit for bit;
#  3. CURVE: a node whose key is not authorized is refused (exit 3, one line), the run goes on
#     with the authorized ones and equals `run`; a non-loopback endpoint without keys is a
#     usage error; `isactb keys` writes its secret key 0600;
#  4. across two network namespaces joined by a veth pair (made here; skipped with a message
#     only when the kernel refuses namespaces): CURVE on by default, same result as `run`.
set -euo pipefail
BIN=${ISACTB_BIN:?}; SRC=${ISACTB_SOURCE_DIR:?}
PY=/usr/bin/python3
SPEC="$SRC/../shared/spec/sigmf"
tmp=$(mktemp -d)
NSF=isactb-f-$$; NSN=isactb-n-$$
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    ip netns del "$NSF" 2>/dev/null || true
    ip netns del "$NSN" 2>/dev/null || true
    rm -rf "$tmp"
}
trap cleanup EXIT
port=$((43000 + $$ % 15000))
EPISODES=2
asan=0; if ldd "$BIN" | grep libasan >/dev/null; then asan=1; fi

# The --json of run and fuse, byte for byte, except "timing" (wall-clock figures of this
# particular execution: docs/cli.md) which is removed from both before comparing.
same_json() {
    $PY - "$1" "$2" <<'PYEOF'
import json, sys
def load(p):
    with open(p) as f:
        o = json.load(f)
    o.pop("timing", None)
    return json.dumps(o, sort_keys=True)
sys.exit(0 if load(sys.argv[1]) == load(sys.argv[2]) else 1)
PYEOF
}

# ---- 1. same seed, same decisions and beams, same bytes ----
"$BIN" run --seed 11 --episodes $EPISODES --json --quiet > "$tmp/run.json"
"$BIN" fuse --spawn 4 --seed 11 --episodes $EPISODES --json --quiet > "$tmp/fuse4.json"
same_json "$tmp/run.json" "$tmp/fuse4.json" || { echo "fuse --spawn 4 differs from run"; exit 1; }
echo "fuse --spawn 4: identical to run --json (all but timing)"

SMALL="$SRC/tests/data/small.yaml"
if [ $asan -eq 0 ]; then # the Release run carries these two claims (ASan: CI time)
# 8 and 16 receive APs (sets of emulators) spread over 8, 3 and 16 node processes
R8="set:[sim]+[sim:seed=2]"
R16="set:[sim:elements=8]+[sim:elements=8,seed=2]+[sim:elements=8,seed=3]+[sim:elements=8,seed=4]"
"$BIN" run --config "$SMALL" --radio "$R8" --json --quiet > "$tmp/run8.json"
for n in 8 3; do
    "$BIN" fuse --config "$SMALL" --radio "$R8" --spawn $n --json --quiet > "$tmp/fuse8.json"
    same_json "$tmp/run8.json" "$tmp/fuse8.json" || { echo "8 APs on $n nodes differ from run"; exit 1; }
done
"$BIN" run --config "$SMALL" --radio "$R16" --json --quiet > "$tmp/run16.json"
"$BIN" fuse --config "$SMALL" --radio "$R16" --spawn 16 --json --quiet > "$tmp/fuse16.json"
same_json "$tmp/run16.json" "$tmp/fuse16.json" || { echo "16 APs on 16 nodes differ from run"; exit 1; }
echo "8 APs on 8 and 3 nodes, 16 APs on 16 nodes: identical to run --json (all but timing)"

"$BIN" run --seed 12 --episodes 1 --record --out "$tmp/rcap" --json --quiet > "$tmp/rrun.json"
"$BIN" fuse --spawn 4 --seed 12 --episodes 1 --record --out "$tmp/fcap" --json --quiet \
    > "$tmp/frun.json"
n=0
for f in "$tmp"/rcap/*.sigmf-data; do
    cmp "$f" "$tmp/fcap/$(basename "$f")" || { echo "$(basename "$f"): IQ differs"; exit 1; }
    n=$((n + 1))
done
[ "$n" -ge 4 ] || { echo "only $n data files"; exit 1; }
$PY - "$tmp" <<'PYEOF'
import json, sys
d = sys.argv[1]
a, b = json.load(open(f"{d}/rrun.json")), json.load(open(f"{d}/frun.json"))
assert a["episodes"] == b["episodes"] and a["summary"] == b["summary"]
PYEOF
echo "fuse recording: $n data files identical to run --record"
fi

# ---- 2. a node dies mid-run and comes back ----
EP="tcp://127.0.0.1:$port"
KEPISODES=4; [ $asan -eq 1 ] && KEPISODES=3
"$BIN" fuse --bind "$EP" --seed 5 --episodes $KEPISODES --late-ms 3000 --record --out "$tmp/kcap" \
    --verbose --json --stats "$tmp/kstats.json" > "$tmp/kill.json" 2> "$tmp/kill.err" &
fuse=$!; pids+=($fuse)
for ap in 0 1 2 3; do
    "$BIN" node --connect "$EP" --role rx --ap $ap --quiet 2> "$tmp/node$ap.err" &
    pids+=($!); eval node$ap=$!
done
# kill AP 2's node once the run is under way (10 CPIs done: the fuse's progress lines)
for _ in $(seq 300); do
    [ "$(grep -c '^episode' "$tmp/kill.err" || true)" -ge 10 ] && break; sleep 0.1
done
kill -9 "$node2"
# restart it once the fuse has noticed (a send to the dead connection fails) and fused a few
# CPIs without it
for _ in $(seq 300); do grep -q "is gone" "$tmp/kill.err" && break; sleep 0.1; done
sleep 0.5
"$BIN" node --connect "$EP" --role rx --ap 2 --quiet 2> "$tmp/node2b.err" &
pids+=($!)
rc=0; wait $fuse || rc=$?
[ $rc -eq 0 ] || { echo "fuse exited $rc after a node died"; cat "$tmp/kill.err"; exit 1; }
grep -q "is gone" "$tmp/kill.err" || { echo "the lost node was not logged"; cat "$tmp/kill.err"; exit 1; }
$PY - "$tmp" <<'PYEOF'
import json, sys
d = sys.argv[1]
s = json.load(open(f"{d}/kstats.json"))
r = json.load(open(f"{d}/kill.json"))
assert s["nodes_lost"] >= 1 and s["blocks_missing"] >= 1 and s["cpis_partial"] >= 1, s
assert s["rejoins"] >= 1, s
marked = [x for e in r["episodes"] for x in e["detections"] if "missing_aps" in x]
assert len(marked) == s["cpis_partial"], (len(marked), s["cpis_partial"])
assert sum(x["missing_aps"] & 4 != 0 for x in marked) >= 1, "AP 2 was not marked missing"
total = sum(e["steps"] for e in r["episodes"])
assert total == s["cpis"] and total > len(marked), (total, s)
print(f"kill: {len(marked)} of {total} CPIs fused without AP 2, node rejoined")
PYEOF
$PY "$SRC/tests/sigmf_validate.py" "$SPEC" "$tmp/kcap"
"$BIN" replay "$tmp/kcap" --json --quiet > "$tmp/kreplay.json"
$PY - "$tmp" <<'PYEOF'
import json, sys
d = sys.argv[1]
a, b = json.load(open(f"{d}/kill.json")), json.load(open(f"{d}/kreplay.json"))
assert a["episodes"] == b["episodes"], "replay of the partial capture diverged"
print("the capture with missing APs replays bit for bit")
PYEOF

# --missing skip: once AP 3's node is gone its CPIs are skipped (no declaration), counted
# (enough episodes that the run is still going when the first one ends and the node is killed,
# however fast the machine: one episode of this config took 0.08 s on an idle CI machine)
EP="tcp://127.0.0.1:$((port + 4))"
skip_episodes=30; [ "$asan" = 1 ] && skip_episodes=10
"$BIN" fuse --bind "$EP" --config "$SMALL" --episodes $skip_episodes --missing skip --late-ms 300 --verbose --json \
    --stats "$tmp/sstats.json" > "$tmp/skip.json" 2> "$tmp/skip.err" &
fuse=$!; pids+=($fuse)
for ap in 0 1 2 3; do
    "$BIN" node --connect "$EP" --role rx --ap $ap --quiet & pids+=($!); eval node$ap=$!
done
for _ in $(seq 300); do grep -q '^episode' "$tmp/skip.err" && break; sleep 0.05; done
kill "$node3"
wait $fuse
$PY - "$tmp" <<'PYEOF'
import json, sys
d = sys.argv[1]
s, r = json.load(open(f"{d}/sstats.json")), json.load(open(f"{d}/skip.json"))
det = [x for e in r["episodes"] for x in e["detections"]]
skipped = [x for x in det if x.get("missing_aps") == 15]
assert s["cpis_skipped"] == len(skipped) >= 1 and s["cpis_partial"] == 0, s
assert not any(x["detected"] for x in skipped) and all(x["num_aps"] == 0 for x in skipped)
print(f"--missing skip: {len(skipped)} of {len(det)} CPIs skipped and marked")
PYEOF

# ---- 3. keys ----
"$BIN" keys --out "$tmp/fuse" > /dev/null
"$BIN" keys --out "$tmp/good" > /dev/null
"$BIN" keys --out "$tmp/bad" > /dev/null
[ "$(stat -c %a "$tmp/fuse.key")" = 600 ] || { echo "secret key not 0600"; exit 1; }
rc=0; "$BIN" keys --out "$tmp/fuse" 2> "$tmp/keys.err" || rc=$?
[ $rc -eq 1 ] && grep -q "exists" "$tmp/keys.err" || { echo "keys overwrote a key"; exit 1; }
cat "$tmp/good.pub" > "$tmp/authorized"
rc=0; "$BIN" fuse --bind tcp://0.0.0.0:$((port + 1)) --episodes 1 --quiet 2> "$tmp/nokey.err" || rc=$?
[ $rc -eq 2 ] && grep -q "CURVE needs --keys" "$tmp/nokey.err" ||
    { echo "non-loopback without keys: exit $rc"; cat "$tmp/nokey.err"; exit 1; }

EP="tcp://127.0.0.1:$((port + 2))"
"$BIN" fuse --bind "$EP" --curve --keys "$tmp/fuse" --authorized "$tmp/authorized" --seed 11 \
    --episodes $EPISODES --json --quiet --stats "$tmp/cstats.json" > "$tmp/curve.json" \
    2> "$tmp/curve.err" &
fuse=$!; pids+=($fuse)
rc=0; "$BIN" node --connect "$EP" --role rx --ap 0 --curve --keys "$tmp/bad" \
    --server-key "$tmp/fuse.pub" --quiet 2> "$tmp/bad.err" || rc=$?
[ $rc -eq 3 ] && grep -q "refused" "$tmp/bad.err" ||
    { echo "unauthorized node: exit $rc"; cat "$tmp/bad.err"; exit 1; }
[ "$(wc -l < "$tmp/bad.err")" -eq 1 ] || { echo "refusal not one line"; cat "$tmp/bad.err"; exit 1; }
for ap in 0 1 2 3; do
    "$BIN" node --connect "$EP" --role rx --ap $ap --curve --keys "$tmp/good" \
        --server-key "$tmp/fuse.pub" --quiet &
    pids+=($!)
done
# a transmit node radiates every plan at the commanded tick (into its own emulator here)
"$BIN" node --connect "$EP" --role tx --curve --keys "$tmp/good" --server-key "$tmp/fuse.pub" \
    --quiet & pids+=($!)
wait $fuse
same_json "$tmp/run.json" "$tmp/curve.json" || { echo "CURVE run differs from run"; exit 1; }
$PY -c "import json,sys; s=json.load(open(sys.argv[1])); assert s['refused_keys']>=1, s" \
    "$tmp/cstats.json"
grep -q "not authorized" "$tmp/curve.err" || { echo "refusal not logged by the fuse"; exit 1; }
echo "CURVE: unauthorized key refused, authorized nodes give the run's result"

# ---- 4. two network namespaces ----
if [ $asan -eq 1 ]; then echo "netns part: Release run only (ASan)"; exit 0; fi
if ! ip netns add "$NSF" 2> "$tmp/netns.err"; then
    echo "SKIP netns part: the kernel refuses network namespaces: $(cat "$tmp/netns.err")"
    exit 0
fi
ip netns add "$NSN"
ip link add "vf$$" netns "$NSF" type veth peer name "vn$$" netns "$NSN"
ip -n "$NSF" addr add 10.231.0.1/24 dev "vf$$"; ip -n "$NSF" link set "vf$$" up
ip -n "$NSN" addr add 10.231.0.2/24 dev "vn$$"; ip -n "$NSN" link set "vn$$" up
ip -n "$NSF" link set lo up; ip -n "$NSN" link set lo up
EP="tcp://10.231.0.1:$((port + 3))"
ip netns exec "$NSF" "$BIN" fuse --bind "$EP" --keys "$tmp/fuse" --authorized "$tmp/authorized" \
    --seed 11 --episodes $EPISODES --json --quiet --stats "$tmp/nstats.json" > "$tmp/netns.json" &
fuse=$!; pids+=($fuse)
for ap in 0 1 2 3; do
    ip netns exec "$NSN" "$BIN" node --connect "$EP" --role rx --ap $ap --keys "$tmp/good" \
        --server-key "$tmp/fuse.pub" --quiet &
    pids+=($!)
done
wait $fuse
same_json "$tmp/run.json" "$tmp/netns.json" || { echo "netns run differs from run"; exit 1; }
echo "two namespaces over veth with CURVE: identical to run --json (all but timing)"
