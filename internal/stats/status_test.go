package stats

import (
	"bytes"
	"encoding/json"
	"net/netip"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestStatusGolden(t *testing.T) {
	var b bytes.Buffer
	if err := WriteStatus(&b, DemoSnapshot(refNow)); err != nil {
		t.Fatal(err)
	}
	golden(t, "demo_status.txt", b.String())
}

func TestStatusShowsWhatAnOperatorAsksFirst(t *testing.T) {
	var b bytes.Buffer
	if err := WriteStatus(&b, DemoSnapshot(refNow)); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	tests := []struct{ name, want string }{
		{"the state of each instance and why", "MASTER  2m05s  100 → 110  this node        master-down timer expired"},
		{"what each tracker adds", "backend masters +10 (up), script chk_haproxy +0 (up)"},
		{"a tracker that forces FAULT", "interface eth1 FAULT (down)"},
		{"the master a backup hears", "192.0.2.3 (150)"},
		{"whether each VIP is on the host", "192.0.2.10/24 eth0 present"},
		{"a frontend's listeners and sessions", "310/20000  210/s  4021890  192.0.2.10:443 192.0.2.10:80"},
		{"a refused check and what the probe saw", "L4CON in 0ms  0         1/1     192.0.2.22:6443  2m07s ago  Layer4 connection problem: Connection refused"},
		{"an HTTP check's status", "L7STS/503 in 2ms"},
		{"a server in maintenance by the config", "maint (config)  paused"},
		{"a backend's usable servers", "2 of 4 servers usable, 41 sessions"},
		{"the stats page is not a DOWN backend", "stats  UP  statistics page"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !strings.Contains(out, tt.want) {
				t.Errorf("status lacks %q:\n%s", tt.want, out)
			}
		})
	}
	for i, l := range strings.Split(out, "\n") {
		if strings.HasSuffix(l, " ") || strings.ContainsRune(l, '\x1b') {
			t.Errorf("line %d has trailing blanks or a colour: %q", i+1, l)
		}
	}
}

func TestStatusOfAnEmptyNodeIsTheProcessOnly(t *testing.T) {
	var b bytes.Buffer
	if err := WriteStatus(&b, Snapshot{}); err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(b.String(), "\n"); n != 3 {
		t.Errorf("%d lines, want the 3 process lines:\n%s", n, b.String())
	}
}

func TestStatusJSONGolden(t *testing.T) {
	var b bytes.Buffer
	if err := WriteStatusJSON(&b, DemoSnapshot(refNow)); err != nil {
		t.Fatal(err)
	}
	golden(t, "demo_status.json", b.String())
}

func TestStatusJSONReadsBackIntoTheSnapshot(t *testing.T) {
	in := DemoSnapshot(refNow)
	var b bytes.Buffer
	if err := WriteStatusJSON(&b, in); err != nil {
		t.Fatal(err)
	}
	var out Snapshot
	if err := json.Unmarshal(b.Bytes(), &out); err != nil {
		t.Fatal(err)
	}
	opts := cmp.Options{
		cmp.Comparer(func(a, b netip.Addr) bool { return a == b }),
		cmp.Comparer(func(a, b netip.Prefix) bool { return a == b }),
	}
	if diff := cmp.Diff(withEmptyLists(in), out, opts); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}
}

func TestStatusJSONHasListsNeverNull(t *testing.T) {
	s := Snapshot{Backends: []Backend{{Name: "b"}}, VRRP: []Instance{{Name: "VI_1"}}, Groups: []SyncGroup{{Name: "G"}}}
	var b bytes.Buffer
	if err := WriteStatusJSON(&b, s); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(b.String(), "null") {
		t.Errorf("JSON holds null:\n%s", b.String())
	}
	if s.Backends[0].Servers != nil {
		t.Error("WriteStatusJSON changed the caller's snapshot")
	}
}

// TestStatusJSONFieldsAreDocumented keeps docs/STATUS.md and the schema
// together: every JSON field name the snapshot has appears in the doc.
func TestStatusJSONFieldsAreDocumented(t *testing.T) {
	doc := readDoc(t, "STATUS.md")
	var b bytes.Buffer
	if err := WriteStatusJSON(&b, DemoSnapshot(refNow)); err != nil {
		t.Fatal(err)
	}
	var v any
	if err := json.Unmarshal(b.Bytes(), &v); err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	var walk func(any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			for k, e := range x {
				seen[k] = true
				walk(e)
			}
		case []any:
			for _, e := range x {
				walk(e)
			}
		}
	}
	walk(v)
	for k := range seen {
		if !strings.Contains(doc, "`"+k+"`") {
			t.Errorf("docs/STATUS.md does not document the field %q", k)
		}
	}
}
