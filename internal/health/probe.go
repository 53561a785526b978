package health

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"regexp"
	"strings"
	"syscall"
	"time"

	"github.com/halo-lb/halo/internal/config/haproxy"
)

// maxResponse bounds what a check reads from a server: HAProxy's check
// buffer is tune.bufsize, 16 KiB by default.
const maxResponse = 16 << 10

// prober holds what a probe needs, fixed when the Checker is made. It is
// used from one goroutine at a time.
type prober struct {
	kind      haproxy.CheckKind
	steps     []step
	httpRules []haproxy.HTTPCheckRule
	re        map[*haproxy.HTTPExpect]*regexp.Regexp // compiled rstatus/rstring patterns
	host      string                                 // `addr` or the server's address: an IP literal or a name
	port      int                                    // `port` or the server's port; 0 = cannot check
	tls       bool                                   // `check-ssl`
	inter     time.Duration
	connect   time.Duration // `timeout connect`, 0 = none
	check     time.Duration // `timeout check`, 0 = unset
	resolver  *net.Resolver
	last      netip.Addr // last address the host resolved to
	requests  [][]byte   // per HTTP rule: the request of a send rule, built once
	setupErr  string     // why this server cannot be checked at all, "" if it can
	onLoop    bool       // the check can run on the event loop: no TLS, IP literals only
	ownAddr   bool       // the server line has `addr`: the check host is not the server's
	ownPort   bool       // the server line has `port`
}

// step is a tcp-check rule with its regular expression compiled.
type step struct {
	haproxy.TCPCheckStep
	re   *regexp.Regexp
	data []byte // Data, for send and for plain expect
}

func newProber(b *haproxy.Backend, s *haproxy.Server) *prober {
	p := &prober{
		kind:      b.Check.Kind,
		httpRules: b.Check.HTTP.Sequence(),
		host:      s.Host,
		port:      s.Port,
		tls:       s.CheckSSL,
		inter:     s.Inter,
		connect:   b.Timeouts.Connect,
		check:     b.Timeouts.Check,
		resolver:  net.DefaultResolver,
	}
	if s.CheckAddr != "" {
		p.host, p.ownAddr = s.CheckAddr, true
	}
	if s.CheckPort != 0 {
		p.port, p.ownPort = s.CheckPort, true
	}
	if p.inter <= 0 {
		p.inter = DefaultInter
	}
	if p.port == 0 && needsServerPort(b.Check) {
		p.setupErr = "server has no port and no check `port`: the check cannot run"
	}
	for i, st := range b.Check.Steps {
		ps := step{TCPCheckStep: st, data: []byte(st.Data)}
		if st.Action == "expect" && st.Regex {
			re, err := regexp.Compile(st.Data)
			if err != nil {
				p.setupErr = fmt.Sprintf("tcp-check rule %d: invalid regex %q: %v", i+1, st.Data, err)
			}
			ps.re = re
		}
		p.steps = append(p.steps, ps)
	}
	p.requests = make([][]byte, len(p.httpRules))
	for i, r := range p.httpRules {
		if r.Send != nil {
			p.requests[i] = buildRequest(r.Send)
		}
		if e := r.Expect; e != nil && (e.Match == haproxy.ExpectRStatus || e.Match == haproxy.ExpectRString) {
			re, err := regexp.Compile(e.Pattern)
			if err != nil {
				p.setupErr = fmt.Sprintf("http-check rule %d: invalid regex %q: %v", i+1, e.Pattern, err)
			}
			if p.re == nil {
				p.re = map[*haproxy.HTTPExpect]*regexp.Regexp{}
			}
			p.re[e] = re
		}
	}
	p.onLoop = p.loopable()
	return p
}

// loopable reports whether every connection of the check can be made by
// the event loop: plain TCP to IP literals. TLS and host names (which need
// the resolver) take a goroutine per probe instead.
func (p *prober) loopable() bool {
	literal := func(h string) bool {
		a, err := netip.ParseAddr(strings.TrimSuffix(strings.TrimPrefix(h, "["), "]"))
		return err == nil && a.Zone() == ""
	}
	if p.tls || !literal(p.host) {
		return false
	}
	for _, st := range p.steps {
		if st.Action == "connect" && (st.SSL || st.Addr != "" && !literal(st.Addr)) {
			return false
		}
	}
	for _, r := range p.httpRules {
		if c := r.Connect; c != nil && (c.SSL || c.Addr != "" && !literal(c.Addr)) {
			return false
		}
	}
	return true
}

// needsServerPort reports whether a check connects to the server's check
// port at some point, rather than only to ports its tcp-check connect
// rules name.
func needsServerPort(c haproxy.Check) bool {
	if c.Kind == haproxy.CheckHTTP {
		for _, r := range c.HTTP.Sequence() {
			if r.Connect != nil && r.Connect.Port == 0 {
				return true
			}
		}
		return false
	}
	if c.Kind != haproxy.CheckSeq || len(c.Steps) == 0 || c.Steps[0].Action != "connect" {
		return true
	}
	for _, st := range c.Steps {
		if st.Action == "connect" && st.Port == 0 {
			return true
		}
	}
	return false
}

// timeouts returns the connect timeout and the timeout of what follows
// the connect, after configuration.txt `timeout check`: when it is set,
// connecting may take min(inter, timeout connect) and the check then has
// `timeout check` more; when it is unset, the whole check (connect and
// read) must fit in inter, which read == 0 means.
func (p *prober) timeouts() (connect, read time.Duration) {
	if p.check <= 0 {
		return p.inter, 0
	}
	connect = p.inter
	if p.connect > 0 && p.connect < connect {
		connect = p.connect
	}
	return connect, p.check
}

// probe runs one check with blocking I/O, on the calling goroutine, and
// returns its result and the address it probed. The scheduler uses it for
// the checks its loop cannot run (TLS, host names).
func (p *prober) probe(ctx context.Context) (Result, netip.AddrPort) {
	s := p.newSession(nil)
	s.ctx = ctx
	defer s.end()
	r, done := s.advance()
	if !done { // cannot happen: blocking steps never wait
		r = fail(CodeSockErr, "check did not complete")
	}
	r.Duration = time.Since(s.start)
	return r, s.addr
}

// resolve turns the check host into an address. A name is looked up on
// every probe, so that a server whose name did not resolve comes back as
// soon as it does, and one whose address moved is followed; when a lookup
// fails, the last good address is kept.
// retarget points the probes at the server's new address (runtime API);
// a check `addr` or `port` of its own stays.
func (p *prober) retarget(host string, port int) {
	if !p.ownAddr {
		p.host, p.last = host, netip.Addr{}
	}
	if port != 0 && !p.ownPort {
		p.port = port
	}
	p.onLoop = p.loopable()
}

func (p *prober) resolve(ctx context.Context) (netip.Addr, error) {
	return p.resolveHost(ctx, p.host, true)
}

// resolveHost resolves host; keep says it is the check host, whose last
// good address stands in while a lookup fails.
func (p *prober) resolveHost(ctx context.Context, host string, keep bool) (netip.Addr, error) {
	host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	if host == "" {
		return netip.Addr{}, errors.New("server has no address")
	}
	if a, err := netip.ParseAddr(host); err == nil {
		return a, nil
	}
	addrs, err := p.resolver.LookupNetIP(ctx, "ip", host)
	if err == nil && len(addrs) == 0 {
		err = errors.New("no address")
	}
	if err != nil {
		if keep && p.last.IsValid() {
			return p.last, nil
		}
		var dnsErr *net.DNSError
		if errors.As(err, &dnsErr) {
			err = errors.New(dnsErr.Err)
		}
		return netip.Addr{}, fmt.Errorf("cannot resolve %q: %w", host, err)
	}
	a := addrs[0].Unmap()
	if keep {
		p.last = a
	}
	return a, nil
}

// http1Protos is an ALPN list without h2: halo's checks speak HTTP/1.x.
func http1Protos(alpn string) []string {
	var out []string
	for _, p := range strings.Split(alpn, ",") {
		if p = strings.TrimSpace(p); p != "" && p != "h2" {
			out = append(out, p)
		}
	}
	return out
}

// localShortage reports whether err says this host ran out of descriptors
// or memory (EMFILE, ENFILE, ENOBUFS, ENOMEM): a check that could not even
// open its socket says nothing about the server.
func localShortage(err error) bool {
	return errors.Is(err, syscall.EMFILE) || errors.Is(err, syscall.ENFILE) ||
		errors.Is(err, syscall.ENOBUFS) || errors.Is(err, syscall.ENOMEM)
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.Is(err, os.ErrDeadlineExceeded) || errors.Is(err, context.DeadlineExceeded) ||
		(errors.As(err, &ne) && ne.Timeout())
}

// errText is the most specific text of a network error: "connection
// refused" rather than "dial tcp 127.0.0.1:1: connect: connection refused".
func errText(err error) string {
	var errno syscall.Errno
	if errors.As(err, &errno) {
		return errno.Error()
	}
	var ae tls.AlertError
	if errors.As(err, &ae) {
		return ae.Error()
	}
	var oe *net.OpError
	if errors.As(err, &oe) && oe.Err != nil {
		return oe.Err.Error()
	}
	return err.Error()
}
