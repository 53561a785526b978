package stats

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// WriteStatus writes `halo status`: the whole node on one screen, in plain
// aligned text without colours. First the process; then each VRRP
// instance with its state and why, its priority from base to effective
// with what each tracker adds, its master and its VIPs; then each
// frontend with its listeners and sessions; then each backend with its
// servers' states, last check results and sessions.
func WriteStatus(w io.Writer, s Snapshot) error {
	bw := bufio.NewWriter(w)
	c := newClock(s)
	statusProcess(bw, s, c)
	if len(s.VRRP) > 0 || len(s.Scripts) > 0 {
		bw.WriteString("\nVRRP\n")
		statusVRRP(bw, s, c)
	}
	if s.BGP != nil {
		bw.WriteString("\nBGP\n")
		statusBGP(bw, s, c)
	}
	if len(s.Frontends) > 0 {
		bw.WriteString("\nFRONTENDS\n")
		statusFrontends(bw, s)
	}
	if len(s.Backends) > 0 {
		bw.WriteString("\nBACKENDS\n")
		statusBackends(bw, s, c)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write status: %w", err)
	}
	return nil
}

func statusProcess(w *bufio.Writer, s Snapshot, c clock) {
	p := s.Process
	name := p.Name
	if name == "" {
		name = "halo"
	}
	fmt.Fprintf(w, "%s %s%s, pid %d, up %s", name, p.Version, node(p), p.Pid, uptime(c.now.Sub(p.Start)))
	if p.Stopping {
		w.WriteString(", STOPPING")
	}
	w.WriteByte('\n')
	limit := "no limit"
	if p.MaxConn > 0 {
		limit = "limit " + strconv.Itoa(p.MaxConn)
	}
	fmt.Fprintf(w, "connections %d now (%s), %d/s (max %d/s), %d since start\n",
		p.CurrConns, limit, p.ConnRate, p.MaxConnRate, p.CumConns)
	reload := "never reloaded"
	if !p.LastReload.IsZero() {
		reload = fmt.Sprintf("reloaded %d times (%d refused), last %s ago", p.Reloads, p.ReloadErrors, age(c.now.Sub(p.LastReload)))
	} else if p.ReloadErrors > 0 {
		reload = fmt.Sprintf("never reloaded (%d refused)", p.ReloadErrors)
	}
	w.WriteString(reload + "\n")
}

func statusVRRP(w *bufio.Writer, s Snapshot, c clock) {
	t := &textTable{indent: "  "}
	t.row("INSTANCE", "VRID", "IFACE", "STATE", "SINCE", "PRIORITY", "MASTER", "REASON")
	for _, in := range s.VRRP {
		state := in.State
		if in.Maintenance {
			state += " (handed over)"
		}
		since := "-"
		if !in.Since.IsZero() {
			since = age(c.now.Sub(in.Since))
		}
		t.row(in.Name, strconv.Itoa(int(in.VRID)), in.Interface, state, since, priorityText(in), masterText(in), in.Reason)
		if len(in.Trackers) > 0 {
			var parts []string
			for _, tr := range in.Trackers {
				parts = append(parts, tr.Kind+" "+tr.Name+" "+trackerText(tr))
			}
			t.note("tracking  " + strings.Join(parts, ", "))
		}
		if len(in.VIPs) > 0 {
			var parts []string
			for _, v := range in.VIPs {
				p := v.Prefix.String() + " " + v.Dev
				if v.Present {
					p += " present"
				} else {
					p += " absent"
				}
				if v.Excluded {
					p += " (excluded)"
				}
				parts = append(parts, p)
			}
			t.note("VIPs      " + strings.Join(parts, ", "))
		}
	}
	t.write(w)
	if len(s.Scripts) > 0 {
		var parts []string
		for _, sc := range s.Scripts {
			parts = append(parts, sc.Name+" "+sc.Status)
		}
		w.WriteString("  scripts: " + strings.Join(parts, ", ") + "\n")
	}
	for _, g := range s.Groups {
		fmt.Fprintf(w, "  sync group %s %s: %s\n", g.Name, g.State, strings.Join(g.Members, ", "))
	}
}

func statusFrontends(w *bufio.Writer, s Snapshot) {
	t := &textTable{indent: "  "}
	t.row("NAME", "STATUS", "SESSIONS", "RATE", "TOTAL", "LISTENERS")
	for _, fe := range s.Frontends {
		status := fe.Status
		if status == "" {
			status = "OPEN"
		}
		sessions := strconv.FormatInt(fe.Scur, 10)
		if fe.MaxConn > 0 {
			sessions += "/" + strconv.Itoa(fe.MaxConn)
		}
		name := fe.Name
		if k, ok := kindNames[fe.Kind]; ok {
			name += " (" + k + ")"
		}
		t.row(name, status, sessions, strconv.FormatInt(fe.Rate, 10)+"/s", strconv.FormatInt(fe.Stot, 10),
			strings.Join(fe.Listeners, " "))
	}
	t.write(w)
}

// kindNames say what serves a frontend that does not relay TCP.
var kindNames = map[string]string{"stats": "stats page", "prometheus": "metrics", "monitor": "monitor-uri"}

func statusBackends(w *bufio.Writer, s Snapshot, c clock) {
	for i, be := range s.Backends {
		if i > 0 {
			w.WriteByte('\n')
		}
		if be.Stats {
			fmt.Fprintf(w, "  %s  UP  statistics page, %d sessions\n", be.Name, be.Scur)
			continue
		}
		up := 0
		for _, sv := range be.Servers {
			if usable(sv) {
				up++
			}
		}
		algo := be.Algo
		if algo == "" {
			algo = "roundrobin"
		}
		fmt.Fprintf(w, "  %s  %s  %s, %d of %d servers usable, %d sessions, %d queued, since %s\n",
			be.Name, backendStatus(be), algo, up, len(be.Servers), be.Scur, be.Qcur,
			age(time.Duration(c.since(be.LastChange))*time.Second))
		if len(be.Servers) == 0 {
			continue
		}
		t := &textTable{indent: "    "}
		t.row("SERVER", "STATE", "ADMIN", "CHECK", "SESSIONS", "WEIGHT", "ADDRESS", "CHANGED", "DETAIL")
		for _, sv := range be.Servers {
			t.row(serverStatusCells(sv, c)...)
		}
		t.write(w)
	}
}

func serverStatusCells(sv Server, c clock) []string {
	state := sv.Status
	if sv.Backup {
		state += " (backup)"
	}
	admin := sv.Admin
	if admin == "" {
		admin = AdminReady
	}
	if sv.AdminFromConfig {
		admin += " (config)"
	}
	check, detail := "-", ""
	switch {
	case sv.Check == nil:
	case !sv.Check.Enabled:
		check = "disabled"
	case sv.Admin == AdminMaint:
		check = "paused"
	default:
		check = checkSummary(sv.Check)
		if check == "" {
			check = "pending"
		}
		if !strings.HasPrefix(sv.Check.Status, "L4OK") && !strings.HasPrefix(sv.Check.Status, "L7OK") &&
			!strings.HasPrefix(sv.Check.Status, "L6OK") {
			detail = checkDetail(sv.Check)
		}
	}
	if sv.Throttle > 0 {
		detail = strings.TrimPrefix(detail+", slowstart at "+strconv.Itoa(sv.Throttle)+"%", ", ")
	}
	sessions := strconv.FormatInt(sv.Scur, 10)
	if sv.MaxConn > 0 {
		sessions += "/" + strconv.Itoa(sv.MaxConn)
	}
	if sv.Qcur > 0 {
		sessions += " +" + strconv.FormatInt(sv.Qcur, 10) + " queued"
	}
	addr := sv.Addr
	if sv.Port > 0 {
		if a := serverAddr(sv); a != "" {
			addr = a
		} else {
			addr += ":" + strconv.Itoa(sv.Port)
		}
	}
	changed := age(time.Duration(c.since(sv.LastChange))*time.Second) + " ago"
	return []string{sv.Name, state, admin, check, sessions, strconv.Itoa(sv.Weight) + "/" + strconv.Itoa(sv.UWeight),
		addr, changed, detail}
}

// textTable aligns cells in columns two spaces apart. A note is a line
// printed under the row before it, indented to the second column, that
// does not widen any column.
type textTable struct {
	indent string
	rows   [][]string
	notes  map[int][]string // by the index of the row they follow
}

func (t *textTable) row(cells ...string) {
	for i, c := range cells {
		cells[i] = oneLine(c)
	}
	t.rows = append(t.rows, cells)
}

func (t *textTable) note(text string) {
	if t.notes == nil {
		t.notes = map[int][]string{}
	}
	i := len(t.rows) - 1
	t.notes[i] = append(t.notes[i], oneLine(text))
}

func (t *textTable) write(w *bufio.Writer) {
	var widths []int
	for _, r := range t.rows {
		for i, c := range r {
			if i >= len(widths) {
				widths = append(widths, 0)
			}
			widths[i] = max(widths[i], utf8.RuneCountInString(c))
		}
	}
	for i, r := range t.rows {
		var line strings.Builder
		line.WriteString(t.indent)
		for j, c := range r {
			line.WriteString(c)
			if j < len(r)-1 {
				line.WriteString(strings.Repeat(" ", widths[j]-utf8.RuneCountInString(c)+2))
			}
		}
		w.WriteString(strings.TrimRight(line.String(), " ") + "\n")
		pad := t.indent
		if len(widths) > 0 {
			pad += strings.Repeat(" ", widths[0]+2)
		}
		for _, n := range t.notes[i] {
			w.WriteString(pad + n + "\n")
		}
	}
}

// WriteStatusJSON writes `halo status --json`: s as indented JSON, in the
// stable schema of docs/STATUS.md. Lists are [] rather than null when
// empty, so that `jq '.backends[]'` never fails.
func WriteStatusJSON(w io.Writer, s Snapshot) error {
	b, err := json.MarshalIndent(withEmptyLists(s), "", "  ")
	if err != nil {
		return fmt.Errorf("encode status: %w", err)
	}
	b = append(b, '\n')
	if _, err := w.Write(b); err != nil {
		return fmt.Errorf("write status: %w", err)
	}
	return nil
}

// withEmptyLists returns a copy of s whose nil lists are empty ones.
func withEmptyLists(s Snapshot) Snapshot {
	s.Frontends = nonNil(s.Frontends)
	s.Backends = nonNil(s.Backends)
	s.VRRP = nonNil(s.VRRP)
	s.Scripts = nonNil(s.Scripts)
	s.Groups = nonNil(s.Groups)
	for i := range s.Frontends {
		s.Frontends[i].Listeners = nonNil(s.Frontends[i].Listeners)
	}
	for i := range s.Backends {
		s.Backends[i].Servers = nonNil(s.Backends[i].Servers)
	}
	for i := range s.VRRP {
		s.VRRP[i].Trackers = nonNil(s.VRRP[i].Trackers)
		s.VRRP[i].VIPs = nonNil(s.VRRP[i].VIPs)
	}
	for i := range s.Groups {
		s.Groups[i].Members = nonNil(s.Groups[i].Members)
	}
	return s
}

// nonNil returns a copy of l, never nil, so that filling in a copy's lists
// never writes into the caller's snapshot.
func nonNil[T any](l []T) []T {
	return append(make([]T, 0, len(l)), l...)
}
