// Package proxy is halo's layer-4 data path: it listens on the binds of an
// haproxy.cfg (configuration.txt sections 4 and 5: bind, maxconn, balance,
// server, retries, option redispatch, timeout *), picks a server with
// internal/balance, connects with retries and queueing, and relays bytes
// from epoll reactors (read/write for short exchanges, splice(2) for bulk)
// so that an idle connection costs a small struct rather than goroutines
// and buffers.
//
// Ownership: every reactor watches every listener (EPOLLEXCLUSIVE, so a new
// connection wakes one idle reactor) and the reactor that accepts a client
// socket owns the connection: it alone reads, writes and closes both of its
// sockets, except that a connection leaving a backend's queue is posted
// back to its reactor. Backend state (server counters, health, queue) is
// shared and guarded by the backend's mutex; maxconn slots and which
// listeners are watched are the gate's (limit.go).
package proxy
