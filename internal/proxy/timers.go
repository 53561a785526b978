package proxy

// arm makes sure c's timer entry fires no later than its current deadline.
// An entry is only ever moved earlier here: when activity pushes the
// deadline later, expire finds out and moves the entry then, so that busy
// connections cost no heap work per byte.
func (r *reactor) arm(c *conn) {
	d := c.deadline()
	switch {
	case d == 0, c.timerAt != 0 && c.timerAt <= d:
		return
	case c.timerAt != 0:
		c.timerAt = d
		r.timers.fix(int(c.tidx))
	default:
		c.timerAt = d
		r.timers.push(c)
	}
}

// expire fires due timers; an entry whose connection moved its deadline
// later is moved instead.
func (r *reactor) expire() {
	for len(r.timers) > 0 {
		c := r.timers[0]
		if c.timerAt > r.now {
			return
		}
		d := c.deadline()
		if d > r.now {
			c.timerAt = d
			r.timers.fix(0)
			continue
		}
		r.timers.remove(c)
		if d != 0 {
			c.timeout()
		}
	}
}

// timerHeap is a binary min-heap of connections on timerAt. Each connection
// knows its position (tidx), so that closing it removes its entry at once
// and a closed connection is not kept alive until its deadline.
type timerHeap []*conn

func (h timerHeap) swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].tidx, h[j].tidx = int32(i), int32(j)
}

func (h timerHeap) up(i int) {
	for i > 0 {
		p := (i - 1) / 2
		if h[p].timerAt <= h[i].timerAt {
			return
		}
		h.swap(p, i)
		i = p
	}
}

func (h timerHeap) down(i int) bool {
	start := i
	for {
		l := 2*i + 1
		if l >= len(h) {
			break
		}
		m := l
		if r := l + 1; r < len(h) && h[r].timerAt < h[l].timerAt {
			m = r
		}
		if h[i].timerAt <= h[m].timerAt {
			break
		}
		h.swap(i, m)
		i = m
	}
	return i > start
}

// fix restores the order after the entry at i changed its time.
func (h timerHeap) fix(i int) {
	if !h.down(i) {
		h.up(i)
	}
}

func (h *timerHeap) push(c *conn) {
	c.tidx = int32(len(*h))
	*h = append(*h, c)
	h.up(len(*h) - 1)
}

// remove takes c's entry out and clears c.timerAt.
func (h *timerHeap) remove(c *conn) {
	s := *h
	i, n := int(c.tidx), len(s)-1
	if i != n {
		s.swap(i, n)
	}
	s[n] = nil
	s = s[:n]
	*h = s
	if i != n {
		s.fix(i)
	}
	c.timerAt, c.tidx = 0, 0
}
