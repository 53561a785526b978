package e2e

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/halo-lb/halo/internal/drill"
	"github.com/halo-lb/halo/internal/testutil"
)

// statsPort is the port of the nodes' statistics listener.
const statsPort = 9000

// opsHAProxy is the pair's haproxy.cfg with what an operator adds: a stats
// socket at admin level, a user-level one, and a statistics listener.
func opsHAProxy(dir string, extra string) string {
	cfg := drill.HAProxy(frontPort, webPort)
	cfg = strings.Replace(cfg, "global\n", fmt.Sprintf("global\n    stats socket %s mode 600 level admin\n    stats socket %s mode 666 level user\n",
		filepath.Join(dir, "admin.sock"), filepath.Join(dir, "user.sock")), 1)
	return cfg + extra + fmt.Sprintf(`
listen stats
    mode http
    bind *:%d
    stats enable
    stats uri /stats
`, statsPort)
}

// socat runs `echo cmd | socat stdio unix-connect:PATH`, as operators do.
func socat(t *testing.T, path, cmd string) string {
	t.Helper()
	testutil.RequireTool(t, "socat")
	c := exec.Command("socat", "-t2", "stdio", "unix-connect:"+path)
	c.Stdin = strings.NewReader(cmd + "\n")
	out, err := c.CombinedOutput()
	if err != nil {
		t.Fatalf("socat %q: %v: %s", cmd, err, out)
	}
	return string(out)
}

// httpGet fetches a URL from inside host's namespace.
func httpGet(t *testing.T, h *drillHost, addr, path string) (int, string) {
	t.Helper()
	var conn net.Conn
	if err := h.Do(func() (err error) {
		conn, err = net.DialTimeout("tcp", addr, 2*time.Second)
		return err
	}); err != nil {
		t.Fatalf("GET %s%s: %v", addr, path, err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(5 * time.Second))
	fmt.Fprintf(conn, "GET %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n", path, addr)
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("GET %s%s: %v", addr, path, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

// The runtime API through socat, `halo status`, and /metrics parsed with
// the Prometheus text parser after a server goes DOWN, on the real binary
// in the seed's network.
func TestOperateANodeThroughItsSockets(t *testing.T) {
	s := newSite(t)
	if err := s.StartWebServers(webPort); err != nil {
		t.Fatal(err)
	}
	pair := drill.Pair{Version: 3, Advert: 100 * time.Millisecond}
	dir := filepath.Join(s.Dir, "ops")
	os.MkdirAll(dir, 0o755)
	n := startNode(t, s, 0, drill.NodeSpec{Kind: drill.Halo, Keepalived: pair.Keepalived(0), HAProxy: opsHAProxy(dir, "")})
	waitHolder(t, s, drill.VIP4, s.LB1, 5*time.Second)
	admin, user := filepath.Join(dir, "admin.sock"), filepath.Join(dir, "user.sock")

	// show stat: HAProxy's header, both servers UP.
	deadline := time.Now().Add(5 * time.Second)
	var csv string
	for time.Now().Before(deadline) {
		csv = socat(t, user, "show stat")
		if strings.Count(csv, ",UP,") >= 3 { // web1, web2, BACKEND
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if !strings.HasPrefix(csv, "# pxname,svname,qcur,qmax,") || !strings.Contains(csv, "web,web1,") || strings.Count(csv, ",UP,") < 3 {
		t.Fatalf("show stat:\n%s", csv)
	}
	if got := socat(t, user, "disable server web/web1"); got != "Permission denied\n\n" {
		t.Fatalf("user socket allowed a change: %q", got)
	}

	// halo status, and its failure when nothing runs.
	bin := testutil.HaloBinary(t)
	out, err := exec.Command(bin, "status", "--socket", filepath.Join(n.Dir(), "halo.sock")).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "OCP_EXT") || !strings.Contains(string(out), "MASTER") || !strings.Contains(string(out), "web1") {
		t.Fatalf("halo status: %v\n%s", err, out)
	}
	out, err = exec.Command(bin, "status", "--socket", filepath.Join(dir, "none.sock")).CombinedOutput()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 || !strings.HasPrefix(string(out), "halo is not running") {
		t.Fatalf("halo status without halo: %v %q", err, out)
	}

	// web1 stops answering: its check fails, /metrics says so.
	rule := s.Web1.Command(t.Context(), "nft", "-f", "-")
	rule.Stdin = strings.NewReader(fmt.Sprintf("table inet halo_test {\n chain in {\n  type filter hook input priority 0;\n  tcp dport %d reject with tcp reset\n }\n}\n", webPort))
	if out, err := rule.CombinedOutput(); err != nil {
		t.Fatalf("nft: %v: %s", err, out)
	}
	statsAddr := fmt.Sprintf("%s:%d", drill.Primary(s.LB1), statsPort)
	var fams map[string]*dto
	deadline = time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		code, body := httpGet(t, s.LB1, statsAddr, "/metrics")
		if code != 200 {
			t.Fatalf("/metrics: %d", code)
		}
		fams = parseMetrics(t, body)
		if value(fams, "haproxy_server_status", map[string]string{"proxy": "web", "server": "web1", "state": "DOWN"}) == 1 {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	checks := []struct {
		name   string
		labels map[string]string
		want   float64
	}{
		{"haproxy_server_status", map[string]string{"proxy": "web", "server": "web1", "state": "DOWN"}, 1},
		{"haproxy_server_status", map[string]string{"proxy": "web", "server": "web1", "state": "UP"}, 0},
		{"haproxy_server_status", map[string]string{"proxy": "web", "server": "web2", "state": "UP"}, 1},
		{"haproxy_backend_active_servers", map[string]string{"proxy": "web"}, 1},
		{"haproxy_backend_status", map[string]string{"proxy": "web", "state": "UP"}, 1},
		{"haproxy_server_check_up_down_total", map[string]string{"proxy": "web", "server": "web1"}, 1},
		{"keepalived_vrrp_state", map[string]string{"iname": "OCP_EXT", "intf": "eth0", "vrid": "51"}, 2},
	}
	for _, c := range checks {
		if got := value(fams, c.name, c.labels); got != c.want {
			t.Errorf("%s%v = %v, want %v", c.name, c.labels, got, c.want)
		}
	}
	if fams["haproxy_process_uptime_seconds"] == nil || fams["keepalived_advertisements_sent_total"] == nil {
		t.Errorf("process or VRRP families missing")
	}

	// Drain web2 over the admin socket: the check still runs, state says DRAIN.
	if got := socat(t, admin, "set server web/web2 state drain; show servers state web"); !strings.Contains(got, " web 2 web2 192.0.2.22 2 8 ") {
		t.Fatalf("drain:\n%s", got)
	}
}

type dto = struct {
	name    string
	samples []*model.Sample
}

func parseMetrics(t *testing.T, body string) map[string]*dto {
	t.Helper()
	p := expfmt.NewTextParser(model.UTF8Validation)
	mf, err := p.TextToMetricFamilies(strings.NewReader(body))
	if err != nil {
		t.Fatalf("/metrics does not parse: %v", err)
	}
	out := map[string]*dto{}
	for name, f := range mf {
		d := &dto{name: name}
		for _, m := range f.GetMetric() {
			lm := model.Metric{}
			for _, l := range m.GetLabel() {
				lm[model.LabelName(l.GetName())] = model.LabelValue(l.GetValue())
			}
			var v float64
			switch {
			case m.Gauge != nil:
				v = m.GetGauge().GetValue()
			case m.Counter != nil:
				v = m.GetCounter().GetValue()
			case m.Untyped != nil:
				v = m.GetUntyped().GetValue()
			}
			d.samples = append(d.samples, &model.Sample{Metric: lm, Value: model.SampleValue(v)})
		}
		out[name] = d
	}
	return out
}

// value is the sample of family name whose labels include labels; -1 when
// none.
func value(fams map[string]*dto, name string, labels map[string]string) float64 {
	f := fams[name]
	if f == nil {
		return -1
	}
next:
	for _, s := range f.samples {
		for k, v := range labels {
			if string(s.Metric[model.LabelName(k)]) != v {
				continue next
			}
		}
		return float64(s.Value)
	}
	return -1
}

// A reload that changes only the proxy leaves VRRP alone: the master keeps
// its VIP (the backup never takes it), clients through the VIP see no
// failure, and the new server takes traffic.
func TestProxyOnlyReloadKeepsTheVIP(t *testing.T) {
	s := newSite(t)
	if err := s.StartWebServers(webPort); err != nil {
		t.Fatal(err)
	}
	pair := drill.Pair{Version: 3, Advert: 100 * time.Millisecond}
	dir := filepath.Join(s.Dir, "ops")
	os.MkdirAll(dir, 0o755)
	lb1 := startNode(t, s, 0, drill.NodeSpec{Kind: drill.Halo, Keepalived: pair.Keepalived(0), HAProxy: opsHAProxy(dir, "")})
	haloNode(t, s, 1, pair)
	vip := drill.VIP4
	waitHolder(t, s, vip, s.LB1, 5*time.Second)
	before := socat(t, filepath.Join(dir, "user.sock"), "show status json")

	p := probe(t, s, vip)
	time.Sleep(300 * time.Millisecond)
	// Change the proxy only: balance roundrobin, and a second frontend.
	cfgPath := filepath.Join(lb1.Dir(), "haproxy.cfg")
	cfg := strings.Replace(opsHAProxy(dir, "\nfrontend alt\n    bind :::81 v4v6\n    default_backend web\n"), "balance source", "balance roundrobin", 1)
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	var hups []time.Time
	for i := 0; i < 3; i++ {
		hups = append(hups, time.Now())
		lb1.Signal(syscall.SIGHUP)
		stayHolder(t, s, vip, s.LB1, 700*time.Millisecond)
	}
	samples := p.stop()
	r := drill.Analyze(samples, time.Time{})
	if r.Lost > 0 {
		var lost []string
		for _, x := range samples {
			if !x.OK {
				lost = append(lost, x.At.Format("15:04:05.000"))
			}
		}
		t.Fatalf("clients saw failures during proxy-only reloads: %s; failed probes at %v, SIGHUPs at %v", r, lost, hups)
	}
	logs := lb1.Logs()
	if !strings.Contains(logs, "reload done") || strings.Contains(logs, "reload refused") {
		t.Fatalf("reload not applied:\n%s", tail(logs, 30))
	}
	after := socat(t, filepath.Join(dir, "user.sock"), "show status json")
	since := func(js string) string {
		i := strings.Index(js, `"since"`)
		if i < 0 {
			t.Fatalf("no since in status: %s", js)
		}
		return js[i : i+40]
	}
	if since(before) != since(after) {
		t.Fatalf("the instance changed state during the reloads: %s -> %s", since(before), since(after))
	}
	// The new frontend serves through the VIP.
	var conn net.Conn
	if err := s.Client.Do(func() (err error) {
		conn, err = net.DialTimeout("tcp", vip.String()+":81", 2*time.Second)
		return err
	}); err != nil {
		t.Fatalf("the frontend added by the reload: %v", err)
	}
	conn.Close()
}
