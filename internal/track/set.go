package track

import (
	"fmt"
	"slices"
	"sync"

	"github.com/halo-lb/halo/internal/config/keepalived"
)

// Kind is the kind of a tracked object.
type Kind string

// The kinds of tracked objects an instance can have.
const (
	KindScript    Kind = "script"    // vrrp_script, tracked by track_script
	KindInterface Kind = "interface" // the instance's own interface and track_interface
	KindBackend   Kind = "backend"   // halo's track_backend: a backend has a server UP
)

// Key names one tracked object.
type Key struct {
	Kind Kind
	Name string
}

func (k Key) String() string { return string(k.Kind) + " " + k.Name }

// Set is the tracked objects of one VRRP instance, each with keepalived's
// weight rule (keepalived.Track.Delta, shared with `halo check --peer`)
// and its latest verdict. It turns the verdicts into the instance's
// priority change and, when an object with weight 0 is down, the FAULT
// culprit. It is safe for concurrent use.
type Set struct {
	mu   sync.Mutex
	objs map[Key]*object
}

type object struct {
	rule keepalived.Track
	up   bool
}

// Entry is one tracked object as status pages show it.
type Entry struct {
	Key
	Rule  keepalived.Track
	Up    bool
	Delta int  // what it adds to the priority now
	Fault bool // it forces FAULT now
}

// Add tracks k with rule r, starting with verdict up. Adding a key twice
// keeps the first rule (keepalived tracks the instance's own interface
// with weight 0 even when track_interface names it again).
func (s *Set) Add(k Key, r keepalived.Track, up bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.objs == nil {
		s.objs = map[Key]*object{}
	}
	if _, ok := s.objs[k]; !ok {
		s.objs[k] = &object{rule: r, up: up}
	}
}

// Has reports whether k is tracked.
func (s *Set) Has(k Key) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.objs[k]
	return ok
}

// Update records a verdict and reports whether k is tracked and its
// verdict changed.
func (s *Set) Update(k Key, up bool) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	o, ok := s.objs[k]
	if !ok || o.up == up {
		return false
	}
	o.up = up
	return true
}

// Verdict returns the latest verdict of k, and whether k is tracked.
func (s *Set) Verdict(k Key) (up, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	o, ok := s.objs[k]
	if !ok {
		return false, false
	}
	return o.up, true
}

// Keys returns the tracked keys, sorted.
func (s *Set) Keys() []Key {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Key, 0, len(s.objs))
	for k := range s.objs {
		out = append(out, k)
	}
	slices.SortFunc(out, compareKeys)
	return out
}

// Result is the combined effect of every tracked object.
type Result struct {
	Delta int    // sum of the contributions, before clamping
	Fault string // why the instance must be in FAULT, "" = it need not
}

// Result combines the verdicts. The FAULT culprit is the first down
// weight-0 object in key order, so the same one is named every time.
func (s *Set) Result() Result {
	var r Result
	for _, e := range s.Entries() {
		r.Delta += e.Delta
		if e.Fault && r.Fault == "" {
			r.Fault = fmt.Sprintf("%s is down", e.Key)
		}
	}
	return r
}

// Entries returns every tracked object with its current contribution, in
// key order.
func (s *Set) Entries() []Entry {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Entry, 0, len(s.objs))
	for k, o := range s.objs {
		d, f := o.rule.Delta(o.up)
		out = append(out, Entry{Key: k, Rule: o.rule, Up: o.up, Delta: d, Fault: f})
	}
	slices.SortFunc(out, func(a, b Entry) int { return compareKeys(a.Key, b.Key) })
	return out
}

func compareKeys(a, b Key) int {
	if a.Kind != b.Kind {
		if a.Kind < b.Kind {
			return -1
		}
		return 1
	}
	switch {
	case a.Name < b.Name:
		return -1
	case a.Name > b.Name:
		return 1
	}
	return 0
}
