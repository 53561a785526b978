// Package drill builds the seed article's setup — two load-balancer nodes
// sharing a virtual IP in front of web servers, and a client — out of
// network-namespace hosts, runs halo or keepalived+haproxy on the nodes, and
// measures what a client probing the VIP sees while a node fails. The
// network tests, bench/failover.sh and `halo lab` share it.
package drill
