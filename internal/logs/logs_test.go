package logs

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/halo-lb/halo/internal/config/haproxy"
	"github.com/halo-lb/halo/internal/proxy"
)

func parse(t *testing.T, text string) *haproxy.Config {
	t.Helper()
	cfg, diags := haproxy.Parse("t.cfg", []byte(text))
	if diags.HasErrors() {
		t.Fatalf("config: %v", diags)
	}
	return cfg
}

// collector is a syslog server: a unix datagram or UDP socket that keeps
// what arrives.
type collector struct {
	conn  net.PacketConn
	lines chan string
}

func collect(t *testing.T, network, addr string) *collector {
	t.Helper()
	pc, err := net.ListenPacket(network, addr)
	if err != nil {
		t.Fatal(err)
	}
	c := &collector{conn: pc, lines: make(chan string, 100)}
	go func() {
		buf := make([]byte, 65536)
		for {
			n, _, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			c.lines <- string(buf[:n])
		}
	}()
	t.Cleanup(func() { pc.Close() })
	return c
}

func (c *collector) next(t *testing.T) string {
	t.Helper()
	select {
	case l := <-c.lines:
		return l
	case <-time.After(3 * time.Second):
		t.Fatal("no log line arrived")
		return ""
	}
}

func (c *collector) none(t *testing.T) {
	t.Helper()
	select {
	case l := <-c.lines:
		t.Fatalf("unexpected log line %q", l)
	case <-time.After(200 * time.Millisecond):
	}
}

func discard() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func TestEventLinesGoToTheGlobalTargetsInSyslogFormat(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "log.sock")
	dev := collect(t, "unixgram", sock)
	udp := collect(t, "udp", "127.0.0.1:0")
	cfg := parse(t, fmt.Sprintf(`global
    log %s local0
    log udp@%s len 200 format rfc5424 local7 notice
    log-send-hostname lb1
`, sock, udp.conn.LocalAddr()))
	r := New(discard())
	r.Apply(cfg)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- r.Run(ctx) }()
	defer func() { cancel(); <-done }()

	log := slog.New(r.Handler(slog.NewTextHandler(io.Discard, nil)))
	log.Info("server is DOWN", "backend", "web", "server", "s1", "reason", "Layer4 connection problem")
	// local0 (16) × 8 + info (6) = 134; rfc3164 with the hostname and tag.
	want := regexp.MustCompile(`^<134>\w{3} [ \d]\d \d\d:\d\d:\d\d lb1 halo\[\d+\]: server is DOWN backend=web server=s1 reason="Layer4 connection problem"$`)
	if got := dev.next(t); !want.MatchString(got) {
		t.Fatalf("/dev/log line %q", got)
	}
	// The UDP target takes notice and above only: info is not sent, a
	// warning is (local7 = 23: 23×8+4 = 188), in RFC 5424.
	udp.none(t)
	log.Warn("reload refused", "err", "t.cfg:3: unknown keyword")
	got := udp.next(t)
	if !regexp.MustCompile(`^<188>1 \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}\S+ lb1 halo \d+ - - reload refused err="t.cfg:3: unknown keyword"$`).MatchString(got) {
		t.Fatalf("udp line %q", got)
	}
	dev.next(t) // the warning also went to /dev/log
	log.Warn(strings.Repeat("x", 400))
	if got := udp.next(t); len(got) != 200 {
		t.Fatalf("len 200 target got %d bytes", len(got))
	}
}

func TestTCPLogLineIsHAProxys(t *testing.T) {
	start := time.Date(2026, 12, 3, 7, 21, 26, 123e6, time.UTC)
	c := &proxy.ConnLog{
		Frontend: "main", Backend: "web", Server: "web1",
		Client: netip.MustParseAddrPort("192.0.2.10:54321"), Start: start,
		Tw: 0, Tc: 2 * time.Millisecond, Tt: 5012 * time.Millisecond, BytesOut: 1234,
		Term: [2]byte{'-', '-'}, ActConn: 3, FeConn: 2, BeConn: 2, SrvConn: 1,
	}
	want := "192.0.2.10:54321 [03/Dec/2026:07:21:26.123] main web/web1 0/2/5012 1234 -- 3/2/2/1/0 0/0"
	if got := FormatTCP(c); got != want {
		t.Fatalf("got  %q\nwant %q", got, want)
	}
	c = &proxy.ConnLog{Frontend: "main", Backend: "web", Client: netip.MustParseAddrPort("[::ffff:192.0.2.10]:1"),
		Start: start, Tw: -1, Tc: -1, Tt: 3 * time.Millisecond, Term: [2]byte{'S', 'C'}, Retries: 3}
	want = "192.0.2.10:1 [03/Dec/2026:07:21:26.123] main web/<NOSRV> -1/-1/3 0 SC 0/0/0/0/3 0/0"
	if got := FormatTCP(c); got != want {
		t.Fatalf("got  %q\nwant %q", got, want)
	}
	a := &proxy.ConnLog{Accept: true, Frontend: "main", Client: netip.MustParseAddrPort("192.0.2.10:5"), Local: netip.MustParseAddrPort("192.0.2.100:80")}
	if got := FormatConnect(a); got != "Connect from 192.0.2.10:5 to 192.0.2.100:80 (main/TCP)" {
		t.Fatalf("connect line %q", got)
	}
}

func TestConnectionRecordsReachTheFrontendsTargets(t *testing.T) {
	udp := collect(t, "udp", "127.0.0.1:0")
	cfg := parse(t, fmt.Sprintf(`global
    log %s local1
defaults
    mode tcp
    log global
    option tcplog
    timeout connect 1s
    timeout client 1s
    timeout server 1s
frontend main
    bind 127.0.0.1:1
    default_backend web
frontend quiet
    no log
    bind 127.0.0.1:2
    default_backend web
backend web
    server s1 192.0.2.1:80
`, udp.conn.LocalAddr()))
	r := New(discard())
	r.Apply(cfg)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- r.Run(ctx) }()
	defer func() { cancel(); <-done }()
	rec := func(fe string) *proxy.ConnLog {
		return &proxy.ConnLog{Frontend: fe, Backend: "web", Server: "s1", Client: netip.MustParseAddrPort("192.0.2.9:4000"),
			Start: time.Now(), Tt: time.Second, Term: [2]byte{'-', '-'}}
	}
	r.LogConn(rec("quiet"))
	r.LogConn(rec("main"))
	got := udp.next(t)
	if !strings.HasPrefix(got, "<142>") || !strings.Contains(got, "]: 192.0.2.9:4000 [") || !strings.Contains(got, " main web/s1 ") {
		t.Fatalf("connection line %q", got)
	}
	udp.none(t) // nothing from the frontend with `no log`
}

func TestUnreachableTargetIsCountedAndReportedOnce(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "nobody.sock")
	cfg := parse(t, "global\n    log "+sock+" local0\n")
	var report strings.Builder
	r := New(slog.New(slog.NewTextHandler(&lockedWriter{b: &report}, nil)))
	r.Apply(cfg)
	for i := 0; i < 5; i++ {
		r.Event(LevelInfo, time.Now(), "hello")
	}
	r.Apply(nil) // waits for the queue to be written
	if r.Dropped.Load() != 5 {
		t.Fatalf("dropped %d, want 5", r.Dropped.Load())
	}
	if n := strings.Count(report.String(), "log target unreachable"); n != 1 {
		t.Fatalf("reported %d times, want once:\n%s", n, report.String())
	}
}

type lockedWriter struct{ b *strings.Builder }

func (w *lockedWriter) Write(p []byte) (int, error) { return w.b.Write(p) }
