#!/usr/bin/env bash
# Every figure the tool draws is written as PNG and SVG (calib verify: the SVG it is asked
# for), and follows the conventions of host/engine/figure.h, checked on the SVG's text:
# a colour bar labelled with its quantity and unit on the map, a legend on every plot with
# more than one line or marker kind, plain (black) titles and axis labels, and no text
# outside the page (nothing clipped).
set -uo pipefail
BIN=${ISACTB_BIN:?}
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
fail=0; total=0
check() { total=$((total + 1)); if ! eval "$2"; then echo "FAIL: $1"; fail=$((fail + 1)); fi; }

# svg_check FILE TEXT...: FILE parses as SVG, every TEXT is one of its text elements and
# black, and every text element lies within the page.
svg_check() {
  /usr/bin/python3 - "$@" <<'PYEOF'
import math, re, sys
import xml.etree.ElementTree as ET
path, want = sys.argv[1], sys.argv[2:]
ns = "{http://www.w3.org/2000/svg}"
root = ET.parse(path).getroot()
W, H = (float(v) for v in root.get("viewBox").split()[2:4])
texts, bad = {}, []
for t in root.iter(ns + "text"):
    s = "".join(t.itertext())
    texts.setdefault(s, []).append(t.get("fill"))
    a, b, c, d, e, f = (float(v) for v in re.findall(r"[-0-9.e+]+", t.get("transform")))
    fs, y0 = float(t.get("font-size")), float(t.get("y"))
    # the text's baseline in page coordinates (the page group flips y: Y = H - y)
    ox, oy = a * 0 + c * y0 + e, b * 0 + d * y0 + f
    ux, uy = a, -b                           # along the baseline
    n = math.hypot(ux, uy) or 1
    ux, uy = ux / n, uy / n
    w = 0.5 * fs * len(s)                    # a generous sans-serif width estimate
    k = {"start": 0, "middle": 0.5, "end": 1}.get(t.get("text-anchor"), 0)
    px, py = ox, H - oy
    ends = [(px - k * w * ux, py - k * w * uy), (px + (1 - k) * w * ux, py + (1 - k) * w * uy)]
    if len(s) > 2 and any(x < -2 or x > W + 2 or y < -2 or y > H + 2 for x, y in ends):
        bad.append(s)
ok = True
for s in want:
    if s not in texts:
        print(f"{path}: no text '{s}'"); ok = False
    elif any(fill != "#000000" for fill in texts[s]):
        print(f"{path}: '{s}' is not black"); ok = False
for s in bad:
    print(f"{path}: '{s}' reaches outside the page"); ok = False
sys.exit(0 if ok else 1)
PYEOF
}
png_ok() { [ "$(head -c 8 "$1" | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ]; }
both() { # DIR BASE: both files written, the PNG a PNG
  check "$2.png written" "[ -s '$1/$2.png' ] && png_ok '$1/$2.png'"
  check "$2.svg written" "[ -s '$1/$2.svg' ]"
}

# ---- run: the timeline (two multi-line plots) and the grid map (colour bar, markers)
"$BIN" run --episodes 2 --out "$tmp/run" --quiet >/dev/null
both "$tmp/run" timeline
both "$tmp/run" grid_map
check "timeline: titles, labels, legends" "svg_check '$tmp/run/timeline.svg' \
  'Beam chosen at each step' 'beam index' 'episode 0' 'episode 1' \
  'zeta (declaration threshold)'"
check "grid map: colour bar with unit, legend" "svg_check '$tmp/run/grid_map.svg' \
  'Lambda / threshold (dB), white: <= -10 dB' 'x (m)' 'y (m)' 'TX AP' 'RX APs' 'detected cell'"
check "no temporaries left" "[ -z \"\$(ls -A '$tmp/run' | grep tmp)\" ]"

# ---- train --out-dir: steps and losses with legends
"$BIN" train --collect 4 --max-steps 24 --gan-epochs 2 --episodes 6 --horizon 16 \
  --online-episodes 2 --eval-episodes 1 --quiet --out "$tmp/t.weights" --out-dir "$tmp/train" \
  >/dev/null
both "$tmp/train" training
check "training: legends" "svg_check '$tmp/train/training.svg' 'DT + CQL (in the twin)' \
  'DT without CQL' 'online' 'discriminator D (ideal 1.386)' 'generator G (ideal 0.693)'"

# ---- bench policies: one line per policy, named in the legend (Release only: under ASan
# its episodes are slow and the figure code is the one checked above)
if ! ldd "$BIN" | grep libasan >/dev/null; then
  "$BIN" bench policies --quick --elements 4 --policies scan,qnet --out "$tmp" >/dev/null 2>&1
  both "$tmp" bench_policies
  check "bench policies: legend" "svg_check '$tmp/bench_policies.svg' 'scan' 'qnet' \
    'mean steps to detection'"
fi

# ---- calib verify: theory and measured patterns, legend
"$BIN" calib verify --figure "$tmp/verify.svg" >/dev/null 2>&1
check "calib verify: legend" "svg_check '$tmp/verify.svg' 'theory' 'measured, uncalibrated' \
  'normalised power (dB)'"

echo "$((total - fail))/$total checks passed"
[ "$fail" -eq 0 ]
