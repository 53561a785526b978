package stats

import (
	"bytes"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite testdata golden files")

func statCSV(t *testing.T, s Snapshot, f StatFilter) []string {
	t.Helper()
	var b bytes.Buffer
	if err := WriteStatCSV(&b, s, f); err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(b.String(), ",\n") {
		t.Fatalf("output does not end with a comma and a newline: %q", b.String())
	}
	return strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
}

// golden compares got with testdata/name, rewriting it under -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update)", err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("%s (-want +got):\n%s", path, diff)
	}
}

func TestHeaderIsHAProxy26s(t *testing.T) {
	want := readRef(t, "h_show_stat.csv")[0]
	got := statCSV(t, Snapshot{}, AllStats)
	if diff := cmp.Diff([]string{want}, got); diff != "" {
		t.Errorf("header (-want +got):\n%s", diff)
	}
}

// compareWithHAProxy holds halo's lines against a capture field by field:
// the same lines in the same order, the same fields empty, the same
// values but for the approximate ones.
func compareWithHAProxy(t *testing.T, ref string, s Snapshot, f StatFilter) {
	t.Helper()
	want := readRef(t, ref)
	got := statCSV(t, s, f)
	if want[0] != got[0] {
		t.Fatalf("header differs")
	}
	names := func(lines []string) []string {
		var out []string
		for _, l := range lines[1:] {
			n := strings.SplitN(l, ",", 3)
			out = append(out, n[0]+"/"+n[1])
		}
		return out
	}
	if diff := cmp.Diff(names(want), names(got)); diff != "" {
		t.Fatalf("lines (-want +got):\n%s", diff)
	}
	for i := 1; i < len(want); i++ {
		w, g := strings.Split(want[i], ","), strings.Split(got[i], ",")
		if len(w) != len(g) || len(g) != len(columns)+1 {
			t.Errorf("%s: %d fields, HAProxy %d", names(got)[i-1], len(g), len(w))
			continue
		}
		for j, c := range columns {
			switch {
			case (w[j] == "") != (g[j] == ""):
				t.Errorf("%s %s = %q, HAProxy %q", names(got)[i-1], c.name, g[j], w[j])
			case !approximate[c.name] && w[j] != g[j]:
				t.Errorf("%s %s = %q, HAProxy %q", names(got)[i-1], c.name, g[j], w[j])
			}
		}
	}
}

func TestShowStatMatchesHAProxy(t *testing.T) {
	user := AllStats
	user.HideLegends = true
	tests := []struct {
		name string
		ref  string
		snap Snapshot
		f    StatFilter
	}{
		{"a frontend, a backend with a refused and an unchecked server, a listen stats", "h_show_stat.csv", hSnapshot(), AllStats},
		{"every server state, HTTP checks, a listen and HTTP frontends", "r_show_stat.csv", rSnapshot(), AllStats},
		{"without legends, as a user-level socket", "r_show_stat_user.csv", rSnapshot(), user},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { compareWithHAProxy(t, tt.ref, tt.snap, tt.f) })
	}
}

func TestShowStatTypedMatchesHAProxy(t *testing.T) {
	var b bytes.Buffer
	if err := WriteStatTyped(&b, rSnapshot(), AllStats); err != nil {
		t.Fatal(err)
	}
	want := readRef(t, "r_show_stat_typed.txt")
	got := strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
	key := func(l string) (k, v string) {
		head, val, _ := strings.Cut(l, ":")
		tags, rest, _ := strings.Cut(val, ":")
		typ, value, _ := strings.Cut(rest, ":")
		return head + ":" + tags + ":" + typ, value
	}
	var wk, gk []string
	wv, gv := map[string]string{}, map[string]string{}
	for _, l := range want {
		k, v := key(l)
		wk, wv[k] = append(wk, k), v
	}
	for _, l := range got {
		k, v := key(l)
		gk, gv[k] = append(gk, k), v
	}
	if diff := cmp.Diff(wk, gk); diff != "" {
		t.Fatalf("typed fields (-want +got):\n%s", diff)
	}
	for _, k := range wk {
		name := strings.Split(k, ".")[4]
		if !approximate[name] && wv[k] != gv[k] {
			t.Errorf("%s = %q, HAProxy %q", k, gv[k], wv[k])
		}
	}
}

// TestFilterSelectsAsHAProxy replays the `show stat PX TYPES SID`
// commands run against HAProxy on r.cfg and the lines it answered.
func TestFilterSelectsAsHAProxy(t *testing.T) {
	tests := []struct {
		name string
		f    StatFilter
		want []string
	}{
		{"-1 3 -1 lists frontends and backends", StatFilter{Proxy: "-1", Types: 3, SID: -1},
			[]string{"web/FRONTEND", "app/BACKEND", "webhttp/FRONTEND", "webhttp/BACKEND", "okhttp/FRONTEND", "badhttp/FRONTEND", "target/FRONTEND", "empty/BACKEND"}},
		{"app 4 2 lists one server by name and sid", StatFilter{Proxy: "app", Types: 4, SID: 2}, []string{"app/down1"}},
		{"3 -1 -1 selects a proxy by iid", StatFilter{Proxy: "3", Types: -1, SID: -1},
			[]string{"app/up1", "app/down1", "app/maint1", "app/drain1", "app/slow1", "app/bk1", "app/BACKEND"}},
		{"4 -1 -1 selects both halves of a listen", StatFilter{Proxy: "4", Types: -1, SID: -1},
			[]string{"webhttp/FRONTEND", "webhttp/ok", "webhttp/bad", "webhttp/BACKEND"}},
		{"webhttp 1 -1 lists the front half of a listen", StatFilter{Proxy: "webhttp", Types: 1, SID: -1}, []string{"webhttp/FRONTEND"}},
		{"99 -1 -1 names no proxy and lists nothing", StatFilter{Proxy: "99", Types: -1, SID: -1}, nil},
		{"types 0 list nothing", StatFilter{Proxy: "app", Types: 0, SID: -1}, nil},
		{"-1 7 1 keeps frontends and backends and server 1 of each",
			StatFilter{Proxy: "-1", Types: 7, SID: 1},
			[]string{"web/FRONTEND", "app/up1", "app/BACKEND", "webhttp/FRONTEND", "webhttp/ok", "webhttp/BACKEND", "okhttp/FRONTEND", "badhttp/FRONTEND", "target/FRONTEND", "empty/none", "empty/BACKEND"}},
		{"-1 4 0 matches no server", StatFilter{Proxy: "-1", Types: 4, SID: 0}, nil},
		{"an empty proxy means all", StatFilter{Types: 2, SID: -1}, []string{"app/BACKEND", "webhttp/BACKEND", "empty/BACKEND"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, l := range statCSV(t, rSnapshot(), tt.f)[1:] {
				f := strings.SplitN(l, ",", 3)
				got = append(got, f[0]+"/"+f[1])
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("lines (-want +got):\n%s", diff)
			}
		})
	}
}

func TestUnknownProxyNameIsAnErrorAndWritesNothing(t *testing.T) {
	for _, write := range []func(*bytes.Buffer) error{
		func(b *bytes.Buffer) error {
			return WriteStatCSV(b, rSnapshot(), StatFilter{Proxy: "nosuch", Types: -1, SID: -1})
		},
		func(b *bytes.Buffer) error {
			return WriteStatTyped(b, rSnapshot(), StatFilter{Proxy: "nosuch", Types: -1, SID: -1})
		},
	} {
		var b bytes.Buffer
		err := write(&b)
		if !errors.Is(err, ErrNoProxy) || !strings.Contains(err.Error(), `"nosuch"`) {
			t.Errorf("err = %v, want ErrNoProxy naming the proxy", err)
		}
		if b.Len() != 0 {
			t.Errorf("wrote %q before the error", b.String())
		}
	}
}

func TestListenHalvesRenderAsOneProxyInIIDOrder(t *testing.T) {
	s := Snapshot{
		// The file declares backend b (2), listen l (3), frontend f (4):
		// the snapshot lists frontends first, the dump follows the file.
		Frontends: []Frontend{{Name: "f", ID: 4}, {Name: "l", ID: 3}},
		Backends: []Backend{
			{Name: "b", ID: 2, Servers: []Server{{Name: "b1", ID: 1, Status: "UP", Weight: 1}}},
			{Name: "l", ID: 3, Servers: []Server{{Name: "l1", ID: 1, Status: "UP", Weight: 1}}},
		},
	}
	var got []string
	for _, l := range statCSV(t, s, AllStats)[1:] {
		f := strings.SplitN(l, ",", 3)
		got = append(got, f[0]+"/"+f[1])
	}
	want := []string{"b/b1", "b/BACKEND", "l/FRONTEND", "l/l1", "l/BACKEND", "f/FRONTEND"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("lines (-want +got):\n%s", diff)
	}
}

func TestFieldsThatHoldCommasOrLineBreaksStayOneField(t *testing.T) {
	s := Snapshot{Backends: []Backend{{Name: "b", Servers: []Server{{
		Name: "s", ID: 1, Status: "DOWN",
		Check: &Check{Enabled: true, Status: "L7RSP", Desc: "Layer7 invalid response", Detail: "got \"HTTP/1.0 500\",\nthen closed"},
	}}}}}
	lines := statCSV(t, s, AllStats)
	if len(lines) != 3 {
		t.Fatalf("got %d lines, want header, server and backend:\n%s", len(lines), strings.Join(lines, "\n"))
	}
	if !strings.Contains(lines[1], `,"got ""HTTP/1.0 500"", then closed",`) {
		t.Errorf("last_chk not quoted on one line: %s", lines[1])
	}
}

func TestEveryFilledFieldHasTypedTags(t *testing.T) {
	for _, s := range []Snapshot{DemoSnapshot(refNow), rSnapshot(), hSnapshot()} {
		eachRow(s, AllStats, func(r row) {
			for i, v := range r.fields {
				if v != "" && i != sepIndex && columns[i].tags[r.typ] == "" {
					t.Errorf("%s/%s fills %s, which has no tags for row type %d", r.get("pxname"), r.get("svname"), columns[i].name, r.typ)
				}
			}
		})
	}
}

func TestDemoStatGolden(t *testing.T) {
	var csv, typed bytes.Buffer
	if err := WriteStatCSV(&csv, DemoSnapshot(refNow), AllStats); err != nil {
		t.Fatal(err)
	}
	if err := WriteStatTyped(&typed, DemoSnapshot(refNow), AllStats); err != nil {
		t.Fatal(err)
	}
	golden(t, "demo_show_stat.csv", csv.String())
	golden(t, "demo_show_stat_typed.txt", typed.String())
}
