// Package lab is `halo lab`: it builds the seed article's setup — two
// load-balancer nodes, an OpenShift master and router behind them, a client —
// in network namespaces, runs halo on both nodes with the article's own
// configuration files, and runs its failure drill while a client probes the
// VIP every 10 ms, printing what the client saw.
package lab
