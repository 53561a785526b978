package keepalived

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzParse feeds arbitrary text to the parser: it must never panic, and it
// returns a config exactly when there is no error. Includes are served from
// memory (a.conf and conf.d/*.conf), never from the file system.
func FuzzParse(f *testing.F) {
	seeds, _ := filepath.Glob(filepath.Join("testdata", "*.conf"))
	ex, _ := filepath.Glob(filepath.Join(examplesDir, "*", "keepalived*.conf"))
	for _, p := range append(seeds, ex...) {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(string(b))
		}
	}
	f.Add("include a.conf\ninclude conf.d/*.conf\n")
	f.Add("vrrp_instance x {\n{\n}}}\"\n! \n#")
	src := memSource(map[string]string{
		"/k/a.conf":        "vrrp_script s {\n script x\n}\n",
		"/k/conf.d/b.conf": "include ../main.conf\n",
	})
	f.Fuzz(func(t *testing.T, text string) {
		cfg, d := parseWith(src, "/k/main.conf", []byte(text))
		if (cfg == nil) != d.HasErrors() {
			t.Fatalf("cfg nil = %t but HasErrors = %t:\n%v", cfg == nil, d.HasErrors(), d)
		}
		if cfg != nil {
			for _, in := range cfg.Instances {
				if in.Family() == 0 || in.VRID == 0 || in.Interface == "" || in.AdvertInt <= 0 {
					t.Fatalf("valid config with a broken instance: %+v", in)
				}
			}
		}
	})
}
