#!/usr/bin/env bash
# bench/scale.sh — how halo's cost grows with the size of the configuration,
# against Debian's haproxy, in one run on loopback with the same generated
# haproxy.cfg. For each size (B frontends + B backends × $SERVERS servers,
# every server `check inter 2s`, all pointing at one local HTTP server) and
# each check kind (plain tcp, `option httpchk GET /`), each daemon is started
# alone and measured:
#   - listeners up ms:  from the start of the process until every frontend
#                       port listens (ss -tln, polled every 10 ms)
#   - CPU % of a core:  utime+stime from /proc/PID/stat over a steady-state
#                       window of $WINDOW s, after $WARM s of warm-up
#   - RSS MB:           VmRSS at the end of the window, and the part of it
#                       that is private memory (RssAnon) rather than pages
#                       of the binary and its libraries
# At the largest size it also measures one reload (halo: SIGHUP; haproxy:
# a new process with -sf): the time until a frontend added by the new file
# accepts connections and the CPU the daemon spent meanwhile; and one
# `/metrics` scrape (prometheus-exporter frontend): its time, size and CPU
# (median time of $SCRAPES scrapes, CPU averaged over them).
# Environment: SIZES="1 20 200" (frontends = backends), SERVERS=10,
# KINDS="tcp http", WINDOW=20, WARM=4, SCRAPES=5, HALO_BIN (a prebuilt halo;
# default: built from this tree). Needs haproxy (apt-get install -y haproxy)
# and curl. Everything listens on 127.0.0.1 only; ports 19080 (the HTTP
# server), 20000+ (halo), 24000+ (haproxy), below the ephemeral range.
# Run it on an otherwise idle machine; `uptime` is printed first and the
# command to reproduce last.
set -euo pipefail
cd "$(dirname "$0")/.."

SIZES=${SIZES:-"1 20 200"}
SERVERS=${SERVERS:-10}
KINDS=${KINDS:-"tcp http"}
WINDOW=${WINDOW:-20}
WARM=${WARM:-4}
SCRAPES=${SCRAPES:-5}
HTTP_SRV=19080 HALO_BASE=20000 HAP_BASE=24000

for t in haproxy curl ss; do
	command -v "$t" >/dev/null || { echo "scale.sh: missing $t (apt-get install -y haproxy curl iproute2)" >&2; exit 1; }
done
for b in $SIZES; do
	[ "$b" -ge 1 ] && [ "$b" -le 2000 ] || { echo "scale.sh: size $b out of 1..2000" >&2; exit 1; }
done
[ "$SERVERS" -ge 1 ] && [ "$SERVERS" -le 100 ] || { echo "scale.sh: SERVERS out of 1..100" >&2; exit 1; }
[ "$WINDOW" -ge 1 ] && [ "$WINDOW" -le 300 ] || { echo "scale.sh: WINDOW out of 1..300 s" >&2; exit 1; }
ulimit -n "$(ulimit -Hn)"

OUT=$(mktemp -d /tmp/halo-scale.XXXXXX)
PIDS=()
cleanup() {
	[ -f "$OUT/pids" ] && while read -r p; do PIDS+=("$p"); done <"$OUT/pids"
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	[ -n "${KEEP:-}" ] && echo "# kept $OUT" >&2 || rm -rf "$OUT"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

echo "# load: $(uptime)"
if [ -n "${HALO_BIN:-}" ]; then
	cp "$HALO_BIN" "$OUT/halo"
	HALO_REV="prebuilt $HALO_BIN"
else
	go build -o "$OUT/halo" ./cmd/halo
	HALO_REV="$(git rev-parse --short HEAD)$(git diff --quiet HEAD -- . 2>/dev/null || echo +dirty)"
fi
go build -o "$OUT/httpd" ./bench/cmd/httpd
ss -Htln "sport = :$HTTP_SRV" | grep -q . && { echo "scale.sh: port $HTTP_SRV is in use" >&2; exit 1; }
"$OUT/httpd" -addr "127.0.0.1:$HTTP_SRV" & PIDS+=($!)
HZ=$(getconf CLK_TCK)
echo "# halo: $HALO_REV; haproxy: $(haproxy -v | head -1 | cut -d' ' -f1-3); $(nproc) CPUs; window ${WINDOW}s"

# config BASE B KIND EXTRA -> haproxy.cfg text: B frontends on BASE+1.., a
# prometheus-exporter frontend on BASE, B backends × SERVERS servers.
config() {
	local base=$1 n=$2 kind=$3 extra=${4:-} i j
	printf 'global\n    maxconn 4000\n    hard-stop-after 3s\n\ndefaults\n    mode tcp\n    timeout connect 2s\n    timeout client 30s\n    timeout server 30s\n\n'
	printf 'frontend prom\n    mode http\n    bind 127.0.0.1:%d\n    http-request use-service prometheus-exporter if { path /metrics }\n\n' "$base"
	for ((i = 1; i <= n; i++)); do
		printf 'frontend f%d\n    bind 127.0.0.1:%d\n    default_backend b%d\n' "$i" $((base + i)) "$i"
		printf 'backend b%d\n    balance roundrobin\n' "$i"
		[ "$kind" = http ] && printf '    option httpchk GET /\n'
		for ((j = 1; j <= SERVERS; j++)); do
			printf '    server s%d 127.0.0.1:%d check inter 2s\n' "$j" "$HTTP_SRV"
		done
	done
	printf '%b' "$extra"
}
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
rss_kb() { awk '/VmRSS/ {print $2}' "/proc/$1/status"; }
anon_kb() { awk '/RssAnon/ {print $2}' "/proc/$1/status"; }
now_ns() { date +%s%N; }
# listening BASE N -> how many of the ports BASE..BASE+N listen
listening() {
	ss -Htln "sport >= :$1 and sport <= :$(($1 + $2))" 2>/dev/null | wc -l
}
# wait_listen BASE N PID -> ms until N+1 ports listen (start time in $T0)
wait_listen() {
	local deadline=$(($(now_ns) + 60000000000))
	while [ "$(listening "$1" "$2")" -lt $(($2 + 1)) ]; do
		kill -0 "$3" 2>/dev/null || { echo "scale.sh: pid $3 exited" >&2; return 1; }
		[ "$(now_ns)" -lt "$deadline" ] || { echo "scale.sh: listeners not up after 60 s" >&2; return 1; }
		sleep 0.01
	done
	echo $((($(now_ns) - T0) / 1000000))
}
# wait_port PORT -> waits until PORT accepts a connection (30 s at most)
wait_port() {
	local i
	for ((i = 0; i < 3000; i++)); do
		(exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
		sleep 0.01
	done
	return 1
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b+0 == 0 || a == "-") print "n/a"; else printf "%.2f", a/b }'; }
stop() {
	kill "$1" 2>/dev/null || true
	wait "$1" 2>/dev/null || true
}

# evict FILE: drop FILE's pages from the page cache (posix_fadvise DONTNEED).
evict() { sync "$1"; dd if="$1" iflag=nocache count=0 status=none 2>/dev/null || true; }

# start DAEMON BASE B KIND -> sets PID (the process to measure) and UP_MS.
# haproxy runs as one process (-db, no master), as bench/ops.sh runs it: its
# RSS is then the whole daemon's, like halo's.
start() {
	local d=$1 base=$2 n=$3 kind=$4
	config "$base" "$n" "$kind" >"$OUT/$d.cfg"
	# Each binary starts cold, as after a boot or an install: its pages
	# are dropped from the page cache first. A file the linker has just
	# written sits in the cache in large folios that the first faults map
	# whole, which put 8-10 MB more of a freshly built halo in its RSS.
	if [ "$d" = halo ]; then evict "$OUT/halo"; else evict "$(command -v haproxy)"; fi
	T0=$(now_ns)
	if [ "$d" = halo ]; then
		"$OUT/halo" run -f "$OUT/$d.cfg" --socket "$OUT/halo.sock" 2>"$OUT/halo.log" & MASTER=$!
	else
		haproxy -db -f "$OUT/$d.cfg" 2>"$OUT/haproxy.log" & MASTER=$!
	fi
	PIDS+=($MASTER)
	UP_MS=$(wait_listen "$base" "$n" "$MASTER")
	PID=$MASTER
}

# steady PID -> "cpu% rss_mb anon_mb" over WINDOW s after WARM s
steady() {
	local t0 t1 c0 c1
	sleep "$WARM"
	t0=$(now_ns); c0=$(cpu_ticks "$1")
	sleep "$WINDOW"
	t1=$(now_ns); c1=$(cpu_ticks "$1")
	awk -v c=$((c1 - c0)) -v hz="$HZ" -v dt=$((t1 - t0)) -v rss="$(rss_kb "$1")" -v anon="$(anon_kb "$1")" \
		'BEGIN { printf "%.1f %.1f %.1f\n", 100 * c / hz / (dt / 1e9), rss / 1024, anon / 1024 }'
}

# scrape BASE PID -> "ms kB cpu_ms": median time of SCRAPES scrapes, size,
# CPU per scrape
scrape() {
	local c0 c1 i times=() size=0 t
	c0=$(cpu_ticks "$2")
	for ((i = 0; i < SCRAPES; i++)); do
		read -r t size <<<"$(curl -s -o /dev/null -w '%{time_total} %{size_download}' "http://127.0.0.1:$1/metrics")"
		times+=("$t")
	done
	c1=$(cpu_ticks "$2")
	printf '%s\n' "${times[@]}" | sort -n | awk -v n="$SCRAPES" -v sz="$size" -v c=$((c1 - c0)) -v hz="$HZ" \
		'{ a[NR] = $1 } END { printf "%.1f %.0f %.1f\n", a[int((n + 1) / 2)] * 1000, sz / 1000, 1000 * c / hz / n }'
}

# reload DAEMON BASE B KIND -> "ms cpu_ms": adds a frontend on BASE+1000
# and waits until it accepts. halo reloads in process (SIGHUP); haproxy
# reloads as it does without a master: a new process with -sf OLD, whose
# CPU until it serves is added to the old one's meanwhile. Sets MASTER to
# the process left running.
reload() {
	local d=$1 base=$2 n=$3 kind=$4 port=$(($2 + 1000)) c0 c1 t0 ms np=
	config "$base" "$n" "$kind" "frontend added\n    bind 127.0.0.1:$port\n    default_backend b1\n" >"$OUT/$d.cfg"
	c0=$(cpu_ticks "$MASTER")
	t0=$(now_ns)
	if [ "$d" = halo ]; then
		kill -HUP "$MASTER"
	else
		# not on this $(...)'s stdout, which would then wait for its end
		haproxy -db -f "$OUT/$d.cfg" -sf "$MASTER" >/dev/null 2>>"$OUT/haproxy.log" & np=$!
		echo "$np" >>"$OUT/pids" # a subshell: cleanup reads it there
	fi
	wait_port "$port" || { echo "scale.sh: $d did not serve the reloaded config" >&2; echo "- -"; return; }
	ms=$((($(now_ns) - t0) / 1000000))
	c1=$(cpu_ticks "$MASTER" 2>/dev/null || echo "$c0")
	[ -n "$np" ] && c1=$((c1 + $(cpu_ticks "$np")))
	echo "$ms $(awk -v c=$((c1 - c0)) -v hz="$HZ" 'BEGIN { printf "%.0f", 1000 * c / hz }') $np"
}

declare -A R
largest=0
for b in $SIZES; do [ "$b" -gt "$largest" ] && largest=$b; done
for kind in $KINDS; do
	for b in $SIZES; do
		for d in halo haproxy; do
			base=$HALO_BASE
			[ "$d" = haproxy ] && base=$HAP_BASE
			start "$d" "$base" "$b" "$kind"
			R[$d,$kind,$b,up]=$UP_MS
			read -r R[$d,$kind,$b,cpu] R[$d,$kind,$b,rss] R[$d,$kind,$b,anon] <<<"$(steady "$PID")"
			if [ "$b" = "$largest" ]; then
				read -r R[$d,$kind,scrape_ms] R[$d,$kind,scrape_kb] R[$d,$kind,scrape_cpu] <<<"$(scrape "$base" "$PID")"
				read -r R[$d,$kind,reload_ms] R[$d,$kind,reload_cpu] np <<<"$(reload "$d" "$base" "$b" "$kind")"
				if [ -n "$np" ]; then stop "$MASTER"; MASTER=$np; fi
			fi
			stop "$MASTER"
			echo "# $kind $((b * SERVERS)) servers $d: up ${R[$d,$kind,$b,up]} ms, cpu ${R[$d,$kind,$b,cpu]} %, rss ${R[$d,$kind,$b,rss]} MB (anon ${R[$d,$kind,$b,anon]})" >&2
		done
	done
done

printf '\n%-8s %-6s | %-25s | %-25s | %-25s | %-25s\n' "servers" "check" "listeners up ms" "CPU % of a core" "RSS MB" "of which anon MB"
printf '%-8s %-6s |' "" ""; for _ in 1 2 3 4; do printf ' %7s %8s %8s |' halo haproxy ratio; done; echo
for kind in $KINDS; do
	for b in $SIZES; do
		printf '%-8s %-6s |' $((b * SERVERS)) "$kind"
		for m in up cpu rss anon; do
			printf ' %7s %8s %8s |' "${R[halo,$kind,$b,$m]}" "${R[haproxy,$kind,$b,$m]}" "$(ratio "${R[halo,$kind,$b,$m]}" "${R[haproxy,$kind,$b,$m]}")"
		done
		echo
	done
done
printf '\nat %d servers %-22s %10s %10s %8s\n' $((largest * SERVERS)) "" halo haproxy ratio
for kind in $KINDS; do
	for m in reload_ms reload_cpu scrape_ms scrape_kb scrape_cpu; do
		case $m in
		reload_ms) label="reload: new config serves ms" ;;
		reload_cpu) label="reload: CPU ms" ;;
		scrape_ms) label="/metrics scrape ms (median)" ;;
		scrape_kb) label="/metrics size kB" ;;
		scrape_cpu) label="/metrics CPU ms per scrape" ;;
		esac
		printf '%-6s %-31s %10s %10s %8s\n' "$kind" "$label" "${R[halo,$kind,$m]}" "${R[haproxy,$kind,$m]}" \
			"$(ratio "${R[halo,$kind,$m]}" "${R[haproxy,$kind,$m]}")"
	done
done
echo "# reproduce: SIZES=\"$SIZES\" SERVERS=$SERVERS KINDS=\"$KINDS\" WINDOW=$WINDOW WARM=$WARM bash bench/scale.sh"
