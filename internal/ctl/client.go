package ctl

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"strings"
	"syscall"
	"time"
)

// DefaultSocket is where halo's own control socket listens unless --socket
// says otherwise.
const DefaultSocket = "/run/halo/halo.sock"

// ErrNotRunning is returned by Query when nothing listens at the address.
var ErrNotRunning = errors.New("halo is not running")

// ParseAddress reads a control socket address as `--socket` and `stats
// socket` write it: a path, unix@PATH, ipv4@ADDR:PORT, ipv6@[ADDR]:PORT or
// ADDR:PORT.
func ParseAddress(s string) (network, address string, err error) {
	if pfx, rest, ok := strings.Cut(s, "@"); ok && !strings.HasPrefix(s, "/") { // a path may hold an @
		switch pfx {
		case "unix":
			return "unix", rest, nil
		case "ipv4", "ipv6":
			if _, err := netip.ParseAddrPort(rest); err != nil {
				return "", "", fmt.Errorf("control socket %q: want %s@ADDRESS:PORT", s, pfx)
			}
			return "tcp", rest, nil
		}
		return "", "", fmt.Errorf("control socket %q: want a path, unix@, ipv4@ or ipv6@", s)
	}
	if _, err := netip.ParseAddrPort(s); err == nil {
		return "tcp", s, nil
	}
	return "unix", s, nil
}

// Query sends one request line (commands may be joined with ';') to the
// control socket at addr and returns the answer, without the empty line
// that ends each command's answer when there is one command.
func Query(ctx context.Context, addr, line string) (string, error) {
	network, address, err := ParseAddress(addr)
	if err != nil {
		return "", err
	}
	var d net.Dialer
	c, err := d.DialContext(ctx, network, address)
	if err != nil {
		if errors.Is(err, syscall.ENOENT) || errors.Is(err, syscall.ECONNREFUSED) {
			return "", fmt.Errorf("%w: nothing listens on %s (start it with 'halo run', or give --socket)", ErrNotRunning, addr)
		}
		if errors.Is(err, syscall.EACCES) {
			return "", fmt.Errorf("%s: permission denied (the control socket is for root, or the socket's group)", addr)
		}
		return "", err
	}
	defer c.Close()
	if dl, ok := ctx.Deadline(); ok {
		c.SetDeadline(dl)
	} else {
		c.SetDeadline(time.Now().Add(30 * time.Second))
	}
	if _, err := io.WriteString(c, strings.TrimRight(line, "\n")+"\n"); err != nil {
		return "", err
	}
	if cw, ok := c.(interface{ CloseWrite() error }); ok {
		cw.CloseWrite()
	}
	b, err := io.ReadAll(c)
	if err != nil {
		return "", err
	}
	out := string(b)
	if !strings.Contains(line, ";") {
		out = strings.TrimSuffix(out, "\n")
		if !strings.HasSuffix(out, "\n") && out != "" {
			out += "\n"
		}
	}
	return out, nil
}
