package keepalived

import (
	"slices"
	"testing"
)

func TestSplitCommand(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"killall -0 haproxy", []string{"killall", "-0", "haproxy"}},
		{`/bin/sh -c "echo a b"`, []string{"/bin/sh", "-c", "echo a b"}},
		{`echo 'it''s'`, []string{"echo", "its"}},
		{`a\ b c`, []string{"a b", "c"}},
		{`  spaced   out  `, []string{"spaced", "out"}},
	}
	for _, tt := range tests {
		got, err := SplitCommand(tt.in)
		if err != nil || !slices.Equal(got, tt.want) {
			t.Errorf("SplitCommand(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
	for _, bad := range []string{"", "   ", `"open`, `trail\`} {
		if _, err := SplitCommand(bad); err == nil {
			t.Errorf("SplitCommand(%q) succeeded, want an error", bad)
		}
	}
}
