#!/usr/bin/env bash
# bench/ops.sh — the operations side at scale, halo against Debian's haproxy
# in one run on loopback with the same generated configuration (200 backends
# × 10 checked servers by default): the Prometheus scrape time and size of
# each, with the ratio halo ÷ haproxy, and how long halo takes to apply a
# reload while a client connects in a loop (any refused connection fails the
# run). Needs haproxy. Usage: bench/ops.sh [-backends N] [-servers N]
set -euo pipefail
cd "$(dirname "$0")/.."
command -v haproxy >/dev/null || { echo "ops.sh: haproxy is not installed (apt-get install -y haproxy)" >&2; exit 1; }
ulimit -n "$(ulimit -Hn)"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
echo "# load: $(uptime)"
go build -o "$out/halo" ./cmd/halo
go build -o "$out/opsbench" ./bench/cmd/opsbench
"$out/opsbench" -halo "$out/halo" "$@"
echo "# reproduce: bash bench/ops.sh $*"
