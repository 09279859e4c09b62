package store

import (
	"context"
	"strings"
	"testing"
	"time"
)

// appendAt adds an event of user with action at the clock's time plus d.
func appendAt(t *testing.T, s *Store, c *clock, d time.Duration, user, action string) {
	t.Helper()
	e := Event{Time: c.t.Add(d), User: user, Action: action}
	if err := s.AppendAudit(context.Background(), e); err != nil {
		t.Fatalf("AppendAudit: %v", err)
	}
}

func actions(events []Event) string {
	var out []string
	for _, e := range events {
		out = append(out, e.User+":"+e.Action)
	}
	return strings.Join(out, " ")
}

func testPruneAuditDropsOnlyOlderEvents(t *testing.T, open opener) {
	s, c := open(t)
	ctx := context.Background()
	appendAt(t, s, c, -3*time.Hour, "alice", "old")
	appendAt(t, s, c, -2*time.Hour, "bob", "old")
	appendAt(t, s, c, -time.Hour, "alice", "kept")
	appendAt(t, s, c, 0, "bob", "kept")
	n, err := s.PruneAudit(ctx, c.t.Add(-90*time.Minute))
	if err != nil || n != 2 {
		t.Fatalf("PruneAudit = %d, %v; want 2, nil", n, err)
	}
	all, err := s.AuditEvents(ctx, "", 0)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := actions(all), "alice:kept bob:kept"; got != want {
		t.Errorf("got %q after pruning, want %q", got, want)
	}
}

func testAuditQueryFilters(t *testing.T, open opener) {
	s, c := open(t)
	appendAt(t, s, c, -2*time.Hour, "alice", "a")
	appendAt(t, s, c, -time.Hour, "bob", "b")
	appendAt(t, s, c, 0, "alice", "c")
	tests := []struct {
		name string
		f    AuditFilter
		want string
	}{
		{"all", AuditFilter{}, "alice:a bob:b alice:c"},
		{"user", AuditFilter{User: "alice"}, "alice:a alice:c"},
		{"since", AuditFilter{Since: c.t.Add(-time.Hour)}, "bob:b alice:c"},
		{"user and since", AuditFilter{User: "alice", Since: c.t.Add(-time.Hour)}, "alice:c"},
		{"limit", AuditFilter{Limit: 1}, "alice:c"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := s.AuditQuery(context.Background(), tt.f)
			if err != nil {
				t.Fatal(err)
			}
			if actions(got) != tt.want {
				t.Errorf("got %q, want %q", actions(got), tt.want)
			}
		})
	}
}

func testAuditCutsLongUserAgents(t *testing.T, open opener) {
	s, _ := open(t)
	ctx := context.Background()
	if err := s.AppendAudit(ctx, Event{User: "alice", Action: "sign_in", UserAgent: strings.Repeat("é", 200)}); err != nil {
		t.Fatal(err)
	}
	got, _ := s.AuditEvents(ctx, "alice", 0)
	if len(got) != 1 || len(got[0].UserAgent) > MaxUserAgent || !strings.HasPrefix(got[0].UserAgent, "éé") {
		t.Errorf("got %+v, want one event with a user agent of at most %d valid bytes", got, MaxUserAgent)
	}
}
