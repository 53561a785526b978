package health

import (
	"bufio"
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/halo-lb/halo/internal/config/haproxy"
)

// outcome is the part of a Result a test can predict.
type outcome struct {
	OK     bool
	Code   Code
	Reason string
}

func probeOnce(t *testing.T, b *haproxy.Backend, s *haproxy.Server) outcome {
	t.Helper()
	r, _ := newProber(b, s).probe(context.Background())
	return outcome{r.OK, r.Code, r.Reason}
}

// probeBoth is probeOnce, and when the check can run on the scheduler's
// event loop, the same check run there: the two must agree.
func probeBoth(t *testing.T, b *haproxy.Backend, s *haproxy.Server) outcome {
	t.Helper()
	want := probeOnce(t, b, s)
	if !newProber(b, s).onLoop {
		return want
	}
	if got := loopProbe(t, b, s); got != want {
		t.Errorf("on the event loop: %+v; blocking: %+v", got, want)
	}
	return want
}

// loopProbe runs the check of s on a Scheduler until its first result.
func loopProbe(t *testing.T, b *haproxy.Backend, s *haproxy.Server) outcome {
	t.Helper()
	c := NewChecker(b, s, nil, nil)
	sched := NewScheduler(nil)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- sched.Run(ctx) }()
	sched.Add(c)
	waitFor(t, "a probe on the event loop", func() bool { return c.Status().Checks >= 1 })
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Scheduler.Run: %v", err)
	}
	r := c.Status().Last
	return outcome{r.OK, r.Code, r.Reason}
}

func TestConnectProbe(t *testing.T) {
	tests := []struct {
		name string
		port func(t *testing.T) int
		want outcome
	}{
		{"a listening server passes", func(t *testing.T) int { return serve(t, accept).port },
			outcome{true, CodeL4OK, "Layer4 check passed"}},
		{"a closed port is refused", closedPort,
			outcome{false, CodeL4Con, "Layer4 connection problem: connection refused"}},
		{"a server that never answers the connect times out", blackholePort,
			outcome{false, CodeL4Timeout, "Layer4 timeout"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, s := newBackend(haproxy.CheckTCP, tt.port(t))
			if expectsTimeout(tt.want.Code) {
				s.Inter = shortTimeout
			}
			if diff := cmp.Diff(tt.want, probeBoth(t, b, s)); diff != "" {
				t.Errorf("probe (-want +got):\n%s", diff)
			}
		})
	}
}

func TestTCPCheckProbe(t *testing.T) {
	send := func(d string) haproxy.TCPCheckStep { return haproxy.TCPCheckStep{Action: "send", Data: d} }
	expect := func(d string) haproxy.TCPCheckStep { return haproxy.TCPCheckStep{Action: "expect", Data: d} }
	rexpect := func(d string) haproxy.TCPCheckStep {
		return haproxy.TCPCheckStep{Action: "expect", Data: d, Regex: true}
	}
	nexpect := func(d string) haproxy.TCPCheckStep {
		return haproxy.TCPCheckStep{Action: "expect", Data: d, Negate: true}
	}
	// redis answers PING with +PONG and a role line to INFO, like the
	// classic tcp-check example.
	redis := func(c net.Conn) {
		r := bufio.NewReader(c)
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				return
			}
			switch strings.TrimSpace(line) {
			case "PING":
				c.Write([]byte("+PONG\r\n"))
			case "INFO replication":
				c.Write([]byte("$30\r\n# Replication\r\nrole:master\r\n"))
			case "QUIT":
				c.Write([]byte("+OK\r\n"))
				return
			}
		}
	}
	tests := []struct {
		name    string
		handler func(net.Conn)
		steps   []haproxy.TCPCheckStep
		want    outcome
	}{
		{"no rules is a connect check", accept, nil,
			outcome{true, CodeL4OK, "Layer4 check passed"}},
		{"a send and expect sequence passes", redis,
			[]haproxy.TCPCheckStep{send("PING\r\n"), expect("+PONG"), send("INFO replication\r\n"), expect("role:master"), send("QUIT\r\n"), expect("+OK")},
			outcome{true, CodeL7OK, "Layer7 check passed: (tcp-check)"}},
		{"an explicit connect rule is accepted", redis,
			[]haproxy.TCPCheckStep{{Action: "connect"}, send("PING\r\n"), expect("+PONG")},
			outcome{true, CodeL7OK, "Layer7 check passed: (tcp-check)"}},
		{"a banner is expected without sending", replyOpen("220 mail ESMTP ready\r\n"),
			[]haproxy.TCPCheckStep{expect("220 ")},
			outcome{true, CodeL7OK, "Layer7 check passed: (tcp-check)"}},
		{"a mismatch is reported when the server closes", reply("+LOADING\r\n"),
			[]haproxy.TCPCheckStep{send("PING\r\n"), expect("+PONG")},
			outcome{false, CodeL7Rsp, "Layer7 invalid response: TCPCHK did not match content '+PONG' at step 2"}},
		{"a mismatch times out while the server stays silent", replyOpen("+LOADING\r\n"),
			[]haproxy.TCPCheckStep{send("PING\r\n"), expect("+PONG")},
			outcome{false, CodeL7Timeout, "Layer7 timeout: at step 2 of tcp-check (expect content '+PONG')"}},
		{"an rstring matches a regular expression", redis,
			[]haproxy.TCPCheckStep{send("INFO replication\r\n"), rexpect(`role:(master|slave)\r\n`)},
			outcome{true, CodeL7OK, "Layer7 check passed: (tcp-check)"}},
		{"an rstring that does not match fails", reply("role:unknown\r\n"),
			[]haproxy.TCPCheckStep{rexpect(`role:(master|slave)`)},
			outcome{false, CodeL7Rsp, "Layer7 invalid response: TCPCHK did not match content (regex) 'role:(master|slave)' at step 1"}},
		{"a negated expect fails on the unwanted string", reply("-ERR busy\r\n"),
			[]haproxy.TCPCheckStep{nexpect("-ERR")},
			outcome{false, CodeL7Rsp, "Layer7 invalid response: TCPCHK matched unwanted content '-ERR' at step 1"}},
		{"a negated expect passes once the server closed without it", reply("+OK\r\n"),
			[]haproxy.TCPCheckStep{nexpect("-ERR")},
			outcome{true, CodeL7OK, "Layer7 check passed: (tcp-check)"}},
		{"an empty answer fails", accept,
			[]haproxy.TCPCheckStep{send("PING\r\n"), expect("+PONG")},
			outcome{false, CodeL7Rsp, "Layer7 invalid response: TCPCHK got an empty response at step 2"}},
		{"an invalid regex cannot run", accept,
			[]haproxy.TCPCheckStep{rexpect(`(`)},
			outcome{false, CodeSockErr, "Socket error: tcp-check rule 1: invalid regex \"(\": error parsing regexp: missing closing ): `(`"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, s := newBackend(haproxy.CheckSeq, serve(t, tt.handler).port)
			if expectsTimeout(tt.want.Code) {
				s.Inter = shortTimeout
			}
			b.Check.Steps = tt.steps
			if diff := cmp.Diff(tt.want, probeBoth(t, b, s)); diff != "" {
				t.Errorf("probe (-want +got):\n%s", diff)
			}
		})
	}
}

func TestTCPCheckConnectPort(t *testing.T) {
	banner := serve(t, replyOpen("SSH-2.0-test\r\n"))
	b, s := newBackend(haproxy.CheckSeq, closedPort(t))
	b.Check.Steps = []haproxy.TCPCheckStep{
		{Action: "connect", Port: banner.port},
		{Action: "expect", Data: "SSH-2.0"},
	}
	want := outcome{true, CodeL7OK, "Layer7 check passed: (tcp-check)"}
	if diff := cmp.Diff(want, probeBoth(t, b, s)); diff != "" {
		t.Errorf("probe (-want +got):\n%s", diff)
	}
}

// httpServer answers every request with status and records the request
// head it received.
func httpServer(t *testing.T, status string, got chan<- string) *testServer {
	return serve(t, func(c net.Conn) {
		r := bufio.NewReader(c)
		var head strings.Builder
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				return
			}
			head.WriteString(line)
			if line == "\r\n" {
				break
			}
		}
		if got != nil {
			got <- head.String()
		}
		c.Write([]byte("HTTP/1.1 " + status + "\r\nContent-Length: 0\r\n\r\n"))
	})
}

func TestHTTPCheckProbe(t *testing.T) {
	tests := []struct {
		name    string
		handler func(t *testing.T) *testServer
		expect  int
		want    outcome
	}{
		{"a 200 passes", func(t *testing.T) *testServer { return httpServer(t, "200 OK", nil) }, 0,
			outcome{true, CodeL7OK, "Layer7 check passed: 200 OK"}},
		{"a redirect passes", func(t *testing.T) *testServer { return httpServer(t, "302 Found", nil) }, 0,
			outcome{true, CodeL7OK, "Layer7 check passed: 302 Found"}},
		{"a 503 fails", func(t *testing.T) *testServer { return httpServer(t, "503 Service Unavailable", nil) }, 0,
			outcome{false, CodeL7Status, "Layer7 wrong status: 503 Service Unavailable"}},
		{"a 200 fails when 204 is expected", func(t *testing.T) *testServer { return httpServer(t, "200 OK", nil) }, 204,
			outcome{false, CodeL7Status, "Layer7 wrong status: 200 OK"}},
		{"a 204 passes when 204 is expected", func(t *testing.T) *testServer { return httpServer(t, "204 No Content", nil) }, 204,
			outcome{true, CodeL7OK, "Layer7 check passed: 204 No Content"}},
		{"a silent server times out", func(t *testing.T) *testServer { return serve(t, silent) }, 0,
			outcome{false, CodeL7Timeout, "Layer7 timeout"}},
		{"a server that is not HTTP fails", func(t *testing.T) *testServer { return serve(t, reply("SSH-2.0-x\r\n")) }, 0,
			outcome{false, CodeL7Rsp, "Layer7 invalid response: invalid status line \"SSH-2.0-x\""}},
		{"a server that closes at once fails", func(t *testing.T) *testServer { return serve(t, accept) }, 0,
			outcome{false, CodeL7Rsp, "Layer7 invalid response: empty response"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, s := newBackend(haproxy.CheckHTTP, tt.handler(t).port)
			if expectsTimeout(tt.want.Code) {
				s.Inter = shortTimeout
			}
			if tt.expect != 0 {
				b.Check.HTTP.Rules = expectRules(&haproxy.HTTPExpect{Match: haproxy.ExpectStatus, Codes: []haproxy.CodeRange{{Lo: tt.expect, Hi: tt.expect}}})
			}
			if diff := cmp.Diff(tt.want, probeBoth(t, b, s)); diff != "" {
				t.Errorf("probe (-want +got):\n%s", diff)
			}
		})
	}
}

func TestHTTPCheckRequest(t *testing.T) {
	tests := []struct {
		name string
		http haproxy.HTTPCheck
		want string
	}{
		{"the defaults send OPTIONS / HTTP/1.0", haproxy.HTTPCheck{}, "OPTIONS / HTTP/1.0\r\n\r\n"},
		{"a method, URI, version and host are sent as configured, with Connection: close for HTTP/1.1",
			haproxy.HTTPCheck{Method: "GET", URI: "/healthz", Version: "HTTP/1.1", Headers: []haproxy.Header{{Name: "Host", Value: "api.example.com"}}},
			"GET /healthz HTTP/1.1\r\nHost: api.example.com\r\nConnection: close\r\n\r\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := make(chan string, 1)
			b, s := newBackend(haproxy.CheckHTTP, httpServer(t, "200 OK", got).port)
			b.Check.HTTP = tt.http
			if r := probeOnce(t, b, s); !r.OK {
				t.Fatalf("probe failed: %s", r.Reason)
			}
			if diff := cmp.Diff(tt.want, <-got); diff != "" {
				t.Errorf("request (-want +got):\n%s", diff)
			}
		})
	}
}

func TestCheckSSLProbe(t *testing.T) {
	ts := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/healthz" {
			http.NotFound(w, r)
			return
		}
		w.Write([]byte("ok"))
	}))
	t.Cleanup(ts.Close)
	tlsPort := ts.Listener.Addr().(*net.TCPAddr).Port

	tests := []struct {
		name string
		kind haproxy.CheckKind
		port func(t *testing.T) int
		uri  string
		want outcome
	}{
		{"an https health endpoint passes", haproxy.CheckHTTP, func(*testing.T) int { return tlsPort }, "/healthz",
			outcome{true, CodeL7OK, "Layer7 check passed: 200 OK"}},
		{"an https 404 fails", haproxy.CheckHTTP, func(*testing.T) int { return tlsPort }, "/nothere",
			outcome{false, CodeL7Status, "Layer7 wrong status: 404 Not Found"}},
		{"a TLS connect check passes on the handshake", haproxy.CheckTCP, func(*testing.T) int { return tlsPort }, "",
			outcome{true, CodeL6OK, "Layer6 check passed"}},
		{"a server that never answers the handshake times out", haproxy.CheckTCP,
			func(t *testing.T) int { return serve(t, silent).port }, "",
			outcome{false, CodeL6Timeout, "Layer6 timeout"}},
		{"a server that is not TLS fails the handshake", haproxy.CheckTCP,
			func(t *testing.T) int { return serve(t, reply("HTTP/1.0 400 Bad Request\r\n\r\n")).port }, "",
			outcome{false, CodeL6Rsp, "Layer6 invalid response: SSL handshake failure: tls: first record does not look like a TLS handshake"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, s := newBackend(tt.kind, tt.port(t))
			if expectsTimeout(tt.want.Code) {
				s.Inter = shortTimeout
			}
			s.CheckSSL = true
			b.Check.HTTP = haproxy.HTTPCheck{Method: "GET", URI: tt.uri}
			if diff := cmp.Diff(tt.want, probeOnce(t, b, s)); diff != "" {
				t.Errorf("probe (-want +got):\n%s", diff)
			}
		})
	}
}

func TestProbeTimeouts(t *testing.T) {
	tests := []struct {
		name                  string
		inter, connect, check time.Duration
		wantConnect, wantRead time.Duration
	}{
		{"without timeout check the whole check fits in inter", 2 * time.Second, 5 * time.Second, 0, 2 * time.Second, 0},
		{"with timeout check connect takes the smaller of inter and timeout connect", 2 * time.Second, time.Second, 3 * time.Second, time.Second, 3 * time.Second},
		{"a long timeout connect is capped by inter", 2 * time.Second, 10 * time.Second, 3 * time.Second, 2 * time.Second, 3 * time.Second},
		{"no timeout connect means inter", 2 * time.Second, 0, 3 * time.Second, 2 * time.Second, 3 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, s := newBackend(haproxy.CheckTCP, 1)
			s.Inter = tt.inter
			b.Timeouts.Connect, b.Timeouts.Check = tt.connect, tt.check
			c, r := newProber(b, s).timeouts()
			if c != tt.wantConnect || r != tt.wantRead {
				t.Errorf("timeouts() = %v, %v; want %v, %v", c, r, tt.wantConnect, tt.wantRead)
			}
		})
	}
}

func TestTimeoutCheckExtendsTheRead(t *testing.T) {
	// The server answers after 80 ms: too late for inter 50 ms alone, in
	// time once `timeout check 300ms` applies after the connect.
	slow := serve(t, func(c net.Conn) {
		time.Sleep(80 * time.Millisecond)
		c.Write([]byte("HTTP/1.0 200 OK\r\n\r\n"))
	})
	b, s := newBackend(haproxy.CheckHTTP, slow.port)
	s.Inter = shortTimeout
	if r := probeBoth(t, b, s); r.Code != CodeL7Timeout {
		t.Errorf("without timeout check: %+v, want a Layer7 timeout", r)
	}
	b.Timeouts.Check = 300 * time.Millisecond
	if r := probeBoth(t, b, s); !r.OK {
		t.Errorf("with timeout check: %+v, want a pass", r)
	}
}
