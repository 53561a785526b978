package keepalived

import (
	"net/netip"
	"strings"
	"testing"
)

func TestStaticAndVirtualRoutesRulesAndAddresses(t *testing.T) {
	text := `static_ipaddress {
    192.0.2.50/24 dev eth1 scope link
}
static_routes {
    198.51.100.0/24 via 192.0.2.1 dev eth1 metric 10
    src 192.0.2.50 to 198.51.100.128/25 via 192.0.2.1 table 100
    blackhole 198.51.100.64/26
}
static_rules {
    from 192.0.2.0/24 table 100 priority 1000
}
` + okInstance + ` virtual_routes {
  2001:db8:1::/48 via 2001:db8::1 dev eth0
  198.51.100.200 dev eth0 scope link
 }
 virtual_rules {
  to 198.51.100.0/24 lookup main
 }
}
`
	cfg, d := Parse("k.conf", []byte(text))
	if d.HasErrors() || len(d) != 0 {
		t.Fatalf("diagnostics: %v", d)
	}
	if len(cfg.StaticAddresses) != 1 || cfg.StaticAddresses[0].Dev != "eth1" || cfg.StaticAddresses[0].Scope != "link" {
		t.Errorf("static addresses %+v", cfg.StaticAddresses)
	}
	r := cfg.StaticRoutes
	if len(r) != 3 || r[0].Via != netip.MustParseAddr("192.0.2.1") || r[0].Metric != 10 || r[1].Table != 100 ||
		r[1].Src != netip.MustParseAddr("192.0.2.50") || r[1].Dst != netip.MustParsePrefix("198.51.100.128/25") || r[2].Type != "blackhole" {
		t.Errorf("static routes %+v", r)
	}
	if len(cfg.StaticRules) != 1 || cfg.StaticRules[0].Table != 100 || cfg.StaticRules[0].Priority != 1000 || cfg.StaticRules[0].From != netip.MustParsePrefix("192.0.2.0/24") {
		t.Errorf("static rules %+v", cfg.StaticRules)
	}
	in := cfg.Instances[0]
	if len(in.VirtualRoutes) != 2 || in.VirtualRoutes[1].Dst != netip.MustParsePrefix("198.51.100.200/32") || len(in.VirtualRules) != 1 || in.VirtualRules[0].Table != 254 {
		t.Errorf("virtual routes %+v rules %+v", in.VirtualRoutes, in.VirtualRules)
	}
}

func TestRouteAndRuleErrorsNameTheLine(t *testing.T) {
	for _, c := range []struct{ text, want string }{
		{"static_routes {\n 198.51.100.0/24\n}\n", `k.conf:2: error: static_routes: route "198.51.100.0/24": needs dev or via`},
		{"static_routes {\n 198.51.100.0/24 via 2001:db8::1\n}\n", `mixes IPv4 and IPv6`},
		{"static_routes {\n 198.51.100.0/24 dev eth0 mtu 1400\n}\n", `k.conf:2: error: static_routes: route "198.51.100.0/24 dev eth0 mtu 1400": unknown option "mtu"`},
		{"static_rules {\n from 192.0.2.0/24\n}\n", `k.conf:2: error: static_rules: rule "from 192.0.2.0/24": needs a table`},
		{"static_ipaddress {\n 192.0.2.5/24\n}\n", `k.conf:2: error: static_ipaddress: static_ipaddress 192.0.2.5/24: needs dev IFNAME`},
	} {
		_, d := Parse("k.conf", []byte(c.text))
		if !strings.Contains(d.Error(), c.want) {
			t.Errorf("%q: %v, want %q", c.text, d, c.want)
		}
	}
}
