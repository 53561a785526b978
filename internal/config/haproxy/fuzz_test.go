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
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, diags := Parse("fuzz.cfg", data)
		if (cfg == nil) != diags.HasErrors() {
			t.Fatalf("cfg == nil is %t but HasErrors is %t:\n%v", cfg == nil, diags.HasErrors(), diags)
		}
		if cfg == nil {
			return
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
