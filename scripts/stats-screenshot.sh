#!/bin/sh
# stats-screenshot.sh — render halo's statistics page and save a screenshot
# with Debian's headless chromium.
#
#   scripts/stats-screenshot.sh [OUT.png]
#
# Without HALO_STATS_URL it renders stats.DemoSnapshot (go run
# ./internal/stats/cmd/statsdemo) to a temporary file and shoots that; with
# HALO_STATS_URL=http://127.0.0.1:9000/stats it shoots a live halo's page
# (a `listen stats` section). WIDTH and HEIGHT set the window (1400x1000).
set -eu

out=${1:-stats.png}
width=${WIDTH:-1400}
height=${HEIGHT:-1000}
chromium=${CHROMIUM:-/usr/bin/chromium}
root=$(cd "$(dirname "$0")/.." && pwd)

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM

url=${HALO_STATS_URL:-}
if [ -z "$url" ]; then
	(cd "$root" && go run ./internal/stats/cmd/statsdemo -format html) > "$tmp/page.html"
	url="file://$tmp/page.html"
fi

case "$out" in
/*) ;;
*) out="$(pwd)/$out" ;;
esac

# Root needs --no-sandbox; the other flags keep chromium from reaching the
# network or writing outside the temporary profile.
"$chromium" --headless --no-sandbox --disable-gpu --disable-background-networking \
	--disable-component-update --no-first-run --hide-scrollbars \
	--user-data-dir="$tmp/profile" --window-size="$width,$height" \
	--screenshot="$out" "$url" >"$tmp/chromium.log" 2>&1 || {
	cat "$tmp/chromium.log" >&2
	exit 1
}
[ -s "$out" ] || { echo "stats-screenshot: chromium wrote no $out" >&2; cat "$tmp/chromium.log" >&2; exit 1; }
echo "$out"
