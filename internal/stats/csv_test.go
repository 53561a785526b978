package stats

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/halo-lb/halo/internal/proxy"
)

var update = flag.Bool("update", false, "rewrite testdata golden files")

// fakeSnapshot is a `listen` section (frontend and backend "web") with an
// active UP, an active DOWN, a draining, a maintenance and an unchecked
// backup server, plus a lone backend with no usable server.
func fakeSnapshot() proxy.Snapshot {
	return proxy.Snapshot{
		Frontends: []proxy.FrontendStat{
			{Name: "web", Counters: proxy.Counters{Scur: 3, Smax: 9, Stot: 120, Bin: 4000, Bout: 90000}, MaxConn: 2000},
		},
		Backends: []proxy.BackendStat{
			{Name: "api", Status: "DOWN", Counters: proxy.Counters{Econ: 7, Wretr: 21}, Servers: []proxy.ServerStat{
				{Name: "api1", Status: "DOWN", Weight: 1, Counters: proxy.Counters{Econ: 7, Wretr: 21}},
			}},
			{Name: "web", Status: "UP", Counters: proxy.Counters{Scur: 3, Smax: 9, Stot: 118, Bin: 4000, Bout: 90000, Econ: 2, Wretr: 2, Wredis: 1, Qcur: 1, Qmax: 4}, Servers: []proxy.ServerStat{
				{Name: "w1", Status: "UP", Up: true, Weight: 10, MaxConn: 100, Counters: proxy.Counters{Scur: 2, Smax: 5, Stot: 80, Bin: 3000, Bout: 60000, Qmax: 4}},
				{Name: "w2", Status: "DOWN", Weight: 10, Counters: proxy.Counters{Stot: 2, Econ: 2, Wretr: 2, Wredis: 1}},
				{Name: "w3", Status: "DRAIN", Up: true, Admin: proxy.Drain, Weight: 0, Counters: proxy.Counters{Scur: 1, Smax: 2, Stot: 30}},
				{Name: "w4", Status: "MAINT", Admin: proxy.Maint, Weight: 5},
				{Name: "b1", Status: "no check", Up: true, Weight: 1, Backup: true, Counters: proxy.Counters{Stot: 6}},
			}},
		},
	}
}

// haproxyHeader is the start of HAProxy 2.5's `show stat` header, as
// listed in the management guide, section 9.1.
const haproxyHeader = "# pxname,svname,qcur,qmax,scur,smax,slim,stot,bin,bout,dreq,dresp,ereq,econ,eresp,wretr,wredis,status,weight,act,bck,chkfail,chkdown,lastchg,downtime,qlimit,pid,iid,sid,throttle,lbtot,tracked,type,rate,rate_lim,rate_max,check_status,check_code,check_duration,hrsp_1xx,hrsp_2xx,hrsp_3xx,hrsp_4xx,hrsp_5xx,hrsp_other,hanafail,req_rate,req_rate_max,req_tot,cli_abrt,srv_abrt,comp_in,comp_out,comp_byp,comp_rsp,lastsess,last_chk,last_agt,qtime,ctime,rtime,ttime,agent_status,agent_code,agent_duration,check_desc,agent_desc,check_rise,check_fall,check_health,agent_rise,agent_fall,agent_health,addr,cookie,mode,algo,conn_rate,conn_rate_max,conn_tot,intercepted,dcon,dses,wrew,connect,reuse,cache_lookups,cache_hits,srv_icur,src_ilim,qtime_max,ctime_max,rtime_max,ttime_max,eint,idle_conn_cur,safe_conn_cur,used_conn_cur,need_conn_est,uweight,"

func writeCSV(t *testing.T, s proxy.Snapshot) string {
	t.Helper()
	var b bytes.Buffer
	if err := WriteCSV(&b, s); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func TestCSVHeaderIsHAProxysColumnList(t *testing.T) {
	got, _, _ := strings.Cut(writeCSV(t, proxy.Snapshot{}), "\n")
	if diff := cmp.Diff(haproxyHeader, got); diff != "" {
		t.Errorf("header (-want +got):\n%s", diff)
	}
}

func TestCSVRowsFollowHAProxysOrder(t *testing.T) {
	lines := strings.Split(strings.TrimSuffix(writeCSV(t, fakeSnapshot()), "\n"), "\n")
	var got []string
	for _, l := range lines[1:] {
		f := strings.Split(l, ",")
		if len(f) != len(columns)+1 || f[len(f)-1] != "" {
			t.Fatalf("line %q has %d fields, want %d and a trailing comma", l, len(f)-1, len(columns))
		}
		got = append(got, f[0]+"/"+f[1])
	}
	want := []string{"web/FRONTEND", "web/w1", "web/w2", "web/w3", "web/w4", "web/b1", "web/BACKEND", "api/api1", "api/BACKEND"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("rows (-want +got):\n%s", diff)
	}
}

func TestCSVFieldsMatchTheSnapshot(t *testing.T) {
	fields := map[string]map[string]string{}
	for _, l := range strings.Split(strings.TrimSpace(writeCSV(t, fakeSnapshot())), "\n")[1:] {
		f := strings.Split(l, ",")
		m := map[string]string{}
		for i, c := range columns {
			m[c] = f[i]
		}
		fields[f[0]+"/"+f[1]] = m
	}
	pick := []string{"qcur", "qmax", "scur", "smax", "slim", "stot", "bin", "bout", "econ", "wretr", "wredis", "status", "weight", "act", "bck", "sid", "type", "mode"}
	tests := []struct {
		name, key string
		want      []string // values of pick, in order
	}{
		{"the frontend shows sessions, bytes and its limit", "web/FRONTEND", []string{"", "", "3", "9", "2000", "120", "4000", "90000", "", "", "", "OPEN", "", "", "", "0", "0", "tcp"}},
		{"an UP server shows its counters and queue", "web/w1", []string{"0", "4", "2", "5", "100", "80", "3000", "60000", "0", "0", "0", "UP", "10", "1", "0", "1", "2", "tcp"}},
		{"a DOWN server shows its errors and retries", "web/w2", []string{"0", "0", "0", "0", "", "2", "0", "0", "2", "2", "1", "DOWN", "10", "1", "0", "2", "2", "tcp"}},
		{"a draining server", "web/w3", []string{"0", "0", "1", "2", "", "30", "0", "0", "0", "0", "0", "DRAIN", "0", "1", "0", "3", "2", "tcp"}},
		{"a server in maintenance", "web/w4", []string{"0", "0", "0", "0", "", "0", "0", "0", "0", "0", "0", "MAINT", "5", "1", "0", "4", "2", "tcp"}},
		{"an unchecked backup", "web/b1", []string{"0", "0", "0", "0", "", "6", "0", "0", "0", "0", "0", "no check", "1", "0", "1", "5", "2", "tcp"}},
		{"the backend counts usable servers and their weight", "web/BACKEND", []string{"1", "4", "3", "9", "", "118", "4000", "90000", "2", "2", "1", "UP", "10", "1", "1", "0", "1", "tcp"}},
		{"a backend with no usable server is DOWN with weight 0", "api/BACKEND", []string{"0", "0", "0", "0", "", "0", "0", "0", "7", "21", "0", "DOWN", "0", "0", "0", "0", "1", "tcp"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, ok := fields[tt.key]
			if !ok {
				t.Fatalf("no row %s", tt.key)
			}
			var got []string
			for _, c := range pick {
				got = append(got, m[c])
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("%v (-want +got):\n%s", pick, diff)
			}
		})
	}
}

func TestCSVMatchesGolden(t *testing.T) {
	got := writeCSV(t, fakeSnapshot())
	path := filepath.Join("testdata", "show_stat.csv")
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update)", err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("%s (-want +got):\n%s", path, diff)
	}
}

func TestCSVNamesCannotBreakALine(t *testing.T) {
	s := proxy.Snapshot{Frontends: []proxy.FrontendStat{{Name: "a,b\nc"}}}
	lines := strings.Split(strings.TrimSuffix(writeCSV(t, s), "\n"), "\n")
	if len(lines) != 2 || !strings.HasPrefix(lines[1], "a_b_c,FRONTEND,") {
		t.Errorf("got %q", lines)
	}
}
