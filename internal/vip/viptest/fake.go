// Package viptest provides an in-memory stand-in for vip.Manager, for tests
// of components that hold virtual IPs without touching the network.
package viptest

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/halo-lb/halo/internal/vip"
)

// A Call is one recorded method call.
type Call struct {
	Op    string // "add", "delete" or "announce"
	Addr  string // vip.Address.String()
	Count int    // announce only
}

// Fake records Add, Delete and Announce and answers Has from what it was
// told. Its zero value is ready; it is safe for concurrent use. Set Err to
// make every call fail.
type Fake struct {
	mu    sync.Mutex
	held  map[string]vip.Address // by String()
	calls []Call
	Err   error

	routing map[string]bool   // routes and rules present, by description
	handoff map[string]string // hidden and forwarded VIPs, by kind and key
}

func (f *Fake) record(c Call) error {
	f.calls = append(f.calls, c)
	if f.Err != nil {
		return fmt.Errorf("%s %s: %w", c.Op, c.Addr, f.Err)
	}
	return nil
}

// Add records a as held.
func (f *Fake) Add(a vip.Address) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.record(Call{Op: "add", Addr: a.String()}); err != nil {
		return err
	}
	if f.held == nil {
		f.held = map[string]vip.Address{}
	}
	f.held[key(a)] = a
	return nil
}

// Delete records a as released.
func (f *Fake) Delete(a vip.Address) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.record(Call{Op: "delete", Addr: a.String()}); err != nil {
		return err
	}
	delete(f.held, key(a))
	return nil
}

// Has reports whether a is held.
func (f *Fake) Has(a vip.Address) (bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.Err != nil {
		return false, f.Err
	}
	_, ok := f.held[key(a)]
	return ok, nil
}

// Announce records the announcement; it does not wait.
func (f *Fake) Announce(ctx context.Context, a vip.Address, count int, interval time.Duration) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.record(Call{Op: "announce", Addr: a.String(), Count: count})
}

// Calls returns the calls so far, oldest first.
func (f *Fake) Calls() []Call {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.calls)
}

// Held returns the held addresses, sorted by their String form.
func (f *Fake) Held() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for _, a := range f.held {
		out = append(out, a.String())
	}
	slices.Sort(out)
	return out
}

// key identifies an address as the kernel does: address, prefix length and
// interface.
func key(a vip.Address) string { return a.Prefix.String() + "%" + a.Dev }

// AddRoute records r as present.
func (f *Fake) AddRoute(r vip.Route) error {
	return f.setRouting("route add", "route "+r.String(), true)
}

// DeleteRoute records r as gone.
func (f *Fake) DeleteRoute(r vip.Route) error {
	return f.setRouting("route delete", "route "+r.String(), false)
}

// AddRule records r as present.
func (f *Fake) AddRule(r vip.Rule) error { return f.setRouting("rule add", "rule "+r.String(), true) }

// DeleteRule records r as gone.
func (f *Fake) DeleteRule(r vip.Rule) error {
	return f.setRouting("rule delete", "rule "+r.String(), false)
}

func (f *Fake) setRouting(op, what string, on bool) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.record(Call{Op: op, Addr: what}); err != nil {
		return err
	}
	if f.routing == nil {
		f.routing = map[string]bool{}
	}
	if on {
		f.routing[what] = true
	} else {
		delete(f.routing, what)
	}
	return nil
}

// Routing lists the routes and rules present, sorted ("route 198.51.100.0/24
// via 192.0.2.1 dev eth0", "rule from all to ... table 100").
func (f *Fake) Routing() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for k := range f.routing {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// Hide records that key's VIPs are hidden from ARP.
func (f *Fake) Hide(key, iface string, vips []netip.Addr) error {
	return f.setHandoff("hide", key, fmt.Sprintf("%s %v", iface, vips), true)
}

// Unhide records the end of Hide.
func (f *Fake) Unhide(key, iface string, vips []netip.Addr) error {
	return f.setHandoff("unhide", key, "", false)
}

// Forward records that key's unknown flows go to to.
func (f *Fake) Forward(key, iface, out string, vips []netip.Addr, to netip.Addr) error {
	return f.setHandoff("forward", key, fmt.Sprintf("%s %v to %s via %s", iface, vips, to, out), true)
}

// StopForward records the end of Forward.
func (f *Fake) StopForward(key string) error { return f.setHandoff("stop forward", key, "", false) }

func (f *Fake) setHandoff(op, key, what string, on bool) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.record(Call{Op: op, Addr: key + " " + what}); err != nil {
		return err
	}
	if f.handoff == nil {
		f.handoff = map[string]string{}
	}
	kind := "hide "
	if strings.Contains(op, "forward") {
		kind = "forward "
	}
	if on {
		f.handoff[kind+key] = what
	} else {
		delete(f.handoff, kind+key)
	}
	return nil
}

// Handoff returns what is hidden and forwarded now, "hide KEY" or
// "forward KEY" → details.
func (f *Fake) Handoff() map[string]string {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := map[string]string{}
	for k, v := range f.handoff {
		out[k] = v
	}
	return out
}
