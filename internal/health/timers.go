package health

// timerHeap is a binary min-heap of Checkers on due: the next probe of
// each, or the deadline of the probe under way. Each Checker knows its
// position (hidx, -1 when not in the heap), so that rescheduling and
// removing cost O(log n) and removing an absent Checker costs nothing.
type timerHeap []*Checker

func (h timerHeap) swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].hidx, h[j].hidx = int32(i), int32(j)
}

func (h timerHeap) up(i int) {
	for i > 0 {
		p := (i - 1) / 2
		if h[p].due <= h[i].due {
			return
		}
		h.swap(p, i)
		i = p
	}
}

func (h timerHeap) down(i int) {
	for {
		l := 2*i + 1
		if l >= len(h) {
			return
		}
		m := l
		if r := l + 1; r < len(h) && h[r].due < h[l].due {
			m = r
		}
		if h[i].due <= h[m].due {
			return
		}
		h.swap(i, m)
		i = m
	}
}

func (h *timerHeap) push(c *Checker) {
	c.hidx = int32(len(*h))
	*h = append(*h, c)
	h.up(int(c.hidx))
}

// fix restores the order after the entry at i changed its due time.
func (h timerHeap) fix(i int) {
	h.down(i)
	h.up(i)
}

// remove takes c out of the heap if it is there.
func (h *timerHeap) remove(c *Checker) {
	i := int(c.hidx)
	if i < 0 {
		return
	}
	last := len(*h) - 1
	if i != last {
		h.swap(i, last)
	}
	(*h)[last] = nil
	*h = (*h)[:last]
	c.hidx = -1
	if i != last {
		h.fix(i)
	}
}
