package haproxy

import "time"

// CheckKind says how servers with `check` are probed.
type CheckKind string

const (
	CheckTCP  CheckKind = "tcp"       // plain connect (the default)
	CheckSeq  CheckKind = "tcp-check" // `option tcp-check` with its rule sequence
	CheckHTTP CheckKind = "httpchk"   // `option httpchk` with its `http-check` rules
)

// Check is the backend's health check definition.
type Check struct {
	Kind  CheckKind
	Steps []TCPCheckStep // for CheckSeq; empty means "connect only"
	HTTP  HTTPCheck      // for CheckHTTP
	// SpreadChecks is global `spread-checks` (0..50 %), copied here so a
	// checker needs nothing but its backend: each interval is drawn at
	// random within ±SpreadChecks % of its nominal value.
	SpreadChecks int
}

// TCPCheckStep is one `tcp-check` rule.
type TCPCheckStep struct {
	Action string // "connect", "send", "expect"
	Port   int    // connect: port override (0 = server's check port)
	Addr   string // connect: `addr`, "" = the server's check address
	SSL    bool   // connect: `ssl`
	SNI    string // connect: `sni` (with SSL)
	ALPN   string // connect: `alpn` (with SSL), comma-separated
	Data   string // send: bytes to write (escapes already decoded); expect: string or regex
	Regex  bool   // expect rstring
	Negate bool   // expect !string
	Line   int
}

// HTTPCheck is `option httpchk [METHOD] [URI] [VERSION]` and the HAProxy
// 2.2+ `http-check connect|send|expect` rules (configuration.txt,
// "http-check connect", "http-check send", "http-check expect").
//
// Rules is always a complete sequence: it starts with a connect, every
// send is followed by at least one expect (the implicit one accepts any 2xx
// or 3xx status, as HAProxy's does), and a backend with `option httpchk`
// and no rule at all gets connect, send, expect.
type HTTPCheck struct {
	// The request of `option httpchk`: what a send rule uses for what it
	// does not say. Defaults OPTIONS, "/", HTTP/1.0.
	Method  string
	URI     string
	Version string
	// Headers carried by the pre-2.2 version string trick
	// ("HTTP/1.1\r\nHost:\ www"), sent by every request.
	Headers []Header
	Rules   []HTTPCheckRule
}

// Header is one HTTP header field.
type Header struct {
	Name, Value string
}

// HTTPCheckRule is one step of an HTTP check: exactly one of Connect,
// Send and Expect is set.
type HTTPCheckRule struct {
	Line    int // 0 for the implicit rules
	Connect *CheckConnect
	Send    *HTTPRequest
	Expect  *HTTPExpect
}

// CheckConnect is `http-check connect [default] [port N] [addr A] [ssl]
// [sni S] [alpn A] [linger] [send-proxy]`. Zero fields use the server's
// check settings (`port`, `addr`, `check-ssl`).
type CheckConnect struct {
	Port      int
	Addr      string
	SSL       bool
	SNI       string
	ALPN      string // comma-separated protocol list
	SendProxy bool   // accepted; halo sends no PROXY header on checks and warns
}

// HTTPRequest is one request of an HTTP check, complete: the method, URI
// and version are filled from `option httpchk` where the send rule left
// them out. halo adds "Connection: close" to HTTP/1.1 requests that carry
// no Connection header, and Content-Length when there is a body, as
// HAProxy does.
type HTTPRequest struct {
	Method  string
	URI     string
	Version string
	Headers []Header
	Body    string
}

// ExpectMatch is what an `http-check expect` rule looks at.
type ExpectMatch string

const (
	ExpectStatus  ExpectMatch = "status"  // the status code is in one of Codes
	ExpectRStatus ExpectMatch = "rstatus" // the status code (3 digits) matches Pattern
	ExpectString  ExpectMatch = "string"  // the body contains Pattern
	ExpectRString ExpectMatch = "rstring" // the body matches Pattern
)

// HTTPExpect is `http-check expect [!] MATCH PATTERN`. The implicit rule
// (Line 0) is status 200-399.
type HTTPExpect struct {
	Match   ExpectMatch
	Negate  bool        // `!`: the response is bad when the match succeeds
	Pattern string      // as written
	Codes   []CodeRange // for ExpectStatus: "200,301-308"
}

// CodeRange is an inclusive range of HTTP status codes.
type CodeRange struct{ Lo, Hi int }

// AgentCheck is a server's `agent-check` with `agent-port`, `agent-addr`,
// `agent-send` and `agent-inter` (configuration.txt 5.2): halo connects,
// sends Send, and reads one line of weight and state words.
type AgentCheck struct {
	Port  int           // `agent-port`, required
	Addr  string        // `agent-addr`; "" = the server's address
	Send  string        // `agent-send`, escapes decoded; "" = send nothing
	Inter time.Duration // `agent-inter`; default 2s (HAProxy's, not the server's inter)
}
