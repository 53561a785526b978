package haproxy

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzParse checks that Parse never panics and returns a config exactly
// when it reports no error.
func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.cfg")
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte("listen x\n bind :1\n server s \"${A-b}\":0\n.if streq(\"$A\",)\n"))
	f.Add([]byte("backend b\n tcp-check\n"))
	f.Add([]byte("listen m\n bind localhost:1\n mode http\n acl a nbsrv(m) lt 1\n monitor-uri /\n monitor fail if !a || { nbsrv 1: }\n"))
	f.Add([]byte("backend b\n option httpchk\n http-check expect !status 200-299,404\n http-check connect\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, diags := Parse("fuzz.cfg", data)
		if (cfg == nil) != diags.HasErrors() {
			t.Fatalf("cfg == nil is %t but HasErrors is %t:\n%v", cfg == nil, diags.HasErrors(), diags)
		}
		if cfg == nil {
			return
		}
		// What Load adds on a host, with answers that need no network.
		OnHost(cfg, fakeHost(map[string]string{"localhost": "127.0.0.1"}))
		PlanFDs(cfg, FDLimits{Soft: 1024, Hard: 4096, Ceiling: 4096})
		for _, fe := range cfg.Frontends {
			if fe.Monitor != nil {
				fe.Monitor.Failing(func(string) int { return 1 })
			}
		}
		names := map[string]bool{}
		for _, fe := range cfg.Frontends {
			if names[fe.Name] {
				t.Fatalf("frontend name %q is not unique", fe.Name)
			}
			names[fe.Name] = true
		}
		for _, be := range cfg.Backends {
			for _, s := range be.Servers {
				if s.Weight < 0 || s.Weight > 256 || s.Rise < 1 || s.Fall < 1 || s.Inter <= 0 {
					t.Fatalf("server %s/%s has out-of-range values: %+v", be.Name, s.Name, s)
				}
			}
		}
	})
}
