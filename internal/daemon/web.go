package daemon

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/halo-lb/halo/internal/config/haproxy"
	"github.com/halo-lb/halo/internal/proxy"
	"github.com/halo-lb/halo/internal/stats"
)

// webPart answers the frontends halo serves over HTTP itself: statistics
// pages (`stats enable`), `monitor-uri`, the Prometheus exporter
// (`http-request use-service prometheus-exporter`), and --metrics. Every
// frontend keeps its sockets across a reload that keeps its binds; only
// its handler is swapped.
type webPart struct {
	log  *slog.Logger
	snap func() stats.Snapshot
	// nbsrv counts a backend's usable servers, for `monitor fail`.
	nbsrv func(backend string) int

	mu      sync.Mutex
	sites   map[string]*site // by frontend name; "--metrics" for the flag
	ctx     context.Context  // Serve's, once serving
	serving sync.WaitGroup
}

// site is one HTTP frontend: its listeners and the handler they serve.
type site struct {
	name    string
	binds   []string
	lns     []net.Listener
	handler atomic.Pointer[http.Handler]
	srv     *http.Server
	done    chan struct{}
}

func (s *site) ServeHTTP(w http.ResponseWriter, r *http.Request) { (*s.handler.Load()).ServeHTTP(w, r) }

func newWebPart(snap func() stats.Snapshot, nbsrv func(string) int, log *slog.Logger) *webPart {
	return &webPart{log: log, snap: snap, nbsrv: nbsrv, sites: map[string]*site{}}
}

// webFrontends lists what cfg asks the web part to serve.
func webFrontends(cfg *haproxy.Config, metricsAddr string) []*haproxy.Frontend {
	var out []*haproxy.Frontend
	if cfg != nil {
		for _, fe := range cfg.Frontends {
			if !fe.Relays() {
				out = append(out, fe)
			}
		}
	}
	if metricsAddr != "" {
		out = append(out, &haproxy.Frontend{Name: "--metrics", Mode: haproxy.ModeHTTP, Prometheus: "/metrics", Binds: []haproxy.Bind{{Addr: metricsAddr}}})
	}
	return out
}

func bindsOf(fe *haproxy.Frontend) []string {
	var out []string
	for _, b := range fe.Binds {
		b.Line = 0 // the same bind on another line is the same socket
		out = append(out, fmt.Sprintf("%+v", b))
	}
	return out
}

// apply makes the sites match fes. New sockets are opened first; on an
// error nothing changes. It returns one line per change.
func (w *webPart) apply(fes []*haproxy.Frontend) ([]string, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	next := map[string]*site{}
	var opened []*site
	fail := func(err error) ([]string, error) {
		for _, s := range opened {
			for _, l := range s.lns {
				l.Close()
			}
		}
		return nil, err
	}
	for _, fe := range fes {
		if old := w.sites[fe.Name]; old != nil && slices.Equal(old.binds, bindsOf(fe)) {
			next[fe.Name] = old
			continue
		}
		s := &site{name: fe.Name, binds: bindsOf(fe), done: make(chan struct{})}
		for _, b := range fe.Binds {
			ln, err := proxy.ListenHTTP(b)
			if err != nil {
				opened = append(opened, s)
				return fail(fmt.Errorf("frontend %q bind %q: %w", fe.Name, b.Addr, err))
			}
			s.lns = append(s.lns, ln)
		}
		opened = append(opened, s)
		next[fe.Name] = s
	}
	// Commit.
	var changes []string
	for _, fe := range fes {
		h := w.handlerFor(fe)
		next[fe.Name].handler.Store(&h)
	}
	for _, s := range opened {
		if w.sites[s.name] != nil {
			changes = append(changes, fmt.Sprintf("frontend %s: binds changed, listeners reopened", s.name))
		} else if len(w.sites) > 0 || w.ctx != nil {
			changes = append(changes, fmt.Sprintf("frontend %s: added", s.name))
		}
	}
	for name, s := range w.sites {
		if next[name] != s {
			w.stopSite(s)
			if next[name] == nil {
				changes = append(changes, fmt.Sprintf("frontend %s: removed", name))
			}
		}
	}
	w.sites = next
	if w.ctx != nil {
		for _, s := range opened {
			w.startSite(s)
		}
	}
	return changes, nil
}

// handlerFor routes one frontend's requests: the monitor URI, the metrics
// path, then the statistics page.
func (w *webPart) handlerFor(fe *haproxy.Frontend) http.Handler {
	metrics := stats.MetricsHandler(w.snap)
	var page http.Handler
	if fe.Stats != nil {
		page = stats.NewPage(fe, w.snap, w.log)
	}
	mon := fe.Monitor
	return http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		path := r.URL.Path
		switch {
		case mon != nil && path == mon.URI:
			if mon.Failing(w.nbsrv) {
				http.Error(rw, "Service Unavailable", http.StatusServiceUnavailable)
				return
			}
			rw.Header().Set("Content-Type", "text/html")
			rw.Write([]byte("<html><body><h1>200 OK</h1>\nService ready.\n</body></html>\n"))
		case fe.Prometheus != "" && (path == fe.Prometheus || fe.PrometheusPrefix && strings.HasPrefix(path, fe.Prometheus)):
			metrics.ServeHTTP(rw, r)
		case page != nil && path == "/metrics":
			metrics.ServeHTTP(rw, r) // any statistics listener also answers /metrics
		case page != nil:
			page.ServeHTTP(rw, r)
		default:
			http.Error(rw, "Service Unavailable", http.StatusServiceUnavailable)
		}
	})
}

func (w *webPart) startSite(s *site) {
	s.srv = &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 30 * time.Second,
		ErrorLog: slog.NewLogLogger(w.log.Handler(), slog.LevelDebug)}
	var wg sync.WaitGroup
	for _, l := range s.lns {
		wg.Go(func() {
			if err := s.srv.Serve(l); err != nil && !errors.Is(err, http.ErrServerClosed) {
				w.log.Error("http listener failed", "frontend", s.name, "addr", l.Addr().String(), "err", err)
			}
		})
	}
	w.serving.Go(func() {
		wg.Wait()
		close(s.done)
	})
}

// stopSite closes a site's listeners and lets requests in flight finish
// (at most 2 s).
func (w *webPart) stopSite(s *site) {
	if s.srv == nil {
		for _, l := range s.lns {
			l.Close()
		}
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if s.srv.Shutdown(ctx) != nil {
		s.srv.Close()
	}
}

// addrs returns the bound addresses of a site.
func (w *webPart) addrs(name string) []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []string
	if s := w.sites[name]; s != nil {
		for _, l := range s.lns {
			out = append(out, l.Addr().String())
		}
	}
	return out
}

// Run serves every site until ctx is done.
func (w *webPart) Run(ctx context.Context) error {
	w.mu.Lock()
	w.ctx = ctx
	for _, s := range w.sites {
		w.startSite(s)
	}
	w.mu.Unlock()
	<-ctx.Done()
	w.mu.Lock()
	for _, s := range w.sites {
		w.stopSite(s)
	}
	w.mu.Unlock()
	w.serving.Wait()
	return nil
}
