package e2e

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/halo-lb/halo/internal/config/haproxy"
	"github.com/halo-lb/halo/internal/ctl"
	"github.com/halo-lb/halo/internal/drill"
	"github.com/halo-lb/halo/internal/netlab"
	"github.com/halo-lb/halo/internal/testutil"
)

// isolate points the host paths of a haproxy.cfg (stats sockets, pid
// file, server state file) into dir, so that running a published config in
// a test touches nothing of the machine's.
func isolate(cfg, dir string) string {
	n := 0
	sock := regexp.MustCompile(`(?m)^(\s*stats\s+socket\s+)(?:unix@)?(/\S+)`)
	cfg = sock.ReplaceAllStringFunc(cfg, func(m string) string {
		n++
		g := sock.FindStringSubmatch(m)
		return g[1] + filepath.Join(dir, fmt.Sprintf("stats-%d.sock", n))
	})
	cfg = regexp.MustCompile(`(?m)^(\s*pidfile\s+)\S+`).ReplaceAllString(cfg, "${1}"+filepath.Join(dir, "halo.pid"))
	cfg = regexp.MustCompile(`(?m)^(\s*server-state-file\s+)\S+`).ReplaceAllString(cfg, "${1}"+filepath.Join(dir, "server-state"))
	cfg = regexp.MustCompile(`(?m)^(\s*server-state-base\s+)\S+`).ReplaceAllString(cfg, "${1}"+dir)
	return cfg
}

// generatedConfigs are bind forms HAProxy runs that once passed `check`
// and failed `run`, or are easy to get wrong.
var generatedConfigs = map[string]string{
	"dual-stack binds on one port": `
frontend f
    bind 0.0.0.0:7001
    bind :::7001
    default_backend b
`,
	"v4v6 and v6only": `
frontend f
    bind :::7002 v4v6
    bind :::7003 v6only
    default_backend b
`,
	"port range and ipv4@": `
frontend f
    bind ipv4@:7004-7006
    default_backend b
`,
	"listen with stats, monitor and the exporter": `
listen stats
    mode http
    bind :7007
    stats enable
    stats uri /stats
frontend health
    mode http
    bind :7008
    monitor-uri /healthz
    monitor fail if { nbsrv(b) lt 1 }
frontend prom
    mode http
    bind :7009
    http-request use-service prometheus-exporter if { path /metrics }
`,
	"a VIP that is not on the host": `
frontend f
    bind 192.0.2.200:7010
    default_backend b
`,
}

const generatedHeader = `global
    maxconn 1000
    stats socket /run/halo-test/admin.sock level admin
defaults
    mode tcp
    timeout connect 1s
    timeout client 10s
    timeout server 10s
backend b
    server s1 192.0.2.21:80 check
`

// `halo check` accepting a file means `halo run` starts it: every config
// of the repository that check accepts, and the generated ones, starts in
// a namespace of its own, listens on every bind, and stops cleanly.
func TestCheckPredictsRun(t *testing.T) {
	testutil.RequireRoot(t)
	bin := testutil.HaloBinary(t)
	files, _ := filepath.Glob("../examples/*/*.cfg")
	golden, _ := filepath.Glob("../internal/config/haproxy/testdata/*.cfg")
	files = append(files, golden...)
	type config struct{ name, text string }
	var configs []config
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		configs = append(configs, config{f, string(b)})
	}
	for name, body := range generatedConfigs {
		configs = append(configs, config{"generated: " + name, generatedHeader + body})
	}
	started := 0
	for i, c := range configs {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "haproxy.cfg")
			if err := os.WriteFile(path, []byte(isolate(c.text, dir)), 0o644); err != nil {
				t.Fatal(err)
			}
			out, err := exec.Command(bin, "check", "--no-resolve", "-f", path).CombinedOutput()
			if err != nil {
				if strings.HasPrefix(c.name, "generated: ") {
					t.Fatalf("halo check refused a form HAProxy runs:\n%s", out)
				}
				return // a file written to fail check
			}
			started++
			cfg, diags := haproxy.Load(path)
			if diags.HasErrors() {
				t.Fatalf("check passed but Load failed: %v", diags)
			}
			lab, err := netlab.New(fmt.Sprintf("halo-chk%d", i))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { lab.Close() })
			h, err := lab.AddHost("lb", "198.51.100.1/24", "2001:db8::1/64")
			if err != nil {
				t.Fatal(err)
			}
			s := &drill.Site{Lab: lab, Dir: dir}
			n, err := s.Start(h, drill.NodeSpec{Kind: drill.Halo, HaloBinary: bin, HAProxy: isolate(c.text, dir)})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() {
				n.Stop(3 * time.Second)
				if t.Failed() {
					t.Logf("halo log:\n%s", tail(n.Logs(), 30))
				}
			})
			// Ready: the control socket answers once every socket is open.
			deadline := time.Now().Add(5 * time.Second)
			for {
				ctx, cancel := context.WithTimeout(context.Background(), time.Second)
				_, err := ctl.Query(ctx, filepath.Join(n.Dir(), "halo.sock"), "show info")
				cancel()
				if err == nil {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("halo is not ready: %v", err)
				}
				time.Sleep(50 * time.Millisecond)
			}
			for _, fe := range cfg.Frontends {
				for _, b := range fe.Binds {
					waitListening(t, h, b.Addr, b.V6Only)
				}
			}
			n.Signal(syscall.SIGTERM)
			if !n.Wait(10 * time.Second) {
				t.Fatal("halo did not stop within 10 s of SIGTERM")
			}
			if code := n.ExitCodes(); code[0] != 0 {
				t.Fatalf("exit code %v after SIGTERM, want 0", code)
			}
		})
	}
	if started < len(generatedConfigs)+2 {
		t.Fatalf("only %d configs were started", started)
	}
}

// waitListening dials a bind address ("host:port", host "" or "::" or
// "0.0.0.0" meaning any) from inside h.
func waitListening(t *testing.T, h *netlab.Host, addr string, v6only bool) {
	t.Helper()
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatalf("bind %q: %v", addr, err)
	}
	if _, err := strconv.Atoi(port); err != nil {
		t.Fatalf("bind %q: port %q", addr, port)
	}
	target := "127.0.0.1"
	if a, err := netip.ParseAddr(host); err == nil && !a.IsUnspecified() {
		target = a.String()
	} else if v6only {
		target = "::1"
	}
	if ip, _ := netip.ParseAddr(target); ip.IsValid() && !isLocal(t, h, ip) {
		return // a VIP not on this host: halo binds it (freebind) but it cannot be dialled here
	}
	dst := net.JoinHostPort(target, port)
	var last error
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		last = h.Do(func() error {
			c, err := net.DialTimeout("tcp", dst, time.Second)
			if err == nil {
				c.Close()
			}
			return err
		})
		if last == nil {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Errorf("nothing listens on %s (bind %s): %v", dst, addr, last)
}

func isLocal(t *testing.T, h *netlab.Host, ip netip.Addr) bool {
	if ip.IsLoopback() {
		return true
	}
	addrs, err := h.Addrs("eth0")
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range addrs {
		if p.Addr() == ip {
			return true
		}
	}
	return false
}
