package drill

import (
	"bufio"
	"context"
	"net"
	"net/netip"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/halo-lb/halo/internal/netlab"
)

// Sample is one probe: when it started, whether a server answered, and
// which.
type Sample struct {
	At     time.Time
	OK     bool
	Server string
}

// Prober connects to a VIP every Every from inside the client host, the
// way the article's ping watches the VIP, but over TCP so the answer also
// says which server (through which node) replied.
type Prober struct {
	Every   time.Duration // default 10 ms
	Timeout time.Duration // one probe's budget; default 200 ms

	mu      sync.Mutex
	samples []Sample
	cancel  context.CancelFunc
	done    chan struct{}
}

// Start probes target (VIP:port) from h until Stop.
func (p *Prober) Start(h *netlab.Host, target netip.AddrPort) {
	if p.Every <= 0 {
		p.Every = 10 * time.Millisecond
	}
	if p.Timeout <= 0 {
		p.Timeout = 200 * time.Millisecond
	}
	ctx, cancel := context.WithCancel(context.Background())
	p.cancel = cancel
	p.done = make(chan struct{})
	go func() {
		defer close(p.done)
		var wg sync.WaitGroup
		defer wg.Wait()
		sem := make(chan struct{}, 64) // bound concurrent probes
		t := time.NewTicker(p.Every)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
			at := time.Now()
			select {
			case sem <- struct{}{}:
			default:
				p.record(Sample{At: at}) // too many stuck: counts as a loss
				continue
			}
			wg.Add(1)
			// Each probe runs on its own thread inside the client
			// namespace, so a probe stuck on an unanswered SYN does not
			// delay the next one: the cadence stays 10 ms during an outage.
			go func() {
				defer wg.Done()
				defer func() { <-sem }()
				h.Do(func() error {
					s := p.once(ctx, target, at)
					if !s.OK && ctx.Err() != nil {
						return nil // cut short by Stop, not a failure
					}
					p.record(s)
					return nil
				})
			}()
		}
	}()
}

// once dials target, reads the server's one-line answer and hangs up.
func (p *Prober) once(ctx context.Context, target netip.AddrPort, at time.Time) Sample {
	d := net.Dialer{Timeout: p.Timeout}
	c, err := d.DialContext(ctx, "tcp", target.String())
	if err != nil {
		return Sample{At: at}
	}
	defer c.Close()
	c.SetDeadline(at.Add(p.Timeout))
	line, err := bufio.NewReader(c).ReadString('\n')
	return Sample{At: at, OK: err == nil, Server: strings.TrimSpace(line)}
}

func (p *Prober) record(s Sample) {
	p.mu.Lock()
	p.samples = append(p.samples, s)
	p.mu.Unlock()
}

// Stop ends probing and returns every sample in start order.
func (p *Prober) Stop() []Sample {
	p.cancel()
	<-p.done
	p.mu.Lock()
	defer p.mu.Unlock()
	out := append([]Sample(nil), p.samples...)
	sort.Slice(out, func(i, j int) bool { return out[i].At.Before(out[j].At) })
	return out
}

// Report summarises samples taken around a fault injected at `at`.
type Report struct {
	Outage  time.Duration // longest time without a successful probe, after `at`
	Lost    int           // failed probes
	Total   int
	Before  string // server that answered last before the fault
	After   string // server that answered first after the outage
	Settled bool   // a probe succeeded after the fault
}

func (r Report) String() string {
	return "outage " + r.Outage.Round(time.Millisecond).String() + ", lost " + strconv.Itoa(r.Lost) + "/" + strconv.Itoa(r.Total) +
		" probes, " + r.Before + " -> " + r.After
}

// Analyze measures the outage as the gap between the last success before
// the first failure after `at` and the first success after it.
func Analyze(samples []Sample, at time.Time) Report {
	var r Report
	r.Total = len(samples)
	var lastOK time.Time
	for _, s := range samples {
		if !s.OK {
			r.Lost++
		}
		if s.At.Before(at) {
			if s.OK {
				lastOK, r.Before = s.At, s.Server
			}
			continue
		}
		if s.OK {
			if !r.Settled {
				r.Settled, r.After = true, s.Server
			}
			if !lastOK.IsZero() {
				if gap := s.At.Sub(lastOK); gap > r.Outage {
					r.Outage = gap
				}
			}
			lastOK = s.At
		}
	}
	if !r.Settled && !lastOK.IsZero() && len(samples) > 0 {
		r.Outage = samples[len(samples)-1].At.Sub(lastOK)
	}
	return r
}

// Succeeded reports whether any probe has succeeded yet.
func (p *Prober) Succeeded() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, s := range p.samples {
		if s.OK {
			return true
		}
	}
	return false
}
