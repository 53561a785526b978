package daemon

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"sync"

	"github.com/halo-lb/halo/internal/config/haproxy"
	"github.com/halo-lb/halo/internal/ctl"
)

// ctlPart serves the control sockets: halo's own (--socket, mode 0600,
// level admin) and every `stats socket` of the haproxy configuration, all
// answered by one ctl.Server over the Daemon.
type ctlPart struct {
	d   *Daemon
	log *slog.Logger
	srv *ctl.Server

	mu      sync.Mutex
	ctx     context.Context // set by Run; nil before
	sockets map[ctl.Socket]*ctlSocket
}

type ctlSocket struct {
	sock   ctl.Socket
	ln     net.Listener
	cancel context.CancelFunc
	done   chan struct{}
}

func newCtlPart(d *Daemon, log *slog.Logger) *ctlPart {
	return &ctlPart{d: d, log: log, srv: ctl.NewServer(d, log), sockets: map[ctl.Socket]*ctlSocket{}}
}

// wanted lists the sockets a configuration asks for.
func (c *ctlPart) wanted(ha *haproxy.Config) ([]ctl.Socket, error) {
	var out []ctl.Socket
	if c.d.opts.Socket != "" {
		network, addr, err := ctl.ParseAddress(c.d.opts.Socket)
		if err != nil {
			return nil, err
		}
		out = append(out, ctl.Socket{Network: network, Address: addr, Mode: 0o600, Level: ctl.LevelAdmin, UID: -1, GID: -1})
	}
	if ha == nil {
		return out, nil
	}
	for _, s := range ha.Global.StatsSockets {
		lv, err := ctl.ParseLevel(s.Level)
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", s.Line, err)
		}
		uid, gid, err := ctl.LookupOwner(s.User, s.Group)
		if err != nil {
			return nil, fmt.Errorf("line %d: stats socket %s: %w", s.Line, s.Path, err)
		}
		if s.UID != nil {
			uid = *s.UID
		}
		if s.GID != nil {
			gid = *s.GID
		}
		sock := ctl.Socket{Network: s.Network, Address: s.Path, Mode: os.FileMode(s.Mode), Level: lv, UID: uid, GID: gid}
		if sock.Network == "" {
			sock.Network = "unix"
		}
		if c.d.opts.Socket != "" && sock.Address == out[0].Address && sock.Network == out[0].Network {
			continue // the same path as --socket: halo's own wins
		}
		out = append(out, sock)
	}
	return out, nil
}

// apply makes the listening sockets match the configuration: unchanged
// ones stay open (a session in progress goes on), new ones open, removed
// ones close. A socket whose mode or level changed is reopened.
func (c *ctlPart) apply(ha *haproxy.Config) error {
	want, err := c.wanted(ha)
	if err != nil {
		return err
	}
	var timeout = ctl.DefaultTimeout
	if ha != nil && ha.Global.StatsTimeout > 0 {
		timeout = ha.Global.StatsTimeout
	}
	c.srv.SetTimeout(timeout)
	c.mu.Lock()
	defer c.mu.Unlock()
	keep := map[ctl.Socket]bool{}
	for _, s := range want {
		keep[s] = true
	}
	// Close first what goes away, so a socket reopened at the same path
	// with another mode or level can bind it.
	for key, s := range c.sockets {
		if !keep[key] {
			c.stop(s)
			delete(c.sockets, key)
			if c.ctx != nil {
				c.log.Info("reload: control socket closed", "socket", key.String())
			}
		}
	}
	for _, sock := range want {
		if c.sockets[sock] != nil {
			continue
		}
		ln, err := ctl.Listen(sock)
		if err != nil {
			return err
		}
		s := &ctlSocket{sock: sock, ln: ln, done: make(chan struct{})}
		c.sockets[sock] = s
		if c.ctx != nil {
			c.start(s)
			c.log.Info("reload: control socket opened", "socket", sock.String(), "level", sock.Level.String())
		}
	}
	return nil
}

func (c *ctlPart) start(s *ctlSocket) {
	ctx, cancel := context.WithCancel(c.ctx)
	s.cancel = cancel
	go func() {
		defer close(s.done)
		if err := c.srv.Serve(ctx, s.ln, s.sock.Level); err != nil {
			c.log.Error("control socket failed", "socket", s.sock.String(), "err", err)
		}
	}()
}

func (c *ctlPart) stop(s *ctlSocket) {
	if s.cancel == nil {
		s.ln.Close()
		return
	}
	s.cancel()
	<-s.done
}

// addrs returns the listening addresses (for tests).
func (c *ctlPart) addrs() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []string
	for _, s := range c.sockets {
		out = append(out, s.ln.Addr().String())
	}
	return out
}

// Run serves until ctx is done, then closes every socket and waits for
// the sessions.
func (c *ctlPart) Run(ctx context.Context) error {
	c.mu.Lock()
	c.ctx = ctx
	for _, s := range c.sockets {
		c.start(s)
	}
	c.mu.Unlock()
	<-ctx.Done()
	c.mu.Lock()
	for key, s := range c.sockets {
		c.stop(s)
		delete(c.sockets, key)
	}
	c.mu.Unlock()
	c.srv.Wait()
	return nil
}
