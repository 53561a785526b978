package stats

import (
	"net/netip"
	"time"
)

// Snapshot is the state of one halo node at one moment. Everything that
// shows state renders from it: `show info`, `show stat`, `show servers
// state`, `show vrrp`, /metrics, the HTML page and `halo status --json`.
// The daemon builds it from the live parts; renderers never reach into live
// objects, so they are tested with snapshots written by hand.
//
// Its JSON form (the field names below, via encoding/json) is the stable
// `halo status --json` schema documented in docs/STATUS.md: fields may be
// added, never renamed or removed.
type Snapshot struct {
	Time      time.Time   `json:"time"`
	Process   Process     `json:"process"`
	Frontends []Frontend  `json:"frontends"`
	Backends  []Backend   `json:"backends"`
	VRRP      []Instance  `json:"vrrp"`
	Scripts   []Script    `json:"scripts"` // vrrp_script trackers
	Groups    []SyncGroup `json:"sync_groups"`
	BGP       *BGP        `json:"bgp,omitempty"` // nil without bgp_speaker
}

// BGP is the embedded BGP speaker: `show bgp`, halo status, /metrics.
type BGP struct {
	RouterID    string `json:"router_id"`
	LocalAS     uint32 `json:"local_as"`
	Maintenance bool   `json:"maintenance"` // withdrawn by a handover until `handover resume`
	// GracefulShutdown: the routes carry GRACEFUL_SHUTDOWN (a stop or a
	// handover is under way).
	GracefulShutdown bool          `json:"graceful_shutdown"`
	Announced        []string      `json:"announced"`   // prefixes announced now
	Announces        uint64        `json:"announces"`   // prefixes announced since start
	Withdrawals      uint64        `json:"withdrawals"` // prefixes withdrawn since start
	LastError        string        `json:"last_error"`
	LastErrorAt      time.Time     `json:"last_error_at"`
	Neighbors        []BGPNeighbor `json:"neighbors"`
	// Owners says, per bgp_announce block or vrrp_instance with
	// bgp_announce_vips, whether it wants its prefixes announced and why not.
	Owners []BGPOwner `json:"owners"`
}

// BGPNeighbor is one configured neighbor's session.
type BGPNeighbor struct {
	Address     string    `json:"address"`
	RemoteAS    uint32    `json:"remote_as"`
	State       string    `json:"state"`      // idle, connect, active, opensent, openconfirm, established
	Since       time.Time `json:"since"`      // when it became established; zero while down
	Flaps       uint64    `json:"flaps"`      // established sessions lost
	Advertised  uint64    `json:"advertised"` // prefixes sent on the session now
	LastError   string    `json:"last_error"` // why the last session ended
	LastErrorAt time.Time `json:"last_error_at"`
}

// BGPOwner is a bgp_announce block or a vrrp_instance with bgp_announce_vips.
type BGPOwner struct {
	Name     string   `json:"name"` // "bgp_announce WEB", "vrrp_instance VI_1"
	Prefixes []string `json:"prefixes"`
	Announce bool     `json:"announce"`
	Reason   string   `json:"reason"` // why not: the failed tracker, or "not MASTER"
}

// Process is the `show info` part: the process as a whole.
type Process struct {
	Name         string    `json:"name"`         // "halo"
	Version      string    `json:"version"`      // halo's version
	ReleaseDate  string    `json:"release_date"` // build date, "" when unknown
	Pid          int       `json:"pid"`
	Start        time.Time `json:"start"`
	Nbthread     int       `json:"nbthread"` // reactors (GOMAXPROCS, at most 8)
	Node         string    `json:"node"`     // host name
	Description  string    `json:"description"`
	UlimitN      int       `json:"ulimit_n"` // RLIMIT_NOFILE soft limit
	MaxSock      int       `json:"maxsock"`  // = UlimitN
	MaxConn      int       `json:"maxconn"`  // global maxconn; 0 = none configured
	HardMaxConn  int       `json:"hard_maxconn"`
	CurrConns    int64     `json:"curr_conns"`    // client connections open now
	CumConns     int64     `json:"cum_conns"`     // client connections accepted since start
	ConnRate     int64     `json:"conn_rate"`     // accepted over the last second
	MaxConnRate  int64     `json:"max_conn_rate"` // highest ConnRate seen
	ConnRateLim  int       `json:"conn_rate_limit"`
	Stopping     bool      `json:"stopping"`
	Listeners    int       `json:"listeners"`       // listening sockets
	BytesOut     int64     `json:"total_bytes_out"` // to clients, all frontends
	BytesOutRate int64     `json:"bytes_out_rate"`  // over the last second
	Goroutines   int       `json:"goroutines"`      // shown as Tasks
	LastReload   time.Time `json:"last_reload"`     // zero before the first reload
	Reloads      int64     `json:"reloads"`         // successful reloads
	ReloadErrors int64     `json:"reload_errors"`   // reloads refused (broken file)
	DroppedLogs  int64     `json:"dropped_logs"`    // log lines dropped: a target's queue was full or it could not be reached
}

// Counters are the traffic counters of a frontend, backend or server,
// named after the `show stat` columns.
type Counters struct {
	Scur    int64 `json:"scur"`     // sessions now
	Smax    int64 `json:"smax"`     // highest Scur
	Stot    int64 `json:"stot"`     // sessions since start
	Bin     int64 `json:"bin"`      // bytes from clients
	Bout    int64 `json:"bout"`     // bytes to clients
	Econ    int64 `json:"econ"`     // failed connections to servers
	Wretr   int64 `json:"wretr"`    // connect retries
	Wredis  int64 `json:"wredis"`   // redispatches
	Qcur    int64 `json:"qcur"`     // queued now
	Qmax    int64 `json:"qmax"`     // highest Qcur
	LbTot   int64 `json:"lbtot"`    // times picked by the balancing algorithm
	CliAbrt int64 `json:"cli_abrt"` // ended by the client before the server answered
	SrvAbrt int64 `json:"srv_abrt"` // ended by the server (reset)
	Denied  int64 `json:"denied"`   // connections refused (maxconn, no backend)
	Rate    int64 `json:"rate"`     // sessions over the last second
	RateMax int64 `json:"rate_max"` // highest Rate seen
	// LastSess is when the last session started (`lastsess`); zero when
	// none has, or when the daemon does not track it.
	LastSess time.Time `json:"last_session,omitzero"`
}

// Frontend is one frontend (or the front half of a listen).
type Frontend struct {
	Name      string   `json:"name"`
	ID        int      `json:"id"`        // HAProxy's iid: proxies numbered in file order; a listen's halves share one
	Mode      string   `json:"mode"`      // "tcp" or "http"
	Status    string   `json:"status"`    // "OPEN", or "STOP" once stopping
	MaxConn   int      `json:"maxconn"`   // slim; 0 = none
	Listeners []string `json:"listeners"` // bound addresses, "192.0.2.10:443"
	Counters
	// Kind says what serves it: "proxy" (halo relays TCP), "stats" (the
	// statistics page), "prometheus" (metrics only), "monitor" (monitor-uri).
	Kind string `json:"kind"`
}

// Backend is one backend (or the back half of a listen).
type Backend struct {
	Name       string        `json:"name"`
	ID         int           `json:"id"` // iid, see Frontend.ID
	Mode       string        `json:"mode"`
	Algo       string        `json:"algo"`        // balance algorithm, as written in `show stat`
	Status     string        `json:"status"`      // "UP" when a server can take connections, else "DOWN"
	FullConn   int           `json:"fullconn"`    // slim of the BACKEND row
	LastChange time.Time     `json:"last_change"` // when Status last changed (start at first)
	Downtime   time.Duration `json:"downtime"`    // total time DOWN since start
	ChkDown    int64         `json:"chkdown"`     // UP→DOWN transitions
	Stats      bool          `json:"stats"`       // the back half of a stats page (has no servers, never DOWN)
	Counters
	Servers []Server `json:"servers"`
}

// Admin states of a server, as set by the config (`disabled`) and the
// runtime API.
const (
	AdminReady = "ready"
	AdminDrain = "drain"
	AdminMaint = "maint"
)

// Server is one server of a backend.
type Server struct {
	Name            string        `json:"name"`
	ID              int           `json:"id"`                // sid: from 1 in config order (or `id`)
	Addr            string        `json:"addr"`              // the address connections go to: an IP, or the name while it does not resolve
	Port            int           `json:"port"`              // 0 = the port the client connected to
	Status          string        `json:"status"`            // UP, DOWN, MAINT, DRAIN, NOLB, "no check"; with transitions "UP 1/3", "DOWN 1/2"
	Admin           string        `json:"admin"`             // AdminReady, AdminDrain or AdminMaint
	AdminFromConfig bool          `json:"admin_from_config"` // maint because the config says `disabled`
	Up              bool          `json:"up"`                // last health verdict (true without checks)
	Backup          bool          `json:"backup"`
	Weight          int           `json:"weight"`   // effective weight now (ramped during slowstart)
	UWeight         int           `json:"uweight"`  // user weight: configured, or as `set weight` left it
	IWeight         int           `json:"iweight"`  // initial weight from the config
	Throttle        int           `json:"throttle"` // slowstart percentage, 0 when not ramping
	MaxConn         int           `json:"maxconn"`  // 0 = unlimited
	MaxQueue        int           `json:"maxqueue"`
	LastChange      time.Time     `json:"last_change"`     // when Status last changed
	Downtime        time.Duration `json:"downtime"`        // total time DOWN since start
	Check           *Check        `json:"check,omitempty"` // nil: the server has no `check`
	Counters
}

// Check is the state of a server's health check.
type Check struct {
	Enabled   bool          `json:"enabled"` // false after `disable health`
	Status    string        `json:"status"`  // HAProxy's code: UNK, INI, SOCKERR, L4OK, L4TOUT, L4CON, L6OK, L6TOUT, L6RSP, L7OK, L7OKC, L7TOUT, L7RSP, L7STS
	Code      int           `json:"code"`    // layer 7 code (HTTP status), 0 = none
	Duration  time.Duration `json:"duration"`
	Desc      string        `json:"desc"`   // the code's description, "Layer4 connection problem"
	Detail    string        `json:"detail"` // last_chk: what the probe saw, "Connection refused"
	Rise      int           `json:"rise"`
	Fall      int           `json:"fall"`
	Health    int           `json:"health"`     // 0..rise+fall-1; UP when >= rise
	Failed    int64         `json:"chkfail"`    // failed probes
	Downs     int64         `json:"chkdown"`    // UP→DOWN transitions
	LastCheck time.Time     `json:"last_check"` // zero before the first probe
	Addr      string        `json:"addr"`       // where the last probe went, "192.0.2.10:6443"
	Kind      string        `json:"kind"`       // tcp, tcp-check, httpchk, ssl
}

// Instance is one vrrp_instance.
type Instance struct {
	Name      string `json:"name"`
	VRID      uint8  `json:"vrid"`
	Interface string `json:"interface"`
	Version   int    `json:"version"`
	Family    int    `json:"family"` // 4 or 6
	State     string `json:"state"`  // INIT, BACKUP, MASTER, FAULT
	// Reason says why the state is what it is, in a few words: "higher
	// priority master 192.0.2.2 (110)", "master-down", "interface eth0 is
	// down".
	Reason            string        `json:"reason"`
	Since             time.Time     `json:"since"`              // last transition; zero before the first
	Maintenance       bool          `json:"maintenance"`        // handed over: advertising priority 1
	BasePriority      int           `json:"base_priority"`      // configured
	EffectivePriority int           `json:"effective_priority"` // after tracking, 1..254 (255 for the owner)
	Trackers          []Tracker     `json:"trackers"`
	Master            netip.Addr    `json:"master"` // current master; invalid when unknown
	MasterPriority    int           `json:"master_priority"`
	LastAdvert        time.Time     `json:"last_advert"` // last valid advert received; zero before the first
	AdvertInterval    time.Duration `json:"advert_interval"`
	VIPs              []VIP         `json:"vips"`
	SyncGroup         string        `json:"sync_group,omitempty"`
	Counters          VRRPCounters  `json:"counters"`
}

// Tracker is one tracked object of an instance and what it adds.
type Tracker struct {
	Kind    string `json:"kind"` // "script", "interface", "backend"
	Name    string `json:"name"`
	Up      bool   `json:"up"`
	Weight  int    `json:"weight"` // as configured; 0 = FAULT while down
	Reverse bool   `json:"reverse"`
	Delta   int    `json:"delta"` // what it adds to the priority now
	Fault   bool   `json:"fault"` // it forces FAULT now
}

// VIP is one virtual address of an instance.
type VIP struct {
	Prefix   netip.Prefix `json:"prefix"`
	Dev      string       `json:"dev"`
	Excluded bool         `json:"excluded"` // virtual_ipaddress_excluded: not advertised
	Present  bool         `json:"present"`  // on the host now
}

// VRRPCounters are an instance's packet counters, named as keepalived's
// stats and the common keepalived exporters name them.
type VRRPCounters struct {
	AdvertsReceived      int64 `json:"advert_rcvd"`
	AdvertsSent          int64 `json:"advert_sent"`
	BecomeMaster         int64 `json:"become_master"`
	ReleaseMaster        int64 `json:"release_master"`
	PacketLengthErrors   int64 `json:"packet_len_err"`
	AdvertIntervalErrors int64 `json:"advert_interval_err"`
	IPTTLErrors          int64 `json:"ip_ttl_err"`
	InvalidTypeReceived  int64 `json:"invalid_type_rcvd"`
	AddressListErrors    int64 `json:"addr_list_err"`
	AuthInvalid          int64 `json:"invalid_authtype"`
	AuthTypeMismatch     int64 `json:"authtype_mismatch"`
	AuthFailure          int64 `json:"auth_failure"`
	PriorityZeroReceived int64 `json:"pri_zero_rcvd"`
	PriorityZeroSent     int64 `json:"pri_zero_sent"`
	VersionErrors        int64 `json:"version_err"`
	ChecksumErrors       int64 `json:"checksum_err"`
	OtherInterface       int64 `json:"other_interface"` // seen by the socket on another interface (socket-wide)
	SendErrors           int64 `json:"send_err"`
}

// Script is one vrrp_script and its current verdict.
type Script struct {
	Name   string `json:"name"`
	Good   bool   `json:"good"`
	Status string `json:"status"` // "GOOD", "BAD", or "INIT" before the first verdict
}

// SyncGroup is one vrrp_sync_group.
type SyncGroup struct {
	Name    string   `json:"name"`
	State   string   `json:"state"`
	Members []string `json:"members"`
}
