// Package proxy is halo's layer-4 data path: it listens on the binds of an
// haproxy.cfg (configuration.txt sections 4 and 5: bind, maxconn, balance,
// server, retries, option redispatch, timeout *), picks a server with
// internal/balance, connects with retries and queueing, and relays bytes
// with splice(2) from epoll reactors so that an idle connection costs a
// small struct rather than goroutines and buffers.
//
// Ownership: an accepted client socket belongs to the acceptor until it is
// posted to a reactor; from then on the reactor alone reads, writes and
// closes both sockets of the connection. Backend state (server counters,
// health, queue) is shared and guarded by the backend's mutex.
package proxy
