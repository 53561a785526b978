package drill

import (
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"

	"github.com/halo-lb/halo/internal/netlab"
)

// Addresses of the site, all in the documentation ranges (RFC 5737, RFC 3849).
var (
	VIP4 = netip.MustParseAddr("192.0.2.100")
	VIP6 = netip.MustParseAddr("2001:db8::100")
)

// hostPlan lists the site's hosts and their addresses.
var hostPlan = []struct {
	name  string
	addrs []string
}{
	{"lb1", []string{"192.0.2.11/24", "2001:db8::11/64"}},
	{"lb2", []string{"192.0.2.12/24", "2001:db8::12/64"}},
	{"web1", []string{"192.0.2.21/24", "2001:db8::21/64"}},
	{"web2", []string{"192.0.2.22/24", "2001:db8::22/64"}},
	{"client", []string{"192.0.2.50/24", "2001:db8::50/64"}},
}

// Site is the seed's network: lb1 and lb2 (the two load balancers), web1
// and web2 (the servers behind them) and a client, on one bridge.
type Site struct {
	Lab    *netlab.Lab
	LB1    *netlab.Host
	LB2    *netlab.Host
	Web1   *netlab.Host
	Web2   *netlab.Host
	Client *netlab.Host
	Dir    string // scratch directory for configs, pid files and logs

	responders []*Responder
	closers    []func() // other servers to stop at Close
	starts     int      // node starts so far, for unique directories
	etcDirs    []string // /etc/netns/NS directories to remove
}

// NewSite builds the hosts. prefix names the namespaces ("<prefix>-<pid>-lb1").
func NewSite(prefix string) (*Site, error) {
	lab, err := netlab.New(prefix)
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", prefix+"-")
	if err != nil {
		lab.Close()
		return nil, err
	}
	s := &Site{Lab: lab, Dir: dir}
	hosts := make([]*netlab.Host, len(hostPlan))
	for i, hp := range hostPlan {
		h, err := lab.AddHost(hp.name, hp.addrs...)
		if err != nil {
			return nil, errors.Join(fmt.Errorf("host %s: %w", hp.name, err), s.Close())
		}
		hosts[i] = h
	}
	s.LB1, s.LB2, s.Web1, s.Web2, s.Client = hosts[0], hosts[1], hosts[2], hosts[3], hosts[4]
	return s, nil
}

// Close stops every process and responder and removes the namespaces and
// the scratch directory. It is safe to call more than once.
func (s *Site) Close() error {
	for _, r := range s.responders {
		r.Close()
	}
	s.responders = nil
	for _, c := range s.closers {
		c()
	}
	s.closers = nil
	err := s.Lab.Close()
	for _, d := range s.etcDirs {
		os.RemoveAll(d)
	}
	s.etcDirs = nil
	if s.Dir != "" {
		os.RemoveAll(s.Dir)
	}
	return err
}

// StartWebServers runs a responder on port on each web host; it answers
// every connection with the host's name.
func (s *Site) StartWebServers(port int) error {
	for _, h := range []*netlab.Host{s.Web1, s.Web2} {
		r, err := Respond(h, port)
		if err != nil {
			return err
		}
		s.responders = append(s.responders, r)
	}
	return nil
}

// StartNodeResponders runs a responder on port on both load balancers, for
// tests that probe the VIP without a proxy in between.
func (s *Site) StartNodeResponders(port int) error {
	for _, h := range []*netlab.Host{s.LB1, s.LB2} {
		r, err := Respond(h, port)
		if err != nil {
			return err
		}
		s.responders = append(s.responders, r)
	}
	return nil
}

// Primary is a host's own IPv4 address on the site network.
func Primary(h *netlab.Host) netip.Addr {
	for _, hp := range hostPlan {
		if hp.name == h.Name {
			return netip.MustParsePrefix(hp.addrs[0]).Addr()
		}
	}
	return netip.Addr{}
}

// HasAddr reports whether h holds addr on eth0.
func HasAddr(h *netlab.Host, addr netip.Addr) bool {
	ps, err := h.Addrs("eth0")
	if err != nil {
		return false
	}
	for _, p := range ps {
		if p.Addr() == addr {
			return true
		}
	}
	return false
}

// Adopt makes the site close r with everything else.
func (s *Site) Adopt(r *Responder) { s.responders = append(s.responders, r) }

// SetHostsFile gives processes started in h (through `ip netns exec`, which
// mounts /etc/netns/NS/* over /etc) their own /etc/hosts. Close removes it.
func (s *Site) SetHostsFile(h *netlab.Host, text string) error {
	dir := filepath.Join("/etc/netns", h.Namespace)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	s.etcDirs = append(s.etcDirs, dir)
	return os.WriteFile(filepath.Join(dir, "hosts"), []byte(text), 0o644)
}
