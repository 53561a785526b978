package stats

import (
	"bufio"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// FuzzStatsRequest sends arbitrary HTTP requests, as the stats listener's
// HTTP server would parse them, to the statistics page and to /metrics:
// they must answer, never panic.
func FuzzStatsRequest(f *testing.F) {
	for _, s := range []string{
		"GET /stats HTTP/1.1\r\nHost: x\r\n\r\n",
		"GET /stats;csv;norefresh HTTP/1.1\r\nHost: x\r\nAuthorization: Basic YWRtaW46c2VjcmV0\r\n\r\n",
		"HEAD /stats;csv HTTP/1.0\r\n\r\n",
		"POST /stats HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc",
		"GET /metrics HTTP/1.1\r\nHost: x\r\nAccept-Encoding: gzip\r\n\r\n",
		"GET /stats;;;csv%00 HTTP/1.1\r\nAuthorization: Basic !!!\r\n\r\n",
		"GET * HTTP/1.1\r\n\r\n",
	} {
		f.Add(s)
	}
	snap := DemoSnapshot(time.Date(2026, 12, 3, 8, 0, 0, 0, time.UTC))
	page := NewPage(statsFrontend("/stats", 5*time.Second, "admin:secret"), func() Snapshot { return snap }, nil)
	metrics := MetricsHandler(func() Snapshot { return snap })
	f.Fuzz(func(t *testing.T, raw string) {
		req, err := http.ReadRequest(bufio.NewReader(strings.NewReader(raw)))
		if err != nil {
			return // the HTTP server answers 400 before any handler runs
		}
		for _, h := range []http.Handler{page, metrics} {
			w := httptest.NewRecorder()
			h.ServeHTTP(w, req)
			if w.Code < 200 || w.Code > 599 {
				t.Fatalf("status %d", w.Code)
			}
		}
	})
}
