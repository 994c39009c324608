#!/usr/bin/env bash
# Runs every Go fuzz target in the module with the given budget each.
# Usage: bench/fuzz.sh [BUDGET]
#
# BUDGET is what `go test -fuzztime` takes: an execution count such as 20000x
# (the default, and what CI uses) or a duration such as 30s or 5m (for soaks).
#
# Why a count by default: with a duration, Go 1.26's fuzz coordinator can report
# a bare "context deadline exceeded" at the end of the window although nothing
# was found (golang/go#75804, fixed in Go 1.27): its -fuzztime context expires
# a moment before the workers' child context is cancelled. A count has no
# deadline to race. For duration runs this script tells that race apart from a
# finding: it fails on any failure that wrote a reproducer under
# testdata/fuzz/<Target>, on any other message, and on a corpus replay that
# fails; only a bare deadline report with no reproducer and a clean replay is
# counted as the known race (and printed as such).
set -euo pipefail
cd "$(dirname "$0")/.."
budget="${1:-20000x}"
count=0
races=0
out=$(mktemp)
trap 'rm -f "$out"' EXIT

# corpus_files lists a target's committed or newly written inputs, one per line.
corpus_files() { ls -1 "$1" 2>/dev/null || true; }

# is_deadline_race TARGET OUTPUT_FILE succeeds when the only failure in the
# output is the race's: "--- FAIL: TARGET (…)" followed by a bare
# "context deadline exceeded", with no panic, crasher or other failure line.
is_deadline_race() {
  local failures
  failures=$(grep -E -- '^[[:space:]]*(--- FAIL|panic:|fuzz: |Failing input|failure while)' "$2" |
    grep -v -E '^fuzz: elapsed' || true)
  [[ $failures == "--- FAIL: $1 ("* ]] || return 1
  [ "$(printf '%s\n' "$failures" | wc -l)" -eq 1 ] || return 1
  grep -A1 -F -- "--- FAIL: $1 (" "$2" | tail -n 1 | grep -q -x -E '[[:space:]]*context deadline exceeded'
}

# self_test checks is_deadline_race against the race's real output (CI, Go
# 1.26.8) and against outputs that must never be excused: a crasher, a hung
# worker, another target's failure, a seed failure, a panic after the deadline
# line, a deadline line with more words, a test timeout.
self_test() {
  local f
  f=$(mktemp)
  local ok=0
  check() { # want, target, text
    printf '%s\n' "$3" >"$f"
    if is_deadline_race "$2" "$f"; then got=race; else got=finding; fi
    if [ "$got" != "$1" ]; then echo "self-test: want $1, got $got for: $3" >&2; ok=1; fi
  }
  check race FuzzDecodeEvent 'fuzz: elapsed: 11s, execs: 55168 (3766/sec), new interesting: 1 (total: 134)
--- FAIL: FuzzDecodeEvent (11.04s)
    context deadline exceeded
FAIL
exit status 1
FAIL	dtsreset/handler	11.067s'
  check finding FuzzDecodeEvent '--- FAIL: FuzzDecodeEvent (0.20s)
    --- FAIL: FuzzDecodeEvent (0.00s)
        testing.go:1: panic: runtime error: index out of range
    Failing input written to testdata/fuzz/FuzzDecodeEvent/abc
FAIL'
  check finding FuzzDecodeEvent '--- FAIL: FuzzDecodeEvent (11.04s)
    fuzzing process hung or terminated unexpectedly: exit status 2
FAIL'
  check finding FuzzDecodeEvent '--- FAIL: FuzzOther (11.04s)
    context deadline exceeded
FAIL'
  check finding FuzzDecodeEvent 'failure while testing seed corpus entry: FuzzDecodeEvent/seed#0
--- FAIL: FuzzDecodeEvent (0.01s)
    context deadline exceeded'
  check finding FuzzDecodeEvent '--- FAIL: FuzzDecodeEvent (11.04s)
    context deadline exceeded
panic: runtime error: invalid memory address or nil pointer dereference
FAIL'
  check finding FuzzDecodeEvent '--- FAIL: FuzzDecodeEvent (11.04s)
    context deadline exceeded while calling the handler
FAIL'
  check finding FuzzDecodeEvent 'panic: test timed out after 10m0s
--- FAIL: FuzzDecodeEvent (600.00s)
    context deadline exceeded'
  rm -f "$f"
  return "$ok"
}
if [ "$budget" = "--self-test" ]; then
  self_test && echo "fuzz.sh self-test: ok"
  exit
fi
self_test

for pkg in $(go list ./...); do
  dir=$(go list -f '{{.Dir}}' "$pkg")
  for target in $(grep -ho '^func Fuzz[A-Za-z0-9_]*' "$dir"/*_test.go 2>/dev/null | sed 's/^func //' | sort -u); do
    echo "== fuzz $pkg $target ($budget)"
    corpus="$dir/testdata/fuzz/$target"
    before=$(corpus_files "$corpus")
    rc=0
    go test -run='^$' -fuzz="^${target}\$" -fuzztime="$budget" "$pkg" 2>&1 | tee "$out" || rc=$?
    count=$((count + 1))
    [ "$rc" -eq 0 ] && continue

    after=$(corpus_files "$corpus")
    if [ "$before" != "$after" ]; then
      echo "FAIL: $target wrote a reproducer under $corpus:" >&2
      comm -13 <(echo "$before") <(echo "$after") >&2
      exit 1
    fi
    if is_deadline_race "$target" "$out"; then
      echo "-- $target: bare 'context deadline exceeded' with no reproducer; replaying the corpus to rule out a finding"
      if go test -count=1 -run="^${target}\$" "$pkg"; then
        echo "-- $target: corpus replay clean; this was Go's fuzz-coordinator deadline race (golang/go#75804), not a finding"
        races=$((races + 1))
        continue
      fi
    fi
    echo "FAIL: fuzzing $target failed (see above)" >&2
    exit "$rc"
  done
done
echo "fuzzed $count targets with budget $budget each; coordinator deadline races tolerated after clean replays: $races"
