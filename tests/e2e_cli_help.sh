#!/usr/bin/env bash
# The command line's option tables (host/cli/cli_opt.h) and what is generated from them:
# every command's --help is its own (no two alike) and has exactly one help line per option
# of its table; the man pages (built and regenerated) document every option and pass groff
# without warnings; the bash completion script sources and completes a command, a
# subcommand and an option; results go to stdout and progress to stderr (`run | tee`),
# one progress line per episode, no control characters in redirected run and train output,
# no "nan" in summaries; an unknown bench name lists every bench.
set -uo pipefail
BIN=${ISACTB_BIN:?}; BUILD=${ISACTB_BUILD_DIR:?}
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
fail=0; total=0
# Under ASan the train part is left to the Release run (tests/e2e_figures.sh trains there too).
asan=0; if ldd "$BIN" | grep libasan >/dev/null; then asan=1; fi
check() { total=$((total + 1)); if ! eval "$2"; then echo "FAIL: $1"; fail=$((fail + 1)); fi; }

# ---- the tables: one line per command, "NAME<TAB>--opt --opt ..."
"$BIN" _doc list >"$tmp/list"
check "_doc list" "[ \$(wc -l <'$tmp/list') -ge 20 ]"
: >"$tmp/sums"
while IFS=$'\t' read -r name opts; do
  read -ra words <<<"$name"
  "$BIN" "${words[@]}" --help >"$tmp/help" 2>"$tmp/err"; rc=$?
  check "$name --help: exit 0, nothing on stderr" "[ $rc -eq 0 ] && [ ! -s '$tmp/err' ]"
  check "$name --help: usage line" "grep -q '^usage: isactb $name' '$tmp/help'"
  md5sum <"$tmp/help" | cut -d' ' -f1 >>"$tmp/sums"
  nopt=0
  for o in $opts --help; do
    nopt=$((nopt + 1))
    # exactly one line "  --name [ARG]   help text", with a help text
    c=$(grep -cE -- "^  $o( [^ ]+)? +[^ ].{8,}" "$tmp/help")
    check "$name: one help line for $o (found $c)" "[ $c -eq 1 ]"
  done
  lines=$(grep -cE '^  --' "$tmp/help")
  check "$name: $nopt option lines (found $lines)" "[ $lines -eq $nopt ]"
  # its man page documents the same options
  page="$BUILD/man/isactb-${name// /-}.1"
  check "$name: man page $page" "[ -s '$page' ]"
  for o in $opts --help; do
    r=${o//-/\\-} # roff: every dash escaped
    check "$name: man page has $o" "grep -qF -- '.B $r' '$page'"
  done
done <"$tmp/list"
check "every --help is distinct" "[ \$(sort '$tmp/sums' | uniq -d | wc -l) -eq 0 ]"
check "the calib sessions' help differs" \
  "! cmp -s <('$BIN' calib rx --help) <('$BIN' calib verify --help)"

# ---- man pages: regenerated equal to the built ones, valid roff
mkdir "$tmp/man"
"$BIN" _doc man "$tmp/man"
check "_doc man writes isactb.1" "[ -s '$tmp/man/isactb.1' ]"
check "built man pages are the generated ones" "diff -r '$tmp/man' '$BUILD/man' >/dev/null"
if command -v groff >/dev/null; then
  for f in "$tmp"/man/*.1; do
    w=$(groff -man -ww -z "$f" 2>&1)
    check "groff $(basename "$f"): no warnings ($w)" "[ -z \"\$w\" ]"
  done
  check "man page renders its options" \
    "groff -man -Tutf8 '$tmp/man/isactb-run.1' 2>/dev/null | grep -q 'episodes'"
fi

# ---- bash completion
comp="$BUILD/completion/isactb"
check "completion script built" "[ -s '$comp' ]"
"$BIN" _doc bash "$tmp/comp"
check "completion regenerated equal" "cmp -s '$comp' '$tmp/comp'"
complete_words() { # WORD... : what completing the last word offers
  bash -c 'source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _isactb
           printf "%s\n" "${COMPREPLY[@]}"' _ "$comp" "$@"
}
check "completes a command" "[ \"\$(complete_words isactb rep)\" = replay ]"
check "completes a subcommand" "complete_words isactb bench pol | grep -qx policies"
check "completes an option" "complete_words isactb run --epi | grep -qx -- --episodes"
check "completes a session's option" "complete_words isactb calib tx --seq | grep -qx -- --sequential"
check "offers no option of another session" "! complete_words isactb calib rx --seq | grep -q ."
check "an option's value: no options offered" "[ -z \"\$(complete_words isactb run --config --e)\" ]"
check "complete -F registered" "bash -c 'source \"$comp\"; complete -p isactb' | grep -q _isactb"

# ---- results on stdout, progress on stderr, one line per episode
"$BIN" run --episodes 2 2>"$tmp/run.err" | tee "$tmp/run.log" >/dev/null
check "run | tee: the summary on stdout" "grep -q 'episodes detected' '$tmp/run.log'"
check "run: nothing but the summary on stdout" "[ \$(wc -l <'$tmp/run.log') -eq 1 ]"
check "run: one progress line per episode" "[ \$(grep -c '^episode [0-9]*: ' '$tmp/run.err') -eq 2 ]"
check "run: no line per CPI by default" "! grep -q 'step ' '$tmp/run.err'"
check "run: no nan" "! grep -qi 'nan' '$tmp/run.log' '$tmp/run.err'"
"$BIN" run --episodes 1 --verbose 2>"$tmp/v.err" >/dev/null
check "run --verbose: a line per CPI" "[ \$(grep -c 'step ' '$tmp/v.err') -ge 2 ]"
"$BIN" run --episodes 1 --json 2>"$tmp/j.err" >"$tmp/j.out"
check "run --json: stdout is one JSON object" \
  "[ \$(wc -l <'$tmp/j.out') -eq 1 ] && /usr/bin/python3 -c 'import json,sys; json.load(open(sys.argv[1]))' '$tmp/j.out'"
check "run --json: the summary on stderr" "grep -q 'episodes detected' '$tmp/j.err'"
"$BIN" run --episodes 1 --quiet 2>"$tmp/q.err" >"$tmp/q.out"
check "run --quiet: no progress, the summary kept" "[ ! -s '$tmp/q.err' ] && [ -s '$tmp/q.out' ]"
"$BIN" run --episodes 1 --progress 2>"$tmp/p.err" >/dev/null
check "run --progress: the status line is drawn" "grep -q \$'\\r' '$tmp/p.err'"

# ---- no control characters in redirected output (train draws its bars only on a terminal)
files="run.err run.log"
if [ $asan -eq 0 ]; then
  "$BIN" train --collect 4 --max-steps 24 --gan-epochs 2 --episodes 6 --horizon 16 \
    --online-episodes 2 --eval-episodes 1 --seed 3 --out "$tmp/t.weights" \
    >"$tmp/train.out" 2>"$tmp/train.err"
  check "train exit 0" "[ $? -eq 0 ]"
  check "train: the summary on stdout" "grep -q 'transitions' '$tmp/train.out'"
  check "train: a line per finished stage" "grep -q 'collect.*done' '$tmp/train.err'"
  files="$files train.out train.err"
fi
for f in $files; do
  check "$f: no control characters" "! LC_ALL=C grep -q '[[:cntrl:]]' <(tr -d '\\n' <'$tmp/$f')"
  check "$f: no nan" "! grep -qiw 'nan' '$tmp/$f'"
done

# ---- unknown names list every subcommand of the tables
"$BIN" bench nosuch 2>"$tmp/b.err"; rc=$?
check "bench nosuch: exit 2, one line" "[ $rc -eq 2 ] && [ \$(wc -l <'$tmp/b.err') -eq 1 ]"
for b in $(grep '^bench ' "$tmp/list" | cut -f1 | cut -d' ' -f2); do
  check "bench nosuch lists $b" "grep -qw '$b' '$tmp/b.err'"
done
"$BIN" run --bogus 2>"$tmp/u.err"; rc=$?
check "unknown option: exit 2, one line naming it" \
  "[ $rc -eq 2 ] && [ \$(wc -l <'$tmp/u.err') -eq 1 ] && grep -q \"^isactb run: unknown option '--bogus'\" '$tmp/u.err'"

echo "$((total - fail))/$total checks passed"
[ "$fail" -eq 0 ]
