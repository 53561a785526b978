package stats

import (
	"bufio"
	"cmp"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
)

// StatFilter selects the lines of `show stat PX TYPES SID` (HAProxy's
// management guide): Proxy is a proxy name or numeric iid ("" or "-1" =
// all); Types is a bitmask, 1 frontends, 2 backends, 4 servers (-1 = all;
// 0 selects nothing, as in HAProxy); SID is a server id (-1 = all; it
// selects servers only, frontend and backend lines stay).
type StatFilter struct {
	Proxy string
	Types int
	SID   int
	// HideLegends leaves the `addr` and `algo` fields empty, as HAProxy
	// does on a user-level socket and on a stats page without `stats
	// show-legends`. The zero value shows them, as an admin socket does.
	HideLegends bool
}

// AllStats selects every line.
var AllStats = StatFilter{Types: -1, SID: -1}

// Bits of StatFilter.Types.
const (
	TypeFrontend = 1
	TypeBackend  = 2
	TypeServer   = 4
)

// ErrNoProxy is returned when StatFilter.Proxy names no frontend or
// backend; the runtime API answers it with "No such proxy.". A numeric
// iid that matches nothing is no error: it selects no line.
var ErrNoProxy = errors.New("no such proxy")

// proxyRows are the lines of one proxy (a frontend, a backend or both when
// they share a name and iid, as a `listen` section does): FRONTEND, every
// server, then BACKEND, the order of HAProxy's dump.
type proxyRows struct {
	name     string
	iid      int
	frontend *Frontend
	backend  *Backend
}

// proxies arranges a snapshot as HAProxy lists it: by iid, the two halves
// of a listen section together. Snapshots written without iids keep their
// order, frontends first, each joined by the backend of its name.
func proxies(s Snapshot) []proxyRows {
	out := make([]proxyRows, 0, len(s.Frontends)+len(s.Backends))
	for i := range s.Frontends {
		fe := &s.Frontends[i]
		out = append(out, proxyRows{name: fe.Name, iid: fe.ID, frontend: fe})
	}
	for i := range s.Backends {
		be := &s.Backends[i]
		joined := false
		for j := range out[:len(s.Frontends)] {
			p := &out[j]
			if p.backend == nil && p.name == be.Name && (p.iid == be.ID || p.iid == 0 || be.ID == 0) {
				p.backend = be
				joined = true
				break
			}
		}
		if !joined {
			out = append(out, proxyRows{name: be.Name, iid: be.ID, backend: be})
		}
	}
	slices.SortStableFunc(out, func(a, b proxyRows) int { return cmp.Compare(a.iid, b.iid) })
	return out
}

// selection is a StatFilter made ready to match proxies.
type selection struct {
	all     bool
	name    string
	iid     int
	byIID   bool
	types   int
	sid     int
	legends bool
}

func (f StatFilter) selection(s Snapshot) (selection, error) {
	sel := selection{types: f.Types, sid: f.SID, legends: !f.HideLegends}
	switch px := strings.TrimSpace(f.Proxy); px {
	case "", "-1":
		sel.all = true
	default:
		if n, err := strconv.Atoi(px); err == nil {
			sel.iid, sel.byIID = n, true
			return sel, nil
		}
		sel.name = px
		for _, p := range proxies(s) {
			if p.name == px {
				return sel, nil
			}
		}
		return sel, fmt.Errorf("proxy %q: %w", px, ErrNoProxy)
	}
	return sel, nil
}

func (sel selection) proxy(p proxyRows) bool {
	switch {
	case sel.all:
		return true
	case sel.byIID:
		return p.iid == sel.iid
	default:
		return p.name == sel.name
	}
}

func (sel selection) has(bit int) bool { return sel.types&bit != 0 }

// eachRow calls fn with every selected line, in HAProxy's order.
func eachRow(s Snapshot, f StatFilter, fn func(row)) error {
	sel, err := f.selection(s)
	if err != nil {
		return err
	}
	c := newClock(s)
	for _, p := range proxies(s) {
		if !sel.proxy(p) {
			continue
		}
		if p.frontend != nil && sel.has(TypeFrontend) {
			fn(frontendRow(*p.frontend))
		}
		if p.backend == nil {
			continue
		}
		if sel.has(TypeServer) {
			for _, sv := range p.backend.Servers {
				if sel.sid == -1 || sv.ID == sel.sid {
					fn(serverRow(*p.backend, sv, c, sel.legends))
				}
			}
		}
		if sel.has(TypeBackend) {
			fn(backendRow(*p.backend, c, sel.legends))
		}
	}
	return nil
}

// WriteStatCSV writes `show stat`: HAProxy 2.6's CSV header ("# pxname,
// svname,...") and one line per selected frontend, server and backend.
// Every field, the last included, ends with a comma, as HAProxy prints it;
// fields HAProxy leaves empty for a row type, or that halo does not track,
// are empty. Ages (lastchg, downtime) are counted to s.Time. No blank line
// follows: the runtime API adds the one that ends its answers. An unknown
// proxy name returns an error wrapping ErrNoProxy before anything is
// written.
func WriteStatCSV(w io.Writer, s Snapshot, f StatFilter) error {
	bw := bufio.NewWriter(w)
	var rows []row
	if err := eachRow(s, f, func(r row) { rows = append(rows, r) }); err != nil {
		return err
	}
	bw.WriteString("# ")
	for _, c := range columns {
		bw.WriteString(c.name)
		bw.WriteByte(',')
	}
	bw.WriteByte('\n')
	for _, r := range rows {
		for _, v := range r.fields {
			writeCSVField(bw, v)
			bw.WriteByte(',')
		}
		bw.WriteByte('\n')
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write show stat: %w", err)
	}
	return nil
}

// writeCSVField writes one value, quoted as RFC 4180 says when it holds a
// comma or a quote, on one line whatever it holds.
func writeCSVField(w *bufio.Writer, v string) {
	if v == present {
		return
	}
	if !strings.ContainsAny(v, ",\"\r\n") {
		w.WriteString(v)
		return
	}
	w.WriteByte('"')
	for _, c := range oneLine(v) {
		if c == '"' {
			w.WriteByte('"')
		}
		w.WriteRune(c)
	}
	w.WriteByte('"')
}

// oneLine replaces line breaks by spaces.
func oneLine(v string) string {
	if !strings.ContainsAny(v, "\r\n") {
		return v
	}
	return strings.Map(func(c rune) rune {
		if c == '\r' || c == '\n' {
			return ' '
		}
		return c
	}, v)
}

// WriteStatTyped writes `show stat typed`: one line per non-empty field,
// "F.iid.sid.pos.name.1:TAGS:type:value" with F, B or S for the row type,
// the field's position as HAProxy 2.6 numbers it and its tags and type.
// Filter and errors are those of WriteStatCSV; no header is written.
func WriteStatTyped(w io.Writer, s Snapshot, f StatFilter) error {
	bw := bufio.NewWriter(w)
	var b []byte
	err := eachRow(s, f, func(r row) {
		obj := "FBS"[r.typ]
		for i, v := range r.fields {
			c := columns[i]
			if v == "" || c.name == separator {
				continue
			}
			b = append(b[:0], obj, '.')
			b = strconv.AppendInt(b, int64(r.iid), 10)
			b = append(b, '.')
			b = strconv.AppendInt(b, int64(r.sid), 10)
			b = append(b, '.')
			b = strconv.AppendInt(b, int64(typedPos(i)), 10)
			b = append(b, '.')
			b = append(b, c.name...)
			b = append(b, ".1:"...)
			b = append(b, c.tags[r.typ]...)
			b = append(b, ':')
			b = append(b, c.typ...)
			b = append(b, ':')
			if v != present {
				b = append(b, oneLine(v)...)
			}
			b = append(b, '\n')
			bw.Write(b)
		}
	})
	if err != nil {
		return err
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write show stat typed: %w", err)
	}
	return nil
}
