// Package testutil holds helpers shared by tests: the root requirement for
// tests that build network namespaces, and building the halo binary once.
package testutil

import (
	"os"
	"testing"
)

// RequireRoot skips t when the process is not root, unless HALO_REQUIRE_ROOT=1
// (set by CI), in which case a missing privilege is a failure: a CI run that
// silently skipped every network test would prove nothing.
func RequireRoot(t testing.TB) {
	t.Helper()
	if os.Geteuid() == 0 {
		return
	}
	if os.Getenv("HALO_REQUIRE_ROOT") == "1" {
		t.Fatal("test needs root and HALO_REQUIRE_ROOT=1 forbids skipping")
	}
	t.Skip("test needs root (network namespaces, raw sockets); run as root or set HALO_REQUIRE_ROOT=1 to make this a failure")
}
