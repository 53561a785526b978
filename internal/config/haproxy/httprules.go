package haproxy

import "strings"

// httpRequestKw reads `http-request`. halo is a layer-4 proxy and refuses
// HTTP rules, with one exception that published configurations use to
// expose HAProxy's own metrics: `http-request use-service
// prometheus-exporter [if { path P } | if { path_beg P }]`, which makes
// halo serve its Prometheus metrics on that path (Frontend.Prometheus).
func (b *builder) httpRequestKw(p *proxy, l line) {
	if l.arg(1) != "use-service" || l.arg(2) != "prometheus-exporter" {
		b.errf(l.num, "%s: 'http-request' is not supported: halo is a layer-4 proxy and does not evaluate HTTP rules (it accepts only 'http-request use-service prometheus-exporter')", p.where())
		return
	}
	cond := l.words[3:]
	switch {
	case len(cond) == 0:
		p.prometheus, p.prometheusPrefix = "/", true // every request
	case len(cond) == 5 && cond[0] == "if" && cond[1] == "{" && cond[4] == "}" &&
		(cond[2] == "path" || cond[2] == "path_beg") && strings.HasPrefix(cond[3], "/"):
		p.prometheus, p.prometheusPrefix = cond[3], cond[2] == "path_beg"
	default:
		b.errf(l.num, "%s: http-request use-service prometheus-exporter: condition '%s' is not supported: halo accepts 'if { path /metrics }' and 'if { path_beg /metrics }'", p.where(), strings.Join(cond, " "))
		return
	}
	p.prometheusLine = l.num
	p.httpOnly = append(p.httpOnly, httpUse{what: "http-request use-service prometheus-exporter", line: l.num})
}
