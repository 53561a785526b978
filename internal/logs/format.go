package logs

import (
	"net/netip"
	"strconv"
	"time"

	"github.com/halo-lb/halo/internal/config/haproxy"
	"github.com/halo-lb/halo/internal/proxy"
)

// defaultLen is the longest line sent when the target sets no `len`
// (HAProxy's default).
const defaultLen = 1024

// appendLine writes e as target t wants it: a syslog header in t's format,
// then the text, cut at t's length.
func appendLine(b []byte, t haproxy.LogTarget, h *header, pid int, e entry) []byte {
	pri := strconv.Itoa(t.Facility*8 + e.level)
	switch t.Format {
	case "raw":
	case "short":
		b = append(b, '<')
		b = strconv.AppendInt(b, int64(e.level), 10)
		b = append(b, '>')
	case "priority":
		b = append(b, "<"+pri+">"...)
	case "timed":
		b = append(b, "<"+pri+">"...)
		b = e.at.AppendFormat(b, time.Stamp)
		b = append(b, ' ')
	case "iso":
		b = append(b, "<"+pri+">"...)
		b = e.at.AppendFormat(b, "2006-01-02T15:04:05.000000Z07:00")
		b = append(b, ' ')
	case "rfc5424":
		b = append(b, "<"+pri+">1 "...)
		b = e.at.AppendFormat(b, "2006-01-02T15:04:05.000000Z07:00")
		host := h.host
		if host == "" {
			host = "-"
		}
		b = append(b, ' ')
		b = append(b, host...)
		b = append(b, ' ')
		b = append(b, h.tag...)
		b = append(b, ' ')
		b = strconv.AppendInt(b, int64(pid), 10)
		b = append(b, " - - "...)
	default: // rfc3164, local
		b = append(b, "<"+pri+">"...)
		b = e.at.AppendFormat(b, time.Stamp)
		b = append(b, ' ')
		if h.host != "" && t.Format != "local" {
			b = append(b, h.host...)
			b = append(b, ' ')
		}
		b = append(b, h.tag...)
		b = append(b, '[')
		b = strconv.AppendInt(b, int64(pid), 10)
		b = append(b, "]: "...)
	}
	b = append(b, e.text...)
	n := t.Len
	if n == 0 {
		n = defaultLen
	}
	if len(b) > n {
		b = b[:n]
	}
	return b
}

// FormatTCP writes HAProxy's TCP log line (`option tcplog`):
//
//	%ci:%cp [%t] %ft %b/%s %Tw/%Tc/%Tt %B %ts %ac/%fc/%bc/%sc/%rc %sq/%bq
func FormatTCP(c *proxy.ConnLog) string {
	b := make([]byte, 0, 160)
	b = appendAddrPort(b, c.Client)
	b = append(b, " ["...)
	b = c.Start.AppendFormat(b, "02/Jan/2006:15:04:05.000")
	b = append(b, "] "...)
	b = append(b, c.Frontend...)
	b = append(b, ' ')
	be := c.Backend
	if be == "" {
		be = c.Frontend
	}
	srv := c.Server
	if srv == "" {
		srv = "<NOSRV>"
	}
	b = append(b, be...)
	b = append(b, '/')
	b = append(b, srv...)
	b = append(b, ' ')
	b = appendMS(b, c.Tw)
	b = append(b, '/')
	b = appendMS(b, c.Tc)
	b = append(b, '/')
	b = appendMS(b, c.Tt)
	b = append(b, ' ')
	b = strconv.AppendInt(b, c.BytesOut, 10)
	b = append(b, ' ', c.Term[0], c.Term[1], ' ')
	for i, n := range []int64{c.ActConn, c.FeConn, c.BeConn, c.SrvConn, int64(c.Retries)} {
		if i > 0 {
			b = append(b, '/')
		}
		b = strconv.AppendInt(b, n, 10)
	}
	b = append(b, " 0/0"...)
	return string(b)
}

// FormatConnect writes the line HAProxy logs at accept for a frontend
// without tcplog.
func FormatConnect(c *proxy.ConnLog) string {
	b := make([]byte, 0, 96)
	b = append(b, "Connect from "...)
	b = appendAddrPort(b, c.Client)
	b = append(b, " to "...)
	b = appendAddrPort(b, c.Local)
	b = append(b, " ("...)
	b = append(b, c.Frontend...)
	b = append(b, "/TCP)"...)
	return string(b)
}

func appendAddrPort(b []byte, ap netip.AddrPort) []byte {
	b = ap.Addr().Unmap().AppendTo(b)
	b = append(b, ':')
	return strconv.AppendUint(b, uint64(ap.Port()), 10)
}

func appendMS(b []byte, d time.Duration) []byte {
	if d < 0 {
		return append(b, "-1"...)
	}
	return strconv.AppendInt(b, int64(d/time.Millisecond), 10)
}
