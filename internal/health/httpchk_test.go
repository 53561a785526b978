package health

import (
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/halo-lb/halo/internal/config/haproxy"
)

// expectRules is the sequence connect, send (the HTTPCheck's request),
// then the given expect rules.
func expectRules(es ...*haproxy.HTTPExpect) []haproxy.HTTPCheckRule {
	rules := haproxy.HTTPCheck{}.Sequence()[:2]
	for _, e := range es {
		rules = append(rules, haproxy.HTTPCheckRule{Line: 1, Expect: e})
	}
	return rules
}

// rulesFrom parses an haproxy.cfg backend's http-check lines the way halo
// reads them, so that tests run exactly what a configuration says.
func rulesFrom(t *testing.T, lines string, port int) (*haproxy.Backend, *haproxy.Server) {
	t.Helper()
	text := fmt.Sprintf("defaults\n    mode tcp\n    timeout connect 1s\n    timeout server 1s\nbackend be\n    option httpchk\n%s    server s1 127.0.0.1:%d check inter 1s\n", lines, port)
	cfg, diags := haproxy.Parse("t.cfg", []byte(text))
	if cfg == nil {
		t.Fatalf("parse: %v", diags)
	}
	return cfg.Backends[0], cfg.Backends[0].Servers[0]
}

// appServer is a real net/http server: /healthz answers "ok", /status
// answers a JSON body with chunked encoding, /error answers 500 with a
// stack trace; it records the requests it got.
func appServer(t *testing.T, tlsOn bool) (port int, reqs func() []*http.Request) {
	t.Helper()
	var mu sync.Mutex
	var got []*http.Request
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(strings.NewReader(string(body)))
		mu.Lock()
		got = append(got, r)
		mu.Unlock()
		switch r.URL.Path {
		case "/healthz":
			io.WriteString(w, "ok")
		case "/status":
			w.(http.Flusher).Flush() // no Content-Length: chunked
			io.WriteString(w, `{"status":"ready",`)
			w.(http.Flusher).Flush()
			io.WriteString(w, `"db":"up"}`)
		case "/echo":
			w.Write(body)
		case "/error":
			w.WriteHeader(500)
			io.WriteString(w, "panic: SQL Error at line 3")
		default:
			http.NotFound(w, r)
		}
	})
	var ts *httptest.Server
	if tlsOn {
		ts = httptest.NewUnstartedServer(h)
		ts.TLS = &tls.Config{NextProtos: []string{"h2", "http/1.1"}}
		ts.StartTLS()
	} else {
		ts = httptest.NewServer(h)
	}
	t.Cleanup(ts.Close)
	return ts.Listener.Addr().(*net.TCPAddr).Port, func() []*http.Request {
		mu.Lock()
		defer mu.Unlock()
		return append([]*http.Request(nil), got...)
	}
}

func TestHTTPCheckRules(t *testing.T) {
	tests := []struct {
		name  string
		tls   bool
		lines string
		want  outcome
	}{
		{"the kubeadm guide's check passes over TLS", true,
			"    http-check connect ssl\n    http-check send meth GET uri /healthz\n    http-check expect status 200\n",
			outcome{true, CodeL7OK, "Layer7 check passed: 200 OK"}},
		{"a TLS check of a plain server fails the handshake", false,
			"    http-check connect ssl\n    http-check send meth GET uri /healthz\n",
			outcome{false, CodeL6Rsp, "Layer6 invalid response: SSL handshake failure: tls: first record does not look like a TLS handshake at step 1 of http-check (connect)"}},
		{"expect string finds the body", false,
			"    http-check send meth GET uri /healthz\n    http-check expect string ok\n",
			outcome{true, CodeL7OK, "Layer7 check passed: 200 OK"}},
		{"expect string reads a chunked body to its end", false,
			"    http-check send meth GET uri /status\n    http-check expect string '\"db\":\"up\"'\n",
			outcome{true, CodeL7OK, "Layer7 check passed: 200 OK"}},
		{"expect string fails without the text", false,
			"    http-check send meth GET uri /healthz\n    http-check expect string ready\n",
			outcome{false, CodeL7Rsp, "Layer7 invalid response: HTTP content check did not match 'ready' (status 200 OK)"}},
		{"! status 500 fails on a 500", false,
			"    http-check send meth GET uri /error\n    http-check expect ! status 500\n",
			outcome{false, CodeL7Status, "Layer7 wrong status: 500 Internal Server Error"}},
		{"! status 500 passes on a 404", false,
			"    http-check send meth GET uri /nothere\n    http-check expect ! status 500\n",
			outcome{true, CodeL7OK, "Layer7 check passed: 404 Not Found"}},
		{"! rstring SQL\\ Error catches a stack trace", false,
			"    http-check send meth GET uri /error\n    http-check expect ! rstring SQL\\ Error\n",
			outcome{false, CodeL7Rsp, "Layer7 invalid response: HTTP content check matched unwanted content 'SQL Error' (status 500 Internal Server Error)"}},
		{"rstatus ^2 passes a 200", false,
			"    http-check send meth GET uri /healthz\n    http-check expect rstatus ^2\n",
			outcome{true, CodeL7OK, "Layer7 check passed: 200 OK"}},
		{"a status list and range", false,
			"    http-check send meth GET uri /nothere\n    http-check expect status 200,400-404\n",
			outcome{true, CodeL7OK, "Layer7 check passed: 404 Not Found"}},
		{"every expect must pass", false,
			"    http-check send meth GET uri /healthz\n    http-check expect status 200\n    http-check expect string nope\n",
			outcome{false, CodeL7Rsp, "Layer7 invalid response: HTTP content check did not match 'nope' (status 200 OK)"}},
		{"a body is sent with its length", false,
			"    http-check send meth POST uri /echo body ping\n    http-check expect string ping\n",
			outcome{true, CodeL7OK, "Layer7 check passed: 200 OK"}},
		{"HTTP/1.1 with a host header is accepted by net/http", false,
			"    http-check send meth GET uri /healthz ver HTTP/1.1 hdr Host api.example.com\n",
			outcome{true, CodeL7OK, "Layer7 check passed: 200 OK"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			port, _ := appServer(t, tt.tls)
			b, s := rulesFrom(t, tt.lines, port)
			if diff := cmp.Diff(tt.want, probeBoth(t, b, s)); diff != "" {
				t.Errorf("probe (-want +got):\n%s", diff)
			}
		})
	}
}

func TestHTTPCheckSendsWhatItSays(t *testing.T) {
	port, reqs := appServer(t, true)
	b, s := rulesFrom(t, "    http-check connect ssl sni api.example.com alpn h2,http/1.1\n    http-check send meth GET uri /healthz ver HTTP/1.1 hdr Host api.example.com hdr X-Check halo\n    http-check expect status 200\n", port)
	if r := probeOnce(t, b, s); !r.OK {
		t.Fatalf("probe: %+v", r)
	}
	got := reqs()
	if len(got) != 1 {
		t.Fatalf("%d requests", len(got))
	}
	r := got[0]
	if r.Method != "GET" || r.URL.Path != "/healthz" || r.Proto != "HTTP/1.1" || r.Host != "api.example.com" ||
		r.Header.Get("X-Check") != "halo" || !r.Close || r.TLS == nil || r.TLS.ServerName != "api.example.com" || r.TLS.NegotiatedProtocol != "http/1.1" {
		t.Errorf("request %s %s %s host=%q x-check=%q close=%t tls=%+v", r.Method, r.URL, r.Proto, r.Host, r.Header.Get("X-Check"), r.Close, r.TLS)
	}
}

func TestHTTPCheckConnectsTwice(t *testing.T) {
	plainPort, plainReqs := appServer(t, false)
	tlsPort, tlsReqs := appServer(t, true)
	b, s := rulesFrom(t, fmt.Sprintf(`    http-check connect
    http-check send meth GET uri /healthz
    http-check expect status 200
    http-check connect port %d ssl
    http-check send meth GET uri /status
    http-check expect string ready
`, tlsPort), plainPort)
	if r := probeOnce(t, b, s); !r.OK {
		t.Fatalf("probe: %+v", r)
	}
	if len(plainReqs()) != 1 || len(tlsReqs()) != 1 || tlsReqs()[0].URL.Path != "/status" {
		t.Errorf("plain got %d requests, TLS got %v", len(plainReqs()), tlsReqs())
	}
}

func TestParseResponse(t *testing.T) {
	tests := []struct {
		name     string
		in       string
		ended    bool
		status   int
		body     string
		complete bool
		err      bool
	}{
		{"a status line alone is not complete", "HTTP/1.1 200 OK\r\n", false, 200, "", false, false},
		{"a content length decides the end", "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokEXTRA", false, 200, "ok", true, false},
		{"a short body waits", "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nok", false, 200, "ok", false, false},
		{"a chunked body is decoded", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n3;x=y\r\n!!!\r\n0\r\n\r\n", false, 200, "ok!!!", true, false},
		{"a body without length ends with the connection", "HTTP/1.0 200 OK\r\n\r\nhello", true, 200, "hello", true, false},
		{"a 204 has no body", "HTTP/1.1 204 No Content\r\n\r\n", false, 204, "", true, false},
		{"bare newlines are read", "HTTP/1.0 503 Busy\n\nno", true, 503, "no", true, false},
		{"a non-HTTP line is an error", "SSH-2.0-x\r\n", false, 0, "", false, true},
		{"garbage without a newline at the end is an error", "garbage", true, 0, "", false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := parseResponse([]byte(tt.in), tt.ended, false)
			if (err != nil) != tt.err || r.status != tt.status || string(r.body) != tt.body || r.complete != tt.complete {
				t.Errorf("parseResponse = %+v (body %q), %v", r, r.body, err)
			}
		})
	}
}

// FuzzParseResponse feeds parseResponse whatever a server could send: it
// must never panic, and a body is never longer than the input.
func FuzzParseResponse(f *testing.F) {
	f.Add([]byte("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n"), true)
	f.Add([]byte("HTTP/1.1 200 OK\r\nContent-Length: 99999999999\r\n\r\nx"), false)
	f.Add([]byte("HTTP/1.0 100 Continue\n\n"), false)
	f.Fuzz(func(t *testing.T, data []byte, ended bool) {
		r, err := parseResponse(data, ended, false)
		if err == nil && len(r.body) > len(data) {
			t.Fatalf("body of %d bytes from %d bytes of input", len(r.body), len(data))
		}
	})
}
