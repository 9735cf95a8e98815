#!/usr/bin/env bash
# A full disk while recording: the writer reports it (exit 3, one "recording" line naming
# the file) and never leaves a capture that looks complete but is not: either the CPIs
# written before the failure are finalised as a valid capture, or nothing that a reader
# accepts remains. Provoked with RLIMIT_FSIZE (EFBIG, any user) and, when this user may
# mount, a 256 KiB tmpfs (ENOSPC).
set -uo pipefail
. "$(dirname "$0")/fault_common.sh"
cfg="$SRC/tests/data/small.yaml"

check_full() {
  local name=$1 d=$2
  [ "$rc" -eq 3 ] || bad "$name: exit $rc, want 3"
  grep -v '^isactb run: [0-9]*/[0-9]* episodes' "$tmp/$name.err" >"$tmp/$name.msg"
  one_line "$tmp/$name.msg" "recording"
  if [ -f "$d/isactb.sigmf-collection" ]; then
    local n; n=$(capture_ok "$d" 1)
    echo "$name: exit $rc, the $n CPIs before the failure finalised: $(cat "$tmp/$name.msg")"
  else
    if ls "$d" 2>/dev/null | grep -q '\.sigmf-meta$'; then bad "$name: meta files without a collection"; fi
    "$BIN" detect "$d" >/dev/null 2>&1 && bad "$name: a reader accepts the leftovers"
    echo "$name: exit $rc, no capture left: $(cat "$tmp/$name.msg")"
  fi
}

# 1. RLIMIT_FSIZE of 200 KiB: each CPI writes 4352 samples x 8 B = 34 KiB per RX file, so
# the first files fill up within a few CPIs. SIGXFSZ is ignored so write() fails (EFBIG).
run_bounded 120 "$tmp/fsize.out" "$tmp/fsize.err" -- bash -c \
  'trap "" XFSZ; ulimit -f 200; exec "$0" "$@"' "$BIN" run --config "$cfg" --episodes 20 \
  --record --out "$tmp/fsize" --quiet
check_full fsize "$tmp/fsize"

# 2. A real ENOSPC on a tiny tmpfs (root only; skipped otherwise).
mkdir -p "$tmp/mnt"
if mount -t tmpfs -o size=256k tmpfs "$tmp/mnt" 2>/dev/null; then
  run_bounded 120 "$tmp/enospc.out" "$tmp/enospc.err" -- "$BIN" run --config "$cfg" --episodes 20 \
    --record --out "$tmp/mnt/cap" --quiet
  check_full enospc "$tmp/mnt/cap"
  umount "$tmp/mnt"
else
  echo "enospc: cannot mount a tmpfs here (not root): skipped, RLIMIT_FSIZE covers the writer"
fi
finish_test
