package directory

import (
	"context"
	"errors"
	"slices"
	"testing"
)

// revokeRecorder records what OnRevoke hands over, and fails while failing is set.
type revokeRecorder struct {
	calls   [][]string
	failing bool
}

func (r *revokeRecorder) revoke(_ context.Context, names []string) error {
	r.calls = append(r.calls, slices.Clone(names))
	if r.failing {
		return errors.New("store down")
	}
	return nil
}

func (r *revokeRecorder) last() []string {
	if len(r.calls) == 0 {
		return nil
	}
	return r.calls[len(r.calls)-1]
}

func TestOnRevoke(t *testing.T) {
	d := newCheap(t, "users:\n  alice: {}\n  bob: {}\n  carol: {}\n  dora: {disabled: true}\n")
	rec := &revokeRecorder{}
	d.OnRevoke(context.Background(), rec.revoke)
	if got, want := rec.last(), []string{"dora"}; !slices.Equal(got, want) {
		t.Errorf("at registration: revoked %q, want %q (disabled in the file)", got, want)
	}
	steps := []struct {
		name, content string
		failing       bool
		want          []string // handed over at this step; nil for no call
	}{
		{"disabled and removed", "users:\n  alice: {disabled: true}\n  carol: {}\n  dora: {disabled: true}\n", false, []string{"alice", "bob"}},
		{"unchanged file", "", false, nil},
		{"enabled again", "users:\n  alice: {}\n  carol: {}\n  dora: {}\n", false, nil},
		{"store down", "users:\n  alice: {}\n  dora: {}\n", true, []string{"carol"}},
		{"retried", "", false, []string{"carol"}},
	}
	for i, step := range steps {
		if step.content != "" {
			rewrite(t, d.path, step.content, i+1)
		}
		rec.failing = step.failing
		n := len(rec.calls)
		d.look(context.Background())
		switch {
		case step.want == nil && len(rec.calls) != n:
			t.Errorf("%s: revoked %q, want no call", step.name, rec.last())
		case step.want != nil && (len(rec.calls) != n+1 || !slices.Equal(rec.last(), step.want)):
			t.Errorf("%s: revoked %q, want %q", step.name, rec.last(), step.want)
		}
	}
}
