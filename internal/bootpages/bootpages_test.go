package bootpages

import (
	"bufio"
	"os"
	"strconv"
	"strings"
	"testing"
)

func TestParseMapsPicksTheExecutablesReadOnlyMappings(t *testing.T) {
	const maps = `00400000-00402000 r--p 00000000 fe:01 1234 /usr/bin/halo
00402000-00dd4000 r-xp 00002000 fe:01 1234 /usr/bin/halo
00dd4000-01986000 r--p 009d4000 fe:01 1234 /usr/bin/halo
01986000-01a0e000 rw-p 01585000 fe:01 1234 /usr/bin/halo
01a0e000-03aff000 rw-p 00000000 00:00 0
7f00000000-7f00001000 r-xp 00000000 fe:01 1235 /usr/lib/libc.so.6
7f00002000-7f00003000 r-xp 00000000 fe:02 1234 /other/device/same/inode
garbage line
7f00004000-7f00003000 r-xp 00000000 fe:01 1234 /usr/bin/halo
`
	got, err := parseMaps(bufio.NewScanner(strings.NewReader(maps)), 1234, 0xfe, 0x01)
	if err != nil {
		t.Fatal(err)
	}
	want := []region{{0x400000, 0x402000}, {0x402000, 0xdd4000}, {0xdd4000, 0x1986000}}
	if len(got) != len(want) {
		t.Fatalf("got %x, want %x", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("region %d: got %x, want %x", i, got[i], want[i])
		}
	}
}

// Release in this very test binary: the process keeps running (its code
// comes back on use) and the file-backed part of its resident set shrinks.
func TestReleaseShrinksTheFileBackedResidentSet(t *testing.T) {
	before := rssFileKB(t)
	n, err := Release()
	if err != nil {
		t.Fatal(err)
	}
	if n == 0 {
		t.Fatal("Release found no mappings of the executable")
	}
	after := rssFileKB(t)
	t.Logf("RssFile %d kB -> %d kB (%d kB of mappings released)", before, after, n>>10)
	if after >= before {
		t.Fatalf("RssFile did not shrink: %d kB -> %d kB", before, after)
	}
}

func rssFileKB(t *testing.T) int {
	t.Helper()
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Skip("no /proc/self/status:", err)
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "RssFile:"); ok {
			n, err := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(v), " kB"))
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
	}
	t.Skip("no RssFile in /proc/self/status")
	return 0
}

// parseMaps never panics and returns only well-formed, non-empty,
// non-writable regions, whatever the text.
func FuzzParseMaps(f *testing.F) {
	f.Add("00400000-00402000 r--p 00000000 fe:01 1234 /usr/bin/halo\n")
	f.Add("00402000-00dd4000 rw-p 00002000 fe:01 1234 /usr/bin/halo\nffffffffffffffff-0 r-xp 0 fe:01 1234\n")
	f.Fuzz(func(t *testing.T, text string) {
		got, err := parseMaps(bufio.NewScanner(strings.NewReader(text)), 1234, 0xfe, 0x01)
		if err != nil {
			return // a line longer than the scanner's buffer
		}
		for _, r := range got {
			if r.end <= r.start {
				t.Fatalf("empty or inverted region %x from %q", r, text)
			}
		}
	})
}
