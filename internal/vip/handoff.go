package vip

import (
	"bytes"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// Handoff moves TCP flows between two masters without cutting them, with
// the kernel's own tools (nftables), in the manner of LVS direct routing.
//
//   - The old master Hides its VIPs: it keeps them as local addresses, so
//     packets that still reach it are served by the sockets it has, but it
//     stops answering ARP for them (an nftables arp-family rule drops ARP
//     requests for the VIPs) and stops using them as the sender of its own
//     ARP requests (arp_announce=2 on the interface), so no client learns
//     its MAC for a VIP again.
//   - The new master Forwards: a TCP packet for a VIP that is not a SYN
//     and that conntrack sees for the first time (ct state new: a flow
//     this node did not accept) puts its flow in a set, and every packet
//     of a flow in the set is duplicated to the old master's address on
//     the same link (nftables dup: the IP header is unchanged, the frame
//     goes to the old master's MAC) and dropped here, instead of being
//     answered with a RST. The node's own flows began with a SYN here and
//     are never in the set. Conntrack's entries of ended flows to the
//     VIPs are removed first (see forgetEndedFlows).
//
// IPv4 only: IPv6 VIPs are released as before. Needs the nft binary; its
// absence is an error the caller logs once.
type Handoff struct {
	mu       sync.Mutex
	announce map[string]string // iface → arp_announce value before Hide
	hidden   map[string]int    // iface → hidden tables using it
}

// setTimeout outlives any forwarding: the caller removes the table when
// its window ends.
const setTimeout = 30 * time.Minute

func nftSeconds(d time.Duration) string { return fmt.Sprintf("%ds", int(d.Seconds())) }

// Hide stops answering ARP for vips on iface; key names the instance.
func (h *Handoff) Hide(key, iface string, vips []netip.Addr) error {
	v4 := ipv4Only(vips)
	if len(v4) == 0 {
		return nil
	}
	rules := fmt.Sprintf(`add table arp %[1]s
flush table arp %[1]s
add chain arp %[1]s in { type filter hook input priority 0; policy accept; }
add rule arp %[1]s in iifname %[2]q arp operation request arp daddr ip { %[3]s } drop
`, tableName("hide", key), iface, nftSet(v4))
	if err := nft(rules); err != nil {
		return err
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.announce == nil {
		h.announce, h.hidden = map[string]string{}, map[string]int{}
	}
	if h.hidden[iface] == 0 {
		p := arpAnnouncePath(iface)
		if old, err := os.ReadFile(p); err == nil {
			h.announce[iface] = strings.TrimSpace(string(old))
		}
		if err := os.WriteFile(p, []byte("2"), 0o644); err != nil {
			return fmt.Errorf("setting arp_announce on %s: %w", iface, err)
		}
	}
	h.hidden[iface]++
	return nil
}

// Unhide undoes Hide.
func (h *Handoff) Unhide(key, iface string, vips []netip.Addr) error {
	if len(ipv4Only(vips)) == 0 {
		return nil
	}
	err := deleteTable("arp", tableName("hide", key))
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.hidden[iface] > 0 {
		h.hidden[iface]--
		if h.hidden[iface] == 0 {
			if old, ok := h.announce[iface]; ok {
				os.WriteFile(arpAnnouncePath(iface), []byte(old), 0o644)
				delete(h.announce, iface)
			}
		}
	}
	return err
}

// Forward passes the packets of TCP flows to vips that arrive on iface and
// that this node did not accept on to the old master at to, sent out of
// out (the link to reaches: dup needs a route to it through that device). An invalid to only tracks:
// every flow accepted from now on is known, and a later Forward with the
// old master's address (one transaction, no gap) starts passing the rest.
func (h *Handoff) Forward(key, iface, out string, vips []netip.Addr, to netip.Addr) error {
	v4 := ipv4Only(vips)
	if len(v4) == 0 || to.IsValid() && !to.Is4() {
		return nil
	}
	dup := ""
	if to.IsValid() {
		dup = fmt.Sprintf("add rule ip %s pre iifname %q ip daddr { %s } ip saddr . tcp sport . ip daddr . tcp dport @theirs counter dup to %s device %q drop\n",
			tableName("fwd", key), iface, nftSet(v4), to, out)
	}
	// Priority -150: after conntrack (-200) has looked the packet up.
	// Conntrack only tells the first packet of a flow that began elsewhere
	// (a non-SYN it sees as new; or a FIN or RST it cannot place); the
	// set remembers those flows, because their later packets acknowledge
	// data this node never saw and conntrack calls them invalid.
	flow := "ip saddr . tcp sport . ip daddr . tcp dport"
	rules := fmt.Sprintf(`add table ip %[1]s
flush table ip %[1]s
add set ip %[1]s theirs { type ipv4_addr . inet_service . ipv4_addr . inet_service; flags dynamic,timeout; timeout %[5]s; size 262144; }
add chain ip %[1]s pre { type filter hook prerouting priority -150; policy accept; }
add rule ip %[1]s pre iifname %[2]q ip daddr { %[3]s } tcp flags & syn == 0 ct state new add @theirs { %[4]s }
add rule ip %[1]s pre iifname %[2]q ip daddr { %[3]s } tcp flags & (fin | rst) != 0 ct state invalid add @theirs { %[4]s }
`, tableName("fwd", key), iface, nftSet(v4), flow, nftSeconds(setTimeout)) + dup
	if err := nft(rules); err != nil {
		return err
	}
	if _, err := forgetEndedFlows(v4); err != nil {
		return &ConntrackError{err}
	}
	return nil
}

// ConntrackError is Forward's error when the table is in place but ended
// flows could not be removed from conntrack: forwarding works, except for a
// flow on a port whose earlier flow to this node conntrack still remembers.
type ConntrackError struct{ Err error }

func (e *ConntrackError) Error() string {
	return "forwarding is in place, but ended flows to the VIPs stay in conntrack: " + e.Err.Error()
}

func (e *ConntrackError) Unwrap() error { return e.Err }

// StopForward undoes Forward.
func (h *Handoff) StopForward(key string) error {
	return deleteTable("ip", tableName("fwd", key))
}

func ipv4Only(addrs []netip.Addr) []netip.Addr {
	var out []netip.Addr
	for _, a := range addrs {
		if a.Unmap().Is4() {
			out = append(out, a.Unmap())
		}
	}
	return out
}

func nftSet(addrs []netip.Addr) string {
	s := make([]string, len(addrs))
	for i, a := range addrs {
		s[i] = a.String()
	}
	return strings.Join(s, ", ")
}

// tableName makes an nftables identifier from the instance key.
func tableName(kind, key string) string {
	var b strings.Builder
	b.WriteString("halo_" + kind + "_")
	for _, r := range key {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
	}
	return b.String()
}

func arpAnnouncePath(iface string) string {
	return filepath.Join("/proc/sys/net/ipv4/conf", iface, "arp_announce")
}

// deleteTable removes a table whether or not it exists (Debian's nft 1.0.6
// has no "destroy").
func deleteTable(family, name string) error {
	return nft(fmt.Sprintf("add table %s %s\ndelete table %s %s\n", family, name, family, name))
}

func nft(script string) error {
	cmd := exec.Command("nft", "-f", "-")
	if os.Geteuid() != 0 {
		// After priv.Drop (haproxy.cfg's user/group) this process holds
		// NET_ADMIN but nft would start with no capability at all: pass
		// NET_ADMIN on as ambient (Drop left it inheritable for this).
		cmd.SysProcAttr = &syscall.SysProcAttr{AmbientCaps: []uintptr{unix.CAP_NET_ADMIN}}
	}
	cmd.Stdin = strings.NewReader(script)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("nft: %w: %s", err, strings.TrimSpace(out.String()))
	}
	return nil
}
