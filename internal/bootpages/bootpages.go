// Package bootpages hands back the pages of the halo binary that only
// starting up needed.
//
// A Go program's package initialisers, the configuration parsers and the
// setup of every part touch code and read-only data all over the
// executable; the kernel maps them, 64 KiB around each first touch, and
// they stay counted in the process's resident set although the steady
// state never runs them again. With GoBGP linked in that is most of a
// 33 MB binary, BGP configured or not. Release drops this process's
// mappings of the executable's read-only and executable pages
// (MADV_DONTNEED). The pages stay in the page cache, so what the steady
// state does use comes back on its first touch as a minor fault (no disk
// read), and the resident set becomes the working set. Writable mappings
// are never touched: dropping those would lose their contents.
//
// This is the kernel's "freeing unused kernel memory" after boot, done
// for a process; it trades one minor fault per 4 KiB page used later for
// a resident set that says what halo actually needs.
package bootpages

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// Release drops the executable's read-only mappings from this process's
// page tables and reports how many bytes of address space it covered.
func Release() (int, error) {
	regions, err := exeRegions("/proc/self/maps", "/proc/self/exe")
	if err != nil {
		return 0, err
	}
	total := 0
	for _, r := range regions {
		if err := madviseRange(r.start, r.end); err != nil {
			return total, fmt.Errorf("madvise %#x-%#x: %w", r.start, r.end, err)
		}
		total += int(r.end - r.start)
	}
	return total, nil
}

type region struct{ start, end uintptr }

// exeRegions lists the mappings in maps (the /proc/PID/maps format) that
// are of the file exe and not writable.
func exeRegions(maps, exe string) ([]region, error) {
	var st syscall.Stat_t
	if err := syscall.Stat(exe, &st); err != nil {
		return nil, err
	}
	f, err := os.Open(maps)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return parseMaps(bufio.NewScanner(f), st.Ino, uint32(unix.Major(st.Dev)), uint32(unix.Minor(st.Dev)))
}

// parseMaps picks the non-writable mappings of the file with inode ino on
// device major:minor. Lines it cannot read are skipped: a line's format
// is the kernel's, and an odd one only means one region less released.
func parseMaps(sc *bufio.Scanner, ino uint64, major, minor uint32) ([]region, error) {
	var out []region
	for sc.Scan() {
		// start-end perms offset major:minor inode [path]
		f := strings.Fields(sc.Text())
		if len(f) < 5 || len(f[1]) < 4 || f[1][1] == 'w' {
			continue
		}
		if n, err := strconv.ParseUint(f[4], 10, 64); err != nil || n != ino || n == 0 {
			continue
		}
		maj, min, ok := strings.Cut(f[3], ":")
		if !ok || !hexIs(maj, major) || !hexIs(min, minor) {
			continue
		}
		lo, hi, ok := strings.Cut(f[0], "-")
		if !ok {
			continue
		}
		s, err1 := strconv.ParseUint(lo, 16, 64)
		e, err2 := strconv.ParseUint(hi, 16, 64)
		if err1 != nil || err2 != nil || e <= s {
			continue
		}
		out = append(out, region{uintptr(s), uintptr(e)})
	}
	return out, sc.Err()
}

func hexIs(s string, want uint32) bool {
	v, err := strconv.ParseUint(s, 16, 32)
	return err == nil && uint32(v) == want
}

func madviseRange(start, end uintptr) error {
	_, _, errno := syscall.Syscall(syscall.SYS_MADVISE, start, end-start, unix.MADV_DONTNEED)
	if errno != 0 {
		return errno
	}
	return nil
}
