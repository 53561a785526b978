package vrouter

import (
	"testing"
	"time"
)

func TestFakeClock(t *testing.T) {
	c := NewFakeClock(t0)
	early, late := c.NewTimer(time.Second), c.NewTimer(3*time.Second)
	c.Advance(999 * time.Millisecond)
	select {
	case <-early.C():
		t.Fatal("timer fired before its deadline")
	default:
	}
	c.Advance(time.Millisecond)
	if got := <-early.C(); !got.Equal(t0.Add(time.Second)) {
		t.Errorf("timer fired at %v, want t0+1s", got)
	}
	if !late.Stop() || late.Stop() {
		t.Error("Stop should report true once, then false")
	}
	late.Reset(time.Second)
	c.Advance(5 * time.Second)
	if got := <-late.C(); !got.Equal(t0.Add(2 * time.Second)) {
		t.Errorf("reset timer fired at %v, want t0+2s", got)
	}
	if got := c.Now(); !got.Equal(t0.Add(6 * time.Second)) {
		t.Errorf("Now = %v, want t0+6s", got)
	}
	if c.Armed() != 0 {
		t.Errorf("Armed = %d, want 0", c.Armed())
	}
	now := c.NewTimer(0)
	select {
	case <-now.C():
	default:
		t.Error("a zero-duration timer did not fire at once")
	}
}
