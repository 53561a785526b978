package lab

import (
	"bytes"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/halo-lb/halo/internal/testutil"
)

// The lab runs the article's files exactly as examples/seed ships them.
func TestSeedFilesMatchExamples(t *testing.T) {
	for _, name := range []string{"haproxy.cfg", "keepalived-master.conf", "keepalived-backup.conf"} {
		want, err := os.ReadFile("../../examples/seed/" + name)
		if err != nil {
			t.Fatal(err)
		}
		got, err := seedFiles.ReadFile("seed/" + name)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("internal/lab/seed/%s differs from examples/seed/%s: copy it again", name, name)
		}
	}
}

// `halo lab handover kill` builds the lab, runs a planned and an abrupt
// change and cleans up (CI runs the whole lab once on its own).
func TestLabRunsTheArticlesDrill(t *testing.T) {
	testutil.RequireRoot(t)
	bin := testutil.HaloBinary(t)
	out, err := exec.Command(bin, "lab", "handover", "kill").CombinedOutput()
	if err != nil {
		t.Fatalf("halo lab handover kill: %v\n%s", err, out)
	}
	for _, want := range []string{"lb1 is MASTER", "lb2 holds 192.0.2.231", "lb2 took 192.0.2.231", "\nhandover ", "\nkill ", "0 cut"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	ns, _ := exec.Command("ip", "netns", "list").Output()
	if strings.Contains(string(ns), "halo-lab") {
		t.Errorf("halo lab left namespaces behind:\n%s", ns)
	}
}
