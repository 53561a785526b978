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
while read -r pkg target; do
	[ -n "$only" ] && [[ "$target" != *$only* ]] && continue
	echo "# fuzz $pkg $target ($t)"
	if ! go test -run '^$' -fuzz "^${target}\$" -fuzztime "$t" "$pkg" 2>&1 | tail -3; then
		status=1
	fi
done < <(grep -rl --include='*_test.go' '^func Fuzz' internal | sort | while read -r f; do
	for target in $(grep -o '^func Fuzz[A-Za-z0-9_]*' "$f" | sed 's/^func //'); do
		echo "./$(dirname "$f") $target"
	done
done)
exit $status
