package haproxy

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/halo-lb/halo/internal/config/diag"
)

var update = flag.Bool("update", false, "rewrite the testdata/*.golden files")

// TestGolden parses every testdata/NAME.cfg and compares the diagnostics
// and the normalized config with testdata/NAME.golden.
func TestGolden(t *testing.T) {
	files, err := filepath.Glob("testdata/*.cfg")
	if err != nil || len(files) == 0 {
		t.Fatalf("no testdata: %v", err)
	}
	t.Setenv("HALO_TEST_PORT", "8443")
	t.Setenv("HALO_TEST_HOST", "192.0.2.50")
	for _, file := range files {
		name := strings.TrimSuffix(filepath.Base(file), ".cfg")
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			got := render(Parse(filepath.Base(file), data))
			golden := strings.TrimSuffix(file, ".cfg") + ".golden"
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -update)", err)
			}
			if diff := cmp.Diff(string(want), got); diff != "" {
				t.Errorf("%s mismatch (-want +got):\n%s", golden, diff)
			}
		})
	}
}

// render is the golden text: diagnostics, a separator, the config dump.
func render(cfg *Config, diags diag.List) string {
	var b strings.Builder
	for _, d := range diags {
		b.WriteString(d.String())
		b.WriteByte('\n')
	}
	b.WriteString("---\n")
	if cfg == nil {
		b.WriteString("(no config: errors)\n")
	} else {
		b.WriteString(dump(cfg))
	}
	return b.String()
}
