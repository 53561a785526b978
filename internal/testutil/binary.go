package testutil

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

var (
	buildOnce sync.Once
	buildPath string
	buildErr  error
)

// HaloBinary builds ./cmd/halo once per test process and returns its path.
// Network tests run the real binary, as a user would.
func HaloBinary(t testing.TB) string {
	t.Helper()
	buildOnce.Do(func() {
		out, err := exec.Command("go", "env", "GOMOD").Output()
		if err != nil {
			buildErr = err
			return
		}
		root := filepath.Dir(strings.TrimSpace(string(out)))
		dir, err := os.MkdirTemp("", "halo-bin-")
		if err != nil {
			buildErr = err
			return
		}
		buildPath = filepath.Join(dir, "halo")
		cmd := exec.Command("go", "build", "-o", buildPath, "./cmd/halo")
		cmd.Dir = root
		if b, err := cmd.CombinedOutput(); err != nil {
			buildErr = &buildError{err: err, out: string(b)}
		}
	})
	if buildErr != nil {
		t.Fatalf("building halo: %v", buildErr)
	}
	return buildPath
}

type buildError struct {
	err error
	out string
}

func (e *buildError) Error() string { return e.err.Error() + "\n" + e.out }

// RequireTool skips (or, under HALO_REQUIRE_ROOT=1, fails) when an external
// program such as keepalived or haproxy is not installed.
func RequireTool(t testing.TB, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err == nil {
		return p
	}
	if os.Getenv("HALO_REQUIRE_ROOT") == "1" {
		t.Fatalf("%s is not installed and HALO_REQUIRE_ROOT=1 forbids skipping (.ci/run installs it)", name)
	}
	t.Skipf("%s is not installed", name)
	return ""
}
