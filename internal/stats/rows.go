package stats

import (
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// row is one line of `show stat`, indexed like columns; "" is an empty
// field: a value HAProxy leaves empty for this row type or state.
type row struct {
	typ    int // typeFrontend, typeBackend or typeServer
	iid    int
	sid    int
	fields []string
}

func newRow(typ, iid, sid int) row {
	r := row{typ: typ, iid: iid, sid: sid, fields: make([]string, len(columns))}
	r.fields[sepIndex] = separator
	return r
}

// set stores v in the named field; an unknown name is a programming error
// that every test run catches.
func (r row) set(name, v string) {
	i, ok := columnIndex[name]
	if !ok {
		panic("stats: unknown column " + name)
	}
	r.fields[i] = v
}

// present is what a field holds when it is filled with an empty string:
// the CSV shows it empty, `show stat typed` lists it with no value, as
// HAProxy lists last_chk after a check that said nothing.
const present = "\x00"

// setStr stores a string field that is filled even when it is empty.
func (r row) setStr(name, v string) {
	if v == "" {
		v = present
	}
	r.set(name, v)
}

// get returns the named field.
func (r row) get(name string) string { return r.fields[columnIndex[name]] }

func (r row) setInt(name string, v int64) { r.set(name, strconv.FormatInt(v, 10)) }

// zero sets each named field to "0": counters halo keeps at zero because
// it never does what they count (HTTP, SSL, compression, header rewrites).
func (r row) zero(names ...string) {
	for _, n := range names {
		r.set(n, "0")
	}
}

// setLimit writes a configured limit, or leaves the field empty when there
// is none.
func (r row) setLimit(name string, v int) {
	if v > 0 {
		r.setInt(name, int64(v))
	}
}

// clock turns the snapshot's times into the ages `show stat` prints.
type clock struct {
	now   time.Time // the snapshot's time
	start time.Time // the process start, for things that never changed
}

func newClock(s Snapshot) clock {
	now := s.Time
	if now.IsZero() {
		now = time.Now()
	}
	return clock{now: now, start: s.Process.Start}
}

// since returns the whole seconds from t (or from the start when t is
// zero) to the snapshot's time, never negative.
func (c clock) since(t time.Time) int64 {
	if t.IsZero() {
		t = c.start
	}
	if t.IsZero() || c.now.Before(t) {
		return 0
	}
	return int64(c.now.Sub(t) / time.Second)
}

// lastSess is HAProxy's `lastsess`: seconds since the last session, -1
// when there was none.
func (c clock) lastSess(t time.Time) int64 {
	if t.IsZero() {
		return -1
	}
	return c.since(t)
}

// The modules' fields (SSL, HTTP/2, HTTP/1) that HAProxy fills with zeros
// on frontends and backends; servers carry only the SSL ones.
var (
	sslFields  = []string{"ssl_sess", "ssl_reused_sess", "ssl_failed_handshake"}
	h1h2Fields = []string{"h2_headers_rcvd", "h2_data_rcvd", "h2_settings_rcvd", "h2_rst_stream_rcvd",
		"h2_goaway_rcvd", "h2_detected_conn_protocol_errors", "h2_detected_strm_protocol_errors",
		"h2_rst_stream_resp", "h2_goaway_resp", "h2_open_connections", "h2_backend_open_streams",
		"h2_total_connections", "h2_backend_total_streams", "h1_open_connections", "h1_open_streams",
		"h1_total_connections", "h1_total_streams", "h1_bytes_in", "h1_bytes_out",
		"h1_spliced_bytes_in", "h1_spliced_bytes_out"}
	httpFields = []string{"hrsp_1xx", "hrsp_2xx", "hrsp_3xx", "hrsp_4xx", "hrsp_5xx", "hrsp_other",
		"cache_lookups", "cache_hits"}
	// timingFields are the queue, connect, response and total time
	// averages and maxima, which halo does not measure.
	timingFields = []string{"qtime", "ctime", "rtime", "ttime", "qtime_max", "ctime_max", "rtime_max", "ttime_max"}
)

// common fills the fields every row type carries.
func common(r row, pxname, svname, mode string, c Counters) {
	r.set("pxname", pxname)
	r.set("svname", svname)
	r.setInt("scur", c.Scur)
	r.setInt("smax", c.Smax)
	r.setInt("stot", c.Stot)
	r.setInt("bin", c.Bin)
	r.setInt("bout", c.Bout)
	r.set("pid", "1") // relative process number: halo is one process
	r.setInt("iid", int64(r.iid))
	r.setInt("sid", int64(r.sid))
	r.setInt("type", int64(r.typ))
	r.setInt("rate", c.Rate)
	r.setInt("rate_max", c.RateMax)
	if mode == "" {
		mode = "tcp"
	}
	r.set("mode", mode)
	r.zero("dresp", "wrew", "eint")
	r.zero(sslFields...)
}

// backendSide fills what servers and backends share: queues, connection
// errors, retries, balancing and abort counters.
func backendSide(r row, c clock, cnt Counters) {
	r.setInt("qcur", cnt.Qcur)
	r.setInt("qmax", cnt.Qmax)
	r.setInt("econ", cnt.Econ)
	// HAProxy counts server aborts among the response errors too.
	r.setInt("eresp", cnt.SrvAbrt)
	r.setInt("wretr", cnt.Wretr)
	r.setInt("wredis", cnt.Wredis)
	r.setInt("lbtot", cnt.LbTot)
	r.setInt("cli_abrt", cnt.CliAbrt)
	r.setInt("srv_abrt", cnt.SrvAbrt)
	r.setInt("lastsess", c.lastSess(cnt.LastSess))
	// Every session makes one connection attempt, every retry one more.
	r.setInt("connect", cnt.Stot+cnt.Wretr)
	r.zero("reuse")
	r.zero(timingFields...)
}

func frontendRow(fe Frontend) row {
	r := newRow(typeFrontend, fe.ID, 0)
	common(r, fe.Name, "FRONTEND", fe.Mode, fe.Counters)
	r.setLimit("slim", fe.MaxConn)
	r.zero("dreq", "ereq", "rate_lim", "req_rate", "req_rate_max", "req_tot",
		"comp_in", "comp_out", "comp_byp", "comp_rsp", "dses")
	status := fe.Status
	if status == "" {
		status = "OPEN"
	}
	r.set("status", status)
	// halo's sessions are its connections: one per accepted client.
	r.setInt("conn_rate", fe.Rate)
	r.setInt("conn_rate_max", fe.RateMax)
	r.setInt("conn_tot", fe.Stot)
	r.setInt("dcon", fe.Denied)
	if fe.Mode == "http" {
		r.zero(httpFields...)
		r.zero("intercepted")
	}
	r.zero(h1h2Fields...)
	return r
}

// usable reports whether a server takes new connections and so counts in
// its backend's act, bck and weight: running (UP, "no check", or UP and
// going down), not drained or in maintenance, and with a weight.
func usable(sv Server) bool {
	if sv.Admin == AdminDrain || sv.Admin == AdminMaint || sv.Weight <= 0 {
		return false
	}
	w := statusWord(sv.Status)
	return w == "UP" || w == "no check"
}

// statusWord is the state in a server status without its transition:
// "UP" for "UP 1/3", "MAINT" for "MAINT (via b/s)".
func statusWord(status string) string {
	if status == "no check" {
		return status
	}
	w, _, _ := strings.Cut(status, " ")
	return w
}

// checked reports whether the server has an enabled health check; its
// check counters are shown then.
func checked(sv Server) bool { return sv.Check != nil && sv.Check.Enabled }

// probing reports whether the check is running now: HAProxy pauses the
// checks of a server in maintenance and shows no check result then.
func probing(sv Server) bool { return checked(sv) && sv.Admin != AdminMaint }

func serverRow(be Backend, sv Server, c clock, legends bool) row {
	r := newRow(typeServer, be.ID, sv.ID)
	common(r, be.Name, sv.Name, be.Mode, sv.Counters)
	backendSide(r, c, sv.Counters)
	r.setLimit("slim", sv.MaxConn)
	r.setLimit("qlimit", sv.MaxQueue)
	r.set("status", sv.Status)
	r.setInt("weight", int64(sv.Weight))
	r.setInt("uweight", int64(sv.UWeight))
	r.set("act", bit(!sv.Backup))
	r.set("bck", bit(sv.Backup))
	r.setInt("lastchg", c.since(sv.LastChange))
	if sv.Throttle > 0 {
		r.setInt("throttle", int64(sv.Throttle))
	}
	if checked(sv) {
		ck := sv.Check
		r.setInt("chkfail", ck.Failed)
		r.setInt("chkdown", ck.Downs)
		r.setInt("downtime", int64(sv.Downtime/time.Second))
	}
	if probing(sv) && sv.Check.Status != "" {
		ck := sv.Check
		r.setStr("check_status", ck.Status)
		if ck.Code > 0 {
			r.setInt("check_code", int64(ck.Code))
		}
		r.setInt("check_duration", ck.Duration.Milliseconds())
		r.setStr("last_chk", ck.Detail)
		r.setStr("check_desc", ck.Desc)
		r.setInt("check_rise", int64(ck.Rise))
		r.setInt("check_fall", int64(ck.Fall))
		r.setInt("check_health", int64(ck.Health))
	}
	if legends {
		r.set("addr", serverAddr(sv))
	}
	// halo keeps no idle server connections: every connection in use
	// belongs to a live session.
	r.zero("srv_icur", "idle_conn_cur", "safe_conn_cur", "used_conn_cur", "need_conn_est")
	r.setInt("used_conn_cur", sv.Scur)
	return r
}

// serverAddr is the `addr` field: "ip:port", "[ipv6]:port", port 0 when
// the server takes the client's; empty while a name does not resolve, as
// HAProxy leaves it.
func serverAddr(sv Server) string {
	a, err := netip.ParseAddr(sv.Addr)
	if err != nil || sv.Port < 0 || sv.Port > 65535 {
		return ""
	}
	return netip.AddrPortFrom(a, uint16(sv.Port)).String()
}

// weights are a backend's act, bck, weight and uweight, computed from its
// servers as HAProxy does: the weight is that of the servers taking
// traffic, the active ones, or the backups when no active one is usable.
type weights struct {
	act, bck   int
	wact, wbck int
	uact, ubck int
}

func backendWeights(be Backend) weights {
	var w weights
	for _, sv := range be.Servers {
		if !usable(sv) {
			continue
		}
		if sv.Backup {
			w.bck++
			w.wbck += sv.Weight
			w.ubck += sv.UWeight
		} else {
			w.act++
			w.wact += sv.Weight
			w.uact += sv.UWeight
		}
	}
	return w
}

func (w weights) weight() (eff, user int) {
	if w.act > 0 {
		return w.wact, w.uact
	}
	return w.wbck, w.ubck
}

// backendStatus is the BACKEND row's status. A stats page's back half has
// no server and is never DOWN.
func backendStatus(be Backend) string {
	if be.Stats {
		return "UP"
	}
	if be.Status == "" {
		if backendWeights(be).act+backendWeights(be).bck > 0 {
			return "UP"
		}
		return "DOWN"
	}
	return be.Status
}

func backendRow(be Backend, c clock, legends bool) row {
	r := newRow(typeBackend, be.ID, 0)
	common(r, be.Name, "BACKEND", be.Mode, be.Counters)
	backendSide(r, c, be.Counters)
	r.setLimit("slim", be.FullConn)
	r.zero("dreq", "comp_in", "comp_out", "comp_byp", "comp_rsp",
		"agg_server_status", "agg_server_check_status", "agg_check_status")
	r.set("status", backendStatus(be))
	w := backendWeights(be)
	eff, user := w.weight()
	r.setInt("weight", int64(eff))
	r.setInt("uweight", int64(user))
	r.setInt("act", int64(w.act))
	r.setInt("bck", int64(w.bck))
	r.setInt("chkdown", be.ChkDown)
	r.setInt("lastchg", c.since(be.LastChange))
	if len(be.Servers) > 0 {
		r.setInt("downtime", int64(be.Downtime/time.Second))
	}
	if legends {
		algo := be.Algo
		if algo == "" {
			algo = "roundrobin" // HAProxy's default balance
		}
		r.set("algo", algo)
	}
	if be.Mode == "http" {
		r.zero(httpFields...)
		r.zero("req_tot")
	}
	r.zero(h1h2Fields...)
	return r
}

func bit(b bool) string {
	if b {
		return "1"
	}
	return "0"
}
