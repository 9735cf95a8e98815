#!/usr/bin/env bash
# Resource limits end cleanly (docs/reliability.md): each command runs in a child shell
# with `ulimit -v` (address space) or `ulimit -f` (file size). Required: no hang (every run
# is time-bounded; OpenBLAS's thread pool used to hang the first fork and the exit), never
# death by a signal (SIGXFSZ, a crash inside PLplot/cairo/fontconfig), an error is one line
# with a non-zero status, a figure that cannot be drawn is reported and is not exit 0 (the
# --json object is still printed), and no temporary is left.
set -uo pipefail
. "$(dirname "$0")/fault_common.sh"
cfg="$SRC/tests/data/small.yaml"
export -n ISACTB_SITE_LIMITS
if ldd "$BIN" | grep libasan >/dev/null; then
  echo "SKIP: address-space limits do not apply to an ASan build (its shadow memory)"; exit 0
fi

# limited NAME 'ulimit ...' -- CMD...: run CMD under the limit; sets rc, checks the contract
limited() {
  local name=$1 lim=$2; shift 3
  run_bounded 120 "$tmp/$name.out" "$tmp/$name.err" -- bash -c "$lim && exec \"\$@\"" _ "$@"
  if [ "$rc" -gt 128 ]; then bad "$name: died of signal $((rc - 128))"; sed 's/^/    /' "$tmp/$name.err"; fi
  if [ "$rc" -ne 0 ]; then one_line "$tmp/$name.err" ""; fi
  echo "$name: exit $rc $(errors "$tmp/$name.err" | head -1)"
}
no_tmp() { if find "$1" -name '*.tmp*' | grep -q .; then bad "$1: temporaries left: $(find "$1" -name '*.tmp*')"; fi; }

# address space: from too little to draw a figure up to enough for everything
for kb in 150000 250000; do
  limited "v$kb" "ulimit -v $kb" -- "$BIN" run --config "$cfg" --episodes 1 --quiet --out "$tmp/v$kb" --json
  no_tmp "$tmp/v$kb"
  # the result object is printed whatever happened to the figures
  if [ "$rc" -eq 0 ] || grep -q "figures:" "$tmp/v$kb.err"; then
    $PY -c 'import json,sys; json.load(open(sys.argv[1]))' "$tmp/v$kb.out" 2>/dev/null || bad "v$kb: no --json object on stdout"
  fi
  if grep -q "figures:" "$tmp/v$kb.err" && [ "$rc" -eq 0 ]; then bad "v$kb: figure failed with exit 0"; fi
done
# file size: the recording fails with EFBIG (not SIGXFSZ), one line, nothing left looking complete
limited f64 "ulimit -f 64" -- "$BIN" run --config "$cfg" --episodes 1 --quiet --record --out "$tmp/f64"
[ "$rc" -eq 3 ] || bad "f64: exit $rc, want 3"
grep -q "File too large" "$tmp/f64.err" || bad "f64: the line does not name EFBIG"
no_tmp "$tmp/f64"
limited fcal "ulimit -f 16" -- "$BIN" calib rx --radio sim:elements=4 --capture "$tmp/fcal" --out "$tmp/fcal.json"
[ "$rc" -ne 0 ] || bad "fcal: exit 0 under a 16 KiB file limit"
no_tmp "$tmp/fcal"
finish_test
