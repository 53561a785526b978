package netlab

import (
	"bytes"
	"errors"
	"fmt"
	"os/exec"
	"strings"
)

// ErrNoNft is returned by Drop when the nft(8) program is not installed;
// tests skip on it.
var ErrNoNft = errors.New("nft is not installed")

// dropTable is the nftables table Drop owns in a host's namespace.
const dropTable = "halolab_drop"

// Drop makes h lose percent of its IP packets in each direction (input and
// output, chosen independently at random by nftables' numgen), replacing
// any earlier Drop. Zero removes the loss. NDP (ICMPv6) is dropped like
// any IP packet; ARP is not IP and passes untouched.
func (l *Lab) Drop(h *Host, percent int) error {
	if percent < 0 || percent > 100 {
		return fmt.Errorf("host %q: drop percent %d out of range 0..100", h.Name, percent)
	}
	if _, err := exec.LookPath("nft"); err != nil {
		return ErrNoNft
	}
	if err := h.usable(); err != nil {
		return err
	}
	var rules strings.Builder
	// "add" then "delete" makes the delete succeed whether or not the
	// table existed, in one atomic transaction.
	fmt.Fprintf(&rules, "add table inet %s\ndelete table inet %s\n", dropTable, dropTable)
	if percent > 0 {
		match := fmt.Sprintf("numgen random mod 100 < %d ", percent)
		if percent == 100 {
			match = "" // nft rejects "< 100" as out of the 0-99 range
		}
		fmt.Fprintf(&rules, "table inet %s {\n", dropTable)
		for _, hook := range []string{"input", "output"} {
			fmt.Fprintf(&rules, "\tchain %s {\n\t\ttype filter hook %s priority -300; policy accept;\n"+
				"\t\t%sdrop\n\t}\n", hook, hook, match)
		}
		rules.WriteString("}\n")
	}
	cmd := exec.Command("ip", "netns", "exec", h.Namespace, "nft", "-f", "-")
	cmd.Stdin = strings.NewReader(rules.String())
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("host %q: nft: %w: %s", h.Name, err, bytes.TrimSpace(out))
	}
	return nil
}
