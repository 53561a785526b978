package haproxy

import "testing"

func TestMonitorFailing(t *testing.T) {
	cfg := parseOK(t, issueHeader+`listen health
    bind :8080
    mode http
    acl dead nbsrv(api) lt 2
    acl dead nbsrv(web) eq 0
    monitor-uri /healthz
    monitor fail if dead
    monitor fail unless { nbsrv(db) ge 1 } || { nbsrv(db2) 1:3 }
backend api
    server a 192.0.2.1:80
backend web
    server a 192.0.2.1:80
backend db
    server a 192.0.2.1:80
backend db2
    server a 192.0.2.1:80
`)
	health := cfg.Frontends[0].Monitor
	tests := []struct {
		name  string
		nbsrv map[string]int
		fail  bool
	}{
		{"every backend has servers", map[string]int{"api": 3, "web": 2, "db": 1}, false},
		{"api below two servers fails", map[string]int{"api": 1, "web": 2, "db": 1}, true},
		{"web at zero fails (an ACL on two lines is an or)", map[string]int{"api": 3, "web": 0, "db": 1}, true},
		{"no db but db2 in range is fine", map[string]int{"api": 3, "web": 2, "db": 0, "db2": 2}, false},
		{"no db and db2 out of range fails (unless)", map[string]int{"api": 3, "web": 2, "db": 0, "db2": 4}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := health.Failing(func(b string) int { return tt.nbsrv[b] }); got != tt.fail {
				t.Errorf("Failing = %t, want %t", got, tt.fail)
			}
		})
	}
}

func TestMonitorWithServersToRelayIsRefused(t *testing.T) {
	_, diags := Parse("m.cfg", []byte(issueHeader+"listen own\n    bind :8081\n    mode http\n    monitor-uri /ok\n    server s 192.0.2.1:80 check\n"))
	if !diags.HasErrors() {
		t.Errorf("accepted, but halo cannot answer one URI and relay the rest: %v", diags)
	}
}

func TestNbsrvWithoutBackendMeansTheFrontendsOwn(t *testing.T) {
	cfg := parseOK(t, issueHeader+"frontend f\n    bind :8082\n    mode http\n    monitor-uri /ok\n    monitor fail if { nbsrv lt 1 }\n    default_backend empty\nbackend empty\n")
	m := cfg.Frontends[0].Monitor
	if m == nil || m.Fail[0].Cond.Any[0][0].Tests[0].Backend != "empty" {
		t.Fatalf("monitor = %+v", m)
	}
	if !m.Failing(func(string) int { return 0 }) || m.Failing(func(string) int { return 1 }) {
		t.Errorf("the condition does not follow nbsrv(empty)")
	}
}

func TestMonitorInModeTCPIsIgnoredWithAWarning(t *testing.T) {
	cfg := parseOK(t, issueHeader+"frontend f\n    bind :8083\n    monitor-uri /ok\n    http-request use-service prometheus-exporter if { path /metrics }\n    default_backend be\nbackend be\n    server s 192.0.2.1:80\n")
	if fe := cfg.Frontends[0]; fe.Monitor != nil || fe.Prometheus != "" || !fe.Relays() {
		t.Errorf("frontend = %+v; want a relaying frontend", fe)
	}
}
