package proxy

import "sync/atomic"

// pipeBudget bounds the splice pipes open in the whole proxy, in use or
// pooled, after global `maxpipes` (haproxy.FDPlan.MaxPipes): each holds two
// descriptors, and descriptors given to pipes are not there for accept(2)
// and connect(2). A flow that finds the budget spent copies through a
// buffer instead (flow.read), as HAProxy falls back to recv/send.
type pipeBudget struct {
	max  int64 // 0 = no pipes at all; a negative max = unlimited
	open atomic.Int64
}

// take counts one more pipe, or reports false when the budget is spent. A
// nil budget is unlimited.
func (b *pipeBudget) take() bool {
	if b == nil || b.max < 0 {
		return true
	}
	if b.open.Add(1) > b.max {
		b.open.Add(-1)
		return false
	}
	return true
}

// give returns one pipe's share.
func (b *pipeBudget) give() {
	if b != nil && b.max >= 0 {
		b.open.Add(-1)
	}
}

// destroy closes a pipe for good and gives its share back.
func (p *pipePool) destroy(pp pipe) {
	sysClose(pp.r)
	sysClose(pp.w)
	p.budget.give()
}
