#!/usr/bin/env bash
# Every error is one line with the documented status (docs/reliability.md): values carrying
# newlines or control characters are echoed with those bytes as '?', a multi-document YAML
# config is refused, every command that reads the site limits file validates it the same
# way (info and bench policies included), and a figure PLplot cannot draw is one line, a
# non-zero status, and the --json object is still printed.
set -uo pipefail
. "$(dirname "$0")/fault_common.sh"
cfg="$SRC/tests/data/small.yaml"
export -n ISACTB_SITE_LIMITS
case_() { # NAME WANT NEEDLE -- CMD...
  local name=$1 want=$2 needle=$3; shift 4
  run_bounded 60 "$tmp/$name.out" "$tmp/$name.err" -- "$@"
  [ "$rc" -eq "$want" ] || bad "$name: exit $rc, want $want"
  one_line "$tmp/$name.err" "$needle"
  if grep -q $'\e' "$tmp/$name.err"; then bad "$name: an escape byte reached the terminal"; fi
  echo "$name: $(head -c 150 "$tmp/$name.err")"
}
nl=$'\n'; esc=$'\e[31m'
case_ opt_newline 2 "invalid value '3?X'" -- "$BIN" run --episodes "3${nl}X"
case_ opt_escape 2 "invalid value '?[31m5'" -- "$BIN" detect x --pfa "${esc}5"
case_ config_newline 1 "cannot open config file" -- "$BIN" run --config "$tmp/a${nl}b.yaml"
case_ unknown_command 2 "unknown command 'ru?n'" -- "$BIN" "ru${nl}n"
case_ capture_newline 1 "" -- "$BIN" detect "$tmp/no${nl}such"
case_ codebook_newline 1 "" -- "$BIN" codebook show "$tmp/x${esc}y"
printf 'episodes: 2\n---\nepisodes: 3\n' >"$tmp/multi.yaml"
case_ yaml_multidoc 1 "multi.yaml:2: a second YAML document" -- "$BIN" run --config "$tmp/multi.yaml" --quiet
printf -- '---\nepisodes: 1\nmax_steps: 4\n...\n' >"$tmp/one.yaml"
run_bounded 60 "$tmp/one.out" "$tmp/one.err" -- "$BIN" run --config "$tmp/one.yaml" --quiet
[ "$rc" -eq 0 ] || bad "a single document with --- and ... markers: exit $rc"
# a broken site limits file: every command that reads it refuses it alike
echo '{"format": "isactb-site-limits", "version": 1}' >"$tmp/broken.json"
export ISACTB_SITE_LIMITS="$tmp/broken.json"
case_ limits_run 1 "site limits: $tmp/broken.json: tx_freq_ranges_hz" -- "$BIN" run --config "$cfg" --episodes 1 --quiet
case_ limits_info 1 "site limits: $tmp/broken.json: tx_freq_ranges_hz" -- "$BIN" info
case_ limits_bench 1 "site limits: $tmp/broken.json: tx_freq_ranges_hz" -- "$BIN" bench policies --quick
case_ limits_calib 1 "site limits: $tmp/broken.json: tx_freq_ranges_hz" -- "$BIN" calib rx
export -n ISACTB_SITE_LIMITS
# a figure PLplot cannot draw (no drivers): one line, exit 3, the --json object kept
mkdir "$tmp/nodrv"
PLPLOT_DRV_DIR="$tmp/nodrv" case_ figure 3 "isactb run: figures:" -- "$BIN" run --config "$cfg" --episodes 1 --quiet --out "$tmp/fig" --json
$PY -c 'import json,sys; json.load(open(sys.argv[1]))' "$tmp/figure.out" || bad "figure: the --json object was lost"
if grep -q "PLPLOT ERROR\|IMMEDIATE EXIT" "$tmp/figure.err"; then bad "figure: PLplot's banner reached stderr"; fi
if ls -A "$tmp/fig" | grep -q .; then bad "figure: files left: $(ls -A "$tmp/fig")"; fi
finish_test
