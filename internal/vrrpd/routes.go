package vrrpd

import (
	"slices"

	"github.com/halo-lb/halo/internal/config/keepalived"
	"github.com/halo-lb/halo/internal/vip"
)

// Routes adds and removes routes and policy rules (static_routes,
// virtual_routes, static_rules, virtual_rules). *vip.Manager implements it.
type Routes interface {
	AddRoute(r vip.Route) error
	DeleteRoute(r vip.Route) error
	AddRule(r vip.Rule) error
	DeleteRule(r vip.Rule) error
}

func routesOf(list []keepalived.Route) []vip.Route {
	var out []vip.Route
	for _, r := range list {
		out = append(out, vip.Route{Dst: r.Dst, Src: r.Src, Via: r.Via, Dev: r.Dev, Scope: r.Scope, Table: r.Table, Metric: r.Metric, Type: r.Type})
	}
	return out
}

func rulesOf(list []keepalived.Rule) []vip.Rule {
	var out []vip.Rule
	for _, r := range list {
		out = append(out, vip.Rule{From: r.From, To: r.To, Family: r.Family, Iif: r.Iif, Oif: r.Oif, Priority: r.Priority, Table: r.Table})
	}
	return out
}

func staticAddresses(cfg *keepalived.Config) []vip.Address {
	var out []vip.Address
	for _, a := range cfg.StaticAddresses {
		out = append(out, vip.Address{Prefix: a.Prefix, Dev: a.Dev, Label: a.Label, Brd: a.Brd, Scope: a.Scope})
	}
	return out
}

// routing is a set of addresses, routes and rules put on the host
// together: the static ones for the router's life, an instance's virtual
// ones while it is master. apply moves the host from one set to another,
// touching only what differs; nothing here fails the caller, errors are
// logged.
type routing struct {
	addrs  []vip.Address
	routes []vip.Route
	rules  []vip.Rule
}

func (r *Router) applyRouting(from, to routing, what string) {
	env := r.env
	// Rules first out and last in: they may point at tables the routes fill.
	each(from.rules, to.rules, func(x vip.Rule) { r.logErr("removing rule", what, env.Routes.DeleteRule(x)) })
	each(from.routes, to.routes, func(x vip.Route) { r.logErr("removing route", what, env.Routes.DeleteRoute(x)) })
	each(from.addrs, to.addrs, func(x vip.Address) { r.logErr("removing address", what, env.Addresses.Delete(x)) })
	each(to.addrs, from.addrs, func(x vip.Address) { r.logErr("adding address", what, env.Addresses.Add(x)) })
	each(to.routes, from.routes, func(x vip.Route) { r.logErr("adding route", what, env.Routes.AddRoute(x)) })
	each(to.rules, from.rules, func(x vip.Rule) { r.logErr("adding rule", what, env.Routes.AddRule(x)) })
}

// each calls fn with every element of list that is not in except.
func each[T comparable](list, except []T, fn func(T)) {
	for _, x := range list {
		if !slices.Contains(except, x) {
			fn(x)
		}
	}
}

func (r *Router) logErr(doing, set string, err error) {
	if err != nil {
		r.log.Error(doing, "set", set, "err", err)
	}
}

func staticRouting(cfg *keepalived.Config) routing {
	if cfg == nil {
		return routing{}
	}
	return routing{addrs: staticAddresses(cfg), routes: routesOf(cfg.StaticRoutes), rules: rulesOf(cfg.StaticRules)}
}

func virtualRouting(ic *keepalived.Instance) routing {
	return routing{routes: routesOf(ic.VirtualRoutes), rules: rulesOf(ic.VirtualRules)}
}
