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
	rbuf      []byte     // response buffer, maxResponse bytes, reused by every probe
	setupErr  string     // why this server cannot be checked at all, "" if it can
	ownAddr   bool       // the server line has `addr`: the check host is not the server's
	ownPort   bool       // the server line has `port`
}

// step is a tcp-check rule with its regular expression compiled.
type step struct {
	haproxy.TCPCheckStep
	re *regexp.Regexp
}

func newProber(b *haproxy.Backend, s *haproxy.Server) *prober {
	p := &prober{
		kind:      b.Check.Kind,
		httpRules: b.Check.HTTP.Sequence(),
		re:        map[*haproxy.HTTPExpect]*regexp.Regexp{},
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
		ps := step{TCPCheckStep: st}
		if st.Action == "expect" && st.Regex {
			re, err := regexp.Compile(st.Data)
			if err != nil {
				p.setupErr = fmt.Sprintf("tcp-check rule %d: invalid regex %q: %v", i+1, st.Data, err)
			}
			ps.re = re
		}
		p.steps = append(p.steps, ps)
	}
	for i, r := range p.httpRules {
		if e := r.Expect; e != nil && (e.Match == haproxy.ExpectRStatus || e.Match == haproxy.ExpectRString) {
			re, err := regexp.Compile(e.Pattern)
			if err != nil {
				p.setupErr = fmt.Sprintf("http-check rule %d: invalid regex %q: %v", i+1, e.Pattern, err)
			}
			p.re[e] = re
		}
	}
	return p
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

// probe runs one check and returns its result and the address it probed.
func (p *prober) probe(ctx context.Context) (Result, netip.AddrPort) {
	s := &session{p: p, ctx: ctx, start: time.Now()}
	defer s.close()
	r := s.run()
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

// session is one probe: at most one open connection, the tcp-check input
// buffer, and the deadlines.
type session struct {
	p     *prober
	ctx   context.Context
	start time.Time
	addr  netip.AddrPort
	conn  net.Conn
	stop  func() bool // detaches the ctx watcher from conn
	buf   []byte      // tcp-check input kept across consecutive expects
	eof   bool
	head  bool // the last HTTP request was a HEAD: its answer has no body
}

func (s *session) run() Result {
	if s.p.setupErr != "" {
		return fail(CodeSockErr, "%s", s.p.setupErr)
	}
	switch s.p.kind {
	case haproxy.CheckSeq:
		return s.tcpCheck()
	case haproxy.CheckHTTP:
		return s.httpCheck()
	default:
		return s.dial(dialOpts{tls: s.p.tls})
	}
}

// dial connects to the check address (o.addr and o.port override the
// check address and port when set) and, with o.tls, completes a TLS
// handshake, offering o.sni and o.alpn. Any previous connection of the
// session is closed first. The result is L4OK or L6OK on success.
func (s *session) dial(o dialOpts) Result {
	s.close()
	connectTimeout, readTimeout := s.p.timeouts()
	deadline := s.start.Add(connectTimeout)
	if readTimeout > 0 {
		deadline = time.Now().Add(connectTimeout)
	}
	ctx, cancel := context.WithDeadline(s.ctx, deadline)
	defer cancel()

	host, keep := s.p.host, true
	if o.addr != "" {
		host, keep = o.addr, false
	}
	ip, err := s.p.resolveHost(ctx, host, keep)
	if err != nil {
		if ctx.Err() != nil && s.ctx.Err() == nil {
			return fail(CodeL4Timeout, "resolving %q", host)
		}
		return fail(CodeSockErr, "%v", err)
	}
	port := o.port
	if port == 0 {
		port = s.p.port
	}
	s.addr = netip.AddrPortFrom(ip, uint16(port))
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", s.addr.String())
	if err != nil {
		if isTimeout(err) || ctx.Err() != nil {
			return fail(CodeL4Timeout, "")
		}
		if localShortage(err) {
			return Result{Code: CodeSockErr, Local: true, Reason: CodeSockErr.String() + ": " + errText(err) + " (on this host: the server is not judged)"}
		}
		return fail(CodeL4Con, "%s", errText(err))
	}
	s.conn = conn
	s.stop = context.AfterFunc(s.ctx, func() { conn.SetDeadline(time.Unix(1, 0)) })
	ioDeadline := deadline
	if readTimeout > 0 {
		ioDeadline = time.Now().Add(readTimeout)
	}
	conn.SetDeadline(ioDeadline)
	s.buf, s.eof = s.buf[:0], false
	if !o.tls {
		return pass(CodeL4OK, "")
	}
	tc := tls.Client(conn, &tls.Config{
		InsecureSkipVerify: true, // halo never verifies check certificates
		ServerName:         o.sni,
		NextProtos:         http1Protos(o.alpn),
	})
	s.conn = tc
	if err := tc.HandshakeContext(s.ctx); err != nil {
		if isTimeout(err) {
			return fail(CodeL6Timeout, "")
		}
		return fail(CodeL6Rsp, "SSL handshake failure: %s", errText(err))
	}
	return pass(CodeL6OK, "")
}

func (s *session) close() {
	if s.stop != nil {
		s.stop()
		s.stop = nil
	}
	if s.conn != nil {
		s.conn.Close()
		s.conn = nil
	}
}

// fill reads more of the response into s.buf, up to maxResponse. It
// returns a failed Result on timeout; EOF and read errors set s.eof.
func (s *session) fill(what string) (Result, bool) {
	if s.p.rbuf == nil {
		s.p.rbuf = make([]byte, maxResponse)
	}
	if s.buf == nil {
		s.buf = s.p.rbuf[:0]
	}
	n, err := s.conn.Read(s.buf[len(s.buf):cap(s.buf)])
	s.buf = s.buf[:len(s.buf)+n]
	if err != nil {
		if isTimeout(err) && s.ctx.Err() == nil {
			return fail(CodeL7Timeout, "%s", what), false
		}
		s.eof = true
	}
	return Result{}, true
}

// full reports whether the response buffer cannot take more.
func (s *session) full() bool { return s.buf != nil && len(s.buf) == cap(s.buf) }

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
