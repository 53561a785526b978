package netlab

import (
	"bytes"
	"fmt"
	"os/exec"
	"strings"
)

// vrrpBlockTable is the nftables table BlockVRRP owns in the switch
// namespace.
const vrrpBlockTable = "halolab_vrrp"

// BlockVRRP replaces the lab's VRRP partition: for every pair {from, to},
// VRRP packets (IP protocol 112, IPv4 and IPv6) from `from` no longer reach
// `to`; everything else (ARP, NDP, TCP) and every other pair passes. The
// rules live on the bridge, in one nftables transaction, so lifting both
// directions of a pair is atomic and a third host (a client) still sees
// every advert. No pairs lifts the partition.
func (l *Lab) BlockVRRP(pairs ...[2]*Host) error {
	if _, err := exec.LookPath("nft"); err != nil {
		return ErrNoNft
	}
	l.mu.Lock()
	sw, closed := l.swName, l.closed
	l.mu.Unlock()
	if closed {
		return fmt.Errorf("lab closed")
	}
	var rules strings.Builder
	// "add" then "delete" empties the table whether or not it existed.
	fmt.Fprintf(&rules, "add table bridge %s\ndelete table bridge %s\n", vrrpBlockTable, vrrpBlockTable)
	if len(pairs) > 0 {
		fmt.Fprintf(&rules, "table bridge %s {\n\tchain forward {\n\t\ttype filter hook forward priority -300; policy accept;\n", vrrpBlockTable)
		for _, p := range pairs {
			if p[0] == nil || p[1] == nil || p[0].lab != l || p[1].lab != l {
				return fmt.Errorf("BlockVRRP: a host not of this lab")
			}
			for _, m := range []string{"ip protocol 112", "ip6 nexthdr 112"} {
				fmt.Fprintf(&rules, "\t\tiifname %q oifname %q %s drop\n", p[0].peer, p[1].peer, m)
			}
		}
		rules.WriteString("\t}\n}\n")
	}
	cmd := exec.Command("ip", "netns", "exec", sw, "nft", "-f", "-")
	cmd.Stdin = strings.NewReader(rules.String())
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("switch: nft: %w: %s", err, bytes.TrimSpace(out))
	}
	return nil
}
