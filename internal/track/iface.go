package track

import (
	"context"
	"errors"
	"fmt"
	"net"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// LinkUp reports whether an interface can carry traffic: administratively
// up and with carrier (a veth whose peer is down, or a pulled cable, is not).
func LinkUp(name string) (bool, error) {
	l, err := netlink.LinkByName(name)
	if err != nil {
		return false, fmt.Errorf("interface %q: %w", name, err)
	}
	return linkUp(l.Attrs()), nil
}

func linkUp(a *netlink.LinkAttrs) bool {
	return a.Flags&net.FlagUp != 0 && a.RawFlags&rawFlagLowerUp != 0
}

// IFF_LOWER_UP from <linux/if.h>: the driver signals carrier.
const rawFlagLowerUp = 1 << 16

// WatchLinks calls onChange(name, up) whenever the state of one of names
// changes, until ctx is done; names nil watches every interface, and an
// interface that appears or disappears is a change too. It must run in the
// network namespace of the interfaces (netlink sockets keep the namespace
// they were opened in).
func WatchLinks(ctx context.Context, names []string, onChange func(name string, up bool)) error {
	var want map[string]bool // nil: every interface
	if names != nil {
		want = map[string]bool{}
		for _, n := range names {
			want[n] = true
		}
	}
	last := map[string]bool{}
	updates := make(chan netlink.LinkUpdate, 64)
	done := make(chan struct{})
	defer close(done)
	if err := netlink.LinkSubscribeWithOptions(updates, done, netlink.LinkSubscribeOptions{
		ErrorCallback: func(error) {},
	}); err != nil {
		return fmt.Errorf("subscribing to link updates: %w", err)
	}
	// The state before the subscription, read after it so no change falls
	// between the two.
	if links, err := netlink.LinkList(); err == nil || errors.Is(err, netlink.ErrDumpInterrupted) {
		for _, l := range links {
			last[l.Attrs().Name] = linkUp(l.Attrs())
		}
	}
	for n := range want {
		if _, ok := last[n]; !ok {
			last[n] = false
		}
	}
	for {
		select {
		case <-ctx.Done():
			return nil
		case u, ok := <-updates:
			if !ok {
				return errors.New("link update subscription closed")
			}
			a := u.Link.Attrs()
			if want != nil && !want[a.Name] {
				continue
			}
			up := linkUp(a) && u.Header.Type != unix.RTM_DELLINK // interface gone
			if prev, seen := last[a.Name]; !seen || up != prev {
				last[a.Name] = up
				onChange(a.Name, up)
			}
		}
	}
}
