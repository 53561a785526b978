#!/usr/bin/env bash
# Runs every fuzz target for a bounded time each (FUZZTIME, default 20s):
# the config parsers, the VRRP codec, the runtime API session, the HTTP
# check response parser, the stats HTTP handler and the VRRP state
# machine's property. A crasher is written under the package's
# testdata/fuzz/ by `go test`; commit it as a regression seed (the normal
# test run replays every seed).
#   scripts/fuzz.sh [PATTERN]    run only targets whose name matches PATTERN
set -euo pipefail
cd "$(dirname "$0")/.."
t=${FUZZTIME:-20s}
only=${1:-}
status=0
out=$(mktemp)
trap 'rm -f "$out"' EXIT
while read -r pkg target; do
	[ -n "$only" ] && [[ "$target" != *$only* ]] && continue
	echo "# fuzz $pkg $target ($t)"
	corpus="$pkg/testdata/fuzz/$target"
	before=$({ ls "$corpus" 2>/dev/null || true; } | wc -l)
	if go test -run '^$' -fuzz "^${target}\$" -fuzztime "$t" "$pkg" >"$out" 2>&1; then
		tail -2 "$out"
		continue
	fi
	after=$({ ls "$corpus" 2>/dev/null || true; } | wc -l)
	# Go's fuzzing coordinator can fail a run whose -fuzztime ends while a
	# worker is mid-call ("context deadline exceeded", no input written):
	# a race of its own, seen under CPU contention. Only that exact shape
	# is forgiven, and only once the seeds replay clean.
	if [ "$after" = "$before" ] && grep -q '^    context deadline exceeded$' "$out" &&
		! grep -q -e 'panic:' -e 'Failing input written' -e 'fuzzing process hung' "$out" &&
		go test -count=1 -run "^${target}\$" "$pkg" >/dev/null 2>&1; then
		echo "# $target: the fuzzing coordinator's deadline race (no failing input; seeds replay clean), not a finding"
		tail -4 "$out"
		continue
	fi
	tail -30 "$out"
	status=1
done < <(grep -rl --include='*_test.go' '^func Fuzz' internal | sort | while read -r f; do
	for target in $(grep -o '^func Fuzz[A-Za-z0-9_]*' "$f" | sed 's/^func //'); do
		echo "./$(dirname "$f") $target"
	done
done)
exit $status
