#!/usr/bin/env bash
# Failover benchmark: halo vs keepalived+haproxy with the same configuration,
# in the same network namespaces, in one run. Needs root. Prints, for each
# fault (link cut, SIGKILL, SIGTERM) at advert 1 s (VRRPv2 + PASS) and 0.1 s
# (VRRPv3), the outage a client probing the VIP every 10 ms saw, and the
# ratio halo ÷ keepalived; then halo's idle CPU with 100 instances.
# Usage: bench/failover.sh [-rounds N] [-idle-instances N]
set -euo pipefail
cd "$(dirname "$0")/.."
for bin in keepalived haproxy; do
	command -v "$bin" >/dev/null || { echo "failover.sh: $bin is not installed (apt-get install -y $bin)" >&2; exit 1; }
done
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
go build -o "$out/halo" ./cmd/halo
go build -o "$out/failover" ./bench/cmd/failover
go run ./cmd/halo lab --cleanup >/dev/null 2>&1 || true
"$out/failover" -halo "$out/halo" "$@"
