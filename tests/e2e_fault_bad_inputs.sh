#!/usr/bin/env bash
# Bad inputs of every kind never crash the tool and never pass silently as something else:
# mutated configs, SigMF captures (metadata and data), calibration records, weights files,
# codebook files, site limits files and radio spec strings, fed to the command that reads
# each, end with exit status 0..3 (0 only when the mutant is still valid input), never a
# signal or a hang, and every refusal is exactly one line on stderr (warnings aside).
# The mutants are deterministic (fixed seed): truncations, byte flips, hostile values.
set -uo pipefail
. "$(dirname "$0")/fault_common.sh"
corp="$SRC/tests/fuzz/corpus"
small="$SRC/tests/data/small.yaml"
N=${ISACTB_MUTANTS:-12}   # mutants per seed file
total=0; refused=0

# mutate SEED OUTDIR: N deterministic mutants of SEED as OUTDIR/m*.
mutate() {
  $PY - "$1" "$2" "$N" <<'PYEOF'
import os, random, sys
src, out, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
data = open(src, "rb").read()
rng = random.Random(hash(os.path.basename(src)) & 0 or 20261122)
hostile = [b"1e999", b"-1", b"nan", b"null", b"\n", b"\x00", b"99999999999999999999", b"[]", b"{}",
           b"\"\"", b"-0", b"0x10", b"\xff\xfe", b"1e-400", b"true", b":", b"&a", b"*a"]
os.makedirs(out, exist_ok=True)
for k in range(n):
    d = bytearray(data)
    kind = k % 4
    if kind == 0 and len(d) > 1:          # truncation
        d = d[: rng.randrange(1, len(d))]
    elif kind == 1:                       # byte flips
        for _ in range(rng.randrange(1, 4)):
            i = rng.randrange(len(d)); d[i] ^= 1 << rng.randrange(8)
    elif kind == 2:                       # a hostile value replacing a number or word
        i = rng.randrange(len(d)); j = min(len(d), i + rng.randrange(1, 6))
        d[i:j] = rng.choice(hostile)
    else:                                 # duplicated chunk
        i = rng.randrange(len(d)); j = min(len(d), i + rng.randrange(1, 64))
        d[i:i] = d[i:j]
    open(os.path.join(out, f"m{k:02d}"), "wb").write(bytes(d))
PYEOF
}

# check KIND FILE -- CMD...: exit 0..3; a refusal is one stderr line (progress lines of
# a valid run are not counted: commands run with --quiet)
check() {
  local kind=$1 f=$2; shift 3
  total=$((total + 1))
  run_bounded 120 "$tmp/out" "$tmp/err" -- "$@"
  if [ "$rc" -gt 3 ]; then
    bad "$kind $(basename "$f"): exit $rc (crash or signal): $*"; sed 's/^/    /' "$tmp/err" | head -5
  elif [ "$rc" -ne 0 ]; then
    refused=$((refused + 1))
    local lines; lines=$(errors "$tmp/err" | wc -l)
    [ "$lines" -eq 1 ] || { bad "$kind $(basename "$f"): exit $rc with $lines stderr lines"; sed 's/^/    /' "$tmp/err" | head -5; }
  fi
}

# configs
for seed in "$small" "$corp/config/zc.yaml"; do
  mutate "$seed" "$tmp/cfg"
  for f in "$tmp"/cfg/m*; do check config "$f" -- "$BIN" run --config "$f" --episodes 1 --quiet; done
done
# codebooks
mutate "$corp/codebook/dft4.json" "$tmp/cb"
for f in "$tmp"/cb/m*; do check codebook "$f" -- "$BIN" codebook show "$f"; done
# calibration records (applied to a run on a matching sim)
mutate "$corp/calib/rx_tx_delay.json" "$tmp/cal"
for f in "$tmp"/cal/m*; do
  check calib "$f" -- "$BIN" run --config "$small" --radio sim:elements=4,impairments=1 --calibration "$f" --episodes 1 --quiet
done
# weights files
mutate "$corp/weights/tiny.json" "$tmp/w"
for f in "$tmp"/w/m*; do check weights "$f" -- "$BIN" run --config "$small" --policy qnet --weights "$f" --episodes 1 --quiet; done
# site limits files
mutate "$corp/site_limits/lab.json" "$tmp/lim"
for f in "$tmp"/lim/m*; do
  check site_limits "$f" -- env ISACTB_SITE_LIMITS="$f" "$BIN" run --config "$small" --radio sim:elements=4,center=915e6,power=0 --episodes 1 --quiet
done
# radio spec strings (on the command line: usage errors are exit 2)
mutate "$corp/radio_spec/sim3" "$tmp/spec"
for f in "$tmp"/spec/m*; do
  spec=$(tr -d '\000' <"$f")
  check radio_spec "$f" -- "$BIN" info --radio "$spec"
done
# SigMF captures: a recorded capture with one meta (hash kept consistent, so the reader's
# own checks are reached), the collection, or a data file mutated
"$BIN" run --config "$small" --episodes 1 --record --out "$tmp/cap" --quiet 2>/dev/null || bad "cannot record the reference capture"
for part in isactb-rx0.sigmf-meta isactb.sigmf-collection isactb-txref.sigmf-meta isactb-rx1.sigmf-data; do
  mutate "$tmp/cap/$part" "$tmp/sm-$part"
  for f in "$tmp/sm-$part"/m*; do
    rm -rf "$tmp/c2"; cp -r "$tmp/cap" "$tmp/c2"; cp "$f" "$tmp/c2/$part"
    if [[ $part == *-meta ]]; then
      $PY - "$tmp/c2" "$part" <<'PYEOF'
import hashlib, sys
d, part = sys.argv[1], sys.argv[2]
col = open(f"{d}/isactb.sigmf-collection").read()
old = hashlib.sha512(open(f"{d}/../cap/{part}", "rb").read()).hexdigest()
new = hashlib.sha512(open(f"{d}/{part}", "rb").read()).hexdigest()
open(f"{d}/isactb.sigmf-collection", "w").write(col.replace(old, new))
PYEOF
    fi
    check "sigmf $part" "$f" -- "$BIN" detect "$tmp/c2"
    check "sigmf $part" "$f" -- "$BIN" replay "$tmp/c2" --quiet
  done
done
echo "$total inputs, $refused refused with one line, $((total - refused)) still valid"
finish_test
