package health

import "time"

// State is a server's health as rise/fall see it. It follows HAProxy's
// health counter: Health runs from 0 (fully DOWN) to rise+fall-1 (fully UP)
// and the server is UP while Health >= rise. A success while DOWN counts
// up and a failure while DOWN starts over from 0; a failure while UP counts
// down and a success while UP restores full health. So it takes `rise`
// consecutive successes to go UP and `fall` consecutive failures to go DOWN
// from a stable state.
type State struct {
	Up     bool
	Health int
}

// Initial is the state of a checked server at start and when it leaves
// maintenance: UP, but with the lowest UP health, so that a first failed
// check takes it DOWN at once (HAProxy's default `init-state up`).
func Initial(rise, fall int) State {
	rise, _ = clamp(rise, fall)
	return State{Up: true, Health: rise}
}

// Down is the state of a server that cannot be checked at all, e.g. one
// whose name does not resolve at start: fully DOWN.
func Down() State { return State{} }

// Next is the state after result r, and whether the server changed between
// UP and DOWN. rise and fall below 1 count as 1. It is a pure function.
func (s State) Next(r Result, rise, fall int) (next State, changed bool) {
	rise, fall = clamp(rise, fall)
	full := rise + fall - 1
	h := min(max(s.Health, 0), full)
	if r.OK {
		if h < full {
			h++
			if h >= rise {
				h = full // UP now, or a failure streak while UP is forgiven
			}
		}
	} else if h > 0 {
		h--
		if h < rise {
			h = 0 // DOWN now, or a success streak while DOWN starts over
		}
	}
	next = State{Up: h >= rise, Health: h}
	return next, next.Up != s.Up
}

// Transitional reports whether the server is on its way between UP and
// DOWN: UP after some failures, or DOWN after some successes.
func (s State) Transitional(rise, fall int) bool {
	rise, fall = clamp(rise, fall)
	if s.Up {
		return s.Health < rise+fall-1
	}
	return s.Health > 0
}

// Interval is the delay before the next check (configuration.txt, `inter`,
// `fastinter`, `downinter`): fastinter while transitional (which includes
// the start, see Initial), downinter while fully DOWN, inter while fully
// UP. A zero fastinter or downinter means inter; a zero inter means 2 s,
// HAProxy's default.
func (s State) Interval(rise, fall int, inter, fastInter, downInter time.Duration) time.Duration {
	if inter <= 0 {
		inter = DefaultInter
	}
	switch {
	case s.Transitional(rise, fall):
		if fastInter > 0 {
			return fastInter
		}
	case !s.Up:
		if downInter > 0 {
			return downInter
		}
	}
	return inter
}

// DefaultInter is HAProxy's default check interval.
const DefaultInter = 2 * time.Second

func clamp(rise, fall int) (int, int) {
	return max(rise, 1), max(fall, 1)
}
