package priv

import (
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
)

// CheckScript applies enable_script_security to the program argv0 run as
// runAs: it is refused when the file, or any directory on the way to it
// (as written and after symlinks), may be changed by anyone but root and
// runAs — owned by another user, writable by a group other than root's, or
// writable by everyone (a sticky directory excepted: its entries can only
// be replaced by their owners, which are checked in turn). A relative name
// is looked up in PATH, as the script would be run.
func CheckScript(argv0 string, runAs Account) error {
	path, err := exec.LookPath(argv0)
	if err != nil {
		return fmt.Errorf("%s: %w", argv0, unwrapExecError(err))
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return err
	}
	real, err := filepath.EvalSymlinks(abs)
	if err != nil {
		return err
	}
	seen := map[string]bool{}
	for _, p := range []string{abs, real} {
		for q := p; ; q = filepath.Dir(q) {
			if !seen[q] {
				seen[q] = true
				if err := checkOne(q, runAs); err != nil {
					return err
				}
			}
			if q == "/" || q == "." {
				break
			}
		}
	}
	return nil
}

// checkOne judges one path component; a symlink itself is not judged (its
// target's chain is).
func checkOne(p string, runAs Account) error {
	fi, err := os.Lstat(p)
	if err != nil {
		return err
	}
	if fi.Mode()&fs.ModeSymlink != 0 {
		return nil
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return fmt.Errorf("%s: no owner information", p)
	}
	perm := fi.Mode().Perm()
	switch {
	case st.Uid != 0 && int(st.Uid) != runAs.UID:
		return fmt.Errorf("%s is owned by uid %d, who could change what runs as %s", p, st.Uid, runAs.Name)
	case perm&0o020 != 0 && st.Gid != 0:
		return fmt.Errorf("%s is writable by group %d (mode %04o)", p, st.Gid, perm)
	case perm&0o002 != 0 && !(fi.IsDir() && fi.Mode()&fs.ModeSticky != 0):
		return fmt.Errorf("%s is writable by every user (mode %04o)", p, perm)
	}
	return nil
}

func unwrapExecError(err error) error {
	if ee, ok := err.(*exec.Error); ok {
		return ee.Err
	}
	return err
}
