#!/usr/bin/env bash
# SIGINT/SIGTERM during the long commands other than run (which tests/e2e_fault_signal.sh
# covers): train, bench soak and calib sessions stop at the next safe point (an episode or
# epoch, a CPI, a capture), print one line saying what was kept, exit 128 + the signal
# (130/143), and leave no temporary behind and nothing half-written.
set -uo pipefail
. "$(dirname "$0")/fault_common.sh"
export -n ISACTB_SITE_LIMITS

# interrupt NAME SIG READY -- CMD...: start CMD, wait until the shell condition READY holds
# (the command is past its set-up; $pid is its process), send SIG, check the status and
# the one line
interrupt() {
  local name=$1 sig=$2 ready=$3; shift 4
  "$@" >"$tmp/$name.out" 2>"$tmp/$name.err" & pid=$!
  for _ in $(seq 1200); do eval "$ready" && break; sleep 0.05; done
  kill -"$sig" "$pid"
  local t=0; while kill -0 "$pid" 2>/dev/null && [ $t -lt 600 ]; do sleep 0.1; t=$((t + 1)); done
  if kill -0 "$pid" 2>/dev/null; then bad "$name: still running 60 s after SIG$sig"; kill -9 "$pid"; fi
  wait "$pid"; rc=$?
  local want=$((128 + $(kill -l "$sig")))
  [ "$rc" -eq "$want" ] || bad "$name: exit $rc, want $want"
  tr '\r' '\n' <"$tmp/$name.err" | grep -a '^isactb' >"$tmp/$name.lines"
  one_line "$tmp/$name.lines" "interrupted by SIG$sig"
  echo "$name: exit $rc: $(cat "$tmp/$name.lines")"
}
no_tmp() { if find "$1" -name '*.tmp*' | grep -q .; then bad "$1: temporaries left: $(find "$1" -name '*.tmp*')"; fi; }

# train: progress is printed per episode (--progress: the bars, also into a file); stopped
# during the collection, nothing is kept
interrupt train INT 'grep -aq collect "$tmp/train.err" 2>/dev/null' -- "$BIN" train --progress --out-dir "$tmp/tr" --out "$tmp/tr.weights" --collect 400
no_tmp "$tmp/tr"
[ ! -e "$tmp/tr.weights" ] || bad "train: weights written by an interrupted run"
grep -q "nothing kept" "$tmp/train.lines" || bad "train: the line does not say what was kept"
# bench soak: stops after the current CPI (signalled once it has used 0.5 s of CPU: its
# set-up takes a few milliseconds)
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null || echo 0; }
interrupt soak TERM '[ "$(cpu_ticks "$pid")" -ge 50 ]' -- "$BIN" bench soak --cpis 100000000
# calib: stops between two captures; the session recording's temporaries are removed and
# the record file is untouched
# (signalled once the first capture is in the recording's temporary data file)
interrupt calib TERM '[ -s "$tmp/ctx/isactb-calib-rx0.sigmf-data.tmp" ]' -- \
  "$BIN" calib tx --radio sim:elements=64 --sequential --capture "$tmp/ctx" --out "$tmp/rec.json"
no_tmp "$tmp/ctx"
[ ! -e "$tmp/rec.json" ] || bad "calib: a record was written by an interrupted session"
[ ! -e "$tmp/ctx/isactb-calib.sigmf-collection" ] || bad "calib: the interrupted session's recording looks complete"
finish_test
