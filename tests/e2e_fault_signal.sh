#!/usr/bin/env bash
# SIGINT and SIGTERM in the middle of a recorded run: the run stops at the next CPI
# boundary, exits 3 with one "interrupted" line, and finalises the metadata of what it
# captured (a valid SigMF capture that detect reads); also while the radio hangs in a
# call (the signal cuts the wait short).
set -uo pipefail
. "$(dirname "$0")/fault_common.sh"
cfg="$SRC/tests/data/small.yaml"

# steps FILE: progress lines (one per CPI with --verbose) written so far (0 before the file exists)
steps() { local n; n=$(grep -c '^episode' "$1" 2>/dev/null); echo "${n:-0}"; }

# interrupt SIGNAL NAME [RADIO]: start a long recorded run, signal it once it has
# captured some CPIs, and check the outcome.
interrupt() {
  local sig=$1 name=$2 radio=${3:-sim:elements=8} min=${4:-3}
  "$BIN" run --config "$cfg" --radio "$radio" --episodes 100000 --record --out "$tmp/$name" \
    --verbose >"$tmp/$name.out" 2>"$tmp/$name.err" &
  local pid=$! waited=0
  # wait (at most 60 s) until at least MIN steps were reported
  while [ "$(steps "$tmp/$name.err")" -lt "$min" ] && [ $waited -lt 600 ]; do
    sleep 0.1; waited=$((waited + 1))
  done
  sleep 0.3
  kill -"$sig" "$pid"
  local t=0
  while kill -0 "$pid" 2>/dev/null && [ $t -lt 300 ]; do sleep 0.1; t=$((t + 1)); done
  if kill -0 "$pid" 2>/dev/null; then
    bad "$name: still running 30 s after SIG$sig"; kill -KILL "$pid"; wait "$pid"; return
  fi
  wait "$pid"; local rc=$?
  [ "$rc" -eq 3 ] || bad "$name: exit $rc after SIG$sig, want 3"
  grep -v '^episode' "$tmp/$name.err" | grep -v '^isactb run: [0-9]*/[0-9]* episodes' >"$tmp/$name.msg"
  one_line "$tmp/$name.msg" "interrupted"
  local n; n=$(capture_ok "$tmp/$name" "$min")
  echo "SIG$sig: exit $rc, $n CPIs finalised: $(cat "$tmp/$name.msg")"
}

interrupt INT sigint
interrupt TERM sigterm
# the radio stops answering after 5 captures with a 20 s per-call timeout: SIGINT during
# the blocked call (sent 0.3 s after the 5th step) must not wait for the whole timeout
interrupt INT sighang "sim:elements=8,hang_after=5,timeout=20" 5
finish_test
