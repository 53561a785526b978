package vrrpdtest

import (
	"context"
	"fmt"
	"sync"
)

// Links is a set of interfaces whose state the test sets. It implements
// vrrpd.Links. Its zero value has no interface.
type Links struct {
	mu       sync.Mutex
	up       map[string]bool
	watchers map[int]func(string, bool)
	next     int
}

// Set creates or changes an interface and tells the watchers.
func (l *Links) Set(name string, up bool) {
	l.mu.Lock()
	if l.up == nil {
		l.up = map[string]bool{}
	}
	prev, seen := l.up[name]
	l.up[name] = up
	var ws []func(string, bool)
	for _, w := range l.watchers {
		ws = append(ws, w)
	}
	l.mu.Unlock()
	if !seen || prev != up {
		for _, w := range ws {
			w(name, up)
		}
	}
}

// LinkUp implements vrrpd.Links: an unknown interface is an error.
func (l *Links) LinkUp(name string) (bool, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	up, ok := l.up[name]
	if !ok {
		return false, fmt.Errorf("interface %q: no such interface", name)
	}
	return up, nil
}

// Watch implements vrrpd.Links.
func (l *Links) Watch(ctx context.Context, onChange func(string, bool)) error {
	l.mu.Lock()
	if l.watchers == nil {
		l.watchers = map[int]func(string, bool){}
	}
	id := l.next
	l.next++
	l.watchers[id] = onChange
	l.mu.Unlock()
	<-ctx.Done()
	l.mu.Lock()
	delete(l.watchers, id)
	l.mu.Unlock()
	return nil
}
