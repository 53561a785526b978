package vrrpd_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/halo-lb/halo/internal/vrrpd/vrrpdtest"
)

const staticConf = `static_ipaddress {
    192.0.2.50/24 dev eth0
}
static_routes {
    198.51.100.0/25 via 192.0.2.254 dev eth0
}
static_rules {
    from 192.0.2.0/24 table 100
}
`

const virtualPart = `    virtual_routes {
        198.51.100.128/25 via 192.0.2.254 dev eth0 table 100
    }
    virtual_rules {
        to 198.51.100.128/25 table 100
    }
`

func waitRouting(t *testing.T, n *node, want []string) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Second)
	for time.Now().Before(deadline) {
		if slices.Equal(n.vips.Routing(), want) {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("%s: routing %q, want %q", n.name, n.vips.Routing(), want)
}

func TestStaticRoutingForLifeVirtualRoutingWithMaster(t *testing.T) {
	bus := &vrrpdtest.Bus{}
	conf := staticConf + instanceConf("VI_1", 51, 150, virtualPart)
	a := newNode(t, bus, "a", "192.0.2.1", conf)
	b := newNode(t, bus, "b", "192.0.2.2", strings.Replace(conf, "priority 150", "priority 100", 1))
	static := []string{"route 198.51.100.0/25 via 192.0.2.254 dev eth0", "rule from 192.0.2.0/24 to all table 100"}
	virtual := []string{"route 198.51.100.128/25 via 192.0.2.254 dev eth0 table 100", "rule from all to 198.51.100.128/25 table 100"}
	all := slices.Sorted(slices.Values(append(slices.Clone(static), virtual...)))
	a.start()
	b.start()
	a.waitState("VI_1", "MASTER", 2*time.Second)
	b.waitState("VI_1", "BACKUP", time.Second)
	waitRouting(t, a, all)
	waitRouting(t, b, static) // the backup has the static set only
	if has, _ := b.vips.Has(vipAddr("192.0.2.50/24")); !has {
		t.Error("the static address is not on the backup")
	}

	bus.Cut(a.addr, true) // b takes over: the virtual set moves with it
	b.waitState("VI_1", "MASTER", 2*time.Second)
	waitRouting(t, b, all)

	// A reload that drops the virtual rule and a static route.
	next := strings.Replace(strings.Replace(conf, "priority 150", "priority 100", 1),
		"    virtual_rules {\n        to 198.51.100.128/25 table 100\n    }\n", "", 1)
	next = strings.Replace(next, "    198.51.100.0/25 via 192.0.2.254 dev eth0\n", "", 1)
	if _, err := b.router.Reload(parse(t, next)); err != nil {
		t.Fatal(err)
	}
	waitRouting(t, b, []string{virtual[0], static[1]})

	b.stop() // everything halo put there goes away
	waitRouting(t, b, nil)
	if has, _ := b.vips.Has(vipAddr("192.0.2.50/24")); has {
		t.Error("the static address stayed after the stop")
	}
}
