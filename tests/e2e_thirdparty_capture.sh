#!/usr/bin/env bash
# Captures written by another tool from docs/capture-format.md alone
# (tests/thirdparty_capture.py: numpy, no isactb code) detect, replay and calibrate
# correctly:
#  - the minimal example (section 13, LFM probe): CPI 0 (noise) not detected, CPI 1
#    detected at the planted target (200, 300) m within one grid cell; `replay` ends the
#    episode on it; the same scene with the ZC and m-sequence probes of section 8 (whose
#    stored TX references must match isactb's own probes) is detected within 2 cells;
#  - an rx calibration session (section 10: reference generator, signal model) recovers
#    the planted phases within 0.5 deg, gains within 0.05 dB, delays within 0.01 samples;
#  - errors are one line, exit 1: a conjugated probe in the txref, a tx_tick that is not
#    the window's tick, an unknown required extension, a wrong calibration reference;
#  - a calibration capture with the gains conjugated (a convention error no metadata check
#    can see) calibrates with exit 0 but fails the comparison: the comparison is what
#    catches a doc that would mislead a writer.
set -euo pipefail
BIN=${ISACTB_BIN:?}; SRC=${ISACTB_SOURCE_DIR:?}
PY=/usr/bin/python3
W="$SRC/tests/thirdparty_capture.py"
SPEC=$SRC/../shared/spec/sigmf
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT

one_line_exit1() { # NAME RC ERRFILE PATTERN
    [ "$2" -eq 1 ] || { echo "$1: exit $2, expected 1"; cat "$3"; exit 1; }
    [ "$(wc -l < "$3")" -eq 1 ] || { echo "$1: expected one line:"; cat "$3"; exit 1; }
    grep -q -- "$4" "$3" || { echo "$1: unexpected message:"; cat "$3"; exit 1; }
}

# --- detection: the minimal example
$PY "$W" detect "$T/det" > "$T/det.truth"
[ -d "$SPEC" ] && $PY "$SRC/tests/sigmf_validate.py" "$SPEC" "$T/det" > /dev/null
"$BIN" detect "$T/det" --json > "$T/det.json"
"$BIN" replay "$T/det" --json --quiet > "$T/rep.json"
for p in zc mseq; do
    $PY "$W" detect "$T/det-$p" --probe $p > /dev/null
    "$BIN" detect "$T/det-$p" --json > "$T/det-$p.json"
done
$PY - "$T" <<'PYEOF'
import json, sys
t = sys.argv[1]
truth = json.load(open(f"{t}/det.truth"))
def check(name, tol):
    rows = json.load(open(f"{t}/{name}.json"))["rows"]
    assert not rows[0]["detected"], f"{name}: CPI 0 (noise only) detected: {rows[0]}"
    r = rows[1]
    assert r["detected"], f"{name}: planted target not detected: {r}"
    ex, ey = abs(r["x"] - truth["x"]), abs(r["y"] - truth["y"])
    assert ex <= tol and ey <= tol, f"{name}: target at ({r['x']}, {r['y']}), planted ({truth['x']}, {truth['y']})"
    print(f"e2e_thirdparty_capture: {name}: detected at ({r['x']}, {r['y']}) m, lambda {r['lambda']:.1f} "
          f"(threshold {r['threshold']:.2f}); noise-only CPI lambda {rows[0]['lambda']:.2f}, not detected")
check("det", 5.0)
check("det-zc", 10.0)
check("det-mseq", 10.0)
e = json.load(open(f"{t}/rep.json"))["episodes"]
assert len(e) == 1 and e[0]["detected"] and e[0]["steps"] == 2, e
PYEOF

# --- detection: refused captures, one line each
for f in conj txtick; do
    $PY "$W" detect "$T/bad-$f" --fault $f > /dev/null
    set +e; "$BIN" detect "$T/bad-$f" > /dev/null 2> "$T/bad-$f.err"; rc=$?; set -e
    case $f in
        conj) pat="isactb detect: $T/bad-conj/ex.sigmf-collection: CPI 1: TX reference sample 1 is .* the lfm probe of isactb:experiment.waveform has .*: the stored probe is not the one the matched filter uses" ;;
        txtick) pat="isactb:cpis\[1\] isactb:tx_tick 20100 differs from isactb:tick 20000" ;;
    esac
    one_line_exit1 "$f" $rc "$T/bad-$f.err" "$pat"
done
cp -r "$T/det" "$T/bad-ext"
$PY - "$T/bad-ext/ex.sigmf-collection" <<'PYEOF'
import json, sys
c = json.load(open(sys.argv[1]))
c["collection"]["core:extensions"].append({"name": "antenna", "version": "1.0.0", "optional": False})
json.dump(c, open(sys.argv[1], "w"))
PYEOF
set +e; "$BIN" detect "$T/bad-ext" > /dev/null 2> "$T/bad-ext.err"; rc=$?; set -e
one_line_exit1 ext $rc "$T/bad-ext.err" "core:extensions\[2\]: required extension 'antenna' 1.0.0 is not implemented"

# --- calibration: planted phases, gains and delays recovered
compare='
import json, sys
truth = json.load(open(sys.argv[1]))["channels"]
got = json.load(open(sys.argv[2]))["channels"]
assert len(got) == len(truth), (len(got), len(truth))
dp = max(abs((g["phase_deg"] - t["phase_deg"] + 180) % 360 - 180) for g, t in zip(got, truth))
dg = max(abs(g["gain_db"] - t["gain_db"]) for g, t in zip(got, truth))
dd = max(abs(g["delay_samples"] - t["delay_samples"]) for g, t in zip(got, truth))
print(f"e2e_thirdparty_capture: calibration errors: phase {dp:.3f} deg, gain {dg:.4f} dB, delay {dd:.4f} samples (max over 8 channels)")
sys.exit(0 if dp <= 0.5 and dg <= 0.05 and dd <= 0.01 else 1)
'
$PY "$W" calib "$T/cal" > "$T/cal.truth"
[ -d "$SPEC" ] && $PY "$SRC/tests/sigmf_validate.py" "$SPEC" "$T/cal" > /dev/null
"$BIN" calib rx --input "$T/cal" --out "$T/cal.rec.json" --json > "$T/cal.json" 2> /dev/null
$PY -c "$compare" "$T/cal.truth" "$T/cal.json"

# a wrong stored reference: one line, exit 1, no record
$PY "$W" calib "$T/calbad" --fault ref > /dev/null
set +e; "$BIN" calib rx --input "$T/calbad" --out "$T/calbad.rec.json" > /dev/null 2> "$T/calbad.err"; rc=$?; set -e
one_line_exit1 calref $rc "$T/calbad.err" "CPI 0: TX reference sample 0 is .* the full reference that isactb:calib_session.reference generates has .*: the stored reference is not the one the estimator uses"
[ ! -e "$T/calbad.rec.json" ] || { echo "calref: a record was written"; exit 1; }

# a convention error the metadata cannot reveal: exit 0, and the comparison must fail
$PY "$W" calib "$T/calconj" --fault conj > "$T/calconj.truth"
"$BIN" calib rx --input "$T/calconj" --out "$T/calconj.rec.json" --json > "$T/calconj.json" 2> /dev/null
if $PY -c "$compare" "$T/calconj.truth" "$T/calconj.json" > "$T/calconj.out"; then
    echo "the comparison accepted conjugated gains: it cannot catch a wrong phase convention"
    cat "$T/calconj.out"; exit 1
fi
echo "e2e_thirdparty_capture: OK"
