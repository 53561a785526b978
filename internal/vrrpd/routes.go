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
	for _, x := range from.rules {
		if !slices.Contains(to.rules, x) {
			if err := env.Routes.DeleteRule(x); err != nil {
				r.log.Error("removing rule", "set", what, "err", err)
			}
		}
	}
	for _, x := range from.routes {
		if !slices.Contains(to.routes, x) {
			if err := env.Routes.DeleteRoute(x); err != nil {
				r.log.Error("removing route", "set", what, "err", err)
			}
		}
	}
	for _, x := range from.addrs {
		if !slices.Contains(to.addrs, x) {
			if err := env.Addresses.Delete(x); err != nil {
				r.log.Error("removing address", "set", what, "err", err)
			}
		}
	}
	for _, x := range to.addrs {
		if !slices.Contains(from.addrs, x) {
			if err := env.Addresses.Add(x); err != nil {
				r.log.Error("adding address", "set", what, "err", err)
			}
		}
	}
	for _, x := range to.routes {
		if !slices.Contains(from.routes, x) {
			if err := env.Routes.AddRoute(x); err != nil {
				r.log.Error("adding route", "set", what, "err", err)
			}
		}
	}
	for _, x := range to.rules {
		if !slices.Contains(from.rules, x) {
			if err := env.Routes.AddRule(x); err != nil {
				r.log.Error("adding rule", "set", what, "err", err)
			}
		}
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
