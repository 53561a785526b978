package haproxy

import (
	"net"
	"net/netip"
	"strconv"
	"strings"
)

// tlsBindOptions are the bind options of TLS termination, with whether
// they take a value. halo is layer 4: it cannot terminate TLS.
var tlsBindOptions = map[string]bool{
	"ssl": false, "crt": true, "crt-list": true, "ca-file": true, "alpn": true, "npn": true,
	"ciphers": true, "ciphersuites": true, "ssl-min-ver": true, "ssl-max-ver": true,
	"verify": true, "crl-file": true, "curves": true, "ecdhe": true, "strict-sni": false,
	"prefer-client-ciphers": false, "generate-certificates": false, "no-sslv3": false,
	"no-tlsv10": false, "no-tlsv11": false, "no-tlsv12": false, "no-tlsv13": false,
	"force-tlsv12": false, "force-tlsv13": false, "ca-sign-file": true, "ssl-default-bind-options": true,
}

// bindKw reads `bind ADDR[,ADDR...] [options]`.
func (b *builder) bindKw(p *proxy, l line) {
	if len(l.words) < 2 {
		b.errf(l.num, "%s: 'bind' needs an address such as *:80, :443 or 192.0.2.1:8443", p.where())
		return
	}
	var opt Bind
	tls := ""
	for i := 2; i < len(l.words); i++ {
		o := l.words[i]
		val := func() bool {
			if i+1 >= len(l.words) {
				b.errf(l.num, "%s: bind option '%s' needs a value", p.where(), o)
				return false
			}
			i++
			return true
		}
		if takes, isTLS := tlsBindOptions[o]; isTLS {
			if tls == "" {
				tls = o
			}
			if takes && !val() {
				return
			}
			continue
		}
		switch o {
		case "freebind":
			opt.FreeBind = true
		case "v6only":
			opt.V6Only = true
		case "v4v6":
			opt.V4V6 = true
		case "defer-accept":
		case "accept-proxy":
			opt.AcceptProxy = true
		case "transparent":
			b.warnf(l.num, "%s: bind option 'transparent' is ignored: halo does not accept connections for foreign addresses (use freebind for a VIP)", p.where())
		case "name", "process", "thread", "nice", "id", "backlog", "maxconn":
			if !val() {
				return
			}
		case "interface", "namespace", "mss", "tcp-ut":
			if !val() {
				return
			}
			b.warnf(l.num, "%s: bind option '%s' is ignored", p.where(), o)
		case "tfo":
			b.warnf(l.num, "%s: bind option 'tfo' is ignored", p.where())
		default:
			b.errf(l.num, "%s: unknown bind option '%s'", p.where(), o)
			return
		}
	}
	if tls != "" {
		b.errf(l.num, "%s: bind option '%s': TLS termination is not supported: halo is a layer-4 proxy; use mode tcp and let the servers terminate TLS", p.where(), tls)
		return
	}
	b.addBinds(p, l.num, l.arg(1), opt)
}

// addBinds adds one Bind per address of a comma-separated list, each with
// the options of tmpl.
func (b *builder) addBinds(p *proxy, n int, list string, tmpl Bind) {
	for _, a := range strings.Split(list, ",") {
		addrs, err := parseBindAddr(a)
		if err != nil {
			b.errf(n, "%s: bind: %v", p.where(), err)
			continue
		}
		for _, addr := range addrs {
			bd := tmpl
			bd.Addr, bd.Line = addr, n
			p.binds = append(p.binds, bd)
		}
	}
}

// maxPortRange bounds a bind port range such as 8000-8010.
const maxPortRange = 1024

// parseBindAddr reads one bind address: *:PORT, :PORT, ADDR:PORT,
// [IPv6]:PORT, :::PORT, NAME:PORT, with an optional ipv4@/ipv6@ prefix and
// an optional port range. It returns "host:port" strings as Bind.Addr
// describes them: "*" and "" are IPv4's 0.0.0.0 and "::" is IPv6's
// wildcard, as in HAProxy (ipv4@/ipv6@ pick the family of a wildcard).
func parseBindAddr(s string) ([]string, error) {
	orig := s
	family := ""
	for _, pre := range []string{"ipv4@", "ipv6@", "tcp4@", "tcp6@", "tcp@"} {
		if strings.HasPrefix(s, pre) {
			family, s = pre[len(pre)-2:len(pre)-1], s[len(pre):]
			break
		}
	}
	if strings.HasPrefix(s, "/") || strings.Contains(s, "@") {
		return nil, textError("address " + strconv.Quote(orig) + " is not supported: halo listens on TCP addresses only")
	}
	var host, ports string
	if strings.HasPrefix(s, "[") {
		end := strings.IndexByte(s, ']')
		if end < 0 || !strings.HasPrefix(s[end+1:], ":") {
			return nil, textError("bad address " + strconv.Quote(orig) + ": want [IPv6]:PORT")
		}
		host, ports = s[1:end], s[end+2:]
	} else {
		i := strings.LastIndexByte(s, ':')
		if i < 0 {
			return nil, textError("address " + strconv.Quote(orig) + " has no port: write ADDR:PORT, *:PORT or :PORT")
		}
		host, ports = s[:i], s[i+1:]
	}
	switch host {
	case "", "*":
		host = "0.0.0.0"
		if family == "6" {
			host = "::"
		}
	case "::":
		if family == "4" {
			host = "0.0.0.0"
		}
	default:
		ip, err := netip.ParseAddr(host)
		switch {
		case err != nil && !validHostname(host):
			return nil, textError("bad address " + strconv.Quote(orig) + ": want an IP address or a host name")
		case err == nil && ip.Zone() != "":
			return nil, textError("address " + strconv.Quote(orig) + ": zones (%" + ip.Zone() + ") are not supported; use the address alone")
		case err == nil && family == "4" && !ip.Unmap().Is4():
			return nil, textError("address " + strconv.Quote(orig) + ": ipv4@ with an IPv6 address")
		case err == nil && family == "6" && !ip.Is6():
			return nil, textError("address " + strconv.Quote(orig) + ": ipv6@ with an IPv4 address")
		case err == nil && (ip.IsMulticast() || ip == netip.AddrFrom4([4]byte{255, 255, 255, 255})):
			return nil, textError("address " + strconv.Quote(orig) + " is a multicast or broadcast address: TCP cannot listen there")
		case err == nil && ip.Is4In6():
			host = ip.Unmap().String() // ::ffff:a.b.c.d listens as a.b.c.d
		}
	}
	lo, hi, err := parsePortRange(ports)
	if err != nil {
		return nil, textError("address " + strconv.Quote(orig) + ": " + err.Error())
	}
	out := make([]string, 0, hi-lo+1)
	for p := lo; p <= hi; p++ {
		out = append(out, net.JoinHostPort(host, strconv.Itoa(p)))
	}
	return out, nil
}

// parsePortRange reads PORT or LOW-HIGH.
func parsePortRange(s string) (lo, hi int, err error) {
	a, z, isRange := strings.Cut(s, "-")
	if lo, err = parsePort(a); err != nil {
		return 0, 0, err
	}
	if !isRange {
		return lo, lo, nil
	}
	if hi, err = parsePort(z); err != nil {
		return 0, 0, err
	}
	if hi < lo || hi-lo >= maxPortRange {
		return 0, 0, textError("bad port range " + strconv.Quote(s) + ": want LOW-HIGH with at most 1024 ports")
	}
	return lo, hi, nil
}
