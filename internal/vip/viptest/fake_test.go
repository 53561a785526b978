package viptest

import (
	"context"
	"errors"
	"net/netip"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/halo-lb/halo/internal/vip"
)

// holder is the method set a consumer declares; both the real Manager and
// the Fake provide it.
type holder interface {
	Add(vip.Address) error
	Delete(vip.Address) error
	Has(vip.Address) (bool, error)
	Announce(context.Context, vip.Address, int, time.Duration) error
}

var (
	_ holder = (*vip.Manager)(nil)
	_ holder = (*Fake)(nil)
)

func TestFakeRecordsAndHolds(t *testing.T) {
	var f Fake
	a := vip.Address{Prefix: netip.MustParsePrefix("192.0.2.100/32"), Dev: "eth0"}
	b := a
	b.Label = "eth0:1" // same address: the same kernel entry
	if err := f.Add(a); err != nil {
		t.Fatal(err)
	}
	if err := f.Announce(context.Background(), a, 5, 0); err != nil {
		t.Fatal(err)
	}
	if has, _ := f.Has(b); !has {
		t.Error("Has = false after Add")
	}
	if err := f.Delete(b); err != nil {
		t.Fatal(err)
	}
	if has, _ := f.Has(a); has {
		t.Error("Has = true after Delete")
	}
	want := []Call{
		{Op: "add", Addr: "192.0.2.100/32 dev eth0"},
		{Op: "announce", Addr: "192.0.2.100/32 dev eth0", Count: 5},
		{Op: "delete", Addr: "192.0.2.100/32 dev eth0 label eth0:1"},
	}
	if diff := cmp.Diff(want, f.Calls()); diff != "" {
		t.Errorf("calls (-want +got):\n%s", diff)
	}
	f.Err = errors.New("boom")
	if err := f.Add(a); err == nil {
		t.Error("Add with Err set succeeded")
	}
}
