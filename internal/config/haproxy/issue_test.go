package haproxy

import (
	"strings"
	"testing"
)

// issueHeader is a valid start for the configurations of TestIssueForms:
// timeouts set, so that only the form under test can warn.
const issueHeader = `defaults
    mode tcp
    timeout connect 5s
    timeout client 30s
    timeout server 30s
`

// TestIssueForms holds the forms the compatibility issue reports, each as
// HAProxy 2.6 reads it: accepted without a diagnostic, accepted with a
// warning that says what halo does, or refused with an error naming the line.
func TestIssueForms(t *testing.T) {
	tests := []struct {
		name string
		cfg  string
		want []string // every diagnostic, "LINE: severity: substring"; nil = none
	}{
		{
			name: "a bare tcp-check is an error, not a panic",
			cfg:  issueHeader + "backend b\n    tcp-check\n    server s 192.0.2.1:80\n",
			want: []string{"7: error: backend 'b': 'tcp-check' needs connect"},
		},
		{
			name: "http-check expect string is accepted",
			cfg: issueHeader + `backend b
    option httpchk GET /healthz
    http-check expect string ok
    server s 192.0.2.1:80 check
`,
		},
		{
			name: "http-check expect ! status 500 is accepted",
			cfg: issueHeader + `backend b
    option httpchk
    http-check expect ! status 500
    server s 192.0.2.1:80 check
`,
		},
		{
			name: "the kubeadm HA guide's checks are accepted",
			cfg: issueHeader + `backend apiserverbackend
    option httpchk
    http-check connect ssl
    http-check send meth GET uri /healthz
    http-check expect status 200
    balance roundrobin
    server m0 192.0.2.1:6443 check verify none
`,
		},
		{
			name: "a bare balance means roundrobin",
			cfg:  issueHeader + "backend b\n    balance\n    server s 192.0.2.1:80\n",
		},
		{
			name: "strict-limits is accepted in global",
			cfg:  "global\n    strict-limits\n" + issueHeader + "backend b\n    server s 192.0.2.1:80\n",
		},
		{
			name: "no strict-limits is accepted in global",
			cfg:  "global\n    no strict-limits\n" + issueHeader + "backend b\n    server s 192.0.2.1:80\n",
		},
		{
			name: "monitor-uri with monitor fail is accepted in a mode http listen",
			cfg: issueHeader + `listen health_check_http_url
    bind :9444
    mode http
    monitor-uri /haproxy_ready
    monitor fail if { nbsrv(masters) lt 1 }
backend masters
    server m0 192.0.2.1:6443 check
`,
		},
		{
			name: "load-server-state-from-file is accepted",
			cfg:  "global\n    server-state-file /var/lib/haproxy/state\n" + issueHeader + "    load-server-state-from-file global\nbackend b\n    server s 192.0.2.1:80\n",
		},
		{
			name: "a dual-stack pair of binds on one port is accepted",
			cfg:  issueHeader + "frontend fe\n    bind 0.0.0.0:8081\n    bind :::8081\n    default_backend b\nbackend b\n    server s 192.0.2.1:80\n",
		},
		{
			name: "a dual-stack pair of binds conflicts without SO_REUSEPORT",
			cfg:  "global\n    noreuseport\n" + issueHeader + "frontend fe\n    bind 0.0.0.0:8081\n    bind :::8081\n    default_backend b\nbackend b\n    server s 192.0.2.1:80\n",
			want: []string{"10: error: frontend 'fe': bind [::]:8081 (IPv6 and IPv4) overlaps 0.0.0.0:8081 (IPv4 only) (line 9): with global 'noreuseport'"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, diags := Parse("issue.cfg", []byte(tt.cfg))
			var got []string
			for _, d := range diags {
				got = append(got, d.String())
			}
			if len(got) != len(tt.want) {
				t.Fatalf("got %d diagnostics, want %d:\n%s", len(got), len(tt.want), strings.Join(got, "\n"))
			}
			for i, w := range tt.want {
				if !strings.Contains(got[i], "issue.cfg:"+w) && !strings.Contains(got[i], w) {
					t.Errorf("diagnostic %d = %q, want it to contain %q", i, got[i], w)
				}
			}
		})
	}
}
