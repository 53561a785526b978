package stats

import (
	_ "embed"
	"fmt"
	"html/template"
	"io"
	"strconv"
	"strings"
	"time"
)

// HTMLOptions are the page's settings.
type HTMLOptions struct {
	// URI is the page's own URI (`stats uri`), for its CSV and refresh
	// links; "" links relative to the page.
	URI string
	// Refresh makes the browser reload the page this often; 0 = never.
	Refresh time.Duration
}

// WriteHTML writes the statistics page of s: the process, the VRRP
// instances and, as HAProxy's page lays them out, one table per proxy with
// its frontend, servers and backend.
func WriteHTML(w io.Writer, s Snapshot, o HTMLOptions) error {
	if err := pageTemplate.Execute(w, htmlView(s, o)); err != nil {
		return fmt.Errorf("write stats page: %w", err)
	}
	return nil
}

//go:embed page.html.tmpl
var pageSource string

var pageTemplate = template.Must(template.New("stats").Parse(pageSource))

type htmlKV struct{ Label, Value string }

type htmlPage struct {
	Title    string
	Subtitle string
	Now      string
	Refresh  int64 // seconds; 0 = none
	Self     string
	CSV      string
	Process  []htmlKV
	VRRP     []htmlInstance
	Scripts  []Script
	Groups   []SyncGroup
	Proxies  []htmlProxy
}

type htmlInstance struct {
	Name, Interface, Class, State, Since, Reason, Master, Priority, Adverts, Drops string
	VRID                                                                           uint8
	Version                                                                        int
	Trackers                                                                       []htmlKV
	VIPs                                                                           []htmlVIP
}

type htmlVIP struct {
	Addr, Dev string
	Present   bool
	Excluded  bool
}

type htmlProxy struct {
	Name string
	Mode string
	Algo string
	Rows []htmlRow
}

// htmlRow is one line of a proxy table; empty cells stay empty.
type htmlRow struct {
	Class, Label                               string
	Qcur, Qmax, Qlim                           string
	Rate, RateMax                              string
	Scur, Smax, Slim, Stot, LbTot              string
	Bin, Bout, BinExact, BoutExact             string
	Denied, Econ, Eresp, Wretr, Wredis         string
	Status, LastChk, LastChkTitle              string
	Weight, Act, Bck, Chk, Dwn, Dwntme, Thrtle string
	Addr, Admin, AdminTitle                    string
}

func htmlView(s Snapshot, o HTMLOptions) htmlPage {
	c := newClock(s)
	p := s.Process
	name := p.Name
	if name == "" {
		name = "halo"
	}
	pg := htmlPage{
		Title:   "Statistics Report for " + name + node(p),
		Now:     c.now.UTC().Format(time.RFC1123),
		Refresh: int64((o.Refresh + time.Second - 1) / time.Second),
		Self:    o.URI,
		CSV:     o.URI + ";csv",
		Process: processKVs(s, c),
		Scripts: s.Scripts,
		Groups:  s.Groups,
	}
	if o.URI == "" {
		pg.Self, pg.CSV = "?", ";csv"
	}
	if p.Version != "" {
		pg.Subtitle = name + " version " + p.Version
		if p.ReleaseDate != "" {
			pg.Subtitle += ", released " + p.ReleaseDate
		}
	}
	for _, in := range s.VRRP {
		pg.VRRP = append(pg.VRRP, htmlInst(in, c))
	}
	for _, px := range proxies(s) {
		hp := htmlProxy{Name: px.name}
		if px.frontend != nil {
			hp.Mode = px.frontend.Mode
			hp.Rows = append(hp.Rows, htmlFrontend(*px.frontend))
		}
		if be := px.backend; be != nil {
			hp.Mode = be.Mode
			if !be.Stats {
				hp.Algo = be.Algo
			}
			for _, sv := range be.Servers {
				hp.Rows = append(hp.Rows, htmlServer(sv, c))
			}
			hp.Rows = append(hp.Rows, htmlBackend(*be, c))
		}
		if hp.Mode == "" {
			hp.Mode = "tcp"
		}
		pg.Proxies = append(pg.Proxies, hp)
	}
	return pg
}

func node(p Process) string {
	if p.Node == "" {
		return ""
	}
	return " on " + p.Node
}

func processKVs(s Snapshot, c clock) []htmlKV {
	p := s.Process
	n := strconv.Itoa
	i := func(v int64) string { return grouped(v) }
	maxconn := "none"
	if p.MaxConn > 0 {
		maxconn = n(p.MaxConn)
	}
	kv := []htmlKV{
		{"pid", n(p.Pid)},
		{"uptime", uptime(c.now.Sub(p.Start))},
		{"threads", n(p.Nbthread)},
		{"maxconn", maxconn},
		{"current conns", i(p.CurrConns)},
		{"conn rate", i(p.ConnRate) + "/s (max " + i(p.MaxConnRate) + ")"},
		{"total conns", i(p.CumConns)},
		{"listeners", n(p.Listeners)},
		{"bytes out", i(p.BytesOut)},
		{"ulimit-n", n(p.UlimitN)},
	}
	reload := "never"
	if !p.LastReload.IsZero() {
		reload = age(c.now.Sub(p.LastReload)) + " ago"
	}
	kv = append(kv, htmlKV{"reloads", fmt.Sprintf("%d (%d refused), last %s", p.Reloads, p.ReloadErrors, reload)})
	if p.Stopping {
		kv = append(kv, htmlKV{"stopping", "yes"})
	}
	return kv
}

func htmlInst(in Instance, c clock) htmlInstance {
	h := htmlInstance{
		Name: in.Name, VRID: in.VRID, Interface: in.Interface, Version: in.Version,
		State: in.State, Class: "vrrp_" + strings.ToLower(in.State), Reason: in.Reason,
		Priority: priorityText(in),
		Adverts:  fmt.Sprintf("%d in, %d out", in.Counters.AdvertsReceived, in.Counters.AdvertsSent),
		Drops:    strconv.FormatInt(drops(in.Counters), 10),
	}
	if in.Maintenance {
		h.State += " (handed over)"
	}
	if !in.Since.IsZero() {
		h.Since = age(c.now.Sub(in.Since))
	}
	h.Master = masterText(in)
	for _, t := range in.Trackers {
		h.Trackers = append(h.Trackers, htmlKV{t.Kind + " " + t.Name, trackerText(t)})
	}
	for _, v := range in.VIPs {
		h.VIPs = append(h.VIPs, htmlVIP{Addr: v.Prefix.String(), Dev: v.Dev, Present: v.Present, Excluded: v.Excluded})
	}
	return h
}

// priorityText is "100", or "100 → 90" when tracking changes it.
func priorityText(in Instance) string {
	if in.BasePriority == in.EffectivePriority {
		return strconv.Itoa(in.BasePriority)
	}
	return strconv.Itoa(in.BasePriority) + " → " + strconv.Itoa(in.EffectivePriority)
}

// trackerText says what a tracker contributes now: "+10 (up)", "FAULT
// (down)".
func trackerText(t Tracker) string {
	state := "down"
	if t.Up {
		state = "up"
	}
	if t.Fault {
		return "FAULT (" + state + ")"
	}
	return signed(t.Delta) + " (" + state + ")"
}

func masterText(in Instance) string {
	switch {
	case in.State == "MASTER":
		return "this node"
	case in.Master.IsValid():
		return in.Master.String() + " (" + strconv.Itoa(in.MasterPriority) + ")"
	}
	return "unknown"
}

// drops sums an instance's dropped-packet counters.
func drops(c VRRPCounters) int64 {
	return c.PacketLengthErrors + c.AdvertIntervalErrors + c.IPTTLErrors + c.InvalidTypeReceived +
		c.AddressListErrors + c.AuthInvalid + c.AuthTypeMismatch + c.AuthFailure +
		c.VersionErrors + c.ChecksumErrors
}

func htmlFrontend(fe Frontend) htmlRow {
	status := fe.Status
	if status == "" {
		status = "OPEN"
	}
	r := htmlRow{
		Class: "frontend", Label: "Frontend",
		Rate: grouped(fe.Rate), RateMax: grouped(fe.RateMax),
		Scur: grouped(fe.Scur), Smax: grouped(fe.Smax), Stot: grouped(fe.Stot),
		Bin: bytesText(fe.Bin), Bout: bytesText(fe.Bout), BinExact: grouped(fe.Bin), BoutExact: grouped(fe.Bout),
		Denied: grouped(fe.Denied),
		Status: status, Addr: strings.Join(fe.Listeners, ", "),
	}
	if fe.MaxConn > 0 {
		r.Slim = grouped(int64(fe.MaxConn))
	}
	return r
}

// backendCells fills the cells servers and backends share.
func backendCells(r *htmlRow, cnt Counters) {
	r.Qcur, r.Qmax = grouped(cnt.Qcur), grouped(cnt.Qmax)
	r.Rate, r.RateMax = grouped(cnt.Rate), grouped(cnt.RateMax)
	r.Scur, r.Smax, r.Stot = grouped(cnt.Scur), grouped(cnt.Smax), grouped(cnt.Stot)
	r.LbTot = grouped(cnt.LbTot)
	r.Bin, r.Bout = bytesText(cnt.Bin), bytesText(cnt.Bout)
	r.BinExact, r.BoutExact = grouped(cnt.Bin), grouped(cnt.Bout)
	r.Econ, r.Eresp = grouped(cnt.Econ), grouped(cnt.SrvAbrt)
	r.Wretr, r.Wredis = grouped(cnt.Wretr), grouped(cnt.Wredis)
}

func htmlServer(sv Server, c clock) htmlRow {
	r := htmlRow{Class: serverClass(sv), Label: sv.Name}
	backendCells(&r, sv.Counters)
	if sv.MaxConn > 0 {
		r.Slim = grouped(int64(sv.MaxConn))
	}
	if sv.MaxQueue > 0 {
		r.Qlim = grouped(int64(sv.MaxQueue))
	}
	r.Status = sv.Status
	if sv.Status != "no check" {
		r.Status = age(time.Duration(c.since(sv.LastChange))*time.Second) + " " + sv.Status
	}
	if probing(sv) {
		r.LastChk = checkSummary(sv.Check)
		r.LastChkTitle = checkDetail(sv.Check)
	}
	r.Weight = strconv.Itoa(sv.Weight) + "/" + strconv.Itoa(sv.UWeight)
	r.Act, r.Bck = yes(!sv.Backup), yes(sv.Backup)
	if checked(sv) {
		r.Chk = grouped(sv.Check.Failed)
		r.Dwn = grouped(sv.Check.Downs)
		r.Dwntme = age(sv.Downtime)
	}
	r.Thrtle = "-"
	if sv.Throttle > 0 {
		r.Thrtle = strconv.Itoa(sv.Throttle) + " %"
	}
	r.Addr = sv.Addr
	if sv.Port > 0 {
		r.Addr = serverAddr(sv)
		if r.Addr == "" { // a name that does not resolve yet
			r.Addr = sv.Addr + ":" + strconv.Itoa(sv.Port)
		}
	}
	r.Admin = sv.Admin
	if r.Admin == "" {
		r.Admin = AdminReady
	}
	if sv.AdminFromConfig {
		r.Admin += "*"
		r.AdminTitle = "set by the config (disabled)"
	}
	return r
}

func htmlBackend(be Backend, c clock) htmlRow {
	r := htmlRow{Class: "backend", Label: "Backend"}
	backendCells(&r, be.Counters)
	if be.FullConn > 0 {
		r.Slim = grouped(int64(be.FullConn))
	}
	status := backendStatus(be)
	if status == "DOWN" {
		r.Class = "backend_down"
	}
	r.Status = age(time.Duration(c.since(be.LastChange))*time.Second) + " " + status
	w := backendWeights(be)
	eff, user := w.weight()
	r.Weight = strconv.Itoa(eff) + "/" + strconv.Itoa(user)
	r.Act, r.Bck = strconv.Itoa(w.act), strconv.Itoa(w.bck)
	r.Dwn = grouped(be.ChkDown)
	if len(be.Servers) > 0 {
		r.Dwntme = age(be.Downtime)
	}
	return r
}

func yes(b bool) string {
	if b {
		return "Y"
	}
	return "-"
}

// serverClass names a server row's colour after HAProxy's legend: active
// or backup, then its state and transition.
func serverClass(sv Server) string {
	kind := "active_"
	if sv.Backup {
		kind = "backup_"
	}
	if sv.Admin == AdminMaint {
		return "maintain"
	}
	word := statusWord(sv.Status)
	going := word != sv.Status && strings.Contains(sv.Status, "/")
	switch {
	case word == "UP" && going:
		return kind + "going_down"
	case word == "UP":
		return kind + "up"
	case word == "DOWN" && going:
		return kind + "going_up"
	case word == "DOWN":
		return kind + "down"
	case word == "MAINT":
		return "maintain"
	case word == "DRAIN":
		return kind + "draining"
	case word == "NOLB":
		return kind + "nolb"
	}
	return kind + "no_check"
}
