package session

import (
	"errors"
	"net/http/httptest"
	"testing"
)

// TestEndUser ends every session of one user, rotated ones included, and no other's.
func TestEndUser(t *testing.T) {
	m, store, _ := newTestManager(t, testConfig())
	first := issue(t, m, "", testSession("example.com")).Value
	rotated := issue(t, m, first, testSession("example.com")).Value
	other := issue(t, m, "", testSession("example.org")).Value
	bob := testSession("example.com")
	bob.Username = "bob"
	bobs := issue(t, m, "", bob).Value

	n, err := m.EndUser(t.Context(), "Alice") // the users file ignores ASCII case
	if err != nil {
		t.Fatalf("EndUser: %v", err)
	}
	if n != 3 { // first (already gone by rotation), rotated, other
		t.Errorf("EndUser found %d sessions, want 3", n)
	}
	for _, c := range []struct{ id, host string }{{rotated, "example.com"}, {other, "example.org"}} {
		if s, err := m.Load(t.Context(), c.id, c.host); s != nil || err != nil {
			t.Errorf("alice's session loads after EndUser: %v, %v", s, err)
		}
	}
	if s, _ := m.Load(t.Context(), bobs, "example.com"); s == nil {
		t.Error("bob's session ended with alice's")
	}
	if n, err := m.EndUser(t.Context(), "alice"); n != 0 || err != nil {
		t.Errorf("second EndUser = %d, %v; want 0, nil", n, err)
	}
	if members, _ := store.Members(t.Context(), userSet("alice")); len(members) != 0 {
		t.Errorf("alice's set after EndUser = %q, want empty", members)
	}
}

// TestIssueFailsUnindexed checks that a session whose index write fails is not issued.
func TestIssueFailsUnindexed(t *testing.T) {
	m, store, _ := newTestManager(t, testConfig())
	store.fail(errStoreDown)
	if err := m.Issue(t.Context(), httptest.NewRecorder(), "", testSession("example.com")); !errors.Is(err, errStoreDown) {
		t.Errorf("Issue with the store down: got %v, want errStoreDown", err)
	}
	store.fail(nil)
	if keys := store.keys(); len(keys) != 0 {
		t.Errorf("store keys after a failed Issue = %q, want none", keys)
	}
}
