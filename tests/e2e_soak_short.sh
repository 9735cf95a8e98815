#!/usr/bin/env bash
# A short soak (2,000 CPIs of the real closed loop, docs/reliability.md "Soak"): the heap in
# use after 1,800 CPIs equals that after the 200-CPI warm-up within 64 KiB (any leak of 37
# bytes or more per CPI fails) and the resident set within 1 MiB (page-granular, noisier);
# the check itself fails when a leak of 100 bytes per CPI is injected. Under AddressSanitizer (whose quarantine grows the
# resident set and whose allocator mallinfo2 does not see) LeakSanitizer checks instead: the
# clean run must exit 0 at process end, the leaking one must not.
set -uo pipefail
. "$(dirname "$0")/fault_common.sh"
asan=0
# grep reads all of ldd's output (grep -q would stop early, SIGPIPE ldd, and pipefail would
# then report the match as a failure)
ldd "$BIN" 2>/dev/null | grep libasan >/dev/null && asan=1
cpis=${ISACTB_SOAK_CPIS:-2000}

if [ $asan -eq 0 ]; then
  run_bounded 600 "$tmp/soak.json" "$tmp/soak.err" -- "$BIN" bench soak --cpis "$cpis" --max-heap-growth-kb 64 --max-rss-growth-kb 1024 --json
  [ "$rc" -eq 0 ] || { bad "soak: exit $rc"; cat "$tmp/soak.err"; }
  cat "$tmp/soak.err"
  run_bounded 600 "$tmp/leak.json" "$tmp/leak.err" -- "$BIN" bench soak --cpis "$cpis" --max-heap-growth-kb 64 --max-rss-growth-kb 1024 --inject-leak 100
  [ "$rc" -eq 3 ] || bad "an injected 100 B/CPI leak was not caught (exit $rc)"
  grep -v '^isactb bench soak: [0-9]* CPIs' "$tmp/leak.err" >"$tmp/leak.msg"
  one_line "$tmp/leak.msg" "heap in use grew by"
else
  export ASAN_OPTIONS="detect_leaks=1:abort_on_error=0"
  run_bounded 1200 "$tmp/soak.json" "$tmp/soak.err" -- "$BIN" bench soak --cpis "$cpis" --json
  [ "$rc" -eq 0 ] || { bad "soak under ASan/LSan: exit $rc"; tail -20 "$tmp/soak.err"; }
  run_bounded 1200 "$tmp/leak.json" "$tmp/leak.err" -- "$BIN" bench soak --cpis 300 --inject-leak 100
  [ "$rc" -ne 0 ] && grep -q "LeakSanitizer" "$tmp/leak.err" || bad "LeakSanitizer missed an injected leak (exit $rc)"
  echo "under ASan: clean soak exit 0, injected leak reported by LeakSanitizer"
fi
finish_test
