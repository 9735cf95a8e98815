#!/usr/bin/env bash
# scripts/seed_study and scripts/seed_summary.py: a tiny two-seed study trains and benches
# each seed and summarizes exactly the benches' paired differences; the summary's mean,
# standard deviation, Student-t interval, variance split and success-rate interval match
# hand-computed values on synthetic benches; bad benches and bad options are refused with
# one line and a non-zero exit, and no summary is left behind.
set -uo pipefail
BIN=${ISACTB_BIN:?}; SRC=${ISACTB_SOURCE_DIR:?}
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
fail=0; total=0
check() { total=$((total + 1)); if ! eval "$2"; then echo "FAIL: $1"; fail=$((fail + 1)); fi; }
PY=/usr/bin/python3
SUM="$SRC/scripts/seed_summary.py"

tiny=(--collect 4 --max-steps 24 --gan-epochs 2 --episodes 6 --horizon 16 --eval-episodes 1)
ISACTB_BIN="$BIN" "$SRC/scripts/seed_study" --out "$tmp/st" --seeds 3,4 --episodes 2 \
    --elements 16 --jobs 2 -- "${tiny[@]}" >"$tmp/st.txt" 2>"$tmp/st.err"
check "study exit status" "[ $? -eq 0 ]"
check "every seed trained and benched" "[ -s $tmp/st/seed_3/bench.json ] && [ -s $tmp/st/seed_4/bench.json ] && [ -s $tmp/st/seed_3/collection.csv ]"
check "no temporary left" "! ls $tmp/st/*.tmp $tmp/st/seed_*/*.tmp 2>/dev/null | grep -q ."
check "seeds give other networks" "! cmp -s $tmp/st/seed_3/qnet_dt_cql.weights $tmp/st/seed_4/qnet_dt_cql.weights"
check "summary is the benches' paired differences" "$PY -c '
import json,sys
d=json.load(open(\"$tmp/st/summary.json\"))
b=[json.load(open(\"$tmp/st/seed_%d/bench.json\" % s))[\"paired\"][0][\"steps_diff_mean\"] for s in (3,4)]
assert d[\"seeds\"]==2 and [p[\"diff\"] for p in d[\"per_seed\"]]==b, (d, b)
assert abs(d[\"diff_mean\"]-sum(b)/2)<1e-12 and d[\"versus\"]==\"qnet_offline\"'"
check "table on stdout" "grep -q '^2 seeds: mean' $tmp/st.txt"

# synthetic benches: differences 1, 2, 3, standard errors 0.5 -> mean 2, sd 1,
# se 1/sqrt(3), t_{0.975,2} = 4.303, episode-noise variance 0.25, seed variance 0.75;
# success differences 0.9-0.8, 0.9-0.9, 0.9-1.0 -> mean 0, sd 0.1
mk() { # file diff sem [power] [qnet success] [offline success]
    printf '{"rows":[{"policy":"qnet","success_rate":%s},{"policy":"qnet_offline","success_rate":%s}],"paired":[{"policy":"qnet","versus":"qnet_offline","tx_power_dbm":%s,"pfa":0.001,"steps_diff_mean":%s,"steps_diff_sem":%s}],"episodes":10}\n' \
        "${5:-0.9}" "${6:-0.9}" "${4:-20.0}" "$2" "$3" >"$1"
}
mk "$tmp/s1.json" 1 0.5 20.0 0.9 0.8; mk "$tmp/s2.json" 2 0.5; mk "$tmp/s3.json" 3 0.5 20.0 0.9 1.0
$PY "$SUM" --json "$tmp/s1.json" "$tmp/s2.json" "$tmp/s3.json" >"$tmp/syn.json"
check "synthetic summary exit status" "[ $? -eq 0 ]"
check "synthetic mean, sd, interval, variance split" "$PY -c '
import json,math
d=json.load(open(\"$tmp/syn.json\"))
h=4.303/math.sqrt(3)
assert abs(d[\"diff_mean\"]-2)<1e-12 and abs(d[\"diff_sd\"]-1)<1e-12, d
assert abs(d[\"ci95\"][0]-(2-h))<1e-12 and abs(d[\"ci95\"][1]-(2+h))<1e-12, d
assert abs(d[\"episode_noise_var\"]-0.25)<1e-12 and abs(d[\"seed_var\"]-0.75)<1e-12, d
h=4.303*0.1/math.sqrt(3)
assert abs(d[\"success_diff_mean\"])<1e-12 and abs(d[\"success_ci95\"][1]-h)<1e-12, d'"
$PY "$SUM" --json "$tmp/s1.json" >"$tmp/one.json"
check "one seed: a mean, no interval" "$PY -c 'import json; d=json.load(open(\"$tmp/one.json\")); assert d[\"seeds\"]==1 and \"ci95\" not in d'"

refused() { # name expected-substring command...
    local name=$1 want=$2; shift 2
    "$@" >/dev/null 2>"$tmp/err"; local rc=$?
    check "$name: non-zero exit" "[ $rc -ne 0 ]"
    total=$((total + 1))
    if [ "$(wc -l <"$tmp/err")" -ne 1 ] || ! grep -qF -- "$want" "$tmp/err"; then
        echo "FAIL: $name: one line naming it"; cat "$tmp/err"; fail=$((fail + 1))
    fi
}
echo '{"rows":[]}' >"$tmp/nopaired.json"
refused "bench without paired" "nopaired.json: field 'paired'" $PY "$SUM" "$tmp/nopaired.json"
mk "$tmp/nan.json" NaN 0.5
refused "non-finite difference" "nan.json: field 'steps_diff_mean'" $PY "$SUM" "$tmp/nan.json"
mk "$tmp/nosucc.json" 1 0.5 20.0 0.9 null
refused "bench without a success rate" "nosucc.json: field 'rows'" $PY "$SUM" "$tmp/nosucc.json"
mk "$tmp/p10.json" 1 0.5 10.0
refused "two conditions" "different conditions" $PY "$SUM" "$tmp/s1.json" "$tmp/p10.json"
echo '{"paired":' >"$tmp/cut.json"
refused "truncated JSON" "cut.json: cannot read" $PY "$SUM" "$tmp/cut.json"
refused "study: bad --versus" "--versus 'bogus'" "$SRC/scripts/seed_study" --out "$tmp/x" --versus bogus
refused "study: bad --seeds" "--seeds '1,a'" "$SRC/scripts/seed_study" --out "$tmp/x" --seeds 1,a
refused "study: no --out" "--out DIR is required" "$SRC/scripts/seed_study"
ISACTB_BIN="$BIN" "$SRC/scripts/seed_study" --out "$tmp/bad" --seeds 1 --episodes 2 \
    --elements 16 -- --gan-epochs 0 >/dev/null 2>"$tmp/err"
check "study: failing train exits non-zero, no summary" "[ $? -ne 0 ] && [ ! -e $tmp/bad/summary.json ] && [ ! -e $tmp/bad/seed_1/train.json ] && grep -q 'seed 1: train failed' $tmp/err"

echo "$((total - fail))/$total checks passed"
[ "$fail" -eq 0 ]
