#!/usr/bin/env bash
# isactb train on the real pipeline with tiny settings: the same seed gives the same
# weights file and the same C tables byte for byte, another seed gives other weights;
# the weights file drives `isactb run --policy qnet --weights`; a corrupt weights file is
# refused with one line and exit 1; `isactb bench policies --quick --json` reports the
# documented fields for sweep, scan, random, pso and qnet; --power/--pfa/--policies select
# one condition and a subset of the policies; --elements sets the array (default 64);
# the paired differences equal the differences of the rows; --twin-scene / --cql-real are
# validated and the paper's twin condition gives other weights; --twin-select is validated
# and reports the kept checkpoint.
set -uo pipefail
BIN=${ISACTB_BIN:?}; SRC=${ISACTB_SOURCE_DIR:?}
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
fail=0; total=0
check() { total=$((total + 1)); if ! eval "$2"; then echo "FAIL: $1"; fail=$((fail + 1)); fi; }

tiny=(--collect 4 --max-steps 24 --gan-epochs 2 --episodes 6 --horizon 16 --online-episodes 2
      --eval-episodes 1 --quiet)
"$BIN" train "${tiny[@]}" --seed 5 --out "$tmp/a.weights" --export-c "$tmp/a.c" --out-dir "$tmp/da" --json >"$tmp/a.json"
check "train exit status" "[ $? -eq 0 ]"
"$BIN" train "${tiny[@]}" --seed 5 --out "$tmp/b.weights" --export-c "$tmp/b.c" --out-dir "$tmp/db" >/dev/null
"$BIN" train "${tiny[@]}" --seed 6 --out "$tmp/c.weights" >/dev/null
# provenance (the command) differs in the output paths only: compare the tables
strip() { /usr/bin/python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); d.pop("provenance"); print(json.dumps(d))' "$1"; }
check "same seed, same weights" "[ \"\$(strip $tmp/a.weights)\" = \"\$(strip $tmp/b.weights)\" ]"
check "same seed, same C tables" "diff <(grep -v '^ \\*' $tmp/a.c) <(grep -v '^ \\*' $tmp/b.c) >/dev/null"
check "same seed, same curves" "cmp -s $tmp/da/curves.csv $tmp/db/curves.csv"
check "curves renamed into place, no temporary left" "[ -s $tmp/da/curves.csv ] && [ ! -e $tmp/da/curves.csv.tmp ]"
check "other seed, other weights" "[ \"\$(strip $tmp/a.weights)\" != \"\$(strip $tmp/c.weights)\" ]"
check "every variant written" "[ -s $tmp/da/qnet_dt_nocql.weights ] && [ -s $tmp/da/qnet_offline.weights ] && [ -s $tmp/da/qnet_online.weights ]"
cp "$SRC/.clang-format" "$tmp/.clang-format"
check "exported C untouched by the project's clang-format" "clang-format --dry-run -Werror $tmp/a.c 2>/dev/null"
check "exported C compiles" "cc -std=c17 -Wall -Wextra -Werror -fsyntax-only -I$SRC/host $tmp/a.c"
check "C header states command, seed, commit" "grep -q ' \\* command: isactb train' $tmp/a.c && grep -q ' \\* seed: 5' $tmp/a.c && grep -q ' \\* commit: ' $tmp/a.c"
check "train JSON fields" "/usr/bin/python3 -c 'import json; d=json.load(open(\"$tmp/a.json\")); t=d[\"twin\"]; assert all(k in t for k in (\"kl\",\"wasserstein\",\"mmd\",\"hit_real\",\"hit_generated\",\"near_n\",\"near_hit_real\",\"near_hit_generated\")); assert set(d[\"variants\"])=={\"dt_cql\",\"dt_nocql\",\"offline\",\"online\"}'"

"$BIN" run --policy qnet --weights "$tmp/a.weights" --episodes 1 --quiet --json >"$tmp/run.json"
check "run --policy qnet --weights" "[ $? -eq 0 ] && grep -q '\"policy\": *\"qnet\"' $tmp/run.json"
/usr/bin/python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); d["version"]=2; json.dump(d, open(sys.argv[2],"w"))' "$tmp/a.weights" "$tmp/v2.weights"
"$BIN" run --policy qnet --weights "$tmp/v2.weights" --episodes 1 --quiet 2>"$tmp/err"; rc=$?
check "bad version refused (exit 1, one line)" "[ $rc -eq 1 ] && [ \$(wc -l <$tmp/err) -eq 1 ] && grep -q 'version: 2 is not supported' $tmp/err"
"$BIN" run --policy qnet --weights "$tmp/missing.weights" --episodes 1 --quiet 2>"$tmp/err"; rc=$?
check "missing weights refused" "[ $rc -eq 1 ] && grep -q 'cannot read the weights file' $tmp/err"
"$BIN" run --policy greedy 2>"$tmp/err"; rc=$?
check "unknown policy is a usage error" "[ $rc -eq 2 ]"
"$BIN" train --variants bogus 2>"$tmp/err"; rc=$?
check "unknown variant is a usage error" "[ $rc -eq 2 ]"
"$BIN" train --twin-scene sometimes 2>"$tmp/err"; rc=$?
check "bad --twin-scene is a usage error (one line naming it)" "[ $rc -eq 2 ] && [ \$(wc -l <$tmp/err) -eq 1 ] && grep -q 'twin-scene' $tmp/err"
"$BIN" train "${tiny[@]}" --seed 5 --out "$tmp/s.weights" --save-data "$tmp/data.csv" >/dev/null
"$BIN" train "${tiny[@]}" --seed 5 --out "$tmp/r.weights" --data "$tmp/data.csv" --out-dir "$tmp/dr" >/dev/null
"$BIN" train "${tiny[@]}" --seed 5 --out "$tmp/o.weights" --variants online --out-dir "$tmp/do" >/dev/null
check "the online variant restarts the emulator: the same network alone, with the others, and from --data" "[ \"\$(strip $tmp/da/qnet_online.weights)\" = \"\$(strip $tmp/do/qnet_online.weights)\" ] && [ \"\$(strip $tmp/da/qnet_online.weights)\" = \"\$(strip $tmp/dr/qnet_online.weights)\" ]"
check "--save-data then --data: the same weights as collecting" "[ \"\$(strip $tmp/s.weights)\" = \"\$(strip $tmp/r.weights)\" ] && [ \"\$(strip $tmp/s.weights)\" = \"\$(strip $tmp/a.weights)\" ] && [ ! -e $tmp/data.csv.tmp ]"
sed '4s/^\([0-9]*\),\([0-9]*\),/\1,99,/' "$tmp/data.csv" >"$tmp/bad.csv"
"$BIN" train "${tiny[@]}" --data "$tmp/bad.csv" 2>"$tmp/err"; rc=$?
check "bad data file refused (exit 1, one line naming file, line and field)" "[ $rc -eq 1 ] && [ \$(wc -l <$tmp/err) -eq 1 ] && grep -q 'bad.csv:4: mu:' $tmp/err"
sed '1s/beams=64/beams=32/' "$tmp/data.csv" >"$tmp/b32.csv"
"$BIN" train "${tiny[@]}" --data "$tmp/b32.csv" 2>"$tmp/err"; rc=$?
check "data file of another codebook size refused" "[ $rc -eq 1 ] && grep -q 'b32.csv:1: beams=32 tau=5, but this run has beams=64' $tmp/err"
"$BIN" train --cql-real 2 2>/dev/null; rc=$?
check "bad --cql-real is a usage error" "[ $rc -eq 2 ]"
"$BIN" train "${tiny[@]}" --seed 5 --twin-scene none --rollout-mask 0 --variants dt_cql --out "$tmp/none.weights" --json >"$tmp/none.json"
check "the paper's twin condition and rollouts (--twin-scene none --rollout-mask 0) train other weights" "[ $? -eq 0 ] && [ \"\$(strip $tmp/a.weights)\" != \"\$(strip $tmp/none.weights)\" ]"
"$BIN" train "${tiny[@]}" --twin-select 7 2>"$tmp/err"; rc=$?
check "--twin-select above --episodes refused (exit 2, one line naming it)" "[ $rc -eq 2 ] && [ \$(wc -l <$tmp/err) -eq 1 ] && grep -q 'twin_select: 7' $tmp/err"
"$BIN" train "${tiny[@]}" --seed 5 --twin-select 3 --select-episodes 5 --variants dt_cql,offline --out "$tmp/sel.weights" --out-dir "$tmp/dsel" --json >"$tmp/sel.json"
check "--twin-select: the kept checkpoint and its score in the JSON and the curves" "[ $? -eq 0 ] && /usr/bin/python3 -c 'import json,csv; d=json.load(open(\"$tmp/sel.json\"))[\"variants\"]; v=d[\"dt_cql\"]; assert v[\"selected_episode\"] in (3,6); assert \"selected_episode\" not in d[\"offline\"]; s=[r for r in csv.DictReader(open(\"$tmp/dsel/curves.csv\")) if r[\"series\"]==\"dt_cql_select\"]; assert [int(r[\"x\"]) for r in s]==[3,6]; assert min(float(r[\"steps_or_loss_g\"]) for r in s)==v[\"twin_steps_mean\"]'"

"$BIN" bench policies --quick --elements 16 --json >"$tmp/bench.json"
check "bench policies --quick" "[ $? -eq 0 ]"
check "bench policies JSON" "/usr/bin/python3 -c 'import json; d=json.load(open(\"$tmp/bench.json\")); r=d[\"rows\"]; assert {x[\"policy\"] for x in r}>={\"sweep\",\"scan\",\"random\",\"pso\",\"qnet\"}; assert all(set(x)=={\"policy\",\"tx_power_dbm\",\"pfa\",\"steps_mean\",\"steps_p95\",\"success_rate\",\"steps_mean_success\",\"steps_sem\"} for x in r); p=d[\"paired\"]; assert {x[\"versus\"] for x in p}=={\"sweep\",\"scan\",\"random\",\"pso\"} and all(x[\"policy\"]==\"qnet\" for x in p); m={x[\"policy\"]:x[\"steps_mean\"] for x in r}; assert all(abs(x[\"steps_diff_mean\"]-(m[x[\"versus\"]]-m[\"qnet\"]))<1e-9 for x in p); assert all(x[\"steps_mean_success\"] is None or 1<=x[\"steps_mean_success\"]<=128 for x in r); assert all(x[\"steps_sem\"]>=0 for x in r); assert d[\"qnet_inference_ns\"]>0; assert d[\"elements\"]==16; sw=[x for x in r if x[\"policy\"]==\"sweep\"][0]; assert sw[\"success_rate\"]==0 or sw[\"steps_mean_success\"]>=65'"
"$BIN" bench policies --power 25 --pfa 1e-2 --policies scan,qnet --episodes 2 --weights "$tmp/a.weights" --json >"$tmp/bench1.json"
check "bench policies --power --pfa --policies --elements --weights: one condition, the named policies" "[ $? -eq 0 ] && /usr/bin/python3 -c 'import json; d=json.load(open(\"$tmp/bench1.json\")); r=d[\"rows\"]; assert [x[\"policy\"] for x in r]==[\"scan\",\"qnet\"]; assert all(x[\"tx_power_dbm\"]==25 and x[\"pfa\"]==0.01 for x in r); assert d[\"elements\"]==64'"
"$BIN" bench policies --quick --weights "$tmp/v2.weights" 2>"$tmp/err"; rc=$?
check "bench policies: bad weights refused (exit 1, one line)" "[ $rc -eq 1 ] && [ \$(wc -l <$tmp/err) -eq 1 ] && grep -q 'version: 2 is not supported' $tmp/err"
"$BIN" bench policies --policies bogus 2>/dev/null; rc=$?
check "bench policies: unknown policy name is a usage error" "[ $rc -eq 2 ]"

echo "e2e_train: $((total - fail)) passed, $fail failed"
[ "$fail" -eq 0 ]
