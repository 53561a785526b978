package priv

import (
	"fmt"

	"kernel.org/pub/linux/libs/security/libcap/cap"
)

// Kept are the capabilities the serving process keeps after Drop: VIPs,
// routes and link events (NET_ADMIN), VRRP and ARP/NA raw sockets
// (NET_RAW), and binds below 1024 made by a reload (NET_BIND_SERVICE).
var Kept = []cap.Value{cap.NET_ADMIN, cap.NET_RAW, cap.NET_BIND_SERVICE}

// Drop makes every thread of this process run as a with no supplementary
// groups and exactly Kept in its permitted and effective sets; the
// bounding set is cut to Kept too and the ambient set is emptied, so a
// program it starts gets no capability unless it is asked for. The
// inheritable set holds NET_ADMIN alone: that lets the flow hand-off start
// nft with NET_ADMIN raised as ambient for that one program (vip.Handoff),
// a power the process has anyway. libcap applies each step to all threads
// at once (psx). Drop needs root; it is not undone.
func Drop(a Account) error {
	keep := map[cap.Value]bool{}
	for _, v := range Kept {
		keep[v] = true
	}
	// The bounding set first: cutting it needs CAP_SETPCAP, dropped below.
	for v := cap.Value(0); v < cap.MaxBits(); v++ {
		if !keep[v] {
			if err := cap.DropBound(v); err != nil {
				return fmt.Errorf("drop %s from the bounding set: %w", v, err)
			}
		}
	}
	if err := cap.SetGroups(a.GID); err != nil {
		return fmt.Errorf("set group %d: %w", a.GID, err)
	}
	// SetUID keeps the permitted set across the change (PR_SET_KEEPCAPS).
	if err := cap.SetUID(a.UID); err != nil {
		return fmt.Errorf("set user %d: %w", a.UID, err)
	}
	s := cap.NewSet()
	for _, f := range []cap.Flag{cap.Permitted, cap.Effective} {
		if err := s.SetFlag(f, true, Kept...); err != nil {
			return err
		}
	}
	if err := s.SetFlag(cap.Inheritable, true, cap.NET_ADMIN); err != nil {
		return err
	}
	if err := s.SetProc(); err != nil {
		return fmt.Errorf("set capabilities %s: %w", s, err)
	}
	if err := cap.ResetAmbient(); err != nil {
		return fmt.Errorf("clear ambient capabilities: %w", err)
	}
	return nil
}
