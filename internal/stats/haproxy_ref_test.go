package stats

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The snapshots below are what halo's daemon would report for the configs
// of testdata/haproxy/ in the state HAProxy was captured in, so that the
// renderers can be held against HAProxy's own output.

var refNow = time.Date(2026, 12, 2, 18, 41, 0, 0, time.UTC)

func refAgo(s int) time.Time { return refNow.Add(-time.Duration(s) * time.Second) }

// refCheck is a finished check of the captures (inter 500ms or 1s, rise 2,
// fall 3 unless said).
func refCheck(status string, code int, desc, detail string, health int, failed, downs int64) *Check {
	return &Check{Enabled: true, Status: status, Code: code, Desc: desc, Detail: detail,
		Rise: 2, Fall: 3, Health: health, Failed: failed, Downs: downs, Kind: "tcp"}
}

// hSnapshot is h.cfg one second after the start: be/s1 checked and
// refused, be/s2 unchecked with weight 10, a `listen stats`.
func hSnapshot() Snapshot {
	start := refAgo(1)
	return Snapshot{
		Time:    refNow,
		Process: Process{Start: start, MaxConn: 9983},
		Frontends: []Frontend{
			{Name: "fe", ID: 2, Mode: "tcp", Status: "OPEN", MaxConn: 9983, Kind: "proxy"},
			{Name: "stats", ID: 4, Mode: "http", Status: "OPEN", MaxConn: 9983, Kind: "stats"},
		},
		Backends: []Backend{
			{Name: "be", ID: 3, Mode: "tcp", Algo: "roundrobin", Status: "UP", FullConn: 999, LastChange: start,
				Servers: []Server{
					{Name: "s1", ID: 1, Addr: "127.0.0.1", Port: 18002, Status: "DOWN", Admin: AdminReady,
						Weight: 1, UWeight: 1, IWeight: 1, LastChange: start, Downtime: time.Second,
						Check: refCheck("L4CON", 0, "Layer4 connection problem", "Connection refused", 0, 1, 1)},
					{Name: "s2", ID: 2, Addr: "127.0.0.1", Port: 18003, Status: "no check", Admin: AdminReady,
						Up: true, Weight: 10, UWeight: 10, IWeight: 10, LastChange: start},
				}},
			{Name: "stats", ID: 4, Mode: "http", Algo: "roundrobin", Status: "UP", Stats: true, FullConn: 999, LastChange: start},
		},
	}
}

// rSnapshot is r.cfg five seconds after the start, app/drain1 drained two
// seconds before.
func rSnapshot() Snapshot {
	start := refAgo(5)
	l4ok := func() *Check { return refCheck("L4OK", 0, "Layer4 check passed", "", 4, 0, 0) }
	srv := func(name string, id, port int, status string) Server {
		return Server{Name: name, ID: id, Addr: "127.0.0.1", Port: port, Status: status, Admin: AdminReady,
			Up: true, Weight: 1, UWeight: 1, IWeight: 1, LastChange: start}
	}
	up1 := srv("up1", 1, 28010, "UP")
	up1.MaxConn, up1.MaxQueue, up1.Check = 50, 7, l4ok()
	down1 := srv("down1", 2, 28099, "DOWN")
	down1.Up, down1.Downtime = false, 5*time.Second
	down1.Check = refCheck("L4CON", 0, "Layer4 connection problem", "Connection refused", 0, 1, 1)
	down1.Check.Rise, down1.Check.Fall = 3, 2
	maint1 := srv("maint1", 3, 28010, "MAINT")
	maint1.Admin, maint1.AdminFromConfig, maint1.Downtime, maint1.Check = AdminMaint, true, 5*time.Second, l4ok()
	drain1 := srv("drain1", 4, 28010, "DRAIN")
	drain1.Admin, drain1.Weight, drain1.UWeight, drain1.IWeight = AdminDrain, 20, 20, 20
	drain1.LastChange, drain1.Check = refAgo(3), l4ok()
	slow1 := srv("slow1", 5, 28010, "UP")
	slow1.Check = l4ok()
	bk1 := srv("bk1", 6, 28010, "no check")
	bk1.Backup = true
	ok := srv("ok", 1, 28011, "UP")
	ok.Check = refCheck("L7OK", 200, "Layer7 check passed", "", 4, 0, 0)
	bad := srv("bad", 2, 28012, "DOWN")
	bad.Up, bad.LastChange, bad.Downtime = false, refAgo(3), 3*time.Second
	bad.Check = refCheck("L7STS", 503, "Layer7 wrong status", "Service Unavailable", 0, 1, 1)
	http := func(name string, id int, stot, bin, bout int64) Frontend {
		return Frontend{Name: name, ID: id, Mode: "http", Status: "OPEN", MaxConn: 500, Kind: "proxy",
			Counters: Counters{Smax: 1, Stot: stot, Bin: bin, Bout: bout, Rate: 2, RateMax: 2}}
	}
	return Snapshot{
		Time:    refNow,
		Process: Process{Start: start, MaxConn: 500},
		Frontends: []Frontend{
			{Name: "web", ID: 2, Mode: "tcp", Status: "OPEN", MaxConn: 200, Kind: "proxy"},
			{Name: "webhttp", ID: 4, Mode: "tcp", Status: "OPEN", MaxConn: 500, Kind: "proxy"},
			http("okhttp", 5, 8, 264, 392),
			http("badhttp", 6, 7, 231, 462),
			{Name: "target", ID: 7, Mode: "tcp", Status: "OPEN", MaxConn: 500, Kind: "proxy"},
		},
		Backends: []Backend{
			{Name: "app", ID: 3, Mode: "tcp", Algo: "leastconn", Status: "UP", FullConn: 300, LastChange: start,
				Servers: []Server{up1, down1, maint1, drain1, slow1, bk1}},
			{Name: "webhttp", ID: 4, Mode: "tcp", Algo: "roundrobin", Status: "UP", FullConn: 50, LastChange: start,
				Servers: []Server{ok, bad}},
			{Name: "empty", ID: 8, Mode: "tcp", Algo: "roundrobin", Status: "UP", FullConn: 50, LastChange: start,
				Servers: []Server{func() Server { s := srv("none", 1, 28098, "no check"); return s }()}},
		},
	}
}

// readRef returns a capture's lines, without the blank line that ends a
// runtime API answer.
func readRef(t *testing.T, name string) []string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "haproxy", name))
	if err != nil {
		t.Fatal(err)
	}
	return strings.Split(strings.TrimRight(string(b), "\n"), "\n")
}

// approximate are fields whose value halo cannot reproduce (HAProxy's
// HTTP counters of its own HTTP frontends, its idle-connection estimate):
// only whether they are empty is compared.
var approximate = map[string]bool{
	"hrsp_1xx": true, "hrsp_2xx": true, "hrsp_3xx": true, "hrsp_4xx": true, "hrsp_5xx": true, "hrsp_other": true,
	"req_rate": true, "req_rate_max": true, "req_tot": true, "intercepted": true, "need_conn_est": true,
	"h1_open_connections": true, "h1_open_streams": true, "h1_total_connections": true, "h1_total_streams": true,
	"h1_bytes_in": true, "h1_bytes_out": true,
}
