package session

import (
	"errors"
	"testing"
	"time"
)

// issueFrom issues a session for user with the client's address and agent.
func issueFrom(t *testing.T, m *Manager, user, ip, agent string) string {
	t.Helper()
	s := testSession("example.com")
	s.Username = user
	s.SetClient(ip, agent)
	return issue(t, m, "", s).Value
}

func TestUserSessions(t *testing.T) {
	m, _, c := newTestManager(t, testConfig())
	issueFrom(t, m, "alice", "192.0.2.1", "Firefox\x00\n")
	c.advance(time.Minute)
	issueFrom(t, m, "alice", "192.0.2.2", "Chrome")
	issueFrom(t, m, "bob", "192.0.2.3", "curl")

	got, err := m.UserSessions(t.Context(), "ALICE")
	if err != nil {
		t.Fatalf("UserSessions: %v", err)
	}
	if len(got) != 2 {
		t.Fatalf("UserSessions(alice) = %d sessions, want 2", len(got))
	}
	first := got[0]
	if first.IP != "192.0.2.1" || first.UserAgent != "Firefox" || first.Level != "one_factor" ||
		len(first.Factors) != 1 || first.Factors[0] != "password" || first.Username != "alice" {
		t.Errorf("first session = %+v, want alice from 192.0.2.1, Firefox, one_factor, [password]", first)
	}
	if !first.CreatedAt.Before(got[1].CreatedAt) {
		t.Errorf("sessions not oldest first: %v, %v", first.CreatedAt, got[1].CreatedAt)
	}
	all, err := m.AllSessions(t.Context())
	if err != nil || len(all) != 3 {
		t.Errorf("AllSessions = %d sessions, %v; want 3, nil", len(all), err)
	}
}

func TestEndSession(t *testing.T) {
	m, _, _ := newTestManager(t, testConfig())
	keep := issueFrom(t, m, "alice", "192.0.2.1", "a")
	end := issueFrom(t, m, "alice", "192.0.2.2", "b")
	endHash, _ := idHash(end)

	if _, err := m.EndSession(t.Context(), "bob", endHash); !errors.Is(err, ErrNotFound) {
		t.Errorf("EndSession of another user's session: got %v, want ErrNotFound", err)
	}
	if _, err := m.EndSession(t.Context(), "alice", endHash[:4]); !errors.Is(err, ErrNotFound) {
		t.Errorf("EndSession with 4 digits: got %v, want ErrNotFound", err)
	}
	got, err := m.EndSession(t.Context(), "alice", endHash[:12])
	if err != nil || got != endHash {
		t.Fatalf("EndSession = %q, %v; want %q, nil", got, err, endHash)
	}
	if s := load(t, m, end, "example.com"); s != nil {
		t.Error("the ended session still loads")
	}
	if s := load(t, m, keep, "example.com"); s == nil {
		t.Error("the other session ended too")
	}
}

func TestEndAll(t *testing.T) {
	m, store, _ := newTestManager(t, testConfig())
	ids := []string{issueFrom(t, m, "alice", "", ""), issueFrom(t, m, "bob", "", "")}
	n, err := m.EndAll(t.Context())
	if err != nil || n != 2 {
		t.Fatalf("EndAll = %d, %v; want 2, nil", n, err)
	}
	for _, id := range ids {
		if s := load(t, m, id, "example.com"); s != nil {
			t.Errorf("session of %s loads after EndAll", s.Username)
		}
	}
	if members, _ := store.Members(t.Context(), userSet("bob")); len(members) != 0 {
		t.Errorf("bob's set after EndAll = %q, want empty", members)
	}
}
