package vrouter

import (
	"container/heap"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"strings"
	"testing"
	"time"
)

// The property: routers that hear each other on a lossless bus, whatever
// happened to them before, settle on exactly one Master (none if all are
// faulty or stopped) and stay that way.

// chooser picks numbers for the simulation: from a PRNG, or from fuzz bytes.
type chooser func(n int) int

func bytesChooser(b []byte) chooser {
	return func(n int) int {
		if len(b) == 0 {
			return 0
		}
		v := int(b[0])
		b = b[1:]
		return v % n
	}
}

type simNode struct {
	cfg Config
	m   *Machine
	up  bool
}

type delivery struct {
	at   time.Time
	seq  int // keeps deliveries at the same instant in send order
	to   int
	advt Advert
}

// deliveries is a min-heap by (at, seq).
type deliveries []delivery

func (d deliveries) Len() int { return len(d) }
func (d deliveries) Less(i, j int) bool {
	if c := d[i].at.Compare(d[j].at); c != 0 {
		return c < 0
	}
	return d[i].seq < d[j].seq
}
func (d deliveries) Swap(i, j int) { d[i], d[j] = d[j], d[i] }
func (d *deliveries) Push(x any)   { *d = append(*d, x.(delivery)) }
func (d *deliveries) Pop() any {
	old := *d
	x := old[len(old)-1]
	*d = old[:len(old)-1]
	return x
}

type bus struct {
	t       *testing.T
	now     time.Time
	latency time.Duration
	nodes   []*simNode
	queue   deliveries
	seq     int
	log     []string // for failure reports
}

func (b *bus) apply(i int, acts []Action) {
	for _, a := range acts {
		switch a := a.(type) {
		case SendAdvert:
			n := b.nodes[i]
			for j, o := range b.nodes {
				if j == i || !o.up {
					continue
				}
				b.seq++
				heap.Push(&b.queue, delivery{at: b.now.Add(b.latency), seq: b.seq, to: j,
					advt: Advert{Src: n.cfg.PrimaryIP, Priority: a.Priority, MaxAdvertInterval: n.cfg.AdvertInterval}})
			}
		case Transition:
			b.logf("node %d %v → %v (%v: %s)", i, a.From, a.To, a.Reason, a.Detail)
		}
	}
}

func (b *bus) logf(format string, args ...any) {
	b.log = append(b.log, fmt.Sprintf("%9v ", b.now.Sub(t0))+fmt.Sprintf(format, args...))
}

// runUntil processes deliveries and timers in time order up to end.
// check, if set, runs after every processed event.
func (b *bus) runUntil(end time.Time, check func()) {
	for events := 0; ; events++ {
		if events > 100000 {
			b.t.Fatalf("no progress: 100000 events before %v (adverts answering each other?)\n%s",
				end.Sub(t0), strings.Join(b.log, "\n"))
		}
		next, which := end, -2 // -1: a delivery; i >= 0: node i's timer
		if len(b.queue) > 0 {
			if !b.queue[0].at.After(next) {
				next, which = b.queue[0].at, -1
			}
		}
		for i, n := range b.nodes {
			if d := n.m.NextDeadline(); n.up && !d.IsZero() && d.Before(next) {
				next, which = d, i
			}
		}
		if which == -2 {
			b.now = end
			return
		}
		b.now = next
		if which == -1 {
			d := heap.Pop(&b.queue).(delivery)
			if b.nodes[d.to].up {
				b.apply(d.to, b.nodes[d.to].m.Advert(b.now, d.advt))
			}
		} else {
			b.apply(which, b.nodes[which].m.Tick(b.now))
		}
		if check != nil {
			check()
		}
	}
}

func (b *bus) masters() (masters, eligible int) {
	for _, n := range b.nodes {
		if !n.up {
			continue
		}
		if n.m.State() == Master {
			masters++
		}
		if n.m.State() != Fault {
			eligible++
		}
	}
	return masters, eligible
}

// simulate builds 2–3 routers from pick, runs a random event sequence, lets
// the timers settle and checks the property.
func simulate(t *testing.T, pick chooser) {
	t.Helper()
	version := 2 + pick(2)
	b := &bus{t: t, now: t0, latency: time.Duration(pick(6)) * time.Millisecond}
	priorities := []uint8{50, 98, 100, 100, 150, 255}
	for i := range 2 + pick(2) {
		cfg := Config{
			VRID: 51, Version: version,
			Priority:       priorities[pick(len(priorities))],
			AdvertInterval: time.Second,
			Preempt:        pick(3) != 0,
			PreemptDelay:   time.Duration(pick(3)) * 2 * time.Second,
			InitialState:   []State{Backup, Master}[pick(2)],
			PrimaryIP:      netip.AddrFrom4([4]byte{192, 0, 2, byte(1 + i)}),
		}
		if version == 3 {
			cfg.AdvertInterval = []time.Duration{ms(100), ms(200), sec(1)}[pick(3)]
		}
		b.nodes = append(b.nodes, &simNode{cfg: cfg, m: NewMachine(cfg)})
		b.logf("node %d: %+v", i, cfg)
	}
	startAll := func(i int) {
		n := b.nodes[i]
		n.m, n.up = NewMachine(n.cfg), true
		b.apply(i, n.m.Start(b.now))
	}
	for i := range b.nodes {
		b.runUntil(b.now.Add(time.Duration(pick(50))*ms(100)), nil)
		startAll(i)
	}
	faulty := make([]bool, len(b.nodes))
	for range pick(12) {
		b.runUntil(b.now.Add(time.Duration(pick(40))*ms(100)), nil)
		i := pick(len(b.nodes))
		n := b.nodes[i]
		switch pick(4) {
		case 0:
			p := uint8(1 + pick(254))
			b.logf("node %d priority %d", i, p)
			b.apply(i, n.m.SetPriority(b.now, p))
		case 1:
			faulty[i] = !faulty[i]
			b.logf("node %d fault %v", i, faulty[i])
			b.apply(i, n.m.SetFault(b.now, faulty[i], "test"))
		case 2:
			if n.up {
				b.logf("node %d shutdown", i)
				b.apply(i, n.m.Shutdown(b.now))
				n.up = false
			} else {
				b.logf("node %d restart", i)
				startAll(i)
				faulty[i] = false
			}
		case 3: // quiet period
		}
	}
	b.runUntil(b.now.Add(30*time.Second), nil)
	report := func(what string) {
		t.Helper()
		t.Fatalf("%s\n%s", what, strings.Join(b.log, "\n"))
	}
	m, e := b.masters()
	if m != min(e, 1) {
		report(fmt.Sprintf("after settling: %d masters among %d eligible routers", m, e))
	}
	if m == 1 {
		// A preempting backup that outranks the master would have taken over.
		var master *Machine
		for _, n := range b.nodes {
			if n.up && n.m.State() == Master {
				master = n.m
			}
		}
		for i, n := range b.nodes {
			if n.up && n.m.State() == Backup && n.m.preempts(b.now) && n.m.Priority() > master.Priority() {
				report(fmt.Sprintf("node %d (priority %d, preempt) is backup to a priority %d master",
					i, n.m.Priority(), master.Priority()))
			}
		}
	}
	b.runUntil(b.now.Add(20*time.Second), func() {
		if m, e := b.masters(); m != min(e, 1) {
			report(fmt.Sprintf("after settling: %d masters among %d eligible routers", m, e))
		}
	})
}

func TestNoTwoMastersOnALosslessBus(t *testing.T) {
	for seed := range uint64(400) {
		t.Run(fmt.Sprintf("seed %d", seed), func(t *testing.T) {
			r := rand.New(rand.NewPCG(seed, 5798))
			simulate(t, func(n int) int { return r.IntN(n) })
		})
	}
}

func FuzzNoTwoMasters(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte{0, 0, 1, 1, 3, 1, 2, 1, 0, 0, 5, 4, 2, 1, 0, 9, 9, 9})
	f.Add([]byte{1, 5, 1, 3, 2, 0, 1, 1, 9, 3, 3, 1, 0, 1, 2, 2, 10, 1, 1, 2, 2, 1, 1})
	f.Fuzz(func(t *testing.T, data []byte) {
		simulate(t, bytesChooser(data))
	})
}
