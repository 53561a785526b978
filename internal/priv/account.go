package priv

import (
	"fmt"
	"os"
	"os/user"
	"strconv"
)

// Account is a user and group to run as.
type Account struct {
	Name string // user name, or the number as written when it has no passwd entry
	UID  int
	GID  int
}

func (a Account) String() string { return fmt.Sprintf("%s (uid %d gid %d)", a.Name, a.UID, a.GID) }

// IsRoot reports whether a is the superuser.
func (a Account) IsRoot() bool { return a.UID == 0 }

// Current is the account of this process (effective ids).
func Current() Account {
	uid, gid := os.Geteuid(), os.Getegid()
	name := strconv.Itoa(uid)
	if u, err := user.LookupId(name); err == nil {
		name = u.Username
	}
	return Account{Name: name, UID: uid, GID: gid}
}

// LookupAccount resolves a user (name or number) and an optional group
// (name or number; "" = the user's primary group).
func LookupAccount(userName, group string) (Account, error) {
	var a Account
	u, err := lookupUser(userName)
	switch {
	case err == nil:
		a.Name = u.Username
		a.UID, _ = strconv.Atoi(u.Uid)
		a.GID, _ = strconv.Atoi(u.Gid)
	case isNumber(userName):
		// A bare uid need not be in /etc/passwd (HAProxy's `uid`), but then
		// only a group given explicitly says which gid to take.
		a.Name = userName
		a.UID, _ = strconv.Atoi(userName)
		a.GID = -1
	default:
		return Account{}, fmt.Errorf("user %q: no such user", userName)
	}
	if group != "" {
		g, err := lookupGroup(group)
		switch {
		case err == nil:
			a.GID, _ = strconv.Atoi(g.Gid)
		case isNumber(group):
			a.GID, _ = strconv.Atoi(group)
		default:
			return Account{}, fmt.Errorf("group %q: no such group", group)
		}
	}
	if a.GID < 0 {
		return Account{}, fmt.Errorf("user %s has no passwd entry: give its group too", userName)
	}
	return a, nil
}

func lookupUser(s string) (*user.User, error) {
	if isNumber(s) {
		return user.LookupId(s)
	}
	return user.Lookup(s)
}

func lookupGroup(s string) (*user.Group, error) {
	if isNumber(s) {
		return user.LookupGroupId(s)
	}
	return user.LookupGroup(s)
}

func isNumber(s string) bool {
	n, err := strconv.Atoi(s)
	return err == nil && n >= 0
}
