package stats

import (
	"bytes"
	"encoding/json"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"
)

// The Grafana dashboard in docs/grafana queries only families and labels
// that /metrics serves.
func TestGrafanaDashboardUsesExportedNames(t *testing.T) {
	data, err := os.ReadFile("../../docs/grafana/halo.json")
	if err != nil {
		t.Fatal(err)
	}
	var dash struct {
		Panels []struct {
			Title   string `json:"title"`
			Targets []struct {
				Expr   string `json:"expr"`
				Legend string `json:"legendFormat"`
			} `json:"targets"`
		} `json:"panels"`
		Templating struct {
			List []struct {
				Definition string `json:"definition"`
			} `json:"list"`
		} `json:"templating"`
	}
	if err := json.Unmarshal(data, &dash); err != nil {
		t.Fatalf("docs/grafana/halo.json: %v", err)
	}
	var buf bytes.Buffer
	if err := WriteMetrics(&buf, DemoSnapshot(time.Now())); err != nil {
		t.Fatal(err)
	}
	exported := map[string]bool{}
	labels := map[string]bool{"instance": true, "job": true, "__name__": true}
	for _, line := range strings.Split(buf.String(), "\n") {
		if strings.HasPrefix(line, "# TYPE ") {
			exported[strings.Fields(line)[2]] = true
		} else if i := strings.IndexByte(line, '{'); i > 0 && line[0] != '#' {
			for _, m := range regexp.MustCompile(`(\w+)="`).FindAllStringSubmatch(line[i:], -1) {
				labels[m[1]] = true
			}
		}
	}
	name := regexp.MustCompile(`\b(haproxy|keepalived|halo)_[a-z_]+\b`)
	label := regexp.MustCompile(`\{\{(\w+)\}\}`)
	check := func(where, expr string) {
		for _, n := range name.FindAllString(expr, -1) {
			if !exported[n] && !strings.HasSuffix(n, "_") {
				t.Errorf("%s: %s is not a family of /metrics", where, n)
			}
		}
	}
	queries := 0
	for _, p := range dash.Panels {
		for _, tg := range p.Targets {
			queries++
			check(p.Title, tg.Expr)
			for _, m := range label.FindAllStringSubmatch(tg.Legend, -1) {
				if !labels[m[1]] {
					t.Errorf("%s: legend label %s is not exported", p.Title, m[1])
				}
			}
		}
	}
	for _, v := range dash.Templating.List {
		check("variable", v.Definition)
	}
	if queries < 15 {
		t.Fatalf("only %d queries in the dashboard", queries)
	}
}
