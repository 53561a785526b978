package haproxy

import "time"

// Config is a validated haproxy.cfg: what the proxy, the health checker and
// the control socket run from. A `listen` section appears both as a Frontend
// and as a Backend of the same name. Every default (HAProxy's documented
// ones) is already applied, so consumers never look at zero values and guess.
type Config struct {
	File      string // path as given to Load
	Global    Global
	Frontends []*Frontend
	Backends  []*Backend
}

// Backend returns the backend named name, or nil.
func (c *Config) Backend(name string) *Backend {
	for _, b := range c.Backends {
		if b.Name == name {
			return b
		}
	}
	return nil
}

// Global is the `global` section.
type Global struct {
	MaxConn       int           // process-wide connection limit; 0 = unlimited (fd limit applies)
	HardStopAfter time.Duration // bound on draining after SIGTERM; 0 = wait for every connection
	PidFile       string
	StatsSockets  []StatsSocket
	Daemon        bool // accepted; halo stays in the foreground (systemd style) and says so
}

// StatsSocket is a `stats socket PATH [mode M] [level L]` line: halo serves
// its runtime API on it.
type StatsSocket struct {
	Path  string
	Mode  uint32 // file mode, 0 = default (0600)
	Level string // "user", "operator", "admin" (default)
	Line  int
}

// Frontend is a `frontend` (or the front half of a `listen`).
type Frontend struct {
	Name             string // unique: a repeated name gets a suffix, e.g. "main:8443"
	ConfigName       string // the name as written in the file
	Line             int    // line of the section header
	Mode             Mode
	Binds            []Bind
	MaxConn          int // per-frontend limit: stop accepting while reached; 0 = none
	DefaultBackend   *Backend
	TimeoutClient    time.Duration // idle timeout on the client side; 0 = none
	TimeoutClientFin time.Duration // after the client half-closed; 0 = TimeoutClient
	Stats            *StatsPage    // non-nil when `stats enable`/`stats uri` is present
}

// Mode is a section's `mode`.
type Mode string

const (
	ModeTCP  Mode = "tcp"
	ModeHTTP Mode = "http" // halo proxies it as TCP and warns, except for a stats page
)

// Bind is one address a frontend listens on.
type Bind struct {
	// Addr is "host:port" for net.Listen. Host "" means every address
	// ("*", "" and "::" map here, as in HAProxy), except that an ipv4@
	// prefix pins "0.0.0.0" and ipv6@ or v6only pin "::". A port range
	// (80-82) becomes one Bind per port.
	Addr        string
	FreeBind    bool // IP_FREEBIND: bind even when the address is not (yet) on this host, e.g. a VIP on the backup
	V6Only      bool
	AcceptProxy bool // `accept-proxy`: clients start with a PROXY protocol v1/v2 header
	Line        int
}

// StatsPage is HAProxy's statistics page on a `listen stats` section.
type StatsPage struct {
	URI     string // default "/haproxy?stats"
	Refresh time.Duration
	Auth    []string // `stats auth user:password` pairs; empty = no authentication
}

// Backend is a `backend` (or the back half of a `listen`).
type Backend struct {
	Name       string
	Line       int
	Mode       Mode
	Balance    Balance
	Retries    int  // connect retries after the first attempt; default 3
	Redispatch bool // `option redispatch`: a retry may go to another server
	AllBackups bool // `option allbackups`: use every backup server at once, not the first
	Timeouts   BackendTimeouts
	Check      Check // how `check` servers are probed
	Servers    []*Server
}

// BackendTimeouts are the backend-side `timeout` values; 0 means none
// except where a default is noted.
type BackendTimeouts struct {
	Connect   time.Duration // default 0 = none (HAProxy warns; so does halo)
	Server    time.Duration
	ServerFin time.Duration // 0 = Server
	Tunnel    time.Duration // when set, replaces Client and Server once both sides are connected
	Queue     time.Duration // how long a connection waits for a server slot; 0 = Connect
	Check     time.Duration // extra timeout for a check's read once connected; 0 = Inter
}

// Balance is the `balance` algorithm and `hash-type`.
type Balance struct {
	Algorithm Algorithm
	HashType  HashType // for source (and any hash-based algorithm)
}

// Algorithm names a `balance` algorithm.
type Algorithm string

const (
	RoundRobin Algorithm = "roundrobin" // default
	StaticRR   Algorithm = "static-rr"
	LeastConn  Algorithm = "leastconn"
	First      Algorithm = "first"
	Source     Algorithm = "source"
	Random     Algorithm = "random"
)

// HashType is `hash-type map-based|consistent`.
type HashType string

const (
	MapBased   HashType = "map-based" // default
	Consistent HashType = "consistent"
)

// CheckKind says how servers with `check` are probed.
type CheckKind string

const (
	CheckTCP  CheckKind = "tcp"       // plain connect (the default)
	CheckSeq  CheckKind = "tcp-check" // `option tcp-check` with its rule sequence
	CheckHTTP CheckKind = "httpchk"   // `option httpchk`
)

// Check is the backend's health check definition.
type Check struct {
	Kind  CheckKind
	Steps []TCPCheckStep // for CheckSeq; empty means "connect only"
	HTTP  HTTPCheck      // for CheckHTTP
}

// TCPCheckStep is one `tcp-check` rule.
type TCPCheckStep struct {
	Action string // "connect", "send", "expect"
	Port   int    // connect: port override (0 = server's check port)
	SSL    bool   // connect: `ssl`
	Data   string // send: bytes to write (escapes already decoded); expect: string or regex
	Regex  bool   // expect rstring
	Negate bool   // expect !string
	Line   int
}

// HTTPCheck is `option httpchk [METHOD] [URI] [VERSION]` plus
// `http-check expect status N`.
type HTTPCheck struct {
	Method       string // default "OPTIONS"
	URI          string // default "/"
	Version      string // default "HTTP/1.0"
	Host         string // from `http-check send hdr Host` or a version string carrying "\r\nHost: x"
	ExpectStatus int    // 0 = any 2xx or 3xx is UP
}

// Server is one `server` line, with `default-server` values applied.
type Server struct {
	Name       string
	Line       int
	Host       string // as written: an IP literal or a name re-resolved while it fails
	Port       int    // 0 = same port the client connected to
	Check      bool
	CheckSSL   bool          // `check-ssl`: checks run over TLS
	VerifyNone bool          // `verify none`; halo never verifies check certificates either way and warns if `verify required`
	Inter      time.Duration // default 2s
	FastInter  time.Duration // while transitioning; default Inter
	DownInter  time.Duration // while DOWN; default Inter
	Rise       int           // default 2
	Fall       int           // default 3
	CheckPort  int           // `port`; 0 = Port
	CheckAddr  string        // `addr`; "" = Host
	Weight     int           // 0..256, default 1
	Backup     bool
	Disabled   bool          // starts in maintenance
	MaxConn    int           // 0 = unlimited
	MaxQueue   int           // 0 = unlimited queue (bounded by timeout queue)
	SlowStart  time.Duration // ramp weight up over this long after coming UP
	SendProxy  int           // 0 = none, 1 = PROXY v1, 2 = PROXY v2
}
