# Helpers of the tests/e2e_fault_*.sh scripts (sourced; not a test by itself).
# Needs ISACTB_BIN and ISACTB_SOURCE_DIR; sets BIN, SRC, PY, tmp (removed at exit), fail.
BIN=${ISACTB_BIN:?}; SRC=${ISACTB_SOURCE_DIR:?}
PY=/usr/bin/python3
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
fail=0

bad() { echo "FAIL: $*"; fail=$((fail + 1)); }

# run_bounded SECONDS OUT ERR -- CMD...: run CMD with a hard time bound; sets $rc.
# A run that needs the bound (exit 124/137) is a hang, which is always a failure.
run_bounded() {
  local secs=$1 out=$2 err=$3; shift 4
  timeout -k 5 "$secs" "$@" >"$out" 2>"$err"; rc=$?
  if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then bad "hang: '$*' did not end within $secs s"; fi
}

# errors FILE: the lines of FILE that are not warnings ("isactb CMD: warning: ...", which
# may precede an error and are not part of it).
errors() { grep -av '^isactb [a-z]*: warning: ' "$1"; }

# one_line FILE NEEDLE: FILE holds exactly one error line, containing NEEDLE.
one_line() {
  local n; n=$(errors "$1" | wc -l)
  [ "$n" -eq 1 ] && errors "$1" | grep -aqF -- "$2" || { bad "expected one line with '$2', got $n:"; sed 's/^/    /' "$1"; }
}

# capture_ok DIR MIN_CPIS: DIR holds a finalised capture (no temporaries) that passes the
# official SigMF schemas and that `isactb detect` reads with at least MIN_CPIS CPIs;
# prints the CPI count.
capture_ok() {
  local d=$1 min=$2
  [ -f "$d/isactb.sigmf-collection" ] || { bad "$d: no .sigmf-collection (capture not finalised)"; return 1; }
  if ls "$d" | grep -q '\.tmp$'; then bad "$d: temporary files left behind"; fi
  $PY "$SRC/tests/sigmf_validate.py" "$SRC/../shared/spec/sigmf" "$d" >"$tmp/val.txt" 2>&1 \
    || { bad "$d: fails SigMF validation:"; sed 's/^/    /' "$tmp/val.txt"; return 1; }
  "$BIN" detect "$d" --json >"$tmp/det.json" 2>"$tmp/det.err" \
    || { bad "$d: isactb detect refuses it:"; cat "$tmp/det.err"; return 1; }
  local n; n=$($PY -c 'import json,sys; print(json.load(open(sys.argv[1]))["cpis"])' "$tmp/det.json")
  [ "$n" -ge "$min" ] || bad "$d: $n CPIs, expected at least $min"
  echo "$n"
}

finish_test() {
  if [ "$fail" -ne 0 ]; then echo "$fail failure(s)"; exit 1; fi
  echo "all checks passed"
}
