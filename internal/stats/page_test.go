package stats

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/halo-lb/halo/internal/config/haproxy"
)

// statsFrontend is a `listen stats` section bound to a free loopback port.
func statsFrontend(uri string, refresh time.Duration, auth ...string) *haproxy.Frontend {
	return &haproxy.Frontend{
		Name:  "stats",
		Mode:  haproxy.ModeHTTP,
		Binds: []haproxy.Bind{{Addr: "127.0.0.1:0"}},
		Stats: &haproxy.StatsPage{URI: uri, Refresh: refresh, Auth: auth},
	}
}

// serve runs a page on loopback until the test ends and returns its base
// URL ("http://127.0.0.1:port").
func serve(t *testing.T, fe *haproxy.Frontend) string {
	t.Helper()
	p := NewPage(fe, func() Snapshot { return DemoSnapshot(refNow) }, nil)
	if err := p.Listen(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- p.Serve(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Serve: %v", err)
			}
		case <-time.After(5 * time.Second):
			t.Error("Serve did not return after cancel")
		}
	})
	addrs := p.Addrs()
	if len(addrs) != 1 {
		t.Fatalf("Addrs() = %v, want one address", addrs)
	}
	return "http://" + addrs[0].String()
}

type reply struct {
	status int
	header http.Header
	body   string
}

func get(t *testing.T, url, user, pass string) reply {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if user != "" {
		req.SetBasicAuth(user, pass)
	}
	c := &http.Client{Timeout: 5 * time.Second}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return reply{resp.StatusCode, resp.Header, string(b)}
}

func TestHTMLPageShowsProxiesServersAndStatuses(t *testing.T) {
	base := serve(t, statsFrontend("/", 10*time.Second))
	r := get(t, base+"/", "", "")
	if r.status != http.StatusOK {
		t.Fatalf("status %d, want 200", r.status)
	}
	if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
		t.Errorf("Content-Type %q, want text/html", ct)
	}
	for _, want := range []string{
		">masters<", ">routers<", "<b>master-0</b>", "<b>spare</b>",
		"2m07s DOWN<", ">no check<", ">OPEN<", "9m00s DRAIN<", "3d04h MAINT<",
		`class="active_up"`, `class="active_down"`, `class="backup_no_check"`, `class="maintain"`,
		`<meta http-equiv="refresh" content="10">`, `href="/;csv"`,
	} {
		if !strings.Contains(r.body, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	if got := r.header.Get("Refresh"); got != "10" {
		t.Errorf("Refresh header %q, want 10", got)
	}
}

func TestRefreshIsLeftOutWhenUnsetOrRefused(t *testing.T) {
	tests := []struct {
		name    string
		refresh time.Duration
		path    string
	}{
		{"no stats refresh", 0, "/"},
		{"the ;norefresh option", 5 * time.Second, "/;norefresh"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			base := serve(t, statsFrontend("/", tt.refresh))
			r := get(t, base+tt.path, "", "")
			if r.status != http.StatusOK || strings.Contains(r.body, "http-equiv") || r.header.Get("Refresh") != "" {
				t.Errorf("status %d, Refresh %q, body has meta refresh: %v", r.status, r.header.Get("Refresh"), strings.Contains(r.body, "http-equiv"))
			}
		})
	}
}

func TestCSVIsServedAfterTheURI(t *testing.T) {
	var b strings.Builder
	legendless := AllStats
	legendless.HideLegends = true
	if err := WriteStatCSV(&b, DemoSnapshot(refNow), legendless); err != nil {
		t.Fatal(err)
	}
	want := b.String()
	tests := []struct{ name, uri, path string }{
		{"uri / with ;csv", "/", "/;csv"},
		{"uri / with ;csv;norefresh", "/", "/;csv;norefresh"},
		{"the default uri with ;csv", "", "/haproxy?stats;csv"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			base := serve(t, statsFrontend(tt.uri, 10*time.Second))
			r := get(t, base+tt.path, "", "")
			if r.status != http.StatusOK || r.header.Get("Content-Type") != "text/plain" {
				t.Fatalf("status %d, Content-Type %q", r.status, r.header.Get("Content-Type"))
			}
			if r.body != want {
				t.Errorf("body:\n%s\nwant:\n%s", r.body, want)
			}
		})
	}
}

func TestOtherPathsAreNotFound(t *testing.T) {
	base := serve(t, statsFrontend("", 0))
	tests := []struct {
		path string
		want int
	}{
		{"/haproxy?stats", http.StatusOK},
		{"/", http.StatusNotFound},
		{"/haproxy", http.StatusNotFound},
		{"/other?stats", http.StatusNotFound},
		{"/favicon.ico", http.StatusNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.path+" answers "+http.StatusText(tt.want), func(t *testing.T) {
			if r := get(t, base+tt.path, "", ""); r.status != tt.want {
				t.Errorf("status %d, want %d", r.status, tt.want)
			}
		})
	}
}

func TestStatsAuthRequiresBasicCredentials(t *testing.T) {
	base := serve(t, statsFrontend("/stats", 0, "admin:secret", "ops:pa:ss"))
	tests := []struct {
		name, user, pass string
		want             int
	}{
		{"no credentials are refused", "", "", http.StatusUnauthorized},
		{"the right credentials are accepted", "admin", "secret", http.StatusOK},
		{"a second entry with a colon in the password is accepted", "ops", "pa:ss", http.StatusOK},
		{"a wrong password is refused", "admin", "wrong", http.StatusUnauthorized},
		{"a password of another user is refused", "admin", "pa:ss", http.StatusUnauthorized},
		{"an unknown user is refused", "root", "secret", http.StatusUnauthorized},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := get(t, base+"/stats", tt.user, tt.pass)
			if r.status != tt.want {
				t.Fatalf("status %d, want %d", r.status, tt.want)
			}
			if tt.want == http.StatusUnauthorized {
				if got := r.header.Get("WWW-Authenticate"); got != `Basic realm="HAProxy Statistics"` {
					t.Errorf("WWW-Authenticate %q", got)
				}
			}
		})
	}
}

func TestOnlyGetAndHeadAreAnswered(t *testing.T) {
	p := NewPage(statsFrontend("/", 0), nil, nil)
	for _, tt := range []struct {
		method string
		want   int
	}{{http.MethodGet, 200}, {http.MethodHead, 200}, {http.MethodPost, 405}} {
		w := httptest.NewRecorder()
		p.ServeHTTP(w, httptest.NewRequest(tt.method, "/", nil))
		if w.Code != tt.want {
			t.Errorf("%s: status %d, want %d", tt.method, w.Code, tt.want)
		}
	}
}

func TestServeReturnsAfterCancel(t *testing.T) {
	p := NewPage(statsFrontend("/", 0), func() Snapshot { return Snapshot{} }, nil)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- p.Serve(ctx) }() // Serve listens itself
	deadline := time.Now().Add(5 * time.Second)
	for len(p.Addrs()) == 0 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if len(p.Addrs()) == 0 {
		cancel()
		<-done
		t.Fatal("Serve did not listen")
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Serve = %v, want nil", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Serve did not return within 5 s of cancel")
	}
	c := &http.Client{Timeout: time.Second}
	if resp, err := c.Get("http://" + p.Addrs()[0].String() + "/"); err == nil {
		resp.Body.Close()
		t.Error("the listener still answers after Serve returned")
	}
}

func TestListenFailsWithoutKeepingAnyBind(t *testing.T) {
	first := NewPage(statsFrontend("/", 0), nil, nil)
	if err := first.Listen(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { first.Close() })
	taken := first.Addrs()[0].String()
	for _, tt := range []struct{ name, bad string }{
		{"an address in use fails the whole Listen", taken},
		{"an unparsable address fails the whole Listen", "bad-address"},
	} {
		bad := tt.bad
		t.Run(tt.name, func(t *testing.T) {
			fe := statsFrontend("/", 0)
			fe.Binds = append(fe.Binds, haproxy.Bind{Addr: bad})
			p := NewPage(fe, nil, nil)
			err := p.Listen()
			t.Cleanup(func() { p.Close() })
			if err == nil || !strings.Contains(err.Error(), "bind \""+bad+"\"") {
				t.Errorf("Listen = %v, want an error naming the bind", err)
			}
			if len(p.Addrs()) != 0 {
				t.Errorf("Addrs() = %v after a failed Listen", p.Addrs())
			}
		})
	}
}

func TestListenBindsEveryAddressForm(t *testing.T) {
	tests := []struct {
		name string
		bind haproxy.Bind
		dial string // host to dial on the bound port
	}{
		{"an IPv4 address", haproxy.Bind{Addr: "127.0.0.1:0"}, "127.0.0.1"},
		{"an IPv4 address with freebind", haproxy.Bind{Addr: "127.0.0.1:0", FreeBind: true}, "127.0.0.1"},
		{"an IPv6 address", haproxy.Bind{Addr: "[::1]:0", FreeBind: true}, "::1"},
		{"an IPv6 address with v6only", haproxy.Bind{Addr: "[::1]:0", V6Only: true}, "::1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if strings.Contains(tt.dial, ":") {
				if ln, err := net.Listen("tcp6", "[::1]:0"); err != nil {
					t.Skipf("no IPv6 loopback: %v", err)
				} else {
					ln.Close()
				}
			}
			fe := statsFrontend("/", 0)
			fe.Binds = []haproxy.Bind{tt.bind}
			p := NewPage(fe, nil, nil)
			if err := p.Listen(); err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			go func() { done <- p.Serve(ctx) }()
			t.Cleanup(func() { cancel(); <-done })
			port := p.Addrs()[0].(*net.TCPAddr).Port
			url := "http://" + net.JoinHostPort(tt.dial, strconv.Itoa(port)) + "/"
			if r := get(t, url, "", ""); r.status != http.StatusOK {
				t.Errorf("status %d", r.status)
			}
		})
	}
}
