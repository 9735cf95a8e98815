#!/usr/bin/env bash
# Nothing overwrites or deletes data it does not own (docs/reliability.md): an output
# directory is locked for the whole command (a second run on it refuses with one line and
# the first run's capture is complete), temporaries are created exclusively (a planted file
# or symbolic link under a temporary's name is refused, never followed or deleted), a file of
# a final name that the run did not write is never replaced, and `calib --out` never
# silently replaces another array's record or a file that is not a record (--force keeps
# the old one as FILE.bak).
set -uo pipefail
. "$(dirname "$0")/fault_common.sh"
cfg="$SRC/tests/data/small.yaml"
export -n ISACTB_SITE_LIMITS

# 1. another process holds the directory's lock: the run refuses at once, writes nothing
mkdir "$tmp/held"
$PY -c 'import fcntl, os, sys, time
fd = os.open(sys.argv[1], os.O_RDONLY); fcntl.flock(fd, fcntl.LOCK_EX)
open(sys.argv[2], "w").close(); time.sleep(60)' "$tmp/held" "$tmp/locked" >/dev/null 2>&1 & holder=$!
for _ in $(seq 100); do [ -e "$tmp/locked" ] && break; sleep 0.1; done
run_bounded 60 "$tmp/h.out" "$tmp/h.err" -- "$BIN" run --config "$cfg" --episodes 1 --quiet --record --out "$tmp/held"
[ "$rc" -eq 1 ] || bad "locked --out: exit $rc, want 1"
one_line "$tmp/h.err" "in use by another isactb process"
[ -z "$(ls -A "$tmp/held")" ] || bad "locked --out: files written: $(ls "$tmp/held")"
kill "$holder" 2>/dev/null; wait "$holder" 2>/dev/null

# 2. two isactb runs recording into one --out at once: the second refuses, the first's
#    capture is complete and valid
"$BIN" run --config "$cfg" --episodes 3 --record --out "$tmp/both" >/dev/null 2>"$tmp/a.err" & first=$!
for _ in $(seq 100); do grep -q 'step' "$tmp/a.err" 2>/dev/null && break; sleep 0.1; done
run_bounded 60 "$tmp/b.out" "$tmp/b.err" -- "$BIN" run --config "$cfg" --episodes 1 --quiet --record --out "$tmp/both"
wait "$first"; arc=$?
[ "$rc" -eq 1 ] || bad "second run: exit $rc, want 1 (refused)"
one_line "$tmp/b.err" "in use by another isactb process"
[ "$arc" -eq 0 ] || bad "first run: exit $arc"
n=$(capture_ok "$tmp/both" 3); echo "concurrent: first run kept $n CPIs, second refused"

# 3. a symbolic link planted under a temporary's name is not followed; its target survives
mkdir "$tmp/plant"; echo precious >"$tmp/victim"
ln -s "$tmp/victim" "$tmp/plant/isactb-rx0.sigmf-data.tmp"
run_bounded 60 "$tmp/p.out" "$tmp/p.err" -- "$BIN" run --config "$cfg" --episodes 1 --quiet --record --out "$tmp/plant"
[ "$rc" -ne 0 ] || bad "planted link: exit 0"
one_line "$tmp/p.err" "isactb-rx0.sigmf-data.tmp: exists (not created by this run)"
[ "$(cat "$tmp/victim")" = precious ] || bad "planted link: its target was written"
[ -L "$tmp/plant/isactb-rx0.sigmf-data.tmp" ] || bad "planted link: deleted (not ours)"
if ls "$tmp/plant" | grep -v '^isactb-rx0.sigmf-data.tmp$' | grep -q .; then bad "planted link: the run left files: $(ls "$tmp/plant")"; fi

# 3b. a temporary left by a killed run (a regular file nobody holds) does not block the next
#     run; one that a live process still holds (flock) is refused and kept
mkdir "$tmp/stale"; echo "half written" >"$tmp/stale/isactb-rx0.sigmf-data.tmp"
run_bounded 60 "$tmp/s.out" "$tmp/s.err" -- "$BIN" run --config "$cfg" --episodes 1 --quiet --record --out "$tmp/stale"
[ "$rc" -eq 0 ] || bad "stale temporary of a killed run: exit $rc, want 0 ($(head -c 200 "$tmp/s.err"))"
capture_ok "$tmp/stale" 1 >/dev/null
mkdir "$tmp/live"; echo "being written" >"$tmp/live/isactb-rx0.sigmf-data.tmp"
$PY -c 'import fcntl, os, sys, time
fd = os.open(sys.argv[1], os.O_RDONLY); fcntl.flock(fd, fcntl.LOCK_EX)
open(sys.argv[2], "w").close(); time.sleep(60)' "$tmp/live/isactb-rx0.sigmf-data.tmp" "$tmp/livelocked" >/dev/null 2>&1 & holder=$!
for _ in $(seq 100); do [ -e "$tmp/livelocked" ] && break; sleep 0.1; done
run_bounded 60 "$tmp/l.out" "$tmp/l.err" -- "$BIN" run --config "$cfg" --episodes 1 --quiet --record --out "$tmp/live"
[ "$rc" -ne 0 ] || bad "temporary held by a live process: exit 0"
one_line "$tmp/l.err" "isactb-rx0.sigmf-data.tmp: exists (not created by this run)"
[ "$(cat "$tmp/live/isactb-rx0.sigmf-data.tmp")" = "being written" ] || bad "held temporary: touched"
kill "$holder" 2>/dev/null; wait "$holder" 2>/dev/null

# 4. a file of a final name the run did not write is neither replaced nor deleted
mkdir "$tmp/final"; echo mine >"$tmp/final/isactb-rx1.sigmf-meta"
run_bounded 60 "$tmp/f.out" "$tmp/f.err" -- "$BIN" run --config "$cfg" --episodes 1 --quiet --record --out "$tmp/final"
[ "$rc" -ne 0 ] || bad "existing final name: exit 0"
one_line "$tmp/f.err" "isactb-rx1.sigmf-meta: exists (not created by this run): refusing to replace it"
[ "$(cat "$tmp/final/isactb-rx1.sigmf-meta")" = mine ] || bad "existing final name: replaced"
[ ! -e "$tmp/final/isactb.sigmf-collection" ] || bad "existing final name: a collection was written"
if ls "$tmp/final" | grep -q '\.tmp$'; then bad "existing final name: temporaries left"; fi

# 5. calib --out: another array's record and a non-record are refused; --force keeps a .bak
"$BIN" calib rx --radio sim:elements=4 --out "$tmp/rec.json" >/dev/null 2>&1 || bad "calib rx: cannot write a record"
cp "$tmp/rec.json" "$tmp/rec.orig"
run_bounded 60 "$tmp/c.out" "$tmp/c.err" -- "$BIN" calib rx --radio sim:elements=8 --out "$tmp/rec.json"
[ "$rc" -eq 1 ] || bad "calib over another array's record: exit $rc, want 1"
one_line "$tmp/c.err" "is not this array's calibration record"
cmp -s "$tmp/rec.json" "$tmp/rec.orig" || bad "calib: another array's record was replaced"
echo "not a record" >"$tmp/notes.txt"
run_bounded 60 "$tmp/n.out" "$tmp/n.err" -- "$BIN" calib rx --radio sim:elements=4 --out "$tmp/notes.txt"
[ "$rc" -eq 1 ] || bad "calib over a non-record: exit $rc, want 1"
one_line "$tmp/n.err" "refusing to replace it (--force keeps it as"
run_bounded 60 "$tmp/k.out" "$tmp/k.err" -- "$BIN" calib rx --radio sim:elements=8 --out "$tmp/rec.json" --force
[ "$rc" -eq 0 ] || bad "calib --force: exit $rc"
cmp -s "$tmp/rec.json.bak" "$tmp/rec.orig" || bad "calib --force: the old record was not kept as .bak"
grep -q "kept the previous" "$tmp/k.err" || bad "calib --force: no line saying what was kept"
# the same array's record is updated in place, as before
run_bounded 60 "$tmp/u.out" "$tmp/u.err" -- "$BIN" calib rx --radio sim:elements=8 --out "$tmp/rec.json"
[ "$rc" -eq 0 ] || bad "calib over its own record: exit $rc"
finish_test
