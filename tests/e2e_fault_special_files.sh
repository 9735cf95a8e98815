#!/usr/bin/env bash
# Only regular files are read (docs/reliability.md): a FIFO (with no writer: reading it
# would block forever), a socket or a directory given wherever isactb reads a file is refused
# at once with one line naming the path ("not a regular file (a FIFO)"), exit 1: experiment
# config, capture (meta, data, collection), weights, codebook, calibration record and the
# entries of a calibration directory, site limits, training data, and the input files a
# capture recorded (replay re-hashes them).
set -uo pipefail
. "$(dirname "$0")/fault_common.sh"
cfg="$SRC/tests/data/small.yaml"
export -n ISACTB_SITE_LIMITS
mkfifo "$tmp/fifo"
$PY -c 'import socket,sys,time; s=socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); time.sleep(60)' \
  "$tmp/sock" >/dev/null 2>&1 & sockpid=$!
for _ in $(seq 50); do [ -S "$tmp/sock" ] && break; sleep 0.1; done

# refused NAME NEEDLE -- CMD...: exit 1 within 20 s, one line containing NEEDLE
refused() {
  local name=$1 needle=$2; shift 3
  run_bounded 20 "$tmp/$name.out" "$tmp/$name.err" -- "$@"
  [ "$rc" -eq 1 ] || bad "$name: exit $rc, want 1"
  one_line "$tmp/$name.err" "$needle"
  echo "$name: $(head -c 160 "$tmp/$name.err")"
}
F="not a regular file (a FIFO)"
refused config "$tmp/fifo: $F" -- "$BIN" run --config "$tmp/fifo" --quiet
refused config_sock "$tmp/sock: not a regular file (a socket)" -- "$BIN" run --config "$tmp/sock" --quiet
refused config_dir "$tmp: not a regular file (a directory)" -- "$BIN" run --config "$tmp" --quiet
refused weights "$tmp/fifo: $F" -- "$BIN" run --episodes 1 --quiet --policy qnet --weights "$tmp/fifo"
refused codebook "$tmp/fifo: $F" -- "$BIN" codebook show "$tmp/fifo"
ISACTB_SITE_LIMITS="$tmp/fifo" refused site_limits "$tmp/fifo: $F" -- "$BIN" run --config "$cfg" --episodes 1 --quiet
refused train_data "$tmp/fifo: $F" -- "$BIN" train --data "$tmp/fifo" --episodes 2 --quiet
refused calib_record "$tmp/fifo: $F" -- "$BIN" calib verify --record "$tmp/fifo"
refused run_calibration "$tmp/fifo: $F" -- "$BIN" run --config "$cfg" --episodes 1 --quiet --calibration "$tmp/fifo"
# a FIFO among the records of a calibration directory
mkdir "$tmp/caldir"; mkfifo "$tmp/caldir/sim-1-x.json"
ISACTB_CALIB_DIR="$tmp/caldir" run_bounded 20 "$tmp/cd.out" "$tmp/cd.err" -- "$BIN" run --config "$cfg" --episodes 1 --quiet
[ "$rc" -le 1 ] || bad "calibration directory with a FIFO: exit $rc"
# a capture whose files were replaced by FIFOs
"$BIN" run --config "$cfg" --episodes 1 --quiet --record --out "$tmp/cap" >/dev/null 2>&1 || bad "cannot record"
for part in isactb-rx0.sigmf-data isactb-rx0.sigmf-meta isactb.sigmf-collection; do
  rm -rf "$tmp/c2"; cp -r "$tmp/cap" "$tmp/c2"; rm "$tmp/c2/$part"; mkfifo "$tmp/c2/$part"
  refused "detect_$part" "$part: $F" -- "$BIN" detect "$tmp/c2"
done
# a recorded input (the weights the run used) that is now a FIFO: replay refuses it
cp "$SRC/codebooks/qnet_default.weights" "$tmp/w.weights"
"$BIN" run --policy qnet --weights "$tmp/w.weights" --episodes 1 --quiet --record --out "$tmp/capw" >/dev/null 2>&1 || bad "cannot record with weights"
rm "$tmp/w.weights"; mkfifo "$tmp/w.weights"
refused replay_recorded "w.weights: not a regular file" -- "$BIN" replay "$tmp/capw" --quiet
kill "$sockpid" 2>/dev/null; wait "$sockpid" 2>/dev/null
finish_test
