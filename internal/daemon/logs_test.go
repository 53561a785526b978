package daemon

import (
	"net"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// With `log` targets and `option tcplog`, each connection gets HAProxy's
// TCP log line at its end, and halo's events (a server going DOWN, a
// reload) go to the global targets, all through a real syslog socket.
func TestConnectionAndEventLinesReachTheLogTargets(t *testing.T) {
	a := startEcho(t, "a")
	front, statsAt := freePort(t), freePort(t)
	dir := t.TempDir()
	sock := filepath.Join(dir, "log.sock")
	pc, err := net.ListenPacket("unixgram", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	lines := make(chan string, 100)
	go func() {
		buf := make([]byte, 4096)
		for {
			n, _, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			lines <- string(buf[:n])
		}
	}()
	ha := haproxyCfg(front, statsAt, a.addr())
	ha = strings.Replace(ha, "global\n", "global\n    log "+sock+" local0 info\n", 1)
	ha = strings.Replace(ha, "defaults\n", "defaults\n    log global\n    option tcplog\n", 1)
	s := newSiteIn(t, dir, ha, keepalivedConf(100))
	waitServing(t, front)
	wait := func(re *regexp.Regexp) string {
		t.Helper()
		deadline := time.After(5 * time.Second)
		for {
			select {
			case l := <-lines:
				if re.MatchString(l) {
					return l
				}
			case <-deadline:
				t.Fatalf("no log line matching %s", re)
			}
		}
	}
	if g := greeting(t, front); g != "a" {
		t.Fatalf("greeting %q", g)
	}
	wait(regexp.MustCompile(`^<134>\w{3} [ \d]\d \d\d:\d\d:\d\d halo\[\d+\]: 127\.0\.0\.1:\d+ \[\d\d/\w{3}/\d{4}:\d\d:\d\d:\d\d\.\d{3}\] main web/s1 \d+/\d+/\d+ 2 [-cCsS][-D] \d+/\d+/\d+/\d+/0 0/0$`))
	a.ln.Close()
	wait(regexp.MustCompile(`halo\[\d+\]: server is DOWN .*server=s1`))
	if err := s.d.Reload(); err != nil {
		t.Fatal(err)
	}
	wait(regexp.MustCompile(`halo\[\d+\]: reload done `))
}
