package haproxy

import (
	"fmt"
	"testing"
)

// TestBindConflictsFollowLinux checks the conflict rules against what Linux
// answers when two listening sockets bind one port (measured with real
// sockets, SO_REUSEADDR always set): with SO_REUSEPORT on both, every pair
// binds; without it, the pairs marked conflict fail with EADDRINUSE.
func TestBindConflictsFollowLinux(t *testing.T) {
	socks := map[string]string{
		"v4any":  "bind 0.0.0.0:7000",
		"v4a":    "bind 127.0.0.1:7000",
		"v4b":    "bind 127.0.0.2:7000",
		"v6dual": "bind :::7000",
		"v6only": "bind :::7000 v6only",
	}
	noReuse := []struct {
		a, b     string
		conflict bool
	}{
		{"v4any", "v4any", true}, {"v4any", "v4a", true}, {"v4any", "v6dual", true}, {"v4any", "v6only", false},
		{"v4a", "v4a", true}, {"v4a", "v4b", false}, {"v4a", "v6dual", true}, {"v4a", "v6only", false},
		{"v6dual", "v6dual", true}, {"v6dual", "v6only", true}, {"v6only", "v6only", true},
	}
	for _, reuse := range []bool{true, false} {
		for _, tt := range noReuse {
			want := tt.conflict && !reuse
			t.Run(fmt.Sprintf("reuseport=%t %s then %s conflict=%t", reuse, tt.a, tt.b, want), func(t *testing.T) {
				g := ""
				if !reuse {
					g = "global\n    noreuseport\n"
				}
				text := g + issueHeader + "frontend fe\n    " + socks[tt.a] + "\n    " + socks[tt.b] + "\n    default_backend be\nbackend be\n    server s 192.0.2.1:80\n"
				_, diags := Parse("c.cfg", []byte(text))
				if got := diags.HasErrors(); got != want {
					t.Errorf("conflict = %t, want %t: %v", got, want, diags)
				}
			})
		}
	}
}

func TestTheSameAddressInTwoFrontendsIsRefusedEvenWithReusePort(t *testing.T) {
	text := issueHeader + "frontend a\n    bind :80\n    default_backend be\nfrontend b\n    bind 0.0.0.0:80\n    default_backend be\nbackend be\n    server s 192.0.2.1:80\n"
	_, diags := Parse("c.cfg", []byte(text))
	if !diags.HasErrors() {
		t.Errorf("no error: the kernel would share the port's connections between two frontends at random")
	}
}

func TestTheStatsPageSharesNoPort(t *testing.T) {
	text := issueHeader + "listen stats\n    mode http\n    bind :9000\n    bind :::9000\n    stats enable\n"
	_, diags := Parse("c.cfg", []byte(text))
	if !diags.HasErrors() {
		t.Errorf("no error, but the stats page listens without SO_REUSEPORT: %v", diags)
	}
}
