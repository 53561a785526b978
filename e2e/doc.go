// Package e2e holds the network tests: real halo, keepalived and haproxy
// processes on network-namespace hosts (internal/drill), failures injected
// as a user would (SIGKILL, SIGTERM, a pulled cable), and assertions on what
// a client and the hosts' addresses show. They need root.
package e2e
