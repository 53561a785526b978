package stats

import (
	"html/template"
	"io"
	"os"
	"time"

	"github.com/halo-lb/halo/internal/proxy"
)

// htmlRow is one line of a proxy's table.
type htmlRow struct {
	Label string // "Frontend", a server name, "Backend"
	Class string // row class: frontend, backend, active_up, backup_down...
	row
}

type htmlProxy struct {
	Name string
	Rows []htmlRow
}

type htmlPage struct {
	Title   string
	Refresh int64 // seconds; 0 = none
	Now     string
	Proxies []htmlProxy
}

// serverClass names a server row's colour after HAProxy's legend: active
// or backup, then its state.
func serverClass(r row) string {
	kind := "active_"
	if r.Get("bck") == "1" {
		kind = "backup_"
	}
	switch r.Get("status") {
	case "UP":
		return kind + "up"
	case "DOWN":
		return kind + "down"
	case "MAINT":
		return "maintain"
	case "DRAIN":
		return kind + "draining"
	default:
		return kind + "no_check"
	}
}

func backendClass(r row) string {
	if r.Get("status") == "DOWN" {
		return "backend_down"
	}
	return "backend"
}

func writeHTML(w io.Writer, s proxy.Snapshot, refresh time.Duration) error {
	host, _ := os.Hostname()
	pg := htmlPage{
		Title:   "Statistics Report for halo on " + host,
		Refresh: int64((refresh + time.Second - 1) / time.Second),
		Now:     time.Now().UTC().Format(time.RFC1123),
	}
	for _, p := range group(s) {
		hp := htmlProxy{Name: p.Name}
		if p.Frontend != nil {
			hp.Rows = append(hp.Rows, htmlRow{"Frontend", "frontend", p.Frontend})
		}
		for _, r := range p.Servers {
			hp.Rows = append(hp.Rows, htmlRow{r.Get("svname"), serverClass(r), r})
		}
		if p.Backend != nil {
			hp.Rows = append(hp.Rows, htmlRow{"Backend", backendClass(p.Backend), p.Backend})
		}
		pg.Proxies = append(pg.Proxies, hp)
	}
	return page.Execute(w, pg)
}

var page = template.Must(template.New("stats").Parse(`<!DOCTYPE html>
<html><head><meta charset="utf-8">
{{- if .Refresh}}
<meta http-equiv="refresh" content="{{.Refresh}}">
{{- end}}
<title>{{.Title}}</title>
<style>
body { font-family: arial, helvetica, sans-serif; font-size: 12px; }
table { border-collapse: collapse; margin-bottom: 1em; }
th, td { border: 1px solid #999; padding: 1px 4px; font-size: 11px; text-align: right; }
th.pxname { background: #20a0ff; color: #fff; text-align: left; }
td.name { text-align: left; }
.titre { background: #20d0d0; }
.frontend, .backend { background: #e8e8d0; }
.backend_down { background: #ff9090; }
.active_up { background: #c0ffc0; }
.backup_up { background: #b0d0ff; }
.active_down, .backup_down { background: #ff9090; }
.active_draining, .backup_draining, .maintain { background: #20a0ff; }
.active_no_check, .backup_no_check { background: #e0e0e0; }
</style></head>
<body>
<h1>{{.Title}}</h1>
<p>{{.Now}}</p>
{{- range .Proxies}}
<table>
<tr><th class="pxname" colspan="20">{{.Name}}</th></tr>
<tr class="titre"><th rowspan="2"></th><th colspan="2">Queue</th><th colspan="4">Sessions</th><th colspan="2">Bytes</th><th colspan="2">Denied</th><th colspan="3">Errors</th><th colspan="2">Warnings</th><th colspan="4">Server</th></tr>
<tr class="titre"><th>Cur</th><th>Max</th><th>Cur</th><th>Max</th><th>Limit</th><th>Total</th><th>In</th><th>Out</th><th>Req</th><th>Resp</th><th>Req</th><th>Conn</th><th>Resp</th><th>Retr</th><th>Redis</th><th>Status</th><th>Wght</th><th>Act</th><th>Bck</th></tr>
{{- range .Rows}}
<tr class="{{.Class}}"><td class="name">{{.Label}}</td><td>{{.Get "qcur"}}</td><td>{{.Get "qmax"}}</td><td>{{.Get "scur"}}</td><td>{{.Get "smax"}}</td><td>{{.Get "slim"}}</td><td>{{.Get "stot"}}</td><td>{{.Get "bin"}}</td><td>{{.Get "bout"}}</td><td>{{.Get "dreq"}}</td><td>{{.Get "dresp"}}</td><td>{{.Get "ereq"}}</td><td>{{.Get "econ"}}</td><td>{{.Get "eresp"}}</td><td>{{.Get "wretr"}}</td><td>{{.Get "wredis"}}</td><td>{{.Get "status"}}</td><td>{{.Get "weight"}}</td><td>{{.Get "act"}}</td><td>{{.Get "bck"}}</td></tr>
{{- end}}
</table>
{{- end}}
</body></html>
`))
