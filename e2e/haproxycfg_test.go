package e2e

import (
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/halo-lb/halo/internal/drill"
	"github.com/halo-lb/halo/internal/testutil"
)

// The repository's real-world haproxy.cfg files run as written: halo
// listens on every port they bind, and stops cleanly on SIGTERM.
func TestExampleHAProxyConfigsRun(t *testing.T) {
	cases := []struct {
		file  string
		ports []int
		stats string // a `listen stats` page expected to list this backend
	}{
		// The seed's servers are names that do not resolve here: they start
		// DOWN and halo still serves the frontends.
		{"../examples/seed/haproxy.cfg", []int{8443, 80, 443}, ""},
		{"../examples/openshift/haproxy.cfg", []int{6443, 22623, 443, 80, 9000}, "api-server"},
	}
	for _, tc := range cases {
		t.Run(tc.file, func(t *testing.T) {
			lab := newLab(t, "halo-cfg")
			// An address outside the configs' server range, so no server
			// is reachable and none is this host.
			h, err := lab.AddHost("lb", "198.51.100.1/24")
			if err != nil {
				t.Fatal(err)
			}
			text, err := os.ReadFile(tc.file)
			if err != nil {
				t.Fatal(err)
			}
			s := &drill.Site{Lab: lab, Dir: t.TempDir()}
			n, err := s.Start(h, drill.NodeSpec{Kind: drill.Halo, HaloBinary: testutil.HaloBinary(t), HAProxy: isolate(string(text), s.Dir)})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() {
				n.Stop(3 * time.Second)
				if t.Failed() {
					t.Logf("halo log:\n%s", tail(n.Logs(), 40))
				}
			})
			for _, port := range tc.ports {
				waitListening(t, h, fmt.Sprintf("198.51.100.1:%d", port), false)
			}
			if tc.stats != "" {
				var body []byte
				err := h.Do(func() error {
					c, err := net.DialTimeout("tcp", "198.51.100.1:9000", time.Second)
					if err != nil {
						return err
					}
					defer c.Close()
					c.SetDeadline(time.Now().Add(2 * time.Second))
					fmt.Fprintf(c, "GET /;csv HTTP/1.0\r\n\r\n")
					body, err = io.ReadAll(c)
					return err
				})
				if err != nil || !strings.Contains(string(body), "200 OK") || !strings.Contains(string(body), tc.stats+",master-0,") {
					t.Errorf("stats page on :9000: %v\n%s", err, body)
				}
			}
			n.Signal(syscall.SIGTERM)
			if !n.Wait(5 * time.Second) {
				t.Fatal("halo did not stop within 5 s of SIGTERM")
			}
			if c := n.ExitCodes(); c[0] != 0 {
				t.Errorf("exit code %v after SIGTERM, want 0", c)
			}
		})
	}
}
