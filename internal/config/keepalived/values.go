package keepalived

import (
	"fmt"
	"math"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/halo-lb/halo/internal/config/diag"
)

// notApplicable lists, in one place, the keywords found in keepalived.conf
// files in the wild that halo accepts with a warning because they mean
// nothing to it. The value says why. Keywords that halo honours
// (mcast_src_ip, vrrp_garp_interval, ...) are parsed, not listed here.
var notApplicable = map[string]map[string]string{
	"global_defs": {
		"notification_email":       "halo sends no e-mail; use notify scripts or the metrics",
		"notification_email_from":  "halo sends no e-mail",
		"smtp_server":              "halo sends no e-mail",
		"smtp_connect_timeout":     "halo sends no e-mail",
		"smtp_helo_name":           "halo sends no e-mail",
		"lvs_id":                   "halo has no LVS part; services live in the haproxy config",
		"vrrp_skip_check_adv_addr": "halo's advert checks are fixed",
		"vrrp_strict":              "halo follows RFC 3768/5798 without it",
		"vrrp_check_unicast_src":   "halo's advert checks are fixed",
		"enable_traps":             "halo has no SNMP; use the metrics",
		"max_auto_priority":        "halo does not change its scheduling priority",
	},
	"vrrp_instance": {
		"smtp_alert":                "halo sends no e-mail; use notify scripts or the metrics",
		"dont_track_primary":        "halo always tracks the instance's interface",
		"lvs_sync_daemon_interface": "halo has no LVS part",
		"native_ipv6":               "the address family comes from the VIPs",
	},
	"vrrp_sync_group": {
		"smtp_alert": "halo sends no e-mail; use notify scripts or the metrics",
	},
}

// lvsKeywords are the LVS blocks: an error, since silently dropping them
// would leave a service unbalanced.
var lvsKeywords = map[string]bool{"virtual_server": true, "virtual_server_group": true, "real_server": true}

// scope names accepted for a VIP's scope.
var vipScopes = map[string]bool{"global": true, "site": true, "link": true, "host": true, "nowhere": true}

// checker reports diagnostics about statements of one section, prefixing
// each message with the section ("vrrp_instance VI_1: ").
type checker struct {
	d      *diag.List
	prefix string
}

func (c checker) errf(n *node, format string, args ...any) {
	c.d.Errorf(n.file, n.line, "%s%s", c.prefix, fmt.Sprintf(format, args...))
}

func (c checker) warnf(n *node, format string, args ...any) {
	c.d.Warnf(n.file, n.line, "%s%s", c.prefix, fmt.Sprintf(format, args...))
}

// notBlock reports an error and returns false when n opened a block.
func (c checker) notBlock(n *node) bool {
	if n.block {
		c.errf(n, "%s takes no { } block", n.key())
		return false
	}
	return true
}

// mustBlock reports an error and returns false when n did not open a block.
func (c checker) mustBlock(n *node) bool {
	if !n.block {
		c.errf(n, "%s needs a { } block", n.key())
		return false
	}
	return true
}

// args checks that n is a plain statement with between lo and hi arguments.
func (c checker) args(n *node, lo, hi int, usage string) bool {
	if !c.notBlock(n) {
		return false
	}
	if k := len(n.args) - 1; k < lo || k > hi {
		c.errf(n, "usage: %s %s", n.key(), usage)
		return false
	}
	return true
}

// intArg parses the single argument of n as an integer in lo..hi.
func (c checker) intArg(n *node, lo, hi int) (int, bool) {
	if !c.args(n, 1, 1, fmt.Sprintf("<%d..%d>", lo, hi)) {
		return 0, false
	}
	return c.intValue(n, n.args[1].text, lo, hi)
}

func (c checker) intValue(n *node, s string, lo, hi int) (int, bool) {
	v, err := strconv.Atoi(s)
	if err != nil || v < lo || v > hi {
		c.errf(n, "%s: %q is not an integer in %d..%d", n.key(), s, lo, hi)
		return 0, false
	}
	return v, true
}

// timerArg parses the single argument of n as seconds, fractions allowed,
// within lo..hi, to the microsecond.
func (c checker) timerArg(n *node, lo, hi time.Duration) (time.Duration, bool) {
	if !c.args(n, 1, 1, "<SECONDS>") {
		return 0, false
	}
	v, ok := parseSeconds(n.args[1].text)
	if !ok || v < lo || v > hi {
		low := "from " + seconds(lo)
		if lo > 0 {
			low = "above 0s"
		}
		c.errf(n, "%s: %q is not a number of seconds %s up to %s", n.key(), n.args[1].text, low, seconds(hi))
		return 0, false
	}
	return v, true
}

// parseSeconds reads "3" or "2.71828" as a duration, to the microsecond.
func parseSeconds(s string) (time.Duration, bool) {
	if s == "" || strings.ContainsAny(s, "eEpPxX_") { // no exponents, hex or digit separators
		return 0, false
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(f) || f < 0 || f > 1e9 {
		return 0, false
	}
	return time.Duration(math.Round(f*1e6)) * time.Microsecond, true
}

// seconds prints a duration the way keepalived.conf writes it.
func seconds(d time.Duration) string {
	return strconv.FormatFloat(d.Seconds(), 'f', -1, 64) + "s"
}

// boolArg reads an optional <BOOL> (on|off|true|false|yes|no); the keyword
// alone means true.
func (c checker) boolArg(n *node) (bool, bool) {
	if !c.args(n, 0, 1, "[on|off|true|false|yes|no]") {
		return false, false
	}
	if len(n.args) == 1 {
		return true, true
	}
	switch strings.ToLower(n.args[1].text) {
	case "on", "true", "yes":
		return true, true
	case "off", "false", "no":
		return false, true
	}
	c.errf(n, "%s: %q is not one of on, off, true, false, yes, no", n.key(), n.args[1].text)
	return false, false
}

// addrArg parses the single argument of n as an IP address.
func (c checker) addrArg(n *node) (netip.Addr, bool) {
	if !c.args(n, 1, 1, "<IP address>") {
		return netip.Addr{}, false
	}
	return c.addrValue(n, n.args[1].text)
}

func (c checker) addrValue(n *node, s string) (netip.Addr, bool) {
	a, err := netip.ParseAddr(s)
	if err != nil || a.Zone() != "" {
		c.errf(n, "%s: %q is not an IP address", n.key(), s)
		return netip.Addr{}, false
	}
	return a.Unmap(), true
}

// notApplicableKeyword warns about a keyword on the notApplicable list for
// section and reports whether it was one.
func (c checker) notApplicableKeyword(section string, n *node) bool {
	why, ok := notApplicable[section][n.key()]
	if ok {
		c.warnf(n, "%s accepted, not applicable: %s", n.key(), why)
	}
	return ok
}

// unknown reports a keyword that section does not know.
func (c checker) unknown(section string, n *node) {
	if n.key() == "{" { // already reported by the lexer
		return
	}
	if lvsKeywords[n.key()] {
		c.errf(n, "%s: LVS services are not supported; this service belongs in the haproxy config (a frontend and a backend), halo would leave it unbalanced", n.key())
		return
	}
	c.errf(n, "unknown keyword %q in %s", n.key(), section)
}

// command reads the command of script/notify lines: one quoted string, or
// the bare words as written.
func (c checker) command(n *node) (string, bool) {
	if !c.notBlock(n) {
		return "", false
	}
	if len(n.args) < 2 || n.rest() == "" {
		c.errf(n, "usage: %s <COMMAND> (quote it when it has arguments)", n.key())
		return "", false
	}
	if n.args[1].quoted && len(n.args) > 2 {
		c.warnf(n, "%s: %q after the quoted command accepted, not applicable: scripts run as script_user", n.key(), strings.Join(n.words()[1:], " "))
		return n.args[1].text, true
	}
	return n.rest(), true
}
