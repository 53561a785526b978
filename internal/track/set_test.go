package track

import (
	"testing"

	"github.com/halo-lb/halo/internal/config/keepalived"
)

func TestSetCombinesKeepalivedWeightRules(t *testing.T) {
	var s Set
	s.Add(Key{KindScript, "chk_plus"}, keepalived.Track{Name: "chk_plus", Weight: 2}, true)
	s.Add(Key{KindScript, "chk_minus"}, keepalived.Track{Name: "chk_minus", Weight: -10}, true)
	s.Add(Key{KindInterface, "eth0"}, keepalived.Track{Name: "eth0"}, true)
	s.Add(Key{KindBackend, "web"}, keepalived.Track{Name: "web"}, true)

	if got := s.Result(); got.Delta != 2 || got.Fault != "" {
		t.Fatalf("all up: got %+v, want delta 2 and no fault", got)
	}
	if !s.Update(Key{KindScript, "chk_minus"}, false) {
		t.Fatal("a changed verdict should be reported as a change")
	}
	if s.Update(Key{KindScript, "chk_minus"}, false) {
		t.Fatal("the same verdict twice is no change")
	}
	if got := s.Result(); got.Delta != -8 {
		t.Errorf("negative weight while down: delta %d, want -8", got.Delta)
	}
	s.Update(Key{KindInterface, "eth0"}, false)
	s.Update(Key{KindBackend, "web"}, false)
	if got := s.Result(); got.Fault != "backend web is down" {
		t.Errorf("two weight-0 objects down: fault %q, want the first in key order, backend web", got.Fault)
	}
	if s.Update(Key{KindScript, "absent"}, true) {
		t.Error("an untracked key changed nothing")
	}
}

func TestSetKeepsTheFirstRuleForAKey(t *testing.T) {
	var s Set
	s.Add(Key{KindInterface, "eth0"}, keepalived.Track{Name: "eth0"}, true)
	s.Add(Key{KindInterface, "eth0"}, keepalived.Track{Name: "eth0", Weight: 50}, true)
	if e := s.Entries(); len(e) != 1 || e[0].Rule.Weight != 0 {
		t.Fatalf("entries %+v: want one, weight 0 (the instance's own interface)", e)
	}
}
