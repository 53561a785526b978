package priv

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// enable_script_security's rules on a script's file and the directories
// above it, for a script that would run as root.
func TestCheckScript(t *testing.T) {
	root := Account{Name: "root", UID: 0, GID: 0}
	if err := CheckScript("/bin/sh", root); err != nil {
		t.Errorf("/bin/sh refused: %v", err)
	}
	if err := CheckScript("sh", root); err != nil {
		t.Errorf("sh through PATH refused: %v", err)
	}
	// t.TempDir is owned by whoever runs the test; as root it is safe.
	dir := t.TempDir()
	script := filepath.Join(dir, "chk.sh")
	if err := os.WriteFile(script, []byte("#!/bin/sh\nexit 0\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	os.Chmod(dir, 0o755)
	tests := []struct {
		name     string
		fileMode os.FileMode
		dirMode  os.FileMode
		want     string // "" = accepted
	}{
		{"a root-owned 0755 script in a 0755 directory is accepted", 0o755, 0o755, ""},
		{"a world-writable script is refused", 0o777, 0o755, "writable by every user"},
		{"a script in a world-writable directory is refused", 0o755, 0o777, "writable by every user"},
		{"a sticky world-writable directory (like /tmp) is accepted", 0o755, 0o777 | os.ModeSticky, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if os.Geteuid() != 0 && tc.want == "" {
				t.Skip("the temporary directory belongs to a non-root user: refused whatever its mode")
			}
			if err := os.Chmod(script, tc.fileMode); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(dir, tc.dirMode); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { os.Chmod(dir, 0o755) })
			err := CheckScript(script, root)
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("refused: %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Errorf("got %v, want an error containing %q", err, tc.want)
			}
		})
	}
	t.Run("a script owned by another user is refused", func(t *testing.T) {
		if os.Geteuid() != 0 {
			t.Skip("chown needs root")
		}
		os.Chmod(script, 0o755)
		if err := os.Chown(script, 65534, 65534); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { os.Chown(script, 0, 0) })
		if err := CheckScript(script, root); err == nil || !strings.Contains(err.Error(), "owned by uid 65534") {
			t.Errorf("got %v, want owned by uid 65534", err)
		}
		// The same file is fine for the user who owns it.
		if err := CheckScript(script, Account{Name: "nobody", UID: 65534, GID: 65534}); err != nil {
			t.Errorf("refused for its owner: %v", err)
		}
	})
}
