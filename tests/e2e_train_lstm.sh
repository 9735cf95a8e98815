#!/usr/bin/env bash
# isactb train lstm on small sequence files (tests/lstm_seq_data.py): the same seed gives
# the same weights, C tables and curves byte for byte, also with --threads 2 (a batch of 32
# is two gradient chunks), another seed
# other weights; a classification file gives the accuracy curve, a regression file the MSE
# curve, both learn (last validation better than first); the weights file, curves and figure
# are written and no temporary is left; the C tables compile; bad files and options are
# refused with one line (exit 1 for input, 2 for usage) and leave no weights behind; SIGTERM
# stops training at the end of an epoch with one line and nothing written.
set -uo pipefail
BIN=${ISACTB_BIN:?}; SRC=${ISACTB_SOURCE_DIR:?}
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
fail=0; total=0
check() { total=$((total + 1)); if ! eval "$2"; then echo "FAIL: $1"; fail=$((fail + 1)); fi; }
PY=/usr/bin/python3
$PY "$SRC/tests/lstm_seq_data.py" peaks 300 1 "$tmp/peaks.seq"
$PY "$SRC/tests/lstm_seq_data.py" beam 300 2 "$tmp/beam.seq"
small=(--epochs 4 --hidden 8 --dense 8 --lr 0.01 --batch 32 --quiet)
cd "$tmp"
"$BIN" train lstm --data peaks.seq "${small[@]}" --seed 3 --out a.w --export-c a.c --out-dir da --json >a.json
check "train lstm exit status" "[ $? -eq 0 ]"
"$BIN" train lstm --data peaks.seq "${small[@]}" --seed 3 --out b.w --export-c b.c --out-dir db >/dev/null
"$BIN" train lstm --data peaks.seq "${small[@]}" --seed 3 --threads 2 --out t.w >/dev/null
"$BIN" train lstm --data peaks.seq "${small[@]}" --seed 4 --out c.w >/dev/null
params() { $PY -c 'import json,sys; print(json.dumps(json.load(open(sys.argv[1]))["params"]))' "$1"; }
check "same seed, same weights" "[ \"\$(params a.w)\" = \"\$(params b.w)\" ]"
check "same seed, same weights with --threads 2" "[ \"\$(params a.w)\" = \"\$(params t.w)\" ]"
check "other seed, other weights" "[ \"\$(params a.w)\" != \"\$(params c.w)\" ]"
check "same seed, same curves" "cmp -s da/curves.csv db/curves.csv"
check "same seed, same C tables" "diff <(grep -v '^ \\*' a.c) <(grep -v '^ \\*' b.c) >/dev/null"
check "outputs in place, no temporaries" "[ -s a.w ] && [ -s da/curves.csv ] && ls da/lstm_training.* >/dev/null && ! ls *.tmp da/*.tmp 2>/dev/null"
cp "$SRC/.clang-format" .clang-format
check "exported C untouched by the project's clang-format" "clang-format --dry-run -Werror a.c 2>/dev/null"
check "exported C compiles" "cc -std=c17 -Wall -Wextra -Werror -fsyntax-only -I$SRC/host a.c"
check "C header states command, seed, commit" "grep -q ' \\* command: isactb train lstm' a.c && grep -q ' \\* seed: 3' a.c && grep -q ' \\* commit: ' a.c"
check "JSON: accuracy per epoch, validation improves" "$PY -c '
import json; d=json.load(open(\"a.json\")); e=d[\"epochs\"]
assert d[\"head\"]==\"bce\" and len(e)==4 and d[\"train_sequences\"]==240 and d[\"val_sequences\"]==60
assert e[-1][\"val\"][\"accuracy\"] > e[0][\"val\"][\"accuracy\"] and e[-1][\"val\"][\"loss\"] < e[0][\"val\"][\"loss\"]'"
"$BIN" train lstm --data beam.seq "${small[@]}" --val-fraction 0.25 --out m.w --out-dir dm --json >m.json
check "regression: MSE curve, no accuracy, validation improves" "$PY -c '
import json; d=json.load(open(\"m.json\")); e=d[\"epochs\"]
assert d[\"head\"]==\"mse\" and d[\"val_sequences\"]==75 and e[0][\"val\"][\"accuracy\"] is None
assert e[-1][\"val\"][\"mse\"] < e[0][\"val\"][\"mse\"]' && head -1 dm/curves.csv | grep -q val_mse"
"$BIN" train lstm --data beam.seq --val peaks.seq "${small[@]}" --out x.w 2>err; rc=$?
check "validation file of another shape: exit 1, one line" "[ $rc -eq 1 ] && [ \$(wc -l <err) -eq 1 ] && grep -q 'peaks.seq: in/out/head' err && [ ! -e x.w ]"
head -c 100 peaks.seq >trunc.seq
"$BIN" train lstm --data trunc.seq "${small[@]}" --out x.w 2>err; rc=$?
check "truncated data: exit 1, one line naming file and field" "[ $rc -eq 1 ] && [ \$(wc -l <err) -eq 1 ] && grep -q 'trunc.seq: count: 300 sequences announced' err && [ ! -e x.w ]"
"$BIN" train lstm --data missing.seq --out x.w 2>err; rc=$?
check "missing data file: exit 1" "[ $rc -eq 1 ] && grep -q missing.seq err"
"$BIN" train lstm --data peaks.seq --hidden 0 2>err; rc=$?
check "--hidden 0: exit 2" "[ $rc -eq 2 ] && grep -q -- '--hidden' err"
"$BIN" train lstm --data peaks.seq --dense 8,x 2>err; rc=$?
check "--dense 8,x: exit 2" "[ $rc -eq 2 ] && grep -q -- '--dense' err"
"$BIN" train lstm --data peaks.seq --val peaks.seq --val-fraction 0.1 2>err; rc=$?
check "--val with --val-fraction: exit 2" "[ $rc -eq 2 ]"
"$BIN" train lstm 2>err; rc=$?
check "no --data: exit 2" "[ $rc -eq 2 ] && grep -q -- '--data' err"
# SIGTERM during training: stops after the current epoch, one line, nothing written
"$BIN" train lstm --data peaks.seq --epochs 100000 --hidden 8 --dense 8 --out s.w --out-dir ds 2>serr &
pid=$!
for _ in $(seq 1 600); do grep -q '^epoch 1/' serr 2>/dev/null && break; sleep 0.05; done
kill -TERM "$pid"
# a run that ignored SIGTERM is killed after 60 s (fails, does not hang); the watchdog ends
# with the run and holds no output open
( for _ in $(seq 1 600); do kill -0 "$pid" 2>/dev/null || exit 0; sleep 0.1; done
  kill -KILL "$pid" ) >/dev/null 2>&1 &
dog=$!
wait "$pid"; rc=$?
wait "$dog"
check "SIGTERM: exit 143, one line, no weights or curves" "[ $rc -eq 143 ] && grep -q 'interrupted by SIGTERM after epoch [0-9]*: nothing written' serr && [ \$(grep -vc '^epoch' serr) -eq 1 ] && [ ! -e s.w ] && [ ! -e ds/curves.csv ]"
echo "$((total - fail))/$total checks passed"
[ "$fail" -eq 0 ]
