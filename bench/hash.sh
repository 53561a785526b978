#!/usr/bin/env bash
# bench/hash.sh — how evenly the `balance source` hash types share the hash
# space among 10 and 100 servers of weight 1, and how much of it changes
# owner when one server leaves or one joins: map-based, consistent (32
# points per server) and maglev (M=65537 slots). Exact figures from the
# tables and rings themselves, no sampling; runs in about a second.
# Usage: bench/hash.sh [-n 10,100] [-m 65537]
set -euo pipefail
cd "$(dirname "$0")/.."
go run ./bench/cmd/hashstat "$@"
echo
echo "reproduce: bench/hash.sh $*"
