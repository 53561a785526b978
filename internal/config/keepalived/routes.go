package keepalived

import (
	"net/netip"
	"strconv"
	"strings"
)

// Route is one line of static_routes or virtual_routes, as keepalived
// writes them (ip route's syntax): `[src IP] [to] DEST [via|gw IP] [dev
// IFNAME] [scope S] [table T] [metric N]`, or `blackhole|unreachable|
// prohibit DEST ...`.
type Route struct {
	Dst    netip.Prefix
	Src    netip.Addr // preferred source; invalid = none
	Via    netip.Addr // gateway; invalid = none
	Dev    string
	Scope  string // "" = the kernel's default for the route
	Table  int    // 0 = main
	Metric int
	Type   string // "" (unicast), "blackhole", "unreachable", "prohibit"
	File   string
	Line   int
}

// Rule is one line of static_rules or virtual_rules (ip rule's syntax):
// `[from PREFIX|all] [to PREFIX|all] [iif IF] [oif IF] [priority N] table T`.
type Rule struct {
	From, To netip.Prefix // invalid = all
	Family   int          // 4 or 6
	Iif, Oif string
	Priority int // 0 = the kernel picks
	Table    int
	File     string
	Line     int
}

// tableNumber reads a routing table: a number or main, local, default.
func tableNumber(s string) (int, bool) {
	switch s {
	case "main":
		return 254, true
	case "local":
		return 255, true
	case "default":
		return 253, true
	}
	n, err := strconv.Atoi(s)
	return n, err == nil && n > 0 && n < 1<<31
}

// routeOptionsWithValue are the route words followed by a value.
var routeOptionsWithValue = map[string]bool{"src": true, "to": true, "via": true, "gw": true, "dev": true,
	"scope": true, "table": true, "metric": true, "preference": true}

// routeOptionsIgnored are ip route options halo accepts and does not set.
var routeOptionsIgnored = map[string]bool{"onlink": true, "no_track": true}

func parsePrefix(s string) (netip.Prefix, bool) {
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		return p.Masked(), err == nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, false
	}
	return netip.PrefixFrom(a, a.BitLen()), true
}

// lineOf returns the words of a route or rule line and a reporter of
// errors that quotes the line.
func lineOf(c checker, n *node, what string) ([]string, func(format string, args ...any)) {
	words := make([]string, len(n.args))
	for i, a := range n.args {
		words[i] = a.text
	}
	line := strings.Join(words, " ")
	return words, func(format string, args ...any) {
		c.errf(n, what+" %q: "+format, append([]any{line}, args...)...)
	}
}

func parseRoute(c checker, n *node) (Route, bool) {
	if !c.notBlock(n) {
		return Route{}, false
	}
	r := Route{File: n.file, Line: n.line}
	words, report := lineOf(c, n, "route")
	bad := func(format string, args ...any) (Route, bool) { report(format, args...); return Route{}, false }
	line := strings.Join(words, " ")
	for i := 0; i < len(words); i++ {
		w := words[i]
		if routeOptionsIgnored[w] {
			c.warnf(n, "route %q: %q is ignored", line, w)
			continue
		}
		if w == "blackhole" || w == "unreachable" || w == "prohibit" {
			r.Type = w
			continue
		}
		if !routeOptionsWithValue[w] {
			if r.Dst.IsValid() {
				return bad("unknown option %q (src, via, dev, scope, table, metric, blackhole, unreachable, prohibit are supported)", w)
			}
			p, ok := parsePrefix(w)
			if !ok {
				return bad("%q is not a destination PREFIX", w)
			}
			r.Dst = p
			continue
		}
		if i+1 >= len(words) {
			return bad("%q needs a value", w)
		}
		i++
		v := words[i]
		switch w {
		case "to":
			p, ok := parsePrefix(v)
			if !ok {
				return bad("%q is not a destination PREFIX", v)
			}
			r.Dst = p
		case "src", "via", "gw":
			a, err := netip.ParseAddr(v)
			if err != nil {
				return bad("%s %q is not an IP address", w, v)
			}
			if w == "src" {
				r.Src = a
			} else {
				r.Via = a
			}
		case "dev":
			r.Dev = v
		case "scope":
			if num, err := strconv.Atoi(v); !vipScopes[v] && (err != nil || num < 0 || num > 255) {
				return bad("scope %q is not global, site, link, host, nowhere or 0..255", v)
			}
			r.Scope = v
		case "table":
			t, ok := tableNumber(v)
			if !ok {
				return bad("table %q is not a number, main, local or default", v)
			}
			r.Table = t
		case "metric", "preference":
			m, err := strconv.Atoi(v)
			if err != nil || m < 0 {
				return bad("%s %q is not a number", w, v)
			}
			r.Metric = m
		}
	}
	if !r.Dst.IsValid() {
		return bad("no destination")
	}
	if r.Type == "" && r.Dev == "" && !r.Via.IsValid() {
		return bad("needs dev or via")
	}
	for _, a := range []netip.Addr{r.Src, r.Via} {
		if a.IsValid() && a.Is4() != r.Dst.Addr().Is4() {
			return bad("mixes IPv4 and IPv6")
		}
	}
	return r, true
}

func parseRule(c checker, n *node) (Rule, bool) {
	if !c.notBlock(n) {
		return Rule{}, false
	}
	r := Rule{File: n.file, Line: n.line}
	words, report := lineOf(c, n, "rule")
	bad := func(format string, args ...any) (Rule, bool) { report(format, args...); return Rule{}, false }
	for i := 0; i < len(words); i++ {
		w := words[i]
		if w == "no_track" {
			continue
		}
		if i+1 >= len(words) {
			return bad("%q needs a value", w)
		}
		i++
		v := words[i]
		switch w {
		case "from", "to":
			var p netip.Prefix
			if v != "all" {
				var ok bool
				if p, ok = parsePrefix(v); !ok {
					return bad("%s %q is not a PREFIX or all", w, v)
				}
				fam := 6
				if p.Addr().Is4() {
					fam = 4
				}
				if r.Family != 0 && r.Family != fam {
					return bad("mixes IPv4 and IPv6")
				}
				r.Family = fam
			}
			if w == "from" {
				r.From = p
			} else {
				r.To = p
			}
		case "table", "lookup":
			t, ok := tableNumber(v)
			if !ok {
				return bad("table %q is not a number, main, local or default", v)
			}
			r.Table = t
		case "priority", "preference", "pref":
			p, err := strconv.Atoi(v)
			if err != nil || p < 0 {
				return bad("%s %q is not a number", w, v)
			}
			r.Priority = p
		case "iif", "oif":
			if w == "iif" {
				r.Iif = v
			} else {
				r.Oif = v
			}
		default:
			return bad("unknown option %q (from, to, iif, oif, priority, table are supported)", w)
		}
	}
	if r.Table == 0 {
		return bad("needs a table")
	}
	if r.Family == 0 {
		r.Family = 4
	}
	return r, true
}

// parseBlock reads a block of one-line entries with parse, keeping those
// that are valid (each bad line has its error already).
func parseBlock[T any](c checker, b *node, parse func(checker, *node) (T, bool)) []T {
	if !c.mustBlock(b) {
		return nil
	}
	var out []T
	for _, n := range b.children {
		if v, ok := parse(c, n); ok {
			out = append(out, v)
		}
	}
	return out
}

func parseRoutes(c checker, b *node) []Route { return parseBlock(c, b, parseRoute) }

func parseRules(c checker, b *node) []Rule { return parseBlock(c, b, parseRule) }

func parseStaticAddresses(c checker, b *node) []VIP { return parseBlock(c, b, parseStaticAddress) }

// parseStaticAddress is a virtual_ipaddress line that must name its dev.
func parseStaticAddress(c checker, n *node) (VIP, bool) {
	v, ok := parseVIP(c, n)
	if ok && v.Dev == "" {
		c.errf(n, "static_ipaddress %s: needs dev IFNAME", v.Prefix)
		return VIP{}, false
	}
	return v, ok
}
