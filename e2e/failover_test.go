package e2e

import (
	"net/netip"
	"syscall"
	"testing"
	"time"

	"github.com/halo-lb/halo/internal/drill"
)

// The seed article's drill on two halo nodes: the master fails three ways
// and a client probing the VIP every 10 ms through the proxy sees the
// backup take over after the RFC master-down interval (on a clean stop, at
// once: the master keeps serving until the backup has taken over), then the
// master take the VIP back.
func TestFailoverBetweenHaloNodes(t *testing.T) {
	cases := []struct {
		name string
		pair drill.Pair
	}{
		{"VRRPv2 with the seed's PASS authentication and advert_int 1", drill.Pair{Version: 2, Advert: time.Second, AuthPass: "1cee4b6e-2cdc-48bf-83b2-01a96d1593e4"}},
		{"VRRPv3 with advert_int 0.1", drill.Pair{Version: 3, Advert: 100 * time.Millisecond}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := newSite(t)
			if err := s.StartWebServers(webPort); err != nil {
				t.Fatal(err)
			}
			vip := drill.VIP4
			lb1 := haloNode(t, s, 0, tc.pair)
			haloNode(t, s, 1, tc.pair)
			waitHolder(t, s, vip, s.LB1, 5*time.Second)
			want := masterDown(tc.pair.Version, tc.pair.Advert, 98)
			adv := tc.pair.Advert

			// A clean stop: priority 0 makes the backup take over after its
			// skew time, far sooner than the master-down interval.
			p := probe(t, s, vip)
			at := time.Now()
			lb1.Signal(syscall.SIGTERM)
			if !lb1.Wait(5 * time.Second) {
				lb1.Signal(syscall.SIGQUIT) // the Go runtime prints every goroutine
				lb1.Wait(time.Second)
				t.Fatal("halo did not exit within 5 s of SIGTERM")
			}
			if codes := lb1.ExitCodes(); codes[0] != 0 {
				t.Errorf("halo exited %v after SIGTERM, want 0", codes)
			}
			waitHolder(t, s, vip, s.LB2, 5*time.Second)
			r := drill.Analyze(p.stop(), at)
			t.Logf("SIGTERM: %v", r)
			// halo keeps the VIP until the backup has taken over, then
			// serves its open connections while the backup passes their
			// packets back: a planned stop loses nothing.
			if r.Lost > 0 {
				t.Errorf("SIGTERM handover lost %d probes (%v), want 0", r.Lost, r)
			}

			// Back: the higher priority preempts.
			lb1 = haloNode(t, s, 0, tc.pair)
			waitHolder(t, s, vip, s.LB1, 5*time.Second)

			// SIGKILL: no goodbye, the backup waits out the master-down interval.
			p = probe(t, s, vip)
			at = time.Now()
			lb1.Signal(syscall.SIGKILL)
			lb1.Wait(5 * time.Second)
			if _, err := drill.WaitAddr(s.LB2, vip, true, 3*want); err != nil {
				t.Fatal(err)
			}
			took := time.Since(at)
			r = drill.Analyze(p.stop(), at)
			t.Logf("SIGKILL: VIP on lb2 after %v (master-down interval %v); client %v", took, want, r)
			if took < want-adv-50*time.Millisecond || took > want+adv+300*time.Millisecond {
				t.Errorf("lb2 took the VIP %v after SIGKILL, want the master-down interval %v within one advert", took, want)
			}

			// A restarted node removes the VIP its killed predecessor left
			// behind before it does anything else, then preempts.
			lb1 = haloNode(t, s, 0, tc.pair)
			waitHolder(t, s, vip, s.LB1, 5*time.Second)

			// Cable pulled: lb2 takes over after the master-down interval;
			// lb1 sees its interface down, goes FAULT and releases the VIP.
			at = time.Now()
			if err := s.LB1.LinkDown(); err != nil {
				t.Fatal(err)
			}
			if _, err := drill.WaitAddr(s.LB2, vip, true, 3*want); err != nil {
				t.Fatal(err)
			}
			took = time.Since(at)
			t.Logf("link cut: VIP on lb2 after %v (master-down interval %v)", took, want)
			if took < want-adv-50*time.Millisecond || took > want+adv+300*time.Millisecond {
				t.Errorf("lb2 took the VIP %v after the cut, want %v within one advert", took, want)
			}
			if _, err := drill.WaitAddr(s.LB1, vip, false, 2*time.Second); err != nil {
				t.Errorf("lb1 kept the VIP with its link down: %v", err)
			}
			if err := s.LB1.LinkUp(); err != nil {
				t.Fatal(err)
			}
			waitHolder(t, s, vip, s.LB1, 3*want+2*time.Second)
		})
	}
}

type runningProbe struct {
	p *drill.Prober
}

// probe starts a 10 ms TCP probe of vip:frontPort from the client and waits
// until it succeeds.
func probe(t *testing.T, s *drill.Site, vip netip.Addr) *runningProbe {
	t.Helper()
	p := &drill.Prober{Every: 10 * time.Millisecond, Timeout: 200 * time.Millisecond}
	p.Start(s.Client, netip.AddrPortFrom(vip, frontPort))
	rp := &runningProbe{p: p}
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
		if p.Succeeded() {
			return rp
		}
	}
	p.Stop()
	t.Fatalf("the client never reached %v:%d", vip, frontPort)
	return nil
}

func (rp *runningProbe) stop() []drill.Sample { return rp.p.Stop() }
