package stats

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/halo-lb/halo/internal/proxy"
)

// columns are the `show stat` CSV fields 0 to 99 (pxname to uweight) of
// HAProxy's management guide, section 9.1, in order. Later fields differ
// between HAProxy versions, so halo stops here.
var columns = strings.Split("pxname,svname,qcur,qmax,scur,smax,slim,stot,bin,bout,"+
	"dreq,dresp,ereq,econ,eresp,wretr,wredis,status,weight,act,"+
	"bck,chkfail,chkdown,lastchg,downtime,qlimit,pid,iid,sid,throttle,"+
	"lbtot,tracked,type,rate,rate_lim,rate_max,check_status,check_code,check_duration,hrsp_1xx,"+
	"hrsp_2xx,hrsp_3xx,hrsp_4xx,hrsp_5xx,hrsp_other,hanafail,req_rate,req_rate_max,req_tot,cli_abrt,"+
	"srv_abrt,comp_in,comp_out,comp_byp,comp_rsp,lastsess,last_chk,last_agt,qtime,ctime,"+
	"rtime,ttime,agent_status,agent_code,agent_duration,check_desc,agent_desc,check_rise,check_fall,check_health,"+
	"agent_rise,agent_fall,agent_health,addr,cookie,mode,algo,conn_rate,conn_rate_max,conn_tot,"+
	"intercepted,dcon,dses,wrew,connect,reuse,cache_lookups,cache_hits,srv_icur,src_ilim,"+
	"qtime_max,ctime_max,rtime_max,ttime_max,eint,idle_conn_cur,safe_conn_cur,used_conn_cur,need_conn_est,uweight", ",")

// column maps a field name to its position in columns.
var column = func() map[string]int {
	m := make(map[string]int, len(columns))
	for i, c := range columns {
		m[c] = i
	}
	return m
}()

// Row types of the `type` field.
const (
	typeFrontend = "0"
	typeBackend  = "1"
	typeServer   = "2"
)

// row is one line of `show stat`, indexed like columns; "" is an empty
// field (a value halo does not know or HAProxy leaves empty for this type).
type row []string

func newRow() row { return make(row, len(columns)) }

// set stores v in the named field; an unknown name is a programming error.
func (r row) set(name, v string) {
	i, ok := column[name]
	if !ok {
		panic("stats: unknown column " + name)
	}
	r[i] = v
}

// Get returns the named field, for the HTML template.
func (r row) Get(name string) string { return r[column[name]] }

func (r row) setInt(name string, v int64) { r.set(name, strconv.FormatInt(v, 10)) }

// setLimit writes a configured limit, or nothing when there is none.
func (r row) setLimit(name string, v int) {
	if v > 0 {
		r.setInt(name, int64(v))
	}
}

// proxyRows are the lines of one proxy (a frontend, a backend or both when
// they share a name, as a `listen` section does): FRONTEND, every server,
// then BACKEND, the order of HAProxy's dump.
type proxyRows struct {
	Name     string
	Frontend row   // nil when the proxy has no frontend side
	Servers  []row // with Backend, nil when it has no backend side
	Backend  row
}

// group arranges a snapshot as HAProxy lists proxies: each frontend, joined
// by the backend of the same name, then the remaining backends.
func group(s proxy.Snapshot) []proxyRows {
	var out []proxyRows
	used := make([]bool, len(s.Backends))
	for _, fe := range s.Frontends {
		p := proxyRows{Name: fe.Name, Frontend: frontendRow(fe)}
		for i := range s.Backends {
			if !used[i] && s.Backends[i].Name == fe.Name {
				used[i] = true
				p.Servers, p.Backend = backendRows(s.Backends[i])
				break
			}
		}
		out = append(out, p)
	}
	for i, be := range s.Backends {
		if !used[i] {
			p := proxyRows{Name: be.Name}
			p.Servers, p.Backend = backendRows(be)
			out = append(out, p)
		}
	}
	return out
}

// common fills the fields every row type carries.
func common(r row, pxname, svname, typ string, c proxy.Counters) {
	r.set("pxname", pxname)
	r.set("svname", svname)
	r.setInt("scur", c.Scur)
	r.setInt("smax", c.Smax)
	r.setInt("stot", c.Stot)
	r.setInt("bin", c.Bin)
	r.setInt("bout", c.Bout)
	r.set("pid", "1") // relative process number: halo is one process
	r.set("type", typ)
	r.set("mode", "tcp") // halo forwards every proxy as TCP
}

func frontendRow(fe proxy.FrontendStat) row {
	r := newRow()
	common(r, fe.Name, "FRONTEND", typeFrontend, fe.Counters)
	r.setLimit("slim", fe.MaxConn)
	for _, f := range []string{"dreq", "dresp", "ereq"} {
		r.set(f, "0") // halo denies nothing and parses no requests
	}
	r.set("status", "OPEN")
	r.set("sid", "0")
	r.setInt("conn_tot", fe.Stot)
	return r
}

// backendRows returns the server rows and the BACKEND row.
func backendRows(be proxy.BackendStat) ([]row, row) {
	var servers []row
	var act, bck, wact, wbck int
	for i, sv := range be.Servers {
		r := newRow()
		common(r, be.Name, sv.Name, typeServer, sv.Counters)
		queue(r, sv.Counters)
		r.setLimit("slim", sv.MaxConn)
		r.set("dresp", "0")
		r.set("eresp", "0")
		r.set("status", sv.Status)
		r.setInt("weight", int64(sv.Weight))
		r.set("act", bit(!sv.Backup))
		r.set("bck", bit(sv.Backup))
		r.setInt("sid", int64(i+1)) // HAProxy numbers servers from 1 in order
		servers = append(servers, r)
		if usable(sv) {
			if sv.Backup {
				bck++
				wbck += sv.Weight
			} else {
				act++
				wact += sv.Weight
			}
		}
	}
	r := newRow()
	common(r, be.Name, "BACKEND", typeBackend, be.Counters)
	queue(r, be.Counters)
	r.set("dreq", "0")
	r.set("dresp", "0")
	r.set("eresp", "0")
	r.set("status", be.Status)
	// The backend's weight is that of the servers taking traffic: the
	// active ones, or the backups when no active server is usable.
	if act > 0 {
		r.setInt("weight", int64(wact))
	} else {
		r.setInt("weight", int64(wbck))
	}
	r.setInt("act", int64(act))
	r.setInt("bck", int64(bck))
	r.set("sid", "0")
	return servers, r
}

// queue fills the queue and retry fields of servers and backends.
func queue(r row, c proxy.Counters) {
	r.setInt("qcur", c.Qcur)
	r.setInt("qmax", c.Qmax)
	r.setInt("econ", c.Econ)
	r.setInt("wretr", c.Wretr)
	r.setInt("wredis", c.Wredis)
}

// usable reports whether a server takes new connections.
func usable(sv proxy.ServerStat) bool {
	return sv.Status == "UP" || sv.Status == "no check"
}

func bit(b bool) string {
	if b {
		return "1"
	}
	return "0"
}

// WriteCSV writes s as HAProxy's `show stat` CSV: a "# " header naming the
// columns, then for each proxy its FRONTEND line, one line per server and
// its BACKEND line. Every field, the last included, ends with a comma, as
// in HAProxy's output. Fields halo does not track are left empty.
func WriteCSV(w io.Writer, s proxy.Snapshot) error {
	bw := bufio.NewWriter(w)
	bw.WriteString("# ")
	writeFields(bw, columns)
	for _, p := range group(s) {
		if p.Frontend != nil {
			writeFields(bw, p.Frontend)
		}
		for _, r := range p.Servers {
			writeFields(bw, r)
		}
		if p.Backend != nil {
			writeFields(bw, p.Backend)
		}
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write stats csv: %w", err)
	}
	return nil
}

// writeFields writes one CSV line. HAProxy does not quote: a comma or a
// line break in a name would break the line, so they become '_' (HAProxy
// names cannot hold them anyway).
func writeFields(w *bufio.Writer, fields []string) {
	for _, f := range fields {
		w.WriteString(strings.Map(func(c rune) rune {
			if c == ',' || c == '\n' || c == '\r' {
				return '_'
			}
			return c
		}, f))
		w.WriteByte(',')
	}
	w.WriteByte('\n')
}
