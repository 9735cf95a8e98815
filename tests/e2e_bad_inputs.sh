#!/usr/bin/env bash
# Bad configs, captures, codebooks and arguments are refused with exactly one line on stderr
# and the documented exit status (1 bad input, 2 usage); never a crash, never exit 0.
set -uo pipefail
BIN=${ISACTB_BIN:?}; SRC=${ISACTB_SOURCE_DIR:?}
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
fail=0; n=0

# expect STATUS NEEDLE -- COMMAND...: exit status and a one-line message containing NEEDLE
expect() {
  local want=$1 needle=$2; shift 3
  n=$((n + 1))
  "$@" >"$tmp/out" 2>"$tmp/err"; local got=$?
  # warning lines ("isactb CMD: warning: ...") may precede the one error line
  local lines; lines=$(grep -cv '^isactb [a-z]*: warning: ' "$tmp/err")
  if [ "$got" -ne "$want" ] || [ "$lines" -ne 1 ] || ! grep -qF -- "$needle" "$tmp/err"; then
    echo "FAIL: $* -> exit $got (want $want), $lines stderr lines, needle '$needle':"
    sed 's/^/    /' "$tmp/err"; fail=$((fail + 1))
  fi
}

printf 'seed: [1, 2\n' >"$tmp/malformed.yaml"
printf 'episodes: many\n' >"$tmp/type.yaml"
printf 'seed: 1\nzeta: 1.5\n' >"$tmp/range.yaml"
printf 'radio: "sim:bogus=1"\n' >"$tmp/radio.yaml"
printf 'codebook: %s\n' "$tmp/nonexistent.json" >"$tmp/cbmissing.yaml"
printf '{"format":"isactb-codebook","version":1,"elements":3,"positions_wl":[0,0.5,1],"beams":[{"weights":[[1,0],[1,0],[1,0]]}]}' >"$tmp/cb3.json"
printf 'codebook: %s\n' "$tmp/cb3.json" >"$tmp/cbshape.yaml"

expect 1 "malformed.yaml"     -- "$BIN" run --config "$tmp/malformed.yaml"
expect 1 "episodes"           -- "$BIN" run --config "$tmp/type.yaml"
expect 1 "range.yaml:2: zeta" -- "$BIN" run --config "$tmp/range.yaml"
expect 1 "bogus"              -- "$BIN" run --config "$tmp/radio.yaml"
expect 1 "nonexistent.json"   -- "$BIN" run --config "$tmp/cbmissing.yaml"
expect 1 "does not match"     -- "$BIN" run --config "$tmp/cbshape.yaml" --episodes 1
expect 1 "nope.yaml"          -- "$BIN" run --config "$tmp/nope.yaml"
expect 2 "--episodes"         -- "$BIN" run --episodes x
expect 2 "sed"                -- "$BIN" run --radio sim:sed=1
expect 2 "nosuch"             -- "$BIN" run --radio nosuch
expect 2 "--bogus"            -- "$BIN" run --bogus
expect 2 "--record needs"     -- "$BIN" run --record
expect 2 "unknown command"    -- "$BIN" frobnicate
expect 2 "missing CAPTURE"    -- "$BIN" replay
expect 2 "--pfa"              -- "$BIN" detect x --pfa 2
expect 2 "--elements"         -- "$BIN" codebook dft --elements 0 --beams 4 --out "$tmp/x.json"
expect 1 "cb3.json"           -- "$BIN" codebook show "$tmp/cb3.json.missing"

# A good capture, then broken copies of it.
"$BIN" run --config "$SRC/tests/data/small.yaml" --episodes 1 --record --out "$tmp/cap" --quiet 2>/dev/null \
  || { echo "FAIL: could not record the reference capture"; exit 1; }
expect 1 "nothing"            -- "$BIN" replay "$tmp/nothing"
cp -r "$tmp/cap" "$tmp/trunc"; truncate -s 1000 "$tmp/trunc/isactb-rx2.sigmf-data"
expect 1 "isactb-rx2.sigmf-data" -- "$BIN" replay "$tmp/trunc"
expect 1 "isactb-rx2.sigmf-data" -- "$BIN" detect "$tmp/trunc"
cp -r "$tmp/cap" "$tmp/dtype"; sed -i 's/"cf32_le"/"ci16_le"/' "$tmp/dtype/isactb-rx0.sigmf-meta"
expect 1 "isactb-rx0.sigmf-meta" -- "$BIN" replay "$tmp/dtype"   # the collection's hash catches it
# ...and with the hash made consistent, the datatype check itself:
/usr/bin/python3 - "$tmp/dtype" <<'PYEOF'
import hashlib, json, sys
d = sys.argv[1]
meta = open(f"{d}/isactb-rx0.sigmf-meta", "rb").read()
col = json.load(open(f"{d}/isactb.sigmf-collection"))
for s in col["collection"]["core:streams"]:   # [name, sha512] pairs
    if s[0] == "isactb-rx0":
        s[1] = hashlib.sha512(meta).hexdigest()
json.dump(col, open(f"{d}/isactb.sigmf-collection", "w"))
PYEOF
expect 1 "ci16_le"            -- "$BIN" replay "$tmp/dtype"
cp -r "$tmp/cap" "$tmp/json"; printf '{"global": ' >"$tmp/json/isactb-rx1.sigmf-meta"
expect 1 "isactb-rx1.sigmf-meta" -- "$BIN" detect "$tmp/json"
cp -r "$tmp/cap" "$tmp/nometa"; rm "$tmp/nometa/isactb-rx5.sigmf-meta"
expect 1 "isactb-rx5"         -- "$BIN" replay "$tmp/nometa"
cp -r "$tmp/cap" "$tmp/incomplete"; rm "$tmp/incomplete/isactb.sigmf-collection"
expect 1 "incomplete"         -- "$BIN" replay "$tmp/incomplete"

cp -r "$tmp/cap" "$tmp/nan"
/usr/bin/python3 -c "import struct,sys; f=open(sys.argv[1],'r+b'); f.seek(800); f.write(struct.pack('<ff', float('nan'), 0.0))" "$tmp/nan/isactb-rx0.sigmf-data"
expect 1 "CPI 0: channel 0 sample 100: not finite" -- "$BIN" replay "$tmp/nan"
expect 1 "CPI 0: channel 0 sample 100: not finite" -- "$BIN" detect "$tmp/nan"

echo "$((n - fail)) passed, $fail failed"
[ "$fail" -eq 0 ]
