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
	StatsTimeout  time.Duration // `stats timeout`: idle limit of a runtime API session; 0 = 10s
	Logs          []LogTarget   // `log` lines: where halo's event lines go (besides stderr)
	LogTag        string        // `log-tag`; "" = "halo"
	LogHostname   string        // `log-send-hostname [NAME]`: "" = no host field, "-" = the host's name
	Daemon        bool          // accepted; halo stays in the foreground (systemd style) and says so
	// User and Group are `user`/`uid` and `group`/`gid`: a name or a number
	// ("" = stay as started). `halo run` started as root drops to them once
	// every socket is open. UserLine and GroupLine are their lines.
	User, Group         string
	UserLine, GroupLine int

	// Resource limits (limits.go computes what they mean for one host).
	StrictLimits bool // `strict-limits`, on unless `no strict-limits` (HAProxy 2.6): failing to get the fd limit is fatal
	UlimitN      int  // `ulimit-n`; 0 = computed from maxconn, as HAProxy does
	FDHardLimit  int  // `fd-hard-limit`; 0 = none
	MaxPipes     int  // `maxpipes`: splice pipes at most; 0 = computed (maxconn/4 within the fd budget)
	MaxConnRate  int  // `maxconnrate`: accepts per second, process-wide; 0 = unlimited
	// MaxSessRate is `maxsessrate`. In TCP every connection is a session,
	// so the proxy applies the smaller of the two rates (AcceptRate).
	MaxSessRate int
	// NoReusePort is `noreuseport`: listeners do not set SO_REUSEPORT, so
	// overlapping binds (0.0.0.0:P and :::P) conflict. Each Bind carries the
	// result in ReusePort.
	NoReusePort bool
	// SpreadChecks is `spread-checks` (0..50 %): every check interval is
	// drawn within ± this share of its value. Copied into Backend.Check.
	SpreadChecks int
	// ServerStateFile and ServerStateBase are `server-state-file` and
	// `server-state-base`: where `load-server-state-from-file global` reads.
	// StateFile joins them as HAProxy does.
	ServerStateFile string
	ServerStateBase string

	lines map[string]int // keyword -> line, for diagnostics made after parsing (PlanFDs)
}

// AcceptRate is the number of connections per second the process may
// accept: the smaller of `maxconnrate` and `maxsessrate`, 0 = unlimited.
func (g *Global) AcceptRate() int {
	switch {
	case g.MaxConnRate == 0:
		return g.MaxSessRate
	case g.MaxSessRate == 0:
		return g.MaxConnRate
	}
	return min(g.MaxConnRate, g.MaxSessRate)
}

// StateFile returns the global server state file path: ServerStateFile,
// prefixed with ServerStateBase unless it is absolute; "" when unset.
func (g *Global) StateFile() string {
	return joinStatePath(g.ServerStateBase, g.ServerStateFile)
}

// StatsSocket is a `stats socket PATH [mode M] [level L]` line: halo serves
// its runtime API on it.
type StatsSocket struct {
	Network string // "unix", or "tcp" for ipv4@/ipv6@ADDRESS:PORT
	Path    string // the socket path, or ADDRESS:PORT
	Mode    uint32 // file mode, 0 = default (0600)
	Level   string // "user", "operator" (HAProxy's default) or "admin"
	User    string // owner of the socket file by name ("" = keep)
	Group   string
	UID     *int // owner by number; nil = keep
	GID     *int
	Line    int
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
	// Logs are where this frontend's connection lines go (`log global`
	// and its own `log` lines); none = no connection log.
	Logs        []LogTarget
	TCPLog      bool // `option tcplog` (or httplog): one line per connection at its end; else one at accept
	DontLogNull bool // `option dontlognull`: no line for connections that sent nothing
	// Monitor is `monitor-uri` with its `monitor fail` rules (mode http
	// only): halo answers that URI itself, 200 or 503.
	Monitor *Monitor
	// Prometheus is the path of `http-request use-service
	// prometheus-exporter if { path P }` (or `path_beg P`, then
	// PrometheusPrefix), "" when absent: halo serves its metrics there.
	Prometheus       string
	PrometheusPrefix bool
}

// Relays reports whether halo relays this frontend's connections to its
// backend as TCP. Frontends that serve a statistics page, a monitor URI or
// the Prometheus exporter are answered by halo itself instead; the proxy
// leaves them to the HTTP listeners.
func (f *Frontend) Relays() bool {
	return f.Stats == nil && f.Monitor == nil && f.Prometheus == ""
}

// Mode is a section's `mode`.
type Mode string

const (
	ModeTCP  Mode = "tcp"
	ModeHTTP Mode = "http" // halo proxies it as TCP and warns, except for a stats page
)

// Bind is one address a frontend listens on.
type Bind struct {
	// Addr is "host:port" for net.Listen, as HAProxy reads the address:
	// "*:P" and ":P" are IPv4 only ("0.0.0.0:P"), ":::P" and "[::]:P" are
	// IPv6 and, unless V6Only, IPv4 too ("[::]:P"). Host "" is only seen in
	// configurations built by hand: every address, IPv6 and IPv4. A port
	// range (80-82) becomes one Bind per port. After Load, a host name is
	// replaced by the address it resolved to (Name keeps it).
	Addr        string
	Name        string // the host name as written when Addr was resolved from it; "" for a literal
	FreeBind    bool   // IP_FREEBIND: bind even when the address is not (yet) on this host, e.g. a VIP on the backup
	V6Only      bool   // `v6only`: an IPv6 socket takes IPv6 clients only
	V4V6        bool   // `v4v6`: an IPv6 socket takes IPv4 clients too (halo's default anyway, unless V6Only)
	ReusePort   bool   // SO_REUSEPORT, HAProxy's default; false with global `noreuseport`
	AcceptProxy bool   // `accept-proxy`: clients start with a PROXY protocol v1/v2 header
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
	// LoadServerState is `load-server-state-from-file`: StateNone
	// (default), StateGlobal (Config.Global.StateFile()) or StateLocal
	// (StateFileName).
	LoadServerState StateSource
	// StateFileName is the file `load-server-state-from-file local`
	// reads: `server-state-file-name`, or the backend's name, under
	// Global.ServerStateBase.
	StateFileName string
}

// StateSource is a `load-server-state-from-file` argument.
type StateSource string

const (
	StateNone   StateSource = "none" // default
	StateGlobal StateSource = "global"
	StateLocal  StateSource = "local"
)

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

// HashType is `hash-type map-based|consistent|maglev`.
type HashType string

const (
	MapBased   HashType = "map-based" // default
	Consistent HashType = "consistent"
	Maglev     HashType = "maglev" // a halo extension: HAProxy has no such hash-type
)

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
	// OnMarkedDown is `on-marked-down shutdown-sessions`: the server's
	// live connections are reset when its check marks it DOWN.
	OnMarkedDown string
	// OnMarkedUp is `on-marked-up shutdown-backup-sessions`: when this
	// (non-backup) server comes UP, the connections of the backend's backup
	// servers are reset.
	OnMarkedUp string
	Agent      *AgentCheck // `agent-check`; nil when off
}

// The actions of on-marked-down and on-marked-up.
const (
	ShutdownSessions       = "shutdown-sessions"
	ShutdownBackupSessions = "shutdown-backup-sessions"
)
