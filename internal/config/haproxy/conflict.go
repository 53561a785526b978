package haproxy

import (
	"net"
	"net/netip"
	"strconv"
)

// socketOf is what the kernel compares when a listening socket binds: the
// family, the address (wildcard or not), the port, IPV6_V6ONLY and
// SO_REUSEPORT.
type socketOf struct {
	fe     *Frontend
	bd     *Bind
	family int // 4 or 6
	addr   netip.Addr
	port   int
	v6only bool
	reuse  bool
}

// bindSocket describes the socket halo opens for bd; ok is false while bd
// names a host that is not resolved yet.
func bindSocket(fe *Frontend, bd *Bind) (socketOf, bool) {
	host, ps, err := net.SplitHostPort(bd.Addr)
	if err != nil {
		return socketOf{}, false
	}
	port, _ := strconv.Atoi(ps)
	if host == "" {
		host = "::" // hand-built configurations: every address, both families
	}
	a, err := netip.ParseAddr(host)
	if err != nil {
		return socketOf{}, false
	}
	s := socketOf{fe: fe, bd: bd, family: 6, addr: a, port: port, v6only: bd.V6Only,
		// The statistics page listens without SO_REUSEPORT
		// (internal/stats/page.go), so it never shares a port.
		reuse: bd.ReusePort && fe.Stats == nil}
	if a.Is4() {
		s.family, s.v6only = 4, false
	}
	return s, true
}

// overlaps reports whether a connection could match both sockets, which is
// when Linux refuses the second bind unless both set SO_REUSEPORT: same
// port, and the same address, or a wildcard of the same family, or an IPv6
// wildcard that also takes IPv4 (dual-stack, not v6only).
func (s socketOf) overlaps(o socketOf) bool {
	if s.port != o.port {
		return false
	}
	if s.family == o.family {
		return s.addr.IsUnspecified() || o.addr.IsUnspecified() || s.addr == o.addr
	}
	v6 := s
	if o.family == 6 {
		v6 = o
	}
	return v6.addr.IsUnspecified() && !v6.v6only
}

func (s socketOf) same(o socketOf) bool {
	return s.family == o.family && s.addr == o.addr && s.port == o.port
}

// describe prints a socket's address and what it takes.
func (s socketOf) describe() string {
	text := bindText(s.bd.Addr)
	switch {
	case s.family == 6 && s.addr.IsUnspecified() && !s.v6only:
		text += " (IPv6 and IPv4)"
	case s.addr.IsUnspecified():
		text += " (IPv" + strconv.Itoa(s.family) + " only)"
	}
	return text
}

// bindConflicts reports the binds that `halo run` could not open together
// (EADDRINUSE), in Parse for literal addresses: halo sets SO_REUSEPORT as
// HAProxy does, so 0.0.0.0:P and :::P coexist unless `noreuseport`. The
// same address in two frontends is refused even with SO_REUSEPORT: the
// kernel would share its connections between them at random. only, when
// not nil, limits the report to pairs it accepts (Load uses it after
// resolving host names).
func (b *builder) bindConflicts(fes []*Frontend) { conflicts(&b.diags, b.file, fes, nil) }

func conflicts(out interface {
	Errorf(file string, line int, format string, args ...any)
}, file string, fes []*Frontend, only func(a, b *Bind) bool) {
	var seen []socketOf
	for _, fe := range fes {
		for i := range fe.Binds {
			bd := &fe.Binds[i]
			s, ok := bindSocket(fe, bd)
			if !ok {
				continue
			}
			for _, o := range seen {
				if !s.overlaps(o) || (only != nil && !only(o.bd, bd)) {
					continue
				}
				where := "frontend '" + fe.Name + "'"
				switch {
				case s.same(o) && o.fe != fe:
					out.Errorf(file, bd.Line, "%s: address %s is already bound by frontend '%s' (line %d)", where, bindText(bd.Addr), o.fe.Name, o.bd.Line)
				case s.reuse && o.reuse:
					continue
				case !s.bd.ReusePort || !o.bd.ReusePort:
					fix := "keep only the wildcard bind"
					if s.family != o.family {
						fix = "make the IPv6 bind v6only"
					}
					out.Errorf(file, bd.Line, "%s: bind %s overlaps %s (line %d): with global 'noreuseport' the second socket cannot bind (address already in use); remove noreuseport, or %s",
						where, s.describe(), o.describe(), o.bd.Line, fix)
				default:
					out.Errorf(file, bd.Line, "%s: bind %s overlaps %s (line %d): halo's statistics page listens without SO_REUSEPORT, so the two cannot share the port",
						where, s.describe(), o.describe(), o.bd.Line)
				}
				break
			}
			seen = append(seen, s)
		}
	}
}
