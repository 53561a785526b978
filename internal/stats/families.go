package stats

import (
	"math"
	"time"
)

// The metric families /metrics serves, named, typed and labelled as
// HAProxy 2.6's built-in exporter (haproxy_*) and the common keepalived
// exporters (keepalived_*) name them, so that existing dashboards and
// alerts work. Help texts are halo's. halo_* and the two priority gauges
// are halo's own. Families that only make sense for HTTP traffic, SSL,
// compression or the timings halo does not measure are left out rather
// than served as zeros.

// fam is one family over objects of type T (a Frontend, a Backend, a
// Server). A family with states has one series per state, valued by sval;
// otherwise val gives the one value. has, when set, leaves out the objects
// for which it is false.
type fam[T any] struct {
	name, typ, help string
	val             func(*T, clock) float64
	states          []string
	sval            func(*T, int) float64
	has             func(*T) bool
}

// obj is one object and its escaped labels.
type obj[T any] struct {
	labels string
	v      *T
}

func writeFams[T any](e *expo, c clock, objs []obj[T], fams []fam[T]) {
	for _, f := range fams {
		e.family(f.name, f.typ, f.help)
		for _, o := range objs {
			if f.has != nil && !f.has(o.v) {
				continue
			}
			if f.states == nil {
				e.sample(f.name, o.labels, "", f.val(o.v, c))
				continue
			}
			for i := range f.states {
				e.sample(f.name, o.labels, stateLabels[f.states[i]], f.sval(o.v, i))
			}
		}
	}
}

const (
	gauge   = "gauge"
	counter = "counter"
)

// Server states of haproxy_server_status, in the exporter's order.
var serverStates = []string{"DOWN", "UP", "MAINT", "DRAIN", "NOLB"}

// Check results of haproxy_server_check_status, in the exporter's order.
var checkStates = []string{"HANA", "SOCKERR", "L4OK", "L4TOUT", "L4CON", "L6OK", "L6TOUT", "L6RSP",
	"L7TOUT", "L7RSP", "L7OK", "L7OKC", "L7STS", "PROCERR", "PROCTOUT", "PROCOK"}

// upDown are the states of frontends and backends.
var upDown = []string{"DOWN", "UP"}

// stateLabels holds the escaped state="X" pair of every state.
var stateLabels = func() map[string]string {
	m := map[string]string{}
	for _, l := range [][]string{serverStates, checkStates, upDown} {
		for _, s := range l {
			m[s] = label("state", s)
		}
	}
	return m
}()

// serverState is the exporter's state of a server, an index in
// serverStates: maintenance first, then the health, DRAIN for a running
// server that is drained.
func serverState(sv *Server) int {
	if sv.Admin == AdminMaint {
		return 2
	}
	switch statusWord(sv.Status) {
	case "MAINT":
		return 2
	case "DOWN":
		return 0
	case "NOLB":
		return 4
	case "DRAIN":
		return 3
	}
	if sv.Admin == AdminDrain {
		return 3
	}
	return 1 // UP, "UP 1/3" going down, "no check"
}

// checkState is the index in checkStates of the server's last check
// result, -1 for none (no check, paused, INI, UNK).
func checkState(sv *Server) int {
	if !probing(*sv) {
		return -1
	}
	for i, s := range checkStates {
		if s == sv.Check.Status {
			return i
		}
	}
	return -1
}

func is(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

func secs(d time.Duration) float64 { return float64(d / time.Second) }

var nan = math.NaN()

// orNaN gives v, or NaN when the limit is not set, as the exporter does.
func orNaN(v int) float64 {
	if v <= 0 {
		return nan
	}
	return float64(v)
}

var processFams = []struct {
	name, typ, help string
	val             func(Process, clock) float64
}{
	{"haproxy_process_nbthread", gauge, "Reactor threads the proxy runs.", func(p Process, _ clock) float64 { return float64(p.Nbthread) }},
	{"haproxy_process_nbproc", gauge, "Worker processes: always 1.", func(Process, clock) float64 { return 1 }},
	{"haproxy_process_relative_process_id", gauge, "This process's number among the workers: always 1.", func(Process, clock) float64 { return 1 }},
	{"haproxy_process_uptime_seconds", gauge, "Seconds since the process started.", func(p Process, c clock) float64 { return float64(c.since(p.Start)) }},
	{"haproxy_process_start_time_seconds", gauge, "When the process started, in seconds since the Unix epoch.", func(p Process, _ clock) float64 { return float64(p.Start.Unix()) }},
	{"haproxy_process_max_fds", gauge, "Limit on open file descriptors (RLIMIT_NOFILE).", func(p Process, _ clock) float64 { return float64(p.UlimitN) }},
	{"haproxy_process_max_sockets", gauge, "Limit on open sockets.", func(p Process, _ clock) float64 { return float64(p.MaxSock) }},
	{"haproxy_process_max_connections", gauge, "Global maxconn: client connections the process accepts at once.", func(p Process, _ clock) float64 { return float64(p.MaxConn) }},
	{"haproxy_process_hard_max_connections", gauge, "Hard limit on connections, from the file descriptor limit.", func(p Process, _ clock) float64 { return float64(p.HardMaxConn) }},
	{"haproxy_process_current_connections", gauge, "Client connections open now.", func(p Process, _ clock) float64 { return float64(p.CurrConns) }},
	{"haproxy_process_connections_total", counter, "Client connections accepted since the process started.", func(p Process, _ clock) float64 { return float64(p.CumConns) }},
	{"haproxy_process_current_connection_rate", gauge, "Client connections accepted over the last second.", func(p Process, _ clock) float64 { return float64(p.ConnRate) }},
	{"haproxy_process_limit_connection_rate", gauge, "Global limit on the connection rate, 0 for none.", func(p Process, _ clock) float64 { return float64(p.ConnRateLim) }},
	{"haproxy_process_max_connection_rate", gauge, "Highest connection rate seen, per second.", func(p Process, _ clock) float64 { return float64(p.MaxConnRate) }},
	{"haproxy_process_current_session_rate", gauge, "Sessions started over the last second (one per connection in TCP mode).", func(p Process, _ clock) float64 { return float64(p.ConnRate) }},
	{"haproxy_process_max_session_rate", gauge, "Highest session rate seen, per second.", func(p Process, _ clock) float64 { return float64(p.MaxConnRate) }},
	{"haproxy_process_current_tasks", gauge, "Goroutines of the process.", func(p Process, _ clock) float64 { return float64(p.Goroutines) }},
	{"haproxy_process_stopping", gauge, "1 while the process stops, else 0.", func(p Process, _ clock) float64 { return is(p.Stopping) }},
	{"haproxy_process_listeners", gauge, "Listening sockets.", func(p Process, _ clock) float64 { return float64(p.Listeners) }},
	{"haproxy_process_bytes_out_total", counter, "Bytes sent to clients since the process started.", func(p Process, _ clock) float64 { return float64(p.BytesOut) }},
	{"haproxy_process_bytes_out_rate", gauge, "Bytes sent to clients over the last second.", func(p Process, _ clock) float64 { return float64(p.BytesOutRate) }},
}

var frontendFams = []fam[Frontend]{
	{name: "haproxy_frontend_status", typ: gauge, help: "State of the frontend: 1 for the current state.", states: upDown,
		sval: func(fe *Frontend, i int) float64 { return is((fe.Status == "STOP") == (i == 0)) }},
	{name: "haproxy_frontend_current_sessions", typ: gauge, help: "Sessions open now.", val: func(fe *Frontend, _ clock) float64 { return float64(fe.Scur) }},
	{name: "haproxy_frontend_max_sessions", typ: gauge, help: "Highest number of sessions open at once.", val: func(fe *Frontend, _ clock) float64 { return float64(fe.Smax) }},
	{name: "haproxy_frontend_limit_sessions", typ: gauge, help: "The frontend's maxconn.", val: func(fe *Frontend, _ clock) float64 { return float64(fe.MaxConn) }},
	{name: "haproxy_frontend_sessions_total", typ: counter, help: "Sessions since the process started.", val: func(fe *Frontend, _ clock) float64 { return float64(fe.Stot) }},
	{name: "haproxy_frontend_bytes_in_total", typ: counter, help: "Bytes received from clients.", val: func(fe *Frontend, _ clock) float64 { return float64(fe.Bin) }},
	{name: "haproxy_frontend_bytes_out_total", typ: counter, help: "Bytes sent to clients.", val: func(fe *Frontend, _ clock) float64 { return float64(fe.Bout) }},
	{name: "haproxy_frontend_requests_denied_total", typ: counter, help: "Requests denied by rules: halo has none.", val: func(*Frontend, clock) float64 { return 0 }},
	{name: "haproxy_frontend_request_errors_total", typ: counter, help: "Request errors: halo parses no requests.", val: func(*Frontend, clock) float64 { return 0 }},
	{name: "haproxy_frontend_limit_session_rate", typ: gauge, help: "Limit on new sessions per second, 0 for none.", val: func(*Frontend, clock) float64 { return 0 }},
	{name: "haproxy_frontend_max_session_rate", typ: gauge, help: "Highest number of new sessions in one second.", val: func(fe *Frontend, _ clock) float64 { return float64(fe.RateMax) }},
	{name: "haproxy_frontend_connections_rate_max", typ: gauge, help: "Highest number of new connections in one second.", val: func(fe *Frontend, _ clock) float64 { return float64(fe.RateMax) }},
	{name: "haproxy_frontend_connections_total", typ: counter, help: "Connections accepted since the process started.", val: func(fe *Frontend, _ clock) float64 { return float64(fe.Stot) }},
	{name: "haproxy_frontend_denied_connections_total", typ: counter, help: "Connections refused (maxconn reached, no usable backend).", val: func(fe *Frontend, _ clock) float64 { return float64(fe.Denied) }},
	{name: "haproxy_frontend_denied_sessions_total", typ: counter, help: "Sessions denied by rules: halo has none.", val: func(*Frontend, clock) float64 { return 0 }},
}

// sharedFams are the families servers and backends share, built for
// each kind by the accessor of its counters.
func sharedFams[T any](kind string, cnt func(*T) *Counters, limit func(*T) float64) []fam[T] {
	n := "haproxy_" + kind + "_"
	v := func(get func(*Counters) int64) func(*T, clock) float64 {
		return func(o *T, _ clock) float64 { return float64(get(cnt(o))) }
	}
	return []fam[T]{
		{name: n + "current_queue", typ: gauge, help: "Connections waiting for a server now.", val: v(func(c *Counters) int64 { return c.Qcur })},
		{name: n + "max_queue", typ: gauge, help: "Highest number of connections waiting at once.", val: v(func(c *Counters) int64 { return c.Qmax })},
		{name: n + "current_sessions", typ: gauge, help: "Sessions open now.", val: v(func(c *Counters) int64 { return c.Scur })},
		{name: n + "max_sessions", typ: gauge, help: "Highest number of sessions open at once.", val: v(func(c *Counters) int64 { return c.Smax })},
		{name: n + "limit_sessions", typ: gauge, help: "Session limit: the server's maxconn, the backend's fullconn.", val: func(o *T, _ clock) float64 { return limit(o) }},
		{name: n + "sessions_total", typ: counter, help: "Sessions since the process started.", val: v(func(c *Counters) int64 { return c.Stot })},
		{name: n + "bytes_in_total", typ: counter, help: "Bytes received from clients.", val: v(func(c *Counters) int64 { return c.Bin })},
		{name: n + "bytes_out_total", typ: counter, help: "Bytes sent to clients.", val: v(func(c *Counters) int64 { return c.Bout })},
		{name: n + "connection_errors_total", typ: counter, help: "Failed connections to servers.", val: v(func(c *Counters) int64 { return c.Econ })},
		{name: n + "response_errors_total", typ: counter, help: "Sessions the server ended by an error or a reset.", val: v(func(c *Counters) int64 { return c.SrvAbrt })},
		{name: n + "retry_warnings_total", typ: counter, help: "Connection retries.", val: v(func(c *Counters) int64 { return c.Wretr })},
		{name: n + "redispatch_warnings_total", typ: counter, help: "Retries sent to another server.", val: v(func(c *Counters) int64 { return c.Wredis })},
		{name: n + "loadbalanced_total", typ: counter, help: "Times the balancing algorithm picked it.", val: v(func(c *Counters) int64 { return c.LbTot })},
		{name: n + "max_session_rate", typ: gauge, help: "Highest number of new sessions in one second.", val: v(func(c *Counters) int64 { return c.RateMax })},
		{name: n + "client_aborts_total", typ: counter, help: "Sessions the client ended before the server answered.", val: v(func(c *Counters) int64 { return c.CliAbrt })},
		{name: n + "server_aborts_total", typ: counter, help: "Sessions the server ended (reset).", val: v(func(c *Counters) int64 { return c.SrvAbrt })},
		{name: n + "last_session_seconds", typ: gauge, help: "Seconds since the last session started, -1 for none.", val: func(o *T, c clock) float64 { return float64(c.lastSess(cnt(o).LastSess)) }},
		{name: n + "connection_attempts_total", typ: counter, help: "Connection attempts to servers, retries included.", val: v(func(c *Counters) int64 { return c.Stot + c.Wretr })},
		{name: n + "connection_reuses_total", typ: counter, help: "Server connections reused: halo reuses none.", val: func(*T, clock) float64 { return 0 }},
	}
}

var backendFams = append([]fam[Backend]{
	{name: "haproxy_backend_status", typ: gauge, help: "State of the backend: 1 for the current state.", states: upDown,
		sval: func(be *Backend, i int) float64 { return is((backendStatus(*be) == "UP") == (i == 1)) }},
	{name: "haproxy_backend_weight", typ: gauge, help: "Weight of the servers taking traffic.", val: func(be *Backend, _ clock) float64 { w, _ := backendWeights(*be).weight(); return float64(w) }},
	{name: "haproxy_backend_uweight", typ: gauge, help: "User weight of the servers taking traffic.", val: func(be *Backend, _ clock) float64 { _, u := backendWeights(*be).weight(); return float64(u) }},
	{name: "haproxy_backend_active_servers", typ: gauge, help: "Active servers taking traffic.", val: func(be *Backend, _ clock) float64 { return float64(backendWeights(*be).act) }},
	{name: "haproxy_backend_backup_servers", typ: gauge, help: "Backup servers taking traffic.", val: func(be *Backend, _ clock) float64 { return float64(backendWeights(*be).bck) }},
	{name: "haproxy_backend_check_up_down_total", typ: counter, help: "Times the backend went DOWN.", val: func(be *Backend, _ clock) float64 { return float64(be.ChkDown) }},
	{name: "haproxy_backend_check_last_change_seconds", typ: gauge, help: "Seconds since the backend's state last changed.", val: func(be *Backend, c clock) float64 { return float64(c.since(be.LastChange)) }},
	{name: "haproxy_backend_downtime_seconds_total", typ: counter, help: "Seconds the backend was DOWN; NaN for a backend without servers.", val: func(be *Backend, _ clock) float64 {
		if len(be.Servers) == 0 {
			return nan
		}
		return secs(be.Downtime)
	}},
	{name: "haproxy_backend_agg_server_status", typ: gauge, help: "Servers of the backend in each state.", states: serverStates, sval: aggServers},
	{name: "haproxy_backend_agg_server_check_status", typ: gauge, help: "Servers of the backend in each state (deprecated name of agg_server_status).", states: serverStates, sval: aggServers},
	{name: "haproxy_backend_agg_check_status", typ: gauge, help: "Servers of the backend by the result of their last check.", states: checkStates, sval: aggChecks},
}, sharedFams("backend", func(be *Backend) *Counters { return &be.Counters }, func(be *Backend) float64 { return float64(be.FullConn) })...)

func aggServers(be *Backend, i int) float64 {
	n := 0
	for j := range be.Servers {
		if serverState(&be.Servers[j]) == i {
			n++
		}
	}
	return float64(n)
}

func aggChecks(be *Backend, i int) float64 {
	n := 0
	for j := range be.Servers {
		if checkState(&be.Servers[j]) == i {
			n++
		}
	}
	return float64(n)
}

func probingServer(sv *Server) bool { return probing(*sv) }

// ifChecked gives v for a server with an enabled check, NaN otherwise, as
// the exporter does.
func ifChecked(v func(*Server) float64) func(*Server, clock) float64 {
	return func(sv *Server, _ clock) float64 {
		if !checked(*sv) {
			return nan
		}
		return v(sv)
	}
}

var serverFams = append([]fam[Server]{
	{name: "haproxy_server_status", typ: gauge, help: "State of the server: 1 for the current state.", states: serverStates,
		sval: func(sv *Server, i int) float64 { return is(serverState(sv) == i) }},
	{name: "haproxy_server_weight", typ: gauge, help: "Effective weight (ramping up during slowstart).", val: func(sv *Server, _ clock) float64 { return float64(sv.Weight) }},
	{name: "haproxy_server_uweight", typ: gauge, help: "User weight: configured, or as set on the control socket.", val: func(sv *Server, _ clock) float64 { return float64(sv.UWeight) }},
	{name: "haproxy_server_check_failures_total", typ: counter, help: "Failed health checks; NaN without a check.", val: ifChecked(func(sv *Server) float64 { return float64(sv.Check.Failed) })},
	{name: "haproxy_server_check_up_down_total", typ: counter, help: "Times the server went DOWN; NaN without a check.", val: ifChecked(func(sv *Server) float64 { return float64(sv.Check.Downs) })},
	{name: "haproxy_server_check_last_change_seconds", typ: gauge, help: "Seconds since the server's state last changed.", val: func(sv *Server, c clock) float64 { return float64(c.since(sv.LastChange)) }},
	{name: "haproxy_server_downtime_seconds_total", typ: counter, help: "Seconds the server was DOWN; NaN without a check.", val: ifChecked(func(sv *Server) float64 { return secs(sv.Downtime) })},
	{name: "haproxy_server_queue_limit", typ: gauge, help: "The server's maxqueue; NaN for none.", val: func(sv *Server, _ clock) float64 { return orNaN(sv.MaxQueue) }},
	{name: "haproxy_server_current_throttle", typ: gauge, help: "Slowstart percentage while ramping up; NaN otherwise.", val: func(sv *Server, _ clock) float64 { return orNaN(sv.Throttle) }},
	{name: "haproxy_server_check_status", typ: gauge, help: "Result of the last health check: 1 for the current result.", states: checkStates, has: probingServer,
		sval: func(sv *Server, i int) float64 { return is(checkState(sv) == i) }},
	{name: "haproxy_server_check_code", typ: gauge, help: "Layer 7 code of the last health check, 0 for none.", has: probingServer, val: func(sv *Server, _ clock) float64 { return float64(sv.Check.Code) }},
	{name: "haproxy_server_check_duration_seconds", typ: gauge, help: "How long the last health check took.", has: probingServer, val: func(sv *Server, _ clock) float64 { return sv.Check.Duration.Seconds() }},
	{name: "haproxy_server_idle_connections_current", typ: gauge, help: "Idle server connections kept for reuse: halo keeps none.", val: func(*Server, clock) float64 { return 0 }},
	{name: "haproxy_server_used_connections_current", typ: gauge, help: "Server connections in use.", val: func(sv *Server, _ clock) float64 { return float64(sv.Scur) }},
}, sharedFams("server", func(sv *Server) *Counters { return &sv.Counters }, func(sv *Server) float64 { return orNaN(sv.MaxConn) })...)
