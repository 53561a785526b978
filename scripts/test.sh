#!/usr/bin/env bash
# Runs every test: unit, golden, short fuzz seeds, and (as root) the network
# tests that build namespaces and run the real halo binary.
set -euo pipefail
cd "$(dirname "$0")/.."
# Remove namespaces a crashed earlier run may have left (names carry a dead pid).
go run ./cmd/halo lab --cleanup >/dev/null 2>&1 || true
go test -count=1 -timeout 40m "$@" ./...
