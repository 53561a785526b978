#!/usr/bin/env bash
# bench/proxy.sh — halo's TCP proxy against a direct connection and Debian's
# haproxy, in one run on loopback, with the same configuration. Prints a
# table of ratios (halo÷haproxy, halo÷direct):
#   - bulk throughput:       iperf3 -t 5 through each path
#   - new connections/s:     wrk -H 'Connection: close' against bench/cmd/httpd
#   - p50/p99 latency:       wrk --latency -c 50 (keep-alive)
#   - RSS per idle conn:     bench/cmd/holdconns holds 5,000 connections; VmRSS before/after
# Each load runs 5 s. Needs haproxy, iperf3 and wrk (apt-get install -y haproxy iperf3 wrk).
# Run it on an otherwise idle machine; `uptime` is printed first.
set -euo pipefail
cd "$(dirname "$0")/.."

DUR=${DUR:-5}
CONNS=${CONNS:-5000}
OUT=/tmp/halo-bench
mkdir -p "$OUT"
ulimit -n "$(ulimit -Hn)"

for t in haproxy iperf3 wrk; do
	command -v "$t" >/dev/null || { echo "missing $t: apt-get install -y haproxy iperf3 wrk" >&2; exit 1; }
done

# Ports: backend servers 1xxxx, halo 2xxxx, haproxy 3xxxx.
IPERF_SRV=15201 HTTP_SRV=18080 HOLD_SRV=18081
HALO_IPERF=25201 HALO_HTTP=28080 HALO_HOLD=28081
HAP_IPERF=35201 HAP_HTTP=38080 HAP_HOLD=38081

echo "# load: $(uptime)"
go build -o "$OUT/httpd" ./bench/cmd/httpd
go build -o "$OUT/holdconns" ./bench/cmd/holdconns

cat >"$OUT/haproxy.cfg" <<CFG
global
    maxconn 8000
    hard-stop-after 5s

defaults
    mode tcp
    timeout connect 5s
    timeout client 60s
    timeout server 60s

frontend iperf
    bind 127.0.0.1:$HALO_IPERF
    default_backend iperf
backend iperf
    server s1 127.0.0.1:$IPERF_SRV

frontend http
    bind 127.0.0.1:$HALO_HTTP
    default_backend http
backend http
    server s1 127.0.0.1:$HTTP_SRV

frontend hold
    bind 127.0.0.1:$HALO_HOLD
    default_backend hold
backend hold
    server s1 127.0.0.1:$HOLD_SRV
CFG
sed -e "s/:$HALO_IPERF/:$HAP_IPERF/; s/:$HALO_HTTP/:$HAP_HTTP/; s/:$HALO_HOLD/:$HAP_HOLD/" \
	"$OUT/haproxy.cfg" >"$OUT/haproxy-ref.cfg"

go build -o "$OUT/halo" ./cmd/halo
HALO=("$OUT/halo" run -f "$OUT/haproxy.cfg")
HALO_KIND="halo run"

PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT

iperf3 -s -p "$IPERF_SRV" >/dev/null 2>&1 & PIDS+=($!)
"$OUT/httpd" -addr "127.0.0.1:$HTTP_SRV" & PIDS+=($!)
"$OUT/httpd" -addr "127.0.0.1:$HOLD_SRV" & PIDS+=($!)
"${HALO[@]}" 2>"$OUT/halo.log" & HALO_PID=$!; PIDS+=($HALO_PID)
haproxy -W -db -f "$OUT/haproxy-ref.cfg" 2>"$OUT/haproxy.log" & PIDS+=($!)
sleep 1
# The master-worker haproxy: measure the worker.
HAP_PID=$(pgrep -P "${PIDS[-1]}" haproxy | head -1)
[ -n "$HAP_PID" ] || HAP_PID=${PIDS[-1]}
echo "# halo: $HALO_KIND (pid $HALO_PID); haproxy: $(haproxy -v | head -1 | cut -d' ' -f1-3) (worker pid $HAP_PID)"

# throughput PORT -> Gbit/s received
throughput() {
	iperf3 -c 127.0.0.1 -p "$1" -t "$DUR" -f g 2>&1 | awk '/receiver/ {print $7}'
}
# connrate PORT -> requests/s, one connection per request
connrate() {
	wrk -t 2 -c 50 -d "${DUR}s" -H 'Connection: close' "http://127.0.0.1:$1/" 2>&1 | awk '/Requests\/sec/ {print $2}'
}
# latency PORT -> "p50 p99" in microseconds, keep-alive
latency() {
	wrk -t 2 -c 50 -d "${DUR}s" --latency "http://127.0.0.1:$1/" 2>&1 | awk '
		function us(v) { if (v ~ /us$/) return v+0; if (v ~ /ms$/) return v*1000; if (v ~ /s$/) return v*1000000; return v }
		$1=="50%" {p50=us($2)} $1=="99%" {p99=us($2)} END {print p50, p99}'
}
rss_kb() { awk '/VmRSS/ {print $2}' "/proc/$1/status"; }
# rss_per_conn PID PORT -> bytes of RSS per idle connection
rss_per_conn() {
	local before after fifo="$OUT/hold.fifo"
	rm -f "$fifo"; mkfifo "$fifo"
	before=$(rss_kb "$1")
	"$OUT/holdconns" -addr "127.0.0.1:$2" -n "$CONNS" <"$fifo" >"$OUT/hold.out" & local hp=$!
	exec 9>"$fifo"
	for _ in $(seq 100); do grep -q ready "$OUT/hold.out" 2>/dev/null && break; sleep 0.2; done
	grep -q ready "$OUT/hold.out" || { echo "holdconns failed" >&2; exec 9>&-; wait $hp; return 1; }
	after=$(rss_kb "$1")
	exec 9>&-
	wait $hp || true
	sleep 1
	echo $(( (after - before) * 1024 / CONNS ))
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b+0 == 0) print "n/a"; else printf "%.2f", a/b }'; }

echo "# measuring ($DUR s per load)..."
T_D=$(throughput $IPERF_SRV); T_H=$(throughput $HALO_IPERF); T_P=$(throughput $HAP_IPERF)
C_D=$(connrate $HTTP_SRV); C_H=$(connrate $HALO_HTTP); C_P=$(connrate $HAP_HTTP)
read -r L50_D L99_D <<<"$(latency $HTTP_SRV)"
read -r L50_H L99_H <<<"$(latency $HALO_HTTP)"
read -r L50_P L99_P <<<"$(latency $HAP_HTTP)"
M_H=$(rss_per_conn "$HALO_PID" $HALO_HOLD)
M_P=$(rss_per_conn "$HAP_PID" $HAP_HOLD)

printf '\n%-28s %12s %12s %12s %14s %13s\n' metric direct halo haproxy "halo÷haproxy" "halo÷direct"
row() { printf '%-28s %12s %12s %12s %14s %13s\n' "$1" "$2" "$3" "$4" "$(ratio "$3" "$4")" "$(ratio "$3" "$2")"; }
row "throughput Gbit/s (higher)" "$T_D" "$T_H" "$T_P"
row "new conns/s (higher)" "$C_D" "$C_H" "$C_P"
row "p50 latency us (lower)" "$L50_D" "$L50_H" "$L50_P"
row "p99 latency us (lower)" "$L99_D" "$L99_H" "$L99_P"
row "RSS B/idle conn (lower)" "-" "$M_H" "$M_P"
