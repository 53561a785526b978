#!/usr/bin/env bash
# bench/proxy.sh — halo's TCP proxy against a direct connection and Debian's
# haproxy, in one run on loopback, with the same configuration. Prints a
# table of ratios (halo÷haproxy, halo÷direct):
#   - RSS per idle conn:     measured first, on freshly started proxies:
#                            bench/cmd/holdconns holds $CONNS connections
#                            through each proxy; the script checks that the
#                            proxy's pid has them ESTABLISHED on both sides,
#                            then reports (VmRSS after − VmRSS before) / conns
#   - bulk throughput:       iperf3 -t $DUR through each path
#   - new connections/s:     wrk -H 'Connection: close' against bench/cmd/httpd
#   - p50/p99 latency:       wrk --latency -c 50 (keep-alive)
# The request loads' backend is bench/cmd/httpd (Go), or with BACKEND=nginx
# Debian's nginx (2 workers, a fixed answer of the same size): a backend
# that answers faster and without a Go scheduler in the way.
# The two request loads are the median of 2×$ROUNDS interleaved samples
# (see below). Each load runs at most $DUR s (default 5).
# Needs haproxy, iperf3 and wrk
# (apt-get install -y haproxy iperf3 wrk). Run it on an otherwise idle
# machine; `uptime` is printed first and the command to reproduce last.
set -euo pipefail
cd "$(dirname "$0")/.."

DUR=${DUR:-5}
ROUNDS=${ROUNDS:-2}
CONNS=${CONNS:-5000}
BACKEND=${BACKEND:-httpd}
OUT=/tmp/halo-bench
mkdir -p "$OUT"
ulimit -n "$(ulimit -Hn)"

for t in haproxy iperf3 wrk; do
	command -v "$t" >/dev/null || { echo "missing $t: apt-get install -y haproxy iperf3 wrk" >&2; exit 1; }
done
case $BACKEND in
httpd) ;;
nginx) command -v nginx >/dev/null || { echo "missing nginx: apt-get install -y nginx-light" >&2; exit 1; } ;;
*) echo "BACKEND is httpd or nginx, not $BACKEND" >&2; exit 2 ;;
esac

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
if [ "$BACKEND" = nginx ]; then
	cat >"$OUT/nginx.conf" <<CFG
worker_processes 2;
pid $OUT/nginx.pid;
error_log $OUT/nginx.log;
events { worker_connections 4096; }
http {
    access_log off;
    keepalive_requests 1000000;
    client_body_temp_path $OUT; proxy_temp_path $OUT; fastcgi_temp_path $OUT; uwsgi_temp_path $OUT; scgi_temp_path $OUT;
    server {
        listen 127.0.0.1:$HTTP_SRV;
        location / { default_type text/plain; return 200 "hello from the benchmark backend\n"; }
    }
}
CFG
	nginx -c "$OUT/nginx.conf" -g 'daemon off;' & PIDS+=($!)
else
	"$OUT/httpd" -addr "127.0.0.1:$HTTP_SRV" & PIDS+=($!)
fi
"$OUT/httpd" -addr "127.0.0.1:$HOLD_SRV" & PIDS+=($!)
"${HALO[@]}" 2>"$OUT/halo.log" & HALO_PID=$!; PIDS+=($HALO_PID)
haproxy -W -db -f "$OUT/haproxy-ref.cfg" 2>"$OUT/haproxy.log" & PIDS+=($!)
sleep 1
# The master-worker haproxy: measure the worker.
HAP_PID=$(pgrep -P "${PIDS[-1]}" haproxy | head -1)
[ -n "$HAP_PID" ] || HAP_PID=${PIDS[-1]}
echo "# halo: $HALO_KIND (pid $HALO_PID); haproxy: $(haproxy -v | head -1 | cut -d' ' -f1-3) (worker pid $HAP_PID); request loads' backend: $BACKEND"

# throughput PORT -> Gbit/s received
throughput() {
	iperf3 -c 127.0.0.1 -p "$1" -t "$DUR" -f g 2>&1 | awk '/receiver/ {print $7}'
}
# tcp_out_segs -> the host's TCP segments sent so far (/proc/net/snmp)
tcp_out_segs() {
	awk '$1 == "Tcp:" { if (hdr) { for (i = 2; i <= NF; i++) if (name[i] == "OutSegs") print $i; exit } for (i = 2; i <= NF; i++) name[i] = $i; hdr = 1 }' /proc/net/snmp
}
# connrate PORT -> "requests/s segments/request", one connection per
# request; segments are every TCP segment the host sent during the load
# (client, proxy and server together), a measure of the packets a proxy's
# way of ending connections costs
connrate() {
	local s0 s1 out
	s0=$(tcp_out_segs)
	out=$(wrk -t 2 -c 50 -d "${DUR}s" -H 'Connection: close' "http://127.0.0.1:$1/" 2>&1)
	s1=$(tcp_out_segs)
	awk -v s0="$s0" -v s1="$s1" '/requests in/ {n = $1} /Requests\/sec/ {r = $2} END {printf "%s %.1f\n", r, (n > 0 ? (s1 - s0) / n : 0)}' <<<"$out"
}
# latency PORT -> "p50 p99" in microseconds, keep-alive
latency() {
	wrk -t 2 -c 50 -d "${DUR}s" --latency "http://127.0.0.1:$1/" 2>&1 | awk '
		function us(v) { if (v ~ /us$/) return v+0; if (v ~ /ms$/) return v*1000; if (v ~ /s$/) return v*1000000; return v }
		$1=="50%" {p50=us($2)} $1=="99%" {p99=us($2)} END {print p50, p99}'
}
rss_kb() { awk '/VmRSS/ {print $2}' "/proc/$1/status"; }
# estab PID PORT -> "clients servers": ESTABLISHED sockets of PID whose local
# port is PORT (clients held) or whose peer port is the hold server's.
estab() {
	ss -Htnp state established 2>/dev/null | awk -v pid="pid=$1," -v fe=":$2" -v be=":$HOLD_SRV" '
		index($0, pid) { if ($3 ~ fe"$") c++; else if ($4 ~ be"$") s++ } END { print c+0, s+0 }'
}
# rss_per_conn PID PORT NAME -> bytes of RSS per idle connection; prints on
# stderr how many connections were held.
rss_per_conn() {
	local before after fifo="$OUT/hold.fifo" held=(0 0) hp
	rm -f "$fifo"; mkfifo "$fifo"
	before=$(rss_kb "$1")
	timeout $((DUR + 10)) "$OUT/holdconns" -addr "127.0.0.1:$2" -n "$CONNS" <"$fifo" >"$OUT/hold.out" & hp=$!
	exec 9>"$fifo"
	for _ in $(seq $((DUR * 10))); do
		read -r -a held <<<"$(estab "$1" "$2")"
		[ "${held[0]}" -ge "$CONNS" ] && [ "${held[1]}" -ge "$CONNS" ] && break
		sleep 0.1
	done
	sleep 0.5 # let the proxy finish what it does after connecting
	after=$(rss_kb "$1")
	read -r -a held <<<"$(estab "$1" "$2")"
	exec 9>&-
	wait $hp || true
	echo "# $3: held ${held[0]} client and ${held[1]} server connections (wanted $CONNS each); VmRSS ${before} kB -> ${after} kB" >&2
	if [ "${held[0]}" -lt "$CONNS" ] || [ "${held[1]}" -lt "$CONNS" ]; then echo "n/a"; return; fi
	echo $(( (after - before) * 1024 / held[0] ))
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b+0 == 0) print "n/a"; else printf "%.2f", a/b }'; }

echo "# measuring ($DUR s per load)..."
# Memory first, while both proxies are fresh: afterwards their heaps and
# pools have grown with the other loads and RSS would not move.
# One short hold through each proxy first, so that the code of accepting,
# connecting and closing is in memory before the baseline: halo hands back
# the pages only its start needed (internal/bootpages) and would otherwise
# count their return as memory per connection.
for port in $HALO_HOLD $HAP_HOLD; do "$OUT/holdconns" -addr "127.0.0.1:$port" -n 100 </dev/null >/dev/null; done
sleep 0.5
M_H=$(rss_per_conn "$HALO_PID" $HALO_HOLD halo)
M_P=$(rss_per_conn "$HAP_PID" $HAP_HOLD haproxy)
sleep 1 # the held connections close
T_D=$(throughput $IPERF_SRV); T_H=$(throughput $HALO_IPERF); T_P=$(throughput $HAP_IPERF)
# The request loads run in $ROUNDS rounds of mirrored order (direct, halo,
# haproxy, haproxy, halo, direct), and each figure is the median of its
# 2×$ROUNDS samples: on a small VM the CPU the host takes away (steal)
# changes from second to second by more than the differences measured, and
# a fixed order would hand it to whichever path runs at the bad moment.
# The steal seen during each path's loads is printed with the table.
declare -A SAMPLES STEAL
steal_ticks() { awk '/^cpu / {print $9}' /proc/stat; }
all_ticks() { awk '/^cpu / {s = 0; for (i = 2; i <= NF; i++) s += $i; print s}' /proc/stat; }
sample() { # sample KIND PATH PORT: one load, appended to SAMPLES[KIND PATH]
	local s0 a0 v
	s0=$(steal_ticks); a0=$(all_ticks)
	if [ "$1" = conn ]; then v=$(connrate "$3"); else v=$(latency "$3"); fi
	SAMPLES[$1 $2]+="$v"$'\n'
	STEAL[$2]="${STEAL[$2]:-0 0} $(( $(steal_ticks) - s0 )) $(( $(all_ticks) - a0 ))"
}
for _ in $(seq "$ROUNDS"); do
	for kind in conn lat; do
		for path in direct halo haproxy haproxy halo direct; do
			case $path in direct) port=$HTTP_SRV ;; halo) port=$HALO_HTTP ;; haproxy) port=$HAP_HTTP ;; esac
			sample $kind $path $port
		done
	done
done
# median KIND PATH COLUMN -> the median of that column of the samples
median() { printf '%s' "${SAMPLES[$1 $2]}" | awk -v c="$3" 'NF { print $c }' | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2) }'; }
steal_pct() { awk -v l="${STEAL[$1]}" 'BEGIN { n = split(l, f, " "); for (i = 1; i <= n; i += 2) { s += f[i]; a += f[i + 1] } printf "%.0f%%", (a > 0 ? 100 * s / a : 0) }'; }
C_D=$(median conn direct 1) S_D=$(median conn direct 2) C_H=$(median conn halo 1) S_H=$(median conn halo 2) C_P=$(median conn haproxy 1) S_P=$(median conn haproxy 2)
L50_D=$(median lat direct 1) L99_D=$(median lat direct 2) L50_H=$(median lat halo 1) L99_H=$(median lat halo 2) L50_P=$(median lat haproxy 1) L99_P=$(median lat haproxy 2)
printf '\n%-28s %12s %12s %12s %14s %13s\n' metric direct halo haproxy "halo÷haproxy" "halo÷direct"
row() { printf '%-28s %12s %12s %12s %14s %13s\n' "$1" "$2" "$3" "$4" "$(ratio "$3" "$4")" "$(ratio "$3" "$2")"; }
row "throughput Gbit/s (higher)" "$T_D" "$T_H" "$T_P"
row "new conns/s (higher)" "$C_D" "$C_H" "$C_P"
row "TCP segments/conn (lower)" "$S_D" "$S_H" "$S_P"
row "p50 latency us (lower)" "$L50_D" "$L50_H" "$L50_P"
row "p99 latency us (lower)" "$L99_D" "$L99_H" "$L99_P"
row "RSS B/idle conn (lower)" "-" "$M_H" "$M_P"
echo "# request loads: median of $((2 * ROUNDS)) samples each; CPU stolen by the host during them: direct $(steal_pct direct), halo $(steal_pct halo), haproxy $(steal_pct haproxy)"

echo
echo "# reproduce: cd $(pwd) && BACKEND=$BACKEND DUR=$DUR ROUNDS=$ROUNDS CONNS=$CONNS bash bench/proxy.sh   ($(git rev-parse --short HEAD 2>/dev/null || echo '?')$(git diff --quiet 2>/dev/null || echo ', uncommitted changes'))"
echo "# loads, per path: iperf3 -c 127.0.0.1 -p PORT -t $DUR | wrk -t 2 -c 50 -d ${DUR}s -H 'Connection: close' URL | wrk -t 2 -c 50 -d ${DUR}s --latency URL | holdconns -n $CONNS"
