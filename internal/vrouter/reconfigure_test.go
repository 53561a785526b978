package vrouter

import (
	"testing"
	"time"
)

// A reload changes a router in place: a Master with a new interval
// advertises it at once and keeps its state; a v2 Backup's down timer
// takes the new interval without restarting.
func TestReconfigureKeepsTheStateAndAppliesTheInterval(t *testing.T) {
	m := NewMachine(with(v2(150), func(c *Config) { c.InitialState = Master }))
	m.Start(t0)
	acts := m.Reconfigure(t0.Add(ms(300)), with(v2(150), func(c *Config) { c.AdvertInterval = 2 * time.Second }))
	if len(acts) != 1 || acts[0] != (SendAdvert{Priority: 150}) {
		t.Fatalf("master with a new interval: actions %v, want one advert at 150", acts)
	}
	if m.State() != Master {
		t.Fatalf("state %v after reconfigure, want MASTER", m.State())
	}
	if got, want := m.NextDeadline(), t0.Add(ms(300)+2*time.Second); !got.Equal(want) {
		t.Errorf("next advert at %v, want %v", got.Sub(t0), want.Sub(t0))
	}

	b := NewMachine(v2(100))
	b.Start(t0)
	if acts := b.Reconfigure(t0.Add(ms(500)), with(v2(100), func(c *Config) { c.AdvertInterval = 2 * time.Second })); len(acts) != 0 {
		t.Fatalf("backup reconfigure: actions %v, want none", acts)
	}
	// 3 × 2 s + 156/256 s from the timer's start at t0.
	if got, want := b.NextDeadline(), t0.Add(6*time.Second+v2Prio100Skew); !got.Equal(want) {
		t.Errorf("backup down deadline %v, want %v", got.Sub(t0), want.Sub(t0))
	}
	if b.State() != Backup {
		t.Errorf("state %v, want BACKUP", b.State())
	}
}

func TestReconfigureKeepsVRIDAndVersion(t *testing.T) {
	m := NewMachine(v3(100, ms(100)))
	m.Start(t0)
	m.Reconfigure(t0, with(v2(120), func(c *Config) { c.VRID = 9 }))
	if m.cfg.VRID != 51 || m.cfg.Version != 3 {
		t.Errorf("VRID %d version %d, want 51 and 3 unchanged", m.cfg.VRID, m.cfg.Version)
	}
}
