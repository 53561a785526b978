package drill

import (
	"fmt"
	"net/netip"
	"strings"
	"time"
)

// Pair describes the keepalived.conf both nodes run, differing only in
// state and priority as in the seed article.
type Pair struct {
	Version    int           // 2 or 3
	Advert     time.Duration // advert_int
	AuthPass   string        // PASS authentication (v2 only); "" = none
	Priority   [2]uint8      // lb1, lb2; default 100, 98 as in the seed
	NoPreempt  bool          // both nodes start BACKUP with nopreempt
	Unicast    bool          // unicast_peer instead of multicast
	VIPs       []netip.Addr  // default VIP4
	VRID       uint8         // default 51, the seed's
	Instance   string        // extra lines inside vrrp_instance, both nodes
	Global     string        // extra lines inside global_defs
	TopLevel   string        // extra blocks (vrrp_script ...)
	TopLevelOf [2]string     // extra blocks per node
	InstanceOf [2]string     // extra instance lines per node
}

func (p Pair) withDefaults() Pair {
	if p.Version == 0 {
		p.Version = 2
	}
	if p.Advert == 0 {
		p.Advert = time.Second
	}
	if p.Priority == [2]uint8{} {
		p.Priority = [2]uint8{100, 98}
	}
	if len(p.VIPs) == 0 {
		p.VIPs = []netip.Addr{VIP4}
	}
	if p.VRID == 0 {
		p.VRID = 51
	}
	return p
}

// Keepalived renders the keepalived.conf of node 0 (lb1) or 1 (lb2).
func (p Pair) Keepalived(node int) string {
	p = p.withDefaults()
	var b strings.Builder
	fmt.Fprintf(&b, "global_defs {\n  router_id lb%d\n  vrrp_version %d\n%s}\n\n", node+1, p.Version, p.Global)
	b.WriteString(p.TopLevel)
	b.WriteString(p.TopLevelOf[node])
	state := "MASTER"
	if node == 1 || p.NoPreempt {
		state = "BACKUP"
	}
	fmt.Fprintf(&b, "vrrp_instance OCP_EXT {\n  interface eth0\n  state %s\n  virtual_router_id %d\n  priority %d\n", state, p.VRID, p.Priority[node])
	fmt.Fprintf(&b, "  advert_int %s\n", strings.TrimSuffix(strings.TrimRight(fmt.Sprintf("%.2f", p.Advert.Seconds()), "0"), "."))
	if p.NoPreempt {
		b.WriteString("  nopreempt\n")
	}
	if p.AuthPass != "" {
		fmt.Fprintf(&b, "  authentication {\n    auth_type PASS\n    auth_pass %s\n  }\n", p.AuthPass)
	}
	if p.Unicast {
		self, other := []string{"192.0.2.11", "192.0.2.12"}[node], []string{"192.0.2.12", "192.0.2.11"}[node]
		if p.VIPs[0].Is6() {
			self, other = []string{"2001:db8::11", "2001:db8::12"}[node], []string{"2001:db8::12", "2001:db8::11"}[node]
		}
		fmt.Fprintf(&b, "  unicast_src_ip %s\n  unicast_peer {\n    %s\n  }\n", self, other)
	}
	b.WriteString("  virtual_ipaddress {\n")
	for _, v := range p.VIPs {
		bits := 32
		if v.Is6() {
			bits = 128
		}
		fmt.Fprintf(&b, "    %s/%d dev eth0\n", v, bits)
	}
	b.WriteString("  }\n")
	b.WriteString(p.Instance)
	b.WriteString(p.InstanceOf[node])
	b.WriteString("}\n")
	return b.String()
}

// HAProxy renders the nodes' haproxy.cfg: the seed's shape (a TCP frontend,
// a `balance source` backend with checked servers) pointed at web1 and web2.
func HAProxy(frontPort, webPort int) string {
	return fmt.Sprintf(`global
    maxconn 4000

defaults
    mode tcp
    timeout connect 2s
    timeout client 30s
    timeout server 30s

frontend main
    bind :::%d v4v6
    default_backend web

backend web
    balance source
    server web1 192.0.2.21:%d check inter 200ms fall 2 rise 2
    server web2 192.0.2.22:%d check inter 200ms fall 2 rise 2
`, frontPort, webPort, webPort)
}

// VIPs0 is the pair's first VIP (VIP4 unless VIPs says otherwise).
func (p Pair) VIPs0() netip.Addr { return p.withDefaults().VIPs[0] }

// EchoFrontend is the haproxy.cfg sections a long-lived-connection test
// adds to HAProxy's: a frontend on frontPort relaying to echo servers on
// web1 and web2.
func EchoFrontend(frontPort, echoPort int) string {
	return fmt.Sprintf(`
frontend echo
    bind :::%d v4v6
    timeout client 5m
    default_backend echo

backend echo
    balance roundrobin
    timeout server 5m
    server web1 192.0.2.21:%d check inter 200ms
    server web2 192.0.2.22:%d check inter 200ms
`, frontPort, echoPort, echoPort)
}
