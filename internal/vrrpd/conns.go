package vrrpd

import (
	"errors"
	"fmt"
	"net"
	"os"
	"time"

	"github.com/halo-lb/halo/internal/vrrp"
)

// connEntry is one shared socket and its receive loop.
type connEntry struct {
	key  connKey
	conn Conn
	opts vrrp.ListenOptions
	done chan struct{} // the receive loop returned
}

// wantedOptions are the socket options the instances on k need: the group
// (vrrp_mcast_group4/6) is joined if any of them advertises by multicast; the source address and
// checksum style come from the first that sets them. Called with r.mu held.
func (r *Router) wantedOptions(k connKey) (vrrp.ListenOptions, bool) {
	var o vrrp.ListenOptions
	first := true
	for _, in := range r.instances {
		ic := in.cfg
		if keyOf(ic) != k {
			continue
		}
		if len(ic.UnicastPeers) == 0 {
			o.Multicast = true
			o.Group = groupFor(ic, r.cfg.Global)
		}
		if first {
			o.SrcIP = ic.SrcIP()
			if k.iface != ic.Interface {
				o.SrcInterface = ic.Interface // the VMAC has no address of its own
			}
			o.NoPseudoHeader = !ic.V3PseudoHeader
			first = false
		}
	}
	return o, !first
}

// openConns opens the socket of every interface that exists; instances on
// a missing interface wait (their interface tracker is down).
func (r *Router) openConns() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	for k := range r.byConn {
		if err := r.ensureConnLocked(k); err != nil {
			return err
		}
	}
	return nil
}

// ensureConnLocked opens (or reopens, when the instances now need other
// options) the socket for k and hands it to its instances. A missing
// interface is not an error: the instances wait for it.
func (r *Router) ensureConnLocked(k connKey) error {
	want, used := r.wantedOptions(k)
	e := r.conns[k]
	switch {
	case !used:
		if e != nil {
			r.closeConnLocked(e)
		}
		return nil
	case e != nil && e.opts == want:
		return nil
	}
	if _, err := r.env.Links.LinkUp(k.iface); err != nil {
		r.log.Warn("vrrp interface does not exist (yet): its instances wait in FAULT", "iface", k.iface)
		r.attachLocked(k, nil)
		if e != nil {
			r.closeConnLocked(e)
		}
		return nil
	}
	c, err := r.env.Network.Listen(k.family, k.iface, want)
	if err != nil {
		return fmt.Errorf("vrrp socket on %s (IPv%d): %w", k.iface, k.family, err)
	}
	if e != nil {
		r.closeConnLocked(e)
	}
	ne := &connEntry{key: k, conn: c, opts: want, done: make(chan struct{})}
	r.conns[k] = ne
	r.attachLocked(k, c)
	r.wg.Go(func() {
		defer close(ne.done)
		r.receive(ne)
	})
	return nil
}

// attachLocked gives the instances on k their socket (nil: none) and
// their primary address; a running instance learns the new address.
func (r *Router) attachLocked(k connKey, c Conn) {
	for _, in := range r.byConn[k] {
		in.mu.Lock()
		ic := in.cfg
		in.conn = c
		primary := ic.UnicastSrcIP
		if !primary.IsValid() && c != nil {
			primary = c.PrimaryAddr()
		}
		changed := primary != in.primary
		in.primary = primary
		in.mu.Unlock()
		if changed {
			in.router.Reconfigure(machineConfig(ic, primary))
		}
	}
}

func (r *Router) closeConnLocked(e *connEntry) {
	if r.conns[e.key] == e {
		delete(r.conns, e.key)
	}
	e.conn.Close()
}

func (r *Router) closeConns() {
	r.mu.Lock()
	var es []*connEntry
	for _, e := range r.conns {
		es = append(es, e)
		r.closeConnLocked(e)
	}
	r.mu.Unlock()
	for _, e := range es {
		<-e.done
	}
}

// receive hands valid adverts to the instance owning their VRID until the
// socket is closed. The Conn already dropped (and counted) packets with a
// bad TTL, length, version, type or checksum.
func (r *Router) receive(e *connEntry) {
	for {
		rc, err := e.conn.Read()
		if err != nil {
			if errors.Is(err, net.ErrClosed) || errors.Is(err, os.ErrClosed) {
				return
			}
			r.log.Debug("vrrp read", "iface", e.key.iface, "err", err)
			time.Sleep(10 * time.Millisecond)
			continue
		}
		r.mu.RLock()
		in := r.byConn[e.key][rc.Packet.VRID]
		r.mu.RUnlock()
		if in == nil {
			continue // another router's VRID on the same link: normal
		}
		in.receive(rc)
	}
}

// socketCounters returns the counters of the socket an instance uses.
func (r *Router) socketCounters(k connKey) vrrp.Counters {
	r.mu.RLock()
	e := r.conns[k]
	r.mu.RUnlock()
	if e == nil {
		return vrrp.Counters{}
	}
	return e.conn.Counters()
}

// logCounters reports, at stop, the packets each socket and instance
// refused, so the log of a stopped halo still shows that malformed or
// foreign adverts arrived.
func (r *Router) logCounters() {
	r.mu.RLock()
	defer r.mu.RUnlock()
	for k, e := range r.conns {
		n := e.conn.Counters()
		r.log.Info("vrrp socket counters", "iface", k.iface, "family", k.family,
			"received", n.Received, "sent", n.Sent, "send_errors", n.SendErrors,
			"bad_ttl", n.BadTTL, "bad_version", n.BadVersion, "bad_type", n.BadType,
			"bad_length", n.BadLength, "bad_checksum", n.BadChecksum, "other_interface", n.OtherInterface)
	}
	for _, in := range r.instances {
		in.mu.Lock()
		d := in.n
		in.mu.Unlock()
		st := in.router.Status()
		in.log.Info("vrrp instance counters", "adverts_sent", st.AdvertsSent, "adverts_received", st.AdvertsReceived,
			"dropped_auth", d.authFail+d.authType, "dropped_version", d.version, "dropped_interval", d.interval)
	}
}
