#!/usr/bin/env bash
# Transmit safety from the command line: a run whose radio would transmit outside the site
# limits (ISACTB_SITE_LIMITS file, or the conservative defaults) is refused before any
# sample leaves the host, with one line naming the limit and exit 3; a malformed limits file
# is bad input (exit 1) naming the field; within the limits the run proceeds.
set -uo pipefail
. "$(dirname "$0")/fault_common.sh"
cfg="$SRC/tests/data/small.yaml"
export -n ISACTB_SITE_LIMITS

# case NAME WANT_EXIT NEEDLE -- CMD...: exit status and one line containing NEEDLE
case_() {
  local name=$1 want=$2 needle=$3; shift 4
  run_bounded 120 "$tmp/$name.out" "$tmp/$name.err" -- "$@"
  [ "$rc" -eq "$want" ] || bad "$name: exit $rc, want $want"
  if [ "$want" -ne 0 ]; then one_line "$tmp/$name.err" "$needle"; fi
  echo "$name: exit $rc $(head -1 "$tmp/$name.err")"
}

# Without a site file the emulator, which radiates nothing, has no limits (real front ends
# get the conservative defaults: tests/test_fault_tx_refused.c)
case_ emulator_ok 0 "" -- "$BIN" run --config "$cfg" --radio sim:elements=8,center=3.5e9,power=30 --episodes 1 --quiet

# a site file: 900-930 MHz only, 10 dBm
cat >"$tmp/site.json" <<'JSON'
{"format": "isactb-site-limits", "version": 1, "site": "test bench",
 "tx_freq_ranges_hz": [[9.0e8, 9.3e8]], "max_tx_power_dbm": 10, "max_tx_gain_db": 0,
 "max_duty_cycle": 0.5}
JSON
export ISACTB_SITE_LIMITS="$tmp/site.json"
case_ site_ok 0 "" -- "$BIN" run --config "$cfg" --radio sim:elements=8,center=915e6,power=10 --episodes 1 --quiet
case_ site_band 3 "tx_freq_ranges_hz, $tmp/site.json" -- \
  "$BIN" run --config "$cfg" --radio sim:elements=8,power=10 --episodes 1 --quiet
case_ site_power 3 "max_tx_power_dbm 10 dBm ($tmp/site.json)" -- \
  "$BIN" run --config "$cfg" --radio sim:elements=8,center=915e6,power=12 --episodes 1 --quiet
# back-to-back CPIs at 100 kS/s (duty window 1 s = 1e5 ticks; a 4096-sample probe per
# 4352-sample window is 94 % duty): the 7th burst would push the last second past 25 %
sed 's/"max_duty_cycle": 0.5/"max_duty_cycle": 0.25/; s/9.0e8, 9.3e8/2.4e9, 2.5e9/' "$tmp/site.json" >"$tmp/duty.json"
printf 'radio: "sim:elements=4,fs=1e5,power=10"\npolicy: random\nepisodes: 2\nmax_steps: 20\nbeams: 8\nzeta: 0.99999\nstep_interval_s: 1e-5\n' >"$tmp/dense.yaml"
ISACTB_SITE_LIMITS="$tmp/duty.json" case_ site_duty 3 "max_duty_cycle 0.25 ($tmp/duty.json)" -- \
  "$BIN" run --config "$tmp/dense.yaml" --quiet --record --out "$tmp/duty"
# the refused run finalises the 6 CPIs it captured before the refusal
n=$(capture_ok "$tmp/duty" 6)
[ "$n" = 6 ] || bad "duty: $n CPIs recorded, want 6"
sed 's/"max_duty_cycle": 0.5/"max_duty_cycle": 5/' "$tmp/site.json" >"$tmp/bad.json"
ISACTB_SITE_LIMITS="$tmp/bad.json" case_ site_bad 1 "bad.json: max_duty_cycle" -- \
  "$BIN" run --config "$cfg" --episodes 1 --quiet
ISACTB_SITE_LIMITS="$tmp/missing.json" case_ site_missing 1 "missing.json" -- \
  "$BIN" run --config "$cfg" --episodes 1 --quiet
finish_test
