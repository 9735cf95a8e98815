#!/usr/bin/env bash
# Samples and references are checked, never silently dropped (docs/reliability.md): a CPI
# holding a sample the detector cannot process (NaN, or a finite magnitude such as 1e21 that
# would overflow the float32 processing) is reported with its CPI, channel and sample,
# counted in the summary ("unprocessed") and the capture is refused (exit 1, one error line
# after the per-CPI warnings); replay refuses it naming the same; `calib rx --input` refuses a
# recording whose stored reference is not the one its session generates, or whose received
# signal does not match the session it claims (the correlation with the
# expected reference far below what the SNR predicts) and writes no record.
set -uo pipefail
. "$(dirname "$0")/fault_common.sh"
cfg="$SRC/tests/data/small.yaml"
export -n ISACTB_SITE_LIMITS
"$BIN" run --config "$cfg" --episodes 1 --quiet --record --out "$tmp/cap" >/dev/null 2>&1 || bad "cannot record"
ncpi=$(capture_ok "$tmp/cap" 1)

# patch DIR VALUE OFFSET: a copy of the capture with rx channel 0's sample OFFSET set to
# VALUE (its data hash, meta hash and the collection kept consistent)
patch() {
  $PY - "$tmp/cap" "$1" "$2" "$3" <<'PYEOF'
import hashlib, json, shutil, struct, sys
src, dst, val, off = sys.argv[1], sys.argv[2], float(sys.argv[3]), int(sys.argv[4])
shutil.copytree(src, dst)
part = f"{dst}/isactb-rx0"
data = bytearray(open(part + ".sigmf-data", "rb").read())
struct.pack_into("<ff", data, 8 * off, val, 0.0)
open(part + ".sigmf-data", "wb").write(data)
old = open(part + ".sigmf-meta", "rb").read()
m = json.loads(old)
m["global"]["core:sha512"] = hashlib.sha512(bytes(data)).hexdigest()
new = (json.dumps(m, separators=(",", ":")) + "\n").encode()
open(part + ".sigmf-meta", "wb").write(new)
c = open(f"{dst}/isactb.sigmf-collection").read()
open(f"{dst}/isactb.sigmf-collection", "w").write(
    c.replace(hashlib.sha512(old).hexdigest(), hashlib.sha512(new).hexdigest()))
PYEOF
}
for v in 1e21 1e30 nan; do
  patch "$tmp/c$v" "$v" 100
  run_bounded 60 "$tmp/d$v.out" "$tmp/d$v.err" -- "$BIN" detect "$tmp/c$v" --json
  [ "$rc" -eq 1 ] || bad "detect $v: exit $rc, want 1"
  if [ "$v" = nan ]; then want="channel 0 sample 100: not finite"; else want="channel 0 sample 100: magnitude $(printf %g "$v") beyond 1e+15"; fi
  one_line "$tmp/d$v.err" "CPI 0: $want"
  grep -q "warning: .*CPI 0: $want" "$tmp/d$v.err" || bad "detect $v: no warning line for CPI 0"
  if grep -q "not finite" "$tmp/d$v.err" && [ "$v" != nan ]; then bad "detect $v: a finite sample called not finite"; fi
  $PY -c 'import json,sys; d=json.load(open(sys.argv[1])); n=int(sys.argv[2])
assert d["cpis"] == n and d["unprocessed"] == 1, d
assert d["rows"][0]["unprocessed"].startswith("channel 0 sample 100")' "$tmp/d$v.out" "$ncpi" \
    || bad "detect $v: the summary does not count the CPI ($(head -c 300 "$tmp/d$v.out"))"
  run_bounded 60 "$tmp/r$v.out" "$tmp/r$v.err" -- "$BIN" replay "$tmp/c$v" --quiet
  [ "$rc" -eq 1 ] || bad "replay $v: exit $rc, want 1"
  one_line "$tmp/r$v.err" "CPI 0: $want"
  echo "$v: $(errors "$tmp/d$v.err")"
done
# a large but processable sample is processed as before
patch "$tmp/cbig" 1e12 100
run_bounded 60 "$tmp/big.out" "$tmp/big.err" -- "$BIN" detect "$tmp/cbig" --json
[ "$rc" -eq 0 ] || bad "detect 1e12: exit $rc"

# calib rx --input: the session's reference seed changed after recording
"$BIN" calib rx --radio sim:elements=4 --capture "$tmp/cal" --out "$tmp/rec0.json" >/dev/null 2>&1 || bad "cannot record a calibration session"
run_bounded 60 "$tmp/ok.out" "$tmp/ok.err" -- "$BIN" calib rx --input "$tmp/cal" --out "$tmp/rec1.json"
[ "$rc" -eq 0 ] || bad "calib rx --input (matching): exit $rc"
cp -r "$tmp/cal" "$tmp/cal2"
$PY - "$tmp/cal2/isactb-calib.sigmf-collection" <<'PYEOF'
import json, sys
d = json.load(open(sys.argv[1]))
d["collection"]["isactb:calib_session"]["reference"]["seed"] = 2
open(sys.argv[1], "w").write(json.dumps(d, separators=(",", ":")) + "\n")
PYEOF
run_bounded 60 "$tmp/mm.out" "$tmp/mm.err" -- "$BIN" calib rx --input "$tmp/cal2" --out "$tmp/rec2.json"
[ "$rc" -eq 1 ] || bad "calib rx --input (wrong reference): exit $rc, want 1"
# the stored TX reference no longer is the one the session's parameters generate
one_line "$tmp/mm.err" "CPI 0: TX reference sample 0 is"
one_line "$tmp/mm.err" "the stored reference is not the one the estimator uses"
[ ! -e "$tmp/rec2.json" ] || bad "calib rx --input (wrong reference): a record was written"
echo "calib: $(errors "$tmp/mm.err")"
# the stored reference is right but a channel received another signal (the conjugate of the
# reference: same power, another spectrum): the correlation check refuses it
cp -r "$tmp/cal" "$tmp/cal3"
$PY - "$tmp/cal3/isactb-calib-rx1.sigmf-data" <<'PYEOF'
import sys, numpy as np
x = np.fromfile(sys.argv[1], dtype=np.complex64)
np.conj(x).astype(np.complex64).tofile(sys.argv[1])
PYEOF
run_bounded 60 "$tmp/mx.out" "$tmp/mx.err" -- "$BIN" calib rx --input "$tmp/cal3" --out "$tmp/rec3.json"
[ "$rc" -eq 1 ] || bad "calib rx --input (wrong received signal): exit $rc, want 1"
one_line "$tmp/mx.err" "the capture's reference does not match"
[ ! -e "$tmp/rec3.json" ] || bad "calib rx --input (wrong received signal): a record was written"
echo "calib: $(errors "$tmp/mx.err")"
finish_test
