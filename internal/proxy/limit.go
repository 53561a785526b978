package proxy

// limiter is a counting semaphore for `maxconn`: an acceptor takes a slot
// before accept(2), so that at the limit connections wait in the kernel's
// backlog instead of being accepted and closed. A nil limiter is unlimited.
type limiter chan struct{}

func newLimiter(n int) limiter {
	if n <= 0 {
		return nil
	}
	return make(limiter, n)
}

// acquire takes a slot, or returns false when stop closes first.
func (l limiter) acquire(stop <-chan struct{}) bool {
	if l == nil {
		return true
	}
	select {
	case l <- struct{}{}:
		return true
	case <-stop:
		return false
	}
}

func (l limiter) release() {
	if l != nil {
		<-l
	}
}
