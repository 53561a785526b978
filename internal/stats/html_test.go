package stats

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestPageGolden(t *testing.T) {
	var b bytes.Buffer
	if err := WriteHTML(&b, DemoSnapshot(refNow), HTMLOptions{URI: "/stats", Refresh: 10e9}); err != nil {
		t.Fatal(err)
	}
	golden(t, "demo_page.html", b.String())
}

func TestPageShowsChecksVRRPAndTheProcess(t *testing.T) {
	var b bytes.Buffer
	if err := WriteHTML(&b, DemoSnapshot(refNow), HTMLOptions{URI: "/stats"}); err != nil {
		t.Fatal(err)
	}
	page := b.String()
	tests := []struct{ name, want string }{
		{"a passed TCP check and its time", ">L4OK in 1ms<"},
		{"a refused check", ">L4CON in 0ms<"},
		{"an HTTP status check", ">L7STS/503 in 2ms<"},
		{"the probe's words in the tooltip", `title="Layer4 connection problem: Connection refused"`},
		{"the last change with the state", ">2m07s DOWN<"},
		{"the downtime", "<td>2m07s</td>"},
		{"the failed checks", "<td>12</td>"},
		{"the admin state", ">drain<"},
		{"maintenance set by the config", `<abbr title="set by the config (disabled)">maint*</abbr>`},
		{"the slowstart throttle", ">30 %<"},
		{"a server going down", `class="active_going_down"`},
		{"the VRRP state", `class="c vrrp_master">MASTER<`},
		{"why the state", "higher priority master 192.0.2.3 (150)"},
		{"the priorities", ">100 → 110<"},
		{"a tracker's contribution", "backend masters: &#43;10 (up)"},
		{"the master", ">192.0.2.3 (150)<"},
		{"a VIP present", `<span class="vip_present">192.0.2.10/24</span> eth0 present`},
		{"a VIP absent", `<span class="vip_absent">192.0.2.12/24</span> eth0 absent`},
		{"the pid", "<dt>pid</dt><dd>4242</dd>"},
		{"the uptime", "<dt>uptime</dt><dd>3d 4h12m09s</dd>"},
		{"the maxconn", "<dt>maxconn</dt><dd>20000</dd>"},
		{"the current connections", "<dt>current conns</dt><dd>351</dd>"},
		{"the CSV link after the URI", `href="/stats;csv"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !strings.Contains(page, tt.want) {
				t.Errorf("page lacks %q", tt.want)
			}
		})
	}
	stats := page[strings.Index(page, `<a id="stats">`):]
	if strings.Contains(stats, "backend_down") || strings.Contains(stats, "DOWN") {
		t.Error("the stats page's own backend shows as DOWN")
	}
}

func TestPageEscapesNames(t *testing.T) {
	s := Snapshot{Backends: []Backend{{Name: "<script>x</script>", Servers: []Server{{Name: "x\" onclick=\"y", Status: "UP"}}}}}
	var b bytes.Buffer
	if err := WriteHTML(&b, s, HTMLOptions{}); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(b.String(), "<script>x") || strings.Contains(b.String(), "x\" onclick") {
		t.Error("a name reached the page unescaped")
	}
}

func readDoc(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "docs", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
