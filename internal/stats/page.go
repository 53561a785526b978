package stats

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/halo-lb/halo/internal/config/haproxy"
	"golang.org/x/sys/unix"
)

const (
	// defaultURI is HAProxy's `stats uri` when none is given.
	defaultURI = "/haproxy?stats"
	// realm is HAProxy's default `stats realm`.
	realm = "HAProxy Statistics"
	// shutdownGrace bounds how long Serve waits for requests in flight.
	shutdownGrace = 2 * time.Second
	// readHeaderTimeout bounds a client that opens a connection and stalls.
	readHeaderTimeout = 10 * time.Second
	// defaultIdleTimeout closes idle keep-alive connections when the
	// section sets no `timeout client`.
	defaultIdleTimeout = 60 * time.Second
)

// Page serves HAProxy's statistics page for one `listen stats` frontend.
// It is also an http.Handler, usable without Listen and Serve.
type Page struct {
	fe    *haproxy.Frontend
	uri   string
	snap  func() Snapshot
	log   *slog.Logger
	auth  []credential
	mu    sync.Mutex
	lns   []net.Listener // bound by Listen, handed to Serve
	addrs []net.Addr
}

type credential struct{ user, pass []byte }

// NewPage returns the page of fe, whose Stats must be set. snap is called
// once per request; nil serves an empty snapshot. A nil log discards.
func NewPage(fe *haproxy.Frontend, snap func() Snapshot, log *slog.Logger) *Page {
	if snap == nil {
		snap = func() Snapshot { return Snapshot{} }
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	p := &Page{fe: fe, uri: defaultURI, snap: snap, log: log.With("frontend", fe.Name)}
	if fe.Stats != nil {
		if fe.Stats.URI != "" {
			p.uri = fe.Stats.URI
		}
		for _, a := range fe.Stats.Auth {
			user, pass, _ := strings.Cut(a, ":")
			p.auth = append(p.auth, credential{[]byte(user), []byte(pass)})
		}
	}
	return p
}

// Listen binds every address of the frontend: host "" listens on all
// addresses (IPv4 and IPv6 unless V6Only), SO_REUSEADDR is always set and
// IP_FREEBIND when the bind asks for it. On error nothing stays bound.
func (p *Page) Listen() error {
	var lns []net.Listener
	for _, b := range p.fe.Binds {
		ln, err := listen(b)
		if err != nil {
			for _, l := range lns {
				l.Close()
			}
			return fmt.Errorf("frontend %q: bind %q: %w", p.fe.Name, b.Addr, err)
		}
		lns = append(lns, ln)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.lns = append(p.lns, lns...)
	for _, l := range lns {
		p.addrs = append(p.addrs, l.Addr())
	}
	return nil
}

// Close closes the listeners Listen opened when Serve will not run; after
// Serve has started it does nothing (Serve closes them itself).
func (p *Page) Close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	var errs []error
	for _, l := range p.lns {
		errs = append(errs, l.Close())
	}
	p.lns = nil
	return errors.Join(errs...)
}

// listen opens one bind with net.ListenConfig. A literal IPv4 host is
// listened on as "tcp4", since Go would make 0.0.0.0 dual-stack.
func listen(b haproxy.Bind) (net.Listener, error) {
	host, _, err := net.SplitHostPort(b.Addr)
	if err != nil {
		return nil, err
	}
	network := "tcp"
	if a, err := netip.ParseAddr(host); err == nil {
		network = "tcp6"
		if a.Unmap().Is4() {
			network = "tcp4"
		}
	} else if host == "" && b.V6Only {
		network = "tcp6"
	}
	lc := net.ListenConfig{Control: func(network, _ string, c syscall.RawConn) error {
		var serr error
		err := c.Control(func(fd uintptr) {
			serr = sockopts(int(fd), network, b)
		})
		return errors.Join(err, serr)
	}}
	return lc.Listen(context.Background(), network, b.Addr)
}

// sockopts runs between socket(2) and bind(2).
func sockopts(fd int, network string, b haproxy.Bind) error {
	if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_REUSEADDR, 1); err != nil {
		return fmt.Errorf("SO_REUSEADDR: %w", err)
	}
	if network == "tcp6" {
		v6only := 0
		if b.V6Only {
			v6only = 1
		}
		if err := unix.SetsockoptInt(fd, unix.IPPROTO_IPV6, unix.IPV6_V6ONLY, v6only); err != nil {
			return fmt.Errorf("IPV6_V6ONLY: %w", err)
		}
	}
	if !b.FreeBind {
		return nil
	}
	if network == "tcp6" {
		if err := unix.SetsockoptInt(fd, unix.IPPROTO_IPV6, unix.IPV6_FREEBIND, 1); err != nil {
			return fmt.Errorf("IPV6_FREEBIND: %w", err)
		}
		return nil
	}
	if err := unix.SetsockoptInt(fd, unix.IPPROTO_IP, unix.IP_FREEBIND, 1); err != nil {
		return fmt.Errorf("IP_FREEBIND: %w", err)
	}
	return nil
}

// Addrs returns the addresses bound by Listen, in bind order.
func (p *Page) Addrs() []net.Addr {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]net.Addr(nil), p.addrs...)
}

// Serve answers HTTP on the listeners until ctx is done, then shuts down,
// waiting at most 2 s for requests in flight, and returns nil. It calls
// Listen first when Listen has not been called, and returns its error.
// Serve closes the listeners; call it once.
func (p *Page) Serve(ctx context.Context) error {
	p.mu.Lock()
	n := len(p.lns)
	p.mu.Unlock()
	if n == 0 {
		if err := p.Listen(); err != nil {
			return err
		}
	}
	p.mu.Lock()
	lns := p.lns
	p.lns = nil
	p.mu.Unlock()

	idle := defaultIdleTimeout
	if p.fe.TimeoutClient > 0 {
		idle = p.fe.TimeoutClient
	}
	srv := &http.Server{
		Handler:           p,
		ReadHeaderTimeout: readHeaderTimeout,
		IdleTimeout:       idle,
		ErrorLog:          slog.NewLogLogger(p.log.Handler(), slog.LevelDebug),
	}
	var wg sync.WaitGroup
	for _, l := range lns {
		wg.Go(func() {
			if err := srv.Serve(l); err != nil && !errors.Is(err, http.ErrServerClosed) {
				p.log.Error("stats listener failed", "err", err, "addr", l.Addr().String())
			}
		})
	}
	<-ctx.Done()
	sctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		srv.Close()
	}
	wg.Wait()
	return nil
}

// ServeHTTP answers one request. Like HAProxy, it takes every request
// whose URI starts with the stats URI (with `stats uri /`, every path);
// the options after it, ";csv" and ";norefresh", select the output.
func (p *Page) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rest, ok := strings.CutPrefix(r.RequestURI, p.uri)
	if !ok {
		http.NotFound(w, r)
		return
	}
	if !p.authorized(r) {
		w.Header().Set("WWW-Authenticate", `Basic realm="`+realm+`"`)
		http.Error(w, "401 Unauthorized: you need a valid user and password to access this content.", http.StatusUnauthorized)
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "405 Method Not Allowed", http.StatusMethodNotAllowed)
		return
	}
	csv, norefresh := options(rest)
	h := w.Header()
	h.Set("Cache-Control", "no-cache")
	snap := p.snap()
	if csv {
		h.Set("Content-Type", "text/plain")
		if r.Method == http.MethodHead {
			return
		}
		// Without `stats show-legends`, HAProxy's page leaves the
		// addresses and algorithms out of its CSV; so does halo's.
		f := AllStats
		f.HideLegends = true
		WriteStatCSV(w, snap, f) // a write error means the client went away
		return
	}
	var refresh time.Duration
	if p.fe.Stats != nil && !norefresh {
		refresh = p.fe.Stats.Refresh
	}
	if refresh > 0 {
		h.Set("Refresh", fmt.Sprint(int64((refresh+time.Second-1)/time.Second)))
	}
	h.Set("Content-Type", "text/html; charset=utf-8")
	if r.Method == http.MethodHead {
		return
	}
	// A write error means the client went away.
	WriteHTML(w, snap, HTMLOptions{URI: p.uri, Refresh: refresh})
}

// options reads the ";"-separated options after the stats URI.
func options(rest string) (csv, norefresh bool) {
	for i, opt := range strings.Split(rest, ";") {
		if i == 0 {
			continue // what precedes the first ';' is not an option
		}
		switch {
		case strings.HasPrefix(opt, "csv"):
			csv = true
		case strings.HasPrefix(opt, "norefresh"):
			norefresh = true
		}
	}
	return csv, norefresh
}

// authorized checks HTTP basic credentials against every `stats auth`
// entry, comparing in constant time and without stopping at a match.
func (p *Page) authorized(r *http.Request) bool {
	if len(p.auth) == 0 {
		return true
	}
	user, pass, ok := r.BasicAuth()
	if !ok {
		return false
	}
	match := 0
	for _, c := range p.auth {
		u := subtle.ConstantTimeCompare([]byte(user), c.user)
		pw := subtle.ConstantTimeCompare([]byte(pass), c.pass)
		match |= u & pw
	}
	return match == 1
}
