// Package priv is halo's least privilege: the account `halo run` serves as
// (haproxy.cfg's global user/group), the drop to it keeping only
// CAP_NET_ADMIN, CAP_NET_RAW and CAP_NET_BIND_SERVICE, the account scripts
// run as (keepalived.conf's script_user) under enable_script_security's path
// rules, and the privileged helper that reads configuration files and starts
// scripts for a serving process that can no longer do either itself.
//
// Plan is decided from the two configurations the same way by `halo run`
// and `halo check`, so that check reports what run would refuse.
package priv
