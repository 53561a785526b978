package proxy

import (
	"testing"
	"time"
)

// A busy reactor readies a goroutine for the poller only when a peer has
// been parked for starvedAfter with events waiting, and looks at most
// once per starveCheckEvery.
func TestABusyReactorKicksThePollerOnlyForAStarvedPeer(t *testing.T) {
	p := &Proxy{}
	a, err := newReactor(p)
	if err != nil {
		t.Fatal(err)
	}
	defer a.close()
	b, err := newReactor(p)
	if err != nil {
		t.Fatal(err)
	}
	defer b.close()
	a.peers = []*reactor{a, b}
	b.peers = a.peers
	kicks := 0
	defer func(k func()) { kickPoller = k }(kickPoller)
	kickPoller = func() { kicks++ }

	a.now = monotime()
	look := func(parkedFor time.Duration, want int, what string) {
		t.Helper()
		a.starveChecked = a.now - int64(starveCheckEvery) // due for a look
		if parkedFor < 0 {
			b.parkedAt.Store(0)
		} else {
			b.parkedAt.Store(a.now - int64(parkedFor))
		}
		a.watchPoller()
		if kicks != want {
			t.Fatalf("%s: %d kicks, want %d", what, kicks, want)
		}
	}
	look(2*starvedAfter, 0, "parked long, nothing waiting")
	b.wake() // b's epoll set is now readable
	look(starvedAfter/2, 0, "events waiting, parked only briefly")
	look(-1, 0, "events waiting, peer running")
	look(2*starvedAfter, 1, "events waiting, parked long")

	a.now += int64(starveCheckEvery) / 2
	a.watchPoller()
	if kicks != 1 {
		t.Fatalf("a second look within %v kicked again", starveCheckEvery)
	}
}
