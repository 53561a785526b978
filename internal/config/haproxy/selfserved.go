package haproxy

// answersHTTP reports whether halo answers some of the section's HTTP
// requests itself: a statistics page, a monitor URI or the Prometheus
// exporter (the last two in mode http only, as in HAProxy). Call it once
// the mode is settled (sectionWarnings).
func (p *proxy) answersHTTP() bool {
	return p.stats != nil || (p.mode == ModeHTTP && (p.monitorURI != "" || p.prometheus != ""))
}

// selfServed sets a frontend's Monitor and Prometheus and refuses the
// mix halo cannot run: a frontend whose monitor URI or metrics path halo
// answers while its other requests should reach servers. Telling them
// apart needs an HTTP parser in the data path, which halo's layer-4 proxy
// does not have; HAProxy's own examples put monitor-uri in a listen
// section of its own.
func (b *builder) selfServed(p *proxy, fe *Frontend, backends map[string]*Backend) {
	fe.Monitor = b.monitor(p, fe, backends)
	if p.mode == ModeHTTP && p.prometheus != "" {
		fe.Prometheus, fe.PrometheusPrefix = p.prometheus, p.prometheusPrefix
	}
	if fe.Stats != nil || (fe.Monitor == nil && fe.Prometheus == "") {
		return
	}
	be := fe.DefaultBackend
	if be == nil || len(be.Servers) == 0 {
		return
	}
	what, at := "monitor-uri", p.monitorLine
	if fe.Monitor == nil {
		what, at = "http-request use-service prometheus-exporter", p.prometheusLine
	}
	b.errf(at, "%s: '%s' with servers to relay to (backend '%s') is not supported: halo answers that path itself and, being a layer-4 proxy, cannot pick the other requests out of the stream; give it a section of its own (listen NAME, bind another port, mode http, %s)",
		p.where(), what, be.Name, what)
}
