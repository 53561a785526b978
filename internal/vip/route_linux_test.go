package vip_test

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/halo-lb/halo/internal/vip"
)

func TestManagerAddsAndDeletesRoutesAndRules(t *testing.T) {
	hosts := newLab(t, "halotest-viproute", "lb1")
	lb1 := hosts[0]
	m := vip.NewManager(nil)
	routes := []vip.Route{
		{Dst: netip.MustParsePrefix("198.51.100.0/24"), Via: netip.MustParseAddr("192.0.2.1"), Dev: "eth0", Metric: 10},
		{Dst: netip.MustParsePrefix("198.51.100.128/25"), Via: netip.MustParseAddr("192.0.2.1"), Table: 100},
		{Dst: netip.MustParsePrefix("198.51.100.64/26"), Type: "blackhole"},
		{Dst: netip.MustParsePrefix("2001:db8:1::/48"), Via: netip.MustParseAddr("2001:db8::1"), Dev: "eth0"},
	}
	rule := vip.Rule{From: netip.MustParsePrefix("192.0.2.0/24"), Family: 4, Table: 100, Priority: 1000}
	show := func(args ...string) string {
		out, err := lb1.Command(t.Context(), "ip", args...).CombinedOutput()
		if err != nil {
			t.Fatalf("ip %v: %v: %s", args, err, out)
		}
		return string(out)
	}
	if err := lb1.Do(func() error {
		for _, r := range routes {
			if err := m.AddRoute(r); err != nil {
				return err
			}
			if err := m.AddRoute(r); err != nil { // twice is harmless
				return err
			}
		}
		return m.AddRule(rule)
	}); err != nil {
		t.Fatal(err)
	}
	main4, t100, main6, rules := show("-4", "route"), show("-4", "route", "show", "table", "100"), show("-6", "route"), show("-4", "rule")
	for _, want := range []struct{ where, text string }{
		{main4, "198.51.100.0/24 via 192.0.2.1 dev eth0 metric 10"},
		{main4, "blackhole 198.51.100.64/26"},
		{t100, "198.51.100.128/25 via 192.0.2.1 dev eth0"},
		{main6, "2001:db8:1::/48 via 2001:db8::1 dev eth0"},
		{rules, "1000:\tfrom 192.0.2.0/24 lookup 100"},
	} {
		if !strings.Contains(want.where, want.text) {
			t.Errorf("missing %q in:\n%s", want.text, want.where)
		}
	}
	if err := lb1.Do(func() error {
		for _, r := range routes {
			if err := m.DeleteRoute(r); err != nil {
				return err
			}
			if err := m.DeleteRoute(r); err != nil { // already gone is fine
				return err
			}
		}
		if err := m.DeleteRule(rule); err != nil {
			return err
		}
		return m.DeleteRule(rule)
	}); err != nil {
		t.Fatal(err)
	}
	if out := show("-4", "route") + show("-4", "route", "show", "table", "100") + show("-6", "route") + show("-4", "rule"); strings.Contains(out, "198.51.100") || strings.Contains(out, "2001:db8:1::") || strings.Contains(out, "lookup 100") {
		t.Errorf("left after delete:\n%s", out)
	}
}
